//! Promotion: the candidate replaces production only if it is at least as good on the
//! candidate's own test set (the matches its manifest lists), unless forced.

use crate::dataset::ShotTable;
use crate::evaluate;
use crate::metrics::{self, Metrics};
use crate::registry::{ProductionAlias, Registry};
use anyhow::{Context as _, Result};
use scorer::Model;
use serde::Serialize;
use std::path::Path;

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

fn score(model: &Model, table: &ShotTable, idx: &[usize]) -> Metrics {
    let y: Vec<bool> = idx.iter().map(|&i| table.rows[i].goal).collect();
    metrics::all(&evaluate::predict(model, table, idx), &y)
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
    // The checks the Lambda makes: production must never name a version it would refuse.
    let (manifest, _, candidate) = reg
        .verified(version)
        .context("the candidate cannot be served")?;
    let production: Option<ProductionAlias> = match reg.production() {
        Ok(p) => p,
        // Forcing is how a broken alias is repaired: it is overwritten below.
        Err(e) if force => {
            progress(&format!("warning: {e:#}; --force overwrites it"));
            None
        }
        Err(e) => return Err(e),
    };
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
        let (table, idx) = evaluate::manifest_test_set(&manifest, cache_dir, progress).context(
            "cannot compare on the candidate's test set (use --force to promote anyway)",
        )?;
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
