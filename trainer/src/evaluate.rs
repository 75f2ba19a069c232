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

/// One line per shot, for looking at single shots: where and how it was taken, the label, the
/// model's xG and, if given, the provider's own xG (empty where there is none). CSV with a
/// header; `competition` is the events file's name.
pub fn shots_csv(table: &ShotTable, p: &[f64], provider_xg: Option<&[Option<f64>]>) -> String {
    use std::fmt::Write as _;
    let mut s = String::from(
        "competition,match_id,event_id,team_id,player_id,period,minute,kind,body_part,x_m,y_m,goal,xg,provider_xg\n",
    );
    for (i, (r, xg)) in table.rows.iter().zip(p).enumerate() {
        let at = r.shot.at();
        let _ = write!(
            s,
            "{},{},{},{},{},{},{:.1},{},{},{},{},{},{xg}",
            crate::export::csv_field(&table.competitions[r.competition as usize]),
            r.match_id,
            r.event_id,
            r.team_id,
            r.player_id,
            r.period,
            r.minute(),
            r.shot.kind().name(),
            r.shot.body_part().name(),
            at.x_m,
            at.y_m,
            r.goal as u8,
        );
        match provider_xg.and_then(|q| q.get(i).copied().flatten()) {
            Some(q) => {
                let _ = writeln!(s, ",{q}");
            }
            None => s.push_str(",\n"),
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
    let (table, fingerprint) = ShotTable::load_cached(&files, cache_dir, progress)?;
    let recorded = manifest["data"]["fingerprint"].as_str();
    if recorded != Some(fingerprint.as_str()) {
        bail!(
            "the data files, or this trainer's reading of them, differ from the model's training \
             data (fingerprint {fingerprint}, manifest {}), so its test set cannot be rebuilt",
            recorded.unwrap_or("missing")
        );
    }
    let idx: Vec<usize> = (0..table.rows.len())
        .filter(|&i| matches.contains(&table.rows[i].match_id))
        .collect();
    if idx.is_empty() {
        bail!("the manifest's test matches are not in its data files");
    }
    Ok((table, idx))
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A one-match Wyscout file whose only shot is a goal or not.
    fn events(goal: bool) -> String {
        let tags = if goal { r#"[{"id": 101}]"# } else { "[]" };
        format!(
            r#"[{{"eventId": 10, "subEventName": "Shot", "tags": {tags}, "playerId": 1,
            "positions": [{{"y": 40, "x": 88}}, {{"y": 50, "x": 95}}], "matchId": 7,
            "eventName": "Shot", "teamId": 1, "matchPeriod": "1H", "eventSec": 3.0,
            "subEventId": 100, "id": 1}}]"#
        )
    }

    #[test]
    fn a_test_set_is_rebuilt_only_from_the_data_the_model_was_trained_on() {
        let dir = tempfile::tempdir().unwrap();
        let file = dir.path().join("events_Test.json");
        std::fs::write(&file, events(true)).unwrap();
        let manifest = serde_json::json!({
            "data": {
                "files": [file.display().to_string()],
                "fingerprint": crate::dataset::fingerprint(std::slice::from_ref(&file)).unwrap(),
            },
            "split": {"test_match_ids": [7]},
        });
        let cache = dir.path().join("cache");
        let (table, idx) = manifest_test_set(&manifest, &cache, &|_| {}).unwrap();
        assert_eq!((idx.len(), table.rows[idx[0]].goal), (1, true));
        // The same path with other contents (a goal taken away) is not that test set.
        std::fs::write(&file, events(false)).unwrap();
        let e = format!(
            "{:#}",
            manifest_test_set(&manifest, &cache, &|_| {}).unwrap_err()
        );
        assert!(e.contains("differ from the model's training data"), "{e}");
    }
}
