//! The shot table: every shot for xG in a set of Wyscout event files, converted by
//! `scorer::wyscout` (the trainer has no feature code of its own), with its label and the
//! metadata evaluation and reports need. Parsed once, then cached by content hash.

use anyhow::{bail, Context as _, Result};
use scorer::context::{self, Unread};
use scorer::shot::{Shot, FLAT_SHOT_BYTES};
use scorer::wyscout::{self, Event, MatchPeriod, PhaseWindow};
use serde_json::value::RawValue;
use sha2::{Digest, Sha256};
use std::io::Read;
use std::path::{Path, PathBuf};

/// One shot with its label.
#[derive(Debug, Clone, PartialEq)]
pub struct ShotRow {
    /// Index into [`ShotTable::competitions`].
    pub competition: u16,
    pub match_id: u64,
    pub event_id: u64,
    pub team_id: u64,
    pub player_id: u64,
    /// Wyscout `matchPeriod` as a code: 1 (1H), 2 (2H), 3 (E1), 4 (E2).
    pub period: u8,
    /// Seconds since the period started.
    pub event_sec: f32,
    pub goal: bool,
    pub shot: Shot,
}

impl ShotRow {
    /// Minute of the match (0-based), counting 45 minutes per half and 15 per extra-time half
    /// (the page's match clock, `web::data::period_minutes`).
    pub fn minute(&self) -> f32 {
        web::data::period_minutes(self.period).0 as f32 + self.event_sec / 60.0
    }
}

/// Shots of one or more competitions.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct ShotTable {
    pub competitions: Vec<String>,
    pub rows: Vec<ShotRow>,
    /// Events that could not be read (malformed), summed over files.
    pub skipped_events: usize,
    /// Shot events that could not become shots, summed over files.
    pub skipped_shots: usize,
    /// The first few skip reasons, each naming its file and event.
    pub warnings: Vec<String>,
}

const MAX_WARNINGS: usize = 20;

fn period_code(p: MatchPeriod) -> u8 {
    match p {
        MatchPeriod::FirstHalf => 1,
        MatchPeriod::SecondHalf => 2,
        MatchPeriod::ExtraTimeFirstHalf => 3,
        // Shoot-out kicks are not shots, so no row has that period.
        MatchPeriod::ExtraTimeSecondHalf | MatchPeriod::ShootOut => 4,
    }
}

/// The competition name of an events file: `events_World_Cup.json.gz` → `World_Cup`.
pub fn competition_of(path: &Path) -> String {
    let name = path
        .file_name()
        .and_then(|n| n.to_str())
        .unwrap_or("events");
    let stem = name.trim_end_matches(".gz").trim_end_matches(".json");
    stem.strip_prefix("events_").unwrap_or(stem).to_string()
}

/// The first bytes of every gzip stream: files that start with them are decompressed, whatever
/// their name.
const GZIP_MAGIC: [u8; 2] = [0x1f, 0x8b];
/// A UTF-8 byte-order mark, which some tools write before JSON. RFC 8259 lets a parser ignore
/// it, and the readers here do.
const UTF8_BOM: &str = "\u{feff}";

/// Reads a `.json` or `.json.gz` file to text (without a leading byte-order mark), naming the
/// file in every error.
pub fn read_text(path: &Path) -> Result<String> {
    let mut text = read_text_as_is(path)?;
    if text.starts_with(UTF8_BOM) {
        text.drain(..UTF8_BOM.len());
    }
    Ok(text)
}

fn read_text_as_is(path: &Path) -> Result<String> {
    let bytes = std::fs::read(path).with_context(|| format!("reading {}", path.display()))?;
    let gz = bytes.starts_with(&GZIP_MAGIC);
    if gz {
        let mut text = String::with_capacity(bytes.len() * 12);
        flate2::read::MultiGzDecoder::new(&bytes[..])
            .read_to_string(&mut text)
            .with_context(|| {
                format!(
                    "decompressing {}: corrupt or truncated gzip after {} bytes of text",
                    path.display(),
                    text.len()
                )
            })?;
        Ok(text)
    } else {
        String::from_utf8(bytes).with_context(|| format!("{}: not UTF-8 text", path.display()))
    }
}

/// Parses one events file into its own shot table (competition 0; [`load`] numbers the
/// competitions), skipping (and counting) malformed events.
///
/// Shots are converted as their events go by ([`wyscout::PhaseWindow`]), so a file's events
/// are never all in memory at once. The common case, every event well formed, is one
/// streaming pass straight from the decompressing reader, so neither the events nor the text
/// (about 190 MB for a league season) are ever whole in memory. Otherwise that pass's table is
/// dropped and the file is read again as text, event by event, skipping and counting the
/// malformed ones (and naming the file in any error about its gzip, UTF-8 or JSON).
pub fn load_events_file(path: &Path) -> Result<ShotTable> {
    if let Some(table) = stream_events_file(path) {
        return Ok(table);
    }
    let text = read_text(path)?;
    let mut file = FileShots::new(path);
    let mut read = 0;
    for (i, event) in events_in::<Event>(path, &text, "Wyscout")?.enumerate() {
        match event {
            Ok(e) => {
                read += 1;
                file.push(e);
            }
            Err(warning) => {
                file.unread.unreadable(i);
                file.table.skip_event(warning);
            }
        }
    }
    no_event_read(
        path,
        read,
        &file.table,
        "Wyscout",
        "StatsBomb (--statsbomb)",
    )?;
    Ok(file.table)
}

/// The elements of a file's JSON array of a provider's events, each parsed on its own: a
/// malformed one comes back as the warning that names the file and the event's position, so
/// the caller can skip it and go on. An error (naming the file) if the text is not an array.
pub(crate) fn events_in<'t, E: serde::de::DeserializeOwned>(
    path: &'t Path,
    text: &'t str,
    provider: &str,
) -> Result<impl Iterator<Item = Result<E, String>> + 't> {
    let raw: Vec<&RawValue> = serde_json::from_str(text)
        .with_context(|| format!("{}: not a JSON array of {provider} events", path.display()))?;
    Ok(raw.into_iter().enumerate().map(move |(i, r)| {
        scorer::json::parse_naming_the_field(r.get())
            .map_err(|e| format!("{}: event #{i} skipped: {e}", path.display()))
    }))
}

/// An error when not one of a file's events could be read: the file is another provider's
/// (or not events at all), which one error says better than a warning per event.
pub(crate) fn no_event_read(
    path: &Path,
    read: usize,
    table: &ShotTable,
    provider: &str,
    other: &str,
) -> Result<()> {
    if read == 0 && table.skipped_events > 0 {
        bail!(
            "{}: none of its {} events is a {provider} event; is it a {other} file? (first: {})",
            path.display(),
            table.skipped_events,
            table.warnings.first().map_or("", String::as_str)
        );
    }
    Ok(())
}

/// The streaming pass of [`load_events_file`]: `None` if anything at all goes wrong (the
/// careful pass then finds and reports it).
fn stream_events_file(path: &Path) -> Option<ShotTable> {
    let mut file = std::io::BufReader::with_capacity(1 << 16, std::fs::File::open(path).ok()?);
    let gz = std::io::BufRead::fill_buf(&mut file)
        .ok()?
        .starts_with(&GZIP_MAGIC);
    if gz {
        stream_events(path, flate2::bufread::MultiGzDecoder::new(file), 1 << 20)
    } else {
        stream_events(path, file, 1 << 20)
    }
}

/// The events of a JSON array read from `input` `chunk` bytes at a time: each element's bytes are
/// found by a scan that tracks strings and nesting, then parsed with `serde_json` from the
/// slice (several times faster than `serde_json`'s own reader, which takes a byte per call).
/// Only the chunk and the element being read are in memory. `None` for anything that is not
/// a clean array of well-formed, UTF-8 events.
fn stream_events<R: Read>(path: &Path, mut input: R, chunk: usize) -> Option<ShotTable> {
    let mut shots = FileShots::new(path);
    let mut buf: Vec<u8> = Vec::with_capacity(2 * chunk);
    // Scan state: nesting depth (1 inside the top array), inside a string, after a backslash.
    let (mut depth, mut in_string, mut escaped) = (0usize, false, false);
    let mut closed = false;
    let mut elements = 0usize;
    // Where the current element starts in `buf` and where the scan goes on.
    let (mut start, mut at) = (0usize, 0usize);
    let mut first = true;
    loop {
        let got = input
            .by_ref()
            .take(chunk as u64)
            .read_to_end(&mut buf)
            .ok()?;
        if got == 0 {
            break;
        }
        if std::mem::take(&mut first) && buf.starts_with(UTF8_BOM.as_bytes()) {
            at = UTF8_BOM.len();
        }
        while at < buf.len() {
            let c = buf[at];
            at += 1;
            if closed {
                if !c.is_ascii_whitespace() {
                    return None;
                }
                continue;
            }
            if in_string {
                match (escaped, c) {
                    (true, _) => escaped = false,
                    (false, b'\\') => escaped = true,
                    (false, b'"') => in_string = false,
                    // Most of an event's bytes are inside strings: skip to the next quote or
                    // backslash.
                    _ => match memchr::memchr2(b'"', b'\\', &buf[at..]) {
                        Some(k) => at += k,
                        None => at = buf.len(),
                    },
                }
                continue;
            }
            match c {
                // Before the array: whitespace, then its `[`.
                b'[' if depth == 0 => {
                    depth = 1;
                    start = at;
                }
                _ if depth == 0 && !c.is_ascii_whitespace() => return None,
                b'"' => in_string = true,
                b'[' | b'{' => depth += 1,
                b',' if depth == 1 => {
                    shots.push(event_of(&buf[start..at - 1])?);
                    elements += 1;
                    start = at;
                }
                b']' if depth == 1 => {
                    let last = &buf[start..at - 1];
                    if elements > 0 || !last.iter().all(u8::is_ascii_whitespace) {
                        shots.push(event_of(last)?);
                    }
                    depth = 0;
                    closed = true;
                }
                // The array closed by a brace: the scan would lose its place.
                b'}' if depth == 1 => return None,
                b']' | b'}' => depth -= 1,
                _ => {}
            }
        }
        // Keep only the element being read (nothing once the array is closed).
        let keep = if closed { at } else { start };
        buf.drain(..keep);
        at -= keep;
        start = 0;
    }
    closed.then_some(shots.table)
}

/// One array element's bytes as an event.
fn event_of(bytes: &[u8]) -> Option<Event> {
    serde_json::from_str(std::str::from_utf8(bytes).ok()?).ok()
}

/// One file's shots as its events go by.
struct FileShots<'a> {
    path: &'a Path,
    window: PhaseWindow,
    /// Malformed events, whose absence would change the context of the shots after them.
    unread: Unread,
    table: ShotTable,
}

impl<'a> FileShots<'a> {
    fn new(path: &'a Path) -> Self {
        FileShots {
            path,
            window: PhaseWindow::new(),
            unread: Unread::new(),
            table: ShotTable::default(),
        }
    }

    /// The next event of the file: a row if it is a usable shot, a counted warning if it is
    /// a shot that cannot be converted or whose context may have needed a malformed event.
    fn push(&mut self, event: Event) {
        let phase = (event.match_id, period_code(event.match_period));
        let unread = self.unread.event(phase, event.event_sec);
        let Some((e, shot)) = self.window.push(event) else {
            return;
        };
        let shot = match (shot, unread) {
            (Ok(_), Some(n)) => Err(context_gap(e.id, n)),
            (shot, _) => shot.map_err(|err| err.to_string()),
        };
        match shot {
            Ok(shot) => self.table.rows.push(ShotRow {
                competition: 0,
                match_id: e.match_id,
                event_id: e.id,
                team_id: e.team_id,
                player_id: e.player_id,
                period: period_code(e.match_period),
                event_sec: e.event_sec as f32,
                goal: wyscout::is_goal(e),
                shot,
            }),
            Err(err) => self.table.skip_shot(self.path, err),
        }
    }
}

/// Why a shot is skipped when an event its context may have read (event `n` of the file)
/// was malformed: converted without it, the shot would get a context the feed does not give.
pub(crate) fn context_gap(shot: impl std::fmt::Display, n: usize) -> String {
    format!(
        "shot {shot}: event #{n}, within the {} events or {} s its context reads, was malformed, \
         so its context is unknown",
        context::LOOKBACK_EVENTS,
        context::LOOKBACK_S
    )
}

/// Version of what the loaders here make of a file (beside the scorer's conversion rules,
/// [`wyscout::CONVERSION_VERSION`]). Bump it whenever they change which rows a file gives, so
/// cached shot tables are rebuilt. 2: shots whose context may have read a malformed event are
/// skipped.
const TABLE_VERSION: u32 = 2;

/// Content fingerprint of the inputs and of the conversion that turns them into shots.
pub fn fingerprint(paths: &[PathBuf]) -> Result<String> {
    let mut h = Sha256::new();
    h.update(format!(
        "conversion {} table {TABLE_VERSION} features {:016x}\n",
        wyscout::CONVERSION_VERSION,
        scorer::FEATURE_SET_ID
    ));
    for p in paths {
        let bytes = std::fs::read(p).with_context(|| format!("reading {}", p.display()))?;
        h.update(competition_of(p).as_bytes());
        h.update(Sha256::digest(&bytes));
    }
    Ok(hex(&h.finalize()))
}

pub fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

/// Loads event files into a shot table, in parallel across files (each file is one
/// competition). Order of rows follows the order of `paths`.
pub fn load(paths: &[PathBuf], progress: &(dyn Fn(&str) + Sync)) -> Result<ShotTable> {
    if paths.is_empty() {
        bail!("no event files given");
    }
    let threads = std::thread::available_parallelism().map_or(1, |n| n.get());
    let mut parts: Vec<Option<Result<ShotTable>>> = (0..paths.len()).map(|_| None).collect();
    // Largest files first, so the cores finish together.
    let mut order: Vec<usize> = (0..paths.len()).collect();
    let size = |i: usize| std::fs::metadata(&paths[i]).map_or(0, |m| m.len());
    order.sort_by_key(|&i| std::cmp::Reverse(size(i)));
    let next = std::sync::atomic::AtomicUsize::new(0);
    let results = std::sync::Mutex::new(&mut parts);
    std::thread::scope(|s| {
        for _ in 0..threads.min(paths.len()) {
            s.spawn(|| loop {
                let k = next.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
                let Some(&i) = order.get(k) else {
                    break;
                };
                let r = load_events_file(&paths[i]);
                progress(&format!("  read {}", paths[i].display()));
                results.lock().expect("no panics while locked")[i] = Some(r);
            });
        }
    });
    let mut table = ShotTable::default();
    // Which file each match came from: the same matches given twice (the same file twice, or
    // a copy elsewhere) would count every shot twice.
    let mut match_file: std::collections::HashMap<u64, usize> = Default::default();
    for (k, (path, part)) in paths.iter().zip(parts).enumerate() {
        let part = part.expect("every file was processed")?;
        for r in &part.rows {
            let first = *match_file.entry(r.match_id).or_insert(k);
            if first != k {
                bail!(
                    "match {} is in both {} and {}: give each match once (its shots would count twice)",
                    r.match_id,
                    paths[first].display(),
                    path.display()
                );
            }
        }
        let name = competition_of(path);
        let code = match table.competitions.iter().position(|c| *c == name) {
            Some(c) => c,
            None => {
                table.competitions.push(name);
                table.competitions.len() - 1
            }
        } as u16;
        table.skipped_events += part.skipped_events;
        table.skipped_shots += part.skipped_shots;
        for w in part.warnings {
            table.warn(w);
        }
        table.rows.extend(part.rows.into_iter().map(|r| ShotRow {
            competition: code,
            ..r
        }));
    }
    Ok(table)
}

const CACHE_MAGIC: &[u8; 8] = b"XGSHOTS1";
const ROW_BYTES: usize = 8 * 4 + 2 + 1 + 1 + 4 + FLAT_SHOT_BYTES;

impl ShotTable {
    /// Keeps the first [`MAX_WARNINGS`] skip reasons (the counts keep the rest).
    pub(crate) fn warn(&mut self, message: String) {
        if self.warnings.len() < MAX_WARNINGS {
            self.warnings.push(message);
        }
    }

    /// Counts a malformed event that was skipped, with its warning.
    pub(crate) fn skip_event(&mut self, warning: String) {
        self.skipped_events += 1;
        self.warn(warning);
    }

    /// Counts a shot event of `path` that could not become a shot, with the reason.
    pub(crate) fn skip_shot(&mut self, path: &Path, reason: impl std::fmt::Display) {
        self.skipped_shots += 1;
        self.warn(format!("{}: shot skipped: {reason}", path.display()));
    }

    /// Serialises the table (the parse cache).
    pub fn to_bytes(&self) -> Vec<u8> {
        let header = serde_json::json!({
            "competitions": self.competitions,
            "skipped_events": self.skipped_events,
            "skipped_shots": self.skipped_shots,
            "warnings": self.warnings,
        })
        .to_string();
        let mut b = Vec::with_capacity(16 + header.len() + self.rows.len() * ROW_BYTES);
        b.extend_from_slice(CACHE_MAGIC);
        b.extend_from_slice(&(header.len() as u32).to_le_bytes());
        b.extend_from_slice(header.as_bytes());
        b.extend_from_slice(&(self.rows.len() as u32).to_le_bytes());
        for r in &self.rows {
            for v in [r.match_id, r.event_id, r.team_id, r.player_id] {
                b.extend_from_slice(&v.to_le_bytes());
            }
            b.extend_from_slice(&r.competition.to_le_bytes());
            b.push(r.period);
            b.push(r.goal as u8);
            b.extend_from_slice(&r.event_sec.to_le_bytes());
            b.extend_from_slice(&r.shot.to_flat());
        }
        b
    }

    /// Reads a cache written by [`ShotTable::to_bytes`]; `None` if it is not one (a stale or
    /// damaged cache is rebuilt, never trusted).
    pub fn from_bytes(b: &[u8]) -> Option<ShotTable> {
        let rest = b.strip_prefix(CACHE_MAGIC)?;
        let (len, rest) = rest.split_at_checked(4)?;
        let len = u32::from_le_bytes(len.try_into().ok()?) as usize;
        let (header, rest) = rest.split_at_checked(len)?;
        let header: serde_json::Value = serde_json::from_slice(header).ok()?;
        let (n, mut rest) = rest.split_at_checked(4)?;
        let n = u32::from_le_bytes(n.try_into().ok()?) as usize;
        if rest.len() != n.checked_mul(ROW_BYTES)? {
            return None;
        }
        let mut rows = Vec::with_capacity(n);
        while !rest.is_empty() {
            let (r, tail) = rest.split_at(ROW_BYTES);
            rest = tail;
            let u64_at = |i: usize| u64::from_le_bytes(r[i..i + 8].try_into().expect("8 bytes"));
            rows.push(ShotRow {
                match_id: u64_at(0),
                event_id: u64_at(8),
                team_id: u64_at(16),
                player_id: u64_at(24),
                competition: u16::from_le_bytes([r[32], r[33]]),
                period: r[34],
                goal: r[35] != 0,
                event_sec: f32::from_le_bytes(r[36..40].try_into().expect("4 bytes")),
                shot: Shot::from_flat(&r[40..]).ok()?,
            });
        }
        Some(ShotTable {
            competitions: serde_json::from_value(header["competitions"].clone()).ok()?,
            skipped_events: header["skipped_events"].as_u64()? as usize,
            skipped_shots: header["skipped_shots"].as_u64()? as usize,
            warnings: serde_json::from_value(header["warnings"].clone()).ok()?,
            rows,
        })
    }

    /// Loads through the cache in `cache_dir`: a second run with the same inputs reads the
    /// table back instead of parsing the JSON again. Returns the table and its fingerprint.
    pub fn load_cached(
        paths: &[PathBuf],
        cache_dir: &Path,
        progress: &(dyn Fn(&str) + Sync),
    ) -> Result<(ShotTable, String)> {
        let fp = fingerprint(paths)?;
        let cache = cache_dir.join(format!("shots-{}.bin", &fp[..16]));
        if let Ok(bytes) = std::fs::read(&cache) {
            if let Some(t) = ShotTable::from_bytes(&bytes) {
                progress(&format!("shot table from cache {}", cache.display()));
                return Ok((t, fp));
            }
        }
        progress(&format!("parsing {} event file(s)", paths.len()));
        let table = load(paths, progress)?;
        std::fs::create_dir_all(cache_dir)
            .with_context(|| format!("creating {}", cache_dir.display()))?;
        let tmp = cache.with_extension("tmp");
        std::fs::write(&tmp, table.to_bytes())
            .and_then(|()| std::fs::rename(&tmp, &cache))
            .with_context(|| format!("writing {}", cache.display()))?;
        Ok((table, fp))
    }

    pub fn n_goals(&self) -> usize {
        self.rows.iter().filter(|r| r.goal).count()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn competition_names_come_from_file_names() {
        assert_eq!(
            competition_of(Path::new("/x/events_World_Cup.json.gz")),
            "World_Cup"
        );
        assert_eq!(competition_of(Path::new("Italy.json")), "Italy");
    }

    fn event_json(id: u64, sec: f64, shot: bool) -> String {
        let (eid, sub, tags) = if shot {
            (10, 100, r#"[{"id": 101}, {"id": 402}]"#)
        } else {
            (8, 80, r#"[{"id": 801}]"#)
        };
        format!(
            r#"{{"eventId": {eid}, "subEventName": "x", "tags": {tags}, "playerId": 1,
            "positions": [{{"y": 40, "x": 88}}, {{"y": 50, "x": 95}}], "matchId": 3,
            "eventName": "x", "teamId": 1, "matchPeriod": "1H", "eventSec": {sec},
            "subEventId": {sub}, "id": {id}}}"#
        )
    }

    fn load(events: &[String]) -> ShotTable {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("events_Test.json");
        std::fs::write(&path, format!("[{}]", events.join(","))).unwrap();
        load_events_file(&path).unwrap()
    }

    #[test]
    fn a_malformed_event_is_skipped_and_the_streamed_rows_are_not_kept_twice() {
        let good: Vec<String> = (0..8)
            .map(|i| event_json(i, i as f64, i % 3 == 2))
            .collect();
        let clean = load(&good);
        assert_eq!(clean.rows.len(), 2);
        assert_eq!((clean.skipped_events, clean.skipped_shots), (0, 0));
        // The same file with a broken event after the first shot: the streaming pass fails
        // there, and the event-by-event pass gives the clean file's rows once each.
        let mut bad = good.clone();
        bad.insert(
            4,
            event_json(99, 3.5, false).replace(r#""matchId": 3"#, r#""matchId": "three""#),
        );
        let broken = load(&bad);
        // The shot before it is kept once; the shot right after it (id 5) is skipped, since
        // its context reads the events just before it.
        assert_eq!(broken.rows, clean.rows[..1]);
        assert_eq!((broken.skipped_events, broken.skipped_shots), (1, 1));
        assert_eq!(broken.warnings.len(), 2);
        // The warning names the event and its field, and no line or column (they would
        // count inside the event, not the file).
        assert!(
            broken.warnings[0].ends_with(
                "event #4 skipped: matchId: invalid type: string \"three\", expected u64"
            ),
            "{:?}",
            broken.warnings
        );
        assert!(
            broken.warnings[1].contains("shot 5: event #4")
                && broken.warnings[1].contains("context"),
            "{:?}",
            broken.warnings
        );
    }

    #[test]
    fn a_file_of_another_providers_events_is_one_error() {
        let dir = tempfile::tempdir().unwrap();
        let statsbomb = r#"{"index": 1, "period": 1, "timestamp": "00:00:01.000",
            "type": {"id": 30}, "team": {"id": 1}, "location": [60.0, 40.0]}"#;
        let path = write_file(
            dir.path(),
            "events_Sb.json",
            &format!("[{statsbomb}, {statsbomb}]"),
        );
        let e = format!("{:#}", load_events_file(&path).unwrap_err());
        assert!(
            e.contains("events_Sb.json: none of its 2 events is a Wyscout event")
                && e.contains("--statsbomb"),
            "{e}"
        );
        // An empty array is no such error: a file may have no events.
        let empty = write_file(dir.path(), "events_Empty.json", "[]");
        assert!(load_events_file(&empty).unwrap().rows.is_empty());
    }

    #[test]
    fn the_same_matches_given_twice_are_refused_naming_both_files() {
        let dir = tempfile::tempdir().unwrap();
        let a = write_file(dir.path(), "events_A.json", &events_text(6, 2));
        std::fs::create_dir(dir.path().join("copy")).unwrap();
        let copy = write_file(
            &dir.path().join("copy"),
            "events_B.json",
            &events_text(6, 2),
        );
        for paths in [vec![a.clone(), a.clone()], vec![a.clone(), copy.clone()]] {
            let e = format!("{:#}", super::load(&paths, &|_| {}).unwrap_err());
            assert!(
                e.contains("match 3") && e.contains(&*paths[1].display().to_string()),
                "{e}"
            );
        }
        assert_eq!(super::load(&[a], &|_| {}).unwrap().rows.len(), 3);
    }

    #[test]
    fn a_malformed_event_costs_only_the_shots_whose_context_could_read_it() {
        // Events a second apart, a shot every third; event #20 (at 20 s) is malformed.
        let mut events: Vec<String> = (0..40)
            .map(|i| event_json(i, i as f64, i % 3 == 2))
            .collect();
        events[20] = events[20].replace(r#""eventSec": 20"#, r#""eventSec": "late""#);
        let table = load(&events);
        let kept: Vec<u64> = table.rows.iter().map(|r| r.event_id).collect();
        // Shots at 23, 26 and 29 s are within 10 s of the next event read (21 s); 32 s is not.
        assert_eq!(kept, [2, 5, 8, 11, 14, 17, 32, 35, 38]);
        assert_eq!((table.skipped_events, table.skipped_shots), (1, 3));
        // Its reach ends with its period (or match): here the second half starts at event 25.
        let mut second_half = events.clone();
        for e in &mut second_half[25..] {
            *e = e.replace(r#""1H""#, r#""2H""#);
        }
        let table = load(&second_half);
        let kept: Vec<u64> = table.rows.iter().map(|r| r.event_id).collect();
        assert_eq!(kept, [2, 5, 8, 11, 14, 17, 26, 29, 32, 35, 38]);
        assert_eq!((table.skipped_events, table.skipped_shots), (1, 1));
    }

    /// The array of `n` events (every `shot_every`-th a shot), as text.
    fn events_text(n: u64, shot_every: u64) -> String {
        let events: Vec<String> = (0..n)
            .map(|i| event_json(i, i as f64, i % shot_every == shot_every - 1))
            .collect();
        format!("[{}]", events.join(","))
    }

    /// Writes `text` to `name` in `dir`, gzipped when the name ends in `.gz`.
    fn write_file(dir: &Path, name: &str, text: &str) -> PathBuf {
        use std::io::Write as _;
        let path = dir.join(name);
        if name.ends_with(".gz") {
            let mut enc = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::fast());
            enc.write_all(text.as_bytes()).unwrap();
            std::fs::write(&path, enc.finish().unwrap()).unwrap();
        } else {
            std::fs::write(&path, text).unwrap();
        }
        path
    }

    #[test]
    fn clean_files_stream_from_the_reader_gzipped_or_not_and_broken_ones_do_not() {
        let text = events_text(8, 3);
        let dir = tempfile::tempdir().unwrap();
        let plain = write_file(dir.path(), "events_Plain.json", &text);
        let gz = write_file(dir.path(), "events_Gz.json.gz", &text);
        let streamed = stream_events_file(&plain).expect("a clean file streams");
        assert_eq!(streamed.rows.len(), 2);
        assert_eq!(
            stream_events_file(&gz).expect("gzipped too").rows,
            streamed.rows
        );
        // What the careful pass over the whole text gives, too.
        let mut careful = FileShots::new(&plain);
        for e in wyscout::parse_events(&text).unwrap() {
            careful.push(e);
        }
        assert_eq!(careful.table.rows, streamed.rows);
        // Anything wrong leaves it to the careful pass: a broken event, trailing bytes, a
        // truncated gzip stream.
        let broken = dir.path().join("events_Broken.json");
        std::fs::write(
            &broken,
            text.replacen(r#""matchId": 3"#, r#""matchId": []"#, 1),
        )
        .unwrap();
        assert!(stream_events_file(&broken).is_none());
        let trailing = dir.path().join("events_Trailing.json");
        std::fs::write(&trailing, format!("{text} x")).unwrap();
        assert!(stream_events_file(&trailing).is_none());
        let cut = dir.path().join("events_Cut.json.gz");
        let bytes = std::fs::read(&gz).unwrap();
        std::fs::write(&cut, &bytes[..bytes.len() - 12]).unwrap();
        assert!(stream_events_file(&cut).is_none());
        let err = load_events_file(&cut).unwrap_err();
        assert!(format!("{err:#}").contains("events_Cut.json.gz"), "{err:#}");
    }

    #[test]
    fn a_byte_order_mark_before_the_array_is_ignored_streamed_or_not() {
        let text = events_text(6, 2);
        let dir = tempfile::tempdir().unwrap();
        let plain = write_file(dir.path(), "events_Plain.json", &text);
        let want = load_events_file(&plain).unwrap().rows;
        assert_eq!(want.len(), 3);
        let marked = format!("{UTF8_BOM}{text}");
        let bom = write_file(dir.path(), "events_Bom.json", &marked);
        let gz = write_file(dir.path(), "events_Bom.json.gz", &marked);
        for path in [&bom, &gz] {
            assert_eq!(stream_events_file(path).expect("streams").rows, want);
            assert_eq!(load_events_file(path).unwrap().rows, want);
            assert_eq!(read_text(path).unwrap(), text);
        }
        // The careful pass, for a file the stream gives up on (a broken event), too.
        // The last event (a shot) is the broken one, so no other shot's context needs it.
        let key = r#""matchId": 3"#;
        let at = marked.rfind(key).unwrap();
        let broken_text = format!(
            r#"{}"matchId": []{}"#,
            &marked[..at],
            &marked[at + key.len()..]
        );
        let broken = write_file(dir.path(), "events_BomBroken.json", &broken_text);
        assert!(stream_events_file(&broken).is_none());
        let table = load_events_file(&broken).unwrap();
        assert_eq!(table.rows, want[..2]);
        assert_eq!((table.skipped_events, table.skipped_shots), (1, 0));
        // Only at the very start: a mark inside the array is still an error.
        let inside_text = text.replacen('[', &format!("[{UTF8_BOM}"), 1);
        let inside = write_file(dir.path(), "events_Inside.json", &inside_text);
        assert!(stream_events_file(&inside).is_none());
    }

    /// Events whose strings hold every character the element scan treats specially.
    fn tricky_events() -> Vec<String> {
        (0..9)
            .map(|i| {
                event_json(i, i as f64, i % 3 == 2).replace(
                    r#""eventName": "x""#,
                    r#""eventName": "a\"],{b}[\\\\", "extra": {"k": [1, {"v": "\\"}]}"#,
                )
            })
            .collect()
    }

    #[test]
    fn the_element_scan_splits_like_a_json_parser_at_every_chunk_size() {
        let events = tricky_events();
        let text = format!(" \n[\n{}\n]\n ", events.join(" ,\n "));
        let path = Path::new("events_Tricky.json");
        let mut careful = FileShots::new(path);
        for e in wyscout::parse_events(&text).unwrap() {
            careful.push(e);
        }
        assert_eq!(careful.table.rows.len(), 3);
        for chunk in [1, 2, 3, 7, 64, 1 << 20] {
            let streamed = stream_events(path, text.as_bytes(), chunk)
                .unwrap_or_else(|| panic!("chunk {chunk}: refused a clean array"));
            assert_eq!(streamed.rows, careful.table.rows, "chunk {chunk}");
        }
        for empty in ["[]", " [ \n ] "] {
            let t = stream_events(path, empty.as_bytes(), 4).expect("an empty array is clean");
            assert!(t.rows.is_empty());
        }
    }

    #[test]
    fn the_element_scan_leaves_anything_unclean_to_the_careful_pass() {
        let one = tricky_events()[2].clone();
        let path = Path::new("events_Bad.json");
        let mut invalid_utf8 = format!("[{one}]").into_bytes();
        let at = invalid_utf8.windows(3).position(|w| w == b"a\\\"").unwrap();
        invalid_utf8[at] = 0xff;
        let cases: Vec<(&str, Vec<u8>)> = vec![
            ("trailing comma", format!("[{one},]").into_bytes()),
            ("two commas", format!("[{one},,{one}]").into_bytes()),
            ("trailing bytes", format!("[{one}] x").into_bytes()),
            ("second array", format!("[{one}][]").into_bytes()),
            ("object at the top", one.clone().into_bytes()),
            ("unclosed array", format!("[{one}").into_bytes()),
            (
                "cut inside an event",
                format!("[{one}").as_bytes()[..40].to_vec(),
            ),
            (
                "cut inside a string",
                format!("[{one}").as_bytes()[..one.find("a\\").unwrap() + 3].to_vec(),
            ),
            (
                "closing brace for the array",
                format!("[{one}}}").into_bytes(),
            ),
            ("a number as an event", format!("[{one}, 1]").into_bytes()),
            (
                "a brace closing the array, then a second array",
                format!("[{one}}} [{one}]").into_bytes(),
            ),
            ("invalid UTF-8", invalid_utf8),
            ("empty file", Vec::new()),
            ("only whitespace", b" \n ".to_vec()),
        ];
        for (what, bytes) in cases {
            for chunk in [1, 5, 1 << 20] {
                assert!(
                    stream_events(path, &bytes[..], chunk).is_none(),
                    "{what}, chunk {chunk}"
                );
            }
        }
    }
}
