//! The model file format and the tree-ensemble evaluator.
//!
//! `docs/MODEL_FORMAT.md` is the specification this module implements; [`Model::parse`] reads
//! it by hand and never panics on any byte string, [`Model::to_bytes`] writes it.
//!
//! A model is an additive ensemble of binary trees over the [`features`](crate::features)
//! table. A split sends a row left when `value < threshold`, and a missing value (NaN) the way
//! the split's stored `nan_left` flag says. The margin is `base_score + Σ leaf` summed over the
//! trees in file order in `f32`, and the probability is `1 / (1 + expf(-margin))` with `expf`
//! from `libm`, so the bits are the same on every platform.

use crate::features::{self, FeatureRow, FEATURE_SET_ID, N_FEATURES};
use crate::shot::Shot;
use core::fmt;

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

/// Most padded split slots a model may need (about 20 MB of evaluation layout).
pub const MAX_PADDED_SPLITS: usize = 1 << 22;

/// Bit 7 of a split's feature byte in the evaluation layout: a missing value goes left.
const NAN_LEFT: u8 = 0x80;
/// Rows are copied into this many slots so feature lookups need no bounds check.
const ROW_SLOTS: usize = 32;
const _: () = assert!(N_FEATURES < ROW_SLOTS);

type PaddedRow = [f32; ROW_SLOTS];

fn pad(row: &FeatureRow) -> PaddedRow {
    let mut p = [0.0; ROW_SLOTS];
    p[..N_FEATURES].copy_from_slice(row);
    p
}

/// One tree in the evaluation layout: a complete binary tree of depth `depth` stored
/// breadth-first (the children of slot `i` are `2i + 1` and `2i + 2`), so a walk is `depth`
/// steps of arithmetic with no child pointers and no leaf tests. A leaf above the bottom level
/// is replicated into every bottom slot below it (the splits above those copies are
/// placeholders), so every path of `depth` steps ends on the right value.
#[derive(Debug, Clone, Copy)]
struct EvalTree {
    split_off: usize,
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
    /// Per padded split: feature index (low 5 bits) and [`NAN_LEFT`].
    features: Vec<u8>,
    thresholds: Vec<f32>,
    leaves: Vec<f32>,
}

/// One tree's slice of the evaluation layout while it is being filled.
struct TreeLayout<'a> {
    depth: u32,
    features: &'a mut [u8],
    thresholds: &'a mut [f32],
    leaves: &'a mut [f32],
}

impl TreeLayout<'_> {
    /// Writes `node` of `tree` at `slot` (on `level`) of the complete layout.
    fn fill(&mut self, tree: &Tree, node: NodeRef, slot: usize, level: u32) {
        match node {
            NodeRef::Split(i) => {
                let s = &tree.splits[i as usize];
                self.features[slot] = s.feature as u8 | if s.nan_left { NAN_LEFT } else { 0 };
                self.thresholds[slot] = s.threshold;
                self.fill(tree, s.left, 2 * slot + 1, level + 1);
                self.fill(tree, s.right, 2 * slot + 2, level + 1);
            }
            NodeRef::Leaf(i) if level == self.depth => {
                self.leaves[slot - self.features.len()] = tree.leaves[i as usize];
            }
            leaf => {
                // Placeholder split (feature 0, threshold 0): both subtrees hold copies of
                // the same leaf, so either way is right.
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
        let mut eval = Vec::with_capacity(trees.len());
        let mut features = vec![0u8; padded];
        let mut thresholds = vec![0f32; padded];
        let mut leaves = vec![0f32; padded + trees.len()];
        let (mut split_off, mut leaf_off) = (0, 0);
        for (tree, &depth) in trees.iter().zip(&depths) {
            let e = EvalTree {
                split_off,
                leaf_off,
                depth,
            };
            let n = e.n_splits();
            TreeLayout {
                depth,
                features: &mut features[split_off..split_off + n],
                thresholds: &mut thresholds[split_off..split_off + n],
                leaves: &mut leaves[leaf_off..leaf_off + n + 1],
            }
            .fill(tree, tree.root, 0, 0);
            eval.push(e);
            split_off += n;
            leaf_off += n + 1;
        }
        Ok(Model {
            base_score,
            trees,
            eval,
            features,
            thresholds,
            leaves,
        })
    }

    /// The leaf a padded row reaches in tree `e`.
    #[inline(always)]
    fn walk(&self, e: &EvalTree, row: &PaddedRow) -> f32 {
        let n = e.n_splits();
        let feats = &self.features[e.split_off..e.split_off + n];
        let thr = &self.thresholds[e.split_off..e.split_off + n];
        let leaves = &self.leaves[e.leaf_off..e.leaf_off + n + 1];
        let mut i = 0usize;
        for _ in 0..e.depth {
            // SAFETY: after k < depth steps i ≤ 2^(k+1) − 2 < 2^depth − 1 = n, the length
            // of both slices (the layout is built complete by `Model::new`).
            let (f, t) = unsafe { (*feats.get_unchecked(i), *thr.get_unchecked(i)) };
            let v = row[(f & 0x1f) as usize];
            let go_left = (v < t) | (v.is_nan() & (f & NAN_LEFT != 0));
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
        let row = pad(row);
        let mut sum = self.base_score;
        // Four independent walks in flight; their leaves are added in tree order.
        let mut chunks = self.eval.chunks_exact(4);
        for c in &mut chunks {
            let v = [
                self.walk(&c[0], &row),
                self.walk(&c[1], &row),
                self.walk(&c[2], &row),
                self.walk(&c[3], &row),
            ];
            for x in v {
                sum += x;
            }
        }
        for e in chunks.remainder() {
            sum += self.walk(e, &row);
        }
        sum
    }

    /// Tree `t`'s contribution to the margin of a row (staged prediction: the margin after
    /// `k` trees is the base score plus the first `k` contributions, added in order).
    ///
    /// # Panics
    /// If `t` is not below the number of trees.
    pub fn tree_value(&self, t: usize, row: &FeatureRow) -> f32 {
        self.walk(&self.eval[t], &pad(row))
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
    /// Rows are processed in blocks so several independent tree walks are in flight at once.
    ///
    /// # Panics
    /// If `out` is shorter than `rows`.
    pub fn predict_batch(&self, rows: &[FeatureRow], out: &mut [f32]) {
        assert!(out.len() >= rows.len(), "output shorter than input");
        const LANES: usize = 8;
        let mut blocks = rows.chunks_exact(LANES);
        let mut outs = out.chunks_exact_mut(LANES);
        for (block, o) in (&mut blocks).zip(&mut outs) {
            let padded: [PaddedRow; LANES] = core::array::from_fn(|l| pad(&block[l]));
            let mut sums = [self.base_score; LANES];
            for e in &self.eval {
                let n = e.n_splits();
                let feats = &self.features[e.split_off..e.split_off + n];
                let thr = &self.thresholds[e.split_off..e.split_off + n];
                let mut idx = [0usize; LANES];
                for _ in 0..e.depth {
                    for lane in 0..LANES {
                        let i = idx[lane];
                        // SAFETY: as in `walk`: i < n before the last step.
                        let (f, t) = unsafe { (*feats.get_unchecked(i), *thr.get_unchecked(i)) };
                        let v = padded[lane][(f & 0x1f) as usize];
                        let go_left = (v < t) | (v.is_nan() & (f & NAN_LEFT != 0));
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
        let mut names = Vec::with_capacity(n_features.min(N_FEATURES + 1));
        for _ in 0..n_features {
            let len = r.u8()? as usize;
            let name = r.take(len)?;
            names.push(String::from_utf8_lossy(name).into_owned());
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

const SPLIT_BYTES: usize = 16;
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
        let mut sum = m.base_score();
        for t in m.trees() {
            let mut r = t.root;
            while let NodeRef::Split(i) = r {
                let s = &t.splits[i as usize];
                let v = row[s.feature as usize];
                r = if v < s.threshold || (v.is_nan() && s.nan_left) {
                    s.left
                } else {
                    s.right
                };
            }
            let NodeRef::Leaf(l) = r else { unreachable!() };
            sum += t.leaves[l as usize];
        }
        sum
    }

    /// Random unbalanced trees: leaves at every depth exercise the padding.
    fn random_tree(rng: &mut crate::synth::Rng, max_depth: u32) -> Tree {
        fn grow(rng: &mut crate::synth::Rng, t: &mut Tree, depth: u32, max_depth: u32) -> NodeRef {
            if depth == max_depth || (depth > 0 && rng.chance(0.3)) {
                t.leaves.push(rng.range(-1.0, 1.0));
                return NodeRef::Leaf(t.leaves.len() as u32 - 1);
            }
            let me = t.splits.len();
            t.splits.push(Split {
                feature: rng.below(N_FEATURES) as u16,
                threshold: rng.range(-1.0, 1.0),
                nan_left: rng.chance(0.5),
                left: NodeRef::Leaf(0),
                right: NodeRef::Leaf(0),
            });
            let left = grow(rng, t, depth + 1, max_depth);
            let right = grow(rng, t, depth + 1, max_depth);
            t.splits[me].left = left;
            t.splits[me].right = right;
            NodeRef::Split(me as u32)
        }
        let mut t = Tree {
            root: NodeRef::Leaf(0),
            splits: vec![],
            leaves: vec![],
        };
        t.root = grow(rng, &mut t, 0, max_depth);
        t
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
    }

    #[test]
    fn crc32_matches_the_reference_check_value() {
        assert_eq!(crc32(b"123456789"), 0xCBF4_3926);
    }

    #[test]
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
}
