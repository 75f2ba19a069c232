//! The model registry: immutable model versions plus a `production` alias.
//!
//! A registry lives in a local folder (the default) or under an S3 prefix
//! (`s3://bucket/prefix`). Both hold the same layout of keys:
//!
//! ```text
//! versions/<version>/model.xgm       the model file the scorer reads
//! versions/<version>/report.md       evaluation report (any further files sit beside it)
//! versions/<version>/manifest.json   written LAST: a version exists once its manifest does
//! production.json                    the alias: { version, promoted_at_unix_s, previous, forced }
//! ```
//!
//! Versions are immutable: publishing a version again with identical files is a no-op,
//! with any different file an error. Because the manifest is written after every other file, a
//! publish that dies half-way leaves no listed version behind (and may simply be retried).
//! The immutability check is read-then-write: two publishers racing on the same new version
//! are not detected, so publish from one place (CI) at a time.
//!
//! The production alias is read-modify-written with a conditional write ([`Store::put_if`]:
//! S3's `If-Match`/`If-None-Match`, a lock file in a local folder), so two promotes at once
//! both land and each records the version it replaced as `previous`; a promote retries a few
//! times when another one got in between. (`--if-better` compares against the production it
//! read before that write, so two candidates promoted at once are not compared with each
//! other.)
//!
//! Version strings match `[A-Za-z0-9._-]{1,64}` (and are not `.` or `..`); file names match
//! the same pattern without a leading `.`. Store keys are checked again by each [`Store`], so
//! hostile input cannot escape the registry root.
//!
//! The API is synchronous, for the CLI. [`S3Store`] owns a current-thread tokio runtime and
//! blocks on the SDK, so it must not be used from inside another tokio runtime.

use std::collections::BTreeSet;
use std::fs;
use std::io::{self, Write};
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use anyhow::{anyhow, bail, Context, Result};
use aws_sdk_s3::config::retry::RetryConfig;
use aws_sdk_s3::config::timeout::TimeoutConfig;
use aws_sdk_s3::config::{BehaviorVersion, Credentials, Region};
use aws_sdk_s3::error::ProvideErrorMetadata;
use aws_sdk_s3::primitives::ByteStream;
use serde::{Deserialize, Serialize};

use crate::train::sha256_hex;

use scorer::registry_layout::version_file_key as file_key;

pub use scorer::registry_layout::{
    MANIFEST_NAME, MAX_NAME_LEN, MODEL_NAME, PRODUCTION_KEY, VERSIONS_DIR,
};

/// How many times a promote re-reads the production alias when another writer replaced it
/// between its read and its write.
const PROMOTE_ATTEMPTS: usize = 5;

/// Where registry bytes live. Keys are `/`-separated relative paths such as
/// `versions/v1/model.xgm`.
pub trait Store: Send + Sync {
    /// The bytes stored at `key`, or `None` if there are none.
    fn get(&self, key: &str) -> Result<Option<Vec<u8>>>;
    /// Stores `bytes` at `key`, replacing what was there. Readers never see a partial file.
    fn put(&self, key: &str, bytes: &[u8]) -> Result<()>;
    /// The bytes at `key` and a tag that changes whenever they are replaced, or `None`.
    fn get_tagged(&self, key: &str) -> Result<Option<(Vec<u8>, String)>>;
    /// Stores `bytes` at `key` only if what is there still has the tag `expected` (`None`: only
    /// if nothing is there). Returns false, having written nothing, when another writer
    /// replaced it first: the read-modify-write of the production alias retries then.
    fn put_if(&self, key: &str, bytes: &[u8], expected: Option<&str>) -> Result<bool>;
    /// All keys starting with `prefix`, sorted.
    fn list(&self, prefix: &str) -> Result<Vec<String>>;
    /// Human-readable location for messages: `local folder X` or `s3://bucket/prefix`.
    fn describe(&self) -> String;
}

/// Checks a store key: non-empty `/`-separated components, none of them empty, `.` or `..`,
/// no backslash, NUL or leading `/`.
/// The most bytes a registry file may have (`registry_layout::max_bytes` of its name).
fn max_bytes_of(key: &str) -> usize {
    scorer::registry_layout::max_bytes(key.rsplit('/').next().unwrap_or(key))
}

/// An error for a file larger than any valid one of its kind (refused before it is read).
fn check_size(key: &str, bytes: u64, limit: usize) -> Result<()> {
    if bytes > limit as u64 {
        bail!("{key} is at least {bytes} bytes, more than such a file may be ({limit}); not read");
    }
    Ok(())
}

fn check_key(key: &str) -> Result<()> {
    if key.is_empty() {
        bail!("empty registry key");
    }
    if key.contains('\\') || key.contains('\0') {
        bail!("registry key {key:?} contains a backslash or NUL");
    }
    if key.starts_with('/') {
        bail!("registry key {key:?} is absolute");
    }
    for part in key.split('/') {
        if part.is_empty() || part == "." || part == ".." {
            bail!("registry key {key:?} has an empty, '.' or '..' component");
        }
    }
    Ok(())
}

/// Checks a `list` prefix: like a key, but may be empty or end with `/`.
fn check_prefix(prefix: &str) -> Result<()> {
    match prefix.strip_suffix('/').unwrap_or(prefix) {
        "" if prefix.is_empty() => Ok(()),
        rest => check_key(rest).with_context(|| format!("bad list prefix {prefix:?}")),
    }
}

// ---------------------------------------------------------------------------------------------
// Local folder

/// Start of the names of temporary files written by [`LocalStore::put`]; `list` skips them.
const TMP_MARK: &str = ".tmp-";

/// A registry in a local folder: key `a/b/c` is the file `<root>/a/b/c`.
#[derive(Debug, Clone)]
pub struct LocalStore {
    root: PathBuf,
}

impl LocalStore {
    /// Opens the folder `root`, creating it (and its parents) if missing.
    pub fn create(root: impl Into<PathBuf>) -> Result<LocalStore> {
        let root = root.into();
        fs::create_dir_all(&root)
            .with_context(|| format!("creating registry folder {}", root.display()))?;
        if !root.is_dir() {
            bail!("registry location {} is not a folder", root.display());
        }
        Ok(LocalStore { root })
    }

    /// The registry folder.
    pub fn root(&self) -> &Path {
        &self.root
    }

    fn path_of(&self, key: &str) -> Result<PathBuf> {
        check_key(key).with_context(|| format!("in {}", self.describe()))?;
        if key.split('/').any(|part| part.starts_with(TMP_MARK)) {
            bail!("registry key {key:?} uses the reserved name prefix {TMP_MARK:?}");
        }
        Ok(key
            .split('/')
            .fold(self.root.clone(), |p, part| p.join(part)))
    }

    fn walk(&self, dir: &Path, rel: &str, out: &mut Vec<String>) -> io::Result<()> {
        let entries = match fs::read_dir(dir) {
            Ok(entries) => entries,
            Err(e) if e.kind() == io::ErrorKind::NotFound => return Ok(()),
            Err(e) => return Err(e),
        };
        for entry in entries {
            let entry = entry?;
            let Ok(name) = entry.file_name().into_string() else {
                continue; // not a key this store could have written
            };
            if name.starts_with(TMP_MARK) {
                continue;
            }
            let key = if rel.is_empty() {
                name
            } else {
                format!("{rel}/{name}")
            };
            let kind = entry.file_type()?;
            if kind.is_dir() {
                self.walk(&entry.path(), &key, out)?;
            } else if kind.is_file() {
                out.push(key);
            }
        }
        Ok(())
    }
}

/// A lock held while its file exists (created with `create_new`, removed on drop).
struct LockFile(PathBuf);

impl LockFile {
    /// How long [`LockFile::acquire`] waits for another holder.
    const WAIT: Duration = Duration::from_secs(10);

    fn acquire(path: PathBuf) -> Result<LockFile> {
        let start = std::time::Instant::now();
        loop {
            match fs::OpenOptions::new()
                .write(true)
                .create_new(true)
                .open(&path)
            {
                Ok(_) => return Ok(LockFile(path)),
                Err(e) if e.kind() == io::ErrorKind::AlreadyExists => {
                    if start.elapsed() >= Self::WAIT {
                        bail!(
                            "{} has been locked for {} s by another writer; if none is running \
                             (a crashed one leaves its lock behind), delete the file",
                            path.display(),
                            Self::WAIT.as_secs()
                        );
                    }
                    std::thread::sleep(Duration::from_millis(20));
                }
                Err(e) => {
                    return Err(e).with_context(|| format!("creating lock file {}", path.display()))
                }
            }
        }
    }
}

impl Drop for LockFile {
    fn drop(&mut self) {
        let _ = fs::remove_file(&self.0);
    }
}

impl Store for LocalStore {
    fn get(&self, key: &str) -> Result<Option<Vec<u8>>> {
        let path = self.path_of(key)?;
        let context = || format!("reading {key} from {}", self.describe());
        let file = match fs::File::open(&path) {
            Ok(f) => f,
            Err(e) if e.kind() == io::ErrorKind::NotFound => return Ok(None),
            Err(e) => return Err(e).with_context(context),
        };
        // At most one byte past the limit: a device or a growing file has no trustworthy size.
        let limit = max_bytes_of(key);
        let mut bytes = Vec::new();
        io::Read::read_to_end(&mut io::Read::take(file, limit as u64 + 1), &mut bytes)
            .with_context(context)?;
        check_size(key, bytes.len() as u64, limit)?;
        Ok(Some(bytes))
    }

    fn put(&self, key: &str, bytes: &[u8]) -> Result<()> {
        static COUNTER: AtomicU64 = AtomicU64::new(0);
        let path = self.path_of(key)?;
        let context = || format!("writing {key} to {}", self.describe());
        let dir = path.parent().expect("a key path is below the root");
        fs::create_dir_all(dir).with_context(context)?;
        let file_name = path.file_name().expect("a key has a file name");
        let tmp = dir.join(format!(
            "{TMP_MARK}{}-{}-{}",
            std::process::id(),
            COUNTER.fetch_add(1, Ordering::Relaxed),
            file_name.to_string_lossy()
        ));
        let write = || -> io::Result<()> {
            let mut file = fs::File::create(&tmp)?;
            file.write_all(bytes)?;
            file.sync_all()?;
            drop(file);
            fs::rename(&tmp, &path)
        };
        if let Err(e) = write() {
            let _ = fs::remove_file(&tmp);
            return Err(e).with_context(context);
        }
        // Make the rename durable; not every platform allows syncing a folder.
        if let Ok(d) = fs::File::open(dir) {
            let _ = d.sync_all();
        }
        Ok(())
    }

    fn get_tagged(&self, key: &str) -> Result<Option<(Vec<u8>, String)>> {
        Ok(self.get(key)?.map(|bytes| {
            let tag = sha256_hex(&bytes);
            (bytes, tag)
        }))
    }

    fn put_if(&self, key: &str, bytes: &[u8], expected: Option<&str>) -> Result<bool> {
        let path = self.path_of(key)?;
        let dir = path.parent().expect("a key path is below the root");
        fs::create_dir_all(dir).with_context(|| format!("writing {key} to {}", self.describe()))?;
        let file_name = path.file_name().expect("a key has a file name");
        // The compare and the write happen under a lock file (its name starts with TMP_MARK,
        // so `list` skips it).
        let _lock =
            LockFile::acquire(dir.join(format!("{TMP_MARK}lock-{}", file_name.to_string_lossy())))?;
        let current = self.get_tagged(key)?.map(|(_, tag)| tag);
        if current.as_deref() != expected {
            return Ok(false);
        }
        self.put(key, bytes)?;
        Ok(true)
    }

    fn list(&self, prefix: &str) -> Result<Vec<String>> {
        check_prefix(prefix).with_context(|| format!("in {}", self.describe()))?;
        // Walk only the deepest folder the prefix names, then filter by the full prefix.
        let dir_part = prefix.rfind('/').map_or("", |i| &prefix[..i]);
        let dir = dir_part
            .split('/')
            .filter(|p| !p.is_empty())
            .fold(self.root.clone(), |p, part| p.join(part));
        let mut keys = Vec::new();
        self.walk(&dir, dir_part, &mut keys)
            .with_context(|| format!("listing {prefix:?} in {}", self.describe()))?;
        keys.retain(|k| k.starts_with(prefix));
        keys.sort();
        Ok(keys)
    }

    fn describe(&self) -> String {
        format!("local folder {}", self.root.display())
    }
}

// ---------------------------------------------------------------------------------------------
// S3

/// Explicit connection settings for an S3-compatible endpoint (an emulator, a test), so that
/// nothing is read from the environment.
#[derive(Debug, Clone)]
pub struct S3Endpoint {
    /// E.g. `http://127.0.0.1:5000`. Requests use path-style addressing.
    pub url: String,
    pub region: String,
    pub access_key_id: String,
    pub secret_access_key: String,
    /// Attempts per request including the first (1 = no retries).
    pub max_attempts: u32,
    pub connect_timeout: Duration,
    /// Bound on a whole request including retries.
    pub operation_timeout: Duration,
}

impl S3Endpoint {
    /// Settings for a local emulator at `url`: region `us-east-1`, dummy credentials
    /// `test`/`test`, 3 attempts, 2 s connect and 60 s operation timeouts.
    pub fn emulator(url: impl Into<String>) -> S3Endpoint {
        S3Endpoint {
            url: url.into(),
            region: "us-east-1".into(),
            access_key_id: "test".into(),
            secret_access_key: "test".into(),
            max_attempts: 3,
            connect_timeout: Duration::from_secs(2),
            operation_timeout: Duration::from_secs(60),
        }
    }
}

/// A registry under `s3://bucket/prefix`: key `a/b` is the object `prefix/a/b`.
pub struct S3Store {
    runtime: tokio::runtime::Runtime,
    client: aws_sdk_s3::Client,
    bucket: String,
    /// Without leading or trailing `/`; may be empty.
    prefix: String,
}

impl std::fmt::Debug for S3Store {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("S3Store")
            .field("bucket", &self.bucket)
            .field("prefix", &self.prefix)
            .finish_non_exhaustive()
    }
}

/// An SDK error as text: `Code: message` for errors the service answered, else the full
/// source chain (e.g. "dispatch failure: io error: ... Connection refused").
fn sdk_error<E, R>(e: aws_sdk_s3::error::SdkError<E, R>) -> anyhow::Error
where
    E: ProvideErrorMetadata + std::error::Error + Send + Sync + 'static,
    R: std::fmt::Debug + Send + Sync + 'static,
{
    match e.code() {
        Some(code) => anyhow!("{code}: {}", e.message().unwrap_or("(no message)")),
        None => anyhow::Error::new(e),
    }
}

fn new_runtime() -> Result<tokio::runtime::Runtime> {
    tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .context("starting the tokio runtime for S3")
}

fn check_bucket_and_prefix(bucket: &str, prefix: &str) -> Result<String> {
    if bucket.is_empty() || bucket.contains('/') {
        bail!("bad S3 bucket name {bucket:?}");
    }
    let prefix = prefix.trim_matches('/');
    if !prefix.is_empty() {
        check_key(prefix).with_context(|| format!("bad S3 prefix {prefix:?}"))?;
    }
    Ok(prefix.to_string())
}

impl S3Store {
    /// Connects with the AWS SDK's default configuration chain: credentials, region (default
    /// `us-east-1` when none is configured) and `AWS_ENDPOINT_URL` from the environment and
    /// profile files. When an endpoint URL is configured, path-style addressing is used.
    pub fn from_env(bucket: &str, prefix: &str) -> Result<S3Store> {
        let runtime = new_runtime()?;
        let sdk_config = runtime.block_on(
            aws_config::defaults(BehaviorVersion::latest())
                .region(
                    aws_config::meta::region::RegionProviderChain::default_provider()
                        .or_else(Region::from_static("us-east-1")),
                )
                .load(),
        );
        let mut config = aws_sdk_s3::config::Builder::from(&sdk_config);
        if sdk_config.endpoint_url().is_some() {
            config = config.force_path_style(true);
        }
        let client = aws_sdk_s3::Client::from_conf(config.build());
        Self::with_runtime(runtime, client, bucket, prefix)
    }

    /// Connects to an explicit endpoint (path-style), reading nothing from the environment.
    pub fn with_endpoint(bucket: &str, prefix: &str, endpoint: &S3Endpoint) -> Result<S3Store> {
        let config = aws_sdk_s3::Config::builder()
            .behavior_version(BehaviorVersion::latest())
            .endpoint_url(&endpoint.url)
            .region(Region::new(endpoint.region.clone()))
            .credentials_provider(Credentials::new(
                &endpoint.access_key_id,
                &endpoint.secret_access_key,
                None,
                None,
                "xgoals-registry-explicit",
            ))
            .force_path_style(true)
            .retry_config(RetryConfig::standard().with_max_attempts(endpoint.max_attempts.max(1)))
            .timeout_config(
                TimeoutConfig::builder()
                    .connect_timeout(endpoint.connect_timeout)
                    .operation_timeout(endpoint.operation_timeout)
                    .build(),
            )
            .build();
        Self::from_client(aws_sdk_s3::Client::from_conf(config), bucket, prefix)
    }

    /// Wraps an already configured client (the seam for anything the constructors above
    /// don't cover).
    pub fn from_client(client: aws_sdk_s3::Client, bucket: &str, prefix: &str) -> Result<S3Store> {
        Self::with_runtime(new_runtime()?, client, bucket, prefix)
    }

    fn with_runtime(
        runtime: tokio::runtime::Runtime,
        client: aws_sdk_s3::Client,
        bucket: &str,
        prefix: &str,
    ) -> Result<S3Store> {
        let prefix = check_bucket_and_prefix(bucket, prefix)?;
        Ok(S3Store {
            runtime,
            client,
            bucket: bucket.to_string(),
            prefix,
        })
    }

    fn object_key(&self, key: &str) -> String {
        if self.prefix.is_empty() {
            key.to_string()
        } else {
            format!("{}/{key}", self.prefix)
        }
    }
}

impl Store for S3Store {
    fn get(&self, key: &str) -> Result<Option<Vec<u8>>> {
        Ok(self.get_tagged(key)?.map(|(bytes, _)| bytes))
    }

    fn get_tagged(&self, key: &str) -> Result<Option<(Vec<u8>, String)>> {
        check_key(key).with_context(|| format!("in {}", self.describe()))?;
        let object_key = self.object_key(key);
        let context = || format!("reading {key} from {}", self.describe());
        self.runtime.block_on(async {
            let sent = self
                .client
                .get_object()
                .bucket(&self.bucket)
                .key(&object_key)
                .send()
                .await;
            let output = match sent {
                Ok(output) => output,
                Err(e) => {
                    // A 404 is a missing key, unless the bucket itself is missing.
                    let status_404 = e.raw_response().is_some_and(|r| r.status().as_u16() == 404);
                    let missing = e.as_service_error().is_some_and(|s| s.is_no_such_key())
                        || (status_404 && e.code() != Some("NoSuchBucket"));
                    if missing {
                        return Ok(None);
                    }
                    return Err(sdk_error(e)).with_context(context);
                }
            };
            check_size(
                key,
                output.content_length.unwrap_or(0).max(0) as u64,
                max_bytes_of(key),
            )
            .with_context(context)?;
            let tag = output.e_tag.clone().unwrap_or_default();
            let body = output
                .body
                .collect()
                .await
                .map_err(anyhow::Error::new)
                .with_context(context)?;
            Ok(Some((body.into_bytes().to_vec(), tag)))
        })
    }

    fn put(&self, key: &str, bytes: &[u8]) -> Result<()> {
        check_key(key).with_context(|| format!("in {}", self.describe()))?;
        let object_key = self.object_key(key);
        self.runtime
            .block_on(
                self.client
                    .put_object()
                    .bucket(&self.bucket)
                    .key(&object_key)
                    .body(ByteStream::from(bytes.to_vec()))
                    .send(),
            )
            .map_err(sdk_error)
            .with_context(|| format!("writing {key} to {}", self.describe()))?;
        Ok(())
    }

    fn put_if(&self, key: &str, bytes: &[u8], expected: Option<&str>) -> Result<bool> {
        check_key(key).with_context(|| format!("in {}", self.describe()))?;
        let put = self
            .client
            .put_object()
            .bucket(&self.bucket)
            .key(self.object_key(key))
            .body(ByteStream::from(bytes.to_vec()));
        // S3's conditional writes: If-Match on the tag read, If-None-Match * for a new key.
        let put = match expected {
            Some(tag) => put.if_match(tag),
            None => put.if_none_match("*"),
        };
        match self.runtime.block_on(put.send()) {
            Ok(_) => Ok(true),
            // 412: the precondition failed; 409: a concurrent conditional write won; 404: the
            // object read was deleted since.
            Err(e)
                if e.raw_response()
                    .is_some_and(|r| matches!(r.status().as_u16(), 404 | 409 | 412))
                    && e.code() != Some("NoSuchBucket") =>
            {
                Ok(false)
            }
            Err(e) => {
                Err(sdk_error(e)).with_context(|| format!("writing {key} to {}", self.describe()))
            }
        }
    }

    fn list(&self, prefix: &str) -> Result<Vec<String>> {
        check_prefix(prefix).with_context(|| format!("in {}", self.describe()))?;
        let full_prefix = self.object_key(prefix);
        let strip = if self.prefix.is_empty() {
            String::new()
        } else {
            format!("{}/", self.prefix)
        };
        let context = || format!("listing {prefix:?} in {}", self.describe());
        let mut keys = Vec::new();
        let mut token: Option<String> = None;
        loop {
            let page = self
                .runtime
                .block_on(
                    self.client
                        .list_objects_v2()
                        .bucket(&self.bucket)
                        .prefix(&full_prefix)
                        .set_continuation_token(token.take())
                        .send(),
                )
                .map_err(sdk_error)
                .with_context(context)?;
            for object in page.contents() {
                if let Some(key) = object.key().and_then(|k| k.strip_prefix(&strip)) {
                    keys.push(key.to_string());
                }
            }
            match page.next_continuation_token() {
                Some(next) if page.is_truncated() == Some(true) => token = Some(next.to_string()),
                _ => break,
            }
        }
        keys.sort();
        keys.dedup();
        Ok(keys)
    }

    fn describe(&self) -> String {
        if self.prefix.is_empty() {
            format!("s3://{}", self.bucket)
        } else {
            format!("s3://{}/{}", self.bucket, self.prefix)
        }
    }
}

// ---------------------------------------------------------------------------------------------
// Registry

/// Where `Registry::open` looks, parsed from its location string.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Location {
    Local(PathBuf),
    S3 { bucket: String, prefix: String },
}

impl Location {
    /// `s3://bucket[/prefix]` or a local path. Other `scheme://` locations are refused.
    pub fn parse(location: &str) -> Result<Location> {
        if let Some(rest) = location.strip_prefix("s3://") {
            let (bucket, prefix) = rest.split_once('/').unwrap_or((rest, ""));
            let prefix = check_bucket_and_prefix(bucket, prefix)
                .with_context(|| format!("registry location {location:?}"))?;
            return Ok(Location::S3 {
                bucket: bucket.to_string(),
                prefix,
            });
        }
        if location.is_empty() {
            bail!("empty registry location");
        }
        if location.contains("://") {
            bail!("registry location {location:?}: only s3:// URLs and local paths are supported");
        }
        Ok(Location::Local(PathBuf::from(location)))
    }
}

/// The `production` alias, stored as JSON at [`PRODUCTION_KEY`].
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ProductionAlias {
    pub version: String,
    pub promoted_at_unix_s: u64,
    /// The version that was production before this promotion, if any.
    pub previous: Option<String>,
    /// Whether the promotion overrode the usual checks (recorded for the audit trail).
    pub forced: bool,
}

impl ProductionAlias {
    /// The alias file's bytes: pretty JSON and a newline.
    fn to_json(&self) -> Result<Vec<u8>> {
        let mut json = serde_json::to_vec_pretty(self).context("serialising production alias")?;
        json.push(b'\n');
        Ok(json)
    }
}

/// Model versions and the production alias in a [`Store`].
pub struct Registry {
    store: Box<dyn Store>,
}

/// Checks a version string: `[A-Za-z0-9._-]{1,64}`, not `.` or `..`.
/// What the Lambda checks before it serves a version (edge-host's registry reader): the model's
/// sha256 is the manifest's `model_sha256`, the manifest's `feature_set_id` is this scorer's,
/// and the scorer reads the model. Publishing, promotion and the web export check the same, so
/// production never names a version the Lambda would refuse.
pub fn check_model_files(manifest: &serde_json::Value, model: &[u8]) -> Result<scorer::Model> {
    let field = |name: &str| -> Result<&str> {
        manifest[name]
            .as_str()
            .with_context(|| format!("manifest field {name} is missing or not a string"))
    };
    let sha = sha256_hex(model);
    let pinned = field("model_sha256")?;
    if !sha.eq_ignore_ascii_case(pinned) {
        bail!("{MODEL_NAME} has sha256 {sha}, but the manifest says model_sha256 {pinned}");
    }
    let ours = format!("{:016x}", scorer::FEATURE_SET_ID);
    let theirs = field("feature_set_id")?;
    if theirs != ours {
        bail!("the manifest's feature_set_id {theirs} is not this scorer's {ours}");
    }
    scorer::Model::parse(model)
        .with_context(|| format!("{MODEL_NAME} is not a model this scorer reads"))
}

pub fn check_version(version: &str) -> Result<()> {
    check_name(version, "version")
}

/// Checks a file name inside a version: `[A-Za-z0-9._-]{1,64}` not starting with `.`.
pub fn check_file_name(name: &str) -> Result<()> {
    check_name(name, "file name")?;
    if name.starts_with('.') {
        bail!("file name {name:?} must not start with '.'");
    }
    Ok(())
}

fn check_name(name: &str, what: &str) -> Result<()> {
    if !scorer::registry_layout::is_valid_name(name) {
        let shown: String = name.chars().take(80).collect();
        bail!("invalid {what} {shown:?}: expected 1 to {MAX_NAME_LEN} of A-Z a-z 0-9 . _ -");
    }
    Ok(())
}

impl std::fmt::Debug for Registry {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Registry")
            .field("store", &self.describe())
            .finish()
    }
}

impl Registry {
    /// Opens `s3://bucket/prefix` (SDK configuration from the environment, see
    /// [`S3Store::from_env`]) or a local folder, created if missing.
    pub fn open(location: &str) -> Result<Registry> {
        let store: Box<dyn Store> = match Location::parse(location)? {
            Location::Local(path) => Box::new(LocalStore::create(path)?),
            Location::S3 { bucket, prefix } => Box::new(
                S3Store::from_env(&bucket, &prefix)
                    .with_context(|| format!("opening registry {location}"))?,
            ),
        };
        Ok(Registry { store })
    }

    pub fn with_store(store: Box<dyn Store>) -> Registry {
        Registry { store }
    }

    pub fn describe(&self) -> String {
        self.store.describe()
    }

    /// Stores `files` as `versions/<version>/<name>`; `files` must include `manifest.json`,
    /// which is written last. Returns `Ok(true)` for a new version, `Ok(false)` if the version
    /// already exists with exactly these files, and an error naming the version and file if
    /// it exists with any file different, missing or extra.
    pub fn publish(&self, version: &str, files: &[(&str, Vec<u8>)]) -> Result<bool> {
        check_version(version)?;
        let mut names = BTreeSet::new();
        for (name, _) in files {
            check_file_name(name).with_context(|| format!("publishing version {version}"))?;
            if !names.insert(*name) {
                bail!("publishing version {version}: file {name} is given twice");
            }
        }
        if !names.contains(MANIFEST_NAME) {
            bail!("publishing version {version}: the files must include {MANIFEST_NAME}");
        }

        if self.version_exists(version)? {
            for (name, bytes) in files {
                match self.store.get(&file_key(version, name))? {
                    Some(existing) if existing == *bytes => {}
                    Some(_) => bail!(
                        "version {version} already exists in {} with a different {name}; \
                         versions are immutable, publish a new version",
                        self.describe()
                    ),
                    None => bail!(
                        "version {version} already exists in {} without {name}; \
                         versions are immutable, publish a new version",
                        self.describe()
                    ),
                }
            }
            for name in self.file_names(version)? {
                if !names.contains(name.as_str()) {
                    bail!(
                        "version {version} already exists in {} with a file {name} this publish \
                         lacks; versions are immutable, publish a new version",
                        self.describe()
                    );
                }
            }
            return Ok(false);
        }

        let manifest = files.iter().filter(|(n, _)| *n == MANIFEST_NAME);
        for (name, bytes) in files
            .iter()
            .filter(|(n, _)| *n != MANIFEST_NAME)
            .chain(manifest)
        {
            self.store
                .put(&file_key(version, name), bytes)
                .with_context(|| format!("publishing version {version}"))?;
        }
        Ok(true)
    }

    /// Published versions (those with a manifest), sorted.
    pub fn versions(&self) -> Result<Vec<String>> {
        let versions_prefix = format!("{VERSIONS_DIR}/");
        let keys = self.store.list(&versions_prefix)?;
        let mut versions: Vec<String> = keys
            .iter()
            .filter_map(|k| k.strip_prefix(&versions_prefix)?.split_once('/'))
            .filter(|(v, name)| *name == MANIFEST_NAME && check_version(v).is_ok())
            .map(|(v, _)| v.to_string())
            .collect();
        versions.sort();
        versions.dedup();
        Ok(versions)
    }

    /// Names of the files stored for `version` (published or not), sorted.
    pub fn file_names(&self, version: &str) -> Result<Vec<String>> {
        check_version(version)?;
        let prefix = file_key(version, "");
        Ok(self
            .store
            .list(&prefix)?
            .iter()
            .filter_map(|k| k.strip_prefix(&prefix))
            .filter(|name| !name.contains('/'))
            .map(str::to_string)
            .collect())
    }

    /// The bytes of file `name` of `version`.
    pub fn file(&self, version: &str, name: &str) -> Result<Vec<u8>> {
        check_version(version)?;
        check_file_name(name)?;
        if !self.version_exists(version)? {
            bail!(
                "registry {} has no version {version} (it has: {})",
                self.describe(),
                self.versions_for_message()
            );
        }
        self.store.get(&file_key(version, name))?.ok_or_else(|| {
            anyhow!(
                "registry {}: version {version} has no file {name}",
                self.describe()
            )
        })
    }

    /// The production alias, or `None` if no version was ever promoted.
    pub fn production(&self) -> Result<Option<ProductionAlias>> {
        let Some(bytes) = self.store.get(PRODUCTION_KEY)? else {
            return Ok(None);
        };
        Ok(Some(self.parse_alias(&bytes)?))
    }

    fn parse_alias(&self, bytes: &[u8]) -> Result<ProductionAlias> {
        serde_json::from_slice(bytes)
            .with_context(|| format!("malformed {PRODUCTION_KEY} in registry {}", self.describe()))
    }

    /// Points `production` at `version`, which must be published. `previous` records the
    /// version production pointed at before (kept unchanged when re-promoting the same
    /// version). A malformed current alias is an error, unless `forced`: then it is overwritten
    /// and `previous` is `None`. Callers wanting to warn about that can call
    /// [`Registry::production`] first.
    pub fn set_production(&self, version: &str, forced: bool) -> Result<ProductionAlias> {
        check_version(version)?;
        if !self.version_exists(version)? {
            bail!(
                "cannot promote {version}: registry {} has no such version (it has: {})",
                self.describe(),
                self.versions_for_message()
            );
        }
        // Read, modify, write only if unchanged: two promotes at once must not both record
        // the same `previous` (the first one's version would be lost from the history).
        for _ in 0..PROMOTE_ATTEMPTS {
            let read = self.store.get_tagged(PRODUCTION_KEY)?;
            let tag = read.as_ref().map(|(_, tag)| tag.clone());
            let current = match read.map(|(bytes, _)| self.parse_alias(&bytes)).transpose() {
                Ok(current) => current,
                Err(_) if forced => None,
                Err(e) => return Err(e),
            };
            let previous = match current {
                Some(c) if c.version == version => c.previous,
                Some(c) => Some(c.version),
                None => None,
            };
            let promoted_at_unix_s = SystemTime::now()
                .duration_since(UNIX_EPOCH)
                .map_or(0, |d| d.as_secs());
            let alias = ProductionAlias {
                version: version.to_string(),
                promoted_at_unix_s,
                previous,
                forced,
            };
            let json = alias.to_json()?;
            let written = self
                .store
                .put_if(PRODUCTION_KEY, &json, tag.as_deref())
                .with_context(|| format!("promoting {version}"))?;
            if written {
                return Ok(alias);
            }
        }
        bail!(
            "the production alias of registry {} changed {PROMOTE_ATTEMPTS} times while promoting \
             {version} (other promotes running?); this promote wrote nothing, run it again",
            self.describe()
        )
    }

    /// Publishes a model folder — the `--out` folder of `trainer train`, a pipeline stage
    /// folder, or a version folder copied from another registry — under the version its
    /// `manifest.json` names (`model_version`). Every regular file directly in `dir` whose name
    /// is a valid registry file name is published; sub-folders and dot-files are skipped.
    ///
    /// Before anything is written, the folder must hold `model.xgm` and `manifest.json`, the
    /// model's sha256 must equal the manifest's `model_sha256`, and the scorer must accept the
    /// model. Returns the version and whether it was new; a version already registered with the
    /// same model bytes is left as it is (versions are named by the model's content hash, so
    /// only the manifest's timestamps can differ).
    pub fn publish_dir(&self, dir: &Path) -> Result<(String, bool)> {
        let read = |name: &str| -> Result<Vec<u8>> {
            let p = dir.join(name);
            fs::read(&p).with_context(|| format!("reading {}", p.display()))
        };
        let manifest_bytes = read(MANIFEST_NAME)?;
        let manifest: serde_json::Value = serde_json::from_slice(&manifest_bytes)
            .with_context(|| format!("{} is not JSON", dir.join(MANIFEST_NAME).display()))?;
        let field = |name: &str| -> Result<String> {
            manifest[name]
                .as_str()
                .map(str::to_string)
                .with_context(|| {
                    format!(
                        "{}: field {name} is missing or not a string",
                        dir.join(MANIFEST_NAME).display()
                    )
                })
        };
        let version = field("model_version")?;
        check_version(&version)
            .with_context(|| format!("model_version in {}", dir.join(MANIFEST_NAME).display()))?;
        let model = read(MODEL_NAME)?;
        check_model_files(&manifest, &model)
            .with_context(|| format!("the model folder {}", dir.display()))?;

        let mut names = Vec::new();
        for entry in fs::read_dir(dir).with_context(|| format!("listing {}", dir.display()))? {
            let entry = entry.with_context(|| format!("listing {}", dir.display()))?;
            let Some(name) = entry.file_name().to_str().map(str::to_string) else {
                continue;
            };
            // Through symlinks (a folder may link its model), as the reads below go.
            let is_file = fs::metadata(entry.path()).is_ok_and(|m| m.is_file());
            if is_file && check_file_name(&name).is_ok() {
                names.push(name);
            }
        }
        names.sort();
        let mut files = Vec::with_capacity(names.len());
        for name in &names {
            files.push((name.as_str(), read(name)?));
        }

        if self.versions()?.contains(&version) && self.file(&version, MODEL_NAME)? == model {
            return Ok((version, false));
        }
        let created = self.publish(&version, &files)?;
        Ok((version, created))
    }

    /// A version's manifest, model bytes and model, after the checks the Lambda makes before
    /// serving it ([`check_model_files`]).
    pub fn verified(&self, version: &str) -> Result<(serde_json::Value, Vec<u8>, scorer::Model)> {
        let manifest: serde_json::Value =
            serde_json::from_slice(&self.file(version, MANIFEST_NAME)?).with_context(|| {
                format!("manifest of {version} in {} is not JSON", self.describe())
            })?;
        let bytes = self.file(version, MODEL_NAME)?;
        let model = check_model_files(&manifest, &bytes)
            .with_context(|| format!("version {version} in {}", self.describe()))?;
        Ok((manifest, bytes, model))
    }

    fn version_exists(&self, version: &str) -> Result<bool> {
        Ok(self.store.get(&file_key(version, MANIFEST_NAME))?.is_some())
    }

    fn versions_for_message(&self) -> String {
        match self.versions() {
            Ok(v) if v.is_empty() => "no versions".into(),
            Ok(v) => v.join(", "),
            Err(e) => format!("could not list versions: {e:#}"),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_locations() {
        assert_eq!(
            Location::parse("s3://models/xgoals/").unwrap(),
            Location::S3 {
                bucket: "models".into(),
                prefix: "xgoals".into()
            }
        );
        assert_eq!(
            Location::parse("s3://models").unwrap(),
            Location::S3 {
                bucket: "models".into(),
                prefix: String::new()
            }
        );
        assert_eq!(
            Location::parse("reg/dir").unwrap(),
            Location::Local(PathBuf::from("reg/dir"))
        );
        assert!(Location::parse("s3://").is_err());
        assert!(Location::parse("s3://b/../x").is_err());
        assert!(Location::parse("gs://b/p").is_err());
        assert!(Location::parse("").is_err());
    }

    #[test]
    fn checks_keys_and_names() {
        for bad in ["", "/a", "a//b", "a/../b", "..", "a\\b", "a/", "./a"] {
            assert!(check_key(bad).is_err(), "{bad:?}");
        }
        check_key("versions/v1/model.xgm").unwrap();
        for bad in ["", ".", "..", "../x", "a/b", "a b", "é", &"v".repeat(65)] {
            assert!(check_version(bad).is_err(), "{bad:?}");
        }
        check_version("2024-06-01.rc_1").unwrap();
        check_version(&"v".repeat(64)).unwrap();
        assert!(check_file_name(".hidden").is_err());
        check_file_name("model.xgm").unwrap();
    }

    /// A model folder as `trainer train --out` writes it (the fields `publish_dir` reads).
    fn model_dir(model: &[u8], version: &str) -> tempfile::TempDir {
        let dir = tempfile::tempdir().unwrap();
        let manifest = serde_json::json!({
            "model_version": version,
            "model_sha256": sha256_hex(model),
            "feature_set_id": format!("{:016x}", scorer::FEATURE_SET_ID),
        });
        fs::write(dir.path().join(MODEL_NAME), model).unwrap();
        fs::write(dir.path().join(MANIFEST_NAME), manifest.to_string()).unwrap();
        fs::write(dir.path().join("report.md"), "# report\n").unwrap();
        fs::create_dir(dir.path().join("sub")).unwrap();
        fs::write(dir.path().join(".hidden"), "x").unwrap();
        dir
    }

    fn test_model() -> Vec<u8> {
        scorer::synth::model(7, 3, 2).to_bytes()
    }

    #[test]
    fn publish_dir_registers_the_folder_once() {
        let reg_dir = tempfile::tempdir().unwrap();
        let reg = Registry::open(reg_dir.path().to_str().unwrap()).unwrap();
        let dir = model_dir(&test_model(), "m-1");
        assert_eq!(reg.publish_dir(dir.path()).unwrap(), ("m-1".into(), true));
        assert_eq!(
            reg.file_names("m-1").unwrap(),
            [MANIFEST_NAME, MODEL_NAME, "report.md"]
        );
        assert_eq!(reg.file("m-1", MODEL_NAME).unwrap(), test_model());
        // Same model again, even with a rewritten manifest: nothing changes.
        let manifest = dir.path().join(MANIFEST_NAME);
        let mut m: serde_json::Value =
            serde_json::from_slice(&fs::read(&manifest).unwrap()).unwrap();
        m["trained_at_unix_s"] = 5.into();
        fs::write(&manifest, m.to_string()).unwrap();
        assert_eq!(reg.publish_dir(dir.path()).unwrap(), ("m-1".into(), false));
        assert!(!String::from_utf8(reg.file("m-1", MANIFEST_NAME).unwrap())
            .unwrap()
            .contains("trained_at"));
    }

    #[test]
    fn publish_dir_refuses_bad_folders_before_writing() {
        let reg_dir = tempfile::tempdir().unwrap();
        let reg = Registry::open(reg_dir.path().to_str().unwrap()).unwrap();
        let message = |dir: &Path| format!("{:#}", reg.publish_dir(dir).unwrap_err());

        let missing = tempfile::tempdir().unwrap();
        assert!(message(missing.path()).contains("manifest.json"));

        let tampered = model_dir(&test_model(), "m-2");
        let mut bytes = test_model();
        *bytes.last_mut().unwrap() ^= 1;
        fs::write(tampered.path().join(MODEL_NAME), &bytes).unwrap();
        assert!(message(tampered.path()).contains("sha256"));

        let not_a_model = model_dir(b"hello", "m-3");
        assert!(message(not_a_model.path()).contains("not a model"));

        // Another feature set: the Lambda would refuse it.
        let other_features = model_dir(&test_model(), "m-6");
        let manifest = other_features.path().join(MANIFEST_NAME);
        let mut m: serde_json::Value =
            serde_json::from_slice(&fs::read(&manifest).unwrap()).unwrap();
        m["feature_set_id"] = "0123456789abcdef".into();
        fs::write(&manifest, m.to_string()).unwrap();
        assert!(message(other_features.path()).contains("feature_set_id 0123456789abcdef"));

        let hostile = model_dir(&test_model(), "../escape");
        assert!(message(hostile.path()).contains("model_version"));

        let no_version = model_dir(&test_model(), "m-4");
        fs::write(
            no_version.path().join(MANIFEST_NAME),
            "{\"model_version\": 4}",
        )
        .unwrap();
        assert!(message(no_version.path()).contains("field model_version"));

        let not_json = model_dir(&test_model(), "m-5");
        fs::write(not_json.path().join(MANIFEST_NAME), "{").unwrap();
        assert!(message(not_json.path()).contains("is not JSON"));

        assert!(reg.versions().unwrap().is_empty());
    }

    #[test]
    fn a_linked_model_is_published_with_its_bytes() {
        let reg_dir = tempfile::tempdir().unwrap();
        let reg = Registry::open(reg_dir.path().to_str().unwrap()).unwrap();
        let real = model_dir(&test_model(), "m-7");
        let linked = tempfile::tempdir().unwrap();
        fs::copy(
            real.path().join(MANIFEST_NAME),
            linked.path().join(MANIFEST_NAME),
        )
        .unwrap();
        std::os::unix::fs::symlink(real.path().join(MODEL_NAME), linked.path().join(MODEL_NAME))
            .unwrap();
        assert_eq!(
            reg.publish_dir(linked.path()).unwrap(),
            ("m-7".into(), true)
        );
        assert_eq!(reg.file("m-7", MODEL_NAME).unwrap(), test_model());
    }

    #[test]
    fn a_broken_production_alias_is_repaired_by_a_forced_promote() {
        let reg_dir = tempfile::tempdir().unwrap();
        let reg = Registry::open(reg_dir.path().to_str().unwrap()).unwrap();
        reg.publish_dir(model_dir(&test_model(), "m-9").path())
            .unwrap();
        fs::write(reg_dir.path().join(PRODUCTION_KEY), "{not json").unwrap();
        let cache = tempfile::tempdir().unwrap();
        let promote = |force| crate::promote::promote(&reg, "m-9", force, cache.path(), &|_| {});
        let e = format!("{:#}", promote(false).unwrap_err());
        assert!(e.contains("malformed"), "{e}");
        let c = promote(true).unwrap();
        assert!(c.promoted && c.forced);
        assert_eq!(reg.production().unwrap().unwrap().version, "m-9");
    }

    #[test]
    fn a_version_the_lambda_would_refuse_is_never_verified() {
        let reg_dir = tempfile::tempdir().unwrap();
        let reg = Registry::open(reg_dir.path().to_str().unwrap()).unwrap();
        let dir = model_dir(&test_model(), "m-8");
        reg.publish_dir(dir.path()).unwrap();
        assert!(reg.verified("m-8").is_ok());
        // The stored model swapped for another valid one (a registry edited by hand).
        let other = scorer::synth::model(8, 3, 2).to_bytes();
        fs::write(reg_dir.path().join("versions/m-8").join(MODEL_NAME), &other).unwrap();
        let e = format!("{:#}", reg.verified("m-8").unwrap_err());
        assert!(e.contains("m-8") && e.contains("sha256"), "{e}");
    }
}
