//! The classic baseline: logistic regression on distance to goal and goal-mouth angle, fitted
//! by Newton's method (IRLS). Features come from the scorer's table by name.

use scorer::features::{self, FeatureRow};

/// The baseline's inputs, by scorer feature name.
pub const BASELINE_FEATURES: [&str; 2] = ["distance_to_goal_m", "goal_mouth_angle_rad"];

#[derive(Debug, Clone, PartialEq)]
pub struct Logistic {
    /// Feature indices into the scorer's row.
    pub columns: Vec<usize>,
    /// Intercept first, then one weight per column (on standardised inputs).
    pub weights: Vec<f64>,
    mean: Vec<f64>,
    scale: Vec<f64>,
}

impl Logistic {
    /// Fits on `rows` with labels `y` (L2 penalty 1e-6 keeps separable data finite).
    pub fn fit(rows: &[FeatureRow], y: &[bool], names: &[&str]) -> Logistic {
        let columns: Vec<usize> = names
            .iter()
            .map(|n| features::index_of(n).expect("baseline feature exists in the scorer"))
            .collect();
        let k = columns.len();
        let n = rows.len() as f64;
        let col = |r: &FeatureRow, j: usize| r[columns[j]] as f64;
        let mean: Vec<f64> = (0..k)
            .map(|j| rows.iter().map(|r| col(r, j)).sum::<f64>() / n)
            .collect();
        let scale: Vec<f64> = (0..k)
            .map(|j| {
                let v = rows
                    .iter()
                    .map(|r| (col(r, j) - mean[j]).powi(2))
                    .sum::<f64>()
                    / n;
                v.sqrt().max(1e-9)
            })
            .collect();
        let mut m = Logistic {
            columns,
            weights: vec![0.0; k + 1],
            mean,
            scale,
        };
        for _ in 0..50 {
            // Gradient and Hessian of the penalised negative log-likelihood.
            let d = k + 1;
            let mut g = vec![0.0; d];
            let mut h = vec![vec![0.0; d]; d];
            for (r, &yi) in rows.iter().zip(y) {
                let x = m.design(r);
                let p = m.prob_x(&x);
                let w = (p * (1.0 - p)).max(1e-12);
                for a in 0..d {
                    g[a] += (p - yi as u8 as f64) * x[a];
                    for b in 0..d {
                        h[a][b] += w * x[a] * x[b];
                    }
                }
            }
            for a in 0..d {
                g[a] += 1e-6 * m.weights[a];
                h[a][a] += 1e-6;
            }
            let step = solve(h, g);
            let mut max_step: f64 = 0.0;
            for (w, s) in m.weights.iter_mut().zip(&step) {
                *w -= s;
                max_step = max_step.max(s.abs());
            }
            if max_step < 1e-10 {
                break;
            }
        }
        m
    }

    fn design(&self, r: &FeatureRow) -> Vec<f64> {
        let mut x = vec![1.0];
        for (j, &c) in self.columns.iter().enumerate() {
            let v = r[c] as f64;
            x.push(if v.is_nan() {
                0.0
            } else {
                (v - self.mean[j]) / self.scale[j]
            });
        }
        x
    }

    fn prob_x(&self, x: &[f64]) -> f64 {
        let z: f64 = x.iter().zip(&self.weights).map(|(a, b)| a * b).sum();
        1.0 / (1.0 + (-z).exp())
    }

    pub fn predict(&self, r: &FeatureRow) -> f64 {
        self.prob_x(&self.design(r))
    }
}

/// Solves `a · x = b` by Gaussian elimination with partial pivoting (tiny systems only).
fn solve(mut a: Vec<Vec<f64>>, mut b: Vec<f64>) -> Vec<f64> {
    let n = b.len();
    for c in 0..n {
        let p = (c..n)
            .max_by(|&i, &j| a[i][c].abs().total_cmp(&a[j][c].abs()))
            .expect("n > 0");
        a.swap(c, p);
        b.swap(c, p);
        let pivot = a[c].clone();
        for r in c + 1..n {
            let f = a[r][c] / pivot[c];
            for (x, p) in a[r][c..].iter_mut().zip(&pivot[c..]) {
                *x -= f * p;
            }
            b[r] -= f * b[c];
        }
    }
    let mut x = vec![0.0; n];
    for r in (0..n).rev() {
        let s: f64 = (r + 1..n).map(|k| a[r][k] * x[k]).sum();
        x[r] = (b[r] - s) / a[r][r];
    }
    x
}

#[cfg(test)]
mod tests {
    use super::*;
    use scorer::{BodyPart, Point, Shot, ShotKind};

    #[test]
    fn recovers_a_known_relationship() {
        // Goals are likelier close to goal: the fitted distance weight must be negative and
        // predictions must fall with distance.
        let mut rng = scorer::synth::Rng::new(1);
        let mut rows = Vec::new();
        let mut y = Vec::new();
        for _ in 0..4000 {
            let x = rng.range(70.0, 104.0);
            let s = Shot::simple(
                Point::new(x, rng.range(20.0, 48.0)),
                BodyPart::LeftFoot,
                ShotKind::OpenPlay,
            )
            .unwrap();
            let r = features::extract(&s);
            let p = 1.0 / (1.0 + (0.15 * r[0] as f64 - 1.0).exp());
            y.push((rng.unit() as f64) < p);
            rows.push(r);
        }
        let m = Logistic::fit(&rows, &y, &BASELINE_FEATURES);
        let near = features::extract(
            &Shot::simple(
                Point::new(99.0, 34.0),
                BodyPart::LeftFoot,
                ShotKind::OpenPlay,
            )
            .unwrap(),
        );
        let far = features::extract(
            &Shot::simple(
                Point::new(75.0, 34.0),
                BodyPart::LeftFoot,
                ShotKind::OpenPlay,
            )
            .unwrap(),
        );
        assert!(
            m.predict(&near) > 0.5 && m.predict(&far) < 0.1,
            "{} {}",
            m.predict(&near),
            m.predict(&far)
        );
    }
}
