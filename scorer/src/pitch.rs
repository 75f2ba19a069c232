//! Pitch geometry: the one place that defines the pitch's dimensions and the geometry of a
//! position relative to the goal.
//!
//! # Coordinate convention
//!
//! Metres on a 105 × 68 m pitch, seen from the shooting team, which attacks the goal at
//! `x_m = 105`:
//!
//! - `x_m` runs from the shooting team's own goal line (0) to the goal line it attacks (105);
//! - `y_m` runs from the attacker's left touchline (0) to the right touchline (68); the centre of
//!   the goal is at `(105, 34)`.
//!
//! The posts stand at `y_m = 34 ± 3.66`. Everything is `f32`, and the only transcendental
//! function used (`atan2`) comes from the `libm` crate so the bits are the same natively and
//! in wasm.

/// Length of the pitch, goal line to goal line.
pub const LENGTH_M: f32 = 105.0;
/// Width of the pitch, touchline to touchline.
pub const WIDTH_M: f32 = 68.0;
/// Width of the goal mouth, inside of post to inside of post.
pub const GOAL_WIDTH_M: f32 = 7.32;
/// Half the goal width: the distance from the centre of the goal to either post.
pub const GOAL_HALF_WIDTH_M: f32 = GOAL_WIDTH_M / 2.0;
/// Distance of the penalty spot from the goal line.
pub const PENALTY_SPOT_DISTANCE_M: f32 = 11.0;
/// Depth of the penalty area from the goal line.
pub const PENALTY_AREA_DEPTH_M: f32 = 16.5;
/// Width of the penalty area.
pub const PENALTY_AREA_WIDTH_M: f32 = 40.32;
/// Depth of the goal area (six-yard box) from the goal line.
pub const GOAL_AREA_DEPTH_M: f32 = 5.5;
/// Width of the goal area.
pub const GOAL_AREA_WIDTH_M: f32 = 18.32;
/// Radius of the centre circle and of the penalty arc.
pub const CIRCLE_RADIUS_M: f32 = 9.15;
/// x of the goal line the shooting team attacks.
pub const GOAL_X_M: f32 = LENGTH_M;
/// y of the centre of the goal (the pitch's long axis).
pub const CENTRE_Y_M: f32 = WIDTH_M / 2.0;
/// How far outside the pitch a position may lie and still be accepted (players do take shots
/// from just behind the goal line or over the touchline in some data feeds). Beyond this a
/// position is an error, never clamped.
pub const OFF_PITCH_MARGIN_M: f32 = 5.0;

/// A point on the pitch in metres, in the convention of this module.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Point {
    pub x_m: f32,
    pub y_m: f32,
}

impl Point {
    pub const fn new(x_m: f32, y_m: f32) -> Self {
        Point { x_m, y_m }
    }

    /// The centre of the attacked goal.
    pub const GOAL_CENTRE: Point = Point::new(GOAL_X_M, CENTRE_Y_M);

    /// The penalty spot in front of the attacked goal.
    pub const PENALTY_SPOT: Point = Point::new(GOAL_X_M - PENALTY_SPOT_DISTANCE_M, CENTRE_Y_M);

    /// Mirror image across the pitch's long axis (left and right swap).
    pub fn mirrored(self) -> Point {
        Point::new(self.x_m, WIDTH_M - self.y_m)
    }

    /// Whether the point lies within [`OFF_PITCH_MARGIN_M`] of the pitch.
    pub fn is_near_pitch(self) -> bool {
        (-OFF_PITCH_MARGIN_M..=LENGTH_M + OFF_PITCH_MARGIN_M).contains(&self.x_m)
            && (-OFF_PITCH_MARGIN_M..=WIDTH_M + OFF_PITCH_MARGIN_M).contains(&self.y_m)
    }
}

/// Distance in front of the attacked goal line (negative behind it).
pub fn goal_line_distance_m(p: Point) -> f32 {
    GOAL_X_M - p.x_m
}

/// Distance from the pitch's long axis (the line through both goal centres), always ≥ 0.
pub fn centre_offset_m(p: Point) -> f32 {
    (p.y_m - CENTRE_Y_M).abs()
}

/// Straight-line distance from `p` to the centre of the attacked goal.
pub fn distance_to_goal_m(p: Point) -> f32 {
    distance_m(p, Point::GOAL_CENTRE)
}

/// Straight-line distance between two points.
pub fn distance_m(a: Point, b: Point) -> f32 {
    let dx = a.x_m - b.x_m;
    let dy = a.y_m - b.y_m;
    (dx * dx + dy * dy).sqrt()
}

/// The angle the goal mouth subtends at `p`: the angle between the lines from `p` to the two
/// posts, in `[0, π]`.
///
/// With `x` the distance from the goal line and `c` from the long axis it is
/// `atan2(7.32·x, x² + c² − 3.66²)`: π on the goal line between the posts, 0 on the goal line
/// outside them, and it shrinks with distance. Behind the goal line it is 0.
pub fn goal_mouth_angle_rad(p: Point) -> f32 {
    let x = goal_line_distance_m(p);
    if x <= 0.0 {
        let c = centre_offset_m(p);
        // On the goal line between the posts the shot is into an open goal mouth.
        return if x == 0.0 && c < GOAL_HALF_WIDTH_M {
            core::f32::consts::PI
        } else {
            0.0
        };
    }
    goal_mouth_angle_from_parts(x, centre_offset_m(p))
}

/// [`goal_mouth_angle_rad`] from the goal-line distance `x_m > 0` and centre offset `c_m`.
pub(crate) fn goal_mouth_angle_from_parts(x_m: f32, c_m: f32) -> f32 {
    let h = GOAL_HALF_WIDTH_M;
    libm::atan2f(GOAL_WIDTH_M * x_m, x_m * x_m + c_m * c_m - h * h)
}

#[cfg(test)]
mod tests {
    use super::*;
    use core::f32::consts::PI;

    #[test]
    fn penalty_spot_is_eleven_metres_from_goal() {
        assert!((distance_to_goal_m(Point::PENALTY_SPOT) - 11.0).abs() < 1e-6);
    }

    #[test]
    fn goal_line_between_posts_sees_the_whole_half_plane() {
        for y in [31.0, 34.0, 36.5] {
            assert_eq!(goal_mouth_angle_rad(Point::new(GOAL_X_M, y)), PI);
        }
        // Just in front of the line, between the posts: almost π.
        let a = goal_mouth_angle_rad(Point::new(GOAL_X_M - 0.01, 34.0));
        assert!(a > 3.13 && a <= PI, "{a}");
    }

    #[test]
    fn goal_line_outside_posts_sees_nothing() {
        assert_eq!(goal_mouth_angle_rad(Point::new(GOAL_X_M, 10.0)), 0.0);
        assert_eq!(goal_mouth_angle_rad(Point::new(GOAL_X_M + 1.0, 34.0)), 0.0);
    }

    #[test]
    fn penalty_spot_angle_matches_hand_calculation() {
        // Both posts at 3.66 m either side, 11 m away: 2·atan(3.66/11).
        let expected = 2.0 * (3.66f64 / 11.0).atan();
        let got = goal_mouth_angle_rad(Point::PENALTY_SPOT) as f64;
        assert!((got - expected).abs() < 1e-6, "{got} vs {expected}");
    }

    #[test]
    fn angle_shrinks_with_distance_on_the_axis() {
        let mut last = PI;
        for d in 1..100 {
            let a = goal_mouth_angle_rad(Point::new(GOAL_X_M - d as f32, CENTRE_Y_M));
            assert!(a < last);
            last = a;
        }
    }

    #[test]
    fn margin_bounds_are_inclusive() {
        assert!(Point::new(-5.0, -5.0).is_near_pitch());
        assert!(Point::new(110.0, 73.0).is_near_pitch());
        assert!(!Point::new(110.1, 34.0).is_near_pitch());
        assert!(!Point::new(f32::NAN, 34.0).is_near_pitch());
    }
}
