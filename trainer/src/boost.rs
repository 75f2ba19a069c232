//! Boosting with `gbdt` 0.1.3's tree learner on the binned training set, with early stopping
//! on validation log loss, and conversion into the scorer's model format.
//!
//! The boosting loop is gbdt's own `GBDT::fit` for the LogLikelyhood loss, step for step
//! (bias `atanh(mean label)`, targets from `gbdt::fitness::logit_loss_gradient`, one
//! `DecisionTree` per iteration on a shared `TrainingCache`, `f += leaf · shrinkage`, both
//! sampling ratios 1.0 so nothing is random), written out here so that it can stop: after every
//! tree the validation log loss is updated, and fitting ends once it has not improved for
//! `patience` trees. The kept model is the prefix with the lowest validation log loss, exactly
//! as when all trees were grown first and the prefix chosen afterwards.
//!
//! Trees are fitted on bin indices ([`crate::bins`]) and converted to raw-feature thresholds;
//! a missing value (bin 0) always goes left, which the converted split's `nan_left` records.
//!
//! A fit sees only the features its mask keeps. gbdt's work per node is linear in the number
//! of columns, constant ones included, so a masked feature is left out rather than blanked;
//! the trees are the same either way (a constant column never wins a split, and the kept
//! columns keep their order, so ties between them break the same way), and their feature
//! indices are mapped back to the scorer's on conversion.
//!
//! gbdt's LogLikelyhood loss predicts `1 / (1 + exp(−2f))` with `f = bias + Σ shrinkage · leaf`
//! in `f32`. The scorer's margin is `m = 2f`: base score `2 · bias`, leaf values
//! `2 · (shrinkage · leaf)`. Doubling is exact in binary floating point, so every partial sum
//! is exactly twice gbdt's and the margins agree bit for bit; only the final `exp` differs
//! (the scorer uses `libm::expf`, gbdt `f32::exp`), by at most a few ULP.

use crate::bins::{BinRow, Bins};
use anyhow::{anyhow, bail, Context as _, Result};
use gbdt::config::Loss;
use gbdt::decision_tree::{Data, DataVec, DecisionTree, TrainingCache};
use gbdt::fitness::logit_loss_gradient;
use scorer::features::N_FEATURES;
use scorer::model::{logistic, Model, NodeRef, Split, Tree};
use serde::{Deserialize, Serialize};

/// gbdt hyperparameters for one fit.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct Params {
    pub max_depth: u32,
    pub shrinkage: f32,
    /// Most trees grown; early stopping may end sooner, and the validation set then picks
    /// how many of them to keep.
    pub iterations: usize,
    pub min_leaf_size: usize,
}

/// Rows to fit on or to score: bin indices and labels.
#[derive(Clone, Copy)]
pub struct Rows<'a> {
    pub x: &'a [BinRow],
    pub y: &'a [bool],
}

/// A fitted ensemble: the kept prefix in the scorer's format and as gbdt trees.
pub struct Fitted {
    pub model: Model,
    pub trees_grown: usize,
    pub trees_kept: usize,
    /// Validation log loss of the kept prefix.
    pub valid_log_loss: f64,
    bias: f32,
    shrinkage: f32,
    trees: Vec<DecisionTree>,
    /// The scorer's feature index of each column gbdt saw.
    columns: Vec<usize>,
}

/// The columns of a binned row that a fit sees.
fn project(row: &BinRow, columns: &[usize]) -> Vec<f32> {
    columns.iter().map(|&f| row[f]).collect()
}

fn log_loss_term(f: f32, goal: bool) -> f64 {
    // Exactly what the scorer computes for this ensemble: margin 2f, `libm` logistic.
    let p = (logistic(2.0 * f) as f64).clamp(1e-15, 1.0 - 1e-15);
    if goal {
        -p.ln()
    } else {
        -(1.0 - p).ln()
    }
}

/// Fits up to `p.iterations` trees on the rows `idx` of `train` (features with
/// `mask[f] == false` left out), stopping once the validation log loss has not improved for
/// `patience` trees (0: never stop early), and keeps the best prefix.
pub fn fit(
    train: Rows,
    idx: &[usize],
    mask: &[bool; N_FEATURES],
    valid: Rows,
    p: &Params,
    patience: usize,
    bins: &Bins,
) -> Result<Fitted> {
    if idx.is_empty() {
        bail!("no training rows");
    }
    if valid.x.is_empty() {
        bail!("no validation rows");
    }
    let goals = idx.iter().filter(|&&i| train.y[i]).count();
    if goals == 0 || goals == idx.len() {
        bail!(
            "training rows must contain goals and non-goals ({goals} goals in {} shots)",
            idx.len()
        );
    }
    let columns: Vec<usize> = (0..N_FEATURES).filter(|&f| mask[f]).collect();
    if columns.is_empty() {
        bail!("every feature is masked out: nothing to fit on");
    }
    let mut data: DataVec = idx
        .iter()
        .map(|&i| {
            let label = if train.y[i] { 1.0 } else { -1.0 };
            Data::new_training_data(project(&train.x[i], &columns), 1.0, label, None)
        })
        .collect();
    // gbdt's initial value for LogLikelyhood: atanh of the mean label, computed as it does.
    let mean_label =
        (data.iter().map(|d| f64::from(d.label)).sum::<f64>() / data.len() as f64) as f32;
    let bias = ((1.0 + mean_label) / (1.0 - mean_label)).ln() / 2.0;
    let mut cache = TrainingCache::get_cache(columns.len(), &data, 2);
    let mut f_train = vec![bias; data.len()];
    let mut f_valid = vec![bias; valid.x.len()];
    let mut trees: Vec<DecisionTree> = Vec::new();
    let mut layouts: Vec<Vec<NodeJson>> = Vec::new();
    let (mut best_loss, mut best_k) = (f64::INFINITY, 0usize);
    for _ in 0..p.iterations {
        for (d, &f) in data.iter_mut().zip(&f_train) {
            d.target = logit_loss_gradient(d.label, f);
        }
        let mut tree = DecisionTree::new();
        tree.set_feature_size(columns.len());
        tree.set_max_depth(p.max_depth);
        tree.set_min_leaf_size(p.min_leaf_size);
        tree.set_loss(Loss::LogLikelyhood);
        tree.set_feature_sample_ratio(1.0);
        tree.fit(&data, &mut cache);
        for (f, leaf) in f_train.iter_mut().zip(cache.get_preds()) {
            *f += leaf * p.shrinkage;
        }
        // The validation rows go down the tree's own node layout (what gbdt's `predict`
        // does, without building a `Data` per row and recursing per node).
        let nodes = layout_of(&tree, columns.len())?;
        let mut loss = 0.0;
        for ((f, row), &goal) in f_valid.iter_mut().zip(valid.x).zip(valid.y) {
            *f += p.shrinkage * leaf_of(&nodes, row, &columns);
            loss += log_loss_term(*f, goal);
        }
        let loss = loss / valid.x.len() as f64;
        trees.push(tree);
        layouts.push(nodes);
        if loss < best_loss {
            (best_loss, best_k) = (loss, trees.len());
        } else if patience > 0 && trees.len() - best_k >= patience {
            break;
        }
    }
    let trees_grown = trees.len();
    trees.truncate(best_k.max(1));
    layouts.truncate(trees.len());
    let model = convert(bias, p.shrinkage, &layouts, bins, &columns)?;
    Ok(Fitted {
        model,
        trees_grown,
        trees_kept: trees.len(),
        valid_log_loss: best_loss,
        bias,
        shrinkage: p.shrinkage,
        trees,
        columns,
    })
}

impl Fitted {
    /// gbdt's own probabilities for binned rows: `1 / (1 + exp(−2f))` with `f` summed from
    /// its trees' predictions, as `GBDT::predict` does (for checking the conversion).
    pub fn gbdt_predict(&self, rows: &[BinRow]) -> Vec<f32> {
        let data: DataVec = rows
            .iter()
            .map(|r| Data::new_test_data(project(r, &self.columns), None))
            .collect();
        let mut f = vec![self.bias; rows.len()];
        for t in &self.trees {
            for (f, leaf) in f.iter_mut().zip(t.predict(&data)) {
                *f += self.shrinkage * leaf;
            }
        }
        f.iter().map(|&x| 1.0 / (1.0 + (-2.0 * x).exp())).collect()
    }
}

#[derive(Deserialize)]
struct TreeJson {
    tree: NodesJson,
}
#[derive(Deserialize)]
struct NodesJson {
    tree: Vec<NodeJson>,
}
#[derive(Deserialize)]
struct NodeJson {
    value: DtNodeJson,
    left: usize,
    right: usize,
}
impl NodeJson {
    /// gbdt marks leaves, and a node without children is one too.
    fn is_leaf(&self) -> bool {
        self.value.is_leaf || (self.left == 0 && self.right == 0)
    }
}
#[derive(Deserialize)]
struct DtNodeJson {
    feature_index: usize,
    feature_value: f32,
    pred: f32,
    is_leaf: bool,
}

/// A gbdt tree's nodes as its serde form lays them out (node 0 is the root), checked so that
/// [`leaf_of`] cannot index out of bounds or loop: a split's children come after it (gbdt
/// adds a node's children after the node) and its column is one the fit saw.
fn layout_of(tree: &DecisionTree, n_columns: usize) -> Result<Vec<NodeJson>> {
    let v = serde_json::to_value(tree).context("serialising a gbdt tree")?;
    let j: TreeJson = serde_json::from_value(v).context("reading gbdt's decision tree layout")?;
    let nodes = j.tree.tree;
    if nodes.is_empty() {
        bail!("gbdt returned a tree without nodes");
    }
    for (i, n) in nodes.iter().enumerate() {
        let child_ok = |c: usize| c > i && c < nodes.len();
        let split_ok = child_ok(n.left) && child_ok(n.right) && n.value.feature_index < n_columns;
        if !n.is_leaf() && !split_ok {
            bail!(
                "gbdt tree node {i} of {}: children {} / {}, column {} of {n_columns}",
                nodes.len(),
                n.left,
                n.right,
                n.value.feature_index
            );
        }
    }
    Ok(nodes)
}

/// The leaf value gbdt's `predict` gives a binned row (bins are never gbdt's "unknown"
/// value, so the missing-value branches never apply), walking a checked [`layout_of`].
fn leaf_of(nodes: &[NodeJson], row: &BinRow, columns: &[usize]) -> f32 {
    let mut i = 0;
    loop {
        let n = &nodes[i];
        if n.is_leaf() {
            return n.value.pred;
        }
        i = if row[columns[n.value.feature_index]] < n.value.feature_value {
            n.left
        } else {
            n.right
        };
    }
}

/// Converts gbdt trees fitted on bin indices, as checked layouts ([`layout_of`]), into the
/// scorer's model; gbdt's column `c` is the scorer's feature `columns[c]`.
fn convert(
    bias: f32,
    shrinkage: f32,
    layouts: &[Vec<NodeJson>],
    bins: &Bins,
    columns: &[usize],
) -> Result<Model> {
    let trees = layouts
        .iter()
        .enumerate()
        .map(|(t, nodes)| {
            convert_tree(nodes, shrinkage, bins, columns).with_context(|| format!("tree {t}"))
        })
        .collect::<Result<Vec<_>>>()?;
    Model::new(2.0 * bias, trees).map_err(|e| anyhow!("converted model is invalid: {e}"))
}

fn convert_tree(
    nodes: &[NodeJson],
    shrinkage: f32,
    bins: &Bins,
    columns: &[usize],
) -> Result<Tree> {
    let mut tree = Tree {
        root: NodeRef::Leaf(0),
        splits: Vec::new(),
        leaves: Vec::new(),
    };
    // Pre-order walk: a split gets its index before its children, so children come later.
    fn walk(
        nodes: &[NodeJson],
        i: usize,
        shrinkage: f32,
        bins: &Bins,
        columns: &[usize],
        tree: &mut Tree,
        depth: usize,
    ) -> Result<NodeRef> {
        // `layout_of` checked the children and columns; the depth limit is the scorer's.
        let n = &nodes[i];
        if depth > scorer::model::MAX_DEPTH {
            bail!("deeper than {}", scorer::model::MAX_DEPTH);
        }
        if n.is_leaf() {
            tree.leaves.push(2.0 * (shrinkage * n.value.pred));
            return Ok(NodeRef::Leaf(tree.leaves.len() as u32 - 1));
        }
        let feature = columns[n.value.feature_index];
        let (threshold, nan_left) = bins.raw_split(feature, n.value.feature_value)?;
        let me = tree.splits.len();
        tree.splits.push(Split {
            feature: feature as u16,
            threshold,
            nan_left,
            left: NodeRef::Leaf(0),
            right: NodeRef::Leaf(0),
        });
        let left = walk(nodes, n.left, shrinkage, bins, columns, tree, depth + 1)?;
        let right = walk(nodes, n.right, shrinkage, bins, columns, tree, depth + 1)?;
        tree.splits[me].left = left;
        tree.splits[me].right = right;
        Ok(NodeRef::Split(me as u32))
    }
    tree.root = walk(nodes, 0, shrinkage, bins, columns, &mut tree, 0)?;
    Ok(tree)
}

#[cfg(test)]
mod tests {
    use super::*;
    use scorer::features::FeatureRow;
    use scorer::synth::Rng;

    /// Rows where the goal chance rises with feature 0 and feature 1 is sometimes missing.
    fn synthetic(n: usize, seed: u64) -> (Vec<FeatureRow>, Vec<bool>) {
        let mut rng = Rng::new(seed);
        (0..n)
            .map(|_| {
                let mut r = [0.0f32; N_FEATURES];
                for v in r.iter_mut() {
                    *v = rng.unit() * 10.0;
                }
                if rng.chance(0.2) {
                    r[1] = f32::NAN;
                }
                let p = r[0] / 12.0 + if r[1].is_nan() { 0.1 } else { 0.0 };
                (r, rng.chance(p))
            })
            .unzip()
    }

    const ALL: [bool; N_FEATURES] = [true; N_FEATURES];

    /// 600 training and 300 validation rows from `seed` and `seed + 1`, raw and binned.
    struct Fixture {
        train_y: Vec<bool>,
        valid: Vec<FeatureRow>,
        valid_y: Vec<bool>,
        bins: Bins,
        tb: Vec<BinRow>,
        vb: Vec<BinRow>,
    }

    impl Fixture {
        fn new(seed: u64) -> Fixture {
            let (train, train_y) = synthetic(600, seed);
            let (valid, valid_y) = synthetic(300, seed + 1);
            let bins = Bins::fit(&train, 32);
            let (tb, vb) = (bins.bin_rows(&train, &ALL), bins.bin_rows(&valid, &ALL));
            Fixture {
                train_y,
                valid,
                valid_y,
                bins,
                tb,
                vb,
            }
        }

        /// Fits on every training row of `x` (binned), validating on `vx`.
        fn fit(
            &self,
            x: &[BinRow],
            vx: &[BinRow],
            mask: &[bool; N_FEATURES],
            p: &Params,
            patience: usize,
        ) -> Result<Fitted> {
            let idx: Vec<usize> = (0..x.len()).collect();
            let train = Rows {
                x,
                y: &self.train_y,
            };
            let valid = Rows {
                x: vx,
                y: &self.valid_y,
            };
            fit(train, &idx, mask, valid, p, patience, &self.bins)
        }
    }

    #[test]
    fn scorer_on_raw_rows_matches_gbdt_on_bins_and_stops_early() {
        let fx = Fixture::new(1);
        let (valid, valid_y, vb) = (&fx.valid, &fx.valid_y, &fx.vb);
        let p = Params {
            max_depth: 3,
            shrinkage: 0.3,
            iterations: 200,
            min_leaf_size: 5,
        };
        let fit_once = |patience| fx.fit(&fx.tb, vb, &ALL, &p, patience).unwrap();
        let full = fit_once(0);
        assert_eq!(full.trees_grown, 200);
        let early = fit_once(10);
        assert!(early.trees_grown < 200, "{}", early.trees_grown);
        assert_eq!(early.trees_grown, early.trees_kept + 10);
        // Stopping early keeps the same prefix as growing everything and choosing after.
        assert_eq!(early.trees_kept, full.trees_kept);
        assert_eq!(early.model.to_bytes(), full.model.to_bytes());
        // The scorer, on raw features (NaN included), gives gbdt's margins on bins.
        let theirs = early.gbdt_predict(vb);
        for (r, &t) in valid.iter().zip(&theirs) {
            let ours = early.model.predict(r);
            assert!((ours - t).abs() <= 1e-6, "{ours} vs {t}");
        }
        let ll: f64 = valid
            .iter()
            .zip(valid_y)
            .map(|(r, &g)| log_loss_term(early.model.margin(r) / 2.0, g))
            .sum::<f64>()
            / valid.len() as f64;
        assert_eq!(ll, early.valid_log_loss);
    }

    #[test]
    fn a_masked_feature_is_left_out_and_the_trees_equal_blanking_it() {
        let fx = Fixture::new(3);
        let (tb, vb) = (&fx.tb, &fx.vb);
        let mut mask = ALL;
        mask[0] = false;
        mask[N_FEATURES - 1] = false;
        // What fitting on the masked rows used to mean: the column kept, every value bin 0.
        let blank = |rows: &[BinRow]| -> Vec<BinRow> {
            rows.iter()
                .map(|r| {
                    let mut r = *r;
                    for (v, &keep) in r.iter_mut().zip(&mask) {
                        if !keep {
                            *v = 0.0;
                        }
                    }
                    r
                })
                .collect()
        };
        let (tb0, vb0) = (blank(tb), blank(vb));
        let p = Params {
            max_depth: 4,
            shrinkage: 0.2,
            iterations: 40,
            min_leaf_size: 5,
        };
        let left_out = fx.fit(tb, vb, &mask, &p, 0).unwrap();
        let blanked = fx.fit(&tb0, &vb0, &ALL, &p, 0).unwrap();
        assert_eq!(left_out.model.to_bytes(), blanked.model.to_bytes());
        assert_eq!(left_out.valid_log_loss, blanked.valid_log_loss);
        let used: Vec<u16> = left_out
            .model
            .trees()
            .iter()
            .flat_map(|t| t.splits.iter().map(|s| s.feature))
            .collect();
        assert!(used.contains(&1), "feature 1 carries signal");
        assert!(!used.contains(&0) && !used.contains(&(N_FEATURES as u16 - 1)));
        // The validation walk gives gbdt's own leaf values, tree by tree.
        let data: DataVec = vb
            .iter()
            .map(|r| Data::new_test_data(project(r, &left_out.columns), None))
            .collect();
        for tree in &left_out.trees {
            let nodes = layout_of(tree, left_out.columns.len()).unwrap();
            for (row, leaf) in vb.iter().zip(tree.predict(&data)) {
                assert_eq!(
                    leaf_of(&nodes, row, &left_out.columns).to_bits(),
                    leaf.to_bits()
                );
            }
        }
        // gbdt's own predictions read the same columns.
        let theirs = left_out.gbdt_predict(vb);
        for (r, &t) in fx.valid.iter().zip(&theirs) {
            assert!((left_out.model.predict(r) - t).abs() <= 1e-6);
        }
        assert!(fx.fit(tb, vb, &[false; N_FEATURES], &p, 0).is_err());
    }
}
