//! `trainer train`: shot table → split → baseline + search (+ ablation) → the chosen model, its
//! manifest, trial log and report in an output folder.

use crate::bins::{BinRow, Bins};
use crate::boost::{self, Fitted};
use crate::dataset::{self, ShotTable};
use crate::evaluate::{self, Evaluation};
use crate::kinds::{self, KindChoice};
use crate::logistic::{Logistic, BASELINE_FEATURES};
use crate::metrics::{self, Metrics};
use crate::report;
use crate::search::{self, SearchData, Space};
use crate::split::{self, Split};
use anyhow::{bail, Context as _, Result};
use scorer::features::{self, FeatureRow, FEATURES, N_FEATURES};
use scorer::model::WASM_VECTOR_MAX_THRESHOLDS;
use scorer::{Model, ShotKind};
use serde_json::{json, Value};
use sha2::{Digest, Sha256};
use std::fmt::Write as _;
use std::path::{Path, PathBuf};
use std::time::Instant;

/// Everything `train` needs, validated by the CLI.
pub struct TrainPlan {
    pub events: Vec<PathBuf>,
    pub out: PathBuf,
    pub trials: Option<usize>,
    pub seed: u64,
    pub test_competition: Option<String>,
    pub space: Option<PathBuf>,
    pub cache_dir: PathBuf,
    pub ablation: bool,
}

/// Feature groups for the ablation, by feature name prefix/identity.
pub const GROUPS: &[(&str, &[&str])] = &[
    (
        "location",
        &[
            "distance_to_goal_m",
            "goal_mouth_angle_rad",
            "goal_line_distance_m",
            "centre_offset_m",
        ],
    ),
    (
        "body part and kind",
        &["is_header", "is_direct_free_kick", "is_penalty"],
    ),
    (
        "play before the shot",
        &[
            "is_counter_attack",
            "after_cross",
            "after_through_ball",
            "after_high_pass",
            "after_take_on_or_duel",
            "is_rebound",
            "set_piece_phase",
        ],
    ),
    (
        "timing and previous event",
        &[
            "secs_since_prev_event",
            "secs_since_prev2_event",
            "prev_event_distance_to_goal_m",
            "prev_event_centre_offset_m",
            "ball_movement_m",
        ],
    ),
];

fn mask_of(groups: &[&str]) -> [bool; N_FEATURES] {
    let mut m = [false; N_FEATURES];
    for (name, members) in GROUPS {
        if groups.contains(name) {
            for f in *members {
                m[features::index_of(f).expect("group member is a feature")] = true;
            }
        }
    }
    m
}

pub struct Trained {
    pub dir: PathBuf,
    pub version: String,
    pub test: Metrics,
}

fn rows_of(table: &ShotTable, idx: &[usize]) -> (Vec<FeatureRow>, Vec<bool>) {
    idx.iter()
        .map(|&i| (features::extract(&table.rows[i].shot), table.rows[i].goal))
        .unzip()
}

/// Quantile reference distribution of one column for drift monitoring (PSI): bin edges at the
/// deciles of the present values, the share of present values per bin, and the missing share.
pub fn reference_distribution(values: impl Iterator<Item = f64>) -> Value {
    let mut present = Vec::new();
    let mut missing = 0usize;
    for v in values {
        if v.is_nan() {
            missing += 1;
        } else {
            present.push(v);
        }
    }
    let total = (present.len() + missing).max(1) as f64;
    present.sort_by(f64::total_cmp);
    let mut edges: Vec<f64> = (1..10)
        .filter_map(|q| present.get(q * present.len() / 10).copied())
        .collect();
    edges.dedup();
    let mut counts = vec![0usize; edges.len() + 1];
    for v in &present {
        counts[edges.partition_point(|e| e <= v)] += 1;
    }
    let median = present.get(present.len() / 2).copied();
    json!({
        "edges": edges,
        "shares": counts.iter().map(|&c| c as f64 / present.len().max(1) as f64).collect::<Vec<_>>(),
        "missing_share": missing as f64 / total,
        "median": median,
    })
}

fn counts_text(table: &ShotTable) -> String {
    let mut s = String::from("| competition | shots | goals | open play | direct free kicks | penalties |\n|---|---:|---:|---:|---:|---:|\n");
    for (c, name) in table.competitions.iter().enumerate() {
        let rows: Vec<_> = table
            .rows
            .iter()
            .filter(|r| r.competition as usize == c)
            .collect();
        let kind = |k: ShotKind| rows.iter().filter(|r| r.shot.kind() == k).count();
        let _ = writeln!(
            s,
            "| {name} | {} | {} | {} | {} | {} |",
            rows.len(),
            rows.iter().filter(|r| r.goal).count(),
            kind(ShotKind::OpenPlay),
            kind(ShotKind::DirectFreeKick),
            kind(ShotKind::Penalty)
        );
    }
    s
}

pub fn sha256_hex(bytes: &[u8]) -> String {
    dataset::hex(&Sha256::digest(bytes))
}

pub fn run(plan: &TrainPlan, progress: &(dyn Fn(&str) + Sync)) -> Result<Trained> {
    let start = Instant::now();
    let space = Space::load(plan.space.as_deref())?;
    let trials = plan.trials.unwrap_or(space.trials);
    if !(1..=search::MAX_TRIALS).contains(&trials) {
        bail!("--trials must be in 1..={}", search::MAX_TRIALS);
    }
    progress("== shot table");
    let (table, fingerprint) = ShotTable::load_cached(&plan.events, &plan.cache_dir, progress)?;
    if table.skipped_events + table.skipped_shots > 0 {
        progress(&format!(
            "warning: skipped {} malformed events and {} unusable shots; first: {}",
            table.skipped_events,
            table.skipped_shots,
            table.warnings.first().map_or("", String::as_str)
        ));
    }
    let n_goals = table.n_goals();
    if table.rows.is_empty() {
        bail!(
            "no shots in {} event file(s): nothing to train on",
            plan.events.len()
        );
    }
    if n_goals == 0 || n_goals == table.rows.len() {
        bail!(
            "the shots must include goals and misses ({n_goals} goals in {} shots)",
            table.rows.len()
        );
    }
    let counts = counts_text(&table);
    progress(&counts);

    let split = split::by_match(&table, plan.seed, plan.test_competition.as_deref())?;
    progress(&format!(
        "split by match: train {} / validation {} / test {} shots ({})",
        split.train.len(),
        split.valid.len(),
        split.test.len(),
        split.description
    ));
    let (train, train_y) = rows_of(&table, &split.train);
    let (valid, valid_y) = rows_of(&table, &split.valid);
    let (test, test_y) = rows_of(&table, &split.test);
    let train_match: Vec<u64> = split
        .train
        .iter()
        .map(|&i| table.rows[i].match_id)
        .collect();

    progress("== baseline: logistic regression on distance + angle");
    let lr = Logistic::fit(&train, &train_y, &BASELINE_FEATURES);
    let lr_test: Vec<f64> = test.iter().map(|r| lr.predict(r)).collect();
    let lr_metrics = metrics::all(&lr_test, &test_y);

    // The binned training set every fit reads: edges from the training rows only.
    let bins = Bins::fit(&train, space.max_bins);
    let all_features = [true; N_FEATURES];
    let train_bins = bins.bin_rows(&train, &all_features);
    let valid_bins = bins.bin_rows(&valid, &all_features);
    progress(&format!(
        "== search: {trials} trials, seed {}, features in at most {} bins",
        plan.seed,
        bins.max_bins_used()
    ));
    if bins.max_edges() > WASM_VECTOR_MAX_THRESHOLDS {
        progress(&format!(
            "   note: {} bin edges on a feature (max_bins {}) can give the model more than \
             {WASM_VECTOR_MAX_THRESHOLDS} thresholds there; scorer.wasm (the Lambda, the page) \
             then scores it on its slower portable path (same xG)",
            bins.max_edges(),
            space.max_bins
        ));
    }
    let data = SearchData {
        bins: &bins,
        train: &train_bins,
        train_y: &train_y,
        train_match: &train_match,
        valid: &valid_bins,
        valid_y: &valid_y,
        mask: all_features,
        early_stopping_trees: space.early_stopping_trees,
    };
    let outcome = search::run(&space, trials, plan.seed, &data, progress)?;
    progress("== separate handling of penalties and direct free kicks");
    let (model, kind_choices) = kinds::specialise(
        &outcome.best.model,
        &outcome.best_params,
        &data,
        &train,
        &valid,
    )?;
    for c in &kind_choices {
        progress(&format!(
            "  {}: validation log loss {:.4} (main model) vs {:.4} (separate) on {} shots → {}",
            c.kind,
            c.main_valid_log_loss,
            c.special_valid_log_loss,
            c.valid_shots,
            if c.used { "separate" } else { "main model" }
        ));
    }
    let model_bytes = model.to_bytes();
    let model_sha = sha256_hex(&model_bytes);
    let version = format!("m-{}", &model_sha[..12]);

    // The scorer reads back exactly what was written and must agree with the trainer.
    let reread = Model::parse(&model_bytes).context("the written model does not parse")?;
    let mut test_xg32 = vec![0.0f32; test.len()];
    reread.predict_batch(&test, &mut test_xg32);
    let test_xg: Vec<f64> = test_xg32.iter().map(|&v| v as f64).collect();
    let max_margin_diff = test
        .iter()
        .map(|r| (reread.margin(r) - model.margin(r)).abs())
        .fold(0.0f32, f32::max);
    if max_margin_diff != 0.0 {
        bail!(
            "re-read model differs from the trained one (max margin difference {max_margin_diff})"
        );
    }
    // gbdt's own predictions against the scorer's for the same ensemble (see conversion_check).
    let gbdt_check = conversion_check(&outcome.best, &test, &bins.bin_rows(&test, &all_features))?;
    let gbdt_metrics = metrics::all(&test_xg, &test_y);
    let evaluation = evaluate::evaluate(&table, &split.test, &test_xg);

    let ablation = if plan.ablation {
        progress("== ablation: feature groups added one at a time");
        ablation(&data, &outcome.best_params, &outcome.best, &test, &test_y)?
    } else {
        Vec::new()
    };

    // Write the output folder.
    std::fs::create_dir_all(&plan.out)
        .with_context(|| format!("creating {}", plan.out.display()))?;
    let write = |name: &str, bytes: &[u8]| -> Result<()> {
        let p = plan.out.join(name);
        std::fs::write(&p, bytes).with_context(|| format!("writing {}", p.display()))
    };
    write("model.xgm", &model_bytes)?;
    let mut trials_log = String::new();
    for t in &outcome.trials {
        trials_log += &serde_json::to_string(t)?;
        trials_log.push('\n');
    }
    write("trials.jsonl", trials_log.as_bytes())?;

    let mut train_pred = vec![0.0f32; train.len()];
    model.predict_batch(&train, &mut train_pred);
    let reference: serde_json::Map<String, Value> = FEATURES
        .iter()
        .enumerate()
        .map(|(j, f)| {
            (
                f.name.to_string(),
                reference_distribution(train.iter().map(|r| r[j] as f64)),
            )
        })
        .collect();
    let test_matches: std::collections::BTreeSet<u64> =
        split.test.iter().map(|&i| table.rows[i].match_id).collect();
    let manifest = json!({
        "model_version": version,
        "model_file": "model.xgm",
        "model_sha256": model_sha,
        "model_format_version": scorer::model::FORMAT_VERSION,
        "feature_set_id": format!("{:016x}", scorer::FEATURE_SET_ID),
        "feature_names": features::names().collect::<Vec<_>>(),
        "n_trees": model.trees().len(),
        "max_depth": model.max_depth(),
        "trained_at_unix_s": std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).map_or(0, |d| d.as_secs()),
        "data": {
            "fingerprint": fingerprint,
            // Absolute, so that `promote` finds them from any folder.
            "files": plan
                .events
                .iter()
                .map(|p| std::path::absolute(p).map(|p| p.display().to_string()))
                .collect::<std::io::Result<Vec<_>>>()
                .context("locating the event files")?,
            "competitions": table.competitions,
            "n_shots": table.rows.len(),
            "n_goals": n_goals,
            "skipped_events": table.skipped_events,
            "skipped_shots": table.skipped_shots,
        },
        "split": {
            "description": split.description,
            "seed": plan.seed,
            "test_competition": plan.test_competition,
            "n_train": split.train.len(), "n_valid": split.valid.len(), "n_test": split.test.len(),
            "test_match_ids": test_matches,
        },
        "search": {
            "space_version": space.version,
            "trials": trials,
            "best_trial": outcome.best_trial,
            "hyperparameters": outcome.best_params,
            "trees_grown": outcome.best.trees_grown,
            "trees_kept": outcome.best.trees_kept,
            "max_bins": space.max_bins,
            "early_stopping_trees": space.early_stopping_trees,
        },
        "kind_handling": kind_choices,
        "seed": plan.seed,
        "metrics": {
            "test": evaluation,
            "baseline_logistic_test": lr_metrics,
            "ablation": ablation.iter().map(|(name, m)| json!({"features": name, "test": m})).collect::<Vec<_>>(),
        },
        "conversion_check": gbdt_check,
        "reference": {
            "features": reference,
            "prediction": reference_distribution(train_pred.iter().map(|&v| v as f64)),
        },
    });
    write(
        "manifest.json",
        serde_json::to_string_pretty(&manifest)?.as_bytes(),
    )?;

    // Report and plots.
    let lr_bins = metrics::calibration(&lr_test, &test_y);
    write(
        "calibration.svg",
        report::calibration_svg(&[
            ("gbdt", &evaluation.calibration),
            ("logistic baseline", &lr_bins),
        ])
        .as_bytes(),
    )?;
    write(
        "roc.svg",
        report::roc_svg(&[
            ("gbdt", &test_xg, &test_y),
            ("logistic baseline", &lr_test, &test_y),
        ])
        .as_bytes(),
    )?;
    let shots: Vec<_> = split
        .test
        .iter()
        .zip(&test_xg)
        .map(|(&i, &p)| (table.rows[i].shot.at(), p, table.rows[i].goal))
        .collect();
    write("shotmap.svg", report::shot_map_svg(&shots).as_bytes())?;
    let report = report_md(
        &version,
        &counts,
        &split,
        &outcome,
        &kind_choices,
        &gbdt_metrics,
        &lr_metrics,
        &evaluation,
        &ablation,
        &gbdt_check,
        start.elapsed().as_secs_f64(),
    );
    write("report.md", report.as_bytes())?;
    progress(&format!(
        "== {version}: test AUC {:.4} Brier {:.4} log loss {:.4} ECE {:.4} (baseline AUC {:.4}) in {:.0}s → {}",
        gbdt_metrics.auc,
        gbdt_metrics.brier,
        gbdt_metrics.log_loss,
        gbdt_metrics.ece,
        lr_metrics.auc,
        start.elapsed().as_secs_f64(),
        plan.out.display()
    ));
    Ok(Trained {
        dir: plan.out.clone(),
        version,
        test: gbdt_metrics,
    })
}

/// Compares gbdt's own predictions for the chosen ensemble (its trees on the binned test rows)
/// with the scorer's (the converted model on the raw test rows): margins agree exactly, so
/// probabilities differ by at most a few ULP (gbdt's `f32::exp` vs `libm::expf`).
fn conversion_check(best: &Fitted, test: &[FeatureRow], test_bins: &[BinRow]) -> Result<Value> {
    let theirs = best.gbdt_predict(test_bins);
    let mut max_abs = 0.0f32;
    let mut max_ulps = 0u32;
    let mut differing = 0usize;
    for (r, &t) in test.iter().zip(&theirs) {
        let ours = best.model.predict(r);
        if ours.to_bits() != t.to_bits() {
            differing += 1;
        }
        max_abs = max_abs.max((ours - t).abs());
        max_ulps = max_ulps.max(ours.to_bits().abs_diff(t.to_bits()));
    }
    if max_abs > 1e-5 {
        bail!(
            "scorer and gbdt disagree on the test set by up to {max_abs}: the conversion is wrong"
        );
    }
    Ok(json!({
        "trees": best.trees_kept,
        "rows": test.len(),
        "differing_rows": differing,
        "max_abs_difference": max_abs,
        "max_ulps": max_ulps,
        "cause": "gbdt applies f32::exp (platform libm) to 2f; the scorer applies libm::expf to the same margin",
    }))
}

/// Feature groups added one at a time, refitted with the chosen hyperparameters. The last
/// step (every group) is the chosen model itself: same rows, parameters and stopping rule.
fn ablation(
    data: &SearchData,
    p: &boost::Params,
    chosen: &Fitted,
    test: &[FeatureRow],
    test_y: &[bool],
) -> Result<Vec<(String, Metrics)>> {
    let steps: Vec<Vec<&str>> = (1..=GROUPS.len())
        .map(|k| GROUPS[..k].iter().map(|g| g.0).collect())
        .collect();
    let all: Vec<usize> = (0..data.train.len()).collect();
    let score = |m: &Model| -> Vec<f64> { test.iter().map(|r| m.predict(r) as f64).collect() };
    search::parallel_map(&steps, |_, groups| -> Result<(String, Metrics)> {
        let mask = mask_of(groups);
        let pred = if mask == data.mask {
            score(&chosen.model)
        } else {
            let d = SearchData { mask, ..*data };
            score(&search::fit_and_select(&d, &all, p)?.model)
        };
        Ok((groups.join(" + "), metrics::all(&pred, test_y)))
    })
    .into_iter()
    .collect()
}

#[allow(clippy::too_many_arguments)]
fn report_md(
    version: &str,
    counts: &str,
    split: &Split,
    outcome: &search::Outcome,
    kinds: &[KindChoice],
    gbdt: &Metrics,
    lr: &Metrics,
    evaluation: &Evaluation,
    ablation: &[(String, Metrics)],
    check: &Value,
    seconds: f64,
) -> String {
    let mut s = format!("# xgoals model {version}\n\nTrained in {seconds:.0} s. Data: Wyscout public dataset (Pappalardo et al., Scientific Data 6, 236, 2019; CC BY 4.0).\n\n## Data\n\n{counts}\n");
    let _ = writeln!(
        s,
        "Split by match: train {} / validation {} / test {} shots ({}).\n",
        split.train.len(),
        split.valid.len(),
        split.test.len(),
        split.description
    );
    s += "## Test metrics\n\n";
    s += report::METRICS_HEADER;
    s += &report::metrics_row("gbdt (chosen)", gbdt);
    s += &report::metrics_row("logistic: distance + angle", lr);
    let p = &outcome.best_params;
    let _ = writeln!(
        s,
        "\nChosen: trial {} — depth {}, shrinkage {}, min leaf {}, {} trees kept by validation log loss of {} grown (at most {}; {} trials, successive halving, features binned).\n",
        outcome.best_trial,
        p.max_depth,
        p.shrinkage,
        p.min_leaf_size,
        outcome.best.trees_kept,
        outcome.best.trees_grown,
        p.iterations,
        outcome.trials.iter().filter(|t| t.rung == 0).count()
    );
    s += "Separate handling by shot kind (validation log loss; kept only where lower):\n\n| kind | train shots | validation shots | main model | separate | used |\n|---|---:|---:|---:|---:|---|\n";
    for c in kinds {
        let _ = writeln!(
            s,
            "| {} | {} | {} | {:.4} | {:.4} | {} |",
            c.kind,
            c.train_shots,
            c.valid_shots,
            c.main_valid_log_loss,
            c.special_valid_log_loss,
            if c.used { "yes" } else { "no" }
        );
    }
    s += "\n![calibration](calibration.svg) ![ROC](roc.svg)\n\n## Calibration (test)\n\n";
    s += &report::calibration_table(&evaluation.calibration);
    s += "\n## By shot kind and body part (test)\n\n";
    s += report::METRICS_HEADER;
    for g in evaluation.by_kind.iter().chain(&evaluation.by_body_part) {
        s += &report::metrics_row(&g.name, &g.metrics);
    }
    if !ablation.is_empty() {
        s += "\n## Ablation: feature groups added one at a time (chosen hyperparameters, test set)\n\n";
        s += report::METRICS_HEADER;
        for (name, m) in ablation {
            s += &report::metrics_row(name, m);
        }
    }
    let _ = writeln!(
        s,
        "\n## Conversion check\n\ngbdt's own predictions vs the scorer's on the test set: {}\n\n## Test shots\n\n![shot map](shotmap.svg)",
        check
    );
    s
}

/// Default location of the parsed-shot cache.
pub fn default_cache_dir() -> PathBuf {
    Path::new(".xgoals").join("cache")
}
