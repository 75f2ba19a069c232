//! The feature table: every model input, its name beside its computation, in a fixed order.
//!
//! The trainer builds its rows with [`extract`], the wasm module and the web page call the same
//! function, and model files record [`FEATURE_SET_ID`] and the names so a model trained on a
//! different table is refused. Missing values (no previous event, body part not recorded) are
//! NaN; the model routes them explicitly.

use crate::pitch::{self, Point};
use crate::shot::{BodyPart, Shot, ShotKind};

/// One model input.
pub struct Feature {
    /// snake_case name with its unit, the same in code, manifest, golden file and UI.
    pub name: &'static str,
    /// One line for tooltips and the model card.
    pub description: &'static str,
    pub eval: fn(&Shot) -> f32,
}

fn flag(b: bool) -> f32 {
    if b {
        1.0
    } else {
        0.0
    }
}

fn or_missing(v: Option<f32>) -> f32 {
    v.unwrap_or(f32::NAN)
}

fn prev_at(s: &Shot, f: fn(Point) -> f32) -> f32 {
    or_missing(s.context().prev_event_at.map(f))
}

/// The feature table, in model column order.
pub const FEATURES: &[Feature] = &[
    Feature {
        name: "distance_to_goal_m",
        description: "distance from the shot to the centre of the goal",
        eval: |s| pitch::distance_to_goal_m(s.at()),
    },
    Feature {
        name: "goal_mouth_angle_rad",
        description: "angle between the lines from the shot to the two posts",
        eval: |s| pitch::goal_mouth_angle_rad(s.at()),
    },
    Feature {
        name: "goal_line_distance_m",
        description: "distance in front of the goal line",
        eval: |s| pitch::goal_line_distance_m(s.at()),
    },
    Feature {
        name: "centre_offset_m",
        description: "distance from the pitch's long axis",
        eval: |s| pitch::centre_offset_m(s.at()),
    },
    Feature {
        name: "is_header",
        description: "struck with the head or body (missing when not recorded)",
        eval: |s| match s.body_part() {
            BodyPart::HeadOrOther => 1.0,
            BodyPart::LeftFoot | BodyPart::RightFoot => 0.0,
            BodyPart::Unknown => f32::NAN,
        },
    },
    Feature {
        name: "is_direct_free_kick",
        description: "a direct free kick",
        eval: |s| flag(s.kind() == ShotKind::DirectFreeKick),
    },
    Feature {
        name: "is_penalty",
        description: "a penalty",
        eval: |s| flag(s.kind() == ShotKind::Penalty),
    },
    Feature {
        name: "is_counter_attack",
        description: "the shot ends a counter-attack",
        eval: |s| flag(s.context().counter_attack),
    },
    Feature {
        name: "after_cross",
        description: "a cross by the shooting team just before",
        eval: |s| flag(s.context().after_cross),
    },
    Feature {
        name: "after_through_ball",
        description: "a through ball by the shooting team just before",
        eval: |s| flag(s.context().after_through_ball),
    },
    Feature {
        name: "after_high_pass",
        description: "a high pass by the shooting team just before",
        eval: |s| flag(s.context().after_high_pass),
    },
    Feature {
        name: "after_take_on_or_duel",
        description: "a take-on or duel just before",
        eval: |s| flag(s.context().after_take_on_or_duel),
    },
    Feature {
        name: "is_rebound",
        description: "the same team shot a few seconds before",
        eval: |s| flag(s.context().rebound),
    },
    Feature {
        name: "set_piece_phase",
        description: "a corner or free kick by the shooting team shortly before",
        eval: |s| flag(s.context().set_piece_phase),
    },
    Feature {
        name: "secs_since_prev_event",
        description: "seconds since the previous event (missing if none)",
        eval: |s| or_missing(s.context().secs_since_prev_event),
    },
    Feature {
        name: "secs_since_prev2_event",
        description: "seconds since the event before the previous one (missing if none)",
        eval: |s| or_missing(s.context().secs_since_prev2_event),
    },
    Feature {
        name: "prev_event_distance_to_goal_m",
        description: "distance from the previous event to the centre of the goal",
        eval: |s| prev_at(s, pitch::distance_to_goal_m),
    },
    Feature {
        name: "prev_event_centre_offset_m",
        description: "distance of the previous event from the pitch's long axis",
        eval: |s| prev_at(s, pitch::centre_offset_m),
    },
    Feature {
        name: "ball_movement_m",
        description: "how far the ball moved from the previous event to the shot",
        eval: |s| {
            or_missing(
                s.context()
                    .prev_event_at
                    .map(|p| pitch::distance_m(p, s.at())),
            )
        },
    },
];

/// Number of features; the length of every feature row.
pub const N_FEATURES: usize = 19;

/// One shot's features, in [`FEATURES`] order.
pub type FeatureRow = [f32; N_FEATURES];

const _: () = assert!(FEATURES.len() == N_FEATURES);

/// Stable identifier of the feature table: FNV-1a (64 bit) over the names, each followed by a
/// newline. Any renamed, added, removed or reordered feature changes it.
pub const FEATURE_SET_ID: u64 = feature_set_id_of_names();

const fn feature_set_id_of_names() -> u64 {
    let mut h = FNV_OFFSET;
    let mut i = 0;
    while i < FEATURES.len() {
        h = fnv1a_extend(h, FEATURES[i].name.as_bytes());
        h = fnv1a_extend(h, b"\n");
        i += 1;
    }
    h
}

/// FNV-1a (64 bit) of a list of names, as [`FEATURE_SET_ID`] is computed.
pub fn feature_set_id<'a>(names: impl IntoIterator<Item = &'a str>) -> u64 {
    names.into_iter().fold(FNV_OFFSET, |h, n| {
        fnv1a_extend(fnv1a_extend(h, n.as_bytes()), b"\n")
    })
}

const FNV_OFFSET: u64 = 0xcbf2_9ce4_8422_2325;
const FNV_PRIME: u64 = 0x0000_0100_0000_01b3;

const fn fnv1a_extend(mut h: u64, bytes: &[u8]) -> u64 {
    let mut i = 0;
    while i < bytes.len() {
        h ^= bytes[i] as u64;
        h = h.wrapping_mul(FNV_PRIME);
        i += 1;
    }
    h
}

/// The feature names in column order.
pub fn names() -> impl ExactSizeIterator<Item = &'static str> {
    FEATURES.iter().map(|f| f.name)
}

/// Index of a feature by name.
pub fn index_of(name: &str) -> Option<usize> {
    FEATURES.iter().position(|f| f.name == name)
}

/// Computes a shot's feature row.
// Inlined so that callers build the row in place: in wasm, a row returned from a call is
// copied with `memory.copy`, a call into the runtime under wasmtime.
#[inline]
pub fn extract(shot: &Shot) -> FeatureRow {
    let mut row = [0.0; N_FEATURES];
    for (slot, f) in row.iter_mut().zip(FEATURES) {
        *slot = (f.eval)(shot);
    }
    row
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::shot::Context;

    #[test]
    fn names_are_unique_snake_case() {
        let all: Vec<_> = names().collect();
        for (i, n) in all.iter().enumerate() {
            assert!(n
                .bytes()
                .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'_'));
            assert!(!all[..i].contains(n), "duplicate {n}");
        }
    }

    #[test]
    fn set_id_is_the_hash_of_the_names() {
        assert_eq!(FEATURE_SET_ID, feature_set_id(names()));
        assert_ne!(FEATURE_SET_ID, feature_set_id(names().skip(1)));
        let mut reordered: Vec<_> = names().collect();
        reordered.swap(0, 1);
        assert_ne!(FEATURE_SET_ID, feature_set_id(reordered));
    }

    #[test]
    fn missing_context_is_nan_and_present_context_is_not() {
        let bare = Shot::simple(
            Point::new(90.0, 30.0),
            BodyPart::Unknown,
            ShotKind::OpenPlay,
        )
        .unwrap();
        let row = extract(&bare);
        for name in [
            "is_header",
            "secs_since_prev_event",
            "secs_since_prev2_event",
            "prev_event_distance_to_goal_m",
            "prev_event_centre_offset_m",
            "ball_movement_m",
        ] {
            assert!(row[index_of(name).unwrap()].is_nan(), "{name}");
        }
        let full = Shot::new(
            Point::new(90.0, 30.0),
            BodyPart::RightFoot,
            ShotKind::OpenPlay,
            Context {
                secs_since_prev_event: Some(2.0),
                secs_since_prev2_event: Some(4.0),
                prev_event_at: Some(Point::new(87.0, 34.0)),
                ..Context::default()
            },
        )
        .unwrap();
        let row = extract(&full);
        assert!(row.iter().all(|v| v.is_finite()));
        assert_eq!(row[index_of("ball_movement_m").unwrap()], 5.0);
        assert_eq!(row[index_of("is_header").unwrap()], 0.0);
    }
}
