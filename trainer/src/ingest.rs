//! Fetching the raw inputs (`trainer ingest --config FILE`).
//!
//! A TOML config ([`IngestConfig`], default [`default_config_path`]) lists sources: a
//! competition name and either a local path or an http(s) URL, each with an optional pinned
//! sha256. Local files are hashed where they are, never copied. URLs are downloaded into the
//! cache folder as `<name>.json[.gz]` through `<name>.json[.gz].part`: a dropped connection or
//! an interrupted run resumes with an HTTP range request, and the finished file is checked
//! against the pin before it gets its final name. A cached file that matches its pin is not
//! downloaded again.
//!
//! Presigned URLs carry their signature in the query string, so messages show URLs through
//! [`redact_url`] only.

use anyhow::{anyhow, bail, Context as _, Result};
use indicatif::{ProgressBar, ProgressDrawTarget, ProgressStyle};
use serde::Deserialize;
use sha2::{Digest, Sha256};
use std::collections::HashMap;
use std::fs::{self, File, OpenOptions};
use std::io::{IsTerminal as _, Read, Write};
use std::path::{Path, PathBuf};
use std::time::Duration;

/// Where downloads go when the config names no `cache_dir`, relative to the current folder.
pub const DEFAULT_CACHE_DIR: &str = ".xgoals/downloads";

/// Budget for resolving the host name and for opening the connection (TCP and TLS).
const CONNECT_TIMEOUT: Duration = Duration::from_secs(15);
/// Longest wait for the response headers, and for each read of the body.
const READ_TIMEOUT: Duration = Duration::from_secs(30);
/// Failed attempts in a row (without a byte of progress between them) before giving up.
const MAX_ATTEMPTS: u32 = 5;
/// Wait before the first retry; doubled for each further failure in a row.
const FIRST_BACKOFF: Duration = Duration::from_millis(250);
const MAX_BACKOFF: Duration = Duration::from_secs(8);
const BUF_BYTES: usize = 256 * 1024;

/// What `trainer ingest` fetches, and where downloads go.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct IngestConfig {
    /// Folder for downloaded files. [`load_config`] resolves a relative one against the config
    /// file's folder; when the field is absent it is [`DEFAULT_CACHE_DIR`] under the current
    /// folder (made absolute at parse time, so that this resolution leaves it alone).
    #[serde(default = "default_cache_dir")]
    pub cache_dir: PathBuf,
    pub sources: Vec<Source>,
}

/// One input file.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Source {
    /// Competition name, e.g. `World_Cup`; unique within a config. It names the downloaded file
    /// (`<name>.json.gz`), so it may hold only ASCII letters, digits, `_`, `-` and `.`.
    pub name: String,
    /// An `http://` or `https://` URL, or a local path ([`load_config`] resolves a relative
    /// path against the config file's folder). Its path must end in `.json` or `.json.gz`.
    pub location: String,
    /// Expected sha256 of the file's bytes (as stored: of the `.gz` for a `.json.gz`), 64 hex
    /// digits. Without it, whatever arrives is accepted and an existing download is reused.
    #[serde(default)]
    pub sha256: Option<String>,
}

/// One source, fetched and verified.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Fetched {
    pub name: String,
    /// The local file itself for a local source, else the file in the cache folder.
    pub path: PathBuf,
    /// sha256 of the file, lowercase hex.
    pub sha256: String,
    pub bytes: u64,
    /// True when an earlier download was reused without contacting the server; always false
    /// for a local source.
    pub from_cache: bool,
}

/// The config `trainer ingest` reads when given none: the six Wyscout competitions of the
/// shared data, pinned.
pub fn default_config_path() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("config/ingest.toml")
}

fn default_cache_dir() -> PathBuf {
    std::path::absolute(DEFAULT_CACHE_DIR).unwrap_or_else(|_| PathBuf::from(DEFAULT_CACHE_DIR))
}

/// Reads and checks an ingest config, resolving `cache_dir` and local `location`s against the
/// config file's folder. Errors name the file (and, for TOML errors, the line and the field);
/// unknown fields, duplicate or unusable names, malformed pins and locations that are neither a
/// `.json`/`.json.gz` path nor an http(s) URL are rejected.
pub fn load_config(path: &Path) -> Result<IngestConfig> {
    let text = fs::read_to_string(path)
        .with_context(|| format!("reading ingest config {}", path.display()))?;
    // toml's own message quotes the offending line, which may hold a URL's credentials: give
    // its reason and position only.
    let mut cfg: IngestConfig = toml::from_str(&text).map_err(|e| {
        let line = e
            .span()
            .map(|s| text[..s.start.min(text.len())].matches('\n').count() + 1);
        anyhow::anyhow!(
            "parsing ingest config {}{}: {}",
            path.display(),
            line.map_or(String::new(), |l| format!(", line {l}")),
            e.message()
        )
    })?;
    validate(&cfg).with_context(|| format!("checking ingest config {}", path.display()))?;
    let base = path.parent().unwrap_or(Path::new(""));
    cfg.cache_dir = base.join(&cfg.cache_dir);
    for source in &mut cfg.sources {
        if let Location::Local(p) = Location::parse(&source.location)? {
            let resolved = base.join(p);
            source.location = resolved.into_os_string().into_string().map_err(|p| {
                anyhow!(
                    "ingest config {}: source {}: the resolved path {} is not UTF-8",
                    path.display(),
                    source.name,
                    Path::new(&p).display()
                )
            })?;
        }
    }
    Ok(cfg)
}

/// Fetches every source in order (see the module docs) and returns them in config order.
/// Stops at the first source that fails. With `progress` and a terminal on stderr, each file
/// gets a progress bar; otherwise one plain line per file goes to stderr.
pub fn ingest(cfg: &IngestConfig, progress: bool) -> Result<Vec<Fetched>> {
    validate(cfg)?;
    let ui = Ui {
        bars: progress && std::io::stderr().is_terminal(),
    };
    let agent: ureq::Agent = ureq::Agent::config_builder()
        .timeout_resolve(Some(CONNECT_TIMEOUT))
        .timeout_connect(Some(CONNECT_TIMEOUT))
        .timeout_recv_response(Some(READ_TIMEOUT))
        .timeout_per_read(Some(READ_TIMEOUT))
        .http_status_as_error(false)
        .user_agent(concat!("xgoals-trainer/", env!("CARGO_PKG_VERSION")))
        .build()
        .into();
    cfg.sources
        .iter()
        .map(|source| match Location::parse(&source.location)? {
            Location::Local(path) => fetch_local(source, path, &ui),
            Location::Url(url) => fetch_url(&agent, &cfg.cache_dir, source, url, &ui),
        })
        .collect()
}

/// `url` with any user/password and query string replaced by `<redacted>` and without its
/// fragment: presigned URLs carry their credentials in the query string.
pub fn redact_url(url: &str) -> String {
    let url = url.split('#').next().unwrap_or(url);
    let (base, query) = match url.split_once('?') {
        Some((base, query)) => (base, Some(query)),
        None => (url, None),
    };
    let mut out = match base.split_once("://") {
        Some((scheme, rest)) => {
            // The last '@' before the query ends any credentials, even a password holding an
            // unencoded '/' (not valid in a URL, but it must not be printed either).
            match rest.rfind('@') {
                Some(at) => format!("{scheme}://<redacted>@{}", &rest[at + 1..]),
                None => base.to_owned(),
            }
        }
        None => base.to_owned(),
    };
    if query.is_some() {
        out.push_str("?<redacted>");
    }
    // A '?' inside a password ends `base` early; then everything after it is hidden above.
    if query.is_some_and(|q| q.contains('@')) && !out.contains("<redacted>@") {
        if let Some((scheme, _)) = base.split_once("://") {
            return format!("{scheme}://<redacted>");
        }
    }
    out
}

/// A checked `location`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Location<'a> {
    Url(&'a str),
    Local(&'a Path),
}

impl<'a> Location<'a> {
    fn parse(location: &'a str) -> Result<Self> {
        match location.split_once("://") {
            Some((scheme, _)) => {
                if scheme.eq_ignore_ascii_case("http") || scheme.eq_ignore_ascii_case("https") {
                    Ok(Location::Url(location))
                } else {
                    bail!(
                        "unsupported URL scheme {scheme:?} in {} (use http, https or a local path)",
                        redact_url(location)
                    )
                }
            }
            None if location.is_empty() => bail!("empty location"),
            None => Ok(Location::Local(Path::new(location))),
        }
    }

    /// `json.gz` or `json`, from the file name (for a URL: its path, before the query string).
    fn extension(&self) -> Result<&'static str> {
        let file_name = match self {
            Location::Url(url) => {
                let path = url.split(['?', '#']).next().unwrap_or(url);
                path.rsplit('/').next().unwrap_or(path).to_owned()
            }
            Location::Local(path) => path
                .file_name()
                .map(|n| n.to_string_lossy().into_owned())
                .unwrap_or_default(),
        };
        let lower = file_name.to_ascii_lowercase();
        if lower.ends_with(".json.gz") {
            Ok("json.gz")
        } else if lower.ends_with(".json") {
            Ok("json")
        } else {
            bail!(
                "{} ends in neither .json nor .json.gz",
                self.display_redacted()
            )
        }
    }

    fn display_redacted(&self) -> String {
        match self {
            Location::Url(url) => redact_url(url),
            Location::Local(path) => path.display().to_string(),
        }
    }
}

/// Checks what serde cannot: names, pins, locations.
fn validate(cfg: &IngestConfig) -> Result<()> {
    if cfg.sources.is_empty() {
        bail!("no sources: add at least one [[sources]] table");
    }
    let mut seen: HashMap<&str, usize> = HashMap::new();
    for (i, source) in cfg.sources.iter().enumerate() {
        let name = source.name.as_str();
        let name_ok = !name.is_empty()
            && !name.starts_with('.')
            && name
                .chars()
                .all(|c| c.is_ascii_alphanumeric() || matches!(c, '_' | '-' | '.'));
        if !name_ok {
            bail!(
                "sources[{i}].name {name:?}: use only ASCII letters, digits, '_', '-' and '.' \
                 (not first): the name becomes a file name"
            );
        }
        if let Some(first) = seen.insert(name, i) {
            bail!("sources[{i}].name {name:?} duplicates sources[{first}].name");
        }
        if let Some(pin) = &source.sha256 {
            if pin.len() != 64 || !pin.chars().all(|c| c.is_ascii_hexdigit()) {
                bail!("sources[{i}].sha256 {pin:?} (source {name}): expected 64 hex digits");
            }
        }
        Location::parse(&source.location)
            .and_then(|loc| loc.extension())
            .with_context(|| format!("sources[{i}].location (source {name})"))?;
    }
    Ok(())
}

fn fetch_local(source: &Source, path: &Path, ui: &Ui) -> Result<Fetched> {
    let name = &source.name;
    let len = fs::metadata(path)
        .with_context(|| format!("source {name}: local file {}", path.display()))?
        .len();
    let bar = ui.bar(name, Some(len), "hashing");
    let (sha256, bytes) = hash_file(path, &bar)
        .with_context(|| format!("source {name}: reading local file {}", path.display()))?;
    if let Some(pin) = &source.sha256 {
        if !pin.eq_ignore_ascii_case(&sha256) {
            bar.abandon();
            bail!(
                "source {name}: sha256 mismatch for local file {}: expected {}, actual {sha256}",
                path.display(),
                pin.to_ascii_lowercase()
            );
        }
    }
    ui.done(
        &bar,
        format!(
            "{name}: {} ({bytes} bytes, sha256 {})",
            path.display(),
            pin_note(source)
        ),
    );
    Ok(Fetched {
        name: name.clone(),
        path: path.to_owned(),
        sha256,
        bytes,
        from_cache: false,
    })
}

fn fetch_url(
    agent: &ureq::Agent,
    cache_dir: &Path,
    source: &Source,
    url: &str,
    ui: &Ui,
) -> Result<Fetched> {
    let name = &source.name;
    let shown = redact_url(url);
    let ext = Location::Url(url).extension()?;
    let dest = cache_dir.join(format!("{name}.{ext}"));
    let part = cache_dir.join(format!("{name}.{ext}.part"));
    let fetched = |sha256: String, bytes: u64, from_cache: bool| Fetched {
        name: name.clone(),
        path: dest.clone(),
        sha256,
        bytes,
        from_cache,
    };

    if dest.is_file() {
        let (sha256, bytes) = hash_file(&dest, &ProgressBar::hidden())
            .with_context(|| format!("source {name}: reading cached {}", dest.display()))?;
        match &source.sha256 {
            Some(pin) if !pin.eq_ignore_ascii_case(&sha256) => {
                ui.line(format!(
                    "{name}: cached {} has sha256 {sha256}, expected {}: downloading again",
                    dest.display(),
                    pin.to_ascii_lowercase()
                ));
                fs::remove_file(&dest)
                    .with_context(|| format!("removing stale {}", dest.display()))?;
            }
            _ => {
                ui.line(format!(
                    "{name}: cached {} ({bytes} bytes, sha256 {})",
                    dest.display(),
                    pin_note(source)
                ));
                return Ok(fetched(sha256, bytes, true));
            }
        }
    }

    fs::create_dir_all(cache_dir)
        .with_context(|| format!("creating cache folder {}", cache_dir.display()))?;
    let resumed_from = file_len(&part)?;
    let bar = ui.bar(name, None, "downloading");
    Download {
        agent,
        name,
        url,
        shown: shown.clone(),
        part: &part,
        bar: &bar,
        ui,
    }
    .run()?;

    bar.set_message("verifying");
    let (sha256, bytes) = hash_file(&part, &ProgressBar::hidden())
        .with_context(|| format!("source {name}: reading {}", part.display()))?;
    if let Some(pin) = &source.sha256 {
        if !pin.eq_ignore_ascii_case(&sha256) {
            bar.abandon();
            let removed = match fs::remove_file(&part) {
                Ok(()) => "removed the download".to_owned(),
                Err(e) => format!("could not remove {}: {e}", part.display()),
            };
            let hint = if resumed_from > 0 {
                format!(" (it resumed an earlier partial download of {resumed_from} bytes)")
            } else {
                String::new()
            };
            bail!(
                "source {name}: sha256 mismatch for {shown}: expected {}, actual {sha256}; \
                 {removed}{hint}",
                pin.to_ascii_lowercase()
            );
        }
    }
    fs::rename(&part, &dest)
        .with_context(|| format!("renaming {} to {}", part.display(), dest.display()))?;
    ui.done(
        &bar,
        format!(
            "{name}: downloaded {shown} to {} ({bytes} bytes, sha256 {})",
            dest.display(),
            pin_note(source)
        ),
    );
    Ok(fetched(sha256, bytes, false))
}

/// Why one HTTP attempt stopped short.
enum Failure {
    /// Worth another attempt, resuming from what `.part` holds: a dropped connection, a
    /// timeout, a 5xx.
    Transient(String),
    /// Final: a 4xx, a local I/O error.
    Fatal(anyhow::Error),
}

/// One URL being fetched into its `.part` file.
struct Download<'a> {
    agent: &'a ureq::Agent,
    name: &'a str,
    url: &'a str,
    /// `url` fit to print.
    shown: String,
    part: &'a Path,
    bar: &'a ProgressBar,
    ui: &'a Ui,
}

impl Download<'_> {
    /// Fills `part` with the whole body, resuming from its current length and retrying
    /// transient failures with backoff. Failing to get any response on the first attempt is
    /// final (unreachable host, refused connection).
    fn run(&self) -> Result<()> {
        let (name, shown) = (self.name, &self.shown);
        let mut reached_server = false;
        let mut failures = 0u32;
        loop {
            let before = file_len(self.part)?;
            let message = match self.attempt(before, &mut reached_server) {
                Ok(()) => return Ok(()),
                Err(Failure::Fatal(e)) => return Err(e),
                Err(Failure::Transient(message)) => message,
            };
            if !reached_server {
                bail!("source {name}: cannot reach {shown}: {message}");
            }
            let after = file_len(self.part)?;
            failures = if after > before { 1 } else { failures + 1 };
            if failures >= MAX_ATTEMPTS {
                bail!(
                    "source {name}: download of {shown} failed {failures} times in a row \
                     ({after} bytes kept in {}, the next run resumes from there); last: {message}",
                    self.part.display()
                );
            }
            let wait = FIRST_BACKOFF
                .saturating_mul(1 << (failures - 1))
                .min(MAX_BACKOFF);
            self.ui.line_over(
                self.bar,
                format!(
                    "{name}: {message}; resuming from byte {after} in {:.2} s \
                     (attempt {} of {MAX_ATTEMPTS})",
                    wait.as_secs_f64(),
                    failures + 1
                ),
            );
            std::thread::sleep(wait);
        }
    }

    /// One GET from byte `offset` (the current length of `part`).
    fn attempt(&self, offset: u64, reached_server: &mut bool) -> Result<(), Failure> {
        let mut request = self.agent.get(self.url);
        if offset > 0 {
            request = request.header("Range", format!("bytes={offset}-"));
        }
        let response = request
            .call()
            .map_err(|e| Failure::Transient(scrub(&e.to_string(), self.url)))?;
        *reached_server = true;
        let status = response.status();
        let content_range = response
            .headers()
            .get("content-range")
            .and_then(|v| v.to_str().ok())
            .map(str::to_owned);
        let (file, start, total) = match status.as_u16() {
            200 => {
                // The whole file, also when the server ignored our Range.
                if offset > 0 {
                    self.ui.line_over(
                        self.bar,
                        format!(
                            "{}: the server does not resume downloads; starting over",
                            self.name
                        ),
                    );
                }
                let file = File::create(self.part).map_err(|e| self.io_fatal("creating", e))?;
                (file, 0, response.body().content_length())
            }
            206 => match content_range.as_deref().and_then(parse_content_range) {
                Some((start, total)) if start == offset => {
                    let file = OpenOptions::new()
                        .append(true)
                        .open(self.part)
                        .map_err(|e| self.io_fatal("opening", e))?;
                    (file, start, total)
                }
                _ => {
                    File::create(self.part).map_err(|e| self.io_fatal("truncating", e))?;
                    return Err(Failure::Transient(format!(
                        "asked for bytes from {offset}, got Content-Range {content_range:?}; \
                         starting over"
                    )));
                }
            },
            416 if offset > 0 => {
                // Nothing left to send: `part` is complete, unless the server says the file
                // has another length (`Content-Range: bytes */LEN`): then `part` is stale.
                let len = content_range.as_deref().and_then(|r| {
                    let len = r.trim().strip_prefix("bytes */")?;
                    len.trim().parse::<u64>().ok()
                });
                return match len {
                    Some(len) if len != offset => {
                        File::create(self.part).map_err(|e| self.io_fatal("truncating", e))?;
                        Err(Failure::Transient(format!(
                            "the partial download has {offset} bytes but the file has {len}; \
                             starting over"
                        )))
                    }
                    _ => Ok(()),
                };
            }
            408 | 429 | 500..=599 => {
                return Err(Failure::Transient(format!("HTTP {}", status_text(status))));
            }
            code => {
                let hint = match code {
                    401 | 403 => " (a presigned URL may have expired: get a fresh one)",
                    404 | 410 => " (wrong URL, or an expired presigned URL)",
                    _ => "",
                };
                return Err(Failure::Fatal(anyhow!(
                    "source {}: HTTP {} from {}{hint}",
                    self.name,
                    status_text(status),
                    self.shown
                )));
            }
        };
        match total {
            Some(total) => self.bar.set_length(total),
            None => self.bar.unset_length(),
        }
        self.bar.set_position(start);
        self.copy_body(response.into_body(), file, start, total)
    }

    /// Appends the body to `file` (which holds `start` bytes), up to `total` if known.
    fn copy_body(
        &self,
        body: ureq::Body,
        mut file: File,
        start: u64,
        total: Option<u64>,
    ) -> Result<(), Failure> {
        let mut reader = body.into_reader();
        let mut buf = vec![0u8; BUF_BYTES];
        let mut written = start;
        loop {
            let n = match reader.read(&mut buf) {
                Ok(0) => break,
                Ok(n) => n,
                Err(e) if e.kind() == std::io::ErrorKind::Interrupted => continue,
                Err(e) => {
                    return Err(Failure::Transient(format!(
                        "connection lost after {written} bytes: {}",
                        scrub(&e.to_string(), self.url)
                    )));
                }
            };
            file.write_all(&buf[..n])
                .map_err(|e| self.io_fatal("writing", e))?;
            written += n as u64;
            self.bar.set_position(written);
        }
        file.flush().map_err(|e| self.io_fatal("writing", e))?;
        match total {
            Some(total) if written != total => Err(Failure::Transient(format!(
                "connection closed after {written} of {total} bytes"
            ))),
            _ => Ok(()),
        }
    }

    fn io_fatal(&self, what: &str, e: std::io::Error) -> Failure {
        Failure::Fatal(anyhow!(
            "source {}: {what} {}: {e}",
            self.name,
            self.part.display()
        ))
    }
}

/// `bytes START-END/TOTAL` → (START, TOTAL if known).
fn parse_content_range(value: &str) -> Option<(u64, Option<u64>)> {
    let rest = value.trim().strip_prefix("bytes ")?;
    let (range, total) = rest.split_once('/')?;
    let (start, end) = range.split_once('-')?;
    let start: u64 = start.trim().parse().ok()?;
    let end: u64 = end.trim().parse().ok()?;
    if end < start {
        return None;
    }
    let total = match total.trim() {
        "*" => None,
        t => Some(t.parse().ok()?),
    };
    Some((start, total))
}

fn status_text(status: ureq::http::StatusCode) -> String {
    match status.canonical_reason() {
        Some(reason) => format!("{} {reason}", status.as_u16()),
        None => status.as_u16().to_string(),
    }
}

/// `message` with `url`'s query string (and user info) replaced, in case a lower layer quoted
/// the URL.
fn scrub(message: &str, url: &str) -> String {
    let mut out = message.replace(url, &redact_url(url));
    if let Some((_, query)) = url.split('#').next().unwrap_or(url).split_once('?') {
        if !query.is_empty() {
            out = out.replace(query, "<redacted>");
        }
    }
    out
}

fn file_len(path: &Path) -> Result<u64> {
    match fs::metadata(path) {
        Ok(meta) => Ok(meta.len()),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(0),
        Err(e) => Err(e).with_context(|| format!("reading {}", path.display())),
    }
}

/// (sha256 as lowercase hex, length) of a file, advancing `bar` as it reads.
fn hash_file(path: &Path, bar: &ProgressBar) -> std::io::Result<(String, u64)> {
    let mut file = File::open(path)?;
    let mut hasher = Sha256::new();
    let mut buf = vec![0u8; BUF_BYTES];
    let mut bytes = 0u64;
    loop {
        let n = match file.read(&mut buf) {
            Ok(0) => break,
            Ok(n) => n,
            Err(e) if e.kind() == std::io::ErrorKind::Interrupted => continue,
            Err(e) => return Err(e),
        };
        hasher.update(&buf[..n]);
        bytes += n as u64;
        bar.set_position(bytes);
    }
    Ok((format!("{:x}", hasher.finalize()), bytes))
}

fn pin_note(source: &Source) -> &'static str {
    if source.sha256.is_some() {
        "verified"
    } else {
        "not pinned"
    }
}

/// Progress bars on a terminal, else plain lines; both on stderr.
struct Ui {
    bars: bool,
}

impl Ui {
    fn bar(&self, name: &str, len: Option<u64>, what: &'static str) -> ProgressBar {
        if !self.bars {
            return ProgressBar::hidden();
        }
        let bar = ProgressBar::with_draw_target(len, ProgressDrawTarget::stderr());
        let template = "{prefix} {msg} [{wide_bar}] {bytes}/{total_bytes} {bytes_per_sec} {eta}";
        if let Ok(style) = ProgressStyle::with_template(template) {
            bar.set_style(style.progress_chars("=> "));
        }
        bar.set_prefix(name.to_owned());
        bar.set_message(what);
        bar
    }

    /// Replaces `bar` by the plain line `summary` (the only output when there are no bars).
    fn done(&self, bar: &ProgressBar, summary: String) {
        bar.finish_and_clear();
        eprintln!("ingest {summary}");
    }

    fn line(&self, message: String) {
        eprintln!("ingest {message}");
    }

    /// A plain line, printed above `bar` while it is drawn.
    fn line_over(&self, bar: &ProgressBar, message: String) {
        bar.suspend(|| self.line(message));
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn redaction_hides_query_and_credentials() {
        assert_eq!(
            redact_url("https://b.s3.amazonaws.com/x/events_Spain.json.gz?X-Amz-Signature=abc#f"),
            "https://b.s3.amazonaws.com/x/events_Spain.json.gz?<redacted>"
        );
        assert_eq!(
            redact_url("http://user:pw@host:8080/a.json"),
            "http://<redacted>@host:8080/a.json"
        );
        assert_eq!(redact_url("http://host/a.json"), "http://host/a.json");
        // Unencoded '/' or '?' in a password: nothing of it may show.
        for url in [
            "https://user:HUN/TER2@127.0.0.1:9/a.json",
            "https://user:HUN?TER2@127.0.0.1:9/a.json",
        ] {
            let shown = redact_url(url);
            assert!(
                !shown.contains("HUN") && !shown.contains("TER2") && !shown.contains("user"),
                "{shown}"
            );
        }
        assert_eq!(
            scrub(
                "bad uri: http://h/a.json?sig=s3cr3t",
                "http://h/a.json?sig=s3cr3t"
            ),
            "bad uri: http://h/a.json?<redacted>"
        );
    }

    #[test]
    fn a_config_that_does_not_parse_never_shows_its_urls() {
        let dir = tempfile::tempdir().unwrap();
        for text in [
            "sources = [{name = \"a\", location = \"https://user:HUNTER2@h/a.json?X-Amz-Signature=TOPSECRET\", sha256 = 1}]",
            "[[sources]]\nname = \"a\"\nlocation = \"https://user:HUNTER2@h/a.json?X-Amz-Signature=TOPSECRET",
        ] {
            let path = dir.path().join("ingest.toml");
            fs::write(&path, text).unwrap();
            let e = format!("{:#}", load_config(&path).unwrap_err());
            assert!(e.contains("ingest.toml") && e.contains("line"), "{e}");
            assert!(!e.contains("HUNTER2") && !e.contains("TOPSECRET"), "{e}");
        }
    }

    #[test]
    fn extension_comes_from_the_url_path() {
        let ext = |s| Location::parse(s).and_then(|l| l.extension());
        assert_eq!(
            ext("https://h/d/events_Italy.json.gz?x=1.csv").unwrap(),
            "json.gz"
        );
        assert_eq!(ext("HTTP://h/d/teams.JSON").unwrap(), "json");
        assert_eq!(ext("../data/events.json.gz").unwrap(), "json.gz");
        assert!(ext("https://h/d/events.csv?f=a.json").is_err());
        assert!(ext("https://h/").is_err());
        assert!(Location::parse("s3://bucket/a.json").is_err());
        assert!(Location::parse("").is_err());
    }

    #[test]
    fn content_range_parsing() {
        assert_eq!(
            parse_content_range("bytes 100-299/300"),
            Some((100, Some(300)))
        );
        assert_eq!(parse_content_range("bytes 5-9/*"), Some((5, None)));
        assert_eq!(parse_content_range("bytes */300"), None);
        assert_eq!(parse_content_range("bytes 9-5/300"), None);
    }
}
