//! scorer.wasm's block evaluator (and the web app's): 128 rows to a vector, one bit each.
//!
//! Every split of a block's trees compares a rank with a key for every row, and the answer is
//! one bit per row. The AVX2 evaluator spends a 16-bit lane on it (and the byte-lane wasm
//! evaluator this replaced a byte: sixteen rows to a vector, 944 ns per shot in wasmtime on
//! the benchmark model against 505 here) and blends leaf positions a lane at a time; here a
//! block's rows are the 128 bits of one vector:
//!
//! 1. **Masks.** Before the trees, the block ranks its rows (a branch-free binary search of a
//!    fixed number of steps per feature) and computes, for every (feature, key) that some
//!    split uses, the set of rows that go right at it (rank ≥ key) as one 128-bit mask: the
//!    rows are bucketed by rank, and a running union over the buckets gives each key's
//!    complement; the masks for missing values going right add the feature's missing rows. A
//!    split is then one load.
//! 2. **Bit planes.** A complete tree of depth d ≤ [`MAX_DEPTH`] is evaluated bottom-up, as
//!    the AVX2 evaluator does, but on bit planes: a row's leaf position is the path of its
//!    decisions (right = 1, the root's as the highest bit), so a subtree's result is one plane
//!    per level below its root, and a split picks, per row, between its subtrees' planes with
//!    one `v128.bitselect` per plane and adds its own mask as the new highest plane. A depth-6
//!    tree is 63 loads and 57 selects for all 128 rows.
//! 3. **Leaves.** The planes are transposed to one byte per row ([`positions`]), and each row's
//!    leaf is read at its position and added to its sum, four rows to a vector, in tree order:
//!    every row's sum is the scalar walk's, bit for bit.
//!
//! Trees deeper than [`MAX_DEPTH`] are walked by the scalar code, row by row, in their place.
//! Ranks are 8-bit, so every feature may have at most
//! [`WASM_VECTOR_MAX_THRESHOLDS`](super::WASM_VECTOR_MAX_THRESHOLDS) thresholds; a model with
//! more takes the portable path.
//!
//! Written for Cranelift: the hot parts have no loops, because every loop header in wasmtime
//! checks the fuel with a possible call into the runtime, across which no vector register
//! survives, so a loop reloads its vectors and constants from the stack on every pass.

use super::vector::MAX_DEPTH;
use super::{
    logistic, FeatureRow, Model, RankRow, NAN_RIGHT, N_FEATURES, RANK_SLOTS, SLOT_BITS, SLOT_MASK,
    WASM_VECTOR_MAX_THRESHOLDS,
};
use core::arch::wasm32::*;

/// Rows per block: one per bit of a vector.
pub(super) const BLOCK: usize = 128;
/// Rows per byte-wide vector of positions.
const GROUP: usize = 16;
/// Fewest rows worth a block (a part-filled block costs its trees' splits in full): fewer
/// rows at the end of a batch take the one-row paths.
const MIN_ROWS: usize = 16;
/// Distinct 8-bit ranks: thresholds' ranks and keys are at most 254, the missing-right rank
/// is 255.
const RANKS: usize = 256;

/// The model in this evaluator's layout (empty when a feature has more thresholds than 8-bit
/// ranks can tell apart, or when every tree is deeper than [`MAX_DEPTH`]).
#[derive(Debug, Clone, Default)]
pub(super) struct Planes {
    /// Per padded split of [`Model::nodes`](super::Model), at the same index: the byte offset
    /// of its mask in a block's mask table.
    masks: Vec<u32>,
    /// The features that splits read, with where their masks go.
    features: Vec<FeatureMasks>,
    /// Masks in a block's table.
    n_masks: usize,
    /// The thresholds of the features in `features`, laid out for their searches.
    search: Vec<f32>,
}

/// Where a block puts one feature's masks: for each key up to `top`, the rows that go right
/// at a split with that key, missing values going left (table entry `left + key`) and right
/// (`right + key`); either may be absent when no split reads it. Each region holds `top + 1`
/// masks rounded up to a multiple of [`STEP`].
#[derive(Debug, Clone)]
struct FeatureMasks {
    feature: usize,
    /// The feature's thresholds in [`Planes::search`] from here: 2^`steps` entries, padded
    /// with NaN (which no value is at or above).
    search: usize,
    steps: u32,
    top: usize,
    left: Option<usize>,
    right: Option<usize>,
}

/// Masks computed per pass of the loop that builds them (one fuel check per pass).
const STEP: usize = 4;

impl Planes {
    /// `m`'s splits in this layout.
    pub(super) fn new(m: &Model) -> Planes {
        let shallow = m.eval.iter().any(|e| e.depth <= MAX_DEPTH);
        if m.cuts.max_len() > WASM_VECTOR_MAX_THRESHOLDS || !shallow {
            return Planes::default();
        }
        // Per slot, the largest key a split uses.
        let mut top: [Option<usize>; RANK_SLOTS] = [None; RANK_SLOTS];
        for &n in &m.nodes {
            let t = &mut top[(n & SLOT_MASK) as usize];
            *t = Some(t.unwrap_or(0).max((n >> SLOT_BITS) as usize));
        }
        let mut out = Planes::default();
        let mut base = [0usize; RANK_SLOTS];
        for feature in 0..N_FEATURES {
            let (l, r) = (top[feature], top[NAN_RIGHT + feature]);
            let Some(t) = l.max(r) else { continue };
            let mut region = |slot: usize| {
                base[slot] = out.n_masks;
                out.n_masks += (t + 1).next_multiple_of(STEP);
                Some(base[slot])
            };
            let left = l.and_then(|_| region(feature));
            let right = r.and_then(|_| region(NAN_RIGHT + feature));
            let cuts = m.cuts.of(feature);
            let search = out.search.len();
            // A search of k halving steps ranks among up to 2^k − 1 thresholds.
            let steps = usize::BITS - cuts.len().leading_zeros();
            out.search.extend_from_slice(cuts);
            out.search.resize(search + (1 << steps), f32::NAN);
            out.features.push(FeatureMasks {
                feature,
                search,
                steps,
                top: t,
                left,
                right,
            });
        }
        out.masks = m
            .nodes
            .iter()
            .map(|&n| 16 * (base[(n & SLOT_MASK) as usize] + (n >> SLOT_BITS) as usize) as u32)
            .collect();
        out
    }

    /// Whether [`predict_blocks`] can score with this layout.
    pub(super) fn ready(&self) -> bool {
        !self.features.is_empty()
    }
}

/// What a batch reuses from block to block.
struct Scratch {
    /// Per feature and rank (`RANKS * feature + rank`), the rows of the block with that rank
    /// (a missing value has rank 0).
    buckets: [v128; N_FEATURES * RANKS],
    /// Per feature, the rows whose value is missing.
    missing: [v128; N_FEATURES],
    /// The block's masks (see [`FeatureMasks`]).
    masks: Vec<v128>,
}

/// Scores the rows in blocks of [`BLOCK`] (the last one part-filled if it has at least
/// [`MIN_ROWS`] rows) and returns how many rows that was.
///
/// # Safety
/// `m.planes` is ready.
#[target_feature(enable = "simd128")]
pub(super) unsafe fn predict_blocks(m: &Model, rows: &[FeatureRow], out: &mut [f32]) -> usize {
    if rows.len() < MIN_ROWS {
        return 0;
    }
    let mut scratch = Box::new(Scratch {
        buckets: [u64x2_splat(0); N_FEATURES * RANKS],
        missing: [u64x2_splat(0); N_FEATURES],
        masks: vec![u64x2_splat(0); m.planes.n_masks],
    });
    let mut done = 0;
    while rows.len() - done >= MIN_ROWS {
        let n = BLOCK.min(rows.len() - done);
        let part = &rows[done..done + n];
        let padded: [FeatureRow; BLOCK];
        let block: &[FeatureRow; BLOCK] = match part.try_into() {
            Ok(block) => block,
            Err(_) => {
                // The last real row again: its bits are computed and not used.
                padded = core::array::from_fn(|r| part[r.min(n - 1)]);
                &padded
            }
        };
        // SAFETY: as this function's caller guarantees.
        let sums = unsafe { margins(m, block, n, &mut scratch) };
        for (o, s) in out[done..done + n].iter_mut().zip(sums) {
            *o = logistic(s);
        }
        done += n;
    }
    done
}

/// Ranks the block's rows into `s.buckets` and `s.missing`, sixteen rows at a time.
///
/// A row's rank is found by a branch-free binary search of a fixed number of halving steps
/// per feature over its thresholds padded to a power of two with NaN (a row's rank is the
/// number of thresholds at or below its value; no value is at or above NaN). The steps are
/// written out, not looped: each loop header in wasmtime checks the fuel with a possible call
/// into the runtime, and Cranelift then keeps the sixteen searches' state on the stack.
#[target_feature(enable = "simd128")]
#[inline(never)]
fn rank(m: &Model, block: &[FeatureRow; BLOCK], s: &mut Scratch) {
    let p = &m.planes;
    for fm in &p.features {
        // Ranks and keys (so `top`) are at most the feature's number of thresholds, below
        // 2^steps; the masks read buckets up to a multiple of STEP.
        let at = RANKS * fm.feature;
        s.buckets[at..at + (1usize << fm.steps).next_multiple_of(STEP)].fill(u64x2_splat(0));
    }
    s.missing = [u64x2_splat(0); N_FEATURES];
    let buckets = s.buckets.as_mut_ptr().cast::<u64>();
    let missing = s.missing.as_mut_ptr().cast::<u64>();
    for (g, rows) in block.chunks_exact(GROUP).enumerate() {
        for fm in &p.features {
            let f = fm.feature;
            let v: [f32; GROUP] = core::array::from_fn(|r| rows[r][f]);
            let cuts = p.search[fm.search..fm.search + (1 << fm.steps)].as_ptr();
            let mut base = [0usize; GROUP];
            macro_rules! step {
                ($($k:literal)*) => {$(
                    if fm.steps >= $k {
                        let half = 1 << ($k - 1);
                        for r in 0..GROUP {
                            // SAFETY: base + half ≤ 2^steps − 1 + … stays below 2^steps: each
                            // step adds at most half, and the halves sum to 2^steps − 1.
                            let c = unsafe { *cuts.add(base[r] + half - 1) };
                            base[r] += half & ((c <= v[r]) as usize).wrapping_neg();
                        }
                    }
                )*};
            }
            step!(8 7 6 5 4 3 2 1);
            for r in 0..GROUP {
                let row = GROUP * g + r;
                let bit = 1u64 << (row % 64);
                // SAFETY: f < N_FEATURES and base ≤ 2^steps − 1 < RANKS, so both words are
                // inside the arrays.
                unsafe {
                    *buckets.add(2 * (RANKS * f + base[r]) + row / 64) |= bit;
                    // A branch, not arithmetic: rows that are not missing must not make a
                    // chain of read-modify-writes of one word.
                    if v[r].is_nan() {
                        *missing.add(2 * f + row / 64) |= bit;
                    }
                }
            }
        }
    }
}

/// Fills `s.masks` from the block's buckets (see [`FeatureMasks`]).
#[target_feature(enable = "simd128")]
#[inline(never)]
fn build(m: &Model, s: &mut Scratch) {
    let table = s.masks.as_mut_ptr();
    for fm in &m.planes.features {
        let buckets = &s.buckets[RANKS * fm.feature..][..(fm.top + 1).next_multiple_of(STEP)];
        let missing = s.missing[fm.feature];
        // SAFETY: the regions have room for every key up to `top`, rounded up to STEP.
        unsafe {
            match (fm.left, fm.right) {
                (Some(l), Some(r)) => prefix(buckets, |k, right| {
                    *table.add(l + k) = right;
                    *table.add(r + k) = v128_or(right, missing);
                }),
                (Some(l), None) => prefix(buckets, |k, right| *table.add(l + k) = right),
                (None, Some(r)) => prefix(buckets, |k, right| {
                    *table.add(r + k) = v128_or(right, missing)
                }),
                (None, None) => {}
            }
        }
    }
}

/// Hands `put(k, rows)` the rows at or above each rank `k` (the complement of the union of
/// the buckets below it), [`STEP`] ranks per pass.
#[inline(always)]
fn prefix(buckets: &[v128], mut put: impl FnMut(usize, v128)) {
    let mut below = u64x2_splat(0);
    for (c, chunk) in buckets.chunks_exact(STEP).enumerate() {
        for (i, b) in chunk.iter().enumerate() {
            put(STEP * c + i, v128_not(below));
            below = v128_or(below, *b);
        }
    }
}

/// Fills `s.masks` for `block`.
#[target_feature(enable = "simd128")]
fn masks(m: &Model, block: &[FeatureRow; BLOCK], s: &mut Scratch) {
    rank(m, block, s);
    build(m, s);
}

/// The mask of split `i`: its offset at `offs + i` in the block's mask table at `table`.
///
/// # Safety
/// Split `i` exists and the table holds its mask.
#[inline(always)]
unsafe fn mask(table: *const u8, offs: *const u32, i: usize) -> v128 {
    // SAFETY: as the caller guarantees.
    unsafe { v128_load(table.add(*offs.add(i) as usize).cast()) }
}

/// `subtree_h(table, offs, i)`: the bit planes of the leaf positions under split `i`, `h`
/// levels above the leaves: plane 0 the lowest split's decision, plane `h − 1` split `i`'s.
macro_rules! subtree {
    ($name:ident, $h:literal, $below:ident) => {
        /// # Safety
        /// The splits of the subtree under `i` exist.
        #[inline(always)]
        unsafe fn $name(table: *const u8, offs: *const u32, i: usize) -> [v128; $h] {
            // SAFETY: the children and `i` are splits of the subtree (caller).
            let (l, r, right) = unsafe {
                (
                    $below(table, offs, 2 * i + 1),
                    $below(table, offs, 2 * i + 2),
                    mask(table, offs, i),
                )
            };
            core::array::from_fn(|j| {
                if j + 1 == $h {
                    right
                } else {
                    v128_bitselect(r[j], l[j], right)
                }
            })
        }
    };
}

/// A split just above the leaves: its mask is the one plane.
///
/// # Safety
/// Split `i` exists.
#[inline(always)]
unsafe fn subtree_1(table: *const u8, offs: *const u32, i: usize) -> [v128; 1] {
    // SAFETY: as the caller guarantees.
    [unsafe { mask(table, offs, i) }]
}
subtree!(subtree_2, 2, subtree_1);
subtree!(subtree_3, 3, subtree_2);
subtree!(subtree_4, 4, subtree_3);
subtree!(subtree_5, 5, subtree_4);
subtree!(subtree_6, 6, subtree_5);

/// The bit planes of a tree of `depth` ≤ [`MAX_DEPTH`], zero above its depth.
///
/// # Safety
/// The tree's 2^depth − 1 splits have offsets from `offs` on.
#[inline(always)]
unsafe fn planes(table: *const u8, offs: *const u32, depth: u32) -> [v128; 6] {
    let pad = |p: &[v128]| core::array::from_fn(|j| p.get(j).copied().unwrap_or(u64x2_splat(0)));
    // SAFETY: as the caller guarantees.
    unsafe {
        match depth {
            0 => [u64x2_splat(0); 6],
            1 => pad(&subtree_1(table, offs, 0)),
            2 => pad(&subtree_2(table, offs, 0)),
            3 => pad(&subtree_3(table, offs, 0)),
            4 => pad(&subtree_4(table, offs, 0)),
            5 => pad(&subtree_5(table, offs, 0)),
            _ => subtree_6(table, offs, 0),
        }
    }
}

/// Bytes `0..8` of `a` and `b` interleaved (`interleave_lo(a, b)` = a0 b0 a1 b1 …).
#[inline(always)]
fn lo8(a: v128, b: v128) -> v128 {
    i8x16_shuffle::<0, 16, 1, 17, 2, 18, 3, 19, 4, 20, 5, 21, 6, 22, 7, 23>(a, b)
}

/// Bytes `8..16` of `a` and `b` interleaved.
#[inline(always)]
fn hi8(a: v128, b: v128) -> v128 {
    i8x16_shuffle::<8, 24, 9, 25, 10, 26, 11, 27, 12, 28, 13, 29, 14, 30, 15, 31>(a, b)
}

/// 16-bit units `0..4` of `a` and `b` interleaved.
#[inline(always)]
fn lo16(a: v128, b: v128) -> v128 {
    i16x8_shuffle::<0, 8, 1, 9, 2, 10, 3, 11>(a, b)
}

/// 16-bit units `4..8` of `a` and `b` interleaved.
#[inline(always)]
fn hi16(a: v128, b: v128) -> v128 {
    i16x8_shuffle::<4, 12, 5, 13, 6, 14, 7, 15>(a, b)
}

/// 32-bit units `0..2` of `a` and `b` interleaved.
#[inline(always)]
fn lo32(a: v128, b: v128) -> v128 {
    i32x4_shuffle::<0, 4, 1, 5>(a, b)
}

/// 32-bit units `2..4` of `a` and `b` interleaved.
#[inline(always)]
fn hi32(a: v128, b: v128) -> v128 {
    i32x4_shuffle::<2, 6, 3, 7>(a, b)
}

/// One step of an 8 × 8 bit transpose in each 64-bit lane: swaps the bits that `mask` picks
/// with those `shift` places above them.
#[inline(always)]
fn swap_bits(x: v128, shift: u32, mask: u64) -> v128 {
    let t = v128_and(v128_xor(x, u64x2_shr(x, shift)), u64x2_splat(mask));
    v128_xor(v128_xor(x, t), i64x2_shl(t, shift))
}

/// The leaf positions of a block's rows from a tree's bit planes: byte `r` of the result is
/// row `r`'s position (bit `j` from plane `j`).
///
/// Bit `b` of byte `i` of plane `j` is row `8i + b`'s bit `j`, so the planes are an
/// 8 × 16-byte matrix to be transposed twice: bytes first (three rounds of interleaving give,
/// in each 64-bit lane, one byte index `i` of all eight planes), then the bits of each lane as
/// an 8 × 8 bit matrix (three rounds of swaps), which leaves row `8i + b`'s position in byte
/// `b`.
#[inline(always)]
fn positions(p: &[v128; 6]) -> [v128; 8] {
    let zero = u64x2_splat(0);
    let a = [
        lo8(p[0], p[1]),
        hi8(p[0], p[1]),
        lo8(p[2], p[3]),
        hi8(p[2], p[3]),
        lo8(p[4], p[5]),
        hi8(p[4], p[5]),
    ];
    let b = [
        lo16(a[0], a[2]),
        hi16(a[0], a[2]),
        lo16(a[1], a[3]),
        hi16(a[1], a[3]),
        lo16(a[4], zero),
        hi16(a[4], zero),
        lo16(a[5], zero),
        hi16(a[5], zero),
    ];
    let c = [
        lo32(b[0], b[4]),
        hi32(b[0], b[4]),
        lo32(b[1], b[5]),
        hi32(b[1], b[5]),
        lo32(b[2], b[6]),
        hi32(b[2], b[6]),
        lo32(b[3], b[7]),
        hi32(b[3], b[7]),
    ];
    c.map(|x| {
        let x = swap_bits(x, 7, 0x00AA_00AA_00AA_00AA);
        let x = swap_bits(x, 14, 0x0000_CCCC_0000_CCCC);
        swap_bits(x, 28, 0x0000_0000_F0F0_F0F0)
    })
}

/// A block's leaf positions, one byte per row, aligned for vector stores.
#[repr(C, align(16))]
struct Positions([u8; BLOCK]);

/// Adds each row's leaf (at its position in `pos`) to its sum, four rows to a vector.
///
/// Out of line and unrolled: inside [`margins`] Cranelift kept the memory's base address on
/// the stack, and every loop header in wasmtime checks the fuel with a possible call into the
/// runtime, across which no vector register survives, so a loop here reloaded the NaN
/// constant on every pass.
///
/// # Safety
/// The positions index `leaves`.
#[target_feature(enable = "simd128")]
#[inline(never)]
unsafe fn add_leaves(leaves: *const f32, pos: &Positions, sums: &mut [v128; BLOCK / 4]) {
    let at = |r: usize| {
        // SAFETY: as the caller guarantees.
        unsafe { leaves.add(pos.0[r] as usize) }
    };
    macro_rules! quads {
        ($($q:literal)*) => {$(
            // SAFETY: `at` points at leaves.
            let x = unsafe {
                let x = v128_load32_zero(at(4 * $q).cast());
                let x = v128_load32_lane::<1>(x, at(4 * $q + 1).cast());
                let x = v128_load32_lane::<2>(x, at(4 * $q + 2).cast());
                v128_load32_lane::<3>(x, at(4 * $q + 3).cast())
            };
            sums[$q] = f32x4_add(sums[$q], x);
        )*};
    }
    quads!(0 1 2 3 4 5 6 7 8 9 10 11 12 13 14 15 16 17 18 19 20 21 22 23 24 25 26 27 28 29 30 31);
}

/// The margins of a block whose first `n` rows are real.
///
/// # Safety
/// `m.planes` is ready.
#[target_feature(enable = "simd128")]
#[inline(never)]
unsafe fn margins(
    m: &Model,
    block: &[FeatureRow; BLOCK],
    n: usize,
    s: &mut Scratch,
) -> [f32; BLOCK] {
    masks(m, block, s);
    let table = s.masks.as_ptr().cast::<u8>();
    let mut rank_rows: Option<Box<[RankRow; BLOCK]>> = None;
    let mut sums = [f32x4_splat(m.base_score); BLOCK / 4];
    let mut pos = Positions([0; BLOCK]);
    for e in &m.eval {
        let n_splits = e.n_splits();
        let leaves = m.leaves[e.leaf_off..e.leaf_off + n_splits + 1].as_ptr();
        if e.depth > MAX_DEPTH {
            let rank_rows = rank_rows.get_or_insert_with(|| Box::new(m.cuts.ranks(block)));
            let mut walked = [0f32; BLOCK];
            for (w, ranks) in walked[..n].iter_mut().zip(rank_rows.iter()) {
                *w = m.walk(e, ranks);
            }
            for (q, sum) in sums.iter_mut().enumerate() {
                // SAFETY: `walked` has 4 floats from 4q on.
                *sum = f32x4_add(*sum, unsafe {
                    v128_load(walked.as_ptr().add(4 * q).cast())
                });
            }
            continue;
        }
        // SAFETY: the tree's splits have offsets in `masks` from `node_off` on (`Planes::new`).
        let planes = unsafe { planes(table, m.planes.masks.as_ptr().add(e.node_off), e.depth) };
        for (g, p) in positions(&planes).into_iter().enumerate() {
            // SAFETY: `pos` has sixteen bytes from 16g on. Volatile, so that LLVM reads the
            // positions back from memory, one byte per row, instead of extracting lanes.
            unsafe { core::ptr::write_volatile(pos.0.as_mut_ptr().add(GROUP * g).cast(), p) };
        }
        // SAFETY: positions are below 2^depth = n_splits + 1, the number of leaves.
        unsafe { add_leaves(leaves, &pos, &mut sums) };
    }
    let mut out = [0f32; BLOCK];
    for (q, sum) in sums.iter().enumerate() {
        // SAFETY: `out` has 4 floats from 4q on.
        unsafe { v128_store(out.as_mut_ptr().add(4 * q).cast(), *sum) };
    }
    out
}
