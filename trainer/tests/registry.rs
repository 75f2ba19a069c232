//! Registry tests: one shared body run against a local folder and against S3 served by a real
//! moto server (started here as a child process), plus local-only and S3-only checks.
//!
//! moto is found via `XGOALS_MOTO_SERVER` (path to `moto_server`), else `moto_server` on PATH,
//! else `$HOME/.cache/xgoals/venv/bin/moto_server`. Without it the S3 tests print a skip notice,
//! unless `XGOALS_REQUIRE_EMULATORS=1`, which turns a missing moto into a failure.

#[path = "../../testdata/support/moto.rs"]
mod moto;

use moto::{free_port, Moto};
use std::path::PathBuf;
use std::process::Command;
use std::time::{Duration, Instant};

use trainer::registry::{LocalStore, Registry, S3Endpoint, S3Store, Store};

type OpenStore<'a> = &'a dyn Fn() -> Box<dyn Store>;

fn manifest(version: &str) -> Vec<u8> {
    format!("{{\"version\":\"{version}\"}}\n").into_bytes()
}

fn files<'a>(version: &str, model: &'a str) -> Vec<(&'a str, Vec<u8>)> {
    vec![
        ("model.xgm", model.as_bytes().to_vec()),
        ("report.md", b"# report\n".to_vec()),
        ("manifest.json", manifest(version)),
    ]
}

fn err_text<T: std::fmt::Debug>(result: anyhow::Result<T>) -> String {
    format!("{:#}", result.expect_err("expected an error"))
}

/// The behaviour every store must give. `open` returns a fresh handle on the same (initially
/// empty) location each call, so this also checks that what one handle wrote, another reads.
fn exercise_registry(open: OpenStore) {
    let registry = Registry::with_store(open());
    let location = registry.describe();
    assert_eq!(registry.versions().unwrap(), Vec::<String>::new());
    assert_eq!(registry.production().unwrap(), None);

    // Publish, list, read back through a second handle.
    assert!(registry.publish("v1", &files("v1", "model one")).unwrap());
    let reopened = Registry::with_store(open());
    assert_eq!(reopened.versions().unwrap(), vec!["v1"]);
    assert_eq!(reopened.file("v1", "model.xgm").unwrap(), b"model one");
    assert_eq!(
        reopened.file("v1", "manifest.json").unwrap(),
        manifest("v1")
    );
    assert_eq!(
        reopened.file_names("v1").unwrap(),
        vec!["manifest.json", "model.xgm", "report.md"]
    );

    // Immutability: identical is a no-op, anything different is refused naming version + file.
    assert!(!registry.publish("v1", &files("v1", "model one")).unwrap());
    let e = err_text(registry.publish("v1", &files("v1", "model TWO")));
    assert!(e.contains("v1") && e.contains("model.xgm"), "{e}");
    assert_eq!(registry.file("v1", "model.xgm").unwrap(), b"model one");
    let mut extra = files("v1", "model one");
    extra.push(("calibration.csv", b"x".to_vec()));
    let e = err_text(registry.publish("v1", &extra));
    assert!(e.contains("v1") && e.contains("calibration.csv"), "{e}");
    let fewer: Vec<_> = files("v1", "model one")
        .into_iter()
        .filter(|(n, _)| *n != "report.md")
        .collect();
    let e = err_text(registry.publish("v1", &fewer));
    assert!(e.contains("v1") && e.contains("report.md"), "{e}");

    // A publish without a manifest, or naming a file twice, is refused.
    let e = err_text(registry.publish("v9", &[("model.xgm", b"m".to_vec())]));
    assert!(e.contains("manifest.json"), "{e}");
    let mut twice = files("v9", "m");
    twice.push(("model.xgm", b"m".to_vec()));
    assert!(registry.publish("v9", &twice).is_err());

    // A half-written version (files but no manifest) is not listed, and can be completed.
    let store = open();
    store.put("versions/v0/model.xgm", b"partial").unwrap();
    assert_eq!(registry.versions().unwrap(), vec!["v1"]);
    let e = err_text(registry.file("v0", "model.xgm"));
    assert!(e.contains("v0") && e.contains(&location), "{e}");
    assert!(registry.publish("v0", &files("v0", "complete")).unwrap());
    assert_eq!(registry.file("v0", "model.xgm").unwrap(), b"complete");

    // Missing things are named.
    let e = err_text(registry.file("v404", "model.xgm"));
    assert!(e.contains("v404") && e.contains(&location), "{e}");
    let e = err_text(registry.file("v1", "missing.bin"));
    assert!(
        e.contains("v1") && e.contains("missing.bin") && e.contains(&location),
        "{e}"
    );

    // Production alias.
    let e = err_text(registry.set_production("v404", false));
    assert!(e.contains("v404") && e.contains(&location), "{e}");
    assert_eq!(registry.production().unwrap(), None);
    let first = registry.set_production("v1", false).unwrap();
    assert_eq!(first.version, "v1");
    assert_eq!(first.previous, None);
    assert!(!first.forced);
    assert!(first.promoted_at_unix_s > 1_600_000_000);
    assert_eq!(reopened.production().unwrap(), Some(first.clone()));
    assert!(registry.publish("v2", &files("v2", "model two")).unwrap());
    let second = registry.set_production("v2", true).unwrap();
    assert_eq!(second.previous.as_deref(), Some("v1"));
    assert!(second.forced);
    assert_eq!(reopened.production().unwrap(), Some(second));
    assert_eq!(registry.versions().unwrap(), vec!["v0", "v1", "v2"]);

    // Hostile names never reach the store.
    let long = "v".repeat(200);
    for bad in ["../x", "a/b", "", "..", ".", "a\\b", "/abs", long.as_str()] {
        assert!(registry.publish(bad, &files("x", "m")).is_err(), "{bad:?}");
        assert!(registry.file(bad, "model.xgm").is_err(), "{bad:?}");
        assert!(registry.set_production(bad, true).is_err(), "{bad:?}");
        if !bad.is_empty() {
            let hostile = vec![(bad, b"x".to_vec()), ("manifest.json", manifest("v3"))];
            assert!(registry.publish("v3", &hostile).is_err(), "{bad:?}");
            assert!(registry.file("v1", bad).is_err(), "{bad:?}");
        }
    }
    assert!(registry.file("v1", "").is_err());
    assert!(store.get("../escape").is_err());
    assert!(store.put("a/../../escape", b"x").is_err());
    assert!(store.put("/etc/escape", b"x").is_err());
    assert!(store.put("a\\b", b"x").is_err());
    assert_eq!(registry.versions().unwrap(), vec!["v0", "v1", "v2"]);

    // Store listing: sorted, filtered by prefix (not just by folder).
    assert_eq!(
        store.list("versions/v1/").unwrap(),
        vec![
            "versions/v1/manifest.json",
            "versions/v1/model.xgm",
            "versions/v1/report.md"
        ]
    );
    assert_eq!(store.list("versions/v1/m").unwrap().len(), 2);
    assert_eq!(store.list("production").unwrap(), vec!["production.json"]);
    assert!(store
        .list("")
        .unwrap()
        .contains(&"production.json".to_string()));
    assert_eq!(store.get("nothing/here").unwrap(), None);

    // A malformed alias is an error naming it; only a forced promotion overwrites it.
    store.put("production.json", b"{not json").unwrap();
    let e = err_text(registry.production());
    assert!(
        e.contains("production.json") && e.contains(&location),
        "{e}"
    );
    assert!(registry.set_production("v1", false).is_err());
    let repaired = registry.set_production("v1", true).unwrap();
    assert_eq!(repaired.previous, None);
    assert_eq!(registry.production().unwrap(), Some(repaired));

    // Conditional writes: only over the tag read, or onto nothing; else nothing is written.
    assert!(store.put_if("cas.json", b"one", None).unwrap());
    assert!(
        !store.put_if("cas.json", b"two", None).unwrap(),
        "the key exists"
    );
    let (bytes, tag) = store.get_tagged("cas.json").unwrap().unwrap();
    assert_eq!(bytes, b"one");
    assert!(store.put_if("cas.json", b"two", Some(&tag)).unwrap());
    assert!(
        !store.put_if("cas.json", b"three", Some(&tag)).unwrap(),
        "a stale tag"
    );
    assert_eq!(store.get("cas.json").unwrap().unwrap(), b"two");
    assert_ne!(store.get_tagged("cas.json").unwrap().unwrap().1, tag);
}

/// A store on which another promote lands between a promote's read of the alias and its
/// write, once (armed by `arm`).
struct Interleaved {
    inner: LocalStore,
    other: std::sync::Mutex<Option<Vec<u8>>>,
}

impl Store for Interleaved {
    fn get(&self, key: &str) -> anyhow::Result<Option<Vec<u8>>> {
        self.inner.get(key)
    }
    fn put(&self, key: &str, bytes: &[u8]) -> anyhow::Result<()> {
        self.inner.put(key, bytes)
    }
    fn get_tagged(&self, key: &str) -> anyhow::Result<Option<(Vec<u8>, String)>> {
        self.inner.get_tagged(key)
    }
    fn put_if(&self, key: &str, bytes: &[u8], expected: Option<&str>) -> anyhow::Result<bool> {
        if let Some(other) = self.other.lock().unwrap().take() {
            self.inner.put(key, &other)?;
        }
        self.inner.put_if(key, bytes, expected)
    }
    fn list(&self, prefix: &str) -> anyhow::Result<Vec<String>> {
        self.inner.list(prefix)
    }
    fn describe(&self) -> String {
        self.inner.describe()
    }
}

#[test]
fn a_promote_racing_another_keeps_the_others_version_as_previous() {
    let dir = tempfile::tempdir().unwrap();
    let open = || LocalStore::create(dir.path()).unwrap();
    let setup = Registry::with_store(Box::new(open()));
    for v in ["v1", "v2", "v3"] {
        assert!(setup.publish(v, &files(v, v)).unwrap());
    }
    setup.set_production("v1", false).unwrap();
    // While v3 is promoted from v1, another promote moves production to v2.
    let other =
        b"{\"version\":\"v2\",\"promoted_at_unix_s\":1,\"previous\":\"v1\",\"forced\":false}\n";
    let racing = Registry::with_store(Box::new(Interleaved {
        inner: open(),
        other: std::sync::Mutex::new(Some(other.to_vec())),
    }));
    let alias = racing.set_production("v3", false).unwrap();
    assert_eq!(alias.version, "v3");
    assert_eq!(
        alias.previous.as_deref(),
        Some("v2"),
        "the racing promote is not lost"
    );
    assert_eq!(setup.production().unwrap(), Some(alias));
}

#[test]
fn concurrent_promotes_on_a_local_registry_all_land_in_the_history() {
    let dir = tempfile::tempdir().unwrap();
    let setup = Registry::with_store(Box::new(LocalStore::create(dir.path()).unwrap()));
    let versions: Vec<String> = (0..5).map(|i| format!("v{i}")).collect();
    for v in &versions {
        assert!(setup.publish(v, &files(v, v)).unwrap());
    }
    // Each promote records the version it replaced: with no update lost, the versions and
    // their `previous` form one chain through all of them. (Each retry of a promote follows
    // another's write, so five promotes need at most four retries, within the attempts.)
    let previous: Vec<(String, Option<String>)> = std::thread::scope(|s| {
        let handles: Vec<_> = versions
            .iter()
            .map(|v| {
                let root = dir.path().to_path_buf();
                s.spawn(move || {
                    let r = Registry::with_store(Box::new(LocalStore::create(&root).unwrap()));
                    (v.clone(), r.set_production(v, false).unwrap().previous)
                })
            })
            .collect();
        handles.into_iter().map(|h| h.join().unwrap()).collect()
    });
    let replaced: std::collections::BTreeSet<_> =
        previous.iter().filter_map(|(_, p)| p.clone()).collect();
    assert_eq!(replaced.len(), versions.len() - 1, "{previous:?}");
    assert_eq!(previous.iter().filter(|(_, p)| p.is_none()).count(), 1);
}

// ---------------------------------------------------------------------------------------------
// Local folder

#[test]
fn local_registry() {
    let dir = tempfile::tempdir().unwrap();
    let root = dir.path().join("nested").join("registry"); // created on open
    let open = || -> Box<dyn Store> { Box::new(LocalStore::create(&root).unwrap()) };
    exercise_registry(&open);

    // Nothing escaped the root, no temporary files were left behind.
    let mut outside: Vec<_> = std::fs::read_dir(dir.path().join("nested"))
        .unwrap()
        .map(|e| e.unwrap().file_name())
        .collect();
    outside.sort();
    assert_eq!(outside, vec!["registry"]);
    assert!(!dir.path().join("x").exists() && !dir.path().join("escape").exists());
    let leftovers: Vec<_> = walk(&root)
        .into_iter()
        .filter(|p| p.file_name().unwrap().to_string_lossy().starts_with('.'))
        .collect();
    assert!(leftovers.is_empty(), "{leftovers:?}");
    assert!(root.join("versions/v1/model.xgm").is_file());
    assert!(root.join("production.json").is_file());

    // An endless production alias (a link to /dev/zero) is refused after its limit, not read
    // until memory runs out.
    std::fs::remove_file(root.join("production.json")).unwrap();
    std::os::unix::fs::symlink("/dev/zero", root.join("production.json")).unwrap();
    let e = format!("{:#}", open().get("production.json").unwrap_err());
    assert!(e.contains("more than such a file may be"), "{e}");
}

#[test]
fn open_local_path_and_bad_locations() {
    let dir = tempfile::tempdir().unwrap();
    let root = dir.path().join("reg");
    let registry = Registry::open(root.to_str().unwrap()).unwrap();
    assert!(root.is_dir());
    assert_eq!(
        registry.describe(),
        format!("local folder {}", root.display())
    );
    assert!(registry.publish("v1", &files("v1", "m")).unwrap());
    assert_eq!(
        Registry::open(root.to_str().unwrap())
            .unwrap()
            .versions()
            .unwrap(),
        vec!["v1"]
    );
    assert!(Registry::open("").is_err());
    assert!(Registry::open("gs://bucket/prefix").is_err());
    assert!(Registry::open("s3://").is_err());

    // A location that is a file, not a folder.
    let file = dir.path().join("plain-file");
    std::fs::write(&file, b"x").unwrap();
    let e = err_text(Registry::open(file.to_str().unwrap()));
    assert!(e.contains("plain-file"), "{e}");
}

fn walk(dir: &std::path::Path) -> Vec<PathBuf> {
    let mut out = Vec::new();
    for entry in std::fs::read_dir(dir).unwrap() {
        let path = entry.unwrap().path();
        if path.is_dir() {
            out.extend(walk(&path));
        }
        out.push(path);
    }
    out
}

// ---------------------------------------------------------------------------------------------
// S3 via moto

fn create_bucket(endpoint: &S3Endpoint, bucket: &str) {
    let config = aws_sdk_s3::Config::builder()
        .behavior_version(aws_sdk_s3::config::BehaviorVersion::latest())
        .endpoint_url(&endpoint.url)
        .region(aws_sdk_s3::config::Region::new(endpoint.region.clone()))
        .credentials_provider(aws_sdk_s3::config::Credentials::new(
            &endpoint.access_key_id,
            &endpoint.secret_access_key,
            None,
            None,
            "test",
        ))
        .force_path_style(true)
        .build();
    let client = aws_sdk_s3::Client::from_conf(config);
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap();
    runtime
        .block_on(client.create_bucket().bucket(bucket).send())
        .unwrap_or_else(|e| {
            panic!(
                "creating bucket {bucket}: {}",
                aws_sdk_s3::error::DisplayErrorContext(&e)
            )
        });
}

#[test]
fn s3_registry_against_moto() {
    let started = Instant::now();
    let Some(moto) = Moto::start() else { return };
    eprintln!("moto answered after {:?}", started.elapsed());
    let endpoint = S3Endpoint::emulator(&moto.url);
    create_bucket(&endpoint, "models");

    // Same behaviour as the local folder, under a prefix...
    let open = || -> Box<dyn Store> {
        Box::new(S3Store::with_endpoint("models", "xgoals/registry", &endpoint).unwrap())
    };
    assert_eq!(open().describe(), "s3://models/xgoals/registry");
    exercise_registry(&open);

    // ...and at the bucket root, beside the prefixed registry without seeing it.
    let open_root =
        || -> Box<dyn Store> { Box::new(S3Store::with_endpoint("models", "", &endpoint).unwrap()) };
    assert_eq!(open_root().describe(), "s3://models");
    let root = Registry::with_store(open_root());
    assert_eq!(root.versions().unwrap(), Vec::<String>::new());
    assert_eq!(root.production().unwrap(), None);
    assert!(root.publish("r1", &files("r1", "root")).unwrap());
    assert_eq!(root.versions().unwrap(), vec!["r1"]);
    assert!(open_root()
        .list("")
        .unwrap()
        .contains(&"xgoals/registry/production.json".to_string()));

    // Listing paginates (S3 pages hold at most 1000 keys).
    std::thread::scope(|scope| {
        for t in 0..5 {
            let store = open_root();
            scope.spawn(move || {
                for i in (t..1005).step_by(5) {
                    store.put(&format!("many/k{i:04}"), b"").unwrap();
                }
            });
        }
    });
    let store = open_root();
    let many = store.list("many/").unwrap();
    assert_eq!(many.len(), 1005);
    assert!(many.windows(2).all(|w| w[0] < w[1]));

    // A bucket that does not exist is an error, not an empty registry.
    let missing = Registry::with_store(Box::new(
        S3Store::with_endpoint("no-such-bucket", "p", &endpoint).unwrap(),
    ));
    let e = err_text(missing.production());
    eprintln!("missing bucket gives: {e}");
    assert!(
        e.contains("s3://no-such-bucket/p") && e.contains("NoSuchBucket"),
        "{e}"
    );
    assert!(missing.versions().is_err());

    // Registry::open reads the SDK configuration from the environment: the real `trainer`
    // CLI, given only AWS_* variables, lists a registry published through the SDK directly.
    let direct = Registry::with_store(Box::new(
        S3Store::with_endpoint("models", "from-env", &endpoint).unwrap(),
    ));
    assert!(direct.publish("e1", &files("e1", "env")).unwrap());
    direct.set_production("e1", false).unwrap();
    let output = Command::new(env!("CARGO_BIN_EXE_trainer"))
        .args(["registry", "--registry", "s3://models/from-env", "list"])
        .env("AWS_ENDPOINT_URL", &moto.url)
        .env("AWS_ACCESS_KEY_ID", "test")
        .env("AWS_SECRET_ACCESS_KEY", "test")
        .env("AWS_REGION", "us-east-1")
        .env("AWS_EC2_METADATA_DISABLED", "true")
        .env("AWS_CONFIG_FILE", "/nonexistent/xgoals-aws-config")
        .env(
            "AWS_SHARED_CREDENTIALS_FILE",
            "/nonexistent/xgoals-aws-credentials",
        )
        .env_remove("AWS_PROFILE")
        .output()
        .unwrap();
    let stdout = String::from_utf8_lossy(&output.stdout);
    assert!(
        output.status.success() && stdout.starts_with("* e1"),
        "trainer registry list failed:\n{stdout}\n{}",
        String::from_utf8_lossy(&output.stderr)
    );
}

#[test]
fn s3_closed_port_fails_fast_and_clearly() {
    let port = free_port(); // bound then released: nothing listens there now
    let mut endpoint = S3Endpoint::emulator(format!("http://127.0.0.1:{port}"));
    endpoint.max_attempts = 1;
    endpoint.connect_timeout = Duration::from_secs(1);
    endpoint.operation_timeout = Duration::from_secs(5);
    let registry = Registry::with_store(Box::new(
        S3Store::with_endpoint("models", "xgoals", &endpoint).unwrap(),
    ));
    let started = Instant::now();
    let e = err_text(registry.versions());
    eprintln!("closed port gives: {e}");
    assert!(
        e.contains("s3://models/xgoals") && e.contains("versions/"),
        "{e}"
    );
    assert!(
        e.to_lowercase().contains("connect") || e.to_lowercase().contains("dispatch"),
        "{e}"
    );
    let e = err_text(registry.publish("v1", &files("v1", "m")));
    assert!(e.contains("s3://models/xgoals") && e.contains("v1"), "{e}");
    assert!(
        started.elapsed() < Duration::from_secs(10),
        "took {:?}",
        started.elapsed()
    );
}
