//! Records in: the JSON a Kinesis record carries, turned into a validated [`Shot`] and the id
//! the prediction is published under.
//!
//! Four formats are accepted, told apart by their keys (a record matching none, or more than
//! one, is refused):
//!
//! | format | shape | shot id |
//! |---|---|---|
//! | [`InputFormat::WyscoutEvent`] | a bare Wyscout event (has `eventId`; no `before`) | a top-level `shot_id`, else the event's `id` |
//! | [`InputFormat::WyscoutEvent`] | `{"event": {…}, "before": [{…}, …], "shot_id"?: …}` | `shot_id`, else the event's `id` |
//! | [`InputFormat::StatsbombEvent`] | a bare StatsBomb event (has `index`, `period` and `timestamp`; no `before`) | a top-level `shot_id`, else the event's `id` |
//! | [`InputFormat::StatsbombEvent`] | `{"statsbomb": {…}, "before": [{…}, …], "shot_id"?: …}` | `shot_id`, else the event's `id` |
//! | [`InputFormat::XgoalsShot`] | `{"shot": {"x_m": …, …}, "shot_id": …}` (see `scorer::json`) | `shot_id` |
//! | [`InputFormat::Original`] | `{"shot": {"distance_to_goal": m, "angle_to_goal": rad}, "shot_id": …}` | `shot_id` |
//!
//! `before` holds the events before the shot in the provider's own order (oldest first, as in
//! its files, which for Wyscout is not always sorted by `eventSec`); only the tail of the same
//! match and period is read, by the same code the trainer uses (`scorer::wyscout::to_shot`,
//! `scorer::statsbomb::to_shot`). A shot id is an integer or a string of 1 to
//! [`MAX_SHOT_ID_BYTES`] bytes without control characters, never `null` (it becomes the output's
//! Kinesis partition key). Every refusal is an [`Invalid`] with a stable [`InvalidKind`] and a
//! message naming the field.
//!
//! Any of them may come gzip-compressed (producers compress to cut Kinesis costs; StatsBomb
//! records shrink about five times): data that starts with gzip's magic bytes is inflated
//! first, to at most [`MAX_INFLATED_BYTES`], and a record that does not inflate, inflates past
//! that, or holds gzip again is [`InvalidKind::BadGzip`].

use scorer::json::{JsonError, OriginalRecord, ShotJson};
use scorer::statsbomb::{self, StatsbombError};
use scorer::wyscout::{self, Event, WyscoutError};
use scorer::Shot;
use serde::de::{DeserializeOwned, IgnoredAny};
use serde::Deserialize;
use serde_json::value::RawValue;
use std::fmt;
use std::io::Read;

/// Longest shot id string, in bytes of UTF-8. Kinesis partition keys are at most 256
/// characters; bytes are the stricter count whatever the service counts, and a key it refused
/// would fail the whole `PutRecords` call on every retry instead of one record.
pub const MAX_SHOT_ID_BYTES: usize = 256;
/// Most events accepted in `before` (a whole match has about 1,700).
pub const MAX_BEFORE_EVENTS: usize = 5_000;
/// Most bytes a gzip-compressed record may inflate to: four times Kinesis's 1 MiB record, so
/// a decompression bomb stops there.
pub const MAX_INFLATED_BYTES: usize = 4 << 20;
/// The first bytes of gzip data.
const GZIP_MAGIC: [u8; 2] = [0x1f, 0x8b];

/// Which of the accepted formats a record was in.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum InputFormat {
    WyscoutEvent,
    StatsbombEvent,
    XgoalsShot,
    Original,
}

impl InputFormat {
    /// The name used in output records and logs.
    pub fn name(self) -> &'static str {
        match self {
            InputFormat::WyscoutEvent => "wyscout_event",
            InputFormat::StatsbombEvent => "statsbomb_event",
            InputFormat::XgoalsShot => "xgoals_shot",
            InputFormat::Original => "original",
        }
    }
}

/// A shot id as the producer sent it: echoed back with the same JSON type.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub enum ShotId {
    Int(i128),
    Text(String),
}

impl ShotId {
    /// The output record's partition key.
    pub fn partition_key(&self) -> String {
        match self {
            ShotId::Int(n) => n.to_string(),
            ShotId::Text(s) => s.clone(),
        }
    }

    fn bad(shown: &str) -> Invalid {
        Invalid::new(
            InvalidKind::BadShotId,
            format!(
                "shot_id must be an integer or a string of 1 to {MAX_SHOT_ID_BYTES} \
                 bytes of UTF-8 without control characters, got {}",
                truncate(shown, 80)
            ),
        )
    }

    /// A text id, if it can be a partition key.
    fn text(s: String) -> Option<ShotId> {
        (!s.is_empty() && s.len() <= MAX_SHOT_ID_BYTES && !s.chars().any(char::is_control))
            .then_some(ShotId::Text(s))
    }

    fn from_json(value: &RawValue) -> Result<ShotId, Invalid> {
        let bad = || ShotId::bad(value.get());
        let text = value.get().trim();
        if text.starts_with('"') {
            let s: String = serde_json::from_str(text).map_err(|_| bad())?;
            ShotId::text(s).ok_or_else(bad)
        } else if !text.is_empty()
            && text.len() <= 40
            && text
                .bytes()
                .enumerate()
                .all(|(i, b)| b.is_ascii_digit() || (i == 0 && b == b'-'))
        {
            text.parse::<i64>()
                .map(|n| ShotId::Int(n.into()))
                .or_else(|_| text.parse::<u64>().map(|n| ShotId::Int(n.into())))
                .map_err(|_| bad())
        } else {
            Err(bad())
        }
    }
}

impl fmt::Display for ShotId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            ShotId::Int(n) => write!(f, "{n}"),
            ShotId::Text(s) => write!(f, "{s:?}"),
        }
    }
}

impl serde::Serialize for ShotId {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        match self {
            ShotId::Int(n) => s.serialize_i128(*n),
            ShotId::Text(t) => s.serialize_str(t),
        }
    }
}

/// A record that decoded into a shot.
#[derive(Debug, Clone, PartialEq)]
pub struct Decoded {
    pub shot_id: ShotId,
    pub shot: Shot,
    pub format: InputFormat,
}

/// Why a record is invalid; stable names for dead letters and metrics.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum InvalidKind {
    /// Not UTF-8 JSON, or not an object.
    BadJson,
    /// Gzip data that does not inflate, inflates past [`MAX_INFLATED_BYTES`], or holds gzip
    /// again.
    BadGzip,
    /// Bytes that start like a KPL aggregate ([`crate::kpl`]) but do not check out, or an
    /// aggregate inside one; dead-lettered whole.
    BadAggregate,
    /// An object none of the formats match, or more than one.
    UnknownFormat,
    /// A known format with a missing or mistyped field.
    BadField,
    BadShotId,
    /// A Wyscout event that is not a shot for xG (e.g. a pass, or a shoot-out kick).
    NotAShot,
    /// A shot the scorer's validation refused (NaN, off the pitch, impossible angle, …).
    InvalidShot,
    /// The scorer guest failed on this record alone (a trap or exhausted fuel).
    GuestError,
}

impl InvalidKind {
    pub fn name(self) -> &'static str {
        match self {
            InvalidKind::BadJson => "bad_json",
            InvalidKind::BadGzip => "bad_gzip",
            InvalidKind::BadAggregate => "bad_aggregate",
            InvalidKind::UnknownFormat => "unknown_format",
            InvalidKind::BadField => "bad_field",
            InvalidKind::BadShotId => "bad_shot_id",
            InvalidKind::NotAShot => "not_a_shot",
            InvalidKind::InvalidShot => "invalid_shot",
            InvalidKind::GuestError => "guest_error",
        }
    }
}

/// A refused record: the kind and a message for people.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Invalid {
    pub kind: InvalidKind,
    pub reason: String,
}

impl Invalid {
    pub fn new(kind: InvalidKind, reason: impl Into<String>) -> Invalid {
        Invalid {
            kind,
            reason: reason.into(),
        }
    }
}

impl fmt::Display for Invalid {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}: {}", self.kind.name(), self.reason)
    }
}

impl std::error::Error for Invalid {}

fn truncate(s: &str, max_chars: usize) -> String {
    match s.char_indices().nth(max_chars) {
        Some((i, _)) => format!("{}…", &s[..i]),
        None => s.to_string(),
    }
}

/// The top-level keys that decide the format; everything else is read per format.
#[derive(Deserialize)]
struct Envelope<'a> {
    #[serde(borrow, default)]
    shot: Option<&'a RawValue>,
    /// `null` included (a `null` id is refused, not taken for a missing one).
    #[serde(borrow, default, deserialize_with = "raw_even_null")]
    shot_id: Option<&'a RawValue>,
    #[serde(borrow, default)]
    event: Option<&'a RawValue>,
    #[serde(borrow, default)]
    before: Option<&'a RawValue>,
    #[serde(rename = "eventId", default)]
    event_id: Option<IgnoredAny>,
    #[serde(borrow, default)]
    statsbomb: Option<&'a RawValue>,
    /// Every StatsBomb event has these three, present whatever their values (a producer may
    /// well add a `timestamp` of its own to another format, but not all three).
    #[serde(default, deserialize_with = "present")]
    timestamp: bool,
    #[serde(default, deserialize_with = "present")]
    index: bool,
    #[serde(default, deserialize_with = "present")]
    period: bool,
}

impl Envelope<'_> {
    /// The record is a bare StatsBomb event.
    fn is_bare_statsbomb(&self) -> bool {
        self.timestamp && self.index && self.period
    }
}

/// A key's raw value, `null` too (where `Option<&RawValue>` would make `null` `None`).
fn raw_even_null<'de, D: serde::Deserializer<'de>>(
    d: D,
) -> Result<Option<&'de RawValue>, D::Error> {
    <&RawValue>::deserialize(d).map(Some)
}

/// True for a key that is there, even with `null`.
fn present<'de, D: serde::Deserializer<'de>>(d: D) -> Result<bool, D::Error> {
    IgnoredAny::deserialize(d).map(|_| true)
}

/// Which keys a `shot` object has: the original's pair or xgoals' position.
#[derive(Deserialize)]
struct ShotProbe {
    #[serde(default)]
    distance_to_goal: Option<IgnoredAny>,
    #[serde(default)]
    angle_to_goal: Option<IgnoredAny>,
    #[serde(default)]
    x_m: Option<IgnoredAny>,
}

/// `{"event": …, "before": […], "shot_id"?: …}` and nothing else, parsed in one pass: the
/// common case on the live stream. Anything else (or any error) takes the general path, which
/// tells the formats apart and names what is wrong.
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct WrappedFast<'a> {
    event: Event,
    #[serde(default)]
    before: Vec<Event>,
    #[serde(borrow, default, deserialize_with = "raw_even_null")]
    shot_id: Option<&'a RawValue>,
}

/// `{"statsbomb": …, "before": […], "shot_id"?: …}` in one pass, like [`WrappedFast`]: its
/// records are about five times the size of Wyscout's, so every pass over them counts.
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct StatsbombFast<'a> {
    statsbomb: statsbomb::Event,
    #[serde(default)]
    before: Vec<statsbomb::Event>,
    #[serde(borrow, default, deserialize_with = "raw_even_null")]
    shot_id: Option<&'a RawValue>,
}

/// Decodes one record's data, inflating it first if it is gzip.
pub fn decode(data: &[u8]) -> Result<Decoded, Invalid> {
    if !data.starts_with(&GZIP_MAGIC) {
        return decode_json(data);
    }
    let bad = |why: String| Invalid::new(InvalidKind::BadGzip, why);
    let mut inflated = Vec::with_capacity(data.len() * 4);
    flate2::read::MultiGzDecoder::new(data)
        .take(MAX_INFLATED_BYTES as u64 + 1)
        .read_to_end(&mut inflated)
        .map_err(|e| {
            bad(format!(
                "record data starts like gzip but does not inflate ({e}) after {} bytes",
                inflated.len()
            ))
        })?;
    if inflated.len() > MAX_INFLATED_BYTES {
        return Err(bad(format!(
            "gzip record inflates to more than {MAX_INFLATED_BYTES} bytes"
        )));
    }
    if inflated.starts_with(&GZIP_MAGIC) {
        return Err(bad("gzip inside gzip".into()));
    }
    decode_json(&inflated)
}

/// Decodes one record's JSON.
fn decode_json(data: &[u8]) -> Result<Decoded, Invalid> {
    let text = std::str::from_utf8(data).map_err(|e| {
        Invalid::new(
            InvalidKind::BadJson,
            format!("record data is not UTF-8 ({e})"),
        )
    })?;
    let text = without_bom(text);
    // The one-pass shapes, tried only where the first key says they may fit: a failed attempt
    // costs serde's error message, which for a bare event was ~12 % of its decode.
    let first = first_key(text);
    let maybe = |key: &str| first.is_none_or(|k| k == key || k == "before" || k == "shot_id");
    if maybe("event") {
        if let Ok(fast) = serde_json::from_str::<WrappedFast>(text) {
            if fast.before.len() <= MAX_BEFORE_EVENTS {
                return finish_wrapped(&fast.event, &fast.before, fast.shot_id);
            }
        }
    }
    if maybe("statsbomb") {
        if let Ok(fast) = serde_json::from_str::<StatsbombFast>(text) {
            if fast.before.len() <= MAX_BEFORE_EVENTS {
                return finish_statsbomb(fast.statsbomb, &fast.before, fast.shot_id);
            }
        }
    }
    if !text.trim_start().starts_with('{') {
        return Err(match serde_json::from_str::<IgnoredAny>(text) {
            Ok(_) => unknown_format("record is JSON but not an object"),
            Err(e) => Invalid::new(
                InvalidKind::BadJson,
                format!("record data is not valid JSON ({e})"),
            ),
        });
    }
    let envelope: Envelope = serde_json::from_str(text).map_err(|e| {
        let kind = if e.is_data() {
            InvalidKind::UnknownFormat
        } else {
            InvalidKind::BadJson
        };
        let what = if e.is_data() {
            "record is not a JSON object of a known format"
        } else {
            "record data is not valid JSON"
        };
        Invalid::new(kind, format!("{what} ({e})"))
    })?;
    if envelope.statsbomb.is_some() || envelope.is_bare_statsbomb() {
        return statsbomb_record(text, &envelope);
    }
    match (envelope.event_id.is_some(), envelope.event, envelope.shot) {
        (true, None, None) => {
            if envelope.before.is_some() {
                return Err(unknown_format(
                    "`before` goes with {\"event\": …}, not with a bare Wyscout event",
                ));
            }
            bare_wyscout(text, envelope.shot_id)
        }
        (false, Some(event), None) => wrapped_wyscout(event, envelope.before, envelope.shot_id),
        (false, None, Some(shot)) => {
            if envelope.before.is_some() {
                return Err(unknown_format("`before` only goes with `event`"));
            }
            shot_record(text, shot, envelope.shot_id)
        }
        (false, None, None) => Err(unknown_format(
            "expected a Wyscout event (eventId), {\"event\": …}, a StatsBomb event (timestamp), \
             {\"statsbomb\": …}, or {\"shot\": …, \"shot_id\": …}",
        )),
        _ => Err(unknown_format(
            "the record mixes keys of several formats (eventId, event, shot)",
        )),
    }
}

/// `text` without a leading byte-order mark, which some producers' tools write before JSON
/// (RFC 8259 lets a parser ignore it; anywhere else it stays an error).
pub fn without_bom(text: &str) -> &str {
    text.strip_prefix('\u{feff}').unwrap_or(text)
}

/// The first key of a JSON object's text, when it is written plainly (no escapes); `None`
/// when it cannot be told this cheaply.
fn first_key(text: &str) -> Option<&str> {
    let rest = text.trim_start().strip_prefix('{')?.trim_start();
    let rest = rest.strip_prefix('"')?;
    let end = rest.find(['"', '\\'])?;
    (rest.as_bytes()[end] == b'"').then(|| &rest[..end])
}

fn unknown_format(why: &str) -> Invalid {
    Invalid::new(InvalidKind::UnknownFormat, why)
}

fn required_id(shot_id: Option<&RawValue>) -> Result<ShotId, Invalid> {
    ShotId::from_json(shot_id.ok_or_else(|| {
        Invalid::new(
            InvalidKind::BadShotId,
            "shot_id is missing (required with `shot`)",
        )
    })?)
}

fn wyscout_invalid(e: WyscoutError) -> Invalid {
    match e {
        WyscoutError::NotAShot { .. } => Invalid::new(InvalidKind::NotAShot, e.to_string()),
        WyscoutError::Json(_) | WyscoutError::ShotInBefore { .. } => {
            Invalid::new(InvalidKind::BadField, e.to_string())
        }
        _ => Invalid::new(InvalidKind::InvalidShot, e.to_string()),
    }
}

/// One event of a provider's feed, parsed; `what` names it in the error.
fn provider_event<E: DeserializeOwned>(
    json: &str,
    what: &str,
    provider: &str,
) -> Result<E, Invalid> {
    scorer::json::parse_naming_the_field(json).map_err(|e| {
        Invalid::new(
            InvalidKind::BadField,
            format!("{what} is not a valid {provider} event: {e}"),
        )
    })
}

fn wyscout_event(json: &str, what: &str) -> Result<Event, Invalid> {
    provider_event(json, what, "Wyscout")
}

/// `before`: at most [`MAX_BEFORE_EVENTS`] events of the provider, kept in the order given.
fn before_events<E: DeserializeOwned>(
    before: Option<&RawValue>,
    provider: &str,
) -> Result<Vec<E>, Invalid> {
    let Some(raw) = before else {
        return Ok(Vec::new());
    };
    let items: Vec<&RawValue> = serde_json::from_str(raw.get()).map_err(|e| {
        Invalid::new(
            InvalidKind::BadField,
            format!("`before` must be an array of {provider} events: {e}"),
        )
    })?;
    if items.len() > MAX_BEFORE_EVENTS {
        return Err(Invalid::new(
            InvalidKind::BadField,
            format!(
                "`before` has {} events, more than the {MAX_BEFORE_EVENTS} accepted",
                items.len()
            ),
        ));
    }
    items
        .iter()
        .enumerate()
        .map(|(i, item)| provider_event(item.get(), &format!("`before[{i}]`"), provider))
        .collect()
}

fn wyscout_shot(event: &Event, before: &[Event]) -> Result<Shot, Invalid> {
    wyscout::to_shot(event, before).map_err(wyscout_invalid)
}

fn bare_wyscout(text: &str, shot_id: Option<&RawValue>) -> Result<Decoded, Invalid> {
    let event = wyscout_event(text, "the record")?;
    let shot = wyscout_shot(&event, &[])?;
    let shot_id = match shot_id {
        Some(raw) => ShotId::from_json(raw)?,
        None => ShotId::Int(event.id.into()),
    };
    Ok(Decoded {
        shot_id,
        shot,
        format: InputFormat::WyscoutEvent,
    })
}

fn wrapped_wyscout(
    event: &RawValue,
    before: Option<&RawValue>,
    shot_id: Option<&RawValue>,
) -> Result<Decoded, Invalid> {
    let event = wyscout_event(event.get(), "`event`")?;
    let before: Vec<Event> = before_events(before, "Wyscout")?;
    // Read in the order given, like the trainer reads its files: Wyscout's own order is not
    // always sorted by eventSec (duels share timestamps, some events are late), so sorting
    // here would change which events count as "before" and part the Lambda from training.
    finish_wrapped(&event, &before, shot_id)
}

fn finish_wrapped(
    event: &Event,
    before: &[Event],
    shot_id: Option<&RawValue>,
) -> Result<Decoded, Invalid> {
    let shot = wyscout_shot(event, before)?;
    let shot_id = match shot_id {
        Some(raw) => ShotId::from_json(raw)?,
        None => ShotId::Int(event.id.into()),
    };
    Ok(Decoded {
        shot_id,
        shot,
        format: InputFormat::WyscoutEvent,
    })
}

/// A bare StatsBomb event (its own `shot` object included) or `{"statsbomb": …, "before": …}`.
fn statsbomb_record(text: &str, envelope: &Envelope) -> Result<Decoded, Invalid> {
    let (event, before) =
        match (envelope.statsbomb, envelope.is_bare_statsbomb()) {
            (Some(event), false)
                if envelope.event_id.is_none()
                    && envelope.event.is_none()
                    && envelope.shot.is_none() =>
            {
                let event = provider_event(event.get(), "`statsbomb`", "StatsBomb")?;
                (event, before_events(envelope.before, "StatsBomb")?)
            }
            (None, true) if envelope.event_id.is_none() && envelope.event.is_none() => {
                if envelope.before.is_some() {
                    return Err(unknown_format(
                        "`before` goes with {\"statsbomb\": …}, not with a bare StatsBomb event",
                    ));
                }
                (provider_event(text, "the record", "StatsBomb")?, Vec::new())
            }
            _ => return Err(unknown_format(
                "the record mixes keys of several formats (statsbomb, a bare StatsBomb event's \
             index/period/timestamp, eventId, event, shot)",
            )),
        };
    finish_statsbomb(event, &before, envelope.shot_id)
}

fn finish_statsbomb(
    event: statsbomb::Event,
    before: &[statsbomb::Event],
    shot_id: Option<&RawValue>,
) -> Result<Decoded, Invalid> {
    let shot = statsbomb::to_shot(&event, before).map_err(|e| match e {
        StatsbombError::NotAShot { .. } => Invalid::new(InvalidKind::NotAShot, e.to_string()),
        StatsbombError::Json(_)
        | StatsbombError::BadPeriod { .. }
        | StatsbombError::UnknownShotType { .. }
        | StatsbombError::ShotInBefore { .. } => Invalid::new(InvalidKind::BadField, e.to_string()),
        StatsbombError::NoPosition { .. } | StatsbombError::Shot { .. } => {
            Invalid::new(InvalidKind::InvalidShot, e.to_string())
        }
    })?;
    let shot_id = match (shot_id, event.id) {
        (Some(raw), _) => ShotId::from_json(raw)?,
        (None, Some(id)) => ShotId::text(id.clone()).ok_or_else(|| ShotId::bad(&id))?,
        (None, None) => {
            return Err(Invalid::new(
                InvalidKind::BadShotId,
                "shot_id is missing and the StatsBomb event has no id",
            ))
        }
    };
    Ok(Decoded {
        shot_id,
        shot,
        format: InputFormat::StatsbombEvent,
    })
}

fn shot_record(
    text: &str,
    shot: &RawValue,
    shot_id: Option<&RawValue>,
) -> Result<Decoded, Invalid> {
    let probe: ShotProbe = serde_json::from_str(shot.get()).map_err(|e| {
        Invalid::new(
            InvalidKind::BadField,
            format!("`shot` must be an object: {e}"),
        )
    })?;
    let original = probe.distance_to_goal.is_some() || probe.angle_to_goal.is_some();
    match (original, probe.x_m.is_some()) {
        (true, false) => {
            let record: OriginalRecord = serde_json::from_str(text).map_err(|e| {
                Invalid::new(
                    InvalidKind::BadField,
                    format!("original-format record: {e}"),
                )
            })?;
            let shot_id = required_id(shot_id)?;
            let shot = record.to_shot().map_err(json_invalid)?;
            Ok(Decoded {
                shot_id,
                shot,
                format: InputFormat::Original,
            })
        }
        (false, true) => {
            let json: ShotJson = serde_json::from_str(shot.get())
                .map_err(|e| Invalid::new(InvalidKind::BadField, format!("`shot`: {e}")))?;
            let shot_id = required_id(shot_id)?;
            let shot = Shot::try_from(json).map_err(|e| json_invalid(JsonError::Shot(e)))?;
            Ok(Decoded {
                shot_id,
                shot,
                format: InputFormat::XgoalsShot,
            })
        }
        (true, true) => Err(unknown_format(
            "`shot` mixes the original format's distance/angle with xgoals' x_m/y_m",
        )),
        (false, false) => Err(unknown_format(
            "`shot` needs distance_to_goal + angle_to_goal (original format) or x_m + y_m",
        )),
    }
}

fn json_invalid(e: JsonError) -> Invalid {
    Invalid::new(InvalidKind::InvalidShot, e.to_string())
}

#[cfg(test)]
mod tests {
    use super::*;
    use scorer::shot::{BodyPart, ShotKind};

    const WYSCOUT_SHOT: &str = r#"{"id": 253668302, "matchId": 2057954, "teamId": 16521,
        "playerId": 8327, "eventId": 10, "eventName": "Shot", "subEventId": 100,
        "subEventName": "Shot", "matchPeriod": "1H", "eventSec": 94.5,
        "positions": [{"x": 88, "y": 41}, {"x": 0, "y": 0}],
        "tags": [{"id": 402}, {"id": 201}, {"id": 1215}, {"id": 1802}]}"#;

    fn kind_of(data: &str) -> InvalidKind {
        decode(data.as_bytes()).expect_err(data).kind
    }

    #[test]
    fn the_three_formats_decode() {
        let d = decode(WYSCOUT_SHOT.as_bytes()).unwrap();
        assert_eq!(d.format, InputFormat::WyscoutEvent);
        assert_eq!(d.shot_id, ShotId::Int(253668302));
        assert_eq!(d.shot.body_part(), BodyPart::RightFoot);

        let wrapped = format!(r#"{{"event": {WYSCOUT_SHOT}, "before": [], "shot_id": "s-1"}}"#);
        let w = decode(wrapped.as_bytes()).unwrap();
        assert_eq!(w.shot_id, ShotId::Text("s-1".into()));
        assert_eq!(w.shot, d.shot);

        let x = decode(
            br#"{"shot": {"x_m": 94.5, "y_m": 30, "body_part": "head_or_other"}, "shot_id": 7}"#,
        )
        .unwrap();
        assert_eq!(x.format, InputFormat::XgoalsShot);
        assert_eq!(x.shot.body_part(), BodyPart::HeadOrOther);
        assert_eq!(x.shot_id.partition_key(), "7");

        let o = decode(
            br#"{"shot": {"distance_to_goal": 11.0, "angle_to_goal": 0.6}, "shot_id": 12345678901}"#,
        )
        .unwrap();
        assert_eq!(o.format, InputFormat::Original);
        assert_eq!(o.shot.kind(), ShotKind::OpenPlay);
        assert_eq!(o.shot_id, ShotId::Int(12345678901));
    }

    /// A real shot event, padded with whitespace to `n` bytes.
    fn padded_shot(n: usize) -> String {
        format!("{WYSCOUT_SHOT}{}", " ".repeat(n - WYSCOUT_SHOT.len()))
    }

    fn gzip(bytes: &[u8]) -> Vec<u8> {
        use std::io::Write as _;
        let mut enc = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::default());
        enc.write_all(bytes).unwrap();
        enc.finish().unwrap()
    }

    #[test]
    fn gzip_records_decode_like_plain_ones() {
        let wrapped = format!(r#"{{"event": {WYSCOUT_SHOT}, "before": [], "shot_id": "z"}}"#);
        let pass = WYSCOUT_SHOT.replace(r#""eventId": 10"#, r#""eventId": 8"#);
        for record in [
            WYSCOUT_SHOT.to_string(),
            wrapped,
            r#"{"shot": {"x_m": 94.5, "y_m": 30}, "shot_id": 7}"#.to_string(),
            r#"{"shot": {"distance_to_goal": 11.0, "angle_to_goal": 0.6}, "shot_id": 8}"#
                .to_string(),
            format!("\u{feff}{WYSCOUT_SHOT}"),
            // Refused the same way compressed or not.
            pass,
            r#"{"shot": {"x_m": 500, "y_m": 30}, "shot_id": 9}"#.to_string(),
        ] {
            assert_eq!(
                decode(&gzip(record.as_bytes())),
                decode(record.as_bytes()),
                "{record}"
            );
        }
        // A record in two gzip members (concatenated streams are one gzip file).
        let (a, b) = WYSCOUT_SHOT.split_at(40);
        let two = [gzip(a.as_bytes()), gzip(b.as_bytes())].concat();
        assert_eq!(decode(&two), decode(WYSCOUT_SHOT.as_bytes()));
        // Up to the limit, whitespace included.
        let padded = padded_shot(MAX_INFLATED_BYTES);
        assert!(decode(&gzip(padded.as_bytes())).is_ok());
    }

    #[test]
    fn broken_gzip_records_and_bombs_are_refused() {
        let good = gzip(WYSCOUT_SHOT.as_bytes());
        let mut bad_crc = good.clone();
        let n = bad_crc.len();
        bad_crc[n - 8] ^= 0xFF;
        let one_past = padded_shot(MAX_INFLATED_BYTES + 1);
        let bomb = gzip(&vec![b' '; 16 << 20]);
        assert!(bomb.len() < 100_000, "{}", bomb.len());
        let cases: Vec<(Vec<u8>, &str)> = vec![
            (good[..good.len() / 2].to_vec(), "does not inflate"),
            (good[..good.len() - 1].to_vec(), "does not inflate"),
            (bad_crc, "does not inflate"),
            ([&good[..], b"trailing"].concat(), "does not inflate"),
            (GZIP_MAGIC.to_vec(), "does not inflate"),
            (gzip(one_past.as_bytes()), "more than"),
            (bomb, "more than"),
            (gzip(&good), "gzip inside gzip"),
        ];
        for (data, why) in cases {
            let e = decode(&data).expect_err(why);
            assert_eq!(e.kind, InvalidKind::BadGzip, "{e:?}");
            assert!(e.reason.contains(why), "{e:?}");
        }
        // Inflated bytes that are not UTF-8 are bad JSON, as they would be plain.
        assert_eq!(
            decode(&gzip(&[0xff, 0xfe, b'{'])).unwrap_err().kind,
            InvalidKind::BadJson
        );
    }

    #[test]
    fn a_byte_order_mark_before_a_record_is_ignored_and_only_there() {
        let wrapped = format!(r#"{{"event": {WYSCOUT_SHOT}, "before": []}}"#);
        for record in [
            WYSCOUT_SHOT.to_string(),
            wrapped,
            r#"{"shot": {"x_m": 94.5, "y_m": 30}, "shot_id": 7}"#.to_string(),
        ] {
            let plain = decode(record.as_bytes()).unwrap();
            assert_eq!(
                decode(format!("\u{feff}{record}").as_bytes()).unwrap(),
                plain
            );
            // Anywhere else it is not whitespace to JSON.
            let inside = record.replacen('{', "{\u{feff}", 1);
            assert_eq!(kind_of(&inside), InvalidKind::BadJson, "{inside}");
        }
    }

    #[test]
    fn context_comes_from_the_events_before() {
        let cross = r#"{"id": 1, "matchId": 2057954, "teamId": 16521, "playerId": 1,
            "eventId": 8, "subEventId": 80, "matchPeriod": "1H", "eventSec": 93.0,
            "positions": [{"x": 90, "y": 5}], "tags": []}"#;
        let with = format!(r#"{{"event": {WYSCOUT_SHOT}, "before": [{cross}]}}"#);
        let d = decode(with.as_bytes()).unwrap();
        assert!(d.shot.context().after_cross);
        assert_eq!(d.shot.context().secs_since_prev_event, Some(1.5));
        assert!(
            !decode(WYSCOUT_SHOT.as_bytes())
                .unwrap()
                .shot
                .context()
                .after_cross
        );
        // The shot itself among the events before it would read as a rebound 0 s earlier.
        let e = decode(
            format!(r#"{{"event": {WYSCOUT_SHOT}, "before": [{cross}, {WYSCOUT_SHOT}]}}"#)
                .as_bytes(),
        )
        .unwrap_err();
        assert_eq!(e.kind, InvalidKind::BadField, "{e}");
        assert!(e.reason.contains("include the shot itself"), "{e}");
        // A bare event has no room for context: `before` beside it is refused, not ignored
        // (ignoring it would score the shot as if nothing came before).
        let bare_with_before =
            WYSCOUT_SHOT.replacen('{', &format!(r#"{{"before": [{cross}], "#), 1);
        assert_ne!(bare_with_before, WYSCOUT_SHOT);
        let e = decode(bare_with_before.as_bytes()).unwrap_err();
        assert_eq!(e.kind, InvalidKind::UnknownFormat, "{e}");
        assert!(e.reason.contains("before"), "{e}");
    }

    #[test]
    fn a_null_shot_id_is_refused_in_every_format() {
        for record in [
            format!(r#"{{"event": {WYSCOUT_SHOT}, "shot_id": null}}"#),
            WYSCOUT_SHOT.replacen('{', r#"{"shot_id": null, "#, 1),
            format!(r#"{{"statsbomb": {STATSBOMB_SHOT}, "shot_id": null}}"#),
            r#"{"shot": {"x_m": 100, "y_m": 30}, "shot_id": null}"#.to_string(),
            r#"{"shot": {"distance_to_goal": 11, "angle_to_goal": 0.6}, "shot_id": null}"#
                .to_string(),
        ] {
            assert_eq!(kind_of(&record), InvalidKind::BadShotId, "{record}");
        }
        // Leaving it out still takes the event's own id.
        let d = decode(format!(r#"{{"event": {WYSCOUT_SHOT}}}"#).as_bytes()).unwrap();
        assert_eq!(d.shot_id, decode(WYSCOUT_SHOT.as_bytes()).unwrap().shot_id);
    }

    #[test]
    fn malformed_and_hostile_records_are_refused_with_their_kind() {
        use InvalidKind::*;
        assert_eq!(kind_of(""), BadJson);
        assert_eq!(kind_of("{\"shot\": "), BadJson);
        assert_eq!(kind_of("not json"), BadJson);
        assert_eq!(kind_of("[1, 2]"), UnknownFormat);
        assert_eq!(kind_of("42"), UnknownFormat);
        assert_eq!(kind_of("{}"), UnknownFormat);
        assert_eq!(kind_of(r#"{"hello": "world"}"#), UnknownFormat);
        assert_eq!(
            kind_of(r#"{"shot": {"x_m": 1, "y_m": 2, "distance_to_goal": 3}, "shot_id": 1}"#),
            UnknownFormat
        );
        assert_eq!(
            kind_of(r#"{"shot": {"foo": 1}, "shot_id": 1}"#),
            UnknownFormat
        );
        assert_eq!(kind_of(r#"{"shot": 5, "shot_id": 1}"#), BadField);
        assert_eq!(kind_of(r#"{"shot": {"x_m": 100, "y_m": 30}}"#), BadShotId);
        for id in [
            "1.5",
            "true",
            "null",
            "\"\"",
            "{}",
            "[]",
            "\"a\\u0000b\"",
            "123456789012345678901234567890",
        ] {
            let r = format!(r#"{{"shot": {{"x_m": 100, "y_m": 30}}, "shot_id": {id}}}"#);
            assert_eq!(kind_of(&r), BadShotId, "{r}");
        }
        let long = format!(
            r#"{{"shot": {{"x_m": 100, "y_m": 30}}, "shot_id": "{}"}}"#,
            "x".repeat(257)
        );
        assert_eq!(kind_of(&long), BadShotId);
        // Counted in bytes: 64 four-byte characters fit, 65 do not.
        for (n, ok) in [(64, true), (65, false)] {
            let id = "\u{1F600}".repeat(n);
            let r = format!(r#"{{"shot": {{"x_m": 100, "y_m": 30}}, "shot_id": "{id}"}}"#);
            match decode(r.as_bytes()) {
                Ok(d) => assert!(ok && d.shot_id.partition_key() == id, "{n}"),
                Err(e) => assert!(!ok && e.kind == BadShotId, "{n}: {e}"),
            }
        }
        // Out of range and non-finite values.
        assert_eq!(
            kind_of(r#"{"shot": {"x_m": 500, "y_m": 30}, "shot_id": 1}"#),
            InvalidShot
        );
        assert_eq!(
            kind_of(r#"{"shot": {"x_m": 1e39, "y_m": 30}, "shot_id": 1}"#),
            InvalidShot
        );
        assert_eq!(
            kind_of(r#"{"shot": {"distance_to_goal": -3, "angle_to_goal": 0.5}, "shot_id": 1}"#),
            InvalidShot
        );
        assert_eq!(
            kind_of(r#"{"shot": {"distance_to_goal": 11, "angle_to_goal": 4.0}, "shot_id": 1}"#),
            InvalidShot
        );
        assert_eq!(
            kind_of(r#"{"shot": {"distance_to_goal": "11", "angle_to_goal": 0.5}, "shot_id": 1}"#),
            BadField
        );
        assert_eq!(
            kind_of(r#"{"shot": {"x_m": 100, "y_m": 30, "typo": true}, "shot_id": 1}"#),
            BadField
        );
        // Wyscout: not a shot, a shoot-out kick, a broken event, a bad `before`.
        let pass = WYSCOUT_SHOT
            .replace("\"eventId\": 10", "\"eventId\": 8")
            .replace("\"subEventId\": 100", "\"subEventId\": 85");
        assert_eq!(kind_of(&pass), NotAShot);
        assert_eq!(kind_of(&WYSCOUT_SHOT.replace("\"1H\"", "\"P\"")), NotAShot);
        assert_eq!(
            kind_of(&WYSCOUT_SHOT.replace("\"matchId\": 2057954,", "")),
            BadField
        );
        assert_eq!(
            kind_of(&WYSCOUT_SHOT.replace("[{\"x\": 88, \"y\": 41}, {\"x\": 0, \"y\": 0}]", "[]")),
            InvalidShot
        );
        assert_eq!(
            kind_of(&format!(r#"{{"event": {WYSCOUT_SHOT}, "before": 3}}"#)),
            BadField
        );
        assert_eq!(
            kind_of(&format!(
                r#"{{"event": {WYSCOUT_SHOT}, "before": [{{"id": 1}}]}}"#
            )),
            BadField
        );
        assert_eq!(
            kind_of(&format!(
                r#"{{"event": {WYSCOUT_SHOT}, "shot": {{"x_m": 1}}}}"#
            )),
            UnknownFormat
        );
        // Not UTF-8; deeply nested JSON is refused by the parser, not a stack overflow.
        assert_eq!(decode(&[0xff, 0xfe, b'{']).unwrap_err().kind, BadJson);
        let deep = format!("{}{}", "[".repeat(100_000), "]".repeat(100_000));
        assert!(decode(deep.as_bytes()).is_err());
        let deep_shot = format!(
            r#"{{"shot": {}1{}, "shot_id": 1}}"#,
            "[".repeat(10_000),
            "]".repeat(10_000)
        );
        assert!(decode(deep_shot.as_bytes()).is_err());
    }

    const STATSBOMB_SHOT: &str = r#"{"id": "0b1f-shot", "index": 621, "period": 1,
        "timestamp": "00:11:15.183", "type": {"id": 16, "name": "Shot"},
        "play_pattern": {"id": 1, "name": "Regular Play"}, "team": {"id": 217},
        "location": [105.6, 32.0], "shot": {"statsbomb_xg": 0.07, "type": {"id": 87},
        "body_part": {"id": 40}, "outcome": {"id": 98}, "end_location": [120.0, 38.0]}}"#;
    const STATSBOMB_DRIBBLE: &str = r#"{"id": "d", "index": 619, "period": 1,
        "timestamp": "00:11:14.445", "type": {"id": 14}, "team": {"id": 217},
        "location": [102.0, 34.0]}"#;

    #[test]
    fn statsbomb_events_decode_bare_and_wrapped() {
        let bare = decode(STATSBOMB_SHOT.as_bytes()).unwrap();
        assert_eq!(bare.format, InputFormat::StatsbombEvent);
        assert_eq!(bare.shot_id, ShotId::Text("0b1f-shot".into()));
        assert_eq!(bare.shot.body_part(), BodyPart::RightFoot);
        assert_eq!(bare.shot.context().secs_since_prev_event, None);
        let wrapped = format!(
            r#"{{"statsbomb": {STATSBOMB_SHOT}, "before": [{STATSBOMB_DRIBBLE}], "shot_id": 4}}"#
        );
        let w = decode(wrapped.as_bytes()).unwrap();
        assert_eq!(
            (w.format, w.shot_id.clone()),
            (InputFormat::StatsbombEvent, ShotId::Int(4))
        );
        assert_eq!(w.shot.at(), bare.shot.at());
        assert!(w.shot.context().after_take_on_or_duel);
        // The same shot as the scorer converts it.
        let events: Vec<statsbomb::Event> = [STATSBOMB_DRIBBLE, STATSBOMB_SHOT]
            .iter()
            .map(|t| statsbomb::Event::from_json(t).unwrap())
            .collect();
        assert_eq!(
            w.shot,
            statsbomb::to_shot(&events[1], &events[..1]).unwrap()
        );
        assert_eq!(InputFormat::StatsbombEvent.name(), "statsbomb_event");
        // The shot among the events before it is refused, not read as a rebound.
        let itself = format!(
            r#"{{"statsbomb": {STATSBOMB_SHOT}, "before": [{STATSBOMB_DRIBBLE}, {STATSBOMB_SHOT}]}}"#
        );
        let e = decode(itself.as_bytes()).unwrap_err();
        assert_eq!(e.kind, InvalidKind::BadField, "{e}");
        assert!(e.reason.contains("include the shot itself"), "{e}");
    }

    /// Producers add metadata of their own; a `timestamp` key alone must not turn another
    /// format's record into a StatsBomb one.
    #[test]
    fn a_timestamp_alone_does_not_make_a_statsbomb_record() {
        let extra = r#""timestamp": "2026-11-27T10:00:00Z", "#;
        let x = decode(
            format!(r#"{{{extra}"shot": {{"x_m": 94.5, "y_m": 30}}, "shot_id": 7}}"#).as_bytes(),
        )
        .unwrap();
        assert_eq!(x.format, InputFormat::XgoalsShot);
        let o = format!(
            r#"{{{extra}"shot": {{"distance_to_goal": 11.0, "angle_to_goal": 0.6}}, "shot_id": 8}}"#
        );
        assert_eq!(decode(o.as_bytes()).unwrap().format, InputFormat::Original);
        let bare = WYSCOUT_SHOT.replacen('{', &format!("{{{extra}"), 1);
        assert_eq!(
            decode(bare.as_bytes()).unwrap().format,
            InputFormat::WyscoutEvent
        );
        let wrapped = format!(r#"{{{extra}"event": {WYSCOUT_SHOT}, "before": []}}"#);
        assert_eq!(
            decode(wrapped.as_bytes()).unwrap().format,
            InputFormat::WyscoutEvent
        );
        let sb =
            format!(r#"{{{extra}"statsbomb": {STATSBOMB_SHOT}, "before": [{STATSBOMB_DRIBBLE}]}}"#);
        let sb = decode(sb.as_bytes()).unwrap();
        assert_eq!(
            (sb.format, sb.shot_id),
            (
                InputFormat::StatsbombEvent,
                ShotId::Text("0b1f-shot".into())
            )
        );
    }

    #[test]
    fn hostile_statsbomb_records_are_refused_with_their_kind() {
        use InvalidKind::*;
        let with = |from: &str, to: &str| {
            assert_eq!(STATSBOMB_SHOT.matches(from).count(), 1, "{from}");
            STATSBOMB_SHOT.replace(from, to)
        };
        let wrap =
            |event: &str, before: &str| format!(r#"{{"statsbomb": {event}, "before": {before}}}"#);
        assert_eq!(
            kind_of(&with(
                r#""type": {"id": 16, "name": "Shot"}"#,
                r#""type": {"id": 30}"#
            )),
            NotAShot
        );
        assert_eq!(kind_of(&with(r#""period": 1"#, r#""period": 5"#)), NotAShot);
        assert_eq!(kind_of(&with(r#""period": 1"#, r#""period": 7"#)), BadField);
        assert_eq!(
            kind_of(&with(r#""type": {"id": 87}"#, r#""type": {"id": 1}"#)),
            BadField
        );
        assert_eq!(kind_of(&with("00:11:15.183", "11:15")), BadField);
        assert_eq!(
            kind_of(&with(
                r#""timestamp": "00:11:15.183""#,
                r#""timestamp": null"#
            )),
            BadField
        );
        assert_eq!(kind_of(&with("[105.6, 32.0]", "[]")), InvalidShot);
        assert_eq!(
            kind_of(&with("[105.6, 32.0]", "[1000.0, 32.0]")),
            InvalidShot
        );
        assert_eq!(kind_of(&with(r#""id": "0b1f-shot", "#, "")), BadShotId);
        assert_eq!(kind_of(&with("0b1f-shot", r"a\u0007b")), BadShotId);
        assert_eq!(kind_of(&with("0b1f-shot", &"x".repeat(300))), BadShotId);
        assert_eq!(kind_of(&wrap(STATSBOMB_SHOT, "3")), BadField);
        assert_eq!(
            kind_of(&wrap(STATSBOMB_SHOT, r#"[{"index": 1}]"#)),
            BadField
        );
        assert_eq!(kind_of(&wrap("7", "[]")), BadField);
        let too_many = format!(
            "[{}]",
            vec![STATSBOMB_DRIBBLE; MAX_BEFORE_EVENTS + 1].join(",")
        );
        assert_eq!(kind_of(&wrap(STATSBOMB_SHOT, &too_many)), BadField);
        // Keys of two formats, or `before` with a bare event.
        assert_eq!(
            kind_of(&format!(
                r#"{{"statsbomb": {STATSBOMB_SHOT}, "event": {WYSCOUT_SHOT}}}"#
            )),
            UnknownFormat
        );
        assert_eq!(
            kind_of(&with(r#""index": 621"#, r#""index": 621, "eventId": 10"#)),
            UnknownFormat
        );
        assert_eq!(
            kind_of(&with(r#""index": 621"#, r#""index": 621, "before": []"#)),
            UnknownFormat
        );
        assert_eq!(
            kind_of(&format!(
                r#"{{"statsbomb": {STATSBOMB_SHOT}, "index": 1, "period": 1, "timestamp": "00:00:01"}}"#
            )),
            UnknownFormat
        );
        let e = decode(with("[105.6, 32.0]", "[1000.0, 32.0]").as_bytes()).unwrap_err();
        assert!(e.reason.contains("621"), "names the event: {e}");
    }

    #[test]
    fn the_first_key_picks_the_one_pass_shape_and_any_key_order_still_decodes() {
        assert_eq!(first_key(r#" { "event": 1}"#), Some("event"));
        assert_eq!(first_key(r#"{"statsbomb":{}}"#), Some("statsbomb"));
        for unclear in [r#"{"\u0065vent": 1}"#, "[]", "{}", r#"{"ab"#, ""] {
            assert_eq!(first_key(unclear), None, "{unclear}");
        }
        let wyscout = format!(r#"{{"event": {WYSCOUT_SHOT}, "before": []}}"#);
        let statsbomb =
            format!(r#"{{"statsbomb": {STATSBOMB_SHOT}, "before": [{STATSBOMB_DRIBBLE}]}}"#);
        for (record, reordered) in [
            (
                &wyscout,
                format!(r#"{{"before": [], "shot_id": 3, "event": {WYSCOUT_SHOT}}}"#),
            ),
            (
                &statsbomb,
                format!(
                    r#"{{"before": [{STATSBOMB_DRIBBLE}], "shot_id": 3, "statsbomb": {STATSBOMB_SHOT}}}"#
                ),
            ),
            (
                &wyscout,
                format!(r#"{{"\u0065vent": {WYSCOUT_SHOT}, "shot_id": 3}}"#),
            ),
        ] {
            let (a, b) = (
                decode(record.as_bytes()).unwrap(),
                decode(reordered.as_bytes()).unwrap(),
            );
            assert_eq!((a.shot, a.format), (b.shot, b.format), "{reordered}");
            assert_eq!(b.shot_id, ShotId::Int(3));
        }
    }

    #[test]
    fn messages_name_the_field() {
        let e = decode(br#"{"shot": {"x_m": 100, "y_m": 30, "body_part": "tail"}, "shot_id": 1}"#)
            .unwrap_err();
        assert!(e.reason.contains("body_part"), "{e}");
        let e = decode(br#"{"shot": {"x_m": 100}, "shot_id": 1}"#).unwrap_err();
        assert!(e.reason.contains("y_m"), "{e}");
        // A provider's event: the field inside it, and no line or column.
        let e =
            decode(format!(r#"{{"event": {WYSCOUT_SHOT}, "before": [{{"id": "x"}}]}}"#).as_bytes())
                .unwrap_err();
        assert!(
            e.reason
                .ends_with("`before[0]` is not a valid Wyscout event: id: invalid type: string \"x\", expected u64"),
            "{e}"
        );
        let e = decode(br#"{"shot": {"x_m": 100, "y_m": 30}, "shot_id": 2.5}"#).unwrap_err();
        assert!(
            e.reason.contains("shot_id") && e.reason.contains("2.5"),
            "{e}"
        );
    }
}
