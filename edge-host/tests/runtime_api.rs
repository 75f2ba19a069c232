//! The real `lambda_runtime` loop of the `edge-host` binary, driven through a local Lambda
//! Runtime API endpoint served here (the three calls the runtime makes: `next`, `response`,
//! `error`), with Kinesis and S3 on moto: the exact process Lambda would start.

mod common;

use common::moto::Moto;
use common::proxy::{read_request, respond};
use common::*;
use std::collections::VecDeque;
use std::io::BufReader;
use std::net::TcpListener;
use std::process::{Child, Command, Stdio};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

const FUNCTION_ARN: &str = "arn:aws:lambda:us-east-1:000000000000:function:xgoals-edge";

/// What the function posted back: (path, body).
type Posted = Arc<Mutex<Vec<(String, Vec<u8>)>>>;

struct RuntimeApi {
    addr: String,
    events: Arc<Mutex<VecDeque<Vec<u8>>>>,
    posted: Posted,
}

impl RuntimeApi {
    fn start() -> RuntimeApi {
        let listener = TcpListener::bind("127.0.0.1:0").unwrap();
        let addr = listener.local_addr().unwrap().to_string();
        let events: Arc<Mutex<VecDeque<Vec<u8>>>> = Default::default();
        let posted: Posted = Default::default();
        let (ev, po) = (events.clone(), posted.clone());
        std::thread::spawn(move || {
            let mut n_request = 0u32;
            for conn in listener.incoming() {
                let Ok(conn) = conn else { continue };
                let mut writer = conn.try_clone().unwrap();
                let mut reader = BufReader::new(conn);
                while let Ok(Some(req)) = read_request(&mut reader) {
                    let path = req.start_line.split(' ').nth(1).unwrap_or("").to_string();
                    if path.ends_with("/runtime/invocation/next") {
                        // Long-poll like the real API: wait for an event.
                        let event = loop {
                            if let Some(e) = ev.lock().unwrap().pop_front() {
                                break e;
                            }
                            std::thread::sleep(Duration::from_millis(20));
                        };
                        n_request += 1;
                        let deadline = std::time::SystemTime::now()
                            .duration_since(std::time::UNIX_EPOCH)
                            .unwrap()
                            .as_millis()
                            + 60_000;
                        let headers = [
                            ("Content-Type", "application/json".to_string()),
                            ("Lambda-Runtime-Aws-Request-Id", format!("req-{n_request}")),
                            ("Lambda-Runtime-Deadline-Ms", deadline.to_string()),
                            (
                                "Lambda-Runtime-Invoked-Function-Arn",
                                FUNCTION_ARN.to_string(),
                            ),
                            (
                                "Lambda-Runtime-Trace-Id",
                                "Root=1-00000000-000000000000000000000000".to_string(),
                            ),
                        ]
                        .map(|(k, v)| (k.to_string(), v));
                        let _ = respond(&mut writer, "HTTP/1.1 200 OK", &headers, &event);
                    } else {
                        po.lock().unwrap().push((path, req.body));
                        let _ = respond(
                            &mut writer,
                            "HTTP/1.1 202 Accepted",
                            &[("Content-Type".into(), "application/json".into())],
                            b"{\"status\":\"OK\"}",
                        );
                    }
                }
            }
        });
        RuntimeApi {
            addr,
            events,
            posted,
        }
    }

    fn wait_posted(&self, n: usize, child: &mut Child) -> Vec<(String, Vec<u8>)> {
        let deadline = Instant::now() + Duration::from_secs(120);
        loop {
            let posted = self.posted.lock().unwrap().clone();
            if posted.len() >= n {
                return posted;
            }
            if let Some(status) = child.try_wait().unwrap() {
                panic!("the function exited with {status} before answering");
            }
            assert!(
                Instant::now() < deadline,
                "no answer from the function within 120 s"
            );
            std::thread::sleep(Duration::from_millis(50));
        }
    }
}

fn lambda_process(moto: &Moto, api: &str) -> Command {
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_edge-host"));
    cmd.envs(child_env(&moto.url))
        .env("AWS_LAMBDA_RUNTIME_API", api)
        .env("AWS_LAMBDA_FUNCTION_NAME", "xgoals-edge")
        .env("AWS_LAMBDA_FUNCTION_MEMORY_SIZE", "512")
        .env("AWS_LAMBDA_FUNCTION_VERSION", "$LATEST")
        .env("AWS_LAMBDA_LOG_GROUP_NAME", "/aws/lambda/xgoals-edge")
        .env("AWS_LAMBDA_LOG_STREAM_NAME", "local")
        .env("XGOALS_REGISTRY", "s3://models/registry")
        .env("XGOALS_OUTPUT_STREAM", "xg-out")
        .env("XGOALS_DEAD_LETTER", "kinesis:xg-dead")
        .stdin(Stdio::null());
    cmd
}

#[tokio::test]
async fn the_lambda_runtime_loop_scores_a_kinesis_event() {
    let Some(moto) = Moto::start() else { return };
    let k = kinesis(&moto.url);
    let s3c = s3(&moto.url);
    create_stream(&k, "xg-out").await;
    create_stream(&k, "xg-dead").await;
    create_bucket(&s3c, "models").await;
    let model = test_model_bytes();
    publish(
        &s3c,
        "models",
        "registry",
        "v1",
        &model,
        manifest("v1", &model),
    )
    .await;
    promote(&s3c, "models", "registry", "v1").await;

    let api = RuntimeApi::start();
    let event = std::fs::read(repo_path("testdata/events/kinesis-mixed.json")).unwrap();
    api.events.lock().unwrap().push_back(event.clone());
    let log = tempfile::NamedTempFile::new().unwrap();
    let mut child = lambda_process(&moto, &api.addr)
        .stdout(log.reopen().unwrap())
        .stderr(Stdio::inherit())
        .spawn()
        .unwrap();
    let posted = api.wait_posted(1, &mut child);
    // Replay the same event: Lambda redelivers after a failure or a timeout.
    api.events.lock().unwrap().push_back(event);
    let posted_again = api.wait_posted(2, &mut child);
    let _ = child.kill();
    let _ = child.wait();

    assert_eq!(posted[0].0, "/2018-06-01/runtime/invocation/req-1/response");
    let response: serde_json::Value = serde_json::from_slice(&posted[0].1).unwrap();
    assert_eq!(response, serde_json::json!({"batchItemFailures": []}));
    assert_eq!(
        posted_again[1].0,
        "/2018-06-01/runtime/invocation/req-2/response"
    );

    let out = read_all(&k, "xg-out").await;
    let dead = read_all(&k, "xg-dead").await;
    // kinesis-mixed.json: 5 shots (Wyscout with and without context, xgoals, original,
    // StatsBomb with context) and 6 bad records, delivered twice.
    assert_eq!((out.len(), dead.len()), (10, 12));
    assert_eq!(
        out[..5],
        out[5..],
        "a replayed event gives identical records"
    );
    assert_eq!(dead[..6], dead[6..]);
    for (_, data) in &out[..5] {
        assert_eq!(prediction(data).2, "v1");
    }
    let logged = std::fs::read_to_string(log.path()).unwrap();
    assert!(logged.contains("edge-host ready"), "{logged}");
    let emf: Vec<serde_json::Value> = logged
        .lines()
        .filter_map(|l| serde_json::from_str::<serde_json::Value>(l).ok())
        .filter(|v| v.get("_aws").is_some())
        .collect();
    assert_eq!(emf.len(), 2, "one EMF line per invocation: {logged}");
    assert_eq!(emf[0]["FunctionName"], "xgoals-edge");
    assert_eq!(emf[0]["RecordsIn"], 11);
    assert_eq!(emf[0]["DeadLetters"], 6);
}

#[tokio::test]
async fn a_cold_start_without_a_loadable_model_fails_loudly() {
    let Some(moto) = Moto::start() else { return };
    create_bucket(&s3(&moto.url), "models").await;
    let api = RuntimeApi::start();
    let output = lambda_process(&moto, &api.addr).output().unwrap();
    assert!(!output.status.success());
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(
        stderr.contains("production.json") && stderr.contains("does not exist"),
        "{stderr}"
    );
    assert!(
        api.posted.lock().unwrap().is_empty(),
        "no invocation was answered"
    );
}
