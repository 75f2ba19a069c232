//! The model file format and the tree-ensemble evaluator.
//!
//! `docs/MODEL_FORMAT.md` is the specification this module implements; [`Model::parse`] reads
//! it by hand and never panics on any byte string, [`Model::to_bytes`] writes it.
//!
//! A model is an additive ensemble of binary trees over the [`features`]
//! table. A split sends a row left when `value < threshold`, and a missing value (NaN) the way
//! the split's stored `nan_left` flag says. The margin is `base_score + Σ leaf` summed over the
//! trees in file order in `f32`, and the probability is `1 / (1 + expf(-margin))` with `expf`
//! from `libm`, so the bits are the same on every platform.

use crate::features::{self, FeatureRow, FEATURE_SET_ID, N_FEATURES};
use crate::shot::Shot;
use core::fmt;
use core::mem::MaybeUninit;

/// First bytes of every model file.
pub const MAGIC: [u8; 8] = *b"XGMODEL\0";
/// The format version this scorer reads and writes.
pub const FORMAT_VERSION: u16 = 1;
/// Deepest tree accepted (root-to-leaf splits). Trees are evaluated as complete binary trees
/// of their own depth, so the depth bounds the padded size.
pub const MAX_DEPTH: usize = 12;
/// Most trees accepted in one model.
pub const MAX_TREES: usize = 100_000;

/// Where a child pointer leads: another split of the same tree or a leaf of the same tree.
/// Indices are local to the tree.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum NodeRef {
    Split(u32),
    Leaf(u32),
}

/// One split of a tree.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Split {
    /// Column in the feature table.
    pub feature: u16,
    /// Rows with `value < threshold` go left.
    pub threshold: f32,
    /// Where a missing (NaN) value goes.
    pub nan_left: bool,
    pub left: NodeRef,
    pub right: NodeRef,
}

/// One tree: its splits (children always have a larger index than their parent), its leaf
/// values and its root.
#[derive(Debug, Clone, PartialEq)]
pub struct Tree {
    pub root: NodeRef,
    pub splits: Vec<Split>,
    pub leaves: Vec<f32>,
}

/// Why model bytes or parts were refused.
#[derive(Debug, Clone, PartialEq)]
pub enum ModelError {
    BadMagic,
    UnsupportedVersion {
        found: u16,
    },
    /// The bytes end before the structure they describe.
    Truncated {
        offset: usize,
        needed: usize,
    },
    /// The model was trained on a different feature table.
    FeatureMismatch {
        expected: Vec<String>,
        found: Vec<String>,
    },
    ChecksumMismatch {
        stored: u32,
        computed: u32,
    },
    /// Structurally impossible content (bad child index, NaN threshold, …).
    Invalid {
        reason: String,
    },
}

impl fmt::Display for ModelError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            ModelError::BadMagic => write!(f, "not an xgoals model file (bad magic bytes)"),
            ModelError::UnsupportedVersion { found } => write!(
                f,
                "model format version {found} is not supported (this scorer reads version {FORMAT_VERSION})"
            ),
            ModelError::Truncated { offset, needed } => write!(
                f,
                "model file truncated: {needed} more bytes needed at offset {offset}"
            ),
            ModelError::FeatureMismatch { expected, found } => write!(
                f,
                "model features do not match the scorer's: scorer has [{}], model has [{}]",
                expected.join(", "),
                found.join(", ")
            ),
            ModelError::ChecksumMismatch { stored, computed } => write!(
                f,
                "model checksum mismatch: stored {stored:#010x}, computed {computed:#010x}"
            ),
            ModelError::Invalid { reason } => write!(f, "invalid model: {reason}"),
        }
    }
}

impl std::error::Error for ModelError {}

fn invalid(reason: impl Into<String>) -> ModelError {
    ModelError::Invalid {
        reason: reason.into(),
    }
}

/// Most padded split slots a model may need. Its evaluation layouts grow with these slots, not
/// with the file (a chain of 12 splits pads to 4,095): at this limit scorer.wasm's memory is
/// about 17 MiB, within the 64 MiB edge-host gives a guest, and loading takes about 77 fuel
/// per slot.
pub const MAX_PADDED_SPLITS: usize = 1 << 21;

/// No valid model file is larger: its trees' splits fit the padded slots (16 bytes each, and a
/// leaf of 4 bytes per slot and tree), each tree adds a 12-byte header, and the header and
/// feature names take far less than 64 KiB. Readers can refuse a larger file unread.
pub const MAX_FILE_BYTES: usize =
    (64 << 10) + MAX_TREES * (12 + 4) + MAX_PADDED_SPLITS * (SPLIT_BYTES + 4);

/// Most distinct thresholds a feature may have for `scorer.wasm`'s vector batch path (it ranks
/// values in 8 bits); a model with more is scored on the portable path in wasm, with the same
/// bits but more slowly. Models from the trainer's default 255 bins stay within it.
pub const WASM_VECTOR_MAX_THRESHOLDS: usize = 254;

/// A split in the evaluation layout is one `u32`: its key above [`SLOT_BITS`] and, below them,
/// the slot of the rank row it reads.
const SLOT_BITS: u32 = 6;
const SLOT_MASK: u32 = (1 << SLOT_BITS) - 1;
/// Slots in a rank row. Slot `f` and slot `NAN_RIGHT + f` both hold feature `f`'s rank and
/// differ only for a missing value: 0 in the first (below every key, so it goes left) and
/// [`MISSING_RIGHT`] in the second (above every key, so it goes right). A split reads the slot
/// its `nan_left` flag picks, so the walk needs no NaN test.
const RANK_SLOTS: usize = 1 << SLOT_BITS;
const NAN_RIGHT: usize = RANK_SLOTS / 2;
/// The rank of a missing value in the `NAN_RIGHT` slots. Also the largest `i32`, so the
/// AVX2 path can compare ranks as signed integers.
const MISSING_RIGHT: u32 = i32::MAX as u32;
const _: () = assert!(N_FEATURES <= NAN_RIGHT);
// Keys are at most one more than the number of splits, so they fit above the slot bits and
// stay below `MISSING_RIGHT`.
const _: () = assert!((MAX_PADDED_SPLITS + 1) << SLOT_BITS <= u32::MAX as usize);
const _: () = assert!(MAX_PADDED_SPLITS + 1 < MISSING_RIGHT as usize);

/// A feature row as ranks (see [`Cuts`]), one slot per feature and missing-value direction.
type RankRow = [u32; RANK_SLOTS];

/// Per feature, the distinct thresholds of the model's splits in increasing order.
///
/// A value's *rank* is the number of its feature's thresholds at or below it, and a split's
/// *key* is its threshold's position plus one. For any value `v` that is not NaN and any
/// threshold `t` of the same feature, `v < t` exactly when `rank(v) < key(t)`: the thresholds
/// at or below `v` are a prefix of the sorted list, and `t` is outside it exactly when
/// `v < t`. So the walk compares integers and takes the same branch as comparing the floats,
/// bit for bit, including infinities, subnormals and −0.0 (equal to +0.0 under `<`, so the two
/// are one threshold here).
#[derive(Debug, Clone)]
struct Cuts {
    values: Vec<f32>,
    /// Feature `f`'s thresholds are `values[starts[f]..starts[f + 1]]`.
    starts: [u32; N_FEATURES + 1],
}

impl Cuts {
    fn new(trees: &[Tree]) -> Cuts {
        let mut per_feature = vec![Vec::new(); N_FEATURES];
        for s in trees.iter().flat_map(|t| &t.splits) {
            per_feature[s.feature as usize].push(s.threshold);
        }
        let mut values = Vec::new();
        let mut starts = [0u32; N_FEATURES + 1];
        for (f, mut v) in per_feature.into_iter().enumerate() {
            // No threshold is NaN (validated), so the total order sorts as `<` does except
            // that it puts −0.0 just before +0.0, where deduplicating with `==` merges them.
            v.sort_unstable_by(f32::total_cmp);
            v.dedup_by(|a, b| a == b);
            values.extend_from_slice(&v);
            starts[f + 1] = values.len() as u32;
        }
        Cuts { values, starts }
    }

    /// The most thresholds any one feature has.
    #[cfg_attr(
        not(any(target_arch = "x86_64", target_arch = "wasm32")),
        allow(dead_code)
    )]
    fn max_len(&self) -> usize {
        self.starts
            .windows(2)
            .map(|w| (w[1] - w[0]) as usize)
            .max()
            .unwrap_or(0)
    }

    fn of(&self, feature: usize) -> &[f32] {
        &self.values[self.starts[feature] as usize..self.starts[feature + 1] as usize]
    }

    /// The key of a split on `feature` at `threshold` (one of the feature's thresholds).
    fn key(&self, feature: usize, threshold: f32) -> u32 {
        self.of(feature).partition_point(|&c| c < threshold) as u32 + 1
    }

    /// The rank rows of `R` feature rows.
    #[inline(always)]
    fn ranks<const R: usize>(&self, rows: &[FeatureRow; R]) -> [RankRow; R] {
        let mut out = [[0u32; RANK_SLOTS]; R];
        self.ranks_with(rows, |f, r, left, right| {
            out[r][f] = left;
            out[r][NAN_RIGHT + f] = right;
        });
        out
    }

    /// Ranks `R` feature rows and hands each feature `f` of each row `r` to `put(f, r, left,
    /// right)`: the ranks for slot `f` and slot `NAN_RIGHT + f` (they differ only for a missing
    /// value). The binary searches of one feature take the same steps for every row, so the
    /// rows go through them in lock-step: `R` independent loads in flight instead of one chain.
    #[inline(always)]
    // `f` picks a column of every row and the cuts of that column; no iterator says that more
    // plainly.
    #[allow(clippy::needless_range_loop)]
    fn ranks_with<const R: usize>(
        &self,
        rows: &[FeatureRow; R],
        mut put: impl FnMut(usize, usize, u32, u32),
    ) {
        for f in 0..N_FEATURES {
            let cuts = self.of(f);
            // Everything before `base` is <= the value, everything from `base + size` on is
            // above it (for NaN the result is not used).
            let mut base = [0usize; R];
            let mut size = cuts.len();
            if size > 0 {
                while size > 1 {
                    let half = size / 2;
                    for r in 0..R {
                        // SAFETY: half < size and base + size ≤ cuts.len() throughout (each
                        // step moves base up by at most half and shrinks size by half).
                        let c = unsafe { *cuts.get_unchecked(base[r] + half) };
                        // Arithmetic rather than a branch: the outcome is a coin flip.
                        base[r] += half & ((c <= rows[r][f]) as usize).wrapping_neg();
                    }
                    size -= half;
                }
                for r in 0..R {
                    // SAFETY: size is 1 here, so base < base + size ≤ cuts.len().
                    let c = unsafe { *cuts.get_unchecked(base[r]) };
                    base[r] += (c <= rows[r][f]) as usize;
                }
            }
            for r in 0..R {
                let (left, right) = if rows[r][f].is_nan() {
                    (0, MISSING_RIGHT)
                } else {
                    (base[r] as u32, base[r] as u32)
                };
                put(f, r, left, right);
            }
        }
    }

    /// The rank row of one feature row, written into `out`, which it returns initialised.
    ///
    /// Each slot is written once, with no zeroing pass first and no copy after: in wasm a
    /// zeroed or copied row is a `memory.fill` or `memory.copy`, which wasmtime runs as calls
    /// into the runtime (about 2 % of a one-shot call to `scorer.wasm`).
    #[inline(always)]
    fn rank_row_into<'a>(
        &self,
        row: &FeatureRow,
        out: &'a mut MaybeUninit<RankRow>,
    ) -> &'a RankRow {
        let slots = out.as_mut_ptr().cast::<u32>();
        // No split reads these slots, but every slot of a `RankRow` must hold a value.
        for s in (N_FEATURES..NAN_RIGHT).chain(NAN_RIGHT + N_FEATURES..RANK_SLOTS) {
            // SAFETY: s < RANK_SLOTS, inside `out`.
            unsafe { slots.add(s).write(0) };
        }
        self.ranks_with(core::array::from_ref(row), |f, _, left, right| {
            // SAFETY: f < N_FEATURES ≤ NAN_RIGHT, so both slots are inside `out`.
            unsafe {
                slots.add(f).write(left);
                slots.add(NAN_RIGHT + f).write(right);
            }
        });
        // SAFETY: the loop wrote the slots N_FEATURES..NAN_RIGHT and NAN_RIGHT + N_FEATURES..
        // RANK_SLOTS, and `ranks_with` calls `put` once for every feature f < N_FEATURES,
        // which wrote f and NAN_RIGHT + f: together, every slot.
        unsafe { out.assume_init_ref() }
    }
}

/// One tree in the evaluation layout: a complete binary tree of depth `depth` stored
/// breadth-first (the children of slot `i` are `2i + 1` and `2i + 2`), so a walk is `depth`
/// steps of arithmetic with no child pointers and no leaf tests. A leaf above the bottom level
/// is replicated into every bottom slot below it (the splits above those copies are
/// placeholders), so every path of `depth` steps ends on the right value.
#[derive(Debug, Clone, Copy)]
struct EvalTree {
    node_off: usize,
    leaf_off: usize,
    depth: u32,
}

impl EvalTree {
    fn n_splits(&self) -> usize {
        (1usize << self.depth) - 1
    }
}

/// A validated, ready-to-evaluate model.
#[derive(Debug, Clone)]
pub struct Model {
    base_score: f32,
    trees: Vec<Tree>,
    eval: Vec<EvalTree>,
    /// Per padded split: `key << SLOT_BITS | slot`.
    nodes: Vec<u32>,
    leaves: Vec<f32>,
    cuts: Cuts,
    /// The AVX2 evaluator's copy of `nodes` (empty when it cannot run this model).
    #[cfg(target_arch = "x86_64")]
    wide: vector::Wide,
    /// The one-shot vector evaluator's layout (empty when it cannot run this model).
    #[cfg(all(target_arch = "wasm32", feature = "relaxed-simd"))]
    lanes: lanes::Lanes,
    /// The wasm block evaluator's layout (empty when it cannot run this model).
    #[cfg(target_arch = "wasm32")]
    planes: planes::Planes,
}

/// One tree's slice of the evaluation layout while it is being filled.
struct TreeLayout<'a> {
    depth: u32,
    cuts: &'a Cuts,
    nodes: &'a mut [u32],
    leaves: &'a mut [f32],
}

impl TreeLayout<'_> {
    /// Writes `node` of `tree` at `slot` (on `level`) of the complete layout.
    fn fill(&mut self, tree: &Tree, node: NodeRef, slot: usize, level: u32) {
        match node {
            NodeRef::Split(i) => {
                let s = &tree.splits[i as usize];
                let f = s.feature as usize;
                let row_slot = if s.nan_left { f } else { NAN_RIGHT + f };
                self.nodes[slot] = self.cuts.key(f, s.threshold) << SLOT_BITS | row_slot as u32;
                self.fill(tree, s.left, 2 * slot + 1, level + 1);
                self.fill(tree, s.right, 2 * slot + 2, level + 1);
            }
            NodeRef::Leaf(i) if level == self.depth => {
                self.leaves[slot - self.nodes.len()] = tree.leaves[i as usize];
            }
            leaf => {
                // Placeholder split (slot 0, key 0: always right): both subtrees hold copies
                // of the same leaf, so either way is right.
                self.fill(tree, leaf, 2 * slot + 1, level + 1);
                self.fill(tree, leaf, 2 * slot + 2, level + 1);
            }
        }
    }
}

impl Model {
    /// Validates trees and builds the evaluator. `base_score` is the margin before any tree.
    pub fn new(base_score: f32, trees: Vec<Tree>) -> Result<Model, ModelError> {
        if !within_value_limit(base_score) {
            return Err(invalid(format!(
                "base score {base_score} is not within ±{VALUE_LIMIT}"
            )));
        }
        if trees.len() > MAX_TREES {
            return Err(invalid(format!(
                "{} trees exceed the limit of {MAX_TREES}",
                trees.len()
            )));
        }
        let mut depths = Vec::with_capacity(trees.len());
        let mut padded = 0usize;
        for (t, tree) in trees.iter().enumerate() {
            let depth = validate_tree(tree).map_err(|r| invalid(format!("tree {t}: {r}")))?;
            padded += (1usize << depth) - 1;
            if padded > MAX_PADDED_SPLITS {
                return Err(invalid(format!(
                    "the trees need more than {MAX_PADDED_SPLITS} padded splits to evaluate"
                )));
            }
            depths.push(depth as u32);
        }
        let cuts = Cuts::new(&trees);
        let mut eval = Vec::with_capacity(trees.len());
        let mut nodes = vec![0u32; padded];
        let mut leaves = vec![0f32; padded + trees.len()];
        let (mut node_off, mut leaf_off) = (0, 0);
        for (tree, &depth) in trees.iter().zip(&depths) {
            let e = EvalTree {
                node_off,
                leaf_off,
                depth,
            };
            let n = e.n_splits();
            TreeLayout {
                depth,
                cuts: &cuts,
                nodes: &mut nodes[node_off..node_off + n],
                leaves: &mut leaves[leaf_off..leaf_off + n + 1],
            }
            .fill(tree, tree.root, 0, 0);
            eval.push(e);
            node_off += n;
            leaf_off += n + 1;
        }
        #[allow(unused_mut)] // only the relaxed-simd wasm build adds to it
        let mut model = Model {
            #[cfg(target_arch = "x86_64")]
            wide: vector::Wide::new::<avx2::Lane>(&nodes, &cuts, avx2::BLOCK),
            #[cfg(all(target_arch = "wasm32", feature = "relaxed-simd"))]
            lanes: lanes::Lanes::default(),
            #[cfg(target_arch = "wasm32")]
            planes: planes::Planes::default(),
            base_score,
            trees,
            eval,
            leaves,
            nodes,
            cuts,
        };
        #[cfg(all(target_arch = "wasm32", feature = "relaxed-simd"))]
        {
            model.lanes = lanes::Lanes::new(&model);
        }
        #[cfg(target_arch = "wasm32")]
        {
            model.planes = planes::Planes::new(&model);
        }
        Ok(model)
    }

    /// The leaf value a rank row reaches in tree `e`.
    #[inline(always)]
    fn walk(&self, e: &EvalTree, ranks: &RankRow) -> f32 {
        let n = e.n_splits();
        let nodes = &self.nodes[e.node_off..e.node_off + n];
        let leaves = &self.leaves[e.leaf_off..e.leaf_off + n + 1];
        let mut i = 0usize;
        for _ in 0..e.depth {
            // SAFETY: after k < depth steps i ≤ 2^(k+1) − 2 < 2^depth − 1 = n, the length
            // of `nodes` (the layout is built complete by `Model::new`).
            let node = unsafe { *nodes.get_unchecked(i) };
            let go_left = ranks[(node & SLOT_MASK) as usize] < node >> SLOT_BITS;
            i = 2 * i + 2 - go_left as usize;
        }
        // SAFETY: after `depth` steps n ≤ i ≤ 2n, and `leaves` has n + 1 entries.
        unsafe { *leaves.get_unchecked(i - n) }
    }

    pub fn base_score(&self) -> f32 {
        self.base_score
    }

    pub fn trees(&self) -> &[Tree] {
        &self.trees
    }

    /// Depth of the deepest tree.
    pub fn max_depth(&self) -> usize {
        self.eval
            .iter()
            .map(|e| e.depth as usize)
            .max()
            .unwrap_or(0)
    }

    /// The raw margin (log-odds) for one feature row.
    pub fn margin(&self, row: &FeatureRow) -> f32 {
        let mut ranks = MaybeUninit::uninit();
        #[cfg(all(target_arch = "wasm32", feature = "relaxed-simd"))]
        if self.lanes.ready() {
            // SAFETY: the layout is ready.
            return unsafe { lanes::margin(self, row) };
        }
        let ranks = self.cuts.rank_row_into(row, &mut ranks);
        let mut sum = self.base_score;
        // Independent walks in flight; their leaves are added in tree order.
        const IN_FLIGHT: usize = 8;
        let mut chunks = self.eval.chunks_exact(IN_FLIGHT);
        for c in &mut chunks {
            let depth = c[0].depth;
            let leaves: [f32; IN_FLIGHT] = if c.iter().all(|e| e.depth == depth) {
                // The common case (trees of one depth): one loop steps all walks together.
                let nodes: [&[u32]; IN_FLIGHT] =
                    core::array::from_fn(|k| &self.nodes[c[k].node_off..][..c[k].n_splits()]);
                let mut idx = [0usize; IN_FLIGHT];
                for _ in 0..depth {
                    for k in 0..IN_FLIGHT {
                        // SAFETY: as in `walk`: idx < n before the last step.
                        let node = unsafe { *nodes[k].get_unchecked(idx[k]) };
                        let go_left = ranks[(node & SLOT_MASK) as usize] < node >> SLOT_BITS;
                        idx[k] = 2 * idx[k] + 2 - go_left as usize;
                    }
                }
                core::array::from_fn(|k| {
                    let n = nodes[k].len();
                    let leaves = &self.leaves[c[k].leaf_off..][..n + 1];
                    // SAFETY: as in `walk`: n ≤ idx ≤ 2n after `depth` steps.
                    unsafe { *leaves.get_unchecked(idx[k] - n) }
                })
            } else {
                core::array::from_fn(|k| self.walk(&c[k], ranks))
            };
            for x in leaves {
                sum += x;
            }
        }
        for e in chunks.remainder() {
            sum += self.walk(e, ranks);
        }
        sum
    }

    /// Tree `t`'s contribution to the margin of a row (staged prediction: the margin after
    /// `k` trees is the base score plus the first `k` contributions, added in order).
    ///
    /// A direct walk of the file's tree, comparing floats: cheaper than ranking the whole row
    /// for one tree, and the same route (the ranks compare as the floats do).
    ///
    /// # Panics
    /// If `t` is not below the number of trees.
    pub fn tree_value(&self, t: usize, row: &FeatureRow) -> f32 {
        let tree = &self.trees[t];
        let mut r = tree.root;
        while let NodeRef::Split(i) = r {
            let s = &tree.splits[i as usize];
            let v = row[s.feature as usize];
            r = if v < s.threshold || (v.is_nan() && s.nan_left) {
                s.left
            } else {
                s.right
            };
        }
        match r {
            NodeRef::Leaf(l) => tree.leaves[l as usize],
            NodeRef::Split(_) => unreachable!("the loop ends on a leaf"),
        }
    }

    /// The probability of a goal for one feature row.
    pub fn predict(&self, row: &FeatureRow) -> f32 {
        logistic(self.margin(row))
    }

    /// The probability of a goal for one shot.
    pub fn score(&self, shot: &Shot) -> f32 {
        self.predict(&features::extract(shot))
    }

    /// Probabilities for many rows; bit-identical to calling [`Model::predict`] on each.
    ///
    /// On x86-64 CPUs with AVX2 and in wasm (simd128) blocks of rows go through a vector
    /// evaluator (see the `avx2` and `planes` modules); the rest, and other targets,
    /// take [`Model::predict_batch_portable`].
    ///
    /// # Panics
    /// If `out` is shorter than `rows`.
    pub fn predict_batch(&self, rows: &[FeatureRow], out: &mut [f32]) {
        assert!(out.len() >= rows.len(), "output shorter than input");
        #[cfg(target_arch = "wasm32")]
        if self.planes.ready() {
            // SAFETY: the layout is ready.
            let done = unsafe { planes::predict_blocks(self, rows, out) };
            return self.predict_batch_portable(&rows[done..], &mut out[done..]);
        }
        #[cfg(target_arch = "x86_64")]
        if self.wide.ready(&self.nodes) && avx2::available() {
            // SAFETY: the CPU has AVX2 (`available`), and the ranks fit in 16 bits (`ready`).
            let done = unsafe { avx2::predict_blocks(self, rows, out) };
            return self.predict_batch_portable(&rows[done..], &mut out[done..]);
        }
        self.predict_batch_portable(rows, out)
    }

    /// [`Model::predict_batch`] without target-specific code: the reference for the vector
    /// paths, what targets without one run, and what takes the rows after the last whole
    /// vector block. Rows go through each tree eight at a time so several independent walks
    /// are in flight.
    ///
    /// # Panics
    /// If `out` is shorter than `rows`.
    pub fn predict_batch_portable(&self, rows: &[FeatureRow], out: &mut [f32]) {
        assert!(out.len() >= rows.len(), "output shorter than input");
        const LANES: usize = 8;
        let mut blocks = rows.chunks_exact(LANES);
        let mut outs = out.chunks_exact_mut(LANES);
        for (block, o) in (&mut blocks).zip(&mut outs) {
            let ranks: [RankRow; LANES] = self.cuts.ranks(block.try_into().expect("LANES rows"));
            let mut sums = [self.base_score; LANES];
            for e in &self.eval {
                let n = e.n_splits();
                let nodes = &self.nodes[e.node_off..e.node_off + n];
                let mut idx = [0usize; LANES];
                for _ in 0..e.depth {
                    for lane in 0..LANES {
                        let i = idx[lane];
                        // SAFETY: as in `walk`: i < n before the last step.
                        let node = unsafe { *nodes.get_unchecked(i) };
                        let go_left = ranks[lane][(node & SLOT_MASK) as usize] < node >> SLOT_BITS;
                        idx[lane] = 2 * i + 2 - go_left as usize;
                    }
                }
                let leaves = &self.leaves[e.leaf_off..e.leaf_off + n + 1];
                for lane in 0..LANES {
                    // SAFETY: as in `walk`: n ≤ idx ≤ 2n after `depth` steps.
                    sums[lane] += unsafe { *leaves.get_unchecked(idx[lane] - n) };
                }
            }
            for lane in 0..LANES {
                o[lane] = logistic(sums[lane]);
            }
        }
        let rest = blocks.remainder();
        let rest_out = &mut out[rows.len() - rest.len()..rows.len()];
        for (row, o) in rest.iter().zip(rest_out) {
            *o = self.predict(row);
        }
    }

    /// Parses and validates a model file.
    pub fn parse(bytes: &[u8]) -> Result<Model, ModelError> {
        if bytes.len() > MAX_FILE_BYTES {
            return Err(invalid(format!(
                "{} bytes, more than any valid model ({MAX_FILE_BYTES})",
                bytes.len()
            )));
        }
        let mut r = Reader { bytes, pos: 0 };
        if r.take(MAGIC.len())? != MAGIC {
            return Err(ModelError::BadMagic);
        }
        let version = r.u16()?;
        if version != FORMAT_VERSION {
            return Err(ModelError::UnsupportedVersion { found: version });
        }
        let flags = r.u16()?;
        if flags != 0 {
            return Err(invalid(format!("unknown header flags {flags:#06x}")));
        }
        let set_id = r.u64()?;
        let n_features = r.u16()? as usize;
        // Each name takes at least its length byte.
        r.need(n_features)?;
        let mut names = Vec::with_capacity(n_features.min(N_FEATURES + 1));
        for _ in 0..n_features {
            let len = r.u8()? as usize;
            let name = r.take(len)?;
            // One more name than the scorer's is enough to tell a mismatch (the error shows
            // them); keeping tens of thousands would cost memory for nothing.
            if names.len() <= N_FEATURES {
                names.push(String::from_utf8_lossy(name).into_owned());
            }
        }
        let expected: Vec<String> = features::names().map(String::from).collect();
        if names != expected || set_id != FEATURE_SET_ID {
            return Err(ModelError::FeatureMismatch {
                expected,
                found: names,
            });
        }
        let base_score = r.f32()?;
        let n_trees = r.u32()? as usize;
        if n_trees > MAX_TREES {
            return Err(invalid(format!(
                "{n_trees} trees exceed the limit of {MAX_TREES}"
            )));
        }
        // The smallest tree is a header of 12 bytes and one leaf.
        r.need(n_trees.saturating_mul(MIN_TREE_BYTES))?;
        let mut trees = Vec::with_capacity(n_trees);
        for _ in 0..n_trees {
            let n_splits = r.u32()? as usize;
            let n_leaves = r.u32()? as usize;
            let root = decode_ref(r.u32()?);
            r.need(n_splits.saturating_mul(SPLIT_BYTES))?;
            let mut splits = Vec::with_capacity(n_splits);
            for _ in 0..n_splits {
                let feature = r.u16()?;
                let split_flags = r.u8()?;
                let reserved = r.u8()?;
                if split_flags & !1 != 0 || reserved != 0 {
                    return Err(invalid(format!(
                        "split at offset {} has unknown flags",
                        r.pos - 2
                    )));
                }
                splits.push(Split {
                    feature,
                    nan_left: split_flags & 1 != 0,
                    threshold: r.f32()?,
                    left: decode_ref(r.u32()?),
                    right: decode_ref(r.u32()?),
                });
            }
            r.need(n_leaves.saturating_mul(4))?;
            let leaves = (0..n_leaves).map(|_| r.f32()).collect::<Result<_, _>>()?;
            trees.push(Tree {
                root,
                splits,
                leaves,
            });
        }
        let body_end = r.pos;
        let stored = r.u32()?;
        if r.pos != bytes.len() {
            return Err(invalid(format!(
                "{} unexpected bytes after the checksum",
                bytes.len() - r.pos
            )));
        }
        let computed = crc32(&bytes[..body_end]);
        if stored != computed {
            return Err(ModelError::ChecksumMismatch { stored, computed });
        }
        Model::new(base_score, trees)
    }

    /// Writes the model file.
    pub fn to_bytes(&self) -> Vec<u8> {
        let mut b = Vec::new();
        b.extend_from_slice(&MAGIC);
        b.extend_from_slice(&FORMAT_VERSION.to_le_bytes());
        b.extend_from_slice(&0u16.to_le_bytes());
        b.extend_from_slice(&FEATURE_SET_ID.to_le_bytes());
        b.extend_from_slice(&(N_FEATURES as u16).to_le_bytes());
        for name in features::names() {
            b.push(name.len() as u8);
            b.extend_from_slice(name.as_bytes());
        }
        b.extend_from_slice(&self.base_score.to_le_bytes());
        b.extend_from_slice(&(self.trees.len() as u32).to_le_bytes());
        for t in &self.trees {
            b.extend_from_slice(&(t.splits.len() as u32).to_le_bytes());
            b.extend_from_slice(&(t.leaves.len() as u32).to_le_bytes());
            b.extend_from_slice(&encode_ref(t.root).to_le_bytes());
            for s in &t.splits {
                b.extend_from_slice(&s.feature.to_le_bytes());
                b.push(s.nan_left as u8);
                b.push(0);
                b.extend_from_slice(&s.threshold.to_le_bytes());
                b.extend_from_slice(&encode_ref(s.left).to_le_bytes());
                b.extend_from_slice(&encode_ref(s.right).to_le_bytes());
            }
            for v in &t.leaves {
                b.extend_from_slice(&v.to_le_bytes());
            }
        }
        let crc = crc32(&b);
        b.extend_from_slice(&crc.to_le_bytes());
        b
    }
}

/// Margins are limited to ±this before the link, so a probability is never exactly 0 or 1
/// in `f32` (the link saturates to 1.0 near a margin of 17).
pub const MARGIN_LIMIT: f32 = 15.0;

/// Largest absolute leaf value or base score accepted; with [`MAX_TREES`] it keeps every sum
/// finite.
pub const VALUE_LIMIT: f32 = 1000.0;

/// Finite and within ±[`VALUE_LIMIT`] (false for NaN).
fn within_value_limit(v: f32) -> bool {
    (-VALUE_LIMIT..=VALUE_LIMIT).contains(&v)
}

/// The logistic link: `1 / (1 + expf(-m))` with `m` the margin limited to ±[`MARGIN_LIMIT`],
/// through `libm` for identical bits everywhere.
pub fn logistic(margin: f32) -> f32 {
    let m = margin.clamp(-MARGIN_LIMIT, MARGIN_LIMIT);
    1.0 / (1.0 + libm::expf(-m))
}

/// The AVX2 evaluator (x86-64 only, chosen at run time). The portable code above is the
/// reference: the tests compare the two bit for bit.
///
/// Gathers are slow on the CPUs this runs on (AMD Zen 3: no faster than scalar loads), so the
/// walk uses none. Ranks are 16-bit here (models whose features have at most 32,766 distinct
/// thresholds each, see [`vector::Lane`]), so one register holds sixteen rows, and a block is
/// 64 rows. Instead of walking, a tree is
/// evaluated bottom-up for all rows at once: every split is compared for every row (one
/// broadcast of its key, one compare against its rank slot per sixteen rows), a split above
/// the bottom level picks, per row, between the results of its two subtrees with a blend, and
/// the root's result is each row's leaf position. A depth-6 tree costs 63 compares, 31 blends
/// and 32 adds per sixteen rows and no dependent loads; the leaf values then come from one
/// gather per eight rows. Trees deeper than [`vector::MAX_DEPTH`] (whose cost would double per
/// level) are walked by the scalar code, row by row, inside the same block.
#[cfg(target_arch = "x86_64")]
mod avx2 {
    use super::vector::{RowRanks, MAX_DEPTH};
    use super::{FeatureRow, Model};
    use core::arch::x86_64::*;

    /// Sixteen-row vectors per block.
    const VECS: usize = 4;
    /// Rows per block.
    pub(super) const BLOCK: usize = 16 * VECS;
    /// The rank lanes: sixteen rows to a register.
    pub(super) type Lane = i16;

    /// Whether this CPU can run the evaluator.
    pub(super) fn available() -> bool {
        std::is_x86_feature_detected!("avx2")
    }

    /// Ranks of a block, slot-major: `ranks[slot * BLOCK + row]`.
    type BlockRanks = [Lane];
    /// One all-ones/all-zeros 16-bit lane per row of the block.
    type Masks = [__m256i; VECS];

    /// [`super::vector::predict_blocks`] through this evaluator, compiled for AVX2 as a whole
    /// (the ranking of the rows too: ranking outside AVX2 code made the block path 1.7× slower
    /// in a quick A/B).
    ///
    /// # Safety
    /// The CPU must support AVX2, and the model's vector layout must be ready.
    #[target_feature(enable = "avx2")]
    pub(super) unsafe fn predict_blocks(m: &Model, rows: &[FeatureRow], out: &mut [f32]) -> usize {
        super::vector::predict_blocks(m, rows, out, |ranks, row_ranks| {
            // SAFETY: as this function's caller guarantees.
            unsafe { margins(m, ranks, row_ranks) }
        })
    }

    /// The compare of the split at `node` for every row: all-ones where the row goes left.
    ///
    /// # Safety
    /// AVX2; `node` points at a split of the layout.
    #[inline(always)]
    unsafe fn compare(node: *const [u32; 2], ranks: &BlockRanks) -> Masks {
        // SAFETY: `node` is valid (caller); its second word is a byte offset of a slot's
        // BLOCK ranks (see `Wide::new`).
        unsafe {
            let [key, at] = *node;
            let key = _mm256_set1_epi32(key as i32);
            let at = ranks.as_ptr().cast::<u8>().add(at as usize);
            core::array::from_fn(|v| {
                let r = _mm256_loadu_si256(at.add(32 * v).cast());
                _mm256_cmpgt_epi16(key, r)
            })
        }
    }

    /// For the split at breadth-first index `i` directly above the bottom level, whose first
    /// split on that level is `bottom`: the bottom-level position of the leaf each row reaches
    /// (left leaf `2(i − bottom)`, right leaf one more).
    ///
    /// # Safety
    /// AVX2; split `i` of `nodes` exists.
    #[inline(always)]
    unsafe fn subtree_1(
        nodes: *const [u32; 2],
        i: usize,
        bottom: usize,
        ranks: &BlockRanks,
    ) -> Masks {
        // SAFETY: as the caller guarantees.
        let left = unsafe { compare(nodes.add(i), ranks) };
        let right_pos = _mm256_set1_epi16((2 * (i - bottom) + 1) as i16);
        // right position + (−1 where the row goes left)
        core::array::from_fn(|v| _mm256_add_epi16(right_pos, left[v]))
    }

    /// `subtree_h(nodes, i, bottom, ranks)`: as [`subtree_1`] for a split `h` levels above the
    /// bottom: both subtrees are evaluated for every row, and the row's own decision at `i`
    /// picks one. A whole tree is one call with `i = 0`, fully unrolled, with at most one
    /// finished left subtree waiting per level, so the values stay in registers.
    macro_rules! subtree {
        ($name:ident, $below:ident) => {
            /// # Safety
            /// AVX2; the splits of the subtree under `i` exist.
            #[inline(always)]
            unsafe fn $name(
                nodes: *const [u32; 2],
                i: usize,
                bottom: usize,
                ranks: &BlockRanks,
            ) -> Masks {
                // SAFETY: the children and `i` are splits of the subtree (caller).
                let (l, r, left) = unsafe {
                    (
                        $below(nodes, 2 * i + 1, bottom, ranks),
                        $below(nodes, 2 * i + 2, bottom, ranks),
                        compare(nodes.add(i), ranks),
                    )
                };
                core::array::from_fn(|v| _mm256_blendv_epi8(r[v], l[v], left[v]))
            }
        };
    }
    subtree!(subtree_2, subtree_1);
    subtree!(subtree_3, subtree_2);
    subtree!(subtree_4, subtree_3);
    subtree!(subtree_5, subtree_4);
    subtree!(subtree_6, subtree_5);

    /// The margins of a block. Row `16v + l` is lane `l` of vector `v`, and each row adds its
    /// leaves in tree order, so every row's sum is the scalar sum.
    ///
    /// # Safety
    /// AVX2, and every key and rank of `m` fits [`Lane`] (the layout is ready).
    #[target_feature(enable = "avx2")]
    unsafe fn margins(
        m: &Model,
        ranks: &BlockRanks,
        row_ranks: &mut RowRanks<BLOCK>,
    ) -> [f32; BLOCK] {
        let mut sums = [_mm256_set1_ps(m.base_score); 2 * VECS];
        for e in &m.eval {
            let n = e.n_splits();
            if e.depth > MAX_DEPTH {
                let row_ranks = row_ranks.get();
                let leaves: [f32; BLOCK] = core::array::from_fn(|r| m.walk(e, &row_ranks[r]));
                for (k, s) in sums.iter_mut().enumerate() {
                    // SAFETY: `leaves` has 8 floats from 8k on.
                    *s = _mm256_add_ps(*s, unsafe { _mm256_loadu_ps(leaves.as_ptr().add(8 * k)) });
                }
                continue;
            }
            let nodes = m.wide.0[e.node_off..e.node_off + n].as_ptr();
            let bottom = n / 2;
            // The bottom-level position of each row's leaf.
            // SAFETY: `nodes` has the n = 2^depth − 1 splits of a complete tree of this depth.
            let pos: Masks = unsafe {
                match e.depth {
                    0 => [_mm256_setzero_si256(); VECS],
                    1 => subtree_1(nodes, 0, bottom, ranks),
                    2 => subtree_2(nodes, 0, bottom, ranks),
                    3 => subtree_3(nodes, 0, bottom, ranks),
                    4 => subtree_4(nodes, 0, bottom, ranks),
                    5 => subtree_5(nodes, 0, bottom, ranks),
                    _ => subtree_6(nodes, 0, bottom, ranks),
                }
            };
            let leaves = m.leaves[e.leaf_off..e.leaf_off + n + 1].as_ptr();
            for v in 0..VECS {
                let halves = [
                    _mm256_castsi256_si128(pos[v]),
                    _mm256_extracti128_si256::<1>(pos[v]),
                ];
                for (h, half) in halves.into_iter().enumerate() {
                    let pos = _mm256_cvtepi16_epi32(half);
                    // SAFETY: positions are below 2^depth = n + 1, the number of leaves.
                    let leaf = unsafe { _mm256_i32gather_ps::<4>(leaves, pos) };
                    sums[2 * v + h] = _mm256_add_ps(sums[2 * v + h], leaf);
                }
            }
        }
        let mut out = [0f32; BLOCK];
        for (k, s) in sums.iter().enumerate() {
            // SAFETY: `out` has 8 floats from 8k on.
            unsafe { _mm256_storeu_ps(out.as_mut_ptr().add(8 * k), *s) };
        }
        out
    }
}

/// What the vector evaluators share: the deepest tree they evaluate with vectors, and ranks
/// and keys in narrow signed lanes ([`vector::Lane`]: 16-bit for `avx2`, 8-bit for scorer.wasm's
/// one-shot evaluator `lanes`). For `avx2`, also the layout of a block: the ranks of its rows
/// stored slot-major, each split as a `[u32; 2]` (its key repeated in every lane of the first
/// word, so one broadcast puts it in every lane; the byte offset of its slot's ranks in the
/// block in the second), and the loop over whole blocks.
#[cfg(any(target_arch = "x86_64", target_arch = "wasm32"))]
mod vector {
    #[cfg(any(target_arch = "x86_64", feature = "relaxed-simd"))]
    use super::MISSING_RIGHT;
    #[cfg(target_arch = "x86_64")]
    use super::{logistic, Cuts, FeatureRow, Model, RankRow, NAN_RIGHT, RANK_SLOTS};
    #[cfg(target_arch = "x86_64")]
    use super::{SLOT_BITS, SLOT_MASK};

    /// Deepest tree evaluated with vectors; deeper ones take the scalar walk in their place
    /// (the bottom-up cost doubles per level).
    pub(super) const MAX_DEPTH: u32 = 6;

    /// A rank or key in one vector lane. Compares are signed (the only kind both instruction
    /// sets have for every width), so every key, every rank and the missing-right rank map to
    /// lanes whose signed order is their order as integers.
    #[cfg(any(target_arch = "x86_64", feature = "relaxed-simd"))]
    pub(super) trait Lane: Copy + Default {
        /// Most distinct thresholds per feature: keys and ranks (both at most the feature's
        /// number of thresholds) then stay below the missing-right rank's lane.
        const MAX_CUTS: usize;
        /// The lane of a rank of at most [`Lane::MAX_CUTS`], or of [`MISSING_RIGHT`].
        fn of_rank(rank: u32) -> Self;
        /// A split's key (at most [`Lane::MAX_CUTS`]) in every lane of a 32-bit word.
        fn key_word(key: u32) -> u32;
    }

    /// 16-bit lanes: integers as they are; the missing-right rank is `i16::MAX`.
    #[cfg(target_arch = "x86_64")]
    impl Lane for i16 {
        const MAX_CUTS: usize = i16::MAX as usize - 1;
        fn of_rank(rank: u32) -> i16 {
            if rank == MISSING_RIGHT {
                i16::MAX
            } else {
                rank as i16
            }
        }
        fn key_word(key: u32) -> u32 {
            key << 16 | key
        }
    }

    const _: () = assert!(super::WASM_VECTOR_MAX_THRESHOLDS < u8::MAX as usize);

    /// 8-bit lanes: `0..=255` shifted down by 128; the missing-right rank is 255 (`i8::MAX`).
    /// Models from the trainer fit: it bins every feature into at most 255 bins, so a feature
    /// has at most 254 thresholds.
    #[cfg(all(target_arch = "wasm32", feature = "relaxed-simd"))]
    impl Lane for i8 {
        const MAX_CUTS: usize = super::WASM_VECTOR_MAX_THRESHOLDS;
        fn of_rank(rank: u32) -> i8 {
            if rank == MISSING_RIGHT {
                i8::MAX
            } else {
                (rank as u8 ^ 0x80) as i8
            }
        }
        fn key_word(key: u32) -> u32 {
            u32::from_ne_bytes([key as u8 ^ 0x80; 4])
        }
    }

    /// The splits in the block evaluator's form (see the module documentation), breadth-first
    /// as in `Model::nodes`; empty when a feature has more thresholds than the evaluator's
    /// lanes can rank.
    #[cfg(target_arch = "x86_64")]
    #[derive(Debug, Clone)]
    pub(super) struct Wide(pub(super) Vec<[u32; 2]>);

    #[cfg(target_arch = "x86_64")]
    impl Wide {
        /// The layout for an evaluator with lanes `L` and blocks of `block_rows` rows.
        pub(super) fn new<L: Lane>(nodes: &[u32], cuts: &Cuts, block_rows: usize) -> Wide {
            if cuts.max_len() > L::MAX_CUTS {
                return Wide(Vec::new());
            }
            let slot_bytes = (block_rows * core::mem::size_of::<L>()) as u32;
            let wide = |n: u32| [L::key_word(n >> SLOT_BITS), (n & SLOT_MASK) * slot_bytes];
            Wide(nodes.iter().map(|&n| wide(n)).collect())
        }

        /// Whether the model fits the vector evaluators.
        pub(super) fn ready(&self, nodes: &[u32]) -> bool {
            self.0.len() == nodes.len()
        }
    }

    /// The rank rows of a block, computed on first use: only trees deeper than [`MAX_DEPTH`]
    /// (walked row by row) need them.
    #[cfg(target_arch = "x86_64")]
    pub(super) struct RowRanks<'a, const BLOCK: usize> {
        cuts: &'a Cuts,
        rows: &'a [FeatureRow; BLOCK],
        ranks: Option<Box<[RankRow; BLOCK]>>,
    }

    #[cfg(target_arch = "x86_64")]
    impl<const BLOCK: usize> RowRanks<'_, BLOCK> {
        pub(super) fn get(&mut self) -> &[RankRow; BLOCK] {
            self.ranks
                .get_or_insert_with(|| Box::new(self.cuts.ranks(self.rows)))
        }
    }

    /// Scores the first `rows.len() / BLOCK * BLOCK` rows, a block at a time through
    /// `margins(ranks, row_ranks)` (`ranks[slot * BLOCK + row]` in lanes `L`), and returns how
    /// many rows that was. Inlined, so it is compiled with the caller's target features.
    #[cfg(target_arch = "x86_64")]
    #[inline(always)]
    pub(super) fn predict_blocks<const BLOCK: usize, L: Lane>(
        m: &Model,
        rows: &[FeatureRow],
        out: &mut [f32],
        margins: impl Fn(&[L], &mut RowRanks<BLOCK>) -> [f32; BLOCK],
    ) -> usize {
        if rows.len() < BLOCK {
            // One shot per call is common (scorer.wasm's hosts): no buffer for no block.
            return 0;
        }
        // Slots past the features' are never read (no split names them) and stay zero.
        let mut ranks = vec![L::default(); RANK_SLOTS * BLOCK];
        let mut done = 0;
        for (block, o) in rows.chunks_exact(BLOCK).zip(out.chunks_exact_mut(BLOCK)) {
            let block: &[FeatureRow; BLOCK] = block.try_into().expect("BLOCK rows");
            m.cuts.ranks_with(block, |f, r, left, right| {
                ranks[f * BLOCK + r] = L::of_rank(left);
                ranks[(NAN_RIGHT + f) * BLOCK + r] = L::of_rank(right);
            });
            let mut row_ranks = RowRanks {
                cuts: &m.cuts,
                rows: block,
                ranks: None,
            };
            for (o, s) in o.iter_mut().zip(margins(&ranks, &mut row_ranks)) {
                *o = logistic(s);
            }
            done += BLOCK;
        }
        done
    }
}

/// scorer.wasm's one-shot evaluator (sixteen trees to a vector; see the module).
#[cfg(all(target_arch = "wasm32", feature = "relaxed-simd"))]
mod lanes;

/// scorer.wasm's block evaluator (128 rows to a vector, one bit each; see the module).
#[cfg(target_arch = "wasm32")]
mod planes;

const SPLIT_BYTES: usize = 16;
/// A tree's header (split count, leaf count, root) and a single leaf.
const MIN_TREE_BYTES: usize = 12 + 4;
const LEAF_REF_BIT: u32 = 1 << 31;

fn decode_ref(v: u32) -> NodeRef {
    if v & LEAF_REF_BIT != 0 {
        NodeRef::Leaf(v & !LEAF_REF_BIT)
    } else {
        NodeRef::Split(v)
    }
}

fn encode_ref(r: NodeRef) -> u32 {
    match r {
        NodeRef::Split(i) => i,
        NodeRef::Leaf(i) => i | LEAF_REF_BIT,
    }
}

/// Checks a tree's structure and returns its depth (number of splits on the longest path).
fn validate_tree(tree: &Tree) -> Result<usize, String> {
    let n_splits = tree.splits.len();
    let n_leaves = tree.leaves.len();
    if n_leaves == 0 {
        return Err("has no leaves".into());
    }
    if n_leaves != n_splits + 1 {
        return Err(format!(
            "{n_splits} splits need {} leaves, found {n_leaves}",
            n_splits + 1
        ));
    }
    if n_splits >= LEAF_REF_BIT as usize {
        return Err("too many splits".into());
    }
    if let Some(i) = tree.leaves.iter().position(|&v| !within_value_limit(v)) {
        return Err(format!("leaf {i} is not within ±{VALUE_LIMIT}"));
    }
    let check_ref = |from: usize, r: NodeRef| -> Result<(), String> {
        match r {
            NodeRef::Split(i) if (i as usize) <= from || (i as usize) >= n_splits => Err(format!(
                "split {from} points at split {i} (children must come after their parent, below {n_splits})"
            )),
            NodeRef::Leaf(i) if (i as usize) >= n_leaves => {
                Err(format!("split {from} points at missing leaf {i}"))
            }
            _ => Ok(()),
        }
    };
    // Depth below each split; children have larger indices, so walk backwards.
    let mut depth = vec![0usize; n_splits];
    let mut leaf_used = vec![false; n_leaves];
    let mut split_used = vec![false; n_splits];
    for (i, s) in tree.splits.iter().enumerate().rev() {
        if (s.feature as usize) >= N_FEATURES {
            return Err(format!(
                "split {i} uses feature {} of {N_FEATURES}",
                s.feature
            ));
        }
        if s.threshold.is_nan() {
            return Err(format!("split {i} has a NaN threshold"));
        }
        let mut d = 0;
        for child in [s.left, s.right] {
            check_ref(i, child)?;
            match child {
                NodeRef::Split(c) => {
                    if std::mem::replace(&mut split_used[c as usize], true) {
                        return Err(format!("split {c} has two parents"));
                    }
                    d = d.max(depth[c as usize]);
                }
                NodeRef::Leaf(l) => {
                    if std::mem::replace(&mut leaf_used[l as usize], true) {
                        return Err(format!("leaf {l} has two parents"));
                    }
                }
            }
        }
        depth[i] = d + 1;
        if depth[i] > MAX_DEPTH {
            return Err(format!("deeper than {MAX_DEPTH}"));
        }
    }
    match tree.root {
        NodeRef::Split(0) if n_splits > 0 => {
            // Every other split and every leaf must hang below the root exactly once.
            if split_used.iter().skip(1).all(|&u| u) && leaf_used.iter().all(|&u| u) {
                Ok(depth[0])
            } else {
                Err("has nodes that are not reachable from the root".into())
            }
        }
        NodeRef::Leaf(0) if n_splits == 0 => Ok(0),
        r => Err(format!(
            "root must be split 0 (or leaf 0 in a stump), found {r:?}"
        )),
    }
}

struct Reader<'a> {
    bytes: &'a [u8],
    pos: usize,
}

impl<'a> Reader<'a> {
    fn need(&self, n: usize) -> Result<(), ModelError> {
        let available = self.bytes.len() - self.pos;
        if n > available {
            Err(ModelError::Truncated {
                offset: self.pos,
                needed: n - available,
            })
        } else {
            Ok(())
        }
    }
    fn take(&mut self, n: usize) -> Result<&'a [u8], ModelError> {
        self.need(n)?;
        let s = &self.bytes[self.pos..self.pos + n];
        self.pos += n;
        Ok(s)
    }
    fn array<const N: usize>(&mut self) -> Result<[u8; N], ModelError> {
        let s = self.take(N)?;
        let mut a = [0u8; N];
        a.copy_from_slice(s);
        Ok(a)
    }
    fn u8(&mut self) -> Result<u8, ModelError> {
        Ok(self.array::<1>()?[0])
    }
    fn u16(&mut self) -> Result<u16, ModelError> {
        Ok(u16::from_le_bytes(self.array()?))
    }
    fn u32(&mut self) -> Result<u32, ModelError> {
        Ok(u32::from_le_bytes(self.array()?))
    }
    fn u64(&mut self) -> Result<u64, ModelError> {
        Ok(u64::from_le_bytes(self.array()?))
    }
    fn f32(&mut self) -> Result<f32, ModelError> {
        Ok(f32::from_le_bytes(self.array()?))
    }
}

const CRC_TABLE: [u32; 256] = {
    let mut table = [0u32; 256];
    let mut i = 0;
    while i < 256 {
        let mut c = i as u32;
        let mut k = 0;
        while k < 8 {
            c = if c & 1 != 0 {
                0xEDB8_8320 ^ (c >> 1)
            } else {
                c >> 1
            };
            k += 1;
        }
        table[i] = c;
        i += 1;
    }
    table
};

/// CRC-32 (IEEE 802.3, as zlib and PNG use it).
pub fn crc32(bytes: &[u8]) -> u32 {
    let mut c = !0u32;
    for &b in bytes {
        c = CRC_TABLE[((c ^ b as u32) & 0xff) as usize] ^ (c >> 8);
    }
    !c
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A depth-2 tree on distance (feature 0) and is_header (feature 4, NaN goes right).
    fn small_tree() -> Tree {
        Tree {
            root: NodeRef::Split(0),
            splits: vec![
                Split {
                    feature: 0,
                    threshold: 12.0,
                    nan_left: true,
                    left: NodeRef::Split(1),
                    right: NodeRef::Leaf(2),
                },
                Split {
                    feature: 4,
                    threshold: 0.5,
                    nan_left: false,
                    left: NodeRef::Leaf(0),
                    right: NodeRef::Leaf(1),
                },
            ],
            leaves: vec![1.0, -0.5, -2.0],
        }
    }

    fn row(distance: f32, header: f32) -> FeatureRow {
        let mut r = [0.0; N_FEATURES];
        r[0] = distance;
        r[4] = header;
        r
    }

    #[test]
    fn routes_by_threshold_and_missing_flag() {
        let m = Model::new(0.25, vec![small_tree()]).unwrap();
        assert_eq!(m.margin(&row(5.0, 0.0)), 1.25);
        assert_eq!(m.margin(&row(5.0, 1.0)), -0.25);
        assert_eq!(
            m.margin(&row(5.0, f32::NAN)),
            -0.25,
            "NaN header goes right"
        );
        assert_eq!(
            m.margin(&row(f32::NAN, 0.0)),
            1.25,
            "NaN distance goes left"
        );
        assert_eq!(
            m.margin(&row(12.0, 0.0)),
            -1.75,
            "equal to threshold goes right"
        );
        assert_eq!(m.max_depth(), 2);
    }

    #[test]
    fn logistic_is_a_probability() {
        assert_eq!(logistic(0.0), 0.5);
        for m in [-1e9, -20.0, -15.0, 15.0, 20.0, 1e9] {
            let p = logistic(m);
            assert!(p > 0.0 && p < 1.0, "{m} -> {p}");
        }
    }

    #[test]
    fn bytes_round_trip_and_checksum_guards_every_byte() {
        let m = Model::new(-1.5, vec![small_tree(), small_tree()]).unwrap();
        let bytes = m.to_bytes();
        let back = Model::parse(&bytes).unwrap();
        assert_eq!(back.trees(), m.trees());
        assert_eq!(back.base_score(), m.base_score());
        assert_eq!(back.to_bytes(), bytes);
        for cut in 0..bytes.len() {
            assert!(Model::parse(&bytes[..cut]).is_err(), "cut at {cut}");
        }
        // Flip a bit inside a leaf value: only the checksum can tell.
        let mut b = bytes.clone();
        let n = b.len();
        b[n - 6] ^= 0x01;
        assert!(matches!(
            Model::parse(&b),
            Err(ModelError::ChecksumMismatch { .. })
        ));
    }

    #[test]
    fn typed_errors_for_header_problems() {
        let bytes = Model::new(0.0, vec![small_tree()]).unwrap().to_bytes();
        let mut b = bytes.clone();
        b[0] = b'Y';
        assert_eq!(Model::parse(&b).unwrap_err(), ModelError::BadMagic);
        let mut b = bytes.clone();
        b[8] = 2;
        assert_eq!(
            Model::parse(&b).unwrap_err(),
            ModelError::UnsupportedVersion { found: 2 }
        );
        let mut b = bytes.clone();
        b[12] ^= 0xff; // the feature-set id
        assert!(matches!(
            Model::parse(&b).unwrap_err(),
            ModelError::FeatureMismatch { .. }
        ));
        assert!(matches!(
            Model::parse(&bytes[..10]).unwrap_err(),
            ModelError::Truncated { .. }
        ));
    }

    #[test]
    fn rejects_malformed_trees() {
        let mut t = small_tree();
        t.splits[1].left = NodeRef::Split(0);
        assert!(Model::new(0.0, vec![t]).is_err(), "cycle");
        let mut t = small_tree();
        t.splits[1].right = NodeRef::Leaf(0);
        assert!(Model::new(0.0, vec![t]).is_err(), "shared leaf");
        let mut t = small_tree();
        t.splits[0].feature = N_FEATURES as u16;
        assert!(Model::new(0.0, vec![t]).is_err(), "feature out of range");
        let mut t = small_tree();
        t.splits[0].threshold = f32::NAN;
        assert!(Model::new(0.0, vec![t]).is_err(), "NaN threshold");
        let mut t = small_tree();
        t.leaves[0] = f32::INFINITY;
        assert!(Model::new(0.0, vec![t]).is_err(), "infinite leaf");
        assert!(Model::new(f32::NAN, vec![small_tree()]).is_err());
        let stump = Tree {
            root: NodeRef::Leaf(0),
            splits: vec![],
            leaves: vec![0.5],
        };
        let m = Model::new(0.0, vec![stump]).unwrap();
        assert_eq!(m.margin(&row(1.0, 1.0)), 0.5);
    }

    /// A pointer-chasing walk over the file structure: the reference the padded layout must
    /// reproduce bit for bit.
    fn reference_margin(m: &Model, row: &FeatureRow) -> f32 {
        // `tree_value` walks the file's trees by their child pointers (no ranks, no padding).
        (0..m.trees().len()).fold(m.base_score(), |sum, t| sum + m.tree_value(t, row))
    }

    /// A random unbalanced tree of exactly `depth` levels (leaves on every level exercise
    /// the padding), thresholds in [−1, 1].
    fn random_tree(rng: &mut crate::synth::Rng, depth: u32) -> Tree {
        crate::synth::uneven_tree(rng, depth, 0.3, &mut |rng, _| rng.range(-1.0, 1.0))
    }

    #[test]
    fn padded_layout_matches_a_pointer_walk_on_unbalanced_trees() {
        let mut rng = crate::synth::Rng::new(11);
        let trees: Vec<Tree> = (0..40).map(|i| random_tree(&mut rng, 1 + i % 9)).collect();
        let m = Model::new(0.3, trees).unwrap();
        let rows: Vec<FeatureRow> = (0..301)
            .map(|_| {
                core::array::from_fn(|_| {
                    if rng.chance(0.1) {
                        f32::NAN
                    } else {
                        rng.range(-1.2, 1.2)
                    }
                })
            })
            .collect();
        let mut batch = vec![0.0; rows.len()];
        m.predict_batch(&rows, &mut batch);
        for (r, b) in rows.iter().zip(&batch) {
            let want = reference_margin(&m, r);
            assert_eq!(m.margin(r).to_bits(), want.to_bits());
            assert_eq!(b.to_bits(), logistic(want).to_bits());
        }
    }

    #[test]
    fn too_deep_or_too_big_models_are_refused() {
        let mut rng = crate::synth::Rng::new(2);
        let mut deep = random_tree(&mut rng, 1);
        // A chain of MAX_DEPTH + 1 splits.
        deep.splits = (0..=MAX_DEPTH as u32)
            .map(|i| Split {
                feature: 0,
                threshold: 0.0,
                nan_left: false,
                left: NodeRef::Leaf(i),
                right: if i as usize == MAX_DEPTH {
                    NodeRef::Leaf(i + 1)
                } else {
                    NodeRef::Split(i + 1)
                },
            })
            .collect();
        deep.leaves = vec![0.0; MAX_DEPTH + 2];
        deep.root = NodeRef::Split(0);
        assert!(Model::new(0.0, vec![deep]).is_err());
        // Padding, not file size, is what the layouts cost: 512 chains of depth 12 fill the
        // padded slots (2,096,640 of 2,097,152); one chain more is refused, saying why.
        let full = MAX_PADDED_SPLITS / ((1 << MAX_DEPTH) - 1);
        assert_eq!(full, 512);
        assert!(crate::synth::chain_model(3, full, MAX_DEPTH as u32).is_ok());
        let e = crate::synth::chain_model(3, full + 1, MAX_DEPTH as u32).unwrap_err();
        assert!(e.to_string().contains("padded splits"), "{e}");
    }

    #[test]
    fn declared_counts_are_checked_against_the_bytes_before_anything_is_allocated() {
        let bytes = crate::synth::model(1, 3, 2).to_bytes();
        // The tree count sits after magic, version, flags, set id, names and base score.
        let names: usize = features::names().map(|n| 1 + n.len()).sum();
        let at = MAGIC.len() + 2 + 2 + 8 + 2 + names + 4;
        assert_eq!(u32::from_le_bytes(bytes[at..at + 4].try_into().unwrap()), 3);
        let mut huge = bytes.clone();
        huge[at..at + 4].copy_from_slice(&100_000u32.to_le_bytes());
        match Model::parse(&huge) {
            Err(ModelError::Truncated { offset, needed }) => {
                assert_eq!(offset, at + 4);
                assert_eq!(needed, 100_000 * 16 - (bytes.len() - offset));
            }
            other => panic!("{other:?}"),
        }
        // Larger than any valid model: refused before any field is read.
        let e = Model::parse(&vec![0; MAX_FILE_BYTES + 1]).unwrap_err();
        assert!(e.to_string().contains("more than any valid model"), "{e}");
        // 65,535 declared names in a short file: truncated, not 65,535 strings.
        let mut names = bytes[..MAGIC.len() + 12].to_vec();
        names.extend_from_slice(&u16::MAX.to_le_bytes());
        names.extend_from_slice(&[0; 100]);
        assert!(matches!(
            Model::parse(&names),
            Err(ModelError::Truncated { .. })
        ));
    }

    #[test]
    fn crc32_matches_the_reference_check_value() {
        assert_eq!(crc32(b"123456789"), 0xCBF4_3926);
    }

    // Also under wasm32 (in node), where `predict_batch` takes the bit-plane path.
    #[cfg_attr(target_arch = "wasm32", wasm_bindgen_test::wasm_bindgen_test)]
    #[cfg_attr(not(target_arch = "wasm32"), test)]
    fn batch_equals_single_bits() {
        let m = Model::new(0.1, vec![small_tree(), small_tree(), small_tree()]).unwrap();
        let rows: Vec<FeatureRow> = (0..21)
            .map(|i| row(i as f32, if i % 3 == 0 { f32::NAN } else { (i % 2) as f32 }))
            .collect();
        let mut out = vec![0.0; rows.len()];
        m.predict_batch(&rows, &mut out);
        for (r, o) in rows.iter().zip(&out) {
            assert_eq!(o.to_bits(), m.predict(r).to_bits());
        }
    }

    /// Values where float and rank comparisons could part ways: signed zeros, subnormals,
    /// infinities, the extremes, neighbours of 1.0, and repeats.
    const EDGE_VALUES: [f32; 14] = [
        0.0,
        -0.0,
        f32::from_bits(1),
        -f32::from_bits(1),
        f32::MIN_POSITIVE,
        f32::INFINITY,
        f32::NEG_INFINITY,
        f32::MAX,
        f32::MIN,
        1.0,
        1.000_000_1,
        0.999_999_94,
        -1.0,
        0.5,
    ];

    fn edge_or_random(rng: &mut crate::synth::Rng) -> f32 {
        if rng.chance(0.5) {
            EDGE_VALUES[rng.below(EDGE_VALUES.len())]
        } else {
            rng.range(-1.2, 1.2)
        }
    }

    #[test]
    fn ranks_order_values_as_float_compares_do() {
        let mut rng = crate::synth::Rng::new(5);
        let mut trees = vec![];
        for _ in 0..30 {
            let mut t = random_tree(&mut rng, 4);
            for s in &mut t.splits {
                s.threshold = edge_or_random(&mut rng);
            }
            trees.push(t);
        }
        let m = Model::new(0.0, trees).unwrap();
        let splits: Vec<&Split> = m.trees().iter().flat_map(|t| &t.splits).collect();
        let mut values: Vec<f32> = EDGE_VALUES.to_vec();
        values.extend(splits.iter().map(|s| s.threshold));
        values.extend((0..200).map(|_| rng.range(-1.2, 1.2)));
        values.push(f32::NAN);
        for &v in &values {
            let mut row = [0.0; N_FEATURES];
            row.iter_mut().for_each(|x| *x = v);
            let mut ranks = core::mem::MaybeUninit::uninit();
            let ranks = m.cuts.rank_row_into(&row, &mut ranks);
            for s in &splits {
                let f = s.feature as usize;
                let key = m.cuts.key(f, s.threshold);
                let slot = if s.nan_left { f } else { NAN_RIGHT + f };
                let want = v < s.threshold || (v.is_nan() && s.nan_left);
                assert_eq!(ranks[slot] < key, want, "value {v:e}, split {s:?}");
            }
        }
    }

    /// Random trees on edge-case thresholds and rows (NaN, ±0, subnormals, infinities, values
    /// equal to thresholds); depths 0 to 9 so the vector path meets deep trees too.
    fn edge_case_model_and_rows(
        seed: u64,
        n_trees: usize,
        n_rows: usize,
    ) -> (Model, Vec<FeatureRow>) {
        let mut rng = crate::synth::Rng::new(seed);
        let trees: Vec<Tree> = (0..n_trees)
            .map(|i| {
                let mut t = random_tree(&mut rng, (i % 10) as u32);
                for s in &mut t.splits {
                    s.threshold = edge_or_random(&mut rng);
                }
                t
            })
            .collect();
        let m = Model::new(-0.4, trees).unwrap();
        let thresholds: Vec<f32> = m
            .trees()
            .iter()
            .flat_map(|t| &t.splits)
            .map(|s| s.threshold)
            .collect();
        let rows = (0..n_rows)
            .map(|_| {
                core::array::from_fn(|_| match rng.below(4) {
                    0 => f32::NAN,
                    1 => thresholds[rng.below(thresholds.len())],
                    _ => edge_or_random(&mut rng),
                })
            })
            .collect();
        (m, rows)
    }

    /// Whether the target's block evaluator (AVX2, or scorer.wasm's bit planes) can score `m`.
    #[cfg(target_arch = "x86_64")]
    fn block_path_ready(m: &Model) -> bool {
        m.wide.ready(&m.nodes)
    }
    #[cfg(target_arch = "wasm32")]
    fn block_path_ready(m: &Model) -> bool {
        m.planes.ready()
    }

    fn assert_paths_agree(m: &Model, rows: &[FeatureRow]) {
        let mut batch = vec![0.0; rows.len()];
        let mut portable = vec![0.0; rows.len()];
        m.predict_batch(rows, &mut batch);
        m.predict_batch_portable(rows, &mut portable);
        for (i, r) in rows.iter().enumerate() {
            let want = logistic(reference_margin(m, r)).to_bits();
            assert_eq!(batch[i].to_bits(), want, "predict_batch, row {i}");
            assert_eq!(
                portable[i].to_bits(),
                want,
                "predict_batch_portable, row {i}"
            );
            assert_eq!(m.predict(r).to_bits(), want, "predict, row {i}");
        }
    }

    // Also under wasm32 (in node), where `predict_batch` takes the bit-plane path.
    #[cfg_attr(target_arch = "wasm32", wasm_bindgen_test::wasm_bindgen_test)]
    #[cfg_attr(not(target_arch = "wasm32"), test)]
    fn every_path_matches_a_pointer_walk_on_edge_values() {
        // Whole vector blocks (3 of 64 rows for AVX2; one of 128 and a part-filled one of 77
        // rows for the bit planes), then 8-row blocks, then single rows.
        let (m, rows) = edge_case_model_and_rows(17, 60, 3 * 64 + 8 + 5);
        #[cfg(any(target_arch = "x86_64", target_arch = "wasm32"))]
        assert!(
            block_path_ready(&m),
            "the vector path must be able to run this model"
        );
        assert_paths_agree(&m, &rows);
    }

    // Also under wasm32 (in node), where `predict_batch` takes the bit-plane path.
    #[cfg_attr(target_arch = "wasm32", wasm_bindgen_test::wasm_bindgen_test)]
    #[cfg_attr(not(target_arch = "wasm32"), test)]
    fn every_path_matches_on_complete_trees_of_one_depth() {
        // The single-row walk steps eight trees of one depth together; 300 trees of depth 6
        // as in the benchmark, every shallower depth (the vector paths evaluate each depth
        // with its own code), and depth-7 trees (beyond the vector paths' depth).
        for (trees, depth) in [
            (300, 6),
            (40, 5),
            (40, 4),
            (24, 3),
            (24, 2),
            (16, 1),
            (20, 7),
        ] {
            let mut rng = crate::synth::Rng::new(3);
            let rows: Vec<FeatureRow> = (0..150)
                .map(|_| {
                    let mut r = crate::features::extract(&crate::synth::shot(&mut rng));
                    if rng.chance(0.2) {
                        r[rng.below(N_FEATURES)] = f32::NAN;
                    }
                    r
                })
                .collect();
            // Binned (as the trainer's models are: every vector path runs it) and not.
            let binned = crate::synth::binned_model(99, trees, depth);
            #[cfg(target_arch = "x86_64")]
            assert!(block_path_ready(&binned), "depth {depth}");
            // The bit planes leave a model of only deeper trees to the portable path, which
            // walks them eight rows at a time.
            #[cfg(target_arch = "wasm32")]
            assert_eq!(
                block_path_ready(&binned),
                depth <= vector::MAX_DEPTH,
                "depth {depth}"
            );
            assert_paths_agree(&binned, &rows);
            assert_paths_agree(&crate::synth::model(99, trees, depth), &rows);
        }
    }

    // Also under wasm32 (in node), where `predict_batch` takes the bit-plane path.
    #[cfg_attr(target_arch = "wasm32", wasm_bindgen_test::wasm_bindgen_test)]
    #[cfg_attr(not(target_arch = "wasm32"), test)]
    fn every_path_matches_on_uneven_trees_for_every_batch_size() {
        // Trees of depth 0 to 8 (deeper ones are walked in their place), batches that end in
        // a part-filled block or in fewer rows than a block takes, and missing values.
        let m = crate::synth::uneven_binned_model(12, 50, 8);
        assert!(m.max_depth() > vector_depth_limit());
        #[cfg(any(target_arch = "x86_64", target_arch = "wasm32"))]
        assert!(block_path_ready(&m));
        let mut rng = crate::synth::Rng::new(5);
        for n in [1, 15, 16, 17, 63, 64, 65, 127, 128, 129, 143, 144, 300] {
            let rows: Vec<FeatureRow> = (0..n)
                .map(|_| {
                    let mut r = crate::features::extract(&crate::synth::shot(&mut rng));
                    if rng.chance(0.3) {
                        r[rng.below(N_FEATURES)] = f32::NAN;
                    }
                    r
                })
                .collect();
            assert_paths_agree(&m, &rows);
        }
    }

    /// The deepest tree the vector paths evaluate as a whole.
    fn vector_depth_limit() -> usize {
        #[cfg(any(target_arch = "x86_64", target_arch = "wasm32"))]
        return vector::MAX_DEPTH as usize;
        #[cfg(not(any(target_arch = "x86_64", target_arch = "wasm32")))]
        return 6;
    }

    /// A model whose feature 0 has `n` distinct thresholds (and no other feature any), and
    /// rows that land on, between, below and above them, some missing.
    fn model_with_thresholds_on_one_feature(n: usize) -> (Model, Vec<FeatureRow>) {
        let trees: Vec<Tree> = (0..n.div_ceil(3))
            .map(|t| Tree {
                root: NodeRef::Split(0),
                splits: (0..3)
                    .map(|k| Split {
                        feature: 0,
                        threshold: ((3 * t + k).min(n - 1) * 2) as f32,
                        nan_left: k == 1,
                        left: if k == 0 {
                            NodeRef::Split(1)
                        } else {
                            NodeRef::Leaf(2 * k as u32 - 2)
                        },
                        right: if k == 0 {
                            NodeRef::Split(2)
                        } else {
                            NodeRef::Leaf(2 * k as u32 - 1)
                        },
                    })
                    .collect(),
                leaves: vec![0.25, -0.5, 0.125, -0.0625],
            })
            .collect();
        let m = Model::new(0.0, trees).unwrap();
        assert_eq!(m.cuts.max_len(), n);
        let mut rng = crate::synth::Rng::new(n as u64);
        let rows = (0..3 * 64 + 5)
            .map(|i| {
                let mut r = [0.0; N_FEATURES];
                r[0] = match i % 9 {
                    0 => f32::NAN,
                    1 => -1.0,
                    2 => (2 * n) as f32 + 5.0,
                    3 => (2 * (n - 1)) as f32,
                    _ => rng.below(2 * n + 2) as f32,
                };
                r
            })
            .collect();
        (m, rows)
    }

    /// The most thresholds per feature the target's block path ranks (16-bit ranks for
    /// AVX2, 8-bit in wasm); other targets have none, so any number serves.
    #[cfg(target_arch = "x86_64")]
    const VECTOR_MAX_CUTS: usize = <avx2::Lane as vector::Lane>::MAX_CUTS;
    #[cfg(not(target_arch = "x86_64"))]
    const VECTOR_MAX_CUTS: usize = WASM_VECTOR_MAX_THRESHOLDS;

    // Also under wasm32 (in node), where `predict_batch` takes the bit-plane path.
    #[cfg_attr(target_arch = "wasm32", wasm_bindgen_test::wasm_bindgen_test)]
    #[cfg_attr(not(target_arch = "wasm32"), test)]
    fn the_vector_path_takes_features_up_to_its_rank_width() {
        // The largest key and rank sit just below the missing-right rank's lane.
        let (m, rows) = model_with_thresholds_on_one_feature(VECTOR_MAX_CUTS);
        #[cfg(any(target_arch = "x86_64", target_arch = "wasm32"))]
        assert!(block_path_ready(&m));
        assert_paths_agree(&m, &rows);
    }

    // Also under wasm32 (in node), where `predict_batch` takes the bit-plane path.
    #[cfg_attr(target_arch = "wasm32", wasm_bindgen_test::wasm_bindgen_test)]
    #[cfg_attr(not(target_arch = "wasm32"), test)]
    fn features_with_too_many_thresholds_for_the_vector_ranks_take_the_portable_path() {
        let (m, rows) = model_with_thresholds_on_one_feature(VECTOR_MAX_CUTS + 1);
        #[cfg(any(target_arch = "x86_64", target_arch = "wasm32"))]
        assert!(!block_path_ready(&m));
        assert_paths_agree(&m, &rows);
    }
}
