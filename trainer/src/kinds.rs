//! Separate handling of penalties and direct free kicks (as soccer_xg does), kept only where
//! it measures better on the validation set.
//!
//! - Penalties: a constant, the training penalties' conversion rate.
//! - Direct free kicks: a small gbdt fitted on free kicks alone.
//!
//! Both are folded into one ensemble in the scorer's format by routing: every tree of the main
//! model gets a new root that sends rows of the specialised kind to a zero leaf, and the
//! specialist's trees get a root that sends every other row to a zero leaf. A constant tree on
//! the kind's branch moves the base score. The scorer evaluates the result like any model.

use crate::boost::{self, Params, Rows};
use crate::metrics;
use crate::search::SearchData;
use anyhow::Result;
use scorer::features::{self, FeatureRow, N_FEATURES};
use scorer::model::{Model, NodeRef, Split, Tree};
use serde::Serialize;

/// What was tried for one kind and whether it was kept.
#[derive(Debug, Clone, Serialize)]
pub struct KindChoice {
    pub kind: &'static str,
    pub valid_shots: usize,
    pub train_shots: usize,
    pub main_valid_log_loss: f64,
    pub special_valid_log_loss: f64,
    pub used: bool,
}

/// Levels that routing by shot kind can put above the main model's trees: one split for
/// penalties and one for direct free kicks (`gated` each adds one).
pub const KIND_ROUTING_LEVELS: usize = 2;

fn flag_index(name: &str) -> u16 {
    features::index_of(name).expect("kind flag is a feature") as u16
}

/// `tree`, reached only when the row's `flag` is (`on == true`) or is not set; other rows
/// get 0.
fn gated(tree: &Tree, flag: u16, on: bool) -> Tree {
    let shift = |r: NodeRef| match r {
        NodeRef::Split(i) => NodeRef::Split(i + 1),
        leaf => leaf,
    };
    let zero = NodeRef::Leaf(tree.leaves.len() as u32);
    let inner = shift(tree.root);
    let (left, right) = if on { (zero, inner) } else { (inner, zero) };
    let mut splits = vec![Split {
        feature: flag,
        threshold: 0.5,
        nan_left: !on,
        left,
        right,
    }];
    splits.extend(tree.splits.iter().map(|s| Split {
        left: shift(s.left),
        right: shift(s.right),
        ..*s
    }));
    let mut leaves = tree.leaves.clone();
    leaves.push(0.0);
    Tree {
        root: NodeRef::Split(0),
        splits,
        leaves,
    }
}

fn constant(value: f32) -> Tree {
    Tree {
        root: NodeRef::Leaf(0),
        splits: vec![],
        leaves: vec![value],
    }
}

fn log_loss_of(model: &Model, rows: &[FeatureRow], y: &[bool]) -> f64 {
    let p: Vec<f64> = rows.iter().map(|r| model.predict(r) as f64).collect();
    metrics::log_loss(&p, y)
}

fn logit(p: f64) -> f64 {
    (p / (1.0 - p)).ln()
}

fn select(rows: &[FeatureRow], y: &[bool], flag: usize) -> (Vec<FeatureRow>, Vec<bool>) {
    rows.iter()
        .zip(y)
        .filter(|(r, _)| r[flag] >= 0.5)
        .map(|(r, &g)| (*r, g))
        .unzip()
}

/// Tries both specialisations; returns the (possibly composed) model and what was decided.
/// `data` is the search's binned data; `train` and `valid` are the same rows, raw.
pub fn specialise(
    main: &Model,
    params: &Params,
    data: &SearchData,
    train: &[FeatureRow],
    valid: &[FeatureRow],
) -> Result<(Model, Vec<KindChoice>)> {
    let (train_y, valid_y) = (data.train_y, data.valid_y);
    let pen = flag_index("is_penalty");
    let dfk = flag_index("is_direct_free_kick");
    let mut main_trees: Vec<Tree> = main.trees().to_vec();
    let mut extra: Vec<Tree> = Vec::new();
    let mut choices = Vec::new();

    // Penalties: the training conversion rate.
    let (ptr, pytr) = select(train, train_y, pen as usize);
    let (pva, pyva) = select(valid, valid_y, pen as usize);
    if ptr.len() >= 10 && !pva.is_empty() {
        let goals = pytr.iter().filter(|&&g| g).count() as f64;
        // Laplace-smoothed so a tiny sample cannot give 0 or 1.
        let rate = (goals + 1.0) / (ptr.len() as f64 + 2.0);
        let main_ll = log_loss_of(main, &pva, &pyva);
        let special_ll = metrics::log_loss(&vec![rate; pva.len()], &pyva);
        let used = special_ll < main_ll;
        if used {
            main_trees = main_trees.iter().map(|t| gated(t, pen, false)).collect();
            extra.push(gated(
                &constant((logit(rate) - main.base_score() as f64) as f32),
                pen,
                true,
            ));
        }
        choices.push(KindChoice {
            kind: "penalty",
            valid_shots: pva.len(),
            train_shots: ptr.len(),
            main_valid_log_loss: main_ll,
            special_valid_log_loss: special_ll,
            used,
        });
    }

    // Direct free kicks: their own small ensemble.
    let (ftr, fytr) = select(train, train_y, dfk as usize);
    let (fva, fyva) = select(valid, valid_y, dfk as usize);
    let goals = fytr.iter().filter(|&&g| g).count();
    if ftr.len() >= 50 && goals > 0 && goals < ftr.len() && !fva.is_empty() {
        let p = Params {
            max_depth: params.max_depth.min(3),
            min_leaf_size: 10,
            ..*params
        };
        // Free kicks alone, on the same bins (all trees grown, best prefix kept).
        let free_kicks = |x: &[crate::bins::BinRow], raw: &[FeatureRow]| {
            x.iter()
                .zip(raw)
                .filter(|(_, r)| r[dfk as usize] >= 0.5)
                .map(|(b, _)| *b)
                .collect::<Vec<_>>()
        };
        let (ftr_bins, fva_bins) = (free_kicks(data.train, train), free_kicks(data.valid, valid));
        let idx: Vec<usize> = (0..ftr_bins.len()).collect();
        let special = boost::fit(
            Rows {
                x: &ftr_bins,
                y: &fytr,
            },
            &idx,
            &[true; N_FEATURES],
            Rows {
                x: &fva_bins,
                y: &fyva,
            },
            &p,
            0,
            data.bins,
        )?
        .model;
        let main_ll = log_loss_of(main, &fva, &fyva);
        let special_ll = log_loss_of(&special, &fva, &fyva);
        let used = special_ll < main_ll;
        if used {
            main_trees = main_trees.iter().map(|t| gated(t, dfk, false)).collect();
            extra.push(gated(
                &constant(special.base_score() - main.base_score()),
                dfk,
                true,
            ));
            extra.extend(special.trees().iter().map(|t| gated(t, dfk, true)));
        }
        choices.push(KindChoice {
            kind: "direct_free_kick",
            valid_shots: fva.len(),
            train_shots: ftr.len(),
            main_valid_log_loss: main_ll,
            special_valid_log_loss: special_ll,
            used,
        });
    }
    if extra.is_empty() {
        return Ok((main.clone(), choices));
    }
    main_trees.extend(extra);
    let composed = Model::new(main.base_score(), main_trees)
        .map_err(|e| anyhow::anyhow!("composed model is invalid: {e}"))?;
    Ok((composed, choices))
}

#[cfg(test)]
mod tests {
    use super::*;
    use scorer::{synth, BodyPart, Point, Shot, ShotKind};

    #[test]
    fn gating_routes_only_the_chosen_kind() {
        let main = synth::model(3, 5, 3);
        let pen = flag_index("is_penalty");
        let gated_trees: Vec<Tree> = main.trees().iter().map(|t| gated(t, pen, false)).collect();
        let mut trees = gated_trees;
        trees.push(gated(&constant(2.0 - main.base_score()), pen, true));
        let m = Model::new(main.base_score(), trees).unwrap();
        let open = features::extract(
            &Shot::simple(
                Point::new(95.0, 30.0),
                BodyPart::LeftFoot,
                ShotKind::OpenPlay,
            )
            .unwrap(),
        );
        assert_eq!(
            m.margin(&open),
            main.margin(&open),
            "other kinds are untouched"
        );
        for body in BodyPart::ALL {
            let p = features::extract(
                &Shot::simple(Point::PENALTY_SPOT, body, ShotKind::Penalty).unwrap(),
            );
            assert!(
                (m.margin(&p) - 2.0).abs() < 1e-5,
                "every penalty gets the constant"
            );
        }
        assert_eq!(m.max_depth(), main.max_depth() + 1);
    }
}
