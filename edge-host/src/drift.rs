//! Drift monitoring: a rolling window of scored shots compared with the training data's
//! reference distributions (from the model manifest), reported as CloudWatch Embedded Metric
//! Format (EMF) log lines.
//!
//! The manifest's `reference` holds, per feature and for the prediction, decile bin `edges`,
//! the training share per bin (`shares`, of the present values) and the `missing_share`. The
//! window keeps the bin of every feature of its last [`DriftWindow::capacity`] shots, with
//! counts updated as shots enter and leave, so a report costs O(features × bins), not
//! O(window). The population stability index per column is
//! `PSI = Σ (actual − expected) · ln(actual / expected)` over the bins plus a "missing" bin,
//! shares floored at [`PSI_FLOOR`]. Rules of thumb: < 0.1 stable, 0.1–0.2 moderate,
//! > [`DRIFT_PSI`] drifted.
//!
//! Reported per invocation: counts (`RecordsIn`: user records, so a KPL aggregate counts as
//! the records it holds; `RecordsScored`, `DeadLetters`,
//! `BatchItemFailures`, `PutRetries`, `ModelReloadFailures`) and, over the window,
//! `InvalidShare`, `DistanceMedianM`, and once the window holds [`MIN_PSI_SAMPLES`] shots,
//! `PsiPrediction`, `PsiFeatureMax` and `DriftShare` (the share of features whose PSI exceeds
//! [`DRIFT_PSI`]; the original system's "dataset drift share"). Per-feature PSI goes into the
//! same line as a property (searchable in Logs Insights, not a billed metric).

use scorer::{FeatureRow, FEATURES, N_FEATURES};
use serde_json::{json, Map, Value};

/// Shares below this are raised to it before taking logs.
pub const PSI_FLOOR: f64 = 1e-4;
/// A column with a PSI above this counts as drifted.
pub const DRIFT_PSI: f64 = 0.2;
/// PSI needs enough shots to mean anything.
pub const MIN_PSI_SAMPLES: usize = 100;

/// One column's reference distribution.
#[derive(Debug, Clone, PartialEq)]
pub struct Distribution {
    edges: Vec<f64>,
    /// Expected share per bin, the last entry being "missing"; sums to 1.
    expected: Vec<f64>,
}

impl Distribution {
    fn from_json(name: &str, v: &Value) -> Result<Distribution, String> {
        let field = |key: &str| {
            v.get(key)
                .ok_or_else(|| format!("reference for {name} has no {key}"))
        };
        let numbers = |key: &str| -> Result<Vec<f64>, String> {
            field(key)?
                .as_array()
                .ok_or_else(|| format!("reference {name}.{key} is not an array"))?
                .iter()
                .map(|x| {
                    x.as_f64()
                        .filter(|x| x.is_finite())
                        .ok_or_else(|| format!("reference {name}.{key} holds a non-number"))
                })
                .collect()
        };
        let edges = numbers("edges")?;
        let shares = numbers("shares")?;
        let missing = field("missing_share")?
            .as_f64()
            .filter(|m| (0.0..=1.0).contains(m))
            .ok_or_else(|| format!("reference {name}.missing_share is not in [0, 1]"))?;
        if edges.len() > 1000 {
            return Err(format!("reference {name} has {} edges", edges.len()));
        }
        if shares.len() != edges.len() + 1 {
            return Err(format!(
                "reference {name} has {} edges but {} shares (want edges + 1)",
                edges.len(),
                shares.len()
            ));
        }
        if edges.windows(2).any(|w| w[0] > w[1]) {
            return Err(format!("reference {name}.edges are not sorted"));
        }
        if shares.iter().any(|s| !(0.0..=1.0).contains(s)) {
            return Err(format!("reference {name}.shares are not in [0, 1]"));
        }
        let mut expected: Vec<f64> = shares.iter().map(|s| s * (1.0 - missing)).collect();
        expected.push(missing);
        Ok(Distribution { edges, expected })
    }

    fn n_bins(&self) -> usize {
        self.expected.len()
    }

    /// The bin of a value: as the trainer counted, `edges.partition_point(|e| e <= v)`; NaN is
    /// the missing bin.
    fn bin(&self, v: f32) -> usize {
        if v.is_nan() {
            self.edges.len() + 1
        } else {
            let v = f64::from(v);
            self.edges.partition_point(|&e| e <= v)
        }
    }

    fn psi(&self, counts: &[u32], n: usize) -> f64 {
        let n = n.max(1) as f64;
        self.expected
            .iter()
            .zip(counts)
            .map(|(&e, &c)| {
                let a = (f64::from(c) / n).max(PSI_FLOOR);
                let e = e.max(PSI_FLOOR);
                (a - e) * (a / e).ln()
            })
            .sum()
    }
}

/// The reference distributions of a model, in feature-table order.
#[derive(Debug, Clone, PartialEq)]
pub struct Reference {
    features: Vec<Option<Distribution>>,
    prediction: Option<Distribution>,
}

impl Reference {
    /// Reads a manifest's `reference` object; features it does not list are not monitored.
    pub fn from_manifest(v: &Value) -> Result<Reference, String> {
        let by_name = v
            .get("features")
            .and_then(Value::as_object)
            .ok_or("reference.features is not an object")?;
        let features = FEATURES
            .iter()
            .map(|f| {
                by_name
                    .get(f.name)
                    .map(|d| Distribution::from_json(f.name, d))
                    .transpose()
            })
            .collect::<Result<_, _>>()?;
        let prediction = v
            .get("prediction")
            .map(|d| Distribution::from_json("prediction", d))
            .transpose()?;
        Ok(Reference {
            features,
            prediction,
        })
    }
}

/// Per-invocation counters.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct BatchCounts {
    pub records_in: usize,
    pub scored: usize,
    pub dead_letters: usize,
    pub batch_item_failures: usize,
    pub put_retries: usize,
    pub model_reload_failures: usize,
}

/// Columns monitored: the features, then the prediction.
const N_COLUMNS: usize = N_FEATURES + 1;

/// The rolling window.
#[derive(Debug, Clone)]
pub struct DriftWindow {
    capacity: usize,
    reference: Option<Reference>,
    /// Bin of each column of each shot in the window (ring buffer), when a reference exists.
    bins: Vec<[u16; N_COLUMNS]>,
    distances_m: Vec<f32>,
    next: usize,
    counts: Vec<Vec<u32>>,
    /// Valid (true) / invalid (false) for the last `capacity` records.
    validity: Vec<bool>,
    next_validity: usize,
    n_invalid: usize,
}

impl DriftWindow {
    pub fn new(capacity: usize, reference: Option<Reference>) -> DriftWindow {
        let mut w = DriftWindow {
            capacity: capacity.max(1),
            reference: None,
            bins: Vec::new(),
            distances_m: Vec::new(),
            next: 0,
            counts: Vec::new(),
            validity: Vec::new(),
            next_validity: 0,
            n_invalid: 0,
        };
        w.set_reference(reference);
        w
    }

    pub fn capacity(&self) -> usize {
        self.capacity
    }

    /// A new model brings new references: the shot window restarts (record validity stays).
    pub fn set_reference(&mut self, reference: Option<Reference>) {
        self.counts = match &reference {
            Some(r) => (0..N_COLUMNS)
                .map(|c| vec![0; column(r, c).map_or(0, Distribution::n_bins)])
                .collect(),
            None => vec![Vec::new(); N_COLUMNS],
        };
        self.reference = reference;
        self.bins.clear();
        self.distances_m.clear();
        self.next = 0;
    }

    /// Counts one input record as valid or invalid.
    pub fn record(&mut self, valid: bool) {
        if self.validity.len() < self.capacity {
            self.validity.push(valid);
        } else {
            let old = std::mem::replace(&mut self.validity[self.next_validity], valid);
            self.n_invalid -= usize::from(!old);
            self.next_validity = (self.next_validity + 1) % self.capacity;
        }
        self.n_invalid += usize::from(!valid);
    }

    /// Adds one scored shot.
    pub fn push(&mut self, features: &FeatureRow, xg: f32) {
        let mut bins = [0u16; N_COLUMNS];
        if let Some(r) = &self.reference {
            for (c, bin) in bins.iter_mut().enumerate() {
                let v = if c < N_FEATURES { features[c] } else { xg };
                if let Some(d) = column(r, c) {
                    *bin = d.bin(v) as u16;
                    self.counts[c][*bin as usize] += 1;
                }
            }
        }
        let distance = features[0];
        if self.bins.len() < self.capacity {
            self.bins.push(bins);
            self.distances_m.push(distance);
        } else {
            let old = std::mem::replace(&mut self.bins[self.next], bins);
            self.distances_m[self.next] = distance;
            if let Some(r) = &self.reference {
                for (c, &bin) in old.iter().enumerate() {
                    if column(r, c).is_some() {
                        self.counts[c][bin as usize] -= 1;
                    }
                }
            }
            self.next = (self.next + 1) % self.capacity;
        }
    }

    pub fn n_shots(&self) -> usize {
        self.bins.len()
    }

    /// PSI per monitored column (feature names, then "prediction"), once the window holds
    /// [`MIN_PSI_SAMPLES`] shots.
    pub fn psi(&self) -> Option<Vec<(&'static str, f64)>> {
        let r = self.reference.as_ref()?;
        if self.bins.len() < MIN_PSI_SAMPLES {
            return None;
        }
        Some(
            (0..N_COLUMNS)
                .filter_map(|c| {
                    let name = if c < N_FEATURES {
                        FEATURES[c].name
                    } else {
                        "prediction"
                    };
                    column(r, c).map(|d| (name, d.psi(&self.counts[c], self.bins.len())))
                })
                .collect(),
        )
    }

    /// The median shot distance in the window (the original's distance quantile).
    pub fn distance_median_m(&self) -> Option<f32> {
        let mut d: Vec<f32> = self
            .distances_m
            .iter()
            .copied()
            .filter(|v| v.is_finite())
            .collect();
        if d.is_empty() {
            return None;
        }
        let mid = d.len() / 2;
        let (_, m, _) = d.select_nth_unstable_by(mid, f32::total_cmp);
        Some(*m)
    }

    pub fn invalid_share(&self) -> Option<f64> {
        (!self.validity.is_empty()).then(|| self.n_invalid as f64 / self.validity.len() as f64)
    }

    /// One EMF log line for this invocation.
    pub fn emf_line(
        &self,
        namespace: &str,
        function_name: &str,
        model_version: &str,
        counts: &BatchCounts,
        timestamp_ms: u64,
    ) -> String {
        let mut metrics: Vec<(&str, &str, Value)> = vec![
            ("RecordsIn", "Count", counts.records_in.into()),
            ("RecordsScored", "Count", counts.scored.into()),
            ("DeadLetters", "Count", counts.dead_letters.into()),
            (
                "BatchItemFailures",
                "Count",
                counts.batch_item_failures.into(),
            ),
            ("PutRetries", "Count", counts.put_retries.into()),
            (
                "ModelReloadFailures",
                "Count",
                counts.model_reload_failures.into(),
            ),
        ];
        if let Some(share) = self.invalid_share() {
            metrics.push(("InvalidShare", "None", share.into()));
        }
        if let Some(m) = self.distance_median_m() {
            metrics.push(("DistanceMedianM", "None", f64::from(m).into()));
        }
        let mut per_feature = Map::new();
        if let Some(psi) = self.psi() {
            let features: Vec<f64> = psi
                .iter()
                .filter(|(n, _)| *n != "prediction")
                .map(|&(_, v)| v)
                .collect();
            if let Some(&(_, p)) = psi.iter().find(|(n, _)| *n == "prediction") {
                metrics.push(("PsiPrediction", "None", p.into()));
            }
            if !features.is_empty() {
                let max = features.iter().copied().fold(0.0, f64::max);
                let drifted = features.iter().filter(|&&v| v > DRIFT_PSI).count();
                metrics.push(("PsiFeatureMax", "None", max.into()));
                metrics.push((
                    "DriftShare",
                    "None",
                    (drifted as f64 / features.len() as f64).into(),
                ));
            }
            for (name, v) in psi {
                per_feature.insert(name.to_string(), json!(round6(v)));
            }
        }
        let mut line = Map::new();
        line.insert(
            "_aws".into(),
            json!({
                "Timestamp": timestamp_ms,
                "CloudWatchMetrics": [{
                    "Namespace": namespace,
                    "Dimensions": [["FunctionName"]],
                    "Metrics": metrics.iter().map(|(n, u, _)| json!({"Name": n, "Unit": u})).collect::<Vec<_>>(),
                }],
            }),
        );
        line.insert("FunctionName".into(), function_name.into());
        line.insert("ModelVersion".into(), model_version.into());
        line.insert("WindowShots".into(), self.n_shots().into());
        for (name, _, value) in metrics {
            line.insert(name.into(), value);
        }
        if !per_feature.is_empty() {
            line.insert("Psi".into(), Value::Object(per_feature));
        }
        Value::Object(line).to_string()
    }
}

fn column(r: &Reference, c: usize) -> Option<&Distribution> {
    if c < N_FEATURES {
        r.features[c].as_ref()
    } else {
        r.prediction.as_ref()
    }
}

fn round6(v: f64) -> f64 {
    (v * 1e6).round() / 1e6
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A reference where every feature and the prediction are uniform on [0, 1] in deciles.
    fn uniform_reference(missing_share: f64) -> Reference {
        let d = json!({
            "edges": (1..10).map(|i| i as f64 / 10.0).collect::<Vec<_>>(),
            "shares": vec![0.1; 10],
            "missing_share": missing_share,
        });
        let features: Map<String, Value> = FEATURES
            .iter()
            .map(|f| (f.name.to_string(), d.clone()))
            .collect();
        Reference::from_manifest(&json!({"features": features, "prediction": d})).unwrap()
    }

    fn row(v: f32) -> FeatureRow {
        [v; N_FEATURES]
    }

    #[test]
    fn same_distribution_has_low_psi_and_a_shift_has_high() {
        let mut w = DriftWindow::new(1000, Some(uniform_reference(0.0)));
        assert_eq!(w.psi(), None);
        for i in 0..1000 {
            let v = (i as f32 + 0.5) / 1000.0;
            w.push(&row(v), v);
        }
        let psi = w.psi().unwrap();
        assert_eq!(psi.len(), N_FEATURES + 1);
        assert!(psi.iter().all(|&(_, p)| p < 0.01), "{psi:?}");
        // Shift everything into the top decile: the window forgets the old shots.
        for _ in 0..1000 {
            w.push(&row(0.95), 0.95);
        }
        let psi = w.psi().unwrap();
        assert!(psi.iter().all(|&(_, p)| p > 1.0), "{psi:?}");
        let line: Value =
            serde_json::from_str(&w.emf_line("ns", "f", "m", &BatchCounts::default(), 1)).unwrap();
        assert_eq!(line["DriftShare"], 1.0);
        assert!(line["PsiPrediction"].as_f64().unwrap() > 1.0);
    }

    #[test]
    fn missing_values_count_in_their_own_bin() {
        let mut w = DriftWindow::new(200, Some(uniform_reference(0.5)));
        for i in 0..200 {
            let v = if i % 2 == 0 {
                f32::NAN
            } else {
                ((i / 2) % 10) as f32 / 10.0 + 0.05
            };
            w.push(&row(v), 0.5);
        }
        let psi = w.psi().unwrap();
        let first = psi[0].1;
        assert!(first < 0.05, "half missing as in training: {first}");
        let mut all_missing = DriftWindow::new(200, Some(uniform_reference(0.0)));
        for _ in 0..200 {
            all_missing.push(&row(f32::NAN), 0.5);
        }
        assert!(all_missing.psi().unwrap()[0].1 > 1.0);
    }

    #[test]
    fn invalid_share_and_median_follow_the_window() {
        let mut w = DriftWindow::new(4, None);
        for valid in [false, false, true, true] {
            w.record(valid);
        }
        assert_eq!(w.invalid_share(), Some(0.5));
        w.record(true);
        w.record(true);
        assert_eq!(w.invalid_share(), Some(0.0));
        for d in [10.0, 20.0, 30.0, 40.0, 50.0] {
            w.push(&row(d), 0.1);
        }
        assert_eq!(w.distance_median_m(), Some(40.0));
        assert_eq!(w.psi(), None, "no reference, no PSI");
        let line: Value = serde_json::from_str(&w.emf_line(
            "xgoals/edge",
            "fn",
            "m-1",
            &BatchCounts {
                records_in: 3,
                ..BatchCounts::default()
            },
            1700000000000,
        ))
        .unwrap();
        assert_eq!(
            line["_aws"]["CloudWatchMetrics"][0]["Namespace"],
            "xgoals/edge"
        );
        assert_eq!(line["RecordsIn"], 3);
        assert_eq!(line["FunctionName"], "fn");
        let names: Vec<&str> = line["_aws"]["CloudWatchMetrics"][0]["Metrics"]
            .as_array()
            .unwrap()
            .iter()
            .map(|m| m["Name"].as_str().unwrap())
            .collect();
        for name in names {
            assert!(line.get(name).is_some(), "metric {name} has a value");
        }
        assert!(line.get("PsiPrediction").is_none());
    }

    #[test]
    fn malformed_references_are_refused() {
        let ok = json!({"edges": [1.0], "shares": [0.5, 0.5], "missing_share": 0.0});
        for bad in [
            json!({"edges": [1.0], "shares": [1.0], "missing_share": 0.0}),
            json!({"edges": [2.0, 1.0], "shares": [0.3, 0.3, 0.4], "missing_share": 0.0}),
            json!({"edges": [1.0], "shares": [0.5, 0.5], "missing_share": 2.0}),
            json!({"edges": [1.0], "shares": [0.5, "x"], "missing_share": 0.0}),
            json!({"shares": [1.0], "missing_share": 0.0}),
        ] {
            let r = json!({"features": {FEATURES[0].name: bad}});
            assert!(Reference::from_manifest(&r).is_err(), "{r}");
        }
        let r = json!({"features": {FEATURES[0].name: ok}});
        assert!(Reference::from_manifest(&r).is_ok());
        assert!(Reference::from_manifest(&json!({"features": 3})).is_err());
    }
}
