//! Shots from the original system's record, so its producers keep working unchanged.
//!
//! The system xgoals replaces sent `{"shot": {"distance_to_goal": d, "angle_to_goal": θ},
//! "shot_id": n}` with `d` the distance to the centre of the goal in metres and `θ` the
//! goal-mouth angle in radians, `atan2(7.32·x, x² + c² − 3.66²)` in `[0, π]` (`x` the distance
//! from the goal line, `c` from the long axis). Since `d² = x² + c²`, the pair determines `x`
//! and `|c|`:
//!
//! `x = (d² − 3.66²) · tan θ / 7.32`, `|c| = √(d² − x²)`.
//!
//! Which side of the goal the shot came from is not recorded: the position is put on the right
//! (`y_m ≥ 34`), and the model is mirror-symmetric enough not to care. Near `d = 3.66 m` (the
//! circle through both posts, where every point sees the goal at 90°) the inverse is
//! ill-conditioned; pairs that admit no position at all are [`LegacyError::Inconsistent`].
//! Body part and context are unknown: the shot is open play with a missing body part.

use crate::pitch::{self, Point, GOAL_HALF_WIDTH_M, GOAL_WIDTH_M};
use crate::shot::{BodyPart, Shot, ShotError, ShotKind};
use core::fmt;

/// Why a `(distance_to_goal, angle_to_goal)` pair was rejected.
#[derive(Debug, Clone, PartialEq)]
pub enum LegacyError {
    NotFinite {
        field: &'static str,
    },
    OutOfRange {
        field: &'static str,
        value: f32,
    },
    /// No position on the pitch has this distance and angle.
    Inconsistent {
        distance_to_goal: f32,
        angle_to_goal: f32,
    },
    /// The solved position failed shot validation (e.g. too far off the pitch).
    Shot(ShotError),
}

impl fmt::Display for LegacyError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            LegacyError::NotFinite { field } => write!(f, "{field} is not a finite number"),
            LegacyError::OutOfRange { field, value } => {
                write!(f, "{field} = {value} is out of range")
            }
            LegacyError::Inconsistent {
                distance_to_goal,
                angle_to_goal,
            } => write!(
                f,
                "no position is {distance_to_goal} m from goal with a goal-mouth angle of {angle_to_goal} rad"
            ),
            LegacyError::Shot(e) => write!(f, "{e}"),
        }
    }
}

impl std::error::Error for LegacyError {}

/// Largest distance accepted: the far corner of the pitch plus the off-pitch margin.
pub const MAX_DISTANCE_M: f32 = 130.0;

/// Relative slack for round-off when the solved goal-line distance slightly exceeds `d`.
const ROUND_OFF: f64 = 1e-4;

/// Slack for round-off in the angle when telling angles above 90° from those below.
const ANGLE_ROUND_OFF_RAD: f64 = 1e-4;

/// The position (on the right of the long axis) with this distance and goal-mouth angle.
pub fn position_from(
    distance_to_goal_m: f32,
    angle_to_goal_rad: f32,
) -> Result<Point, LegacyError> {
    let d = distance_to_goal_m;
    let theta = angle_to_goal_rad;
    if !d.is_finite() {
        return Err(LegacyError::NotFinite {
            field: "distance_to_goal",
        });
    }
    if !theta.is_finite() {
        return Err(LegacyError::NotFinite {
            field: "angle_to_goal",
        });
    }
    if !(0.0..=MAX_DISTANCE_M).contains(&d) {
        return Err(LegacyError::OutOfRange {
            field: "distance_to_goal",
            value: d,
        });
    }
    if !(0.0..=core::f32::consts::PI).contains(&theta) {
        return Err(LegacyError::OutOfRange {
            field: "angle_to_goal",
            value: theta,
        });
    }
    let inconsistent = LegacyError::Inconsistent {
        distance_to_goal: d,
        angle_to_goal: theta,
    };
    let (d64, h) = (d as f64, GOAL_HALF_WIDTH_M as f64);
    let slack = ROUND_OFF * d64.max(1.0);
    // Outside the circle through the posts every point sees the goal at less than 90°, inside
    // it at more. The solve below cannot tell: `tan` repeats every π, so an angle near π
    // outside the circle (or near 0 inside it) would give an `x` near 0 of the wrong sign,
    // within round-off, and land on the goal line at the opposite angle.
    let half_turn = core::f64::consts::FRAC_PI_2;
    let (outside, inside) = (d64 - h > slack, h - d64 > slack);
    if (outside && theta as f64 > half_turn + ANGLE_ROUND_OFF_RAD)
        || (inside && (theta as f64) < half_turn - ANGLE_ROUND_OFF_RAD)
    {
        return Err(inconsistent);
    }
    let x = (d64 * d64 - h * h) * libm::tan(theta as f64) / GOAL_WIDTH_M as f64;
    if x < -slack || x > d64 + slack {
        return Err(inconsistent);
    }
    // Within round-off of the admissible range: x is in [0, d] up to float error.
    let x = x.clamp(0.0, d64);
    let c = libm::sqrt((d64 * d64 - x * x).max(0.0));
    Ok(Point::new(
        pitch::GOAL_X_M - x as f32,
        pitch::CENTRE_Y_M + c as f32,
    ))
}

/// A shot from the original record's pair: open play, body part unknown, no context.
pub fn shot_from(distance_to_goal_m: f32, angle_to_goal_rad: f32) -> Result<Shot, LegacyError> {
    let at = position_from(distance_to_goal_m, angle_to_goal_rad)?;
    Shot::simple(at, BodyPart::Unknown, ShotKind::OpenPlay).map_err(LegacyError::Shot)
}

/// The original record's pair for a position: `(distance_to_goal_m, angle_to_goal_rad)`.
pub fn distance_angle_of(p: Point) -> (f32, f32) {
    (pitch::distance_to_goal_m(p), pitch::goal_mouth_angle_rad(p))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn penalty_spot_round_trips() {
        let (d, a) = distance_angle_of(Point::PENALTY_SPOT);
        let p = position_from(d, a).unwrap();
        assert!((p.x_m - Point::PENALTY_SPOT.x_m).abs() < 1e-3, "{p:?}");
        assert!((p.y_m - 34.0).abs() < 1e-2, "{p:?}");
    }

    #[test]
    fn positions_round_trip_up_to_the_side() {
        for xi in 0..=50 {
            for yi in 0..=34 {
                let p = Point::new(55.0 + xi as f32, 34.0 + yi as f32 - 17.0);
                let (d, a) = distance_angle_of(p);
                // The inverse is ill-conditioned on the circle through the posts.
                if (d - GOAL_HALF_WIDTH_M).abs() < 0.5 {
                    continue;
                }
                let q = position_from(d, a).unwrap();
                let err = (q.x_m - p.x_m)
                    .abs()
                    .max((q.y_m - 34.0).abs() - (p.y_m - 34.0).abs());
                // Near the axis |c| = √(d² − x²) amplifies the f32 round-off of the pair.
                assert!(err.abs() < 0.1, "{p:?} -> ({d}, {a}) -> {q:?}");
                let (d2, a2) = distance_angle_of(q);
                assert!((d2 - d).abs() < 1e-3 && (a2 - a).abs() < 1e-4);
            }
        }
    }

    #[test]
    fn rejects_impossible_pairs() {
        // 30 m away cannot see the goal at 120°.
        assert!(matches!(
            position_from(30.0, 2.1),
            Err(LegacyError::Inconsistent { .. })
        ));
        // 2 m away cannot see the goal at only 10°.
        assert!(matches!(
            position_from(2.0, 0.17),
            Err(LegacyError::Inconsistent { .. })
        ));
        // Angles at the far end of the range for the distance: tan repeats every π, so these
        // once solved to the goal line, where the angle is the opposite one.
        for (d, a) in [
            (20.0, core::f32::consts::PI),
            (20.0, core::f32::consts::PI - 2e-6),
            (5.0, 2.0),
            (1.0, 0.0),
            (3.0, 0.0),
            (0.0, 0.0),
            (2.0, 1.0),
        ] {
            assert!(
                matches!(position_from(d, a), Err(LegacyError::Inconsistent { .. })),
                "({d}, {a}) -> {:?}",
                position_from(d, a)
            );
        }
        assert!(matches!(
            position_from(f32::NAN, 0.5),
            Err(LegacyError::NotFinite { .. })
        ));
        assert!(matches!(
            position_from(20.0, -0.1),
            Err(LegacyError::OutOfRange { .. })
        ));
        assert!(matches!(
            position_from(500.0, 0.01),
            Err(LegacyError::OutOfRange { .. })
        ));
    }

    #[test]
    fn the_goal_line_round_trips_at_both_ends_of_the_angle_range() {
        // Outside the posts the goal line sees the goal at 0; between them at π.
        for (p, angle) in [
            (Point::new(pitch::GOAL_X_M, 54.0), 0.0),
            (Point::new(pitch::GOAL_X_M, 35.0), core::f32::consts::PI),
            (Point::new(pitch::GOAL_X_M, 34.0), core::f32::consts::PI),
        ] {
            let (d, a) = distance_angle_of(p);
            assert!((a - angle).abs() < 1e-6, "{p:?}: {a}");
            let q = position_from(d, a).unwrap();
            assert!(
                (q.x_m - p.x_m).abs() < 1e-4 && (q.y_m - p.y_m).abs() < 1e-4,
                "{q:?}"
            );
        }
    }

    #[test]
    fn every_accepted_pair_is_the_pair_of_its_position() {
        // Whatever a producer sends, a position is only returned if it has (up to round-off)
        // the distance and angle sent. Away from the ill-conditioned circle through the posts.
        let mut accepted = 0;
        for di in 0..=260 {
            let d = di as f32 * 0.5;
            if (d - GOAL_HALF_WIDTH_M).abs() < 0.5 {
                continue;
            }
            for ai in 0..=200 {
                let a = ai as f32 * core::f32::consts::PI / 200.0;
                let Ok(p) = position_from(d, a) else { continue };
                accepted += 1;
                let (d2, a2) = distance_angle_of(p);
                assert!(
                    (d2 - d).abs() < 1e-3 && (a2 - a).abs() < 2e-3,
                    "({d}, {a}) -> {p:?} -> ({d2}, {a2})"
                );
            }
        }
        assert!(accepted > 3_000, "{accepted}");
    }

    #[test]
    fn shot_is_open_play_with_unknown_body_part() {
        let s = shot_from(16.0, 0.4).unwrap();
        assert_eq!(s.kind(), ShotKind::OpenPlay);
        assert_eq!(s.body_part(), BodyPart::Unknown);
    }
}
