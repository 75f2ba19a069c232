//! The binned training set: every feature quantised once into at most `max_bins` quantile bins
//! (edges from the training rows, deterministic), and the exact conversion of a split on bin
//! indices back to a threshold on the raw feature.
//!
//! Why: `gbdt` 0.1.3 scans each node's rows in feature order and evaluates a split candidate
//! at every change of value, so a feature with thousands of distinct values costs thousands
//! of impurity evaluations per node; bin indices cut that to at most `max_bins`.
//!
//! Bin of a value `v` of feature `f`: 0 when `v` is missing (NaN) or the feature is masked out
//! (a constant column, never split on); otherwise `1 + #{edges[f] ≤ v}`. gbdt sends a row left
//! when `bin < t` for its threshold `t`; bins are integers, so that is `bin ≤ K` with
//! `K = ⌈t⌉ − 1`, which for a present value is exactly `v < edges[f][K − 1]` (and for `K = 0`,
//! "missing only": no present value goes left). A missing value has bin 0 and always goes
//! left, which the scorer's `nan_left` flag records. So the converted split routes every
//! non-NaN value exactly as the binned split routes its bin, and NaN as bin 0.

use scorer::features::{FeatureRow, N_FEATURES};

/// A row of bin indices, as the `f32` values gbdt consumes.
pub type BinRow = [f32; N_FEATURES];

/// Quantile bin edges per feature, computed on training rows.
#[derive(Debug, Clone, PartialEq)]
pub struct Bins {
    /// `edges[f]` ascending; present bins are `1..=edges[f].len() + 1`.
    edges: Vec<Vec<f32>>,
}

/// Why a binned split cannot be converted (a gbdt tree this module did not make).
#[derive(Debug, Clone, PartialEq)]
pub enum BinError {
    DegenerateSplit { feature: usize, threshold: f32 },
}

impl std::fmt::Display for BinError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            BinError::DegenerateSplit { feature, threshold } => write!(
                f,
                "feature {feature}: a split at bin threshold {threshold} sends every bin one way"
            ),
        }
    }
}

impl std::error::Error for BinError {}

/// A value strictly above `a` and at most `b` (`a < b`), near their midpoint.
fn edge_between(a: f32, b: f32) -> f32 {
    let m = (a + b) / 2.0;
    if a < m && m <= b {
        m
    } else {
        b
    }
}

impl Bins {
    /// Edges for each feature from the present values of `rows`: the midpoints between
    /// adjacent distinct values when there are at most `max_bins` of them, otherwise at most
    /// `max_bins − 1` edges at quantiles (never splitting a run of equal values).
    pub fn fit(rows: &[FeatureRow], max_bins: usize) -> Bins {
        let max_bins = max_bins.max(2);
        let edges = (0..N_FEATURES)
            .map(|f| {
                let mut v: Vec<f32> = rows.iter().map(|r| r[f]).filter(|x| !x.is_nan()).collect();
                v.sort_by(f32::total_cmp);
                // Distinct values (−0.0 and 0.0 are one value: the scorer compares with `<`)
                // and how many rows have each.
                let mut distinct: Vec<(f32, usize)> = Vec::new();
                for x in v.iter().copied() {
                    match distinct.last_mut() {
                        Some((last, n)) if *last == x => *n += 1,
                        _ => distinct.push((x, 1)),
                    }
                }
                if distinct.len() <= max_bins {
                    return distinct
                        .windows(2)
                        .map(|w| edge_between(w[0].0, w[1].0))
                        .collect();
                }
                let total = v.len();
                let mut edges = Vec::with_capacity(max_bins - 1);
                let mut seen = 0usize;
                for w in distinct.windows(2) {
                    seen += w[0].1;
                    // Close a bin once it reaches the next quantile of the rows.
                    if seen * max_bins >= (edges.len() + 1) * total {
                        edges.push(edge_between(w[0].0, w[1].0));
                        if edges.len() == max_bins - 1 {
                            break;
                        }
                    }
                }
                edges
            })
            .collect();
        Bins { edges }
    }

    /// The edges of feature `f` (ascending).
    pub fn edges(&self, f: usize) -> &[f32] {
        &self.edges[f]
    }

    /// The most edges (possible split thresholds) of any feature.
    pub fn max_edges(&self) -> usize {
        self.edges.iter().map(Vec::len).max().unwrap_or(0)
    }

    /// Most bins any feature has, the missing bin included.
    pub fn max_bins_used(&self) -> usize {
        self.max_edges() + 2
    }

    /// The bin of value `v` of feature `f`.
    pub fn bin(&self, f: usize, v: f32) -> u16 {
        if v.is_nan() {
            0
        } else {
            1 + self.edges[f].partition_point(|&e| e <= v) as u16
        }
    }

    /// Bin indices of every row; features with `mask[f] == false` are all bin 0.
    pub fn bin_rows(&self, rows: &[FeatureRow], mask: &[bool; N_FEATURES]) -> Vec<BinRow> {
        rows.iter()
            .map(|r| {
                let mut b = [0.0f32; N_FEATURES];
                for f in 0..N_FEATURES {
                    if mask[f] {
                        b[f] = self.bin(f, r[f]) as f32;
                    }
                }
                b
            })
            .collect()
    }

    /// The raw-feature split equivalent to gbdt's "bin < `threshold`" on feature `f`:
    /// `(threshold, nan_left)` for the scorer's "value < threshold, NaN by flag".
    pub fn raw_split(&self, f: usize, threshold: f32) -> Result<(f32, bool), BinError> {
        let degenerate = BinError::DegenerateSplit {
            feature: f,
            threshold,
        };
        // Rows go left when bin ≤ k.
        let k = threshold.ceil() - 1.0;
        if k.is_nan() || k < 0.0 || k > self.edges[f].len() as f32 {
            return Err(degenerate);
        }
        let k = k as usize;
        if k == 0 {
            // Only the missing bin goes left: no value is below −∞.
            Ok((f32::NEG_INFINITY, true))
        } else {
            Ok((self.edges[f][k - 1], true))
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn rows_of(values: &[f32]) -> Vec<FeatureRow> {
        values
            .iter()
            .map(|&v| {
                let mut r = [0.0f32; N_FEATURES];
                r[0] = v;
                r
            })
            .collect()
    }

    #[test]
    fn few_distinct_values_get_one_bin_each_with_midpoint_edges() {
        let b = Bins::fit(&rows_of(&[1.0, 3.0, 3.0, f32::NAN, 2.0, -0.0, 0.0]), 16);
        assert_eq!(b.edges(0), &[0.5, 1.5, 2.5]);
        assert_eq!(b.bin(0, f32::NAN), 0);
        assert_eq!(b.bin(0, 0.0), 1);
        assert_eq!(b.bin(0, -0.0), 1);
        assert_eq!(b.bin(0, 1.0), 2);
        assert_eq!(b.bin(0, 3.0), 4);
        assert_eq!(b.bin(0, 99.0), 4);
        assert!(b.edges(1).is_empty(), "a constant column has one bin");
    }

    #[test]
    fn the_default_bins_keep_models_within_the_wasm_vector_path() {
        let v: Vec<f32> = (0..5000).map(|i| i as f32 * 0.37).collect();
        let space = crate::search::Space::load(None).unwrap();
        let default = Bins::fit(&rows_of(&v), space.max_bins);
        assert!(default.max_edges() <= scorer::model::WASM_VECTOR_MAX_THRESHOLDS);
        assert!(default.max_edges() >= 250, "{}", default.max_edges());
        let finer = Bins::fit(&rows_of(&v), 1000);
        assert!(finer.max_edges() > scorer::model::WASM_VECTOR_MAX_THRESHOLDS);
    }

    #[test]
    fn many_distinct_values_are_cut_at_quantiles() {
        let v: Vec<f32> = (0..1000).map(|i| i as f32).collect();
        let b = Bins::fit(&rows_of(&v), 4);
        assert_eq!(b.edges(0), &[249.5, 499.5, 749.5]);
        // A heavy run of one value is never split and takes its own bins' share.
        let mut v = vec![5.0f32; 900];
        v.extend((0..100).map(|i| 10.0 + i as f32));
        let b = Bins::fit(&rows_of(&v), 4);
        assert_eq!(b.edges(0)[0], 7.5, "{:?}", b.edges(0));
        assert!(b.edges(0).len() <= 3);
    }

    #[test]
    fn converted_splits_route_every_value_as_its_bin_does() {
        let mut v: Vec<f32> = (0..500)
            .map(|i| ((i * 37) % 211) as f32 * 0.173 - 5.0)
            .collect();
        v.push(f32::NAN);
        let b = Bins::fit(&rows_of(&v), 32);
        let n_bins = b.edges(0).len() + 2;
        let probes: Vec<f32> = v
            .iter()
            .copied()
            .chain(b.edges(0).iter().copied())
            .chain([f32::MIN, f32::MAX, -1e9, 1e9, f32::NAN])
            .collect();
        // Every threshold gbdt can produce between two bins: midpoints and whole numbers.
        for lo in 0..n_bins - 1 {
            for hi in lo + 1..n_bins {
                let t = (lo as f32 + hi as f32) / 2.0;
                let (raw, nan_left) = b.raw_split(0, t).unwrap();
                for &x in &probes {
                    let binned_left = (b.bin(0, x) as f32) < t;
                    let raw_left = x < raw || (x.is_nan() && nan_left);
                    assert_eq!(binned_left, raw_left, "x {x} t {t} raw {raw}");
                }
            }
        }
        assert!(b.raw_split(0, 0.0).is_err() && b.raw_split(0, n_bins as f32).is_err());
    }
}
