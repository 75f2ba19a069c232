//! The stream → Lambda handler → stream path against a real Kinesis + S3 emulator (moto,
//! started here as a child process): every good record's prediction on the output stream with
//! the native scorer's exact bits, every bad one in the dead-letter destination with its
//! reason, nothing else; replays give identical records; partial `PutRecords` failures are
//! retried or reported as batch item failures; a promoted model is picked up and a corrupt one
//! refused while the last good model keeps serving.

mod common;

use common::moto::Moto;
use common::proxy::{Fault, Proxy};
use common::*;
use edge_host::handler::{Backend, Handler, HandlerConfig, RecordIn};
use edge_host::output::Source;
use edge_host::registry::{ModelChoice, Registry};
use edge_host::sink::{RetryPolicy, Sink};
use edge_host::{HostConfig, ScorerEngine};
use std::collections::BTreeMap;
use std::process::Command;
use std::time::Duration;

const BUCKET: &str = "models";
const PREFIX: &str = "registry";

async fn setup_registry(s3c: &aws_sdk_s3::Client) {
    create_bucket(s3c, BUCKET).await;
    let model = test_model_bytes();
    publish(s3c, BUCKET, PREFIX, "v1", &model, manifest("v1", &model)).await;
    promote(s3c, BUCKET, PREFIX, "v1").await;
}

fn run_poll(moto: &Moto, checkpoints: &std::path::Path) -> std::process::Output {
    let output = Command::new(env!("CARGO_BIN_EXE_edge-host"))
        .args([
            "poll",
            "--stream",
            "shots",
            "--batch-size",
            "25",
            "--until-idle",
            "2",
        ])
        .arg("--checkpoint-dir")
        .arg(checkpoints)
        .envs(child_env(&moto.url))
        .env("XGOALS_REGISTRY", format!("s3://{BUCKET}/{PREFIX}"))
        .env("XGOALS_OUTPUT_STREAM", "xg-out")
        .env("XGOALS_DEAD_LETTER", "kinesis:xg-dead")
        .output()
        .unwrap();
    assert!(
        output.status.success(),
        "poll failed: {}",
        String::from_utf8_lossy(&output.stderr)
    );
    output
}

#[tokio::test]
async fn poll_delivers_every_good_record_and_dead_letters_every_bad_one() {
    let Some(moto) = Moto::start() else { return };
    let k = kinesis(&moto.url);
    let s3c = s3(&moto.url);
    for stream in ["shots", "xg-out", "xg-dead"] {
        create_stream(&k, stream).await;
    }
    setup_registry(&s3c).await;
    let model = test_model_bytes();

    // Expected xG per shot id, computed by the native scorer from independently built shots.
    let mut expected: BTreeMap<String, u32> = BTreeMap::new();
    let mut inputs: Vec<Vec<u8>> = Vec::new();
    for (data, shot, id) in wyscout_records(&world_cup_match(0)) {
        expected.insert(id.to_string(), native_xg(&model, &shot).to_bits());
        inputs.push(data);
    }
    for (data, shot, id) in other_format_records() {
        let id = match id {
            serde_json::Value::String(s) => s,
            other => other.to_string(),
        };
        expected.insert(id, native_xg(&model, &shot).to_bits());
        inputs.push(data);
    }
    let n_good = inputs.len();
    assert!(n_good > 20, "a real match has shots: {n_good}");
    let bad = bad_records();
    // Interleave the bad records among the good ones.
    for (i, (data, _)) in bad.iter().enumerate() {
        inputs.insert((i * 3 + 1).min(inputs.len()), data.clone());
    }
    put(&k, "shots", &inputs).await;

    let dir = tempfile::tempdir().unwrap();
    let first = run_poll(&moto, &dir.path().join("a"));
    let stderr = String::from_utf8_lossy(&first.stderr);
    assert!(
        stderr.contains("\"DeadLetters\""),
        "EMF metrics are logged: {stderr}"
    );

    let out = read_all(&k, "xg-out").await;
    assert_eq!(
        out.len(),
        n_good,
        "one prediction per good record, nothing else"
    );
    let mut seen = BTreeMap::new();
    for (key, data) in &out {
        let (id, xg, version) = prediction(data);
        let id = match id {
            serde_json::Value::String(s) => s,
            other => other.to_string(),
        };
        assert_eq!(key, &id, "partition key = shot id");
        assert_eq!(version, "v1");
        let want = expected
            .get(&id)
            .unwrap_or_else(|| panic!("unexpected shot id {id}"));
        assert_eq!(
            xg.to_bits(),
            *want,
            "shot {id}: wasm in Lambda vs native scorer"
        );
        seen.insert(id, ());
    }
    assert_eq!(seen.len(), expected.len(), "every good shot exactly once");

    let dead = read_all(&k, "xg-dead").await;
    assert_eq!(dead.len(), bad.len(), "one dead letter per bad record");
    for ((_, data), (original, reason)) in dead.iter().zip(&bad) {
        let (code, bytes) = dead_letter(data);
        assert_eq!(&code, reason, "{}", String::from_utf8_lossy(data));
        assert_eq!(&bytes, original, "the dead letter keeps the original bytes");
    }

    // The checkpoint holds: polling again from it reads nothing new.
    run_poll(&moto, &dir.path().join("a"));
    assert_eq!(read_all(&k, "xg-out").await.len(), n_good);

    // A replay from the start (new checkpoints) writes byte-identical records.
    run_poll(&moto, &dir.path().join("b"));
    let replayed = read_all(&k, "xg-out").await;
    assert_eq!(replayed.len(), 2 * n_good);
    assert_eq!(
        &replayed[n_good..],
        &out[..],
        "replayed predictions are identical"
    );
    let dead_replayed = read_all(&k, "xg-dead").await;
    assert_eq!(&dead_replayed[bad.len()..], &dead[..]);
}

fn records_in(data: &[Vec<u8>], first_seq: u64) -> Vec<RecordIn> {
    data.iter()
        .enumerate()
        .map(|(i, d)| RecordIn {
            data: d.clone(),
            source: Source {
                partition_key: format!("pk-{i}"),
                sequence_number: (first_seq + i as u64).to_string(),
                ..Source::default()
            },
        })
        .collect()
}

async fn handler(moto_url: &str, output_endpoint: &str, retry: RetryPolicy) -> Handler {
    let s3c = s3(moto_url);
    let registry = Registry::S3 {
        client: s3c.clone(),
        bucket: BUCKET.into(),
        prefix: PREFIX.into(),
    };
    let model = registry.fetch_version("v1").await.unwrap();
    let engine = ScorerEngine::new(HostConfig::default()).unwrap();
    Handler::new(
        Backend::wasm(&engine).unwrap(),
        model,
        HandlerConfig {
            registry: Some(registry),
            choice: ModelChoice::Production,
            recheck: Duration::ZERO,
            output: Sink::Kinesis {
                client: kinesis(output_endpoint),
                stream: "xg-out".into(),
            },
            dead_letter: Sink::S3 {
                client: s3c,
                bucket: BUCKET.into(),
                prefix: "dead-letters".into(),
            },
            retry,
            ..HandlerConfig::in_memory()
        },
    )
    .unwrap()
}

/// A version refused for its content is not downloaded again at every recheck while the alias
/// names it; repaired in place, it is fetched and served after `REFUSED_RECHECKS` rechecks.
#[tokio::test]
async fn a_refused_version_is_not_fetched_at_every_recheck() {
    let Some(moto) = Moto::start() else { return };
    let s3c = s3(&moto.url);
    create_stream(&kinesis(&moto.url), "xg-out").await;
    setup_registry(&s3c).await;
    let mut h = handler(&moto.url, &moto.url, RetryPolicy::default()).await;
    let good = scorer::synth::model(9, 30, 4).to_bytes();
    let mut flipped = good.clone();
    flipped[100] ^= 0x40;
    publish(&s3c, BUCKET, PREFIX, "v7", &flipped, manifest("v7", &good)).await;
    promote(&s3c, BUCKET, PREFIX, "v7").await;
    assert!(!h.recheck_model().await, "a checksum mismatch is refused");
    // Repaired in place: not read again until the refusal has been repeated enough times.
    publish(&s3c, BUCKET, PREFIX, "v7", &good, manifest("v7", &good)).await;
    for k in 0..edge_host::handler::REFUSED_RECHECKS {
        assert!(!h.recheck_model().await, "recheck {k}");
        assert_eq!(h.serving().tag.version(), "v1");
    }
    assert!(h.recheck_model().await);
    assert_eq!(h.serving().tag.version(), "v7");
}

#[tokio::test]
async fn promoted_models_are_picked_up_and_corrupt_ones_refused() {
    let Some(moto) = Moto::start() else { return };
    let k = kinesis(&moto.url);
    let s3c = s3(&moto.url);
    create_stream(&k, "xg-out").await;
    setup_registry(&s3c).await;
    let mut h = handler(&moto.url, &moto.url, RetryPolicy::default()).await;
    let records = other_format_records();
    let mut batch: Vec<Vec<u8>> = records.iter().map(|(d, _, _)| d.clone()).collect();
    batch.push(b"{\"not\": \"a shot\"}".to_vec());
    let input = records_in(&batch, 100);

    let versions_written = |out: &[(String, Vec<u8>)]| -> Vec<String> {
        out.iter().map(|(_, d)| prediction(d).2).collect()
    };
    let response = h.handle_records(&input).await.unwrap();
    assert!(response.batch_item_failures.is_empty());

    // Promote a valid new model: picked up on the next invocation, scored with its bits.
    let v2 = scorer::synth::model(7, 40, 4).to_bytes();
    publish(&s3c, BUCKET, PREFIX, "v2", &v2, manifest("v2", &v2)).await;
    promote(&s3c, BUCKET, PREFIX, "v2").await;
    h.handle_records(&input).await.unwrap();
    let out = read_all(&k, "xg-out").await;
    let n = records.len();
    assert_eq!(versions_written(&out[..n]), vec!["v1"; n]);
    assert_eq!(versions_written(&out[n..]), vec!["v2"; n]);
    for ((_, data), (_, shot, _)) in out[n..].iter().zip(&records) {
        assert_eq!(prediction(data).1.to_bits(), native_xg(&v2, shot).to_bits());
    }

    // Corrupt or mismatched models are refused; v2 keeps serving.
    let mut flipped = v2.clone();
    flipped[100] ^= 0x40;
    let garbage = b"XGMODEL\0 this is not a model".to_vec();
    let cases: Vec<(&str, Vec<u8>, Vec<u8>)> = vec![
        ("v3-bad-sha", flipped.clone(), manifest("v3-bad-sha", &v2)),
        (
            "v4-not-a-model",
            garbage.clone(),
            manifest("v4-not-a-model", &garbage),
        ),
        (
            "v5-other-features",
            v2.clone(),
            String::from_utf8(manifest("v5-other-features", &v2))
                .unwrap()
                .replace(
                    &edge_host::registry::host_feature_set_id(),
                    "0123456789abcdef",
                )
                .into_bytes(),
        ),
        (
            "v6-bad-crc",
            flipped,
            manifest("v6-bad-crc", &{
                let mut m = v2.clone();
                m[100] ^= 0x40;
                m
            }),
        ),
    ];
    for (version, model, manifest) in cases {
        publish(&s3c, BUCKET, PREFIX, version, &model, manifest).await;
        promote(&s3c, BUCKET, PREFIX, version).await;
        assert!(!h.recheck_model().await, "{version} must be refused");
        assert_eq!(h.serving().tag.version(), "v2", "{version}");
    }
    // A hostile alias is refused too.
    promote(&s3c, BUCKET, PREFIX, "../../etc").await;
    assert!(!h.recheck_model().await);
    h.handle_records(&input).await.unwrap();
    let out = read_all(&k, "xg-out").await;
    assert_eq!(versions_written(&out[2 * n..]), vec!["v2"; n]);

    // Dead letters in S3 are content-addressed: three deliveries of the same bad record, one
    // object.
    let listed = s3c
        .list_objects_v2()
        .bucket(BUCKET)
        .prefix("dead-letters/")
        .send()
        .await
        .unwrap();
    assert_eq!(listed.contents().len(), 1);
    let key = listed.contents()[0].key().unwrap();
    let object = s3c
        .get_object()
        .bucket(BUCKET)
        .key(key)
        .send()
        .await
        .unwrap();
    let body = object.body.collect().await.unwrap().into_bytes();
    let (code, original) = dead_letter(&body);
    assert_eq!(code, "unknown_format");
    assert_eq!(original, batch[batch.len() - 1]);
}

#[tokio::test]
async fn put_records_failures_are_retried_or_returned_as_batch_item_failures() {
    let Some(moto) = Moto::start() else { return };
    let k = kinesis(&moto.url);
    let s3c = s3(&moto.url);
    create_stream(&k, "xg-out").await;
    setup_registry(&s3c).await;
    let proxy = Proxy::start(moto.addr);
    let retry = RetryPolicy {
        max_attempts: 4,
        base_delay: Duration::from_millis(1),
        max_delay: Duration::from_millis(10),
    };
    let mut h = handler(&moto.url, &proxy.url, retry).await;
    let goods: Vec<(Vec<u8>, serde_json::Value)> = (0..30)
        .map(|i| {
            let id = format!("shot-{i}");
            let data = format!(
                r#"{{"shot": {{"x_m": {}, "y_m": 34}}, "shot_id": "{id}"}}"#,
                80 + i % 20
            );
            (data.into_bytes(), serde_json::json!(id))
        })
        .collect();
    let data: Vec<Vec<u8>> = goods.iter().map(|(d, _)| d.clone()).collect();

    // 1. Every third entry refused on the first two calls: all delivered after retries.
    proxy.arm(Fault::FailEveryNth(3), 2);
    let response = h.handle_records(&records_in(&data, 1)).await.unwrap();
    assert!(response.batch_item_failures.is_empty(), "{response:?}");
    let (calls, refused) = proxy.stats();
    assert!(
        calls >= 2 && refused > 0,
        "the fault was injected: {calls} calls, {refused} refused"
    );
    let out = read_all(&k, "xg-out").await;
    let ids: std::collections::BTreeSet<String> = out.iter().map(|(key, _)| key.clone()).collect();
    assert_eq!(out.len(), 30, "each record exactly once");
    assert_eq!(ids.len(), 30);

    // 2. Throttled throughout: nothing written, every record reported, none claimed written.
    proxy.arm(Fault::Throttle, 1000);
    let response = h
        .handle_records(&records_in(&data[..5], 100))
        .await
        .unwrap();
    let failed: Vec<String> = response
        .batch_item_failures
        .iter()
        .map(|f| f.item_identifier.clone().unwrap())
        .collect();
    assert_eq!(failed, vec!["100", "101", "102", "103", "104"]);
    assert_eq!(read_all(&k, "xg-out").await.len(), 30);

    // 3. Half refused on every call: what was written is not reported, what was not is.
    proxy.arm(Fault::FailEveryNth(2), 1000);
    let response = h
        .handle_records(&records_in(&data[..6], 200))
        .await
        .unwrap();
    let out = read_all(&k, "xg-out").await;
    let written: Vec<String> = out[30..].iter().map(|(key, _)| key.clone()).collect();
    let failed: Vec<String> = response
        .batch_item_failures
        .iter()
        .map(|f| f.item_identifier.clone().unwrap())
        .collect();
    assert!(!failed.is_empty() && !written.is_empty());
    assert_eq!(
        written.len() + failed.len(),
        6,
        "every record written or reported"
    );
    for seq in &failed {
        let i: usize = seq.parse::<usize>().unwrap() - 200;
        assert!(
            !written.contains(&format!("shot-{i}")),
            "record {i} both written and failed"
        );
    }
}
