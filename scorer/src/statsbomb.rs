//! Shots from StatsBomb open-data events (feature `statsbomb`): a second data provider, for
//! scoring matches from another feed with the same model and for comparing against the
//! provider's own `statsbomb_xg`. The only place that knows StatsBomb's coordinates and ids.
//!
//! # What counts as a shot
//!
//! Every `Shot` event (`type.id` 16) outside the penalty shoot-out (`period` 5). Its
//! `shot.type.id` gives the kind: 62 (free kick) is a direct free kick, 88 a penalty, and 87
//! (open play), 61 (straight from a corner) and 65 (from the kick-off) are open play. Any
//! other shot type is an error naming it, not a guess.
//!
//! # Coordinates
//!
//! StatsBomb locations are yards on a 120 × 80 pitch in the acting team's attacking
//! direction, `y = 0` on the attacker's left, with the markings at their real sizes: the goal
//! between `y` 36 and 44, the penalty area 18 yards deep and 44 wide, the spot at 12 yards.
//! A plain rescale to 105 × 68 m would shrink the goal to 6.8 m and the spot to 10.5 m, so
//! locations are mapped piecewise-linearly between the markings ([`X_KNOTS`], [`Y_KNOTS`]):
//! every marking lands where the [`pitch`](crate::pitch) convention puts it, and the
//! stretches between them are scaled to fill the 105 × 68 m pitch. Events of the other team
//! are mirrored into the shooter's frame first.
//!
//! # Context from the events before
//!
//! The rules are [`crate::context`]'s. StatsBomb records more events than Wyscout: every ball
//! receipt and carry. Those two, `Foul Won` (the twin of `Foul Committed`) and the
//! match-administration events (line-ups, substitutions, half start/end, camera) are not
//! events to those rules ([`is_play_event`]), so "the previous event" means what it means in
//! the Wyscout data the model learned from (the assisting pass, a take-on, a challenge), not
//! the shooter's own touch. What the remaining events are: a pass with `cross` is a cross, with
//! `technique.id` 108 (or the older `through_ball`) a through ball, with `height.id` 3 a high
//! pass; a corner or free-kick pass (`pass.type.id` 61, 62) is a set-piece restart and none
//! of the others (as in Wyscout); `Dribble`, `Dribbled Past`, `Duel`, `50/50` and `Pressure`
//! are duels (Wyscout records a defender closing the ball carrier down as a defending duel);
//! any `Shot` is a shot. The counter-attack flag is the shot's `play_pattern.id` 6 ("From
//! Counter"). On the three open-data matches these choices put the share of shots right
//! after a duel at 49 % (Wyscout: 52 %) and the median time since the previous event at
//! 1.7 s (Wyscout: 1.5 s); `docs/BENCHMARKS.md` has the alternatives measured.
//!
//! # Never read
//!
//! What happens because of the shot: `shot.outcome` (only the label, [`is_goal`]),
//! `shot.statsbomb_xg` (only for comparison, [`provider_xg`]), `shot.end_location`,
//! `shot.freeze_frame`, `shot.technique`, the shot's flags (`first_time`, `one_on_one`,
//! `deflected`, …), `related_events`, `duration`, and every event after the shot. The parsed
//! [`Event`] keeps only the fields below; the rest are skipped while parsing.

use crate::context::{self, Action, Prior, ShotMoment};
use crate::pitch::{
    Point, CENTRE_Y_M, GOAL_AREA_DEPTH_M, GOAL_AREA_WIDTH_M, GOAL_HALF_WIDTH_M, LENGTH_M,
    PENALTY_AREA_DEPTH_M, PENALTY_AREA_WIDTH_M, WIDTH_M,
};
use crate::shot::{BodyPart, Shot, ShotError, ShotKind};
use core::fmt;
use serde::{Deserialize, Deserializer};

/// StatsBomb's pitch, in its yards.
pub const PITCH_LENGTH_YD: f64 = 120.0;
pub const PITCH_WIDTH_YD: f64 = 80.0;

/// Event types (`type.id`).
pub const TYPE_BALL_RECOVERY: u32 = 2;
pub const TYPE_DISPOSSESSED: u32 = 3;
pub const TYPE_DUEL: u32 = 4;
pub const TYPE_BLOCK: u32 = 6;
pub const TYPE_OFFSIDE: u32 = 8;
pub const TYPE_CLEARANCE: u32 = 9;
pub const TYPE_INTERCEPTION: u32 = 10;
pub const TYPE_DRIBBLE: u32 = 14;
pub const TYPE_SHOT: u32 = 16;
pub const TYPE_PRESSURE: u32 = 17;
pub const TYPE_FOUL_COMMITTED: u32 = 22;
pub const TYPE_GOAL_KEEPER: u32 = 23;
pub const TYPE_SHIELD: u32 = 28;
pub const TYPE_PASS: u32 = 30;
pub const TYPE_FIFTY_FIFTY: u32 = 33;
pub const TYPE_ERROR: u32 = 37;
pub const TYPE_MISCONTROL: u32 = 38;
pub const TYPE_DRIBBLED_PAST: u32 = 39;

/// The event types the context rules see; everything else (ball receipts, carries, `Foul
/// Won`, administration) is skipped.
pub const PLAY_EVENT_TYPES: &[u32] = &[
    TYPE_BALL_RECOVERY,
    TYPE_DISPOSSESSED,
    TYPE_DUEL,
    TYPE_BLOCK,
    TYPE_OFFSIDE,
    TYPE_CLEARANCE,
    TYPE_INTERCEPTION,
    TYPE_DRIBBLE,
    TYPE_SHOT,
    TYPE_PRESSURE,
    TYPE_FOUL_COMMITTED,
    TYPE_GOAL_KEEPER,
    TYPE_SHIELD,
    TYPE_PASS,
    TYPE_FIFTY_FIFTY,
    TYPE_ERROR,
    TYPE_MISCONTROL,
    TYPE_DRIBBLED_PAST,
];

/// Shot types (`shot.type.id`).
pub const SHOT_CORNER: u32 = 61;
pub const SHOT_FREE_KICK: u32 = 62;
pub const SHOT_KICK_OFF: u32 = 65;
pub const SHOT_OPEN_PLAY: u32 = 87;
pub const SHOT_PENALTY: u32 = 88;

/// Pass types (`pass.type.id`) that are set-piece restarts.
pub const PASS_CORNER: u32 = 61;
pub const PASS_FREE_KICK: u32 = 62;
/// `pass.height.id` of a high pass.
pub const HEIGHT_HIGH: u32 = 3;
/// `pass.technique.id` of a through ball.
pub const TECHNIQUE_THROUGH_BALL: u32 = 108;

/// Body parts (`shot.body_part.id`).
pub const BODY_HEAD: u32 = 37;
pub const BODY_LEFT_FOOT: u32 = 38;
pub const BODY_RIGHT_FOOT: u32 = 40;
pub const BODY_OTHER: u32 = 70;

/// `play_pattern.id` "From Counter".
pub const PLAY_PATTERN_COUNTER: u32 = 6;
/// `shot.outcome.id` "Goal".
pub const OUTCOME_GOAL: u32 = 97;
/// `period` of the penalty shoot-out.
pub const PERIOD_SHOOT_OUT: u8 = 5;

/// The markings along the length: (StatsBomb yards, metres in the pitch convention). Goal
/// lines, penalty-area lines, halfway line.
pub const X_KNOTS: [(f64, f64); 5] = [
    (0.0, 0.0),
    (18.0, PENALTY_AREA_DEPTH_M as f64),
    (60.0, LENGTH_M as f64 / 2.0),
    (102.0, (LENGTH_M - PENALTY_AREA_DEPTH_M) as f64),
    (120.0, LENGTH_M as f64),
];

/// The markings across the width: touchlines, penalty-area sides, goal-area sides, posts.
pub const Y_KNOTS: [(f64, f64); 8] = [
    (0.0, 0.0),
    (18.0, (CENTRE_Y_M - PENALTY_AREA_WIDTH_M / 2.0) as f64),
    (30.0, (CENTRE_Y_M - GOAL_AREA_WIDTH_M / 2.0) as f64),
    (36.0, (CENTRE_Y_M - GOAL_HALF_WIDTH_M) as f64),
    (44.0, (CENTRE_Y_M + GOAL_HALF_WIDTH_M) as f64),
    (50.0, (CENTRE_Y_M + GOAL_AREA_WIDTH_M / 2.0) as f64),
    (62.0, (CENTRE_Y_M + PENALTY_AREA_WIDTH_M / 2.0) as f64),
    (80.0, WIDTH_M as f64),
];

// The goal area's depth is not a knot: it falls where it should (6 of the last 18 yards).
const _: () = assert!(GOAL_AREA_DEPTH_M * 3.0 == PENALTY_AREA_DEPTH_M);

/// A value between knots, linear within each stretch (and beyond the ends, along the end
/// stretch).
fn piecewise(v: f64, knots: &[(f64, f64)]) -> f64 {
    let i = knots[1..knots.len() - 1]
        .iter()
        .take_while(|k| v > k.0)
        .count();
    let ((a, fa), (b, fb)) = (knots[i], knots[i + 1]);
    fa + (v - a) * (fb - fa) / (b - a)
}

/// A StatsBomb location (yards, the acting team's frame) in metres in the same frame.
pub fn location_m(x_yd: f64, y_yd: f64) -> Point {
    Point::new(
        piecewise(x_yd, &X_KNOTS) as f32,
        piecewise(y_yd, &Y_KNOTS) as f32,
    )
}

/// An `{"id": …, "name": …}` reference; only the id is kept.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
pub struct Ref {
    pub id: u32,
}

/// A team or player reference (`{"id": …, "name": …}` with a wider id); only the id is kept.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
pub struct EntityRef {
    pub id: u64,
}

/// The pass details the conversion reads.
#[derive(Debug, Clone, Copy, PartialEq, Default, Deserialize)]
pub struct PassDetails {
    #[serde(rename = "type", default)]
    pub kind: Option<Ref>,
    #[serde(default)]
    pub height: Option<Ref>,
    #[serde(default)]
    pub technique: Option<Ref>,
    #[serde(default)]
    pub cross: bool,
    /// Older exports' flag for a through ball (newer ones use `technique`).
    #[serde(default)]
    pub through_ball: bool,
}

/// The shot details: the kind and body part, plus the label and the provider's xG, which
/// [`to_shot`] never reads.
#[derive(Debug, Clone, Copy, PartialEq, Deserialize)]
pub struct ShotDetails {
    #[serde(rename = "type")]
    pub kind: Ref,
    #[serde(default)]
    pub body_part: Option<Ref>,
    #[serde(default)]
    pub outcome: Option<Ref>,
    #[serde(default)]
    pub statsbomb_xg: Option<f64>,
}

/// One StatsBomb event (an element of a match's `events/<match_id>.json` array): the fields
/// the conversion reads. Unknown fields are skipped.
#[derive(Debug, Clone, PartialEq, Deserialize)]
pub struct Event {
    /// StatsBomb's event id (a UUID), if present.
    #[serde(default)]
    pub id: Option<String>,
    /// Position of the event in the match's file (StatsBomb's `index`), which names it in
    /// errors.
    pub index: u64,
    pub period: u8,
    /// `timestamp` (`"HH:MM:SS.mmm"` since the period started) in seconds.
    #[serde(rename = "timestamp", deserialize_with = "timestamp_s")]
    pub secs: f64,
    #[serde(rename = "type")]
    pub kind: Ref,
    pub team: EntityRef,
    #[serde(default)]
    pub player: Option<EntityRef>,
    #[serde(default)]
    pub play_pattern: Option<Ref>,
    /// `[x, y]` (some feeds add a height); missing on events without one.
    #[serde(default)]
    pub location: Option<Vec<f64>>,
    #[serde(default)]
    pub pass: Option<PassDetails>,
    #[serde(default)]
    pub shot: Option<ShotDetails>,
}

/// Parses `"HH:MM:SS"` with an optional fraction into seconds.
pub fn parse_timestamp(s: &str) -> Option<f64> {
    let mut parts = s.split(':');
    let (h, m, sec) = (parts.next()?, parts.next()?, parts.next()?);
    if parts.next().is_some() {
        return None;
    }
    let digits = |t: &str| -> Option<u32> {
        (!t.is_empty() && t.len() <= 3 && t.bytes().all(|b| b.is_ascii_digit()))
            .then(|| t.parse().ok())
            .flatten()
    };
    let (whole, frac) = match sec.split_once('.') {
        Some((whole, frac)) => (whole, Some(frac)),
        None => (sec, None),
    };
    let (h, m, whole) = (digits(h)?, digits(m)?, digits(whole)?);
    if m >= 60 || whole >= 60 {
        return None;
    }
    let frac = match frac {
        None => 0.0,
        Some(f) if (1..=9).contains(&f.len()) && f.bytes().all(|b| b.is_ascii_digit()) => {
            const POW10: [f64; 10] = [1e0, 1e1, 1e2, 1e3, 1e4, 1e5, 1e6, 1e7, 1e8, 1e9];
            f64::from(f.parse::<u32>().ok()?) / POW10[f.len()]
        }
        Some(_) => return None,
    };
    Some(f64::from(h) * 3600.0 + f64::from(m) * 60.0 + f64::from(whole) + frac)
}

fn timestamp_s<'de, D: Deserializer<'de>>(d: D) -> Result<f64, D::Error> {
    // A visitor rather than `&str`, so escaped text and readers work too.
    struct Timestamp;
    impl serde::de::Visitor<'_> for Timestamp {
        type Value = f64;
        fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
            f.write_str("a timestamp string \"HH:MM:SS.mmm\"")
        }
        fn visit_str<E: serde::de::Error>(self, s: &str) -> Result<f64, E> {
            parse_timestamp(s).ok_or_else(|| {
                E::custom(format!(
                    "timestamp {:?} is not \"HH:MM:SS.mmm\"",
                    s.chars().take(24).collect::<String>()
                ))
            })
        }
    }
    d.deserialize_str(Timestamp)
}

/// Why an event did not become a shot.
#[derive(Debug, Clone, PartialEq)]
pub enum StatsbombError {
    /// The event is not a shot for xG (or is a shoot-out kick).
    NotAShot { index: u64 },
    /// The shot has no `location` (or one with fewer than two numbers).
    NoPosition { index: u64 },
    /// `period` is not 1–5.
    BadPeriod { index: u64, period: u8 },
    /// `shot.type.id` is not one of the kinds above.
    UnknownShotType { index: u64, id: u32 },
    /// The shot failed validation.
    Shot { index: u64, error: ShotError },
    /// The events before the shot hold the shot itself (its context would read it as an
    /// earlier shot: a rebound, 0 s before).
    ShotInBefore { index: u64 },
    /// The JSON is malformed or misses a field (serde's message names it).
    Json(String),
}

impl fmt::Display for StatsbombError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            StatsbombError::NotAShot { index } => {
                write!(f, "event index {index} is not a shot for xG")
            }
            StatsbombError::NoPosition { index } => {
                write!(f, "shot event index {index} has no location [x, y]")
            }
            StatsbombError::BadPeriod { index, period } => {
                write!(f, "event index {index}: period {period} is not 1-5")
            }
            StatsbombError::UnknownShotType { index, id } => write!(
                f,
                "shot event index {index}: unknown shot.type.id {id} (known: 61, 62, 65, 87, 88)"
            ),
            StatsbombError::Shot { index, error } => {
                write!(f, "shot event index {index}: {error}")
            }
            StatsbombError::ShotInBefore { index } => write!(
                f,
                "the events before shot index {index} include the shot itself (give only earlier events)"
            ),
            StatsbombError::Json(e) => write!(f, "malformed StatsBomb event: {e}"),
        }
    }
}

impl std::error::Error for StatsbombError {}

impl Event {
    /// Parses one event from JSON text.
    pub fn from_json(text: &str) -> Result<Event, StatsbombError> {
        crate::json::parse_naming_the_field(text).map_err(StatsbombError::Json)
    }

    fn is_type(&self, id: u32) -> bool {
        self.kind.id == id
    }

    /// The event's location in metres, in the frame of `team` attacking `x_m = 105`.
    fn location_for(&self, team: u64) -> Option<Point> {
        let &[x, y, ..] = self.location.as_deref()? else {
            return None;
        };
        let (x, y) = if self.team.id == team {
            (x, y)
        } else {
            (PITCH_LENGTH_YD - x, PITCH_WIDTH_YD - y)
        };
        Some(location_m(x, y))
    }
}

/// Whether the context rules see this event (see the module docs).
pub fn is_play_event(e: &Event) -> bool {
    PLAY_EVENT_TYPES.contains(&e.kind.id)
}

impl Prior for Event {
    type Error = StatsbombError;
    fn team(&self) -> u64 {
        self.team.id
    }
    fn secs(&self) -> Result<f64, StatsbombError> {
        Ok(self.secs)
    }
    fn position_for(&self, team: u64) -> Result<Option<Point>, StatsbombError> {
        Ok(self.location_for(team))
    }
    fn action(&self) -> Action {
        let restart = |p: &PassDetails| {
            p.kind
                .is_some_and(|k| k.id == PASS_CORNER || k.id == PASS_FREE_KICK)
        };
        let open_pass = self.pass.filter(|p| self.is_type(TYPE_PASS) && !restart(p));
        Action {
            shot: self.is_type(TYPE_SHOT),
            cross: open_pass.is_some_and(|p| p.cross),
            through_ball: open_pass.is_some_and(|p| {
                p.through_ball || p.technique.is_some_and(|t| t.id == TECHNIQUE_THROUGH_BALL)
            }),
            high_pass: open_pass.is_some_and(|p| p.height.is_some_and(|h| h.id == HEIGHT_HIGH)),
            duel: [
                TYPE_DRIBBLE,
                TYPE_DRIBBLED_PAST,
                TYPE_DUEL,
                TYPE_FIFTY_FIFTY,
                TYPE_PRESSURE,
            ]
            .contains(&self.kind.id),
            set_piece_restart: self.is_type(TYPE_PASS) && self.pass.as_ref().is_some_and(restart),
        }
    }
}

/// The kind of shot an event is, if it is a shot event at all (shoot-out kicks included).
pub fn shot_kind(e: &Event) -> Option<Result<ShotKind, StatsbombError>> {
    if !e.is_type(TYPE_SHOT) {
        return None;
    }
    let id = e.shot.map(|s| s.kind.id);
    Some(match id {
        Some(SHOT_OPEN_PLAY | SHOT_CORNER | SHOT_KICK_OFF) => Ok(ShotKind::OpenPlay),
        Some(SHOT_FREE_KICK) => Ok(ShotKind::DirectFreeKick),
        Some(SHOT_PENALTY) => Ok(ShotKind::Penalty),
        Some(id) => Err(StatsbombError::UnknownShotType { index: e.index, id }),
        None => Err(StatsbombError::Json(format!(
            "shot event index {} has no \"shot\" object",
            e.index
        ))),
    })
}

/// Whether an event is a shot that gets an xG: a `Shot` outside the shoot-out.
pub fn is_shot_for_xg(e: &Event) -> bool {
    e.is_type(TYPE_SHOT) && e.period != PERIOD_SHOOT_OUT
}

/// The label: whether the shot was a goal. Never a feature.
pub fn is_goal(e: &Event) -> bool {
    e.shot
        .and_then(|s| s.outcome)
        .is_some_and(|o| o.id == OUTCOME_GOAL)
}

/// StatsBomb's own xG for the shot, for comparison. Never a feature.
pub fn provider_xg(e: &Event) -> Option<f64> {
    e.shot.and_then(|s| s.statsbomb_xg)
}

fn body_part(e: &Event) -> BodyPart {
    match e.shot.and_then(|s| s.body_part).map(|b| b.id) {
        Some(BODY_LEFT_FOOT) => BodyPart::LeftFoot,
        Some(BODY_RIGHT_FOOT) => BodyPart::RightFoot,
        Some(BODY_HEAD | BODY_OTHER) => BodyPart::HeadOrOther,
        _ => BodyPart::Unknown,
    }
}

/// Turns a shot event into a [`Shot`]. `before` holds the match's events before it in file
/// order; only the tail of the same period is read.
pub fn to_shot(shot: &Event, before: &[Event]) -> Result<Shot, StatsbombError> {
    let index = shot.index;
    if !(1..=PERIOD_SHOOT_OUT).contains(&shot.period) {
        return Err(StatsbombError::BadPeriod {
            index,
            period: shot.period,
        });
    }
    let kind = match shot_kind(shot) {
        Some(kind) if shot.period != PERIOD_SHOOT_OUT => kind?,
        _ => return Err(StatsbombError::NotAShot { index }),
    };
    let at = shot
        .location_for(shot.team.id)
        .ok_or(StatsbombError::NoPosition { index })?;
    let moment = ShotMoment {
        team: shot.team.id,
        secs: shot.secs,
        kind,
        counter_attack: shot
            .play_pattern
            .is_some_and(|p| p.id == PLAY_PATTERN_COUNTER),
    };
    let same_period = before.iter().rev().take_while(|e| e.period == shot.period);
    if same_period.clone().any(|e| e.index == index) {
        return Err(StatsbombError::ShotInBefore { index });
    }
    let context = context::build(moment, same_period.filter(|e| is_play_event(e)))?;
    Shot::new(at, body_part(shot), kind, context)
        .map_err(|error| StatsbombError::Shot { index, error })
}

/// Every shot for xG in one match's events (file order), with its index in `events`.
pub fn shots(events: &[Event]) -> impl Iterator<Item = (usize, Result<Shot, StatsbombError>)> + '_ {
    events
        .iter()
        .enumerate()
        .filter(|(_, e)| is_shot_for_xg(e))
        .map(|(i, e)| (i, to_shot(e, &events[..i])))
}

/// Parses a whole match's events array.
pub fn parse_events(text: &str) -> Result<Vec<Event>, StatsbombError> {
    serde_json::from_str(text).map_err(|e| StatsbombError::Json(e.to_string()))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::pitch;

    #[test]
    fn the_markings_land_on_the_pitch_conventions_markings() {
        let close = |p: Point, x: f32, y: f32| (p.x_m - x).abs() < 1e-4 && (p.y_m - y).abs() < 1e-4;
        // Penalty spot, posts, corners, centre spot.
        assert!(close(location_m(108.0, 40.0), 94.0, 34.0));
        assert_eq!(pitch::distance_to_goal_m(location_m(108.0, 40.0)), 11.0);
        // Exactly: the spot is the spot, so a StatsBomb penalty is xgoals' penalty.
        assert_eq!(location_m(108.0, 40.0), Point::PENALTY_SPOT);
        assert!(close(location_m(120.0, 36.0), 105.0, 34.0 - 3.66));
        assert!(close(location_m(120.0, 44.0), 105.0, 34.0 + 3.66));
        assert!(close(location_m(0.0, 0.0), 0.0, 0.0));
        assert!(close(location_m(120.0, 80.0), 105.0, 68.0));
        assert!(close(location_m(60.0, 40.0), 52.5, 34.0));
        // The six-yard line and the edge of the box.
        assert!(close(location_m(114.0, 30.0), 99.5, 34.0 - 9.16));
        assert!(close(location_m(102.0, 62.0), 88.5, 34.0 + 20.16));
        // Monotonic, and symmetric about the centre.
        let mut last = f32::NEG_INFINITY;
        for i in -50..=1250 {
            let v = i as f64 / 10.0;
            let p = location_m(v, v * 80.0 / 120.0);
            assert!(p.x_m > last);
            last = p.x_m;
            let m = location_m(120.0 - v, 80.0 - v * 80.0 / 120.0);
            assert!(
                (m.x_m - (105.0 - p.x_m)).abs() < 1e-3 && (m.y_m - (68.0 - p.y_m)).abs() < 1e-3
            );
        }
        // Beyond the lines, along the end stretch.
        assert!(close(
            location_m(121.0, 81.0),
            105.0 + 16.5 / 18.0,
            68.0 + 13.84 / 18.0
        ));
    }

    #[test]
    fn timestamps_are_strict() {
        assert_eq!(parse_timestamp("00:04:45.973"), Some(285.973));
        assert_eq!(parse_timestamp("01:02:03"), Some(3723.0));
        assert_eq!(parse_timestamp("00:00:00.000"), Some(0.0));
        for bad in [
            "",
            "4:45",
            "00:60:00.0",
            "00:00:61.0",
            "aa:00:00",
            "00:00:00.1x",
            "-1:00:00",
            "00:00:00:00",
            "00:00:00.",
            "0000:00:00",
            "00:00:00.0000000001",
        ] {
            assert_eq!(parse_timestamp(bad), None, "{bad}");
        }
    }

    const SHOT: &str = r#"{"id": "56d56ec5", "index": 276, "period": 1,
 "timestamp": "00:04:45.973", "minute": 4, "second": 45, "type": {"id": 16, "name": "Shot"},
 "possession": 11, "play_pattern": {"id": 2, "name": "From Corner"},
 "team": {"id": 211, "name": "Girona"}, "player": {"id": 6573, "name": "B"},
 "location": [109.9, 35.2], "duration": 0.758691, "related_events": ["0e92"],
 "shot": {"statsbomb_xg": 0.088489294, "end_location": [119.2, 38.8, 0.7],
  "key_pass_id": "d4be", "outcome": {"id": 100, "name": "Saved"},
  "type": {"id": 87, "name": "Open Play"}, "body_part": {"id": 37, "name": "Head"},
  "technique": {"id": 90, "name": "Diving Header"},
  "freeze_frame": [{"location": [115.2, 36.4], "player": {"id": 1, "name": "S"},
   "position": {"id": 24, "name": "L"}, "teammate": true}]}}"#;

    fn event(json: &str) -> Event {
        Event::from_json(json).unwrap()
    }

    fn before(index: u64, secs: &str, team: u64, kind: u32, extra: &str) -> Event {
        event(&format!(
            r#"{{"index": {index}, "period": 1, "timestamp": "00:04:{secs}",
            "type": {{"id": {kind}, "name": "x"}}, "team": {{"id": {team}, "name": "T"}},
            "location": [116.0, 75.0]{extra}}}"#
        ))
    }

    #[test]
    fn converts_a_real_shot_with_its_context() {
        let corner = before(
            270,
            "42.733",
            211,
            TYPE_PASS,
            r#", "pass": {"type": {"id": 61}, "cross": true, "height": {"id": 3}}"#,
        );
        let pressure = before(271, "43.703", 217, 17, "");
        let receipt = before(272, "43.796", 211, 42, "");
        let carry = before(273, "43.796", 211, 43, "");
        let cross = before(
            274,
            "44.168",
            211,
            TYPE_PASS,
            r#", "pass": {"cross": true, "height": {"id": 3}}"#,
        );
        let receipt2 = before(275, "45.639", 211, 42, "");
        let events = [corner, pressure, receipt, carry, cross, receipt2];
        let shot = event(SHOT);
        assert!(is_shot_for_xg(&shot) && !is_goal(&shot));
        assert_eq!(provider_xg(&shot), Some(0.088489294));
        let s = to_shot(&shot, &events).unwrap();
        assert_eq!(s.kind(), ShotKind::OpenPlay);
        assert_eq!(s.body_part(), BodyPart::HeadOrOther);
        let at = location_m(109.9, 35.2);
        assert_eq!(s.at(), at);
        let c = s.context();
        // The previous play event is the cross (receipts and carries are skipped), the one
        // before it the opponent's pressure, a duel; the corner shortly before sets the phase.
        assert!(c.after_cross && c.after_high_pass && c.set_piece_phase);
        assert!(c.after_take_on_or_duel && !c.counter_attack && !c.rebound);
        assert!((c.secs_since_prev_event.unwrap() - 1.805).abs() < 1e-4);
        assert!((c.secs_since_prev2_event.unwrap() - 2.27).abs() < 1e-4);
        assert_eq!(c.prev_event_at, Some(location_m(116.0, 75.0)));
        // Only the corner before it: the assist is the corner, which is not a cross.
        let s = to_shot(&shot, &events[..1]).unwrap();
        let c = s.context();
        assert!(!c.after_cross && !c.after_high_pass && c.set_piece_phase);
        assert!((c.secs_since_prev_event.unwrap() - 3.24).abs() < 1e-4);
        // Without the pressure the corner is the event before the cross.
        let no_pressure = [&events[..1], &events[2..]].concat();
        let c = *to_shot(&shot, &no_pressure).unwrap().context();
        assert!(!c.after_take_on_or_duel);
        assert!((c.secs_since_prev2_event.unwrap() - 3.24).abs() < 1e-4);
    }

    #[test]
    fn kinds_periods_and_body_parts() {
        let with = |from: &str, to: &str| {
            assert_eq!(SHOT.matches(from).count(), 1, "{from}");
            event(&SHOT.replace(from, to))
        };
        let kind = |id: u32| {
            to_shot(
                &with(
                    r#""id": 87, "name": "Open Play""#,
                    &format!(r#""id": {id}"#),
                ),
                &[],
            )
            .map(|s| s.kind())
        };
        assert_eq!(kind(62), Ok(ShotKind::DirectFreeKick));
        assert_eq!(kind(88), Ok(ShotKind::Penalty));
        assert_eq!(kind(61), Ok(ShotKind::OpenPlay));
        assert_eq!(
            kind(999),
            Err(StatsbombError::UnknownShotType {
                index: 276,
                id: 999
            })
        );
        let shoot_out = with(r#""period": 1"#, r#""period": 5"#);
        assert!(!is_shot_for_xg(&shoot_out));
        assert_eq!(
            to_shot(&shoot_out, &[]),
            Err(StatsbombError::NotAShot { index: 276 })
        );
        assert_eq!(
            to_shot(&with(r#""period": 1"#, r#""period": 9"#), &[]),
            Err(StatsbombError::BadPeriod {
                index: 276,
                period: 9
            })
        );
        let pass = with(
            r#""type": {"id": 16, "name": "Shot"}"#,
            r#""type": {"id": 30}"#,
        );
        assert_eq!(
            to_shot(&pass, &[]),
            Err(StatsbombError::NotAShot { index: 276 })
        );
        let body = |id: &str| {
            to_shot(
                &with(r#""id": 37, "name": "Head""#, &format!(r#""id": {id}"#)),
                &[],
            )
            .unwrap()
            .body_part()
        };
        assert_eq!(body("38"), BodyPart::LeftFoot);
        assert_eq!(body("40"), BodyPart::RightFoot);
        assert_eq!(body("70"), BodyPart::HeadOrOther);
        assert_eq!(body("106"), BodyPart::Unknown);
        let counter = with(r#""id": 2, "name": "From Corner""#, r#""id": 6"#);
        assert!(to_shot(&counter, &[]).unwrap().context().counter_attack);
    }

    #[test]
    fn malformed_and_hostile_events_are_errors_not_panics() {
        for bad in [
            "{}".to_string(),
            "[]".to_string(),
            SHOT.replace(r#""timestamp": "00:04:45.973""#, r#""timestamp": 285.9"#),
            SHOT.replace("00:04:45.973", "00:04:45,973"),
            SHOT.replace(r#""index": 276"#, r#""index": -1"#),
            SHOT.replace(r#""period": 1"#, r#""period": 300"#),
            SHOT.replace(
                r#""team": {"id": 211, "name": "Girona"}"#,
                r#""team": "Girona""#,
            ),
            SHOT.replace(
                r#""location": [109.9, 35.2]"#,
                r#""location": ["109.9", 35.2]"#,
            ),
            SHOT.replace(
                r#""location": [109.9, 35.2]"#,
                r#""location": [1e999, 35.2]"#,
            ),
            SHOT[..SHOT.len() / 2].to_string(),
        ] {
            assert!(Event::from_json(&bad).is_err(), "{bad}");
        }
        for (loc, want_position_error) in [
            ("[]", true),
            ("[109.9]", true),
            ("null", true),
            ("[1e30, 35.2]", false),
            ("[500.0, 40.0]", false),
        ] {
            let e = event(&SHOT.replace("[109.9, 35.2]", loc));
            let r = to_shot(&e, &[]);
            match r {
                Err(StatsbombError::NoPosition { index: 276 }) => {
                    assert!(want_position_error, "{loc}")
                }
                Err(StatsbombError::Shot { index: 276, .. }) => {
                    assert!(!want_position_error, "{loc}")
                }
                other => panic!("{loc}: {other:?}"),
            }
        }
        let cut = SHOT.find(r#""shot": {"#).unwrap();
        let no_details = event(&format!(r#"{}"x": 0}}"#, &SHOT[..cut]));
        assert!(
            matches!(to_shot(&no_details, &[]), Err(StatsbombError::Json(m)) if m.contains("276"))
        );
        // A previous event far off the pitch fails validation rather than being clamped.
        let far = before(275, "45.0", 211, TYPE_PASS, "").with_location(&[900.0, 40.0]);
        assert!(matches!(
            to_shot(&event(SHOT), &[far]),
            Err(StatsbombError::Shot { .. })
        ));
    }

    impl Event {
        fn with_location(mut self, at: &[f64]) -> Event {
            self.location = Some(at.to_vec());
            self
        }
    }

    #[test]
    fn post_shot_fields_and_later_events_never_change_the_shot() {
        let events = [before(
            274,
            "44.168",
            211,
            TYPE_PASS,
            r#", "pass": {"cross": true}"#,
        )];
        let want = to_shot(&event(SHOT), &events).unwrap();
        for (from, to) in [
            (
                r#""id": 100, "name": "Saved""#,
                r#""id": 97, "name": "Goal""#,
            ),
            ("0.088489294", "0.99"),
            (r#""statsbomb_xg": 0.088489294, "#, ""),
            ("[119.2, 38.8, 0.7]", "[120.0, 40.0, 1.0]"),
            (
                r#""technique": {"id": 90, "name": "Diving Header"}"#,
                r#""technique": {"id": 93}, "first_time": true, "one_on_one": true, "deflected": true"#,
            ),
            (r#""teammate": true"#, r#""teammate": false"#),
            (
                r#""duration": 0.758691"#,
                r#""duration": 9.0, "under_pressure": true"#,
            ),
            (r#""related_events": ["0e92"]"#, r#""related_events": []"#),
            (r#""key_pass_id": "d4be""#, r#""key_pass_id": "ffff""#),
        ] {
            assert_eq!(SHOT.matches(from).count(), 1, "{from}");
            let changed = event(&SHOT.replace(from, to));
            assert_eq!(to_shot(&changed, &events), Ok(want), "{from} -> {to}");
        }
        // Events after the shot are not in `before`, and the shots function passes only
        // earlier ones.
        let after = before(277, "46.5", 217, TYPE_GOAL_KEEPER, "");
        let all = [events[0].clone(), event(SHOT), after];
        let got: Vec<_> = shots(&all).collect();
        assert_eq!(got, vec![(1, Ok(want))]);
    }
}
