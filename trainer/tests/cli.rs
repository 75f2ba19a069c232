//! The `trainer` binary end to end on small inputs cut from the shared Wyscout data at test
//! time (nothing copied into the repo), plus every kind of bad input.

use std::io::Write;
mod common;

use common::{cut, TINY_SPACE};
use std::path::{Path, PathBuf};

/// The tiny search space, written to a file.
fn space(dir: &Path) -> PathBuf {
    let p = dir.join("space.toml");
    std::fs::write(&p, TINY_SPACE).unwrap();
    p
}

fn trainer(args: &[&str]) -> (bool, String, String) {
    common::run_trainer(Path::new("."), args)
}

fn train_args<'a>(
    events: &'a [String],
    out: &'a str,
    space: &'a str,
    cache: &'a str,
    extra: &[&'a str],
) -> Vec<&'a str> {
    let mut a = vec!["train", "--events"];
    a.extend(events.iter().map(String::as_str));
    a.extend([
        "--out",
        out,
        "--space",
        space,
        "--cache-dir",
        cache,
        "--no-ablation",
        "--seed",
        "7",
    ]);
    a.extend(extra);
    a
}

#[test]
fn trains_deterministically_and_evaluates_any_competition() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    let wc = cut(d, "World_Cup", 24).display().to_string();
    let euro = cut(d, "European_Championship", 16).display().to_string();
    let events = vec![wc.clone(), euro.clone()];
    let space = space(d).display().to_string();
    let cache = d.join("cache").display().to_string();
    let (a, b) = (
        d.join("a").display().to_string(),
        d.join("b").display().to_string(),
    );
    let (ok, _, err) = trainer(&train_args(&events, &a, &space, &cache, &[]));
    assert!(ok, "{err}");
    assert!(
        err.contains("| World_Cup |") && err.contains("penalties"),
        "counts per competition and kind: {err}"
    );
    // Second run: same inputs and seed → byte-identical model, and the parse cache is used.
    let (ok, _, err) = trainer(&train_args(&events, &b, &space, &cache, &[]));
    assert!(ok, "{err}");
    assert!(err.contains("from cache"), "{err}");
    let model_a = std::fs::read(Path::new(&a).join("model.xgm")).unwrap();
    assert_eq!(
        model_a,
        std::fs::read(Path::new(&b).join("model.xgm")).unwrap()
    );
    scorer::Model::parse(&model_a).unwrap();
    let manifest: serde_json::Value =
        serde_json::from_slice(&std::fs::read(Path::new(&a).join("manifest.json")).unwrap())
            .unwrap();
    assert_eq!(
        manifest["feature_names"].as_array().unwrap().len(),
        scorer::N_FEATURES
    );
    assert!(manifest["model_sha256"].as_str().unwrap().len() == 64);
    assert!(
        manifest["reference"]["features"]["distance_to_goal_m"]["edges"]
            .as_array()
            .unwrap()
            .len()
            > 3
    );
    let trials = std::fs::read_to_string(Path::new(&a).join("trials.jsonl")).unwrap();
    assert!(trials.lines().count() >= 3 && trials.contains("valid_log_loss"));
    assert_eq!(manifest["search"]["max_bins"], 16);
    assert_eq!(manifest["search"]["early_stopping_trees"], 3);
    assert!(
        manifest["search"]["trees_grown"].as_u64().unwrap()
            >= manifest["search"]["trees_kept"].as_u64().unwrap()
    );
    let report = std::fs::read_to_string(Path::new(&a).join("report.md")).unwrap();
    assert!(report.contains("calibration.svg") && Path::new(&a).join("shotmap.svg").exists());

    // Hold out a competition, then evaluate on it with --json.
    let c = d.join("c").display().to_string();
    let (ok, _, err) = trainer(&train_args(
        &events,
        &c,
        &space,
        &cache,
        &["--test-competition", "European_Championship"],
    ));
    assert!(ok, "{err}");
    let (ok, out, err) = trainer(&[
        "evaluate",
        "--model",
        &c,
        "--events",
        &euro,
        "--json",
        "--cache-dir",
        &cache,
    ]);
    assert!(ok, "{err}");
    let v: serde_json::Value = serde_json::from_str(out.trim()).unwrap();
    for k in ["n_shots", "n_goals", "auc", "log_loss", "brier", "ece"] {
        assert!(v[k].is_number(), "{k} in {out}");
    }
    assert!(v["auc"].as_f64().unwrap() > 0.6, "{out}");
    let shots = d.join("wc-shots.csv").display().to_string();
    let (ok, out, _) = trainer(&[
        "evaluate",
        "--model",
        &c,
        "--events",
        &wc,
        "--cache-dir",
        &cache,
        "--shots",
        &shots,
    ]);
    assert!(
        ok && out.contains("by shot kind") && out.contains("penalty"),
        "{out}"
    );
    // One line per shot; Wyscout has no provider xG, so that column is empty.
    let csv = std::fs::read_to_string(&shots).unwrap();
    let n_shots = out
        .split_whitespace()
        .nth(1)
        .unwrap()
        .parse::<usize>()
        .unwrap();
    assert_eq!(csv.lines().count(), n_shots + 1, "{out}");
    assert!(csv.lines().skip(1).all(|l| l.ends_with(',')), "{csv}");
}

#[test]
fn bad_inputs_fail_with_one_clear_error() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    let space = space(d).display().to_string();
    let cache = d.join("cache").display().to_string();
    let out = d.join("out").display().to_string();
    let wc = cut(d, "World_Cup", 3);
    let text = std::fs::read_to_string(&wc).unwrap();

    // Truncated gzip.
    let gz_path = d.join("events_Trunc.json.gz");
    let mut enc = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::fast());
    enc.write_all(text.as_bytes()).unwrap();
    let gz = enc.finish().unwrap();
    std::fs::write(&gz_path, &gz[..gz.len() / 2]).unwrap();
    // Invalid JSON.
    let bad_json = d.join("events_Bad.json");
    std::fs::write(&bad_json, &text[..text.len() / 3]).unwrap();
    // No shots at all, and shots without goals.
    let events: Vec<serde_json::Value> = serde_json::from_str(&text).unwrap();
    let no_shots = d.join("events_NoShots.json");
    let passes: Vec<_> = events
        .iter()
        .filter(|e| e["eventId"] != 10 && e["subEventId"] != 33 && e["subEventId"] != 35)
        .collect();
    std::fs::write(&no_shots, serde_json::to_string(&passes).unwrap()).unwrap();
    let no_goals = d.join("events_NoGoals.json");
    let stripped: Vec<serde_json::Value> = events
        .iter()
        .map(|e| {
            let mut e = e.clone();
            let tags: Vec<serde_json::Value> = e["tags"]
                .as_array()
                .unwrap()
                .iter()
                .filter(|t| t["id"] != 101)
                .cloned()
                .collect();
            e["tags"] = serde_json::Value::Array(tags);
            e
        })
        .collect();
    std::fs::write(&no_goals, serde_json::to_string(&stripped).unwrap()).unwrap();

    let cases: Vec<(PathBuf, &str)> = vec![
        (gz_path, "truncated"),
        (bad_json, "line"),
        (no_shots, "no shots"),
        (no_goals, "goals"),
        (d.join("events_Missing.json"), "events_Missing.json"),
    ];
    for (path, needle) in cases {
        let p = path.display().to_string();
        let (ok, _, err) = trainer(&train_args(
            std::slice::from_ref(&p),
            &out,
            &space,
            &cache,
            &[],
        ));
        assert!(!ok, "{p} should fail");
        assert!(err.contains("error") && err.contains(needle), "{p}: {err}");
        assert!(!err.contains("panicked"), "{err}");
        if needle != "events_Missing.json" && needle != "no shots" && needle != "goals" {
            assert!(
                err.contains(path.file_name().unwrap().to_str().unwrap()),
                "error names the file: {err}"
            );
        }
    }
    // A competition that matches nothing.
    let p = wc.display().to_string();
    let (ok, _, err) = trainer(&train_args(
        std::slice::from_ref(&p),
        &out,
        &space,
        &cache,
        &["--test-competition", "Narnia"],
    ));
    assert!(!ok && err.contains("Narnia"), "{err}");

    // A malformed event is skipped with a counted warning, not fatal.
    let mut with_bad = events.clone();
    with_bad[5].as_object_mut().unwrap().remove("eventSec");
    with_bad[7]["positions"] = serde_json::json!("nowhere");
    let odd = d.join("events_Odd.json");
    std::fs::write(&odd, serde_json::to_string(&with_bad).unwrap()).unwrap();
    let more = cut(d, "European_Championship", 12).display().to_string();
    let (ok, _, err) = trainer(&train_args(
        &[odd.display().to_string(), more],
        &out,
        &space,
        &cache,
        &[],
    ));
    assert!(ok, "{err}");
    assert!(
        err.contains("skipped 2 malformed events") && err.contains("event #5"),
        "{err}"
    );
}

/// `evaluate --statsbomb`: the second provider's three real matches, scored with a model
/// trained here on Wyscout matches and compared with StatsBomb's own xG on the same shots.
/// The two must agree: a wrong coordinate mapping or a leaked label would show.
#[test]
fn evaluates_statsbomb_matches_against_the_providers_xg() {
    let data = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../shared/data/statsbomb");
    let files: Vec<String> = [
        "statsbomb_15986_event.json.gz",
        "statsbomb_3788741_event.json.gz",
        "statsbomb_event.json.gz",
    ]
    .iter()
    .map(|f| data.join(f).display().to_string())
    .collect();
    // The provider's xG summed straight from the files, to check the rows kept theirs.
    let mut provider_sum = 0.0;
    for f in &files {
        let mut text = String::new();
        std::io::Read::read_to_string(
            &mut flate2::read::GzDecoder::new(std::fs::File::open(f).unwrap()),
            &mut text,
        )
        .unwrap();
        let events: Vec<serde_json::Value> = serde_json::from_str(&text).unwrap();
        provider_sum += events
            .iter()
            .filter_map(|e| e["shot"]["statsbomb_xg"].as_f64())
            .sum::<f64>();
    }
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    let events = vec![
        cut(d, "World_Cup", 64).display().to_string(),
        cut(d, "European_Championship", 51).display().to_string(),
    ];
    let space = space(d).display().to_string();
    let cache = d.join("cache").display().to_string();
    let model = d.join("m").display().to_string();
    let (ok, _, err) = trainer(&train_args(&events, &model, &space, &cache, &[]));
    assert!(ok, "{err}");
    let mut args = vec!["evaluate", "--model", &model, "--json", "--statsbomb"];
    args.extend(files.iter().map(String::as_str));
    let (ok, out, err) = trainer(&args);
    assert!(ok, "{err}");
    let v: serde_json::Value = serde_json::from_str(out.trim()).unwrap();
    assert_eq!(
        (v["n_shots"].as_u64(), v["n_goals"].as_u64()),
        (Some(82), Some(9))
    );
    let c = &v["provider_comparison"];
    assert_eq!(c["model"]["n_shots"], 82);
    assert_eq!(c["shots_without_provider_xg"], 0);
    assert!((c["provider"]["sum_xg"].as_f64().unwrap() - provider_sum).abs() < 1e-9);
    // Two forecasters of the same shots agree, if not perfectly: this tiny model gets 0.39
    // (the production model 0.61); shots mirrored to the wrong goal would give about 0.
    let r = c["pearson_r"].as_f64().unwrap();
    assert!(r > 0.25 && r < 1.0, "{out}");
    // The text form prints both rows; --shots writes every shot with both numbers.
    args.retain(|a| *a != "--json");
    let csv = d.join("shots.csv").display().to_string();
    args.extend(["--shots", &csv]);
    let (ok, out, err) = trainer(&args);
    assert!(
        ok && out.contains("| statsbomb_xg | 82 | 9 |"),
        "{out}{err}"
    );
    assert!(out.contains("agreement: Pearson r"), "{out}");
    let csv = std::fs::read_to_string(&csv).unwrap();
    let mut lines = csv.lines();
    let header: Vec<&str> = lines.next().unwrap().split(',').collect();
    let column = |name: &str| header.iter().position(|h| *h == name).unwrap();
    let rows: Vec<Vec<&str>> = lines.map(|l| l.split(',').collect()).collect();
    assert_eq!(rows.len(), 82);
    let number = |r: &Vec<&str>, c: &str| r[column(c)].parse::<f64>().unwrap();
    assert!(rows.iter().all(|r| (0.0..1.0).contains(&number(r, "xg"))));
    let sum: f64 = rows.iter().map(|r| number(r, "provider_xg")).sum();
    assert!((sum - provider_sum).abs() < 1e-6, "{sum} vs {provider_sum}");
    assert_eq!(rows.iter().filter(|r| r[column("goal")] == "1").count(), 9);

    // Exactly one kind of input; a Wyscout file given as StatsBomb fails naming the file.
    let (ok, _, err) = trainer(&["evaluate", "--model", &model]);
    assert!(!ok && err.contains("--statsbomb"), "{err}");
    let wc = &events[0];
    let (ok, _, err) = trainer(&[
        "evaluate",
        "--model",
        &model,
        "--events",
        wc,
        "--statsbomb",
        &files[0],
    ]);
    assert!(!ok && err.contains("cannot be used with"), "{err}");
    let (ok, _, err) = trainer(&["evaluate", "--model", &model, "--statsbomb", wc]);
    assert!(!ok && !err.contains("panicked"), "{err}");
    assert!(
        err.contains("no shots") || err.contains("events_World_Cup.json"),
        "{err}"
    );
}
