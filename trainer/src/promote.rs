//! Promotion: the candidate replaces production only if it is at least as good on the
//! candidate's own test set (the matches its manifest lists), unless forced.

use crate::dataset::ShotTable;
use crate::metrics::{self, Metrics};
use crate::registry::{ProductionAlias, Registry};
use anyhow::{bail, Context as _, Result};
use scorer::{features, Model};
use serde::Serialize;
use std::collections::HashSet;
use std::path::{Path, PathBuf};

#[derive(Debug, Clone, Serialize)]
pub struct Comparison {
    pub candidate: String,
    pub production: Option<String>,
    pub candidate_test: Option<Metrics>,
    pub production_test: Option<Metrics>,
    pub promoted: bool,
    pub forced: bool,
    pub reason: String,
}

/// Loads the candidate's test set: the manifest's data files, restricted to its test matches.
fn test_set(
    manifest: &serde_json::Value,
    cache_dir: &Path,
    progress: &(dyn Fn(&str) + Sync),
) -> Result<(ShotTable, Vec<usize>)> {
    let files: Vec<PathBuf> = manifest["data"]["files"]
        .as_array()
        .context("manifest has no data.files")?
        .iter()
        .map(|v| {
            v.as_str()
                .map(PathBuf::from)
                .context("data.files must be strings")
        })
        .collect::<Result<_>>()?;
    for f in &files {
        if !f.exists() {
            bail!("cannot compare on the candidate's test set: data file {} is not here (use --force to promote anyway)", f.display());
        }
    }
    let matches: HashSet<u64> = manifest["split"]["test_match_ids"]
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
        bail!("the candidate's test matches are not in its data files");
    }
    Ok((table, idx))
}

fn score(model: &Model, table: &ShotTable, idx: &[usize]) -> Metrics {
    let rows: Vec<_> = idx
        .iter()
        .map(|&i| features::extract(&table.rows[i].shot))
        .collect();
    let y: Vec<bool> = idx.iter().map(|&i| table.rows[i].goal).collect();
    let mut p = vec![0.0f32; rows.len()];
    model.predict_batch(&rows, &mut p);
    let p: Vec<f64> = p.into_iter().map(f64::from).collect();
    metrics::all(&p, &y)
}

fn load_model(reg: &Registry, version: &str) -> Result<Model> {
    let bytes = reg.file(version, "model.xgm")?;
    Model::parse(&bytes).with_context(|| format!("model {version} in {}", reg.describe()))
}

/// Promotes `version` if it is not worse (log loss on its test set) than production.
pub fn promote(
    reg: &Registry,
    version: &str,
    force: bool,
    cache_dir: &Path,
    progress: &(dyn Fn(&str) + Sync),
) -> Result<Comparison> {
    let manifest: serde_json::Value = serde_json::from_slice(&reg.file(version, "manifest.json")?)
        .with_context(|| format!("manifest of {version} in {} is not JSON", reg.describe()))?;
    let candidate = load_model(reg, version)?;
    let production: Option<ProductionAlias> = reg.production()?;
    let mut c = Comparison {
        candidate: version.to_string(),
        production: production.as_ref().map(|p| p.version.clone()),
        candidate_test: None,
        production_test: None,
        promoted: false,
        forced: force,
        reason: String::new(),
    };
    let Some(prod) = production else {
        reg.set_production(version, force)?;
        c.promoted = true;
        c.reason = "no production model yet".into();
        return Ok(c);
    };
    if prod.version == version {
        c.reason = format!("{version} is already production");
        return Ok(c);
    }
    let comparison = (|| -> Result<(Metrics, Option<Metrics>, String)> {
        let (table, idx) = test_set(&manifest, cache_dir, progress)?;
        let cand = score(&candidate, &table, &idx);
        match load_model(reg, &prod.version) {
            Ok(m) => Ok((cand, Some(score(&m, &table, &idx)), String::new())),
            Err(e) => Ok((
                cand,
                None,
                format!("production model cannot be scored by this scorer ({e:#})"),
            )),
        }
    })();
    let better = match comparison {
        Ok((cand, prod_metrics, note)) => {
            c.candidate_test = Some(cand);
            c.production_test = prod_metrics;
            match prod_metrics {
                Some(p) if cand.log_loss <= p.log_loss => {
                    c.reason = format!(
                        "log loss {:.5} ≤ production's {:.5} on the candidate's test set",
                        cand.log_loss, p.log_loss
                    );
                    true
                }
                Some(p) => {
                    c.reason = format!(
                        "log loss {:.5} > production's {:.5} on the candidate's test set",
                        cand.log_loss, p.log_loss
                    );
                    false
                }
                None => {
                    c.reason = note;
                    true
                }
            }
        }
        Err(e) if force => {
            c.reason = format!("not compared: {e:#}");
            false
        }
        Err(e) => return Err(e),
    };
    if better || force {
        reg.set_production(version, force && !better)?;
        c.promoted = true;
        if force && !better {
            c.reason = format!("forced: {}", c.reason);
        }
    }
    Ok(c)
}
