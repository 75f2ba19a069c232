//! Scoring shots with a model through `scorer` and summarising how good the forecasts are:
//! overall metrics, the calibration table, and breakdowns by shot kind and body part.

use crate::dataset::ShotTable;
use crate::metrics::{self, CalibrationBin, Metrics};
use scorer::{features, BodyPart, Model, ShotKind};
use serde::Serialize;

#[derive(Debug, Clone, Serialize)]
pub struct Group {
    pub name: String,
    pub metrics: Metrics,
}

#[derive(Debug, Clone, Serialize)]
pub struct Evaluation {
    #[serde(flatten)]
    pub overall: Metrics,
    pub calibration: Vec<CalibrationBin>,
    pub by_kind: Vec<Group>,
    pub by_body_part: Vec<Group>,
}

/// xG for the given rows of a table (batched through the scorer's evaluator).
pub fn predict(model: &Model, table: &ShotTable, idx: &[usize]) -> Vec<f64> {
    let rows: Vec<_> = idx
        .iter()
        .map(|&i| features::extract(&table.rows[i].shot))
        .collect();
    let mut out = vec![0.0f32; rows.len()];
    model.predict_batch(&rows, &mut out);
    out.into_iter().map(f64::from).collect()
}

fn groups<K: PartialEq + Copy>(
    keys: &[K],
    all: &[K],
    name: impl Fn(K) -> &'static str,
    p: &[f64],
    y: &[bool],
) -> Vec<Group> {
    all.iter()
        .filter_map(|&k| {
            let (gp, gy): (Vec<f64>, Vec<bool>) = keys
                .iter()
                .zip(p.iter().zip(y))
                .filter(|(kk, _)| **kk == k)
                .map(|(_, (&p, &y))| (p, y))
                .unzip();
            (!gp.is_empty()).then(|| Group {
                name: name(k).to_string(),
                metrics: metrics::all(&gp, &gy),
            })
        })
        .collect()
}

/// Everything `trainer evaluate` reports, for predictions `p` of rows `idx`.
pub fn evaluate(table: &ShotTable, idx: &[usize], p: &[f64]) -> Evaluation {
    let y: Vec<bool> = idx.iter().map(|&i| table.rows[i].goal).collect();
    let kinds: Vec<ShotKind> = idx.iter().map(|&i| table.rows[i].shot.kind()).collect();
    let bodies: Vec<BodyPart> = idx
        .iter()
        .map(|&i| table.rows[i].shot.body_part())
        .collect();
    Evaluation {
        overall: metrics::all(p, &y),
        calibration: metrics::calibration(p, &y),
        by_kind: groups(&kinds, &ShotKind::ALL, ShotKind::name, p, &y),
        by_body_part: groups(&bodies, &BodyPart::ALL, BodyPart::name, p, &y),
    }
}

/// Human-readable text of an evaluation.
pub fn to_text(e: &Evaluation) -> String {
    let mut s = String::new();
    let m = &e.overall;
    s += &format!(
        "shots {}  goals {}  AUC {:.4}  log loss {:.4}  Brier {:.4}  ECE {:.4}  ΣxG/goals {:.3}\n\n",
        m.n_shots, m.n_goals, m.auc, m.log_loss, m.brier, m.ece, m.xg_ratio
    );
    s += &crate::report::calibration_table(&e.calibration);
    for (title, groups) in [("shot kind", &e.by_kind), ("body part", &e.by_body_part)] {
        s += &format!("\nby {title}:\n");
        s += "| group | shots | goals | ΣxG | AUC | Brier | log loss |\n|---|---:|---:|---:|---:|---:|---:|\n";
        for g in groups {
            let m = &g.metrics;
            s += &format!(
                "| {} | {} | {} | {:.1} | {:.3} | {:.4} | {:.4} |\n",
                g.name, m.n_shots, m.n_goals, m.sum_xg, m.auc, m.brier, m.log_loss
            );
        }
    }
    s
}

/// A model's test set as its manifest records it: the manifest's data files, restricted to
/// its test matches. Returns the table and the test rows.
pub fn manifest_test_set(
    manifest: &serde_json::Value,
    cache_dir: &std::path::Path,
    progress: &(dyn Fn(&str) + Sync),
) -> anyhow::Result<(ShotTable, Vec<usize>)> {
    use anyhow::{bail, Context as _};
    let files: Vec<std::path::PathBuf> = manifest["data"]["files"]
        .as_array()
        .context("manifest has no data.files")?
        .iter()
        .map(|v| {
            v.as_str()
                .map(Into::into)
                .context("data.files must be strings")
        })
        .collect::<anyhow::Result<_>>()?;
    if let Some(f) = files.iter().find(|f| !f.exists()) {
        bail!("data file {} is not here", f.display());
    }
    let matches: std::collections::HashSet<u64> = manifest["split"]["test_match_ids"]
        .as_array()
        .context("manifest has no split.test_match_ids")?
        .iter()
        .filter_map(|v| v.as_u64())
        .collect();
    let (table, _) = ShotTable::load_cached(&files, cache_dir, progress)?;
    let idx: Vec<usize> = (0..table.rows.len())
        .filter(|&i| matches.contains(&table.rows[i].match_id))
        .collect();
    if idx.is_empty() {
        bail!("the manifest's test matches are not in its data files");
    }
    Ok((table, idx))
}
