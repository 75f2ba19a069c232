//! `trainer pipeline`: ingest → train → evaluate → register → promote-if-better, each stage
//! cached by the content hash of its inputs — the data, the settings, the search space and the
//! trainer executable itself (a re-run with nothing changed reuses every stage and finishes in
//! seconds) — with a run record under `<work_dir>/runs/<id>/run.json`.

use crate::dataset::{self, hex};
use crate::evaluate;
use crate::ingest;
use crate::promote;
use crate::registry::Registry;
use crate::search::{Space, DEFAULT_SPACE};
use crate::train::{self, TrainPlan};
use anyhow::{Context as _, Result};
use serde::Deserialize;
use serde_json::json;
use sha2::{Digest, Sha256};
use std::path::{Path, PathBuf};
use std::time::Instant;

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct PipelineConfig {
    pub ingest: PathBuf,
    pub registry: String,
    pub work_dir: PathBuf,
    #[serde(default = "default_seed")]
    pub seed: u64,
    pub trials: Option<usize>,
    pub test_competition: Option<String>,
    pub space: Option<PathBuf>,
    #[serde(default = "yes")]
    pub ablation: bool,
}

fn default_seed() -> u64 {
    42
}
fn yes() -> bool {
    true
}

/// The file to read for an ingest source named `name` at `path`: the file itself when its
/// name already gives that competition (`events_<name>.json[.gz]` or `<name>.json[.gz]`, as
/// downloads are stored), else a link to it named `<name>.json[.gz]` under `work_dir/inputs`,
/// because the loaders name competitions after files. Without it, `brazil/events.json` and
/// `argentina/events.json` would both be the competition "events".
fn named_input(work_dir: &Path, name: &str, path: &Path) -> Result<PathBuf> {
    if dataset::competition_of(path) == name {
        return Ok(path.to_path_buf());
    }
    let gz = path.to_string_lossy().ends_with(".gz");
    let dir = work_dir.join("inputs");
    std::fs::create_dir_all(&dir).with_context(|| format!("creating {}", dir.display()))?;
    let link = dir.join(format!("{name}.json{}", if gz { ".gz" } else { "" }));
    let target =
        std::path::absolute(path).with_context(|| format!("locating {}", path.display()))?;
    match std::fs::remove_file(&link) {
        Err(e) if e.kind() != std::io::ErrorKind::NotFound => {
            return Err(e).with_context(|| format!("replacing {}", link.display()))
        }
        _ => {}
    }
    #[cfg(unix)]
    let linked = std::os::unix::fs::symlink(&target, &link);
    #[cfg(not(unix))]
    let linked = std::fs::hard_link(&target, &link);
    linked.with_context(|| format!("linking {} to {}", link.display(), target.display()))?;
    Ok(link)
}

pub fn default_config_path() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("config/pipeline.toml")
}

impl PipelineConfig {
    pub fn load(path: &Path) -> Result<PipelineConfig> {
        let text =
            std::fs::read_to_string(path).with_context(|| format!("reading {}", path.display()))?;
        let mut c: PipelineConfig = toml::from_str(&text)
            .with_context(|| format!("{}: invalid pipeline config", path.display()))?;
        let base = path.parent().unwrap_or(Path::new("."));
        c.ingest = base.join(&c.ingest);
        c.space = c.space.map(|s| base.join(s));
        Ok(c)
    }
}

/// Runs the pipeline; returns the run record.
pub fn run(cfg: &PipelineConfig, progress: &(dyn Fn(&str) + Sync)) -> Result<serde_json::Value> {
    let start = Instant::now();
    let run_id = format!(
        "{}-{}",
        std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map_or(0, |d| d.as_secs()),
        std::process::id()
    );
    let mut stages = Vec::new();
    let mut stage = |name: &str, cached: bool, t: Instant, detail: serde_json::Value| {
        let secs = t.elapsed().as_secs_f64();
        progress(&format!(
            "[{name}] {} in {secs:.1}s",
            if cached { "cached" } else { "done" }
        ));
        stages.push(json!({"stage": name, "cached": cached, "seconds": secs, "detail": detail}));
    };

    // 1. ingest
    let t = Instant::now();
    progress("[ingest] fetching and verifying inputs");
    let ingest_cfg = ingest::load_config(&cfg.ingest)?;
    let fetched = ingest::ingest(&ingest_cfg, true)?;
    let files = fetched
        .iter()
        .map(|f| named_input(&cfg.work_dir, &f.name, &f.path))
        .collect::<Result<Vec<PathBuf>>>()?;
    let all_cached = fetched.iter().all(|f| f.from_cache);
    stage(
        "ingest",
        all_cached,
        t,
        json!(fetched
            .iter()
            .map(|f| json!({"name": f.name, "path": f.path, "sha256": f.sha256}))
            .collect::<Vec<_>>()),
    );

    // 2. train, keyed by everything that determines the model.
    let t = Instant::now();
    let space_text = match &cfg.space {
        Some(p) => {
            std::fs::read_to_string(p).with_context(|| format!("reading {}", p.display()))?
        }
        None => DEFAULT_SPACE.to_string(),
    };
    Space::parse(&space_text, "search space")?;
    let mut h = Sha256::new();
    for f in &fetched {
        h.update(f.name.as_bytes());
        h.update(f.sha256.as_bytes());
    }
    h.update(format!(
        "seed {} trials {:?} test {:?} ablation {} trainer {} features {:016x} conversion {}\n",
        cfg.seed,
        cfg.trials,
        cfg.test_competition,
        cfg.ablation,
        env!("CARGO_PKG_VERSION"),
        scorer::FEATURE_SET_ID,
        scorer::wyscout::CONVERSION_VERSION
    ));
    h.update(space_text.as_bytes());
    // The trainer itself is an input too: a rebuilt trainer retrains instead of reusing a
    // model an older build made.
    let exe = std::env::current_exe().context("locating the trainer executable")?;
    h.update(std::fs::read(&exe).with_context(|| format!("reading {}", exe.display()))?);
    let key = hex(&h.finalize())[..16].to_string();
    let stage_dir = cfg.work_dir.join("stages").join(format!("train-{key}"));
    let done_marker = stage_dir.join("DONE");
    let cache_dir = cfg.work_dir.join("cache");
    let train_cached = done_marker.exists();
    if !train_cached {
        let tmp = cfg
            .work_dir
            .join("stages")
            .join(format!("train-{key}.partial"));
        let _ = std::fs::remove_dir_all(&tmp);
        let plan = TrainPlan {
            events: files.clone(),
            out: tmp.clone(),
            trials: cfg.trials,
            seed: cfg.seed,
            test_competition: cfg.test_competition.clone(),
            space: cfg.space.clone(),
            cache_dir: cache_dir.clone(),
            ablation: cfg.ablation,
        };
        train::run(&plan, progress)?;
        let _ = std::fs::remove_dir_all(&stage_dir);
        std::fs::rename(&tmp, &stage_dir)
            .with_context(|| format!("moving {} into place", tmp.display()))?;
        std::fs::write(&done_marker, b"")
            .with_context(|| format!("writing {}", done_marker.display()))?;
    }
    let manifest: serde_json::Value =
        serde_json::from_slice(&std::fs::read(stage_dir.join("manifest.json"))?)?;
    let version = manifest["model_version"]
        .as_str()
        .context("manifest has no model_version")?
        .to_string();
    stage(
        "train",
        train_cached,
        t,
        json!({"dir": stage_dir, "version": version}),
    );

    // 3. evaluate: re-read the model file through the scorer and score the test set.
    let t = Instant::now();
    let eval_path = stage_dir.join("evaluation.json");
    let eval_cached = eval_path.exists();
    if !eval_cached {
        let model = scorer::Model::parse(&std::fs::read(stage_dir.join("model.xgm"))?)
            .context("reading the trained model back")?;
        let (table, idx) = evaluate::manifest_test_set(&manifest, &cache_dir, progress)?;
        let p = evaluate::predict(&model, &table, &idx);
        let e = evaluate::evaluate(&table, &idx, &p);
        std::fs::write(&eval_path, serde_json::to_vec_pretty(&e)?)?;
    }
    let evaluation: serde_json::Value = serde_json::from_slice(&std::fs::read(&eval_path)?)?;
    progress(&format!(
        "[evaluate] {version}: test AUC {:.4} Brier {:.4} log loss {:.4} ECE {:.4}",
        evaluation["auc"].as_f64().unwrap_or(f64::NAN),
        evaluation["brier"].as_f64().unwrap_or(f64::NAN),
        evaluation["log_loss"].as_f64().unwrap_or(f64::NAN),
        evaluation["ece"].as_f64().unwrap_or(f64::NAN)
    ));
    stage(
        "evaluate",
        eval_cached,
        t,
        json!({"auc": evaluation["auc"], "log_loss": evaluation["log_loss"]}),
    );

    // 4. register (immutable versions: publishing the same model again is a no-op).
    let t = Instant::now();
    let reg = Registry::open(&cfg.registry)?;
    let mut files_out = Vec::new();
    for name in [
        "model.xgm",
        "manifest.json",
        "report.md",
        "trials.jsonl",
        "evaluation.json",
        "calibration.svg",
        "roc.svg",
        "shotmap.svg",
    ] {
        let p = stage_dir.join(name);
        files_out.push((
            name,
            std::fs::read(&p).with_context(|| format!("reading {}", p.display()))?,
        ));
    }
    // Versions are named by the model's content hash: if the registry already has this
    // version with the same model bytes it is the same model (its manifest may come from an
    // earlier run, with another timestamp), and it is not published again.
    let same_model_registered =
        reg.versions()?.contains(&version) && reg.file(&version, "model.xgm")? == files_out[0].1;
    let created = !same_model_registered && reg.publish(&version, &files_out)?;
    stage(
        "register",
        !created,
        t,
        json!({"registry": reg.describe(), "version": version}),
    );

    // 5. promote if better.
    let t = Instant::now();
    let comparison = promote::promote(&reg, &version, false, &cache_dir, progress)?;
    progress(&format!(
        "[promote] {}: {}",
        if comparison.promoted {
            "promoted"
        } else {
            "kept production"
        },
        comparison.reason
    ));
    stage("promote", false, t, serde_json::to_value(&comparison)?);

    let record = json!({
        "run_id": run_id,
        "seconds": start.elapsed().as_secs_f64(),
        "model_version": version,
        "production": reg.production()?.map(|p| p.version),
        "stages": stages,
    });
    let run_dir = cfg.work_dir.join("runs").join(&run_id);
    std::fs::create_dir_all(&run_dir).with_context(|| format!("creating {}", run_dir.display()))?;
    std::fs::write(
        run_dir.join("run.json"),
        serde_json::to_vec_pretty(&record)?,
    )?;
    progress(&format!(
        "run record: {}",
        run_dir.join("run.json").display()
    ));
    Ok(record)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_source_is_its_competition_by_name_whatever_its_file_is_called() {
        let dir = tempfile::tempdir().unwrap();
        let work = dir.path().join("work");
        for (folder, name) in [("brazil", "Brazil"), ("argentina", "Argentina")] {
            std::fs::create_dir(dir.path().join(folder)).unwrap();
            let file = dir.path().join(folder).join("events.json.gz");
            std::fs::write(&file, name).unwrap();
            let input = named_input(&work, name, &file).unwrap();
            assert_eq!(dataset::competition_of(&input), name);
            assert!(input.to_string_lossy().ends_with(".json.gz"), "{input:?}");
            assert_eq!(std::fs::read(&input).unwrap(), name.as_bytes());
            // Again (a re-run): the link is replaced, not an error.
            assert_eq!(named_input(&work, name, &file).unwrap(), input);
        }
        // A file already named for its competition is read where it is.
        let own = dir.path().join("events_Chile.json");
        std::fs::write(&own, "[]").unwrap();
        assert_eq!(named_input(&work, "Chile", &own).unwrap(), own);
    }
}
