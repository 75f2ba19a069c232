//! scorer.wasm's one-row evaluator: sixteen *trees* to a vector.
//!
//! The block evaluators put sixteen rows in a vector and compare them all against one split
//! at a time. One row has nothing to fill those lanes with, so here the lanes are trees: a
//! group of up to sixteen consecutive trees of depth at most [`MAX_DEPTH`] is evaluated
//! bottom-up as the block evaluators do, except that lane `t` of split vector `i` is split `i`
//! of the group's tree `t`. Its rank is found with a relaxed swizzle (a 16-entry table lookup
//! per lane, one `vpshufb` in wasmtime) in the row's ranks, which fit in three 16-byte tables:
//! the left ranks of the 19 features and then their right ranks (they differ only for a
//! missing value). The leaves are then read lane by lane and added in tree order, so the sum
//! is the scalar walk's, bit for bit. Deeper trees are walked by the scalar code in their
//! place. Only in builds with the `relaxed-simd` feature (see `docs/WASM_ABI.md`).

use super::vector::{Lane, MAX_DEPTH};
use super::{EvalTree, FeatureRow, Model, NAN_RIGHT, N_FEATURES, SLOT_BITS, SLOT_MASK};
use core::arch::wasm32::*;
use core::mem::MaybeUninit;

/// The breadth-first slots of a complete tree of `depth` in the order this evaluator reads
/// its splits: for depth 4 to [`MAX_DEPTH`], the splits above level `depth − 3`
/// breadth-first, then each depth-3 subtree below them, left to right, its 7 splits
/// breadth-first (so a loop can take the subtrees one after another); other depths
/// breadth-first.
fn subtree_order(depth: u32) -> Vec<usize> {
    let n = (1usize << depth) - 1;
    if !(4..=MAX_DEPTH).contains(&depth) {
        return (0..n).collect();
    }
    let top = (1usize << (depth - 3)) - 1;
    let mut out: Vec<usize> = (0..top).collect();
    for root in top..=2 * top {
        let (l1, l2) = (2 * root + 1, 4 * root + 3);
        out.extend([root, l1, l1 + 1, l2, l2 + 1, l2 + 2, l2 + 3]);
    }
    out
}

/// Trees per group: one per lane.
const TREES: usize = 16;
/// Bytes of the row's rank tables: the left ranks, then the right ranks, of every feature.
const TABLE_BYTES: usize = 48;
const _: () = assert!(2 * N_FEATURES <= TABLE_BYTES);

/// One step of the evaluation, in tree order.
#[derive(Debug, Clone, Copy)]
enum Step {
    /// Up to [`TREES`] consecutive trees of depth at most [`MAX_DEPTH`], padded to `depth`.
    Group {
        depth: u32,
        split_off: usize,
        leaf_off: usize,
    },
    /// A deeper tree, walked by the scalar code.
    Tree(EvalTree),
}

/// One split of a group, for every lane: the lane's rank-table index, split across the three
/// 16-byte tables (0x80, which selects zero, in the tables that do not hold it), and its key.
#[derive(Debug, Clone, Copy)]
#[repr(C, align(16))]
struct Split {
    index: [[u8; 16]; 3],
    key: [u8; 16],
}

/// The model in this evaluator's layout (empty when a feature has more thresholds than 8-bit
/// ranks can tell apart).
#[derive(Debug, Clone, Default)]
pub(super) struct Lanes {
    steps: Vec<Step>,
    splits: Vec<Split>,
    /// Per group of depth d, 2^d × [`TREES`] leaves: those of every lane at bottom position
    /// 0, then at 1, and so on; −0.0 in unused lanes, which adds nothing to any sum.
    leaves: Vec<f32>,
    /// Whether any tree is deeper than [`MAX_DEPTH`] (walked with the row's
    /// [`RankRow`](super::RankRow)).
    deep: bool,
}

impl Lanes {
    /// `m`'s trees in this layout: consecutive trees of depth at most [`MAX_DEPTH`] in groups
    /// of up to [`TREES`], deeper ones on their own. Empty (not ready) when no tree fits a
    /// group: the scalar evaluator then walks the deep trees eight at a time, where this one
    /// would walk them one by one after ranking the row twice.
    pub(super) fn new(m: &Model) -> Lanes {
        let shallow = m.eval.iter().any(|e| e.depth <= MAX_DEPTH);
        if m.cuts.max_len() > <i8 as Lane>::MAX_CUTS || !shallow {
            return Lanes::default();
        }
        let mut out = Lanes::default();
        let mut trees = m.eval.iter().peekable();
        while let Some(&first) = trees.next() {
            if first.depth > MAX_DEPTH {
                out.steps.push(Step::Tree(first));
                out.deep = true;
                continue;
            }
            let mut group = vec![first];
            while group.len() < TREES {
                match trees.peek() {
                    Some(e) if e.depth <= MAX_DEPTH => group.push(*trees.next().unwrap()),
                    _ => break,
                }
            }
            out.push_group(m, &group);
        }
        out
    }

    /// Adds one group: every tree's splits in its lane of the group's split vectors (in
    /// [`subtree_order`]), its leaves in its lane of the leaf table.
    fn push_group(&mut self, m: &Model, group: &[EvalTree]) {
        let depth = group.iter().map(|e| e.depth).max().unwrap_or(0);
        let n = (1usize << depth) - 1;
        let split_off = self.splits.len();
        let leaf_off = self.leaves.len();
        self.splits.extend((0..n).map(|_| Split {
            index: [[0x80; 16]; 3],
            key: [0x80; 16],
        }));
        self.leaves.resize(leaf_off + (TREES << depth), -0.0);
        let order = subtree_order(depth);
        for (lane, e) in group.iter().enumerate() {
            let nodes = &m.nodes[e.node_off..e.node_off + e.n_splits()];
            let leaves = &m.leaves[e.leaf_off..e.leaf_off + e.n_splits() + 1];
            for (at, &slot) in order.iter().enumerate() {
                // Slots below the tree's own depth stay placeholders (key 0: always right).
                let level = usize::BITS - 1 - (slot + 1).leading_zeros();
                if level >= e.depth {
                    continue;
                }
                let node = nodes[slot];
                let row_slot = (node & SLOT_MASK) as usize;
                let byte = if row_slot >= NAN_RIGHT {
                    N_FEATURES + row_slot - NAN_RIGHT
                } else {
                    row_slot
                };
                let s = &mut self.splits[split_off + at];
                s.index[byte / 16][lane] = (byte % 16) as u8;
                s.key[lane] = <i8 as Lane>::key_word(node >> SLOT_BITS) as u8;
            }
            // A leaf of a shallower tree covers 2^(depth − e.depth) bottom positions.
            let shift = depth - e.depth;
            for p in 0..1usize << depth {
                self.leaves[leaf_off + p * TREES + lane] = leaves[p >> shift];
            }
        }
        self.steps.push(Step::Group {
            depth,
            split_off,
            leaf_off,
        });
    }

    /// Whether [`margin`] can score with this layout.
    pub(super) fn ready(&self) -> bool {
        !self.steps.is_empty()
    }
}

/// The row's three rank tables.
type Tables = [v128; 3];

/// The bytes of [`Tables`], aligned for vector loads.
#[repr(align(16))]
struct Bytes([u8; TABLE_BYTES]);

/// A group's splits against one row's rank tables.
struct GroupSplits(Tables);

impl Splits<1> for GroupSplits {
    type Node = Split;

    #[inline(always)]
    unsafe fn compare(&self, node: *const Split) -> [v128; 1] {
        // SAFETY: as the caller guarantees.
        unsafe {
            let s = &*node;
            // Each lane's index is below 16 in the table that holds its rank and 0x80 in the
            // other two, where even the relaxed swizzle gives zero on every engine.
            let look =
                |k: usize| i8x16_relaxed_swizzle(self.0[k], v128_load(s.index[k].as_ptr().cast()));
            let rank = v128_or(v128_or(look(0), look(1)), look(2));
            [i8x16_gt(v128_load(s.key.as_ptr().cast()), rank)]
        }
    }
}

/// The margin of `row`.
///
/// # Safety
/// `m.lanes` is ready.
#[target_feature(enable = "simd128,relaxed-simd")]
#[inline(never)]
pub(super) unsafe fn margin(m: &Model, row: &FeatureRow) -> f32 {
    let mut bytes = Bytes([0; TABLE_BYTES]);
    m.cuts
        .ranks_with(core::array::from_ref(row), |f, _, left, right| {
            bytes.0[f] = <i8 as Lane>::of_rank(left) as u8;
            bytes.0[N_FEATURES + f] = <i8 as Lane>::of_rank(right) as u8;
        });
    // Read back through `read_volatile`, so that LLVM builds no table lane by lane.
    // SAFETY: `bytes` holds three aligned vectors.
    let t: Tables = core::array::from_fn(|k| unsafe {
        core::ptr::read_volatile(bytes.0.as_ptr().add(16 * k).cast::<v128>())
    });
    // The deep trees' walks read a rank row: the row is ranked a second time for them (ranking
    // straight into the tables instead of converting a rank row is ~5 % faster per call
    // without deep trees, the common case).
    let mut row_ranks = MaybeUninit::uninit();
    let row_ranks = if m.lanes.deep {
        Some(m.cuts.rank_row_into(row, &mut row_ranks))
    } else {
        None
    };
    let splits = GroupSplits(t);
    let lanes = &m.lanes;
    let mut sum = m.base_score;
    for step in &lanes.steps {
        let (depth, split_off, leaf_off) = match *step {
            Step::Tree(e) => {
                // SAFETY: the model has a deep tree, so the rank row was computed.
                sum += m.walk(&e, unsafe { row_ranks.unwrap_unchecked() });
                continue;
            }
            Step::Group {
                depth,
                split_off,
                leaf_off,
            } => (depth, split_off, leaf_off),
        };
        // SAFETY: the group's 2^depth − 1 splits start at split_off, in subtree order.
        let [pos] = unsafe { positions(&splits, lanes.splits.as_ptr().add(split_off), depth) };
        // SAFETY: lane L's leaf at position p is at leaf_off + p·TREES + L, and a position is
        // below 2^depth, the group's number of positions.
        let leaves = unsafe { lanes.leaves.as_ptr().add(leaf_off) };
        macro_rules! add_lanes {
            ($($l:literal)*) => {$(
                sum += unsafe {
                    *leaves.add(u8x16_extract_lane::<$l>(pos) as usize * TREES + $l)
                };
            )*};
        }
        add_lanes!(0 1 2 3 4 5 6 7 8 9 10 11 12 13 14 15);
    }
    sum
}

// The bottom-up evaluation of a group, written for Cranelift rather than for LLVM: Cranelift
// computes each compare and blend just before a load, store or branch first needs it, so in a
// fully unrolled depth-6 tree every loaded vector would stay live to the end and spill. A
// depth-6 tree is a loop over its eight depth-3 subtrees (7 splits each, unrolled; each
// subtree's halves pass through memory), whose results are then picked by the 7 splits above
// them.

/// Lane vectors of 0, 1, …, 7. Read with `read_volatile` in [`pair`], so LLVM cannot see
/// the constants: when it can, it rewrites `position + mask` as a select between two
/// constant vectors, which costs Cranelift more operations and reloads than one add.
static POSITIONS: [v128; 8] = {
    let mut t = [i8x16_splat_const(0); 8];
    let mut i = 0;
    while i < 8 {
        t[i] = i8x16_splat_const(i as i8);
        i += 1;
    }
    t
};

const fn i8x16_splat_const(p: i8) -> v128 {
    i8x16(p, p, p, p, p, p, p, p, p, p, p, p, p, p, p, p)
}

/// The splits that the bottom-up evaluation compares, `V` vectors of sixteen 8-bit lanes at a
/// time (here one vector: a group's sixteen trees, one per lane, against one row).
trait Splits<const V: usize> {
    /// One split's data.
    type Node;

    /// All-ones in the lanes that `node` sends left.
    ///
    /// # Safety
    /// `node` points at a split of the layout this reads.
    unsafe fn compare(&self, node: *const Self::Node) -> [v128; V];
}

/// Per lane, `l` where `left` is set, else `r`. `left` must come straight from a compare
/// for the engine to use one blend instruction.
#[inline(always)]
fn select<const V: usize>(l: [v128; V], r: [v128; V], left: [v128; V]) -> [v128; V] {
    core::array::from_fn(|v| v128_bitselect(l[v], r[v], left[v]))
}

/// For a split directly above the bottom level whose right leaf is at `right` (< 8): the
/// leaf position each lane reaches (`right − 1` where it goes left).
///
/// # Safety
/// As [`Splits::compare`]; `right < 8`.
#[inline(always)]
unsafe fn pair<const V: usize, S: Splits<V>>(
    s: &S,
    node: *const S::Node,
    right: usize,
) -> [v128; V] {
    // SAFETY: as the caller guarantees; `right` indexes POSITIONS.
    unsafe {
        let left = s.compare(node);
        let right = core::ptr::read_volatile(&POSITIONS[right]);
        core::array::from_fn(|v| i8x16_add(right, left[v]))
    }
}

/// A subtree of depth 2 whose 3 splits are at `p` breadth-first: positions 0 to 3.
///
/// # Safety
/// As [`Splits::compare`], for `p` and the next 2 splits.
#[inline(always)]
unsafe fn subtree_2<const V: usize, S: Splits<V>>(s: &S, p: *const S::Node) -> [v128; V] {
    // SAFETY: as the caller guarantees.
    unsafe { select(pair(s, p.add(1), 1), pair(s, p.add(2), 3), s.compare(p)) }
}

/// `m`, passed through memory. Cranelift computes a value where a load, store or branch
/// first needs it, so without this a subtree's compares and blends would all wait until
/// after its last load, with every loaded vector live (and spilled) until then; the store
/// here makes the work above it happen first.
#[inline(always)]
fn settle<const V: usize>(m: [v128; V]) -> [v128; V] {
    let slot = m;
    // SAFETY: `slot` is a live, aligned local.
    unsafe { core::ptr::read_volatile(&slot) }
}

/// A subtree of depth 3 whose 7 splits are at `p` breadth-first: positions 0 to 7.
///
/// # Safety
/// As [`Splits::compare`], for `p` and the next 6 splits.
#[inline(always)]
unsafe fn subtree_3<const V: usize, S: Splits<V>>(s: &S, p: *const S::Node) -> [v128; V] {
    // SAFETY: as the caller guarantees.
    unsafe {
        let l = settle(select(
            pair(s, p.add(3), 1),
            pair(s, p.add(4), 3),
            s.compare(p.add(1)),
        ));
        let r = settle(select(
            pair(s, p.add(5), 5),
            pair(s, p.add(6), 7),
            s.compare(p.add(2)),
        ));
        select(l, r, s.compare(p))
    }
}

/// The bottom-level position (0 to 2^depth − 1) of the leaf each lane reaches in a
/// complete tree of `depth` ≤ [`MAX_DEPTH`] whose splits start at `tree` in
/// [`subtree_order`] order.
///
/// # Safety
/// As [`Splits::compare`], for the 2^depth − 1 splits from `tree` on.
#[inline(always)]
unsafe fn positions<const V: usize, S: Splits<V>>(
    s: &S,
    tree: *const S::Node,
    depth: u32,
) -> [v128; V] {
    // SAFETY: as the caller guarantees.
    unsafe {
        match depth {
            0 => [i8x16_splat(0); V],
            1 => pair(s, tree, 1),
            2 => subtree_2(s, tree),
            3 => subtree_3(s, tree),
            depth => {
                // The depth-3 subtrees, each offset to its own eight leaves. Not zeroed
                // first: a zeroed array is a `memory.fill`, which wasmtime runs as a call.
                let mut subtrees = [const { MaybeUninit::<[v128; V]>::uninit() }; 8];
                let top = (1usize << (depth - 3)) - 1;
                let mut first = i8x16_splat(0);
                for (k, sub) in subtrees[..=top].iter_mut().enumerate() {
                    // The subtree's address passes through memory, so that LLVM keeps
                    // each split's offset in its load (where Cranelift folds it into the
                    // address) instead of adding it to a strength-reduced pointer first.
                    let p = core::ptr::read_volatile(&tree.add(top + 7 * k));
                    let local = subtree_3(s, p);
                    sub.write(core::array::from_fn(|v| i8x16_add(local[v], first)));
                    first = i8x16_add(first, i8x16_splat(8));
                }
                // SAFETY: the loop wrote the first top + 1 = 2^(depth − 3) subtrees, all
                // that the picks below read.
                let st = |k: usize| subtrees[k].assume_init();
                // The splits above them pick one per lane.
                let pick =
                    |i: usize, l: [v128; V], r: [v128; V]| select(l, r, s.compare(tree.add(i)));
                match depth {
                    4 => pick(0, st(0), st(1)),
                    5 => pick(0, pick(1, st(0), st(1)), pick(2, st(2), st(3))),
                    _ => pick(
                        0,
                        pick(1, pick(3, st(0), st(1)), pick(4, st(2), st(3))),
                        pick(2, pick(5, st(4), st(5)), pick(6, st(6), st(7))),
                    ),
                }
            }
        }
    }
}
