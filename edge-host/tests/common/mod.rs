//! Shared by edge-host's integration tests: AWS clients for a moto server, stream and registry
//! helpers, real shots cut from the shared Wyscout data, and the records the tests send.

#![allow(dead_code)]

#[path = "../../../testdata/support/moto.rs"]
pub mod moto;
pub mod proxy;

use aws_sdk_kinesis::primitives::Blob;
use edge_host::handler::{Backend, Handler, HandlerConfig, RecordIn};
use edge_host::output::Source;
use edge_host::registry::{host_feature_set_id, sha256_hex, FetchedModel};
use edge_host::{HostConfig, ScorerEngine};
use scorer::model::Model;
use scorer::wyscout::{self, Event};
use scorer::Shot;
use std::io::Read;
use std::path::PathBuf;

pub const REGION: &str = "us-east-1";

pub fn sdk_config(endpoint: &str) -> aws_config::SdkConfig {
    aws_config::SdkConfig::builder()
        .behavior_version(aws_config::BehaviorVersion::latest())
        .region(aws_config::Region::new(REGION))
        .endpoint_url(endpoint)
        .credentials_provider(aws_sdk_kinesis::config::SharedCredentialsProvider::new(
            aws_sdk_kinesis::config::Credentials::new("test", "test", None, None, "test"),
        ))
        .retry_config(aws_config::retry::RetryConfig::standard().with_max_attempts(1))
        .build()
}

pub fn kinesis(endpoint: &str) -> aws_sdk_kinesis::Client {
    aws_sdk_kinesis::Client::new(&sdk_config(endpoint))
}

pub fn s3(endpoint: &str) -> aws_sdk_s3::Client {
    aws_sdk_s3::Client::from_conf(
        aws_sdk_s3::config::Builder::from(&sdk_config(endpoint))
            .force_path_style(true)
            .build(),
    )
}

/// Environment for an `edge-host` child process talking to `endpoint`.
pub fn child_env(endpoint: &str) -> Vec<(&'static str, String)> {
    vec![
        ("AWS_ENDPOINT_URL", endpoint.to_string()),
        ("AWS_REGION", REGION.to_string()),
        ("AWS_ACCESS_KEY_ID", "test".into()),
        ("AWS_SECRET_ACCESS_KEY", "test".into()),
        ("AWS_EC2_METADATA_DISABLED", "true".into()),
        ("AWS_CONFIG_FILE", "/dev/null".into()),
        ("AWS_SHARED_CREDENTIALS_FILE", "/dev/null".into()),
    ]
}

pub async fn create_stream(client: &aws_sdk_kinesis::Client, name: &str) {
    client
        .create_stream()
        .stream_name(name)
        .shard_count(1)
        .send()
        .await
        .unwrap_or_else(|e| {
            panic!(
                "creating stream {name}: {}",
                aws_sdk_kinesis::error::DisplayErrorContext(e)
            )
        });
}

pub async fn put(client: &aws_sdk_kinesis::Client, stream: &str, records: &[Vec<u8>]) {
    for (i, data) in records.iter().enumerate() {
        client
            .put_record()
            .stream_name(stream)
            .partition_key(format!("in-{i}"))
            .data(Blob::new(data.clone()))
            .send()
            .await
            .unwrap_or_else(|e| {
                panic!(
                    "put_record: {}",
                    aws_sdk_kinesis::error::DisplayErrorContext(e)
                )
            });
    }
}

/// Every record on a one-shard stream, from the start: (partition key, data).
pub async fn read_all(client: &aws_sdk_kinesis::Client, stream: &str) -> Vec<(String, Vec<u8>)> {
    let shards = client
        .list_shards()
        .stream_name(stream)
        .send()
        .await
        .unwrap();
    let mut out = Vec::new();
    for shard in shards.shards() {
        let mut it = client
            .get_shard_iterator()
            .stream_name(stream)
            .shard_id(shard.shard_id())
            .shard_iterator_type(aws_sdk_kinesis::types::ShardIteratorType::TrimHorizon)
            .send()
            .await
            .unwrap()
            .shard_iterator()
            .map(str::to_string);
        while let Some(iterator) = it {
            let page = client
                .get_records()
                .shard_iterator(iterator)
                .send()
                .await
                .unwrap();
            if page.records().is_empty() {
                break;
            }
            out.extend(page.records().iter().map(|r| {
                (
                    r.partition_key().unwrap_or_default().to_string(),
                    r.data().as_ref().to_vec(),
                )
            }));
            it = page.next_shard_iterator().map(str::to_string);
        }
    }
    out
}

pub async fn create_bucket(client: &aws_sdk_s3::Client, bucket: &str) {
    client
        .create_bucket()
        .bucket(bucket)
        .send()
        .await
        .unwrap_or_else(|e| {
            panic!(
                "creating bucket {bucket}: {}",
                aws_sdk_s3::error::DisplayErrorContext(e)
            )
        });
}

pub async fn put_object(client: &aws_sdk_s3::Client, bucket: &str, key: &str, bytes: Vec<u8>) {
    client
        .put_object()
        .bucket(bucket)
        .key(key)
        .body(bytes.into())
        .send()
        .await
        .unwrap_or_else(|e| panic!("put {key}: {}", aws_sdk_s3::error::DisplayErrorContext(e)));
}

/// The manifest the trainer would write for `model` (the fields the host reads).
pub fn manifest(version: &str, model: &[u8]) -> Vec<u8> {
    serde_json::to_vec_pretty(&serde_json::json!({
        "model_version": version,
        "model_file": "model.xgm",
        "model_sha256": sha256_hex(model),
        "feature_set_id": host_feature_set_id(),
    }))
    .unwrap()
}

/// Publishes a version under `prefix` in `bucket` (manifest last, like the trainer).
pub async fn publish(
    client: &aws_sdk_s3::Client,
    bucket: &str,
    prefix: &str,
    version: &str,
    model: &[u8],
    manifest: Vec<u8>,
) {
    put_object(
        client,
        bucket,
        &format!("{prefix}/versions/{version}/model.xgm"),
        model.to_vec(),
    )
    .await;
    put_object(
        client,
        bucket,
        &format!("{prefix}/versions/{version}/manifest.json"),
        manifest,
    )
    .await;
}

pub async fn promote(client: &aws_sdk_s3::Client, bucket: &str, prefix: &str, version: &str) {
    let alias = format!("{{\"version\": \"{version}\", \"promoted_at_unix_s\": 0, \"previous\": null, \"forced\": false}}");
    put_object(
        client,
        bucket,
        &format!("{prefix}/production.json"),
        alias.into_bytes(),
    )
    .await;
}

pub fn repo_path(rel: &str) -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("..")
        .join(rel)
}

/// The repo's fixed test model.
pub fn test_model_bytes() -> Vec<u8> {
    std::fs::read(repo_path("testdata/models/test-model.xgm")).unwrap()
}

/// Every World Cup event from the shared data (read in place), in file order.
pub fn world_cup_all() -> Vec<Event> {
    wyscout::parse_events(&world_cup_text()).unwrap()
}

/// The World Cup events file's text, decompressed.
fn world_cup_text() -> String {
    shared_text("wyscout/events_World_Cup.json.gz")
}

/// A gzipped file of `../shared/data` (read in place), decompressed.
fn shared_text(rel: &str) -> String {
    let path = repo_path("../shared/data").join(rel);
    let file = std::fs::File::open(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
    let mut text = String::new();
    flate2::read::GzDecoder::new(file)
        .read_to_string(&mut text)
        .unwrap();
    text
}

/// A real match from the shared data: its events, in file order.
pub fn world_cup_match(n_match: usize) -> Vec<Event> {
    let events = world_cup_all();
    let mut match_ids: Vec<u64> = events.iter().map(|e| e.match_id).collect();
    match_ids.dedup();
    let wanted = match_ids[n_match];
    events
        .into_iter()
        .filter(|e| e.match_id == wanted)
        .collect()
}

/// A good record for every shot of a match: `{"event": shot, "before": last 5 events}`, with
/// the shot as the scorer crate sees it natively.
pub fn wyscout_records(events: &[Event]) -> Vec<(Vec<u8>, Shot, u64)> {
    wyscout::shots(events)
        .filter_map(|(i, shot)| Some((i, shot.ok()?)))
        .map(|(i, shot)| {
            let before = &events[i.saturating_sub(5)..i];
            let record = serde_json::json!({"event": events[i], "before": before});
            (serde_json::to_vec(&record).unwrap(), shot, events[i].id)
        })
        .collect()
}

/// Every World Cup shot as a record in each record format, as producers send them.
pub struct WorldCupRecords {
    /// `{"event": …, "before": [5 events]}` with each event's own text from the dataset
    /// (every field, in the dataset's order).
    pub wrapped: Vec<Vec<u8>>,
    /// The shot event's own text alone (no context).
    pub bare: Vec<Vec<u8>>,
    /// The original system's distance/angle record.
    pub original: Vec<Vec<u8>>,
}

pub fn world_cup_records() -> WorldCupRecords {
    let text = world_cup_text();
    let events = wyscout::parse_events(&text).unwrap();
    let raw: Vec<&serde_json::value::RawValue> = serde_json::from_str(&text).unwrap();
    assert_eq!(raw.len(), events.len());
    let mut records = WorldCupRecords {
        wrapped: Vec::new(),
        bare: Vec::new(),
        original: Vec::new(),
    };
    for (i, shot) in wyscout::shots(&events) {
        let Ok(shot) = shot else { continue };
        records.bare.push(raw[i].get().as_bytes().to_vec());
        records.wrapped.push(wrapped_record("event", &raw, i, 5));
        let features = scorer::extract(&shot);
        records.original.push(
            serde_json::to_vec(&serde_json::json!({"shot": {
                "distance_to_goal": features[0], "angle_to_goal": features[1]},
                "shot_id": events[i].id}))
            .unwrap(),
        );
    }
    records
}

/// `{"<key>": raw[i], "before": [the `n_before` raw events before it]}`, each event's own text
/// as a producer forwards it.
fn wrapped_record(
    key: &str,
    raw: &[&serde_json::value::RawValue],
    i: usize,
    n_before: usize,
) -> Vec<u8> {
    let before: Vec<&str> = raw[i.saturating_sub(n_before)..i]
        .iter()
        .map(|r| r.get())
        .collect();
    format!(
        r#"{{"{key}":{},"before":[{}]}}"#,
        raw[i].get(),
        before.join(",")
    )
    .into_bytes()
}

/// `n` Lambda input records cycling through `records`, numbered in their sequence numbers and
/// partition keys.
pub fn record_batch(records: &[Vec<u8>], n: usize) -> Vec<RecordIn> {
    (0..n)
        .map(|i| RecordIn {
            data: records[i % records.len()].clone(),
            source: Source {
                sequence_number: i.to_string(),
                partition_key: i.to_string(),
                ..Source::default()
            },
        })
        .collect()
}

/// `records` packed into one KPL aggregate, each under its own partition key.
pub fn kpl_aggregate(records: &[RecordIn]) -> Vec<u8> {
    let users: Vec<edge_host::kpl::UserRecord> = records
        .iter()
        .map(|r| edge_host::kpl::UserRecord {
            partition_key: &r.source.partition_key,
            explicit_hash_key: None,
            data: &r.data,
        })
        .collect();
    edge_host::kpl::aggregate(&users)
}

/// The fixed test model as the registry would hand it to the handler.
pub fn test_fetched_model() -> FetchedModel {
    let bytes = test_model_bytes();
    FetchedModel {
        version: "test".into(),
        sha256: sha256_hex(&bytes),
        bytes,
        feature_set_id: host_feature_set_id(),
        reference: None,
    }
}

/// Handlers for `model` on the wasm scorer (default host settings) and on the native one.
pub fn wasm_and_native_handlers(model: FetchedModel) -> (Handler, Handler) {
    let engine = ScorerEngine::new(HostConfig::default()).unwrap();
    let wasm = Handler::new(
        Backend::wasm(&engine).unwrap(),
        model.clone(),
        HandlerConfig::in_memory(),
    )
    .unwrap();
    let native = Handler::new(Backend::Native(None), model, HandlerConfig::in_memory()).unwrap();
    (wasm, native)
}

/// Malformed, out-of-range and hostile records, with the dead-letter reason each must get.
pub fn bad_records() -> Vec<(Vec<u8>, &'static str)> {
    vec![
        (b"{\"shot\": {\"distance_to_goal\": 12".to_vec(), "bad_json"),
        (vec![0xff, 0x00, 0xfe, b'{'], "bad_json"),
        (b"[1, 2, 3]".to_vec(), "unknown_format"),
        (b"{\"hello\": \"world\"}".to_vec(), "unknown_format"),
        (br#"{"shot": {"x_m": 500, "y_m": 30}, "shot_id": 1}"#.to_vec(), "invalid_shot"),
        (br#"{"shot": {"distance_to_goal": 11, "angle_to_goal": 3.5}, "shot_id": 2}"#.to_vec(), "invalid_shot"),
        (br#"{"shot": {"x_m": 100, "y_m": 30}, "shot_id": 1.5}"#.to_vec(), "bad_shot_id"),
        (br#"{"shot": {"x_m": 100, "y_m": 30, "rm -rf": true}, "shot_id": 3}"#.to_vec(), "bad_field"),
        (format!("{}{}", "[".repeat(5000), "]".repeat(5000)).into_bytes(), "unknown_format"),
        (br#"{"eventId": 8, "id": 1, "matchId": 1, "teamId": 1, "subEventId": 85, "matchPeriod": "1H", "eventSec": 1.0, "positions": [{"x": 50, "y": 50}], "tags": []}"#.to_vec(), "not_a_shot"),
        (br#"{"id": "p", "index": 3, "period": 1, "timestamp": "00:01:02.500", "type": {"id": 30}, "team": {"id": 1}, "location": [60.0, 40.0]}"#.to_vec(), "not_a_shot"),
        (br#"{"statsbomb": {"id": "s", "index": 4, "period": 1, "timestamp": "25:99", "type": {"id": 16}, "team": {"id": 1}, "location": [108.0, 40.0], "shot": {"type": {"id": 87}}}}"#.to_vec(), "bad_field"),
    ]
}

/// The three StatsBomb matches of the shared data (read in place), decompressed.
const STATSBOMB_FILES: [&str; 3] = [
    "statsbomb_15986_event.json.gz",
    "statsbomb_3788741_event.json.gz",
    "statsbomb_event.json.gz",
];

fn statsbomb_text(file: &str) -> String {
    shared_text(&format!("statsbomb/{file}"))
}

/// A StatsBomb match from the shared data: its raw events, in file order.
pub fn statsbomb_match() -> Vec<serde_json::Value> {
    serde_json::from_str(&statsbomb_text(STATSBOMB_FILES[0])).unwrap()
}

/// Every shot of the three StatsBomb matches as producers would send it: (`{"statsbomb": …,
/// "before": [the 15 events before it]}` with each event's own text, the shot event alone).
/// StatsBomb records about three events (receipts, carries, pressures) for each of Wyscout's,
/// so 15 cover about what Wyscout's 5 do.
pub fn statsbomb_records() -> (Vec<Vec<u8>>, Vec<Vec<u8>>) {
    let (mut wrapped, mut bare) = (Vec::new(), Vec::new());
    for file in STATSBOMB_FILES {
        let text = statsbomb_text(file);
        let raw: Vec<&serde_json::value::RawValue> = serde_json::from_str(&text).unwrap();
        let events = scorer::statsbomb::parse_events(&text).unwrap();
        for (i, shot) in scorer::statsbomb::shots(&events) {
            shot.unwrap();
            wrapped.push(wrapped_record("statsbomb", &raw, i, 15));
            bare.push(raw[i].get().as_bytes().to_vec());
        }
    }
    (wrapped, bare)
}

/// Records in the original system's format, xgoals' own and StatsBomb's (a real match's first
/// three shots: wrapped with the 20 raw events before them, and bare), with their shots as
/// the scorer crate converts them natively.
pub fn other_format_records() -> Vec<(Vec<u8>, Shot, serde_json::Value)> {
    let mut out = Vec::new();
    let raw = statsbomb_match();
    let events: Vec<scorer::statsbomb::Event> = raw
        .iter()
        .map(|v| serde_json::from_value(v.clone()).unwrap())
        .collect();
    for (k, (i, whole)) in scorer::statsbomb::shots(&events).take(3).enumerate() {
        let id = raw[i]["id"].clone();
        let (record, shot) = if k < 2 {
            let before = &raw[i.saturating_sub(20)..i];
            let parsed_before = &events[i.saturating_sub(20)..i];
            let record = serde_json::json!({"statsbomb": raw[i], "before": before});
            let shot = scorer::statsbomb::to_shot(&events[i], parsed_before).unwrap();
            assert_eq!(Ok(shot), whole, "20 events are context enough");
            (record, shot)
        } else {
            (
                raw[i].clone(),
                scorer::statsbomb::to_shot(&events[i], &[]).unwrap(),
            )
        };
        out.push((serde_json::to_vec(&record).unwrap(), shot, id));
    }
    for (i, (d, a)) in [(11.0f32, 0.6f32), (16.5, 0.42), (25.0, 0.2), (6.0, 1.0)]
        .into_iter()
        .enumerate()
    {
        let id = serde_json::json!(9000 + i);
        let record =
            serde_json::json!({"shot": {"distance_to_goal": d, "angle_to_goal": a}, "shot_id": id});
        let shot = scorer::legacy::shot_from(d, a).unwrap();
        out.push((serde_json::to_vec(&record).unwrap(), shot, id));
    }
    let json = r#"{"x_m": 99.0, "y_m": 30.5, "body_part": "head_or_other", "after_cross": true}"#;
    let shot = scorer::json::shot_from_json(json).unwrap();
    let id = serde_json::json!("own-format-1");
    out.push((
        format!(r#"{{"shot": {json}, "shot_id": "own-format-1"}}"#).into_bytes(),
        shot,
        id,
    ));
    out
}

/// The native scorer's xG for a shot under `model` (what every host must reproduce).
pub fn native_xg(model: &[u8], shot: &Shot) -> f32 {
    Model::parse(model).unwrap().score(shot)
}

/// Parses a prediction record: (shot_id, xG, model version).
pub fn prediction(data: &[u8]) -> (serde_json::Value, f32, String) {
    let v: serde_json::Value = serde_json::from_slice(data).unwrap_or_else(|e| {
        panic!(
            "output is not JSON ({e}): {}",
            String::from_utf8_lossy(data)
        )
    });
    assert_eq!(v["model"], "xgoals_prediction_model", "{v}");
    let xg = v["prediction"]["shot_xgoals"].as_f64().unwrap() as f32;
    (
        v["prediction"]["shot_id"].clone(),
        xg,
        v["model_version"].as_str().unwrap().to_string(),
    )
}

/// Parses a dead letter: (reason code, original bytes).
pub fn dead_letter(data: &[u8]) -> (String, Vec<u8>) {
    let v: serde_json::Value = serde_json::from_slice(data).unwrap();
    let d = &v["dead_letter"];
    let b64 = d["data_base64"].as_str().unwrap();
    (
        d["reason_code"].as_str().unwrap().to_string(),
        base64_decode(b64),
    )
}

pub fn base64_decode(s: &str) -> Vec<u8> {
    aws_smithy_types::base64::decode(s).expect("dead letters carry valid base64")
}
