//! Deterministic synthetic shots and models, for golden vectors, tests and benchmarks.
//!
//! Nothing here is a trained model: [`model`] grows complete random trees whose thresholds are
//! feature values of random valid shots, so every split is exercised by realistic rows and
//! splits on features that can be missing route NaN both ways. [`binned_model`] draws the
//! same trees but snaps every threshold onto at most [`MAX_BINNED_THRESHOLDS`] values per
//! feature, as the trainer's binned features do. The same seed always gives the same bytes.

use crate::features::{self, N_FEATURES};
use crate::model::{Model, NodeRef, Split, Tree};
use crate::pitch::{Point, LENGTH_M, WIDTH_M};
use crate::shot::{BodyPart, Context, Shot, ShotKind};

/// SplitMix64: tiny, seedable, the same everywhere.
#[derive(Debug, Clone)]
pub struct Rng(u64);

impl Rng {
    pub fn new(seed: u64) -> Rng {
        Rng(seed)
    }

    pub fn next_u64(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }

    /// Uniform in `[0, 1)`.
    pub fn unit(&mut self) -> f32 {
        (self.next_u64() >> 40) as f32 / (1u64 << 24) as f32
    }

    pub fn range(&mut self, lo: f32, hi: f32) -> f32 {
        lo + (hi - lo) * self.unit()
    }

    pub fn below(&mut self, n: usize) -> usize {
        (self.next_u64() % n as u64) as usize
    }

    pub fn chance(&mut self, p: f32) -> bool {
        self.unit() < p
    }
}

/// A random valid shot in the attacking half with random context (some of it missing).
pub fn shot(rng: &mut Rng) -> Shot {
    let at = Point::new(rng.range(LENGTH_M / 2.0, LENGTH_M), rng.range(0.0, WIDTH_M));
    let body_part = BodyPart::ALL[rng.below(4)];
    let kind = match rng.below(20) {
        0 => ShotKind::Penalty,
        1 | 2 => ShotKind::DirectFreeKick,
        _ => ShotKind::OpenPlay,
    };
    let gap = rng.range(0.0, 8.0);
    let context = Context {
        counter_attack: rng.chance(0.1),
        after_cross: rng.chance(0.2),
        after_through_ball: rng.chance(0.1),
        after_high_pass: rng.chance(0.15),
        after_take_on_or_duel: rng.chance(0.2),
        rebound: rng.chance(0.05),
        set_piece_phase: rng.chance(0.2),
        secs_since_prev_event: (!rng.chance(0.15)).then_some(gap),
        secs_since_prev2_event: (!rng.chance(0.2)).then(|| gap + rng.range(0.0, 8.0)),
        prev_event_at: (!rng.chance(0.15))
            .then(|| Point::new(rng.range(30.0, LENGTH_M), rng.range(0.0, WIDTH_M))),
    };
    Shot::new(at, body_part, kind, context).expect("synthetic shots are valid")
}

/// A model of `n_trees` complete trees of depth `depth`, base score about a 10% goal rate.
/// Continuous features get hundreds of distinct thresholds.
pub fn model(seed: u64, n_trees: usize, depth: u32) -> Model {
    model_with(seed, n_trees, Shape::Complete(depth), None)
}

/// Most distinct thresholds per feature in a [`binned_model`]: what the trainer's models have
/// at most (it bins every feature into at most 255 bins, so 254 edges), and what scorer.wasm's
/// vector path takes.
pub const MAX_BINNED_THRESHOLDS: usize = crate::model::WASM_VECTOR_MAX_THRESHOLDS;

/// [`model`] with every threshold snapped down onto one of at most
/// [`MAX_BINNED_THRESHOLDS`] values of its feature (quantiles of the sampled values), so the
/// model has the shape of one the trainer writes. Same trees and leaves as [`model`] for the
/// same seed.
pub fn binned_model(seed: u64, n_trees: usize, depth: u32) -> Model {
    model_with(
        seed,
        n_trees,
        Shape::Complete(depth),
        Some(MAX_BINNED_THRESHOLDS),
    )
}

/// A binned model (as [`binned_model`]) of `n_trees` unbalanced trees, each of a random depth
/// from 0 (a single leaf) to `max_depth` with leaves on every level: the shapes the trainer's
/// models may have, for tests of the evaluators' padding and grouping.
pub fn uneven_binned_model(seed: u64, n_trees: usize, max_depth: u32) -> Model {
    model_with(
        seed,
        n_trees,
        Shape::Uneven(max_depth),
        Some(MAX_BINNED_THRESHOLDS),
    )
}

/// A binned model of `n_trees` chains of `depth` splits (each split's right child a leaf): the
/// sparsest trees of that depth, which the evaluators pad most (2^depth − 1 split slots for
/// `depth` splits), for tests of the model size limits.
pub fn chain_model(seed: u64, n_trees: usize, depth: u32) -> Result<Model, crate::ModelError> {
    try_model_with(
        seed,
        n_trees,
        Shape::Chain(depth),
        Some(MAX_BINNED_THRESHOLDS),
    )
}

/// The trees a synthetic model has.
#[derive(Clone, Copy)]
enum Shape {
    Complete(u32),
    Uneven(u32),
    Chain(u32),
}

fn model_with(seed: u64, n_trees: usize, shape: Shape, max_thresholds: Option<usize>) -> Model {
    try_model_with(seed, n_trees, shape, max_thresholds).expect("synthetic trees are valid")
}

fn try_model_with(
    seed: u64,
    n_trees: usize,
    shape: Shape,
    max_thresholds: Option<usize>,
) -> Result<Model, crate::ModelError> {
    let mut rng = Rng::new(seed);
    let samples: Vec<_> = (0..512)
        .map(|_| features::extract(&shot(&mut rng)))
        .collect();
    // Per feature, the values thresholds are snapped onto (binned models only).
    let grids: Option<Vec<Vec<f32>>> = max_thresholds.map(|k| {
        (0..N_FEATURES)
            .map(|f| {
                let mut v: Vec<f32> = samples
                    .iter()
                    .map(|r| r[f])
                    .filter(|v| !v.is_nan())
                    .collect();
                v.sort_by(f32::total_cmp);
                v.dedup();
                if v.len() > k {
                    (0..k).map(|i| v[i * v.len() / k]).collect()
                } else {
                    v
                }
            })
            .collect()
    });
    let snap = |f: usize, t: f32| -> f32 {
        match grids.as_ref().map(|g| &g[f]) {
            // The largest grid value at or below `t` (the smallest when none is).
            Some(grid) if !grid.is_empty() => grid[grid.partition_point(|&g| g <= t).max(1) - 1],
            _ => t,
        }
    };
    let mut threshold = |rng: &mut Rng, feature: usize| {
        // A threshold that real rows fall on both sides of; NaN-valued samples are skipped so
        // the threshold is a number.
        let t = (0..16)
            .map(|_| samples[rng.below(samples.len())][feature])
            .find(|v| !v.is_nan())
            .unwrap_or(0.5);
        snap(feature, t)
    };
    let trees = (0..n_trees)
        .map(|_| match shape {
            Shape::Complete(depth) => complete_tree(&mut rng, depth, &mut threshold),
            Shape::Uneven(max_depth) => {
                let depth = rng.below(max_depth as usize + 1) as u32;
                uneven_tree(&mut rng, depth, 0.3, &mut threshold)
            }
            Shape::Chain(depth) => uneven_tree(&mut rng, depth, 1.0, &mut threshold),
        })
        .collect();
    Model::new(-2.2, trees)
}

/// A complete tree of `depth`, splits breadth-first.
fn complete_tree(
    rng: &mut Rng,
    depth: u32,
    threshold: &mut impl FnMut(&mut Rng, usize) -> f32,
) -> Tree {
    let n_splits = (1usize << depth) - 1;
    let splits = (0..n_splits)
        .map(|i| {
            let feature = rng.below(N_FEATURES);
            let threshold = threshold(rng, feature);
            let child = |c: usize| {
                if c < n_splits {
                    NodeRef::Split(c as u32)
                } else {
                    NodeRef::Leaf((c - n_splits) as u32)
                }
            };
            Split {
                feature: feature as u16,
                threshold,
                nan_left: rng.chance(0.5),
                left: child(2 * i + 1),
                right: child(2 * i + 2),
            }
        })
        .collect();
    let leaves = (0..=n_splits).map(|_| rng.range(-0.12, 0.12)).collect();
    Tree {
        root: if n_splits > 0 {
            NodeRef::Split(0)
        } else {
            NodeRef::Leaf(0)
        },
        splits,
        leaves,
    }
}

/// A tree of exactly `depth` levels whose other paths each stop at every level with
/// probability `stop` (1: a chain), its thresholds from `threshold(rng, feature)`.
pub(crate) fn uneven_tree(
    rng: &mut Rng,
    depth: u32,
    stop: f32,
    threshold: &mut impl FnMut(&mut Rng, usize) -> f32,
) -> Tree {
    fn grow(
        rng: &mut Rng,
        t: &mut Tree,
        (level, depth, stop): (u32, u32, f32),
        deepest: bool,
        threshold: &mut impl FnMut(&mut Rng, usize) -> f32,
    ) -> NodeRef {
        if level == depth || (!deepest && rng.chance(stop)) {
            t.leaves.push(rng.range(-0.12, 0.12));
            return NodeRef::Leaf(t.leaves.len() as u32 - 1);
        }
        let me = t.splits.len();
        let feature = rng.below(N_FEATURES);
        t.splits.push(Split {
            feature: feature as u16,
            threshold: threshold(rng, feature),
            nan_left: rng.chance(0.5),
            left: NodeRef::Leaf(0),
            right: NodeRef::Leaf(0),
        });
        // One path goes all the way down, so the tree has exactly `depth` levels.
        let next = (level + 1, depth, stop);
        let left = grow(rng, t, next, deepest, threshold);
        let right = grow(rng, t, next, false, threshold);
        t.splits[me].left = left;
        t.splits[me].right = right;
        NodeRef::Split(me as u32)
    }
    let mut t = Tree {
        root: NodeRef::Leaf(0),
        splits: Vec::new(),
        leaves: Vec::new(),
    };
    t.root = grow(rng, &mut t, (0, depth, stop), true, threshold);
    t
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn same_seed_same_bytes() {
        assert_eq!(model(7, 10, 4).to_bytes(), model(7, 10, 4).to_bytes());
        assert_ne!(model(7, 10, 4).to_bytes(), model(8, 10, 4).to_bytes());
    }

    #[test]
    fn uneven_models_have_every_depth_and_uneven_trees() {
        let m = uneven_binned_model(4, 200, 8);
        let depths: Vec<usize> = m
            .trees()
            .iter()
            .map(|t| Model::new(0.0, vec![t.clone()]).unwrap().max_depth())
            .collect();
        for d in 0..=8 {
            assert!(depths.contains(&d), "no tree of depth {d}");
        }
        // Uneven: some trees of depth d have fewer than the 2^d − 1 splits of a complete one.
        let uneven = m
            .trees()
            .iter()
            .zip(&depths)
            .filter(|(t, &d)| t.splits.len() < (1 << d) - 1)
            .count();
        assert!(uneven > 100, "only {uneven} uneven trees");
    }

    #[test]
    fn binned_models_have_at_most_254_thresholds_per_feature() {
        let thresholds = |m: &Model| {
            let mut per_feature = vec![Vec::new(); N_FEATURES];
            for s in m.trees().iter().flat_map(|t| &t.splits) {
                per_feature[s.feature as usize].push(s.threshold.to_bits());
            }
            per_feature
                .into_iter()
                .map(|mut v| {
                    v.sort_unstable();
                    v.dedup();
                    v.len()
                })
                .max()
                .unwrap()
        };
        let binned = binned_model(3, 300, 6);
        assert!(thresholds(&binned) <= MAX_BINNED_THRESHOLDS);
        assert!(thresholds(&uneven_binned_model(3, 300, 8)) <= MAX_BINNED_THRESHOLDS);
        assert!(thresholds(&model(3, 300, 6)) > MAX_BINNED_THRESHOLDS);
        // Same trees and leaves, only the thresholds moved.
        let plain = model(3, 300, 6);
        for (a, b) in binned.trees().iter().zip(plain.trees()) {
            assert_eq!(a.leaves, b.leaves);
            for (x, y) in a.splits.iter().zip(&b.splits) {
                assert_eq!((x.feature, x.nan_left), (y.feature, y.nan_left));
                // Snapped down: every sampled value is at or above the smallest grid value.
                assert!(x.threshold <= y.threshold);
            }
        }
    }

    #[test]
    fn shape_is_as_asked() {
        let m = model(1, 12, 5);
        assert_eq!(m.trees().len(), 12);
        assert_eq!(m.max_depth(), 5);
    }
}
