//! The `edge-host` command line: `invoke` on an event file (outputs, dead letters and the batch
//! response as JSON lines), `precompile`, and the errors a user sees for bad files and
//! variables.

mod common;

use common::{dead_letter, prediction, repo_path};
use std::process::{Command, Output};

fn edge_host(args: &[&str], env: &[(&str, &str)]) -> Output {
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_edge-host"));
    cmd.args(args).current_dir(repo_path(""));
    for var in [
        "XGOALS_REGISTRY",
        "XGOALS_OUTPUT_STREAM",
        "XGOALS_DEAD_LETTER",
        "XGOALS_MODEL_VERSION",
        "XGOALS_PRECOMPILED_MODULE",
    ] {
        cmd.env_remove(var);
    }
    cmd.envs(env.iter().copied()).output().unwrap()
}

fn stderr(o: &Output) -> String {
    String::from_utf8_lossy(&o.stderr).to_string()
}

const EVENT: &str = "testdata/events/kinesis-mixed.json";
const MODEL: &str = "testdata/models/test-model.xgm";

#[test]
fn invoke_prints_predictions_dead_letters_and_the_response() {
    let o = edge_host(&["invoke", "--event", EVENT, "--model", MODEL], &[]);
    assert!(o.status.success(), "{}", stderr(&o));
    let stdout = String::from_utf8(o.stdout.clone()).unwrap();
    let lines: Vec<&str> = stdout.lines().collect();
    let (dead, rest): (Vec<&str>, Vec<&str>) = lines
        .iter()
        .partition(|l| l.starts_with("{\"dead_letter\""));
    let reasons: Vec<String> = dead.iter().map(|l| dead_letter(l.as_bytes()).0).collect();
    assert_eq!(
        reasons,
        [
            "bad_json",
            "invalid_shot",
            "not_a_shot",
            "bad_json",
            "unknown_format",
            "bad_field"
        ]
    );
    assert_eq!(rest.len(), 6, "5 predictions + the response: {stdout}");
    let model = std::fs::read(repo_path(MODEL)).unwrap();
    let version = format!("file-{}", &edge_host::registry::sha256_hex(&model)[..12]);
    let formats: Vec<String> = rest[..5]
        .iter()
        .map(|line| {
            assert_eq!(prediction(line.as_bytes()).2, version);
            let v: serde_json::Value = serde_json::from_str(line).unwrap();
            v["input_format"].as_str().unwrap().to_string()
        })
        .collect();
    assert_eq!(
        formats,
        [
            "wyscout_event",
            "wyscout_event",
            "xgoals_shot",
            "original",
            "statsbomb_event"
        ]
    );
    assert_eq!(rest[5], r#"{"batchItemFailures":[]}"#);
    let timing = stderr(&o);
    assert!(timing.contains("\"to_first_scored_batch_ms\""), "{timing}");

    // The same event again: the same bytes.
    let again = edge_host(&["invoke", "--event", EVENT, "--model", MODEL], &[]);
    assert_eq!(String::from_utf8(again.stdout).unwrap(), stdout);
}

/// What `edge-host invoke` printed for an event.
#[derive(Debug, PartialEq)]
struct Invoked {
    dead: Vec<String>,
    predictions: Vec<String>,
    response: String,
    /// The invocation's EMF metrics line (stderr).
    metrics: serde_json::Value,
}

/// `edge-host invoke` on `event`.
fn invoke_lines(event: &str) -> Invoked {
    let o = edge_host(&["invoke", "--event", event, "--model", MODEL], &[]);
    assert!(o.status.success(), "{}", stderr(&o));
    let stdout = String::from_utf8(o.stdout.clone()).unwrap();
    let mut lines: Vec<String> = stdout.lines().map(str::to_string).collect();
    let response = lines.pop().expect("the response line");
    let (dead, predictions) = lines
        .into_iter()
        .partition(|l| l.starts_with("{\"dead_letter\""));
    let mut metrics: serde_json::Value = stderr(&o)
        .lines()
        .filter_map(|l| serde_json::from_str::<serde_json::Value>(l).ok())
        .find(|v| v.get("_aws").is_some())
        .expect("an EMF line on stderr");
    // Only the counts: the rest carries timestamps.
    metrics.as_object_mut().unwrap().retain(|k, _| {
        [
            "RecordsIn",
            "RecordsScored",
            "DeadLetters",
            "BatchItemFailures",
        ]
        .contains(&k.as_str())
    });
    Invoked {
        dead,
        predictions,
        response,
        metrics,
    }
}

/// Four Kinesis records packed by a real KPL-format producer library (aws-kinesis-agg, see
/// edge-host/scripts/kpl_event.py) from the records of [`EVENT`]: an aggregate of all 11, an
/// aggregate of the first 3 with explicit hash keys, that aggregate with a flipped byte, and
/// the first record plain.
const KPL_EVENT: &str = "testdata/events/kinesis-kpl.json";

#[test]
fn kpl_aggregates_from_a_real_producer_library_give_each_user_record_its_output() {
    let plain = invoke_lines(EVENT);
    let kpl = invoke_lines(KPL_EVENT);
    let (plain_dead, plain) = (plain.dead, plain.predictions);
    let (dead, predictions) = (kpl.dead, kpl.predictions);
    assert_eq!(kpl.response, r#"{"batchItemFailures":[]}"#);
    // Metrics count user records: 11 + 3 in the good aggregates, the broken one as one record,
    // the plain record.
    assert_eq!(
        kpl.metrics,
        serde_json::json!({"RecordsIn": 16, "RecordsScored": 9, "DeadLetters": 7, "BatchItemFailures": 0})
    );
    // The predictions of the 11 records, of the first 3 again, and of the first once more:
    // byte for byte those of the plain records (records 0–2 are shots).
    let want: Vec<&String> = plain.iter().chain(&plain[..3]).chain(&plain[..1]).collect();
    assert_eq!(predictions.iter().collect::<Vec<_>>(), want);

    let event: serde_json::Value =
        serde_json::from_slice(&std::fs::read(repo_path(KPL_EVENT)).unwrap()).unwrap();
    let kinesis = |i: usize| &event["Records"][i]["kinesis"];
    assert_eq!(dead.len(), plain_dead.len() + 1, "{dead:#?}");
    for (got, plain) in dead.iter().zip(&plain_dead) {
        let (g, p): (serde_json::Value, serde_json::Value) = (
            serde_json::from_str(got).unwrap(),
            serde_json::from_str(plain).unwrap(),
        );
        let (g, p) = (&g["dead_letter"], &p["dead_letter"]);
        for same in ["reason_code", "reason", "partition_key", "data_base64"] {
            assert_eq!(g[same], p[same], "{same}: {got}");
        }
        // The aggregate's sequence number, and the record's place in it (its index in the
        // plain event, as the aggregate holds them all in order).
        assert_eq!(g["sequence_number"], kinesis(0)["sequenceNumber"]);
        let index: u64 = p["partition_key"].as_str().unwrap()[3..].parse().unwrap();
        assert_eq!(g["sub_sequence_number"], index, "{got}");
    }
    // Our encoder (for tests and benchmarks) writes the library's bytes exactly.
    for i in [0, 1] {
        let sent = common::base64_decode(kinesis(i)["data"].as_str().unwrap());
        let users = edge_host::kpl::deaggregate(&sent).unwrap().unwrap();
        assert_eq!(users.len(), [11, 3][i]);
        assert_eq!(users.iter().any(|u| u.explicit_hash_key.is_some()), i == 1);
        assert_eq!(edge_host::kpl::aggregate(&users), sent, "record {i}");
    }
    // The corrupted aggregate: one dead letter with all its bytes, no user record guessed at.
    let (reason, bytes) = dead_letter(dead.last().unwrap().as_bytes());
    assert_eq!(reason, "bad_aggregate");
    let sent = common::base64_decode(kinesis(2)["data"].as_str().unwrap());
    assert_eq!(bytes, sent);
    assert!(
        dead.last().unwrap().contains("MD5"),
        "{}",
        dead.last().unwrap()
    );
}

#[test]
fn an_event_file_with_a_byte_order_mark_reads_like_one_without() {
    let dir = tempfile::tempdir().unwrap();
    let bom = dir.path().join("event-bom.json");
    let text = std::fs::read_to_string(repo_path(EVENT)).unwrap();
    std::fs::write(&bom, format!("\u{feff}{text}")).unwrap();
    assert_eq!(invoke_lines(bom.to_str().unwrap()), invoke_lines(EVENT));
}

#[test]
fn a_model_folder_is_named_by_its_manifest() {
    // As `trainer train --out any-name` writes it: the predictions must carry the version the
    // registry will know the model by, so local runs and the deployed function agree.
    let dir = tempfile::tempdir().unwrap();
    let folder = dir.path().join("any-name");
    std::fs::create_dir(&folder).unwrap();
    let model = std::fs::read(repo_path(MODEL)).unwrap();
    std::fs::write(folder.join("model.xgm"), &model).unwrap();
    let versions = |manifest_version: &str| -> Vec<String> {
        let manifest = common::manifest(manifest_version, &model);
        std::fs::write(folder.join("manifest.json"), manifest).unwrap();
        let folder = folder.to_str().unwrap();
        let o = edge_host(&["invoke", "--event", EVENT, "--model", folder], &[]);
        assert!(o.status.success(), "{}", stderr(&o));
        String::from_utf8(o.stdout)
            .unwrap()
            .lines()
            .filter(|l| l.contains("\"prediction\""))
            .map(|l| prediction(l.as_bytes()).2)
            .collect()
    };
    assert_eq!(versions("m-0123456789ab"), ["m-0123456789ab"; 5]);
    // A manifest without a usable version: the folder's name.
    assert_eq!(versions("../bad"), ["any-name"; 5]);
}

#[test]
fn a_precompiled_module_gives_the_same_output() {
    let dir = tempfile::tempdir().unwrap();
    let cwasm = dir.path().join("scorer.cwasm");
    let o = edge_host(&["precompile", "--out", cwasm.to_str().unwrap()], &[]);
    assert!(o.status.success(), "{}", stderr(&o));
    let compiled = edge_host(&["invoke", "--event", EVENT, "--model", MODEL], &[]);
    let precompiled = edge_host(
        &["invoke", "--event", EVENT, "--model", MODEL],
        &[("XGOALS_PRECOMPILED_MODULE", cwasm.to_str().unwrap())],
    );
    assert!(precompiled.status.success(), "{}", stderr(&precompiled));
    assert!(stderr(&precompiled).contains("\"module\":\"precompiled\""));
    assert_eq!(precompiled.stdout, compiled.stdout);
    // A corrupt .cwasm is refused by wasmtime with the file named, not run.
    std::fs::write(&cwasm, b"\x7fELF not really").unwrap();
    let bad = edge_host(
        &["invoke", "--event", EVENT, "--model", MODEL],
        &[("XGOALS_PRECOMPILED_MODULE", cwasm.to_str().unwrap())],
    );
    assert!(!bad.status.success());
    assert!(stderr(&bad).contains("scorer.cwasm"), "{}", stderr(&bad));
}

#[test]
fn bad_files_and_variables_are_named_in_the_error() {
    let dir = tempfile::tempdir().unwrap();
    let missing = edge_host(&["invoke", "--event", "no/such/event.json"], &[]);
    assert!(!missing.status.success());
    assert!(stderr(&missing).contains("no/such/event.json"));

    let malformed = dir.path().join("event.json");
    for bad in [
        "{\"Records\": [{\"kinesis\": {\"data\": \"!!not base64!!\"}}]}",
        "{\"Records\": 3}",
        "[",
    ] {
        std::fs::write(&malformed, bad).unwrap();
        let o = edge_host(&["invoke", "--event", malformed.to_str().unwrap()], &[]);
        assert!(!o.status.success(), "{bad}");
        assert!(
            stderr(&o).contains("is not a Lambda Kinesis event"),
            "{}",
            stderr(&o)
        );
    }

    let bad_model = dir.path().join("model.xgm");
    std::fs::write(&bad_model, b"XGMODEL\0 truncated").unwrap();
    let o = edge_host(
        &[
            "invoke",
            "--event",
            EVENT,
            "--model",
            bad_model.to_str().unwrap(),
        ],
        &[],
    );
    assert!(!o.status.success());
    assert!(stderr(&o).contains("refused"), "{}", stderr(&o));

    let o = edge_host(
        &["invoke", "--event", EVENT, "--model", MODEL],
        &[("XGOALS_PUT_MAX_ATTEMPTS", "zero")],
    );
    assert!(!o.status.success());
    assert!(
        stderr(&o).contains("XGOALS_PUT_MAX_ATTEMPTS"),
        "{}",
        stderr(&o)
    );

    // Lambda mode needs its destinations.
    let o = edge_host(&["lambda"], &[("XGOALS_REGISTRY", "s3://models/registry")]);
    assert!(!o.status.success());
    assert!(
        stderr(&o).contains("XGOALS_OUTPUT_STREAM"),
        "{}",
        stderr(&o)
    );
}
