//! `trainer export-web`: the web page's files from real (cut) Wyscout data, read back shot for
//! shot; and refusals of missing, malformed and hostile inputs.

mod common;

use common::{cut, run_trainer, shared};
use std::path::{Path, PathBuf};

const TEST_MODEL: &str = concat!(
    env!("CARGO_MANIFEST_DIR"),
    "/../testdata/models/test-model.xgm"
);

/// A data folder with the first `n` World Cup matches' events and the real matches, teams and
/// players files (copied at test time into a temporary folder).
fn data_dir(dir: &Path, n: usize) -> PathBuf {
    let data = dir.join("data");
    std::fs::create_dir_all(&data).unwrap();
    cut(&data, "World_Cup", n);
    for f in [
        "matches_World_Cup.json.gz",
        "teams.json.gz",
        "players.json.gz",
    ] {
        std::fs::copy(shared(f), data.join(f)).unwrap();
    }
    data
}

fn export(dir: &Path, data: &Path, extra: &[&str]) -> (bool, String, String) {
    let out = dir.join("out");
    let cache = dir.join("cache");
    let mut args = vec![
        "export-web",
        "--out",
        out.to_str().unwrap(),
        "--data",
        data.to_str().unwrap(),
        "--cache-dir",
        cache.to_str().unwrap(),
    ];
    args.extend_from_slice(extra);
    run_trainer(dir, &args)
}

fn read_json(p: &Path) -> serde_json::Value {
    serde_json::from_slice(&std::fs::read(p).unwrap()).unwrap()
}

#[test]
fn exports_a_model_and_real_shots_that_read_back_bit_for_bit() {
    let tmp = tempfile::tempdir().unwrap();
    let data = data_dir(tmp.path(), 3);
    let (ok, stdout, stderr) = export(
        tmp.path(),
        &data,
        &["--model", TEST_MODEL, "--competition", "World_Cup"],
    );
    assert!(ok, "{stderr}");
    let summary: serde_json::Value = serde_json::from_str(&stdout).unwrap();
    let out = tmp.path().join("out");

    // The model is the given file, unchanged; the card names the scorer's features.
    assert_eq!(
        std::fs::read(out.join("model.xgm")).unwrap(),
        std::fs::read(TEST_MODEL).unwrap()
    );
    let card = read_json(&out.join("model-card.json"));
    let names: Vec<&str> = scorer::features::names().collect();
    assert_eq!(card["feature_names"], serde_json::json!(names));
    assert!(card["version"].as_str().unwrap().starts_with("file-"));
    assert!(card["test"].is_null(), "no manifest, no metrics");

    // Every shot of the cut events, in order, with the same bits as the trainer's table.
    let table =
        trainer::dataset::load(&[data.join("events_World_Cup.json")], &|_: &str| {}).unwrap();
    assert!(table.rows.len() > 30, "three matches have shots");
    let comp = read_json(&out.join("competitions/World_Cup.json"));
    let shots = comp["shots"].as_array().unwrap();
    assert_eq!(shots.len(), table.rows.len());
    let matches = comp["matches"].as_array().unwrap();
    assert_eq!(
        matches.len(),
        64,
        "every match of the competition is listed"
    );
    // Read as the page reads it.
    let page = web::data::Competition::parse(
        &std::fs::read_to_string(out.join("competitions/World_Cup.json")).unwrap(),
    )
    .unwrap();
    assert_eq!(page.shots.len(), table.rows.len());
    for (row, input) in table.rows.iter().zip(&page.shots) {
        assert_eq!(input.shot.to_flat(), row.shot.to_flat());
        assert_eq!(input.goal, row.goal);
        let m = &page.matches[input.match_index];
        assert_eq!(m.id, row.match_id);
        assert_eq!(page.teams[m.team(input.side)].wyscout_id, row.team_id);
        assert_eq!(
            (input.period, input.second),
            (row.period, row.event_sec as u32)
        );
        assert!(input.period <= 2 || m.extra_time, "{}", m.id);
    }
    // The World Cup's knockout games that went to extra time say so.
    assert!(page.matches.iter().any(|m| m.extra_time));
    // Names and results come from the real files: the opening match.
    let opener = matches.iter().find(|m| m["id"] == 2057954).unwrap();
    assert_eq!(opener["date"], "2018-06-14");
    assert_eq!(
        (opener["home_goals"].as_u64(), opener["away_goals"].as_u64()),
        (Some(5), Some(0))
    );
    assert_eq!(
        comp["teams"][opener["home"].as_u64().unwrap() as usize][1],
        "Russia"
    );

    // The index lists what was written, with its size.
    let index = read_json(&out.join("index.json"));
    let c = &index["competitions"][0];
    assert_eq!(c["id"], "World_Cup");
    assert_eq!(c["file"], "competitions/World_Cup.json");
    assert_eq!(c["shots"].as_u64(), Some(table.rows.len() as u64));
    assert_eq!(
        c["bytes"].as_u64(),
        Some(
            std::fs::metadata(out.join("competitions/World_Cup.json"))
                .unwrap()
                .len()
        )
    );
    assert_eq!(summary["competitions"][0]["shots"], c["shots"]);
}

#[test]
fn exports_the_registrys_production_model_with_its_metrics() {
    let tmp = tempfile::tempdir().unwrap();
    let data = data_dir(tmp.path(), 1);
    let reg = tmp.path().join("registry");
    let v = reg.join("versions/m-test");
    std::fs::create_dir_all(&v).unwrap();
    std::fs::copy(TEST_MODEL, v.join("model.xgm")).unwrap();
    let model_sha256 = trainer::train::sha256_hex(&std::fs::read(TEST_MODEL).unwrap());
    let manifest = serde_json::json!({
        "model_version": "m-test", "model_sha256": model_sha256,
        "feature_set_id": format!("{:016x}", scorer::FEATURE_SET_ID),
        "n_trees": 3, "max_depth": 2, "trained_at_unix_s": 1_700_000_000u64,
        "data": {"competitions": ["World_Cup"], "n_shots": 10, "n_goals": 1},
        "split": {"description": "1 of 1 matches"},
        "metrics": {
            "test": {"n_shots": 10, "n_goals": 1, "auc": 0.75, "log_loss": 0.3, "brier": 0.08, "ece": 0.01,
                     "xg_ratio": 1.02, "calibration": [{"lo": 0.0, "hi": 0.1, "n": 10, "mean_xg": 0.05, "goal_rate": 0.1}]},
            "baseline_logistic_test": {"auc": 0.7}
        }
    });
    std::fs::write(v.join("manifest.json"), manifest.to_string()).unwrap();
    std::fs::write(
        reg.join("production.json"),
        r#"{"version": "m-test", "promoted_at_unix_s": 1, "previous": null, "forced": false}"#,
    )
    .unwrap();
    let (ok, _, stderr) = export(tmp.path(), &data, &["--registry", reg.to_str().unwrap()]);
    assert!(ok, "{stderr}");
    let card = read_json(&tmp.path().join("out/model-card.json"));
    assert_eq!(card["version"], "m-test");
    assert_eq!(card["test"]["auc"], 0.75);
    assert_eq!(card["baseline_test"]["auc"], 0.7);
    assert_eq!(card["calibration"][0]["n"], 10);
    // Competitions default to those the model was trained on.
    let index = read_json(&tmp.path().join("out/index.json"));
    assert_eq!(index["competitions"].as_array().unwrap().len(), 1);
    assert_eq!(index["model"]["version"], "m-test");
}

/// Runs an export that must fail; returns stderr. It may not touch the output folder: no
/// index where there was none, the same one where there was.
fn refused(dir: &Path, data: &Path, extra: &[&str]) -> String {
    let index = dir.join("out/index.json");
    let before = std::fs::read(&index).ok();
    let (ok, _, stderr) = export(dir, data, extra);
    assert!(!ok, "expected a refusal for {extra:?}");
    assert_eq!(std::fs::read(&index).ok(), before, "{extra:?}");
    stderr
}

#[test]
fn refuses_missing_and_broken_models() {
    let tmp = tempfile::tempdir().unwrap();
    let data = data_dir(tmp.path(), 1);
    let e = refused(tmp.path(), &data, &["--registry", "nowhere"]);
    assert!(e.contains("no model registry at nowhere"), "{e}");

    let reg = tmp.path().join("reg");
    std::fs::create_dir_all(&reg).unwrap();
    let e = refused(tmp.path(), &data, &["--registry", reg.to_str().unwrap()]);
    assert!(e.contains("no production model"), "{e}");
    std::fs::write(reg.join("production.json"), r#"{"version": "../../etc"}"#).unwrap();
    let e = refused(tmp.path(), &data, &["--registry", reg.to_str().unwrap()]);
    assert!(e.contains("error"), "{e}");
    std::fs::write(
        reg.join("production.json"),
        r#"{"version": "m-gone", "promoted_at_unix_s": 1, "previous": null, "forced": false}"#,
    )
    .unwrap();
    let e = refused(tmp.path(), &data, &["--registry", reg.to_str().unwrap()]);
    assert!(e.contains("m-gone"), "{e}");

    let bad = tmp.path().join("bad.xgm");
    std::fs::write(&bad, b"not a model at all").unwrap();
    let e = refused(tmp.path(), &data, &["--model", bad.to_str().unwrap()]);
    assert!(e.contains("not usable") && e.contains("bad magic"), "{e}");
    let mut truncated = std::fs::read(TEST_MODEL).unwrap();
    truncated.truncate(truncated.len() / 2);
    std::fs::write(&bad, &truncated).unwrap();
    let e = refused(tmp.path(), &data, &["--model", bad.to_str().unwrap()]);
    assert!(e.contains("not usable"), "{e}");
}

#[test]
fn refuses_malformed_and_hostile_data() {
    let tmp = tempfile::tempdir().unwrap();
    let data = data_dir(tmp.path(), 1);
    let model = ["--model", TEST_MODEL];
    let with = |extra: &[&'static str]| -> Vec<&'static str> {
        model.iter().chain(extra).copied().collect()
    };

    // A good export first: every refusal below must leave its files as they are.
    let (ok, _, stderr) = export(tmp.path(), &data, &with(&["--competition", "World_Cup"]));
    assert!(ok, "{stderr}");
    let out = tmp.path().join("out");
    let files = [
        "index.json",
        "model-card.json",
        "model.xgm",
        "competitions/World_Cup.json",
    ];
    let snapshot = || -> Vec<Vec<u8>> {
        files
            .iter()
            .map(|f| std::fs::read(out.join(f)).unwrap())
            .collect()
    };
    let before = snapshot();

    let e = refused(
        tmp.path(),
        &data,
        &with(&["--competition", "../../etc/passwd"]),
    );
    assert!(e.contains("invalid competition name"), "{e}");
    let e = refused(tmp.path(), &data, &with(&["--competition", "Atlantis"]));
    assert!(e.contains("events_Atlantis"), "{e}");

    // Matches files: not JSON, not an array, a match without teams, an absurd score, a
    // missing file.
    let matches = data.join("matches_World_Cup.json.gz");
    let real = std::fs::read(&matches).unwrap();
    std::fs::remove_file(&matches).unwrap();
    let plain = data.join("matches_World_Cup.json");
    for (text, expect) in [
        ("{not json", "not valid JSON"),
        ("{}", "expected a JSON array"),
        (
            r#"[{"wyId": 1, "dateutc": "2018-06-14 15:00:00"}]"#,
            "teamsData missing",
        ),
        (
            r#"[{"wyId": 1, "dateutc": "2018-06-14", "duration": "Regular", "teamsData": {
              "1": {"side": "home", "teamId": 1, "score": 1000}, "2": {"side": "away", "teamId": 2, "score": 0}}}]"#,
            "not a football score",
        ),
        (
            r#"[{"wyId": 1, "dateutc": "2018-06-14", "duration": "Bogus", "teamsData": {
              "1": {"side": "home", "teamId": 1, "score": 1}, "2": {"side": "away", "teamId": 2, "score": 0}}}]"#,
            "not Regular, ExtraTime or Penalties",
        ),
        (
            r#"[{"wyId": 1, "dateutc": "2018-06-14", "duration": 42, "teamsData": {
              "1": {"side": "home", "teamId": 1, "score": 1}, "2": {"side": "away", "teamId": 2, "score": 0}}}]"#,
            "duration 42",
        ),
        (
            r#"[{"wyId": 1, "dateutc": "<script>", "teamsData": {
              "1": {"side": "home", "teamId": 1, "score": 1}, "2": {"side": "away", "teamId": 2, "score": 0}}}]"#,
            "YYYY-MM-DD",
        ),
        (
            r#"[{"wyId": 1, "dateutc": "2018-06-14", "duration": "Regular", "teamsData": {
              "1": {"side": "home", "teamId": 1, "score": 1}, "2": {"side": "away", "teamId": 2, "score": 0}}}]"#,
            "which matches_World_Cup does not list",
        ),
    ] {
        std::fs::write(&plain, text).unwrap();
        let e = refused(tmp.path(), &data, &with(&["--competition", "World_Cup"]));
        assert!(e.contains(expect), "{expect}: {e}");
    }
    std::fs::remove_file(&plain).unwrap();
    let e = refused(tmp.path(), &data, &with(&["--competition", "World_Cup"]));
    assert!(e.contains("no matches_World_Cup.json"), "{e}");
    // A truncated gzip is an error, not a short file.
    std::fs::write(&matches, &real[..real.len() / 2]).unwrap();
    let e = refused(tmp.path(), &data, &with(&["--competition", "World_Cup"]));
    assert!(e.contains("corrupt or truncated"), "{e}");
    std::fs::write(&matches, &real).unwrap();

    // No teams file.
    std::fs::remove_file(data.join("teams.json.gz")).unwrap();
    let e = refused(tmp.path(), &data, &with(&["--competition", "World_Cup"]));
    assert!(e.contains("no teams.json"), "{e}");
    assert!(
        snapshot() == before,
        "a refused export changed the output folder"
    );

    // Two competitions, the second broken: the first, fine on its own, is not written either.
    std::fs::copy(shared("teams.json.gz"), data.join("teams.json.gz")).unwrap();
    cut(&data, "European_Championship", 1);
    std::fs::write(data.join("matches_European_Championship.json"), "{not json").unwrap();
    std::fs::remove_file(out.join("competitions/World_Cup.json")).unwrap();
    let both = [
        "--competition",
        "World_Cup",
        "--competition",
        "European_Championship",
    ];
    let e = refused(tmp.path(), &data, &with(&both));
    assert!(e.contains("matches_European_Championship"), "{e}");
    assert!(!out.join("competitions/World_Cup.json").exists());
}
