//! `trainer::ingest` against a real HTTP/1.1 server on 127.0.0.1 (a tiny one in this file:
//! serves one payload, honours `Range: bytes=N-`, can drop the first connection mid-body or
//! answer every request with an error status) and against the shared Wyscout data.

use sha2::{Digest, Sha256};
use std::io::{BufRead, BufReader, Write};
use std::net::{TcpListener, TcpStream};
use std::path::Path;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};
use trainer::ingest::{self, IngestConfig, Source};

/// A query string like a presigned URL's: it must never show up in a message.
const SECRET_QUERY: &str = "X-Amz-Signature=topsecret0123&X-Amz-Expires=60";
/// The server thread stops after this many connections.
const MAX_CONNECTIONS: usize = 16;

#[derive(Clone, Default)]
struct Spec {
    payload: Vec<u8>,
    /// Answer requests with this status and an empty body: the first `status_count` of them,
    /// or all when that is 0.
    status: Option<u16>,
    status_count: usize,
    /// In the first `drop_count` requests, close the connection after this many body bytes.
    drop_after: Option<usize>,
    drop_count: usize,
    /// Answer range requests with 200 and the whole payload.
    ignore_range: bool,
}

#[derive(Clone, Debug)]
struct Seen {
    target: String,
    range: Option<String>,
}

struct Server {
    base: String,
    seen: Arc<Mutex<Vec<Seen>>>,
}

impl Server {
    fn start(spec: Spec) -> Server {
        let listener = TcpListener::bind("127.0.0.1:0").unwrap();
        let base = format!("http://{}", listener.local_addr().unwrap());
        let seen = Arc::new(Mutex::new(Vec::new()));
        let log = Arc::clone(&seen);
        std::thread::spawn(move || {
            for (i, stream) in listener.incoming().take(MAX_CONNECTIONS).enumerate() {
                if let Ok(stream) = stream {
                    let _ = respond(stream, &spec, i, &log);
                }
            }
        });
        Server { base, seen }
    }

    /// The URL of a file on this server, with a presigned-looking query string.
    fn url(&self, file: &str) -> String {
        format!("{}/bucket/{file}?{SECRET_QUERY}", self.base)
    }

    fn seen(&self) -> Vec<Seen> {
        self.seen.lock().unwrap().clone()
    }
}

fn respond(
    stream: TcpStream,
    spec: &Spec,
    index: usize,
    log: &Mutex<Vec<Seen>>,
) -> std::io::Result<()> {
    stream.set_read_timeout(Some(Duration::from_secs(5)))?;
    let mut reader = BufReader::new(stream.try_clone()?);
    let mut out = stream;
    let mut request_line = String::new();
    reader.read_line(&mut request_line)?;
    let target = request_line
        .split_whitespace()
        .nth(1)
        .unwrap_or("")
        .to_owned();
    let mut range = None;
    loop {
        let mut line = String::new();
        if reader.read_line(&mut line)? == 0 || line.trim_end().is_empty() {
            break;
        }
        if let Some((key, value)) = line.split_once(':') {
            if key.trim().eq_ignore_ascii_case("range") {
                range = Some(value.trim().to_owned());
            }
        }
    }
    log.lock().unwrap().push(Seen {
        target,
        range: range.clone(),
    });

    if let Some(code) = spec
        .status
        .filter(|_| spec.status_count == 0 || index < spec.status_count)
    {
        let head =
            format!("HTTP/1.1 {code} Nope\r\nContent-Length: 0\r\nConnection: close\r\n\r\n");
        return out.write_all(head.as_bytes());
    }
    let len = spec.payload.len();
    let start = range.filter(|_| !spec.ignore_range).and_then(|r| {
        r.strip_prefix("bytes=")?
            .strip_suffix('-')?
            .parse::<usize>()
            .ok()
    });
    let (head, body) = match start {
        Some(start) if start >= len => (
            format!(
                "HTTP/1.1 416 Range Not Satisfiable\r\nContent-Range: bytes */{len}\r\n\
                 Content-Length: 0\r\nConnection: close\r\n\r\n"
            ),
            &[][..],
        ),
        Some(start) => (
            format!(
                "HTTP/1.1 206 Partial Content\r\nContent-Range: bytes {start}-{}/{len}\r\n\
                 Content-Length: {}\r\nConnection: close\r\n\r\n",
                len - 1,
                len - start
            ),
            &spec.payload[start..],
        ),
        None => (
            format!("HTTP/1.1 200 OK\r\nContent-Length: {len}\r\nConnection: close\r\n\r\n"),
            &spec.payload[..],
        ),
    };
    out.write_all(head.as_bytes())?;
    let body = match spec.drop_after {
        Some(k) if index < spec.drop_count => &body[..k.min(body.len())],
        _ => body,
    };
    out.write_all(body)?;
    out.flush()
    // Returning closes the connection; after a drop the client sees it short of Content-Length.
}

/// Deterministic, incompressible-looking bytes.
fn payload(len: usize) -> Vec<u8> {
    let mut x: u64 = 0x9E37_79B9_7F4A_7C15;
    (0..len)
        .map(|_| {
            x ^= x << 13;
            x ^= x >> 7;
            x ^= x << 17;
            (x >> 24) as u8
        })
        .collect()
}

fn sha256_hex(bytes: &[u8]) -> String {
    format!("{:x}", Sha256::digest(bytes))
}

fn config(cache_dir: &Path, name: &str, location: String, sha256: Option<String>) -> IngestConfig {
    IngestConfig {
        cache_dir: cache_dir.to_owned(),
        sources: vec![Source {
            name: name.to_owned(),
            location,
            sha256,
        }],
    }
}

/// The full error chain, as `trainer` prints it.
fn error_text(result: anyhow::Result<Vec<ingest::Fetched>>) -> String {
    let message = format!("{:#}", result.expect_err("expected an error"));
    eprintln!("error: {message}");
    message
}

fn assert_redacted(message: &str) {
    assert!(
        !message.contains("topsecret"),
        "query string leaked: {message}"
    );
    assert!(!message.contains("X-Amz"), "query string leaked: {message}");
}

const PAYLOAD_LEN: usize = 300_000;

#[test]
fn download_verifies_the_pin_and_the_next_run_uses_the_cache() {
    let data = payload(PAYLOAD_LEN);
    let server = Server::start(Spec {
        payload: data.clone(),
        ..Spec::default()
    });
    let tmp = tempfile::tempdir().unwrap();
    let cache = tmp.path().join("cache");
    let cfg = config(
        &cache,
        "World_Cup",
        server.url("events_World_Cup.json.gz"),
        Some(sha256_hex(&data)),
    );

    let fetched = ingest::ingest(&cfg, false).unwrap();
    assert_eq!(fetched.len(), 1);
    let f = &fetched[0];
    assert_eq!(f.name, "World_Cup");
    assert_eq!(f.path, cache.join("World_Cup.json.gz"));
    assert_eq!(f.sha256, sha256_hex(&data));
    assert_eq!(f.bytes, PAYLOAD_LEN as u64);
    assert!(!f.from_cache);
    assert_eq!(std::fs::read(&f.path).unwrap(), data);
    assert!(!cache.join("World_Cup.json.gz.part").exists());
    let seen = server.seen();
    assert_eq!(seen.len(), 1);
    assert_eq!(
        seen[0].target,
        format!("/bucket/events_World_Cup.json.gz?{SECRET_QUERY}")
    );
    assert_eq!(seen[0].range, None);

    let again = ingest::ingest(&cfg, true).unwrap();
    assert!(again[0].from_cache);
    assert_eq!(again[0].sha256, f.sha256);
    assert_eq!(
        server.seen().len(),
        1,
        "a verified cached file needs no request"
    );
}

#[test]
fn a_dropped_connection_resumes_with_a_range_request() {
    let data = payload(PAYLOAD_LEN);
    let server = Server::start(Spec {
        payload: data.clone(),
        drop_after: Some(100_000),
        drop_count: 1,
        ..Spec::default()
    });
    let tmp = tempfile::tempdir().unwrap();
    let cfg = config(
        tmp.path(),
        "Spain",
        server.url("events_Spain.json.gz"),
        Some(sha256_hex(&data)),
    );

    let fetched = ingest::ingest(&cfg, false).unwrap();
    assert_eq!(std::fs::read(&fetched[0].path).unwrap(), data);
    assert!(!fetched[0].from_cache);
    let seen = server.seen();
    assert_eq!(seen.len(), 2, "{seen:?}");
    assert_eq!(seen[0].range, None);
    assert_eq!(seen[1].range.as_deref(), Some("bytes=100000-"));
}

#[test]
fn a_503_is_retried() {
    let data = payload(PAYLOAD_LEN);
    let server = Server::start(Spec {
        payload: data.clone(),
        status: Some(503),
        status_count: 2,
        ..Spec::default()
    });
    let tmp = tempfile::tempdir().unwrap();
    let cfg = config(
        tmp.path(),
        "Spain",
        server.url("events_Spain.json.gz"),
        Some(sha256_hex(&data)),
    );

    let fetched = ingest::ingest(&cfg, false).unwrap();
    assert_eq!(std::fs::read(&fetched[0].path).unwrap(), data);
    assert_eq!(server.seen().len(), 3);
}

#[test]
fn drops_with_progress_go_on_and_drops_without_it_give_up_keeping_the_part() {
    // Every request delivers 1,000 bytes and drops: ten attempts, more than the limit of
    // failures in a row, but each makes progress, so the download completes.
    let small = payload(10_000);
    let server = Server::start(Spec {
        payload: small.clone(),
        drop_after: Some(1_000),
        drop_count: usize::MAX,
        ..Spec::default()
    });
    let tmp = tempfile::tempdir().unwrap();
    let cfg = config(
        tmp.path(),
        "Spain",
        server.url("events_Spain.json.gz"),
        Some(sha256_hex(&small)),
    );
    let fetched = ingest::ingest(&cfg, false).unwrap();
    assert_eq!(std::fs::read(&fetched[0].path).unwrap(), small);
    assert_eq!(server.seen().len(), 10);

    let data = payload(PAYLOAD_LEN);
    // With no progress at all, it gives up after a bounded number of attempts.
    let stuck = Server::start(Spec {
        payload: data.clone(),
        drop_after: Some(0),
        drop_count: usize::MAX,
        ..Spec::default()
    });
    let tmp = tempfile::tempdir().unwrap();
    std::fs::write(tmp.path().join("Spain.json.gz.part"), &data[..10_000]).unwrap();
    let cfg = config(
        tmp.path(),
        "Spain",
        stuck.url("events_Spain.json.gz"),
        Some(sha256_hex(&data)),
    );
    let t0 = Instant::now();
    let message = error_text(ingest::ingest(&cfg, false));
    assert!(
        t0.elapsed() < Duration::from_secs(30),
        "took {:?}",
        t0.elapsed()
    );
    assert!(message.contains("times in a row"), "{message}");
    assert_redacted(&message);
    assert_eq!(stuck.seen().len(), 5);
    assert!(stuck
        .seen()
        .iter()
        .all(|s| s.range.as_deref() == Some("bytes=10000-")));
    let kept = std::fs::read(tmp.path().join("Spain.json.gz.part")).unwrap();
    assert_eq!(
        kept,
        &data[..10_000],
        "the partial download stays for the next run"
    );
}

#[test]
fn an_existing_part_file_is_resumed() {
    let data = payload(PAYLOAD_LEN);
    let server = Server::start(Spec {
        payload: data.clone(),
        ..Spec::default()
    });
    let tmp = tempfile::tempdir().unwrap();
    std::fs::write(tmp.path().join("Italy.json.part"), &data[..123_456]).unwrap();
    let cfg = config(
        tmp.path(),
        "Italy",
        server.url("events_Italy.json"),
        Some(sha256_hex(&data)),
    );

    let fetched = ingest::ingest(&cfg, false).unwrap();
    assert_eq!(fetched[0].path, tmp.path().join("Italy.json"));
    assert_eq!(std::fs::read(&fetched[0].path).unwrap(), data);
    assert!(!tmp.path().join("Italy.json.part").exists());
    let seen = server.seen();
    assert_eq!(seen.len(), 1);
    assert_eq!(seen[0].range.as_deref(), Some("bytes=123456-"));
}

#[test]
fn a_complete_part_file_answered_with_416_is_verified_and_kept() {
    let data = payload(PAYLOAD_LEN);
    let server = Server::start(Spec {
        payload: data.clone(),
        ..Spec::default()
    });
    let tmp = tempfile::tempdir().unwrap();
    std::fs::write(tmp.path().join("Germany.json.gz.part"), &data).unwrap();
    let cfg = config(
        tmp.path(),
        "Germany",
        server.url("events_Germany.json.gz"),
        Some(sha256_hex(&data)),
    );

    let fetched = ingest::ingest(&cfg, false).unwrap();
    assert_eq!(std::fs::read(&fetched[0].path).unwrap(), data);
    let seen = server.seen();
    assert_eq!(seen.len(), 1);
    assert_eq!(
        seen[0].range.as_deref(),
        Some(format!("bytes={PAYLOAD_LEN}-").as_str())
    );
}

#[test]
fn a_server_that_ignores_the_range_restarts_the_file() {
    let data = payload(PAYLOAD_LEN);
    let server = Server::start(Spec {
        payload: data.clone(),
        ignore_range: true,
        ..Spec::default()
    });
    let tmp = tempfile::tempdir().unwrap();
    // A stale part that is not even a prefix of the payload.
    std::fs::write(tmp.path().join("France.json.gz.part"), vec![0xAB; 5_000]).unwrap();
    let cfg = config(
        tmp.path(),
        "France",
        server.url("events_France.json.gz"),
        Some(sha256_hex(&data)),
    );

    let fetched = ingest::ingest(&cfg, false).unwrap();
    assert_eq!(std::fs::read(&fetched[0].path).unwrap(), data);
    assert_eq!(server.seen()[0].range.as_deref(), Some("bytes=5000-"));
}

#[test]
fn without_a_pin_an_existing_download_is_reused() {
    let server = Server::start(Spec {
        payload: payload(1_000),
        ..Spec::default()
    });
    let tmp = tempfile::tempdir().unwrap();
    std::fs::write(tmp.path().join("Euro.json"), b"[]").unwrap();
    let cfg = config(tmp.path(), "Euro", server.url("events_Euro.json"), None);

    let fetched = ingest::ingest(&cfg, false).unwrap();
    assert!(fetched[0].from_cache);
    assert_eq!(fetched[0].bytes, 2);
    assert_eq!(fetched[0].sha256, sha256_hex(b"[]"));
    assert!(server.seen().is_empty());
}

#[test]
fn a_cached_file_that_fails_its_pin_is_downloaded_again() {
    let data = payload(PAYLOAD_LEN);
    let server = Server::start(Spec {
        payload: data.clone(),
        ..Spec::default()
    });
    let tmp = tempfile::tempdir().unwrap();
    std::fs::write(tmp.path().join("Euro.json.gz"), b"corrupt").unwrap();
    let cfg = config(
        tmp.path(),
        "Euro",
        server.url("events_Euro.json.gz"),
        Some(sha256_hex(&data)),
    );

    let fetched = ingest::ingest(&cfg, false).unwrap();
    assert!(!fetched[0].from_cache);
    assert_eq!(std::fs::read(&fetched[0].path).unwrap(), data);
    assert_eq!(server.seen().len(), 1);
}

#[test]
fn a_pin_mismatch_names_both_hashes_and_removes_the_download() {
    let data = payload(PAYLOAD_LEN);
    let server = Server::start(Spec {
        payload: data.clone(),
        ..Spec::default()
    });
    let tmp = tempfile::tempdir().unwrap();
    let wrong = sha256_hex(b"something else");
    let url = server.url("events_Spain.json.gz");
    let cfg = config(tmp.path(), "Spain", url, Some(wrong.clone()));

    let message = error_text(ingest::ingest(&cfg, false));
    assert!(message.contains(&wrong), "{message}");
    assert!(message.contains(&sha256_hex(&data)), "{message}");
    assert!(
        message.contains(&format!("{}/bucket/events_Spain.json.gz", server.base)),
        "{message}"
    );
    assert!(message.contains("Spain"), "{message}");
    assert_redacted(&message);
    assert!(!tmp.path().join("Spain.json.gz").exists());
    assert!(!tmp.path().join("Spain.json.gz.part").exists());
}

#[test]
fn http_404_and_403_name_the_status_and_the_redacted_url() {
    for (code, word) in [(404, "404"), (403, "403")] {
        let server = Server::start(Spec {
            status: Some(code),
            ..Spec::default()
        });
        let tmp = tempfile::tempdir().unwrap();
        let cfg = config(
            tmp.path(),
            "World_Cup",
            server.url("events_World_Cup.json.gz"),
            None,
        );

        let message = error_text(ingest::ingest(&cfg, false));
        assert!(message.contains(word), "{message}");
        assert!(
            message.contains(&format!(
                "{}/bucket/events_World_Cup.json.gz?<redacted>",
                server.base
            )),
            "{message}"
        );
        assert_redacted(&message);
        assert_eq!(server.seen().len(), 1, "a 4xx is not retried");
        assert!(!tmp.path().join("World_Cup.json.gz").exists());
    }
}

#[test]
fn an_unreachable_port_fails_quickly_naming_the_url() {
    let port = {
        let listener = TcpListener::bind("127.0.0.1:0").unwrap();
        listener.local_addr().unwrap().port()
    }; // closed again: nothing listens there now
    let tmp = tempfile::tempdir().unwrap();
    let url = format!("http://127.0.0.1:{port}/events_Italy.json.gz?{SECRET_QUERY}");
    let cfg = config(tmp.path(), "Italy", url, None);

    let t0 = Instant::now();
    let message = error_text(ingest::ingest(&cfg, false));
    assert!(
        t0.elapsed() < Duration::from_secs(10),
        "took {:?}",
        t0.elapsed()
    );
    assert!(
        message.contains(&format!(
            "http://127.0.0.1:{port}/events_Italy.json.gz?<redacted>"
        )),
        "{message}"
    );
    assert_redacted(&message);
}

#[test]
fn a_local_file_with_the_wrong_pin_is_an_error() {
    let tmp = tempfile::tempdir().unwrap();
    let path = tmp.path().join("events_Local.json");
    std::fs::write(&path, b"[1, 2, 3]").unwrap();
    let wrong = sha256_hex(b"[]");
    let cfg = config(
        &tmp.path().join("cache"),
        "Local",
        path.display().to_string(),
        Some(wrong.clone()),
    );

    let message = error_text(ingest::ingest(&cfg, false));
    assert!(message.contains(&wrong), "{message}");
    assert!(message.contains(&sha256_hex(b"[1, 2, 3]")), "{message}");
    assert!(message.contains(&path.display().to_string()), "{message}");
    assert!(path.exists(), "a local source is never deleted");

    // The right pin, in capitals: accepted, read in place, nothing copied.
    let cfg = config(
        &tmp.path().join("cache"),
        "Local",
        path.display().to_string(),
        Some(sha256_hex(b"[1, 2, 3]").to_uppercase()),
    );
    let fetched = ingest::ingest(&cfg, false).unwrap();
    assert_eq!(fetched[0].path, path);
    assert_eq!(fetched[0].bytes, 9);
    assert!(!fetched[0].from_cache);
    assert!(!tmp.path().join("cache").exists());
}

#[test]
fn a_missing_local_file_names_the_source_and_the_path() {
    let tmp = tempfile::tempdir().unwrap();
    let path = tmp.path().join("nowhere/events_Gone.json.gz");
    let cfg = config(tmp.path(), "Gone", path.display().to_string(), None);

    let message = error_text(ingest::ingest(&cfg, false));
    assert!(message.contains("Gone"), "{message}");
    assert!(message.contains(&path.display().to_string()), "{message}");
}

fn write_config(dir: &Path, text: &str) -> std::path::PathBuf {
    let path = dir.join("ingest.toml");
    std::fs::write(&path, text).unwrap();
    path
}

/// The error for a config file holding `text`, which must name the file.
fn config_error(text: &str) -> String {
    let tmp = tempfile::tempdir().unwrap();
    let path = write_config(tmp.path(), text);
    let message = format!(
        "{:#}",
        ingest::load_config(&path).expect_err("expected an error")
    );
    eprintln!("error: {message}");
    assert!(message.contains(&path.display().to_string()), "{message}");
    message
}

#[test]
fn config_errors_name_the_file_and_the_problem() {
    let message = config_error("sources = [\n");
    assert!(message.contains("line"), "{message}");

    let message =
        config_error("[[sources]]\nname = \"A\"\nlocation = \"a.json\"\nsha265 = \"00\"\n");
    assert!(message.contains("sha265"), "{message}");
    assert!(message.contains("line 4"), "{message}");

    let message =
        config_error("cache_dirr = \"x\"\n[[sources]]\nname = \"A\"\nlocation = \"a.json\"\n");
    assert!(message.contains("cache_dirr"), "{message}");

    let message = config_error(
        "[[sources]]\nname = \"A\"\nlocation = \"a.json\"\n\n[[sources]]\nname = \"A\"\nlocation = \"b.json\"\n",
    );
    assert!(message.contains("duplicate"), "{message}");
    assert!(message.contains("\"A\""), "{message}");

    let message = config_error("[[sources]]\nname = \"A\"\n");
    assert!(message.contains("location"), "{message}");

    let message =
        config_error("[[sources]]\nname = \"A\"\nlocation = \"a.json\"\nsha256 = \"abc\"\n");
    assert!(message.contains("64 hex digits"), "{message}");

    let message = config_error("[[sources]]\nname = \"../A\"\nlocation = \"a.json\"\n");
    assert!(message.contains("../A"), "{message}");

    let message = config_error(&format!(
        "[[sources]]\nname = \"A\"\nlocation = \"https://h/events.csv?{SECRET_QUERY}\"\n"
    ));
    assert!(message.contains(".json.gz"), "{message}");
    assert_redacted(&message);

    let message = config_error("sources = []\n");
    assert!(message.contains("no sources"), "{message}");

    let missing = Path::new("/nonexistent/ingest.toml");
    let message = format!("{:#}", ingest::load_config(missing).unwrap_err());
    assert!(message.contains("/nonexistent/ingest.toml"), "{message}");
}

#[test]
fn config_paths_resolve_against_the_config_folder() {
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path().join("conf");
    std::fs::create_dir(&dir).unwrap();
    std::fs::create_dir(tmp.path().join("data")).unwrap();
    std::fs::write(tmp.path().join("data/events_X.json"), b"[]").unwrap();
    let path = write_config(
        &dir,
        "cache_dir = \"../downloads\"\n\n[[sources]]\nname = \"X\"\nlocation = \"../data/events_X.json\"\n\
         sha256 = \"4f53cda18c2baa0c0354bb5f9a3ecbe5ed12ab4d8e11ba873c2f11161202b945\"\n\n\
         [[sources]]\nname = \"Y\"\nlocation = \"https://example.invalid/events_Y.json.gz?sig=1\"\n",
    );

    let cfg = ingest::load_config(&path).unwrap();
    assert_eq!(cfg.cache_dir, dir.join("../downloads"));
    assert_eq!(
        Path::new(&cfg.sources[0].location),
        dir.join("../data/events_X.json")
    );
    assert_eq!(
        cfg.sources[1].location,
        "https://example.invalid/events_Y.json.gz?sig=1"
    );
    assert_eq!(cfg.sources[1].sha256, None);

    // Only the local source: it verifies from any current folder.
    let local_only = IngestConfig {
        sources: cfg.sources[..1].to_vec(),
        ..cfg.clone()
    };
    let fetched = ingest::ingest(&local_only, false).unwrap();
    assert_eq!(fetched[0].sha256, sha256_hex(b"[]"));

    // Without `cache_dir`: the default, under the current folder.
    let path = write_config(
        &dir,
        "[[sources]]\nname = \"X\"\nlocation = \"../data/events_X.json\"\n",
    );
    let cfg = ingest::load_config(&path).unwrap();
    assert_eq!(
        cfg.cache_dir,
        std::env::current_dir()
            .unwrap()
            .join(ingest::DEFAULT_CACHE_DIR)
    );
}

#[test]
fn a_url_config_downloads_end_to_end() {
    let data = payload(50_000);
    let server = Server::start(Spec {
        payload: data.clone(),
        ..Spec::default()
    });
    let tmp = tempfile::tempdir().unwrap();
    let path = write_config(
        tmp.path(),
        &format!(
            "cache_dir = \"dl\"\n[[sources]]\nname = \"World_Cup\"\nlocation = \"{}\"\nsha256 = \"{}\"\n",
            server.url("events_World_Cup.json.gz"),
            sha256_hex(&data)
        ),
    );
    let fetched = ingest::ingest(&ingest::load_config(&path).unwrap(), false).unwrap();
    assert_eq!(fetched[0].path, tmp.path().join("dl/World_Cup.json.gz"));
    assert_eq!(std::fs::read(&fetched[0].path).unwrap(), data);
}

#[test]
fn the_default_config_verifies_the_shared_wyscout_data() {
    let path = ingest::default_config_path();
    let cfg = ingest::load_config(&path).unwrap();
    let names: Vec<&str> = cfg.sources.iter().map(|s| s.name.as_str()).collect();
    assert_eq!(
        names,
        [
            "World_Cup",
            "European_Championship",
            "France",
            "Germany",
            "Italy",
            "Spain"
        ]
    );
    assert!(
        cfg.sources.iter().all(|s| s.sha256.is_some()),
        "every default source is pinned"
    );

    let fetched = ingest::ingest(&cfg, false).unwrap();
    assert_eq!(fetched.len(), 6);
    for (f, s) in fetched.iter().zip(&cfg.sources) {
        assert_eq!(Some(&f.sha256), s.sha256.as_ref());
        assert!(!f.from_cache);
        assert!(
            f.path
                .ends_with(format!("shared/data/wyscout/events_{}.json.gz", f.name)),
            "{f:?}"
        );
    }
    assert_eq!(fetched[0].bytes, 2_512_647);
    let total: u64 = fetched.iter().map(|f| f.bytes).sum();
    assert_eq!(
        total,
        2_512_647 + 1_925_950 + 15_498_352 + 12_745_565 + 15_875_279 + 15_414_867
    );
}
