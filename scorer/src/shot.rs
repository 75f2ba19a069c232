//! A shot as the model sees it, constructed only through validation.
//!
//! A [`Shot`] holds what is known *before* the ball is struck: where the shot is taken from
//! (in the [`pitch`](crate::pitch) convention: metres, attacking the goal at `x_m = 105`), the
//! body part, the kind of shot and the [`Context`] of the play leading to it. Nothing that
//! describes the shot's outcome (where it went, whether it was blocked) can be represented.
//!
//! [`Shot::new`] rejects NaN, infinities, negative or absurd time gaps and positions more than
//! [`OFF_PITCH_MARGIN_M`](crate::pitch::OFF_PITCH_MARGIN_M) off the pitch with a [`ShotError`];
//! nothing is clamped.
//!
//! [`Shot::to_flat`] / [`Shot::from_flat`] define the fixed 32-byte layout in which hosts hand
//! shots to `scorer.wasm` (see `docs/WASM_ABI.md`).

use crate::pitch::Point;
use core::fmt;

/// The body part the shot is struck with.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum BodyPart {
    LeftFoot,
    RightFoot,
    /// Head or any other body part (Wyscout's tag 403 is "head/body").
    HeadOrOther,
    /// Not recorded: the model routes this as a missing value.
    Unknown,
}

impl BodyPart {
    pub const ALL: [BodyPart; 4] = [
        BodyPart::LeftFoot,
        BodyPart::RightFoot,
        BodyPart::HeadOrOther,
        BodyPart::Unknown,
    ];

    /// The snake_case name used in JSON, the golden file and the UI.
    pub fn name(self) -> &'static str {
        match self {
            BodyPart::LeftFoot => "left_foot",
            BodyPart::RightFoot => "right_foot",
            BodyPart::HeadOrOther => "head_or_other",
            BodyPart::Unknown => "unknown",
        }
    }

    pub fn from_name(name: &str) -> Option<BodyPart> {
        BodyPart::ALL.into_iter().find(|b| b.name() == name)
    }

    /// Code in the flat layout.
    pub fn code(self) -> u8 {
        match self {
            BodyPart::Unknown => 0,
            BodyPart::LeftFoot => 1,
            BodyPart::RightFoot => 2,
            BodyPart::HeadOrOther => 3,
        }
    }

    pub fn from_code(code: u8) -> Option<BodyPart> {
        match code {
            0 => Some(BodyPart::Unknown),
            1 => Some(BodyPart::LeftFoot),
            2 => Some(BodyPart::RightFoot),
            3 => Some(BodyPart::HeadOrOther),
            _ => None,
        }
    }
}

/// What kind of shot it is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum ShotKind {
    OpenPlay,
    DirectFreeKick,
    /// A penalty in normal or extra time. Shoot-out kicks are not shots for xG.
    Penalty,
}

impl ShotKind {
    pub const ALL: [ShotKind; 3] = [
        ShotKind::OpenPlay,
        ShotKind::DirectFreeKick,
        ShotKind::Penalty,
    ];

    pub fn name(self) -> &'static str {
        match self {
            ShotKind::OpenPlay => "open_play",
            ShotKind::DirectFreeKick => "direct_free_kick",
            ShotKind::Penalty => "penalty",
        }
    }

    pub fn from_name(name: &str) -> Option<ShotKind> {
        ShotKind::ALL.into_iter().find(|k| k.name() == name)
    }

    pub fn code(self) -> u8 {
        match self {
            ShotKind::OpenPlay => 0,
            ShotKind::DirectFreeKick => 1,
            ShotKind::Penalty => 2,
        }
    }

    pub fn from_code(code: u8) -> Option<ShotKind> {
        match code {
            0 => Some(ShotKind::OpenPlay),
            1 => Some(ShotKind::DirectFreeKick),
            2 => Some(ShotKind::Penalty),
            _ => None,
        }
    }
}

/// The play leading up to the shot: all of it known before the ball is struck.
#[derive(Debug, Clone, Copy, PartialEq, Default)]
pub struct Context {
    /// The shot ends a counter-attack.
    pub counter_attack: bool,
    /// A cross by the shooting team just before the shot.
    pub after_cross: bool,
    /// A through ball ("smart pass") by the shooting team just before the shot.
    pub after_through_ball: bool,
    /// A high pass by the shooting team just before the shot.
    pub after_high_pass: bool,
    /// A take-on or duel just before the shot.
    pub after_take_on_or_duel: bool,
    /// A previous shot by the same team a few seconds before.
    pub rebound: bool,
    /// A corner or free kick by the shooting team shortly before (the set-piece phase).
    pub set_piece_phase: bool,
    /// Seconds since the previous event (`None`: no previous event in this period).
    pub secs_since_prev_event: Option<f32>,
    /// Seconds since the event before the previous one.
    pub secs_since_prev2_event: Option<f32>,
    /// Where the previous event happened, in the shooting team's frame.
    pub prev_event_at: Option<Point>,
}

/// The longest time gap a context may carry: longer than any period of football.
pub const MAX_TIME_GAP_S: f32 = 7200.0;

/// A validated shot. Construct with [`Shot::new`] (or the converters in [`crate::legacy`],
/// `wyscout` and [`Shot::from_flat`], which all end in it).
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Shot {
    at: Point,
    body_part: BodyPart,
    kind: ShotKind,
    context: Context,
}

/// Why a shot was rejected.
#[derive(Debug, Clone, PartialEq)]
pub enum ShotError {
    /// A number is NaN or infinite.
    NotFinite { field: &'static str },
    /// A position lies further off the pitch than the margin allows.
    OffPitch {
        field: &'static str,
        x_m: f32,
        y_m: f32,
    },
    /// A time gap is negative or longer than [`MAX_TIME_GAP_S`].
    TimeOutOfRange { field: &'static str, secs: f32 },
    /// A code in the flat layout or a name in JSON is not one of the known values.
    UnknownValue { field: &'static str, value: String },
    /// A flat record is not [`FLAT_SHOT_BYTES`] long.
    BadLength { len: usize },
}

impl fmt::Display for ShotError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            ShotError::NotFinite { field } => write!(f, "{field} is not a finite number"),
            ShotError::OffPitch { field, x_m, y_m } => write!(
                f,
                "{field} ({x_m} m, {y_m} m) is more than {} m off the 105 x 68 m pitch",
                crate::pitch::OFF_PITCH_MARGIN_M
            ),
            ShotError::TimeOutOfRange { field, secs } => {
                write!(f, "{field} = {secs} s is outside 0..={MAX_TIME_GAP_S} s")
            }
            ShotError::UnknownValue { field, value } => {
                write!(f, "{field} has unknown value {value}")
            }
            ShotError::BadLength { len } => write!(
                f,
                "a flat shot record is {FLAT_SHOT_BYTES} bytes, got {len}"
            ),
        }
    }
}

impl std::error::Error for ShotError {}

impl ShotError {
    /// A small stable number for the error's kind, used by the wasm ABI's status array.
    pub fn code(&self) -> u32 {
        match self {
            ShotError::NotFinite { .. } => 1,
            ShotError::OffPitch { .. } => 2,
            ShotError::TimeOutOfRange { .. } => 3,
            ShotError::UnknownValue { .. } => 4,
            ShotError::BadLength { .. } => 5,
        }
    }
}

fn check_point(field: &'static str, p: Point) -> Result<Point, ShotError> {
    if !p.x_m.is_finite() || !p.y_m.is_finite() {
        return Err(ShotError::NotFinite { field });
    }
    if !p.is_near_pitch() {
        return Err(ShotError::OffPitch {
            field,
            x_m: p.x_m,
            y_m: p.y_m,
        });
    }
    Ok(p)
}

fn check_gap(field: &'static str, secs: Option<f32>) -> Result<(), ShotError> {
    match secs {
        None => Ok(()),
        Some(s) if !s.is_finite() => Err(ShotError::NotFinite { field }),
        Some(s) if !(0.0..=MAX_TIME_GAP_S).contains(&s) => {
            Err(ShotError::TimeOutOfRange { field, secs: s })
        }
        Some(_) => Ok(()),
    }
}

impl Shot {
    /// Validates and builds a shot.
    pub fn new(
        at: Point,
        body_part: BodyPart,
        kind: ShotKind,
        context: Context,
    ) -> Result<Shot, ShotError> {
        check_point("position", at)?;
        check_gap("secs_since_prev_event", context.secs_since_prev_event)?;
        check_gap("secs_since_prev2_event", context.secs_since_prev2_event)?;
        if let Some(p) = context.prev_event_at {
            check_point("prev_event_position", p)?;
        }
        Ok(Shot {
            at,
            body_part,
            kind,
            context,
        })
    }

    /// A shot with no context (everything false or missing).
    pub fn simple(at: Point, body_part: BodyPart, kind: ShotKind) -> Result<Shot, ShotError> {
        Shot::new(at, body_part, kind, Context::default())
    }

    pub fn at(&self) -> Point {
        self.at
    }
    pub fn body_part(&self) -> BodyPart {
        self.body_part
    }
    pub fn kind(&self) -> ShotKind {
        self.kind
    }
    pub fn context(&self) -> &Context {
        &self.context
    }

    /// The same shot seen in a mirror across the pitch's long axis.
    pub fn mirrored(&self) -> Shot {
        let mut s = *self;
        s.at = s.at.mirrored();
        s.context.prev_event_at = s.context.prev_event_at.map(Point::mirrored);
        s
    }

    /// The shot as plain numbers and codes (what the flat layout and the web page's shot
    /// records carry).
    pub fn fields(&self) -> ShotFields {
        let c = &self.context;
        ShotFields {
            x_m: self.at.x_m,
            y_m: self.at.y_m,
            body_part_code: self.body_part.code(),
            kind_code: self.kind.code(),
            context_flags: flags_of(c),
            secs_since_prev_event: c.secs_since_prev_event,
            secs_since_prev2_event: c.secs_since_prev2_event,
            prev_event_x_m: c.prev_event_at.map(|p| p.x_m),
            prev_event_y_m: c.prev_event_at.map(|p| p.y_m),
        }
    }

    /// Decodes and validates a shot from its plain fields: unknown codes, unknown flag bits
    /// and half a previous-event position are errors, and then everything [`Shot::new`]
    /// checks.
    pub fn from_fields(f: &ShotFields) -> Result<Shot, ShotError> {
        let body_part =
            BodyPart::from_code(f.body_part_code).ok_or_else(|| ShotError::UnknownValue {
                field: "body_part",
                value: f.body_part_code.to_string(),
            })?;
        let kind = ShotKind::from_code(f.kind_code).ok_or_else(|| ShotError::UnknownValue {
            field: "kind",
            value: f.kind_code.to_string(),
        })?;
        let flags = f.context_flags;
        if flags & !ALL_FLAGS != 0 {
            return Err(ShotError::UnknownValue {
                field: "context_flags",
                value: format!("{flags:#06x}"),
            });
        }
        let prev_event_at = match (f.prev_event_x_m, f.prev_event_y_m) {
            (None, None) => None,
            (Some(x), Some(y)) => Some(Point::new(x, y)),
            _ => {
                return Err(ShotError::NotFinite {
                    field: "prev_event_position",
                })
            }
        };
        let flag = |bit: u16| flags & bit != 0;
        let context = Context {
            counter_attack: flag(FLAG_COUNTER_ATTACK),
            after_cross: flag(FLAG_AFTER_CROSS),
            after_through_ball: flag(FLAG_AFTER_THROUGH_BALL),
            after_high_pass: flag(FLAG_AFTER_HIGH_PASS),
            after_take_on_or_duel: flag(FLAG_AFTER_TAKE_ON_OR_DUEL),
            rebound: flag(FLAG_REBOUND),
            set_piece_phase: flag(FLAG_SET_PIECE_PHASE),
            secs_since_prev_event: f.secs_since_prev_event,
            secs_since_prev2_event: f.secs_since_prev2_event,
            prev_event_at,
        };
        Shot::new(Point::new(f.x_m, f.y_m), body_part, kind, context)
    }

    /// Encodes the shot in the flat 32-byte layout (see [`FLAT_SHOT_BYTES`]).
    pub fn to_flat(&self) -> [u8; FLAT_SHOT_BYTES] {
        let f = self.fields();
        let missing = |v: Option<f32>| v.unwrap_or(f32::NAN).to_le_bytes();
        let mut b = [0u8; FLAT_SHOT_BYTES];
        b[0..4].copy_from_slice(&f.x_m.to_le_bytes());
        b[4..8].copy_from_slice(&f.y_m.to_le_bytes());
        b[8] = f.body_part_code;
        b[9] = f.kind_code;
        b[10..12].copy_from_slice(&f.context_flags.to_le_bytes());
        b[12..16].copy_from_slice(&missing(f.secs_since_prev_event));
        b[16..20].copy_from_slice(&missing(f.secs_since_prev2_event));
        b[20..24].copy_from_slice(&missing(f.prev_event_x_m));
        b[24..28].copy_from_slice(&missing(f.prev_event_y_m));
        b
    }

    /// Decodes and validates a shot from the flat layout. Any NaN in an optional field means
    /// "missing"; NaN in the position, unknown codes, unknown flag bits, half a previous-event
    /// position and a non-zero reserved word are errors.
    pub fn from_flat(b: &[u8]) -> Result<Shot, ShotError> {
        let b: &[u8; FLAT_SHOT_BYTES] = b
            .try_into()
            .map_err(|_| ShotError::BadLength { len: b.len() })?;
        let f32_at = |i: usize| f32::from_le_bytes([b[i], b[i + 1], b[i + 2], b[i + 3]]);
        let optional = |i: usize| Some(f32_at(i)).filter(|v| !v.is_nan());
        let reserved = u32::from_le_bytes([b[28], b[29], b[30], b[31]]);
        if reserved != 0 {
            return Err(ShotError::UnknownValue {
                field: "reserved",
                value: format!("{reserved:#010x}"),
            });
        }
        Shot::from_fields(&ShotFields {
            x_m: f32_at(0),
            y_m: f32_at(4),
            body_part_code: b[8],
            kind_code: b[9],
            context_flags: u16::from_le_bytes([b[10], b[11]]),
            secs_since_prev_event: optional(12),
            secs_since_prev2_event: optional(16),
            prev_event_x_m: optional(20),
            prev_event_y_m: optional(24),
        })
    }
}

/// A shot as plain numbers and codes, unvalidated: [`Shot::fields`] and
/// [`Shot::from_fields`] convert, the flat layout and the web page's shot records
/// (`trainer export-web`) carry exactly these. Codes: [`BodyPart::code`], [`ShotKind::code`],
/// `FLAG_*` bits for the context.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct ShotFields {
    pub x_m: f32,
    pub y_m: f32,
    pub body_part_code: u8,
    pub kind_code: u8,
    pub context_flags: u16,
    pub secs_since_prev_event: Option<f32>,
    pub secs_since_prev2_event: Option<f32>,
    pub prev_event_x_m: Option<f32>,
    pub prev_event_y_m: Option<f32>,
}

/// Size of one shot in the flat layout:
///
/// | offset | type | field |
/// |---:|---|---|
/// | 0 | f32 | `x_m` |
/// | 4 | f32 | `y_m` |
/// | 8 | u8 | body part: 0 unknown, 1 left foot, 2 right foot, 3 head/other |
/// | 9 | u8 | kind: 0 open play, 1 direct free kick, 2 penalty |
/// | 10 | u16 | context flags (`FLAG_*`) |
/// | 12 | f32 | seconds since the previous event, NaN = missing |
/// | 16 | f32 | seconds since the event before that, NaN = missing |
/// | 20 | f32 | previous event `x_m`, NaN = missing |
/// | 24 | f32 | previous event `y_m`, NaN = missing |
/// | 28 | u32 | reserved, must be 0 |
///
/// All little-endian.
pub const FLAT_SHOT_BYTES: usize = 32;

pub const FLAG_COUNTER_ATTACK: u16 = 1 << 0;
pub const FLAG_AFTER_CROSS: u16 = 1 << 1;
pub const FLAG_AFTER_THROUGH_BALL: u16 = 1 << 2;
pub const FLAG_AFTER_HIGH_PASS: u16 = 1 << 3;
pub const FLAG_AFTER_TAKE_ON_OR_DUEL: u16 = 1 << 4;
pub const FLAG_REBOUND: u16 = 1 << 5;
pub const FLAG_SET_PIECE_PHASE: u16 = 1 << 6;
const ALL_FLAGS: u16 = (1 << 7) - 1;

fn flags_of(c: &Context) -> u16 {
    let mut f = 0;
    for (on, bit) in [
        (c.counter_attack, FLAG_COUNTER_ATTACK),
        (c.after_cross, FLAG_AFTER_CROSS),
        (c.after_through_ball, FLAG_AFTER_THROUGH_BALL),
        (c.after_high_pass, FLAG_AFTER_HIGH_PASS),
        (c.after_take_on_or_duel, FLAG_AFTER_TAKE_ON_OR_DUEL),
        (c.rebound, FLAG_REBOUND),
        (c.set_piece_phase, FLAG_SET_PIECE_PHASE),
    ] {
        if on {
            f |= bit;
        }
    }
    f
}

#[cfg(test)]
mod tests {
    use super::*;

    fn full_context() -> Context {
        Context {
            counter_attack: true,
            after_cross: false,
            after_through_ball: true,
            after_high_pass: false,
            after_take_on_or_duel: true,
            rebound: false,
            set_piece_phase: true,
            secs_since_prev_event: Some(1.5),
            secs_since_prev2_event: Some(3.25),
            prev_event_at: Some(Point::new(80.0, 20.0)),
        }
    }

    #[test]
    fn rejects_non_finite_and_far_off_pitch_positions() {
        let bad = [
            (Point::new(f32::NAN, 30.0), "position"),
            (Point::new(90.0, f32::INFINITY), "position"),
        ];
        for (p, field) in bad {
            let e = Shot::simple(p, BodyPart::LeftFoot, ShotKind::OpenPlay).unwrap_err();
            assert_eq!(e, ShotError::NotFinite { field });
        }
        let e = Shot::simple(
            Point::new(120.0, 30.0),
            BodyPart::Unknown,
            ShotKind::OpenPlay,
        )
        .unwrap_err();
        assert!(matches!(e, ShotError::OffPitch { .. }), "{e}");
        // Inside the margin is accepted, unchanged.
        let s = Shot::simple(
            Point::new(107.0, -2.0),
            BodyPart::Unknown,
            ShotKind::OpenPlay,
        )
        .unwrap();
        assert_eq!(s.at(), Point::new(107.0, -2.0));
    }

    #[test]
    fn rejects_bad_context() {
        let mut c = full_context();
        c.secs_since_prev_event = Some(-0.5);
        let e = Shot::new(
            Point::PENALTY_SPOT,
            BodyPart::LeftFoot,
            ShotKind::Penalty,
            c,
        );
        assert!(matches!(e, Err(ShotError::TimeOutOfRange { .. })));
        c.secs_since_prev_event = Some(f32::NAN);
        let e = Shot::new(
            Point::PENALTY_SPOT,
            BodyPart::LeftFoot,
            ShotKind::Penalty,
            c,
        );
        assert!(matches!(e, Err(ShotError::NotFinite { .. })));
        let mut c = full_context();
        c.prev_event_at = Some(Point::new(-40.0, 3.0));
        let e = Shot::new(
            Point::PENALTY_SPOT,
            BodyPart::LeftFoot,
            ShotKind::Penalty,
            c,
        );
        assert!(matches!(
            e,
            Err(ShotError::OffPitch {
                field: "prev_event_position",
                ..
            })
        ));
    }

    #[test]
    fn flat_round_trip() {
        let s = Shot::new(
            Point::new(95.5, 40.25),
            BodyPart::HeadOrOther,
            ShotKind::OpenPlay,
            full_context(),
        )
        .unwrap();
        assert_eq!(Shot::from_flat(&s.to_flat()).unwrap(), s);
        let bare = Shot::simple(
            Point::new(100.0, 34.0),
            BodyPart::Unknown,
            ShotKind::Penalty,
        )
        .unwrap();
        assert_eq!(Shot::from_flat(&bare.to_flat()).unwrap(), bare);
    }

    #[test]
    fn fields_round_trip_and_are_what_the_flat_layout_carries() {
        let s = Shot::new(
            Point::new(95.5, 40.25),
            BodyPart::HeadOrOther,
            ShotKind::DirectFreeKick,
            full_context(),
        )
        .unwrap();
        let f = s.fields();
        assert_eq!(Shot::from_fields(&f).unwrap(), s);
        assert_eq!(f.body_part_code, s.to_flat()[8]);
        assert_eq!(
            f.context_flags,
            u16::from_le_bytes([s.to_flat()[10], s.to_flat()[11]])
        );
        assert_eq!(
            f.context_flags,
            FLAG_COUNTER_ATTACK
                | FLAG_AFTER_THROUGH_BALL
                | FLAG_AFTER_TAKE_ON_OR_DUEL
                | FLAG_SET_PIECE_PHASE
        );
        let half = ShotFields {
            prev_event_y_m: None,
            ..f
        };
        assert_eq!(
            Shot::from_fields(&half),
            Err(ShotError::NotFinite {
                field: "prev_event_position"
            })
        );
        let unknown_flag = ShotFields {
            context_flags: 1 << 7,
            ..f
        };
        assert!(matches!(
            Shot::from_fields(&unknown_flag),
            Err(ShotError::UnknownValue {
                field: "context_flags",
                ..
            })
        ));
        let nan_gap = ShotFields {
            secs_since_prev_event: Some(f32::NAN),
            ..f
        };
        assert!(Shot::from_fields(&nan_gap).is_err());
    }

    #[test]
    fn flat_rejects_hostile_records() {
        let s = Shot::new(
            Point::new(95.5, 40.25),
            BodyPart::LeftFoot,
            ShotKind::OpenPlay,
            full_context(),
        )
        .unwrap();
        let good = s.to_flat();
        let mut b = good;
        b[8] = 9;
        assert!(matches!(
            Shot::from_flat(&b),
            Err(ShotError::UnknownValue {
                field: "body_part",
                ..
            })
        ));
        let mut b = good;
        b[9] = 3;
        assert!(matches!(
            Shot::from_flat(&b),
            Err(ShotError::UnknownValue { field: "kind", .. })
        ));
        let mut b = good;
        b[11] = 0x80;
        assert!(Shot::from_flat(&b).is_err());
        let mut b = good;
        b[31] = 1;
        assert!(Shot::from_flat(&b).is_err());
        let mut b = good;
        b[20..24].copy_from_slice(&f32::NAN.to_le_bytes());
        assert!(Shot::from_flat(&b).is_err(), "half a missing position");
        assert_eq!(
            Shot::from_flat(&good[..31]),
            Err(ShotError::BadLength { len: 31 })
        );
    }

    #[test]
    fn names_and_codes_round_trip() {
        for b in BodyPart::ALL {
            assert_eq!(BodyPart::from_name(b.name()), Some(b));
            assert_eq!(BodyPart::from_code(b.code()), Some(b));
        }
        for k in ShotKind::ALL {
            assert_eq!(ShotKind::from_name(k.name()), Some(k));
            assert_eq!(ShotKind::from_code(k.code()), Some(k));
        }
    }
}
