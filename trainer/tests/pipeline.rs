//! `trainer pipeline` end to end on small inputs cut at test time, and `registry promote`
//! refusing a worse model unless forced.

mod common;

use common::{cut, run_trainer as trainer, TINY_SPACE};

#[test]
fn pipeline_caches_stages_registers_and_promotes() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    cut(d, "World_Cup", 24);
    cut(d, "European_Championship", 16);
    std::fs::write(
        d.join("ingest.toml"),
        "[[sources]]\nname = \"World_Cup\"\nlocation = \"events_World_Cup.json\"\n[[sources]]\nname = \"European_Championship\"\nlocation = \"events_European_Championship.json\"\n",
    )
    .unwrap();
    std::fs::write(d.join("space.toml"), TINY_SPACE).unwrap();
    std::fs::write(
        d.join("pipeline.toml"),
        "ingest = \"ingest.toml\"\nregistry = \"reg\"\nwork_dir = \"work\"\nseed = 3\nspace = \"space.toml\"\nablation = false\n",
    )
    .unwrap();
    let (ok, _, err) = trainer(d, &["pipeline", "--config", "pipeline.toml"]);
    assert!(ok, "{err}");
    assert!(
        err.contains("[train] done") && err.contains("promoted: no production model yet"),
        "{err}"
    );
    // Nothing changed: every stage but promotion comes from cache.
    let (ok, _, err) = trainer(d, &["pipeline", "--config", "pipeline.toml"]);
    assert!(ok, "{err}");
    assert!(
        err.contains("[train] cached")
            && err.contains("[evaluate] cached")
            && err.contains("[register] cached"),
        "{err}"
    );
    assert!(err.contains("already production"), "{err}");
    // Retraining from scratch gives the same model (and a manifest with a new timestamp): the
    // registry already holds that version, so registering is a no-op, not an error.
    for stage in std::fs::read_dir(d.join("work/stages")).unwrap() {
        let _ = std::fs::remove_file(stage.unwrap().path().join("DONE"));
    }
    let (ok, _, err) = trainer(d, &["pipeline", "--config", "pipeline.toml"]);
    assert!(ok, "{err}");
    assert!(
        err.contains("[train] done") && err.contains("[register] cached"),
        "{err}"
    );
    let runs: Vec<_> = std::fs::read_dir(d.join("work/runs")).unwrap().collect();
    assert_eq!(runs.len(), 3);
    let (ok, list, _) = trainer(d, &["registry", "--registry", "reg", "list"]);
    assert!(ok && list.starts_with("* m-"), "{list}");
    let version = list[2..].split_whitespace().next().unwrap().to_string();

    // A worse candidate: the same manifest with a synthetic (untrained) model, pinned by its
    // own sha256 (a swapped model alone is refused before any comparison, as the Lambda would).
    let bad = d.join("reg/versions/bad");
    std::fs::create_dir_all(&bad).unwrap();
    let good = d.join("reg/versions").join(&version);
    for f in std::fs::read_dir(&good).unwrap() {
        let f = f.unwrap();
        std::fs::copy(f.path(), bad.join(f.file_name())).unwrap();
    }
    let synthetic = scorer::synth::model(1, 20, 4).to_bytes();
    std::fs::write(bad.join("model.xgm"), &synthetic).unwrap();
    let (ok, _, err) = trainer(
        d,
        &["registry", "--registry", "reg", "promote", "bad", "--force"],
    );
    assert!(
        !ok && err.contains("cannot be served") && err.contains("sha256"),
        "{err}"
    );
    let manifest_path = bad.join("manifest.json");
    let mut manifest: serde_json::Value =
        serde_json::from_slice(&std::fs::read(&manifest_path).unwrap()).unwrap();
    manifest["model_sha256"] = trainer::train::sha256_hex(&synthetic).into();
    std::fs::write(&manifest_path, manifest.to_string()).unwrap();
    let promote = |version: &str, flag: Option<&str>| {
        let mut args = vec!["registry", "--registry", "reg", "promote", version];
        args.extend(flag);
        args.extend(["--cache-dir", "work/cache"]);
        trainer(d, &args)
    };
    let (ok, _, err) = promote("bad", None);
    assert!(!ok && err.contains("refused to promote bad"), "{err}");
    // CD's form: a refusal is reported and production stays, without failing the job.
    let (ok, out, err) = promote("bad", Some("--if-better"));
    assert!(ok, "{err}");
    assert!(out.contains("\"promoted\": false"), "{out}");
    assert!(err.contains(&format!("kept production {version}")), "{err}");
    let (_, list, _) = trainer(d, &["registry", "--registry", "reg", "list"]);
    assert!(list.contains(&format!("* {version}")), "{list}");
    let (ok, out, err) = promote("bad", Some("--force"));
    assert!(ok, "{err}");
    assert!(
        out.contains("\"promoted\": true") && out.contains("forced"),
        "{out}"
    );
    let (_, list, _) = trainer(d, &["registry", "--registry", "reg", "list"]);
    assert!(list.contains("* bad"), "{list}");
    // And back: the trained model is better than the synthetic one.
    let (ok, out, err) = promote(&version, None);
    assert!(ok && out.contains("\"promoted\": true"), "{out}{err}");
}
