//! JSON forms of a shot (feature `serde`).
//!
//! xgoals' own shot JSON is flat, snake_case and in metres (the [`pitch`](crate::pitch)
//! convention); booleans default to `false`, missing optional numbers to "missing":
//!
//! ```json
//! {"x_m": 94.5, "y_m": 30.0, "body_part": "right_foot", "kind": "open_play",
//!  "counter_attack": false, "after_cross": true, "after_through_ball": false,
//!  "after_high_pass": false, "after_take_on_or_duel": false, "rebound": false,
//!  "set_piece_phase": false, "secs_since_prev_event": 1.2, "secs_since_prev2_event": 3.0,
//!  "prev_event_x_m": 88.0, "prev_event_y_m": 60.0}
//! ```
//!
//! Unknown fields are errors (a typo must not silently become "missing"). Deserialising goes
//! through [`Shot::new`], so the same validation applies. [`OriginalRecord`] is the record of
//! the system xgoals replaces.

use crate::legacy::{self, LegacyError};
use crate::pitch::Point;
use crate::shot::{BodyPart, Context, Shot, ShotError, ShotKind};
use serde::de::DeserializeOwned;
use serde::{Deserialize, Serialize};

/// Parses `text` as a `T`. An error names the field and what is wrong with it
/// (`positions[0].x: invalid type: string "88", expected f64`) and leaves out the parser's line
/// and column: `text` is often one element of a file or a record, where they would mislead.
pub fn parse_naming_the_field<T: DeserializeOwned>(text: &str) -> Result<T, String> {
    let mut de = serde_json::Deserializer::from_str(text);
    serde_path_to_error::deserialize(&mut de).map_err(|e| {
        let inner = e.inner();
        let message = inner.to_string();
        let what = match message.rfind(" at line ") {
            Some(at) if inner.line() > 0 => &message[..at],
            _ => &message[..],
        };
        match e.path().to_string().as_str() {
            // The whole text, or a place the parser could not name.
            "." | "?" => what.to_string(),
            field => format!("{field}: {what}"),
        }
    })
}

/// The wire form of a [`Shot`].
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ShotJson {
    pub x_m: f32,
    pub y_m: f32,
    #[serde(default = "unknown_body_part")]
    pub body_part: String,
    #[serde(default = "open_play")]
    pub kind: String,
    #[serde(default)]
    pub counter_attack: bool,
    #[serde(default)]
    pub after_cross: bool,
    #[serde(default)]
    pub after_through_ball: bool,
    #[serde(default)]
    pub after_high_pass: bool,
    #[serde(default)]
    pub after_take_on_or_duel: bool,
    #[serde(default)]
    pub rebound: bool,
    #[serde(default)]
    pub set_piece_phase: bool,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub secs_since_prev_event: Option<f32>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub secs_since_prev2_event: Option<f32>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub prev_event_x_m: Option<f32>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub prev_event_y_m: Option<f32>,
}

fn unknown_body_part() -> String {
    BodyPart::Unknown.name().into()
}

fn open_play() -> String {
    ShotKind::OpenPlay.name().into()
}

impl From<&Shot> for ShotJson {
    fn from(s: &Shot) -> ShotJson {
        let c = s.context();
        ShotJson {
            x_m: s.at().x_m,
            y_m: s.at().y_m,
            body_part: s.body_part().name().into(),
            kind: s.kind().name().into(),
            counter_attack: c.counter_attack,
            after_cross: c.after_cross,
            after_through_ball: c.after_through_ball,
            after_high_pass: c.after_high_pass,
            after_take_on_or_duel: c.after_take_on_or_duel,
            rebound: c.rebound,
            set_piece_phase: c.set_piece_phase,
            secs_since_prev_event: c.secs_since_prev_event,
            secs_since_prev2_event: c.secs_since_prev2_event,
            prev_event_x_m: c.prev_event_at.map(|p| p.x_m),
            prev_event_y_m: c.prev_event_at.map(|p| p.y_m),
        }
    }
}

impl TryFrom<ShotJson> for Shot {
    type Error = ShotError;

    fn try_from(j: ShotJson) -> Result<Shot, ShotError> {
        let body_part = BodyPart::from_name(&j.body_part).ok_or(ShotError::UnknownValue {
            field: "body_part",
            value: j.body_part.clone(),
        })?;
        let kind = ShotKind::from_name(&j.kind).ok_or(ShotError::UnknownValue {
            field: "kind",
            value: j.kind.clone(),
        })?;
        let prev_event_at = match (j.prev_event_x_m, j.prev_event_y_m) {
            (Some(x), Some(y)) => Some(Point::new(x, y)),
            (None, None) => None,
            _ => {
                return Err(ShotError::UnknownValue {
                    field: "prev_event_x_m/prev_event_y_m",
                    value: "only one of the pair".into(),
                })
            }
        };
        let context = Context {
            counter_attack: j.counter_attack,
            after_cross: j.after_cross,
            after_through_ball: j.after_through_ball,
            after_high_pass: j.after_high_pass,
            after_take_on_or_duel: j.after_take_on_or_duel,
            rebound: j.rebound,
            set_piece_phase: j.set_piece_phase,
            secs_since_prev_event: j.secs_since_prev_event,
            secs_since_prev2_event: j.secs_since_prev2_event,
            prev_event_at,
        };
        Shot::new(Point::new(j.x_m, j.y_m), body_part, kind, context)
    }
}

/// Parses xgoals' shot JSON into a validated shot.
pub fn shot_from_json(text: &str) -> Result<Shot, JsonError> {
    let j: ShotJson = serde_json::from_str(text).map_err(|e| JsonError::Syntax(e.to_string()))?;
    Shot::try_from(j).map_err(JsonError::Shot)
}

/// Serialises a shot as xgoals' shot JSON.
pub fn shot_to_json(shot: &Shot) -> String {
    serde_json::to_string(&ShotJson::from(shot)).expect("a shot always serialises")
}

/// Why JSON was refused.
#[derive(Debug, Clone, PartialEq)]
pub enum JsonError {
    /// Not JSON, or not the expected shape (the message names the field and position).
    Syntax(String),
    Shot(ShotError),
    Legacy(LegacyError),
}

impl core::fmt::Display for JsonError {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        match self {
            JsonError::Syntax(e) => write!(f, "malformed JSON: {e}"),
            JsonError::Shot(e) => write!(f, "invalid shot: {e}"),
            JsonError::Legacy(e) => write!(f, "invalid original-format record: {e}"),
        }
    }
}

impl std::error::Error for JsonError {}

/// The original system's record: `{"shot": {"distance_to_goal": m, "angle_to_goal": rad},
/// "shot_id": n}`. `shot_id` is kept as raw JSON (number or string) and echoed back.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct OriginalRecord {
    pub shot: OriginalShot,
    pub shot_id: serde_json::Value,
}

#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct OriginalShot {
    pub distance_to_goal: f32,
    pub angle_to_goal: f32,
}

impl OriginalRecord {
    /// The shot the pair describes (see [`crate::legacy`]).
    pub fn to_shot(&self) -> Result<Shot, JsonError> {
        legacy::shot_from(self.shot.distance_to_goal, self.shot.angle_to_goal)
            .map_err(JsonError::Legacy)
    }
}

#[cfg(test)]
mod tests {
    use crate::wyscout::Event;

    #[test]
    fn parse_errors_name_the_field_and_no_position() {
        let e = super::parse_naming_the_field::<Event>(
            r#"{"id": 1, "positions": [{"x": "88", "y": 4}]}"#,
        )
        .unwrap_err();
        assert_eq!(
            e,
            r#"positions[0].x: invalid type: string "88", expected f64"#
        );
        // Whole-text problems have no field to name.
        let e = super::parse_naming_the_field::<Event>("{\"id\": 1,").unwrap_err();
        assert_eq!(e, "EOF while parsing a value");
        let e = super::parse_naming_the_field::<Event>("5").unwrap_err();
        assert!(e.starts_with("invalid type: integer `5`"), "{e}");
    }

    use super::*;

    #[test]
    fn round_trips_through_json() {
        let mut rng = crate::synth::Rng::new(3);
        for _ in 0..200 {
            let s = crate::synth::shot(&mut rng);
            assert_eq!(shot_from_json(&shot_to_json(&s)).unwrap(), s);
        }
    }

    #[test]
    fn defaults_and_errors() {
        let s = shot_from_json(r#"{"x_m": 100, "y_m": 34}"#).unwrap();
        assert_eq!(s.body_part(), BodyPart::Unknown);
        assert_eq!(s.kind(), ShotKind::OpenPlay);
        for bad in [
            r#"{"x_m": 100}"#,
            r#"{"x_m": "100", "y_m": 34}"#,
            r#"{"x_m": 100, "y_m": 34, "xx": 1}"#,
            r#"{"x_m": 100, "y_m": 34, "body_part": "tail"}"#,
            r#"{"x_m": 100, "y_m": 340}"#,
            r#"{"x_m": 100, "y_m": 34, "prev_event_x_m": 3}"#,
            r#"{"x_m": 100, "y_m": 34, "secs_since_prev_event": -1}"#,
            r#"{"x_m": 1e39, "y_m": 34}"#,
            "[]",
            "",
            "{\"x_m\": 100, \"y_m\": 3",
        ] {
            assert!(shot_from_json(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn original_record_parses() {
        let r: OriginalRecord = serde_json::from_str(
            r#"{"shot": {"distance_to_goal": 11.0, "angle_to_goal": 0.6421}, "shot_id": 7}"#,
        )
        .unwrap();
        let s = r.to_shot().unwrap();
        assert!((s.at().x_m - 94.0).abs() < 0.01, "{:?}", s.at());
    }
}
