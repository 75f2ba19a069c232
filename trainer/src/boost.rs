//! Fitting a `gbdt` ensemble and converting it into the scorer's model format.
//!
//! Missing values (NaN features) are given to `gbdt` as [`MISSING_SENTINEL`], a value below
//! anything a present feature can take, so its trees learn where missing values go like any
//! other split. On conversion a split's `nan_left` is exactly "would the sentinel go left", so
//! the scorer routes NaN the way gbdt routed the sentinel.
//!
//! gbdt's LogLikelyhood loss predicts `1 / (1 + exp(−2f))` with `f = bias + Σ shrinkage · leaf`
//! in `f32`. The scorer's margin is `m = 2f`: base score `2 · bias`, leaf values
//! `2 · (shrinkage · leaf)`. Doubling is exact in binary floating point, so every partial sum
//! is exactly twice gbdt's and the margins agree bit for bit; only the final `exp` differs
//! (the scorer uses `libm::expf`, gbdt `f32::exp`), by at most a few ULP.

use anyhow::{anyhow, bail, Context as _, Result};
use gbdt::config::Config;
use gbdt::decision_tree::{Data, DataVec};
use gbdt::gradient_boost::GBDT;
use scorer::features::{FeatureRow, N_FEATURES};
use scorer::model::{logistic, Model, NodeRef, Split, Tree};
use serde::{Deserialize, Serialize};

/// Stand-in for a missing value during training: below every present feature value
/// (the lowest is a goal-line distance of −5 m behind the line).
pub const MISSING_SENTINEL: f32 = -1000.0;

/// gbdt hyperparameters for one fit.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct Params {
    pub max_depth: u32,
    pub shrinkage: f32,
    /// Trees grown; the validation set then picks how many of them to keep.
    pub iterations: usize,
    pub min_leaf_size: usize,
}

/// Builds gbdt's training rows. `mask[j] == false` blanks feature `j` (a constant column is
/// never split on), which is how ablations drop a feature group.
pub fn to_gbdt_data(rows: &[FeatureRow], y: &[bool], mask: &[bool; N_FEATURES]) -> DataVec {
    rows.iter()
        .zip(y)
        .map(|(r, &goal)| {
            let features = r
                .iter()
                .zip(mask)
                .map(|(&v, &keep)| {
                    if !keep || v.is_nan() {
                        MISSING_SENTINEL
                    } else {
                        v
                    }
                })
                .collect();
            Data::new_training_data(features, 1.0, if goal { 1.0 } else { -1.0 }, None)
        })
        .collect()
}

/// Fits gbdt deterministically (both sampling ratios 1.0: its sampler has no seed).
pub fn fit(data: &mut DataVec, p: &Params) -> Result<GBDT> {
    if data.is_empty() {
        bail!("no training rows");
    }
    let goals = data.iter().filter(|d| d.label > 0.0).count();
    if goals == 0 || goals == data.len() {
        bail!(
            "training rows must contain goals and non-goals ({goals} goals in {} shots)",
            data.len()
        );
    }
    let mut cfg = Config::new();
    cfg.set_feature_size(N_FEATURES);
    cfg.set_max_depth(p.max_depth);
    cfg.set_iterations(p.iterations);
    cfg.set_shrinkage(p.shrinkage);
    cfg.set_loss("LogLikelyhood");
    cfg.set_min_leaf_size(p.min_leaf_size);
    cfg.set_feature_sample_ratio(1.0);
    cfg.set_data_sample_ratio(1.0);
    cfg.set_training_optimization_level(2);
    let mut g = GBDT::new(&cfg);
    g.fit(data);
    Ok(g)
}

#[derive(Deserialize)]
struct GbdtJson {
    conf: ConfJson,
    trees: Vec<TreeJson>,
    bias: f32,
}
#[derive(Deserialize)]
struct ConfJson {
    shrinkage: f32,
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
#[derive(Deserialize)]
struct DtNodeJson {
    feature_index: usize,
    feature_value: f32,
    pred: f32,
    is_leaf: bool,
}

/// Converts a fitted ensemble into the scorer's model (all trees).
pub fn convert(g: &GBDT) -> Result<Model> {
    let v = serde_json::to_value(g).context("serialising the gbdt model")?;
    let j: GbdtJson = serde_json::from_value(v).context("reading gbdt's model layout")?;
    let trees = j
        .trees
        .iter()
        .enumerate()
        .map(|(t, tree)| {
            convert_tree(&tree.tree.tree, j.conf.shrinkage).with_context(|| format!("tree {t}"))
        })
        .collect::<Result<Vec<_>>>()?;
    Model::new(2.0 * j.bias, trees).map_err(|e| anyhow!("converted model is invalid: {e}"))
}

fn convert_tree(nodes: &[NodeJson], shrinkage: f32) -> Result<Tree> {
    let mut tree = Tree {
        root: NodeRef::Leaf(0),
        splits: Vec::new(),
        leaves: Vec::new(),
    };
    if nodes.is_empty() {
        tree.leaves.push(0.0);
        return Ok(tree);
    }
    // Pre-order walk: a split gets its index before its children, so children come later.
    fn walk(
        nodes: &[NodeJson],
        i: usize,
        shrinkage: f32,
        tree: &mut Tree,
        depth: usize,
    ) -> Result<NodeRef> {
        let n = nodes.get(i).ok_or_else(|| anyhow!("node {i} missing"))?;
        if depth > scorer::model::MAX_DEPTH {
            bail!("deeper than {}", scorer::model::MAX_DEPTH);
        }
        if n.value.is_leaf || (n.left == 0 && n.right == 0) {
            tree.leaves.push(2.0 * (shrinkage * n.value.pred));
            return Ok(NodeRef::Leaf(tree.leaves.len() as u32 - 1));
        }
        if n.left == 0 || n.right == 0 {
            bail!("node {i} has only one child");
        }
        let me = tree.splits.len();
        let threshold = n.value.feature_value;
        tree.splits.push(Split {
            feature: n.value.feature_index as u16,
            threshold,
            nan_left: MISSING_SENTINEL < threshold,
            left: NodeRef::Leaf(0),
            right: NodeRef::Leaf(0),
        });
        let left = walk(nodes, n.left, shrinkage, tree, depth + 1)?;
        let right = walk(nodes, n.right, shrinkage, tree, depth + 1)?;
        tree.splits[me].left = left;
        tree.splits[me].right = right;
        Ok(NodeRef::Split(me as u32))
    }
    tree.root = walk(nodes, 0, shrinkage, &mut tree, 0)?;
    Ok(tree)
}

/// Validation log loss after each number of trees (index `k` = after `k + 1` trees).
pub fn staged_log_loss(model: &Model, rows: &[FeatureRow], y: &[bool]) -> Vec<f64> {
    let n_trees = model.trees().len();
    let mut margins = vec![model.base_score(); rows.len()];
    let mut out = Vec::with_capacity(n_trees);
    for t in 0..n_trees {
        let mut sum = 0.0;
        for ((m, r), &goal) in margins.iter_mut().zip(rows).zip(y) {
            *m += model.tree_value(t, r);
            let p = (logistic(*m) as f64).clamp(1e-15, 1.0 - 1e-15);
            sum -= if goal { p.ln() } else { (1.0 - p).ln() };
        }
        out.push(sum / rows.len() as f64);
    }
    out
}

/// The first `k` trees of a model.
pub fn truncate(model: &Model, k: usize) -> Model {
    Model::new(model.base_score(), model.trees()[..k].to_vec())
        .expect("a prefix of a valid model is valid")
}

/// gbdt's own probability for rows (for checking the conversion).
pub fn gbdt_predict(g: &GBDT, rows: &[FeatureRow]) -> Vec<f32> {
    let data = to_gbdt_data(rows, &vec![false; rows.len()], &[true; N_FEATURES]);
    g.predict(&data)
}
