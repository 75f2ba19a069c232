//! Shots from raw Wyscout events (feature `wyscout`): the only place that knows Wyscout's
//! coordinates, event and tag ids, and which tags leak the outcome.
//!
//! Data: the public *Soccer match event dataset* (Pappalardo et al., Scientific Data 6, 236,
//! 2019; CC BY 4.0).
//!
//! # What counts as a shot
//!
//! Open-play shots (`eventId` 10), direct free-kick shots (`subEventId` 33) and penalties
//! (`subEventId` 35), except in the penalty shoot-out (`matchPeriod` `"P"`), which is not play.
//!
//! # Coordinates
//!
//! Wyscout positions are percentages (0–100) in the acting team's attacking direction, `y = 0`
//! on the attacker's left. They become metres by `x · 105 / 100`, `y · 68 / 100`; events of the
//! other team are first mirrored (`100 − x`, `100 − y`) into the shooter's frame.
//!
//! # Tags
//!
//! Read on the shot: 401/402/403 (left foot, right foot, head/body) and 1901 (counter-attack).
//! Read on the events before it: 801 (high) and 901 (through) on passes. Read nowhere as a
//! feature: 101 (goal) is only the label ([`is_goal`]); [`LEAKING_TAGS`] — accurate/not
//! accurate (1801/1802), blocked (2101), goal-mouth zones (1201–1223), assist (301), key pass
//! (302) and the annotator's "opportunity" (201) — describe what happened *because of* the
//! shot and are never looked at.
//!
//! # Context from the events before
//!
//! Only events of the same match and period, before the shot, are read, by the rules in
//! [`crate::context`]. What each event is to those rules: a pass (`eventId` 8) with
//! `subEventId` 80 is a cross, with 86 or tag 901 a through ball, with 83 or tag 801 a high
//! pass; a duel is `eventId` 1; a set-piece restart is a corner or free kick (`eventId` 3 with
//! `subEventId` 30, 31 or 32); any shot kind above is a shot. The counter-attack flag is the
//! shot's own tag 1901.

use crate::context::{self, Action, Prior, ShotMoment};
pub use crate::context::{REBOUND_WINDOW_S, SET_PIECE_WINDOW_S};
use crate::pitch::{Point, LENGTH_M, WIDTH_M};
use crate::shot::{BodyPart, Shot, ShotError, ShotKind};
use core::fmt;
use serde::{Deserialize, Deserializer, Serialize};

/// Event ids (`eventId`).
pub const EVENT_DUEL: u32 = 1;
pub const EVENT_FREE_KICK: u32 = 3;
pub const EVENT_PASS: u32 = 8;
pub const EVENT_SHOT: u32 = 10;

/// Sub-event ids (`subEventId`).
pub const SUB_CORNER: u32 = 30;
pub const SUB_FREE_KICK: u32 = 31;
pub const SUB_FREE_KICK_CROSS: u32 = 32;
pub const SUB_FREE_KICK_SHOT: u32 = 33;
pub const SUB_PENALTY: u32 = 35;
pub const SUB_CROSS: u32 = 80;
pub const SUB_HIGH_PASS: u32 = 83;
pub const SUB_SMART_PASS: u32 = 86;

/// Tags read on the shot.
pub const TAG_GOAL: u32 = 101;
pub const TAG_LEFT_FOOT: u32 = 401;
pub const TAG_RIGHT_FOOT: u32 = 402;
pub const TAG_HEAD_OR_BODY: u32 = 403;
pub const TAG_COUNTER_ATTACK: u32 = 1901;
/// Tags read on passes before the shot.
pub const TAG_HIGH: u32 = 801;
pub const TAG_THROUGH: u32 = 901;

/// Tags that describe the outcome of the shot (or are given because of it). Never read.
pub const LEAKING_TAGS: &[u32] = &[
    201, 301, 302, 1801, 1802, 2101, 1201, 1202, 1203, 1204, 1205, 1206, 1207, 1208, 1209, 1210,
    1211, 1212, 1213, 1214, 1215, 1216, 1217, 1218, 1219, 1220, 1221, 1222, 1223,
];

/// Version of the conversion rules in this module. Bump it whenever a rule changes what
/// `to_shot` returns, so caches of converted shots are rebuilt.
pub const CONVERSION_VERSION: u32 = 1;

/// An event's `matchPeriod`: the dataset's five codes, kept as a small value rather than a
/// string (the Lambda parses six events per record). Any other code is an error naming it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum MatchPeriod {
    /// `"1H"`
    FirstHalf,
    /// `"2H"`
    SecondHalf,
    /// `"E1"`
    ExtraTimeFirstHalf,
    /// `"E2"`
    ExtraTimeSecondHalf,
    /// `"P"`: the penalty shoot-out, whose kicks are not shots for xG.
    ShootOut,
}

/// The codes [`MatchPeriod`] accepts, for error messages.
const PERIOD_CODES: &str = r#""1H", "2H", "E1", "E2" or "P""#;

impl MatchPeriod {
    const ALL: [MatchPeriod; 5] = [
        MatchPeriod::FirstHalf,
        MatchPeriod::SecondHalf,
        MatchPeriod::ExtraTimeFirstHalf,
        MatchPeriod::ExtraTimeSecondHalf,
        MatchPeriod::ShootOut,
    ];

    /// The dataset's code.
    pub fn code(self) -> &'static str {
        match self {
            MatchPeriod::FirstHalf => "1H",
            MatchPeriod::SecondHalf => "2H",
            MatchPeriod::ExtraTimeFirstHalf => "E1",
            MatchPeriod::ExtraTimeSecondHalf => "E2",
            MatchPeriod::ShootOut => "P",
        }
    }

    /// The period of a dataset code, if it is one.
    pub fn from_code(code: &str) -> Option<MatchPeriod> {
        MatchPeriod::ALL.into_iter().find(|p| p.code() == code)
    }
}

impl core::fmt::Display for MatchPeriod {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        f.pad(self.code())
    }
}

impl Serialize for MatchPeriod {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(self.code())
    }
}

impl<'de> Deserialize<'de> for MatchPeriod {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<MatchPeriod, D::Error> {
        struct Code;
        impl serde::de::Visitor<'_> for Code {
            type Value = MatchPeriod;
            fn expecting(&self, f: &mut core::fmt::Formatter) -> core::fmt::Result {
                write!(f, "a match period: {PERIOD_CODES}")
            }
            fn visit_str<E: serde::de::Error>(self, s: &str) -> Result<MatchPeriod, E> {
                MatchPeriod::from_code(s).ok_or_else(|| {
                    E::custom(format!(
                        "unknown matchPeriod {:?} (expected {PERIOD_CODES})",
                        s.chars().take(16).collect::<String>()
                    ))
                })
            }
        }
        d.deserialize_str(Code)
    }
}

/// One Wyscout event, as in the public dataset's `events_*.json`: the fields the conversion
/// reads. Others (`eventName`, `subEventName`, anything a newer export adds) are skipped while
/// parsing, not kept: the Lambda parses six events per record, and the two name strings alone
/// cost it ~5 % of its throughput.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Event {
    pub id: u64,
    #[serde(rename = "matchId")]
    pub match_id: u64,
    #[serde(rename = "teamId")]
    pub team_id: u64,
    #[serde(rename = "playerId", default)]
    pub player_id: u64,
    #[serde(rename = "eventId")]
    pub event_id: u32,
    /// `None` where the dataset has `""` (some events have no sub-event).
    #[serde(
        rename = "subEventId",
        deserialize_with = "sub_event_id",
        serialize_with = "sub_event_id_out"
    )]
    pub sub_event_id: Option<u32>,
    #[serde(rename = "matchPeriod")]
    pub match_period: MatchPeriod,
    #[serde(rename = "eventSec")]
    pub event_sec: f64,
    pub positions: Vec<Position>,
    pub tags: Vec<Tag>,
}

/// A position in Wyscout percent coordinates.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct Position {
    pub x: f64,
    pub y: f64,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct Tag {
    pub id: u32,
}

/// `subEventId`: an integer, or `""` (the dataset) or `null` for none.
fn sub_event_id<'de, D: Deserializer<'de>>(d: D) -> Result<Option<u32>, D::Error> {
    // A visitor, not an untagged enum: serde buffers an untagged value before trying each
    // variant, which cost the Lambda an allocation per event.
    struct IdOrEmpty;
    impl<'de> serde::de::Visitor<'de> for IdOrEmpty {
        type Value = Option<u32>;
        fn expecting(&self, f: &mut core::fmt::Formatter) -> core::fmt::Result {
            f.write_str("an integer or \"\"")
        }
        fn visit_u64<E: serde::de::Error>(self, v: u64) -> Result<Option<u32>, E> {
            u32::try_from(v)
                .map(Some)
                .map_err(|_| E::custom(format!("subEventId {v} is out of range")))
        }
        fn visit_i64<E: serde::de::Error>(self, v: i64) -> Result<Option<u32>, E> {
            u32::try_from(v)
                .map(Some)
                .map_err(|_| E::custom(format!("subEventId {v} is out of range")))
        }
        fn visit_str<E: serde::de::Error>(self, s: &str) -> Result<Option<u32>, E> {
            if s.is_empty() {
                Ok(None)
            } else {
                Err(E::custom(format!(
                    "subEventId must be an integer or \"\", found {s:?}"
                )))
            }
        }
        fn visit_unit<E: serde::de::Error>(self) -> Result<Option<u32>, E> {
            Ok(None)
        }
        fn visit_none<E: serde::de::Error>(self) -> Result<Option<u32>, E> {
            Ok(None)
        }
    }
    d.deserialize_any(IdOrEmpty)
}

/// Writes `subEventId` as the dataset does: the integer, or `""` for none.
fn sub_event_id_out<S: serde::Serializer>(v: &Option<u32>, s: S) -> Result<S::Ok, S::Error> {
    match v {
        Some(id) => s.serialize_u32(*id),
        None => s.serialize_str(""),
    }
}

impl Event {
    fn has_tag(&self, id: u32) -> bool {
        self.tags.iter().any(|t| t.id == id)
    }

    fn is_sub(&self, sub: u32) -> bool {
        self.sub_event_id == Some(sub)
    }

    /// Parses one event from JSON text.
    pub fn from_json(text: &str) -> Result<Event, WyscoutError> {
        crate::json::parse_naming_the_field(text).map_err(WyscoutError::Json)
    }
}

/// Why an event did not become a shot.
#[derive(Debug, Clone, PartialEq)]
pub enum WyscoutError {
    /// The event is not a shot for xG (or is a shoot-out kick).
    NotAShot { event_id: u64 },
    /// The shot has no position.
    NoPosition { event_id: u64 },
    /// A number that must be finite is not.
    NotFinite { event_id: u64, field: &'static str },
    /// The shot failed validation.
    Shot { event_id: u64, error: ShotError },
    /// The events before the shot hold the shot itself (its context would read it as an
    /// earlier shot: a rebound, 0 s before).
    ShotInBefore { event_id: u64 },
    /// The JSON is malformed or misses a field (serde's message names it).
    Json(String),
}

impl fmt::Display for WyscoutError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            WyscoutError::NotAShot { event_id } => {
                write!(f, "event {event_id} is not a shot for xG")
            }
            WyscoutError::NoPosition { event_id } => {
                write!(f, "shot event {event_id} has no position")
            }
            WyscoutError::NotFinite { event_id, field } => {
                write!(f, "event {event_id}: {field} is not a finite number")
            }
            WyscoutError::Shot { event_id, error } => write!(f, "shot event {event_id}: {error}"),
            WyscoutError::ShotInBefore { event_id } => write!(
                f,
                "the events before shot {event_id} include the shot itself (give only earlier events)"
            ),
            WyscoutError::Json(e) => write!(f, "malformed Wyscout event: {e}"),
        }
    }
}

impl std::error::Error for WyscoutError {}

/// The kind of shot an event is, if it is a shot at all (shoot-out kicks included).
pub fn shot_kind(e: &Event) -> Option<ShotKind> {
    if e.is_sub(SUB_PENALTY) {
        Some(ShotKind::Penalty)
    } else if e.is_sub(SUB_FREE_KICK_SHOT) {
        Some(ShotKind::DirectFreeKick)
    } else if e.event_id == EVENT_SHOT {
        Some(ShotKind::OpenPlay)
    } else {
        None
    }
}

/// Whether an event is a shot that gets an xG: a shot kind outside the shoot-out.
pub fn is_shot_for_xg(e: &Event) -> bool {
    shot_kind(e).is_some() && e.match_period != MatchPeriod::ShootOut
}

/// The label: whether the shot was a goal (tag 101). Never a feature.
pub fn is_goal(e: &Event) -> bool {
    e.has_tag(TAG_GOAL)
}

/// An event's position in metres in the frame of the team `frame_team` attacking to x = 105.
fn position_m(e: &Event, frame_team: u64) -> Result<Option<Point>, WyscoutError> {
    let Some(p) = e.positions.first() else {
        return Ok(None);
    };
    if !p.x.is_finite() || !p.y.is_finite() {
        return Err(WyscoutError::NotFinite {
            event_id: e.id,
            field: "positions",
        });
    }
    let (x, y) = if e.team_id == frame_team {
        (p.x, p.y)
    } else {
        (100.0 - p.x, 100.0 - p.y)
    };
    Ok(Some(Point::new(
        (x * LENGTH_M as f64 / 100.0) as f32,
        (y * WIDTH_M as f64 / 100.0) as f32,
    )))
}

fn body_part(e: &Event) -> BodyPart {
    if e.has_tag(TAG_LEFT_FOOT) {
        BodyPart::LeftFoot
    } else if e.has_tag(TAG_RIGHT_FOOT) {
        BodyPart::RightFoot
    } else if e.has_tag(TAG_HEAD_OR_BODY) {
        BodyPart::HeadOrOther
    } else {
        BodyPart::Unknown
    }
}

/// Whether two events belong to the same match and period: the only events a shot's context
/// is read from.
fn same_phase(a: &Event, b: &Event) -> bool {
    a.match_id == b.match_id && a.match_period == b.match_period
}

impl Prior for Event {
    type Error = WyscoutError;
    fn team(&self) -> u64 {
        self.team_id
    }
    fn secs(&self) -> Result<f64, WyscoutError> {
        if self.event_sec.is_finite() {
            Ok(self.event_sec)
        } else {
            Err(WyscoutError::NotFinite {
                event_id: self.id,
                field: "eventSec",
            })
        }
    }
    fn position_for(&self, team: u64) -> Result<Option<Point>, WyscoutError> {
        position_m(self, team)
    }
    fn action(&self) -> Action {
        let pass = self.event_id == EVENT_PASS;
        Action {
            shot: shot_kind(self).is_some(),
            cross: self.is_sub(SUB_CROSS),
            through_ball: self.is_sub(SUB_SMART_PASS) || (pass && self.has_tag(TAG_THROUGH)),
            high_pass: self.is_sub(SUB_HIGH_PASS) || (pass && self.has_tag(TAG_HIGH)),
            duel: self.event_id == EVENT_DUEL,
            set_piece_restart: self.event_id == EVENT_FREE_KICK
                && (self.is_sub(SUB_CORNER)
                    || self.is_sub(SUB_FREE_KICK)
                    || self.is_sub(SUB_FREE_KICK_CROSS)),
        }
    }
}

/// Turns a shot event into a [`Shot`]. `before` holds the events before it in file order
/// (the whole match so far, or more: only the tail of the same match and period is read).
pub fn to_shot(shot: &Event, before: &[Event]) -> Result<Shot, WyscoutError> {
    let kind = match shot_kind(shot) {
        Some(k) if shot.match_period != MatchPeriod::ShootOut => k,
        _ => return Err(WyscoutError::NotAShot { event_id: shot.id }),
    };
    if !shot.event_sec.is_finite() {
        return Err(WyscoutError::NotFinite {
            event_id: shot.id,
            field: "eventSec",
        });
    }
    let at =
        position_m(shot, shot.team_id)?.ok_or(WyscoutError::NoPosition { event_id: shot.id })?;
    let moment = ShotMoment {
        team: shot.team_id,
        secs: shot.event_sec,
        kind,
        counter_attack: shot.has_tag(TAG_COUNTER_ATTACK),
    };
    let earlier = before.iter().rev().take_while(|e| same_phase(e, shot));
    if earlier.clone().any(|e| e.id == shot.id) {
        return Err(WyscoutError::ShotInBefore { event_id: shot.id });
    }
    let context = context::build(moment, earlier)?;
    Shot::new(at, body_part(shot), kind, context).map_err(|error| WyscoutError::Shot {
        event_id: shot.id,
        error,
    })
}

/// Every shot for xG in a list of events (one or more matches, in file order), with its index.
pub fn shots(events: &[Event]) -> impl Iterator<Item = (usize, Result<Shot, WyscoutError>)> + '_ {
    events
        .iter()
        .enumerate()
        .filter(|(_, e)| is_shot_for_xg(e))
        .map(|(i, e)| (i, to_shot(e, &events[..i])))
}

/// [`shots`] for events that arrive one at a time (a streaming parse): push the events of a
/// file in order and get each shot back as it arrives, converted with exactly what [`shots`]
/// would have given it. Only the current run of events of one match and period is kept,
/// because [`to_shot`] reads nothing before it.
#[derive(Debug, Default)]
pub struct PhaseWindow {
    events: Vec<Event>,
}

impl PhaseWindow {
    pub fn new() -> PhaseWindow {
        PhaseWindow::default()
    }

    /// Takes the next event of the file; if it is a shot for xG, returns it with its
    /// conversion.
    pub fn push(&mut self, e: Event) -> Option<(&Event, Result<Shot, WyscoutError>)> {
        if self.events.last().is_some_and(|last| !same_phase(last, &e)) {
            self.events.clear();
        }
        let shot = is_shot_for_xg(&e).then(|| to_shot(&e, &self.events));
        self.events.push(e);
        let e = self.events.last().expect("just pushed");
        shot.map(|s| (e, s))
    }
}

/// Parses a whole `events_*.json` array.
pub fn parse_events(text: &str) -> Result<Vec<Event>, WyscoutError> {
    serde_json::from_str(text).map_err(|e| WyscoutError::Json(e.to_string()))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::shot::Context;

    fn event(json: &str) -> Event {
        Event::from_json(json).unwrap()
    }

    #[test]
    fn match_periods_are_the_dataset_codes_and_nothing_else() {
        for p in MatchPeriod::ALL {
            let json = serde_json::to_string(&p).unwrap();
            assert_eq!(json, format!("\"{}\"", p.code()));
            assert_eq!(serde_json::from_str::<MatchPeriod>(&json).unwrap(), p);
            assert_eq!(format!("{p:>3}"), format!("{:>3}", p.code()));
        }
        for bad in [r#""3H""#, r#""""#, r#""1h""#, "1", "null", r#"["1H"]"#] {
            let e = serde_json::from_str::<MatchPeriod>(bad).unwrap_err();
            assert!(e.to_string().contains("1H"), "{bad}: {e}");
        }
        // Escaped text is decoded before it is matched.
        assert_eq!(
            serde_json::from_str::<MatchPeriod>(r#""\u0031H""#).unwrap(),
            MatchPeriod::FirstHalf
        );
    }

    #[test]
    fn sub_event_ids_are_integers_or_empty() {
        #[derive(Deserialize)]
        struct S {
            #[serde(deserialize_with = "sub_event_id")]
            id: Option<u32>,
        }
        let id = |json: &str| serde_json::from_str::<S>(&format!(r#"{{"id": {json}}}"#));
        assert_eq!(id("100").unwrap().id, Some(100));
        assert_eq!(id(r#""""#).unwrap().id, None);
        assert_eq!(id("null").unwrap().id, None);
        for bad in ["-1", "4294967296", "1.5", r#""85""#, "true", "[]"] {
            assert!(id(bad).is_err(), "{bad}");
        }
    }

    const PERISIC: &str = r#"{"eventId": 10, "subEventName": "Shot",
 "tags": [{"id": 101}, {"id": 401}, {"id": 201}, {"id": 1206}, {"id": 1801}],
 "playerId": 14812, "positions": [{"y": 42, "x": 87}, {"y": 100, "x": 100}],
 "matchId": 2058017, "eventName": "Shot", "teamId": 9598,
 "matchPeriod": "1H", "eventSec": 1676.030001, "subEventId": 100, "id": 263884397}"#;

    #[test]
    fn converts_the_readme_sample() {
        let e = event(PERISIC);
        assert!(is_shot_for_xg(&e) && is_goal(&e));
        let s = to_shot(&e, &[]).unwrap();
        assert!((s.at().x_m - 91.35).abs() < 1e-4 && (s.at().y_m - 28.56).abs() < 1e-4);
        assert_eq!(s.body_part(), BodyPart::LeftFoot);
        assert_eq!(s.kind(), ShotKind::OpenPlay);
        assert_eq!(s.context().secs_since_prev_event, None);
    }

    #[test]
    fn shoot_out_kicks_are_not_shots() {
        let e = event(
            &PERISIC
                .replace(r#""subEventId": 100"#, r#""subEventId": 35"#)
                .replace("\"1H\"", "\"P\""),
        );
        assert!(!is_shot_for_xg(&e));
        assert_eq!(
            to_shot(&e, &[]),
            Err(WyscoutError::NotAShot {
                event_id: 263884397
            })
        );
    }

    #[test]
    fn context_from_previous_events() {
        let cross = event(
            r#"{"eventId": 8, "subEventId": 80, "tags": [{"id": 801}, {"id": 301}],
            "playerId": 1, "positions": [{"y": 90, "x": 85}, {"y": 50, "x": 95}],
            "matchId": 2058017, "teamId": 9598, "matchPeriod": "1H", "eventSec": 1674.5, "id": 1}"#,
        );
        let duel = event(
            r#"{"eventId": 1, "subEventId": 12, "tags": [],
            "playerId": 2, "positions": [{"y": 50, "x": 10}],
            "matchId": 2058017, "teamId": 1111, "matchPeriod": "1H", "eventSec": 1675.5, "id": 2}"#,
        );
        let s = to_shot(&event(PERISIC), &[cross, duel]).unwrap();
        let c = s.context();
        assert!(c.after_cross && c.after_take_on_or_duel && !c.after_through_ball);
        assert!((c.secs_since_prev_event.unwrap() - 0.530001).abs() < 1e-4);
        assert!((c.secs_since_prev2_event.unwrap() - 1.530001).abs() < 1e-4);
        // The duel is the other team's: mirrored into the shooter's frame.
        let p = c.prev_event_at.unwrap();
        assert!(
            (p.x_m - 94.5).abs() < 1e-4 && (p.y_m - 34.0).abs() < 1e-4,
            "{p:?}"
        );
    }

    #[test]
    fn other_matches_and_periods_are_not_context() {
        let other = event(
            r#"{"eventId": 10, "subEventId": 100, "tags": [],
            "playerId": 2, "positions": [{"y": 50, "x": 90}],
            "matchId": 2058017, "teamId": 9598, "matchPeriod": "E1", "eventSec": 1675.0, "id": 3}"#,
        );
        let s = to_shot(&event(PERISIC), &[other]).unwrap();
        assert_eq!(s.context(), &Context::default());
    }

    #[test]
    fn events_round_trip_through_json_with_and_without_a_sub_event() {
        let with = event(PERISIC);
        assert_eq!(event(&serde_json::to_string(&with).unwrap()), with);
        let without = event(&PERISIC.replace(r#""subEventId": 100"#, r#""subEventId": """#));
        let text = serde_json::to_string(&without).unwrap();
        assert!(text.contains(r#""subEventId":"""#), "{text}");
        assert_eq!(event(&text), without);
        let null = event(&PERISIC.replace(r#""subEventId": 100"#, r#""subEventId": null"#));
        assert_eq!(null.sub_event_id, None);
    }

    #[test]
    fn malformed_events_are_errors() {
        for bad in [
            "{}",
            r#"{"eventId": "10"}"#,
            &PERISIC.replace(r#""subEventId": 100"#, r#""subEventId": "x""#),
            &PERISIC.replace(r#""matchId": 2058017,"#, ""),
            &PERISIC.replace(r#""eventSec": 1676.030001"#, r#""eventSec": null"#),
            &PERISIC.replace(r#"{"y": 42, "x": 87}"#, r#"{"y": 42}"#),
            "[1, 2]",
            &PERISIC[..PERISIC.len() / 2],
        ] {
            assert!(Event::from_json(bad).is_err(), "{bad}");
        }
        let empty = event(&PERISIC.replace(r#"[{"y": 42, "x": 87}, {"y": 100, "x": 100}]"#, "[]"));
        assert!(matches!(
            to_shot(&empty, &[]),
            Err(WyscoutError::NoPosition { .. })
        ));
        let far = event(&PERISIC.replace(r#"{"y": 42, "x": 87}"#, r#"{"y": 42, "x": 870}"#));
        assert!(matches!(to_shot(&far, &[]), Err(WyscoutError::Shot { .. })));
        let sub_empty = event(&PERISIC.replace(r#""subEventId": 100"#, r#""subEventId": """#));
        assert_eq!(sub_empty.sub_event_id, None);
    }

    #[test]
    fn the_phase_window_gives_what_shots_gives_on_the_whole_file() {
        // Two matches, both periods, shots right after a period or match change (no context),
        // a rebound and a set piece within their windows, events out of time order.
        let ev = |id: u64, m: u64, p: &str, sec: f64, team: u64, kind: &str| -> Event {
            let (eid, sub, name, tags) = match kind {
                "shot" => (10, 100, "Shot", r#"[{"id": 101}, {"id": 401}]"#),
                "corner" => (3, 30, "Corner", "[]"),
                "cross" => (8, 80, "Cross", r#"[{"id": 801}]"#),
                _ => (8, 85, "Simple pass", "[]"),
            };
            event(&format!(
                r#"{{"eventId": {eid}, "subEventName": "{name}", "tags": {tags}, "playerId": 1,
                "positions": [{{"y": 40, "x": 88}}, {{"y": 50, "x": 95}}], "matchId": {m},
                "eventName": "x", "teamId": {team}, "matchPeriod": "{p}", "eventSec": {sec},
                "subEventId": {sub}, "id": {id}}}"#
            ))
        };
        let events = vec![
            ev(1, 7, "1H", 10.0, 1, "pass"),
            ev(2, 7, "1H", 12.0, 1, "cross"),
            ev(3, 7, "1H", 13.0, 1, "shot"),
            ev(4, 7, "1H", 14.5, 1, "shot"),
            ev(5, 7, "2H", 1.0, 2, "shot"),
            ev(6, 7, "2H", 3.0, 2, "corner"),
            ev(7, 7, "2H", 2.0, 1, "pass"),
            ev(8, 7, "2H", 6.0, 2, "shot"),
            ev(9, 8, "2H", 7.0, 2, "shot"),
            ev(10, 8, "1H", 9.0, 1, "pass"),
            ev(11, 8, "1H", 9.5, 1, "shot"),
        ];
        let whole: Vec<(u64, Result<Shot, WyscoutError>)> =
            shots(&events).map(|(i, s)| (events[i].id, s)).collect();
        let mut window = PhaseWindow::new();
        let streamed: Vec<(u64, Result<Shot, WyscoutError>)> = events
            .iter()
            .cloned()
            .filter_map(|e| window.push(e).map(|(e, s)| (e.id, s)))
            .collect();
        assert_eq!(whole.len(), 6);
        assert_eq!(format!("{streamed:?}"), format!("{whole:?}"));
        // The context really comes from the window: a rebound, a set piece, none after a
        // change of period or match.
        let ctx = |id: u64| {
            *whole
                .iter()
                .find(|w| w.0 == id)
                .unwrap()
                .1
                .as_ref()
                .unwrap()
                .context()
        };
        assert!(ctx(3).after_cross && ctx(4).rebound);
        assert!(ctx(8).set_piece_phase);
        assert_eq!(ctx(5).secs_since_prev_event, None);
        assert_eq!(ctx(9).secs_since_prev_event, None);
    }
}
