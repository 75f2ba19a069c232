//! Probabilistic forecast metrics: AUC, log loss, Brier score, expected calibration error and
//! the calibration table behind it.

use serde::Serialize;

/// Number of equal-width probability bins for ECE and the calibration table.
pub const CALIBRATION_BINS: usize = 10;

#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
pub struct Metrics {
    pub n_shots: usize,
    pub n_goals: usize,
    pub auc: f64,
    pub log_loss: f64,
    pub brier: f64,
    pub ece: f64,
    /// Σ xG over the shots.
    pub sum_xg: f64,
    /// Σ xG / goals: 1.0 means the totals agree.
    pub xg_ratio: f64,
}

/// One bin of the calibration table.
#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
pub struct CalibrationBin {
    pub lo: f64,
    pub hi: f64,
    pub n: usize,
    pub mean_xg: f64,
    pub goal_rate: f64,
}

/// Area under the ROC curve (Mann–Whitney, ties counted half). NaN with only one class.
pub fn auc(p: &[f64], y: &[bool]) -> f64 {
    let mut idx: Vec<usize> = (0..p.len()).collect();
    idx.sort_by(|&a, &b| p[a].total_cmp(&p[b]));
    let n_pos = y.iter().filter(|&&v| v).count() as f64;
    let n_neg = y.len() as f64 - n_pos;
    if n_pos == 0.0 || n_neg == 0.0 {
        return f64::NAN;
    }
    // Sum of positive ranks with average ranks for ties.
    let mut rank_sum = 0.0;
    let mut i = 0;
    while i < idx.len() {
        let mut j = i;
        while j + 1 < idx.len() && p[idx[j + 1]] == p[idx[i]] {
            j += 1;
        }
        let avg_rank = (i + j) as f64 / 2.0 + 1.0;
        for &k in &idx[i..=j] {
            if y[k] {
                rank_sum += avg_rank;
            }
        }
        i = j + 1;
    }
    (rank_sum - n_pos * (n_pos + 1.0) / 2.0) / (n_pos * n_neg)
}

pub fn log_loss(p: &[f64], y: &[bool]) -> f64 {
    let eps = 1e-15;
    let s: f64 = p
        .iter()
        .zip(y)
        .map(|(&p, &y)| {
            let p = p.clamp(eps, 1.0 - eps);
            if y {
                -p.ln()
            } else {
                -(1.0 - p).ln()
            }
        })
        .sum();
    s / p.len() as f64
}

pub fn brier(p: &[f64], y: &[bool]) -> f64 {
    p.iter()
        .zip(y)
        .map(|(&p, &y)| (p - y as u8 as f64).powi(2))
        .sum::<f64>()
        / p.len() as f64
}

/// The calibration table: [`CALIBRATION_BINS`] equal-width bins of predicted probability.
pub fn calibration(p: &[f64], y: &[bool]) -> Vec<CalibrationBin> {
    let k = CALIBRATION_BINS;
    let mut n = vec![0usize; k];
    let mut sp = vec![0.0; k];
    let mut sy = vec![0.0; k];
    for (&p, &y) in p.iter().zip(y) {
        let b = ((p * k as f64) as usize).min(k - 1);
        n[b] += 1;
        sp[b] += p;
        sy[b] += y as u8 as f64;
    }
    (0..k)
        .map(|b| CalibrationBin {
            lo: b as f64 / k as f64,
            hi: (b + 1) as f64 / k as f64,
            n: n[b],
            mean_xg: if n[b] > 0 {
                sp[b] / n[b] as f64
            } else {
                f64::NAN
            },
            goal_rate: if n[b] > 0 {
                sy[b] / n[b] as f64
            } else {
                f64::NAN
            },
        })
        .collect()
}

/// Expected calibration error: Σ (n_b / N) · |mean xG_b − goal rate_b| over the bins.
pub fn ece(p: &[f64], y: &[bool]) -> f64 {
    let total = p.len() as f64;
    calibration(p, y)
        .iter()
        .filter(|b| b.n > 0)
        .map(|b| b.n as f64 / total * (b.mean_xg - b.goal_rate).abs())
        .sum()
}

pub fn all(p: &[f64], y: &[bool]) -> Metrics {
    let n_goals = y.iter().filter(|&&v| v).count();
    Metrics {
        n_shots: p.len(),
        n_goals,
        auc: auc(p, y),
        log_loss: log_loss(p, y),
        brier: brier(p, y),
        ece: ece(p, y),
        sum_xg: p.iter().sum(),
        xg_ratio: p.iter().sum::<f64>() / n_goals as f64,
    }
}

/// Points of the ROC curve (false positive rate, true positive rate), thresholds descending.
pub fn roc_curve(p: &[f64], y: &[bool]) -> Vec<(f64, f64)> {
    let mut idx: Vec<usize> = (0..p.len()).collect();
    idx.sort_by(|&a, &b| p[b].total_cmp(&p[a]));
    let n_pos = y.iter().filter(|&&v| v).count().max(1) as f64;
    let n_neg = (y.len() as f64 - n_pos).max(1.0);
    let (mut tp, mut fp) = (0.0, 0.0);
    let mut out = vec![(0.0, 0.0)];
    for (k, &i) in idx.iter().enumerate() {
        if y[i] {
            tp += 1.0;
        } else {
            fp += 1.0;
        }
        if k + 1 == idx.len() || p[idx[k + 1]] != p[i] {
            out.push((fp / n_neg, tp / n_pos));
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn auc_of_perfect_random_and_inverted_rankings() {
        let y = [false, false, true, true];
        assert_eq!(auc(&[0.1, 0.2, 0.8, 0.9], &y), 1.0);
        assert_eq!(auc(&[0.9, 0.8, 0.2, 0.1], &y), 0.0);
        assert_eq!(auc(&[0.5; 4], &y), 0.5);
        assert!(auc(&[0.5, 0.5], &[true, true]).is_nan());
    }

    #[test]
    fn hand_checked_scores() {
        let p = [0.2, 0.8];
        let y = [false, true];
        assert!((brier(&p, &y) - 0.04).abs() < 1e-12);
        assert!((log_loss(&p, &y) - (-(0.8f64).ln())).abs() < 1e-12);
        // Perfectly calibrated bins have no calibration error.
        let p = [0.25; 4];
        assert!((ece(&p, &[true, false, false, false])).abs() < 1e-12);
        assert!((ece(&p, &[true, true, false, false]) - 0.25).abs() < 1e-12);
    }

    #[test]
    fn roc_runs_from_origin_to_one_one() {
        let r = roc_curve(&[0.1, 0.4, 0.35, 0.8], &[false, false, true, true]);
        assert_eq!(r.first(), Some(&(0.0, 0.0)));
        assert_eq!(r.last(), Some(&(1.0, 1.0)));
    }
}
