//! The page's state as it lives in the URL's query string, so a link reproduces the exact view
//! and shot.
//!
//! `?view=pitch&x_m=94&y_m=34&body=right_foot&kind=open_play&ctx=after_cross,rebound`,
//! `?view=matches&comp=World_Cup&match=2058017`, `?view=tables&comp=Italy`, `?view=model`.
//!
//! [`parse_query`] never fails: every malformed parameter becomes a [`ParamError`] the page
//! shows, and its default is used instead. Positions are snapped to [`SNAP_M`] and must lie on
//! the attacking half ([`PITCH_X_MIN_M`]..=`LENGTH_M`, 0..=`WIDTH_M`); names are those of
//! `scorer::shot` (`BodyPart::name`, `ShotKind::name`, the context fields of the shot JSON).

use core::fmt;
use scorer::pitch::{Point, LENGTH_M, WIDTH_M};
use scorer::shot::{self, Context, Shot, ShotError};
use scorer::{BodyPart, ShotKind};

/// The analyst pitch shows the attacking half: positions from the halfway line to the goal.
pub const PITCH_X_MIN_M: f32 = LENGTH_M / 2.0;
/// Positions are kept on a grid this fine (so links stay short and exact).
pub const SNAP_M: f32 = 0.1;
/// Longest parameter value echoed back in an error.
const MAX_SHOWN: usize = 40;

/// The four views.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum View {
    Pitch,
    Matches,
    Tables,
    Model,
}

impl View {
    pub const ALL: [View; 4] = [View::Pitch, View::Matches, View::Tables, View::Model];

    pub fn name(self) -> &'static str {
        match self {
            View::Pitch => "pitch",
            View::Matches => "matches",
            View::Tables => "tables",
            View::Model => "model",
        }
    }

    /// The label in the navigation.
    pub fn label(self) -> &'static str {
        match self {
            View::Pitch => "Analyst pitch",
            View::Matches => "Match centre",
            View::Tables => "Tables",
            View::Model => "Model card",
        }
    }

    pub fn from_name(s: &str) -> Option<View> {
        View::ALL.into_iter().find(|v| v.name() == s)
    }
}

/// The pre-shot context flags the analyst can set: name (as in the shot JSON), label, bit.
pub const CONTEXT_FLAGS: [(&str, &str, u16); 7] = [
    (
        "counter_attack",
        "Counter-attack",
        shot::FLAG_COUNTER_ATTACK,
    ),
    ("after_cross", "After a cross", shot::FLAG_AFTER_CROSS),
    (
        "after_through_ball",
        "After a through ball",
        shot::FLAG_AFTER_THROUGH_BALL,
    ),
    (
        "after_high_pass",
        "After a high pass",
        shot::FLAG_AFTER_HIGH_PASS,
    ),
    (
        "after_take_on_or_duel",
        "After a take-on or duel",
        shot::FLAG_AFTER_TAKE_ON_OR_DUEL,
    ),
    ("rebound", "Rebound", shot::FLAG_REBOUND),
    (
        "set_piece_phase",
        "Set-piece phase",
        shot::FLAG_SET_PIECE_PHASE,
    ),
];

/// Human label of a body part.
pub fn body_part_label(b: BodyPart) -> &'static str {
    match b {
        BodyPart::LeftFoot => "Left foot",
        BodyPart::RightFoot => "Right foot",
        BodyPart::HeadOrOther => "Head or other",
        BodyPart::Unknown => "Not recorded",
    }
}

/// Human label of a shot kind.
pub fn kind_label(k: ShotKind) -> &'static str {
    match k {
        ShotKind::OpenPlay => "Open play",
        ShotKind::DirectFreeKick => "Direct free kick",
        ShotKind::Penalty => "Penalty",
    }
}

/// The analyst's shot: position, body part, kind and context flags (timing and the previous
/// event are left missing, as for a shot with no recorded build-up).
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct PitchShot {
    pub at: Point,
    pub body: BodyPart,
    pub kind: ShotKind,
    /// `scorer::shot::FLAG_*` bits.
    pub flags: u16,
}

impl Default for PitchShot {
    fn default() -> Self {
        PitchShot {
            at: Point::new(88.0, 30.0),
            body: BodyPart::RightFoot,
            kind: ShotKind::OpenPlay,
            flags: 0,
        }
    }
}

/// Rounds to the [`SNAP_M`] grid.
pub fn snap_m(v: f32) -> f32 {
    (v / SNAP_M).round() * SNAP_M
}

/// Clamps a position onto the attacking half and snaps it to the grid.
pub fn clamp_to_half(p: Point) -> Point {
    let x = if p.x_m.is_finite() {
        p.x_m
    } else {
        PITCH_X_MIN_M
    };
    let y = if p.y_m.is_finite() {
        p.y_m
    } else {
        WIDTH_M / 2.0
    };
    Point::new(
        snap_m(x.clamp(PITCH_X_MIN_M, LENGTH_M)),
        snap_m(y.clamp(0.0, WIDTH_M)),
    )
}

impl PitchShot {
    /// The validated shot the model scores.
    pub fn shot(&self) -> Result<Shot, ShotError> {
        let f = |bit: u16| self.flags & bit != 0;
        let context = Context {
            counter_attack: f(shot::FLAG_COUNTER_ATTACK),
            after_cross: f(shot::FLAG_AFTER_CROSS),
            after_through_ball: f(shot::FLAG_AFTER_THROUGH_BALL),
            after_high_pass: f(shot::FLAG_AFTER_HIGH_PASS),
            after_take_on_or_duel: f(shot::FLAG_AFTER_TAKE_ON_OR_DUEL),
            rebound: f(shot::FLAG_REBOUND),
            set_piece_phase: f(shot::FLAG_SET_PIECE_PHASE),
            ..Context::default()
        };
        Shot::new(self.at, self.body, self.kind, context)
    }

    /// The same settings at another position (the xG surface's cells).
    pub fn at(&self, at: Point) -> PitchShot {
        PitchShot { at, ..*self }
    }
}

/// Everything the URL holds.
#[derive(Debug, Clone, PartialEq)]
pub struct Route {
    pub view: View,
    pub competition: Option<String>,
    pub match_id: Option<u64>,
    pub pitch: PitchShot,
}

impl Default for Route {
    fn default() -> Self {
        Route {
            view: View::Pitch,
            competition: None,
            match_id: None,
            pitch: PitchShot::default(),
        }
    }
}

/// A URL parameter that could not be used.
#[derive(Debug, Clone, PartialEq)]
pub struct ParamError {
    pub name: String,
    /// The value as given (shortened).
    pub value: String,
    pub reason: String,
}

impl fmt::Display for ParamError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "URL parameter {}={:?} ignored: {}",
            self.name, self.value, self.reason
        )
    }
}

/// Decodes `%XX` escapes and `+`; invalid escapes are kept as written, invalid UTF-8 is
/// replaced.
pub fn percent_decode(s: &str) -> String {
    let b = s.as_bytes();
    let mut out = Vec::with_capacity(b.len());
    let mut i = 0;
    while i < b.len() {
        let hex = |c: u8| (c as char).to_digit(16).map(|d| d as u8);
        match b[i] {
            b'+' => out.push(b' '),
            b'%' if i + 2 < b.len() => match (hex(b[i + 1]), hex(b[i + 2])) {
                (Some(h), Some(l)) => {
                    out.push(h * 16 + l);
                    i += 2;
                }
                _ => out.push(b'%'),
            },
            c => out.push(c),
        }
        i += 1;
    }
    String::from_utf8_lossy(&out).into_owned()
}

/// Encodes a query value: only `A-Z a-z 0-9 - _ . ,` pass unescaped.
pub fn percent_encode(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for b in s.bytes() {
        if b.is_ascii_alphanumeric() || matches!(b, b'-' | b'_' | b'.' | b',') {
            out.push(b as char);
        } else {
            out.push_str(&format!("%{b:02X}"));
        }
    }
    out
}

/// Whether a competition id is well-formed (`[A-Za-z0-9_-]{1,64}`); whether it exists is for
/// the data index to say.
pub fn is_competition_id(s: &str) -> bool {
    !s.is_empty()
        && s.len() <= 64
        && s.bytes()
            .all(|b| b.is_ascii_alphanumeric() || b == b'_' || b == b'-')
}

fn shown(v: &str) -> String {
    let mut s: String = v.chars().take(MAX_SHOWN).collect();
    if v.chars().count() > MAX_SHOWN {
        s.push('…');
    }
    s
}

/// Parses a query string (with or without the leading `?`).
pub fn parse_query(query: &str) -> (Route, Vec<ParamError>) {
    let mut route = Route::default();
    let mut errors = Vec::new();
    let query = query.strip_prefix('?').unwrap_or(query);
    let mut err = |name: &str, value: &str, reason: String| {
        errors.push(ParamError {
            name: shown(name),
            value: shown(value),
            reason,
        })
    };
    let (mut x, mut y) = (None, None);
    for pair in query.split('&').filter(|p| !p.is_empty()) {
        let (k, v) = pair.split_once('=').unwrap_or((pair, ""));
        let (k, v) = (percent_decode(k), percent_decode(v));
        let number = |v: &str| -> Result<f32, String> {
            let n = crate::json::decimal(v.trim()).ok_or("not a number")? as f32;
            if n.is_finite() {
                Ok(n)
            } else {
                Err("not a finite number".into())
            }
        };
        match k.as_str() {
            "view" => match View::from_name(&v) {
                Some(view) => route.view = view,
                None => err(&k, &v, "expected pitch, matches, tables or model".into()),
            },
            "comp" => {
                if is_competition_id(&v) {
                    route.competition = Some(v);
                } else {
                    err(&k, &v, "not a competition id".into());
                }
            }
            "match" => match v.parse::<u64>() {
                Ok(id) => route.match_id = Some(id),
                Err(_) => err(&k, &v, "not a match id".into()),
            },
            "x_m" => match number(&v) {
                Ok(n) if (PITCH_X_MIN_M..=LENGTH_M).contains(&n) => x = Some(n),
                Ok(_) => err(
                    &k,
                    &v,
                    format!("outside the attacking half ({PITCH_X_MIN_M}–{LENGTH_M} m)"),
                ),
                Err(e) => err(&k, &v, e),
            },
            "y_m" => match number(&v) {
                Ok(n) if (0.0..=WIDTH_M).contains(&n) => y = Some(n),
                Ok(_) => err(&k, &v, format!("outside the pitch (0–{WIDTH_M} m)")),
                Err(e) => err(&k, &v, e),
            },
            "body" => match BodyPart::from_name(&v) {
                Some(b) => route.pitch.body = b,
                None => err(&k, &v, "unknown body part".into()),
            },
            "kind" => match ShotKind::from_name(&v) {
                Some(kind) => route.pitch.kind = kind,
                None => err(&k, &v, "unknown shot kind".into()),
            },
            "ctx" => {
                for name in v.split(',').filter(|n| !n.is_empty()) {
                    match CONTEXT_FLAGS.iter().find(|(n, _, _)| *n == name) {
                        Some((_, _, bit)) => route.pitch.flags |= bit,
                        None => err(&k, name, "unknown context flag".into()),
                    }
                }
            }
            _ => {} // Other parameters (analytics, cache busters) are not ours.
        }
    }
    let d = PitchShot::default().at;
    route.pitch.at = clamp_to_half(Point::new(x.unwrap_or(d.x_m), y.unwrap_or(d.y_m)));
    (route, errors)
}

/// A number as the URL writes it: the shortest form that reads back exactly.
fn num(v: f32) -> String {
    format!("{v}")
}

/// The query string (with `?`) for a route: only the parameters its view uses.
pub fn to_query(r: &Route) -> String {
    let mut q = format!("?view={}", r.view.name());
    match r.view {
        View::Pitch => {
            let p = &r.pitch;
            q.push_str(&format!(
                "&x_m={}&y_m={}&body={}&kind={}",
                num(p.at.x_m),
                num(p.at.y_m),
                p.body.name(),
                p.kind.name()
            ));
            let ctx: Vec<&str> = CONTEXT_FLAGS
                .iter()
                .filter(|(_, _, bit)| p.flags & bit != 0)
                .map(|(n, _, _)| *n)
                .collect();
            if !ctx.is_empty() {
                q.push_str(&format!("&ctx={}", ctx.join(",")));
            }
        }
        View::Matches | View::Tables => {
            if let Some(c) = &r.competition {
                q.push_str(&format!("&comp={}", percent_encode(c)));
                if r.view == View::Matches {
                    if let Some(m) = r.match_id {
                        q.push_str(&format!("&match={m}"));
                    }
                }
            }
        }
        View::Model => {}
    }
    q
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_pitch_route_round_trips() {
        let (r, e) = parse_query(
            "?view=pitch&x_m=100.3&y_m=20&body=head_or_other&kind=penalty&ctx=after_cross,rebound",
        );
        assert!(e.is_empty(), "{e:?}");
        assert_eq!(r.view, View::Pitch);
        assert_eq!(r.pitch.at, clamp_to_half(Point::new(100.3, 20.0)));
        assert_eq!(r.pitch.body, BodyPart::HeadOrOther);
        assert_eq!(r.pitch.kind, ShotKind::Penalty);
        assert_eq!(r.pitch.flags, shot::FLAG_AFTER_CROSS | shot::FLAG_REBOUND);
        let (back, e) = parse_query(&to_query(&r));
        assert!(e.is_empty());
        assert_eq!(back, r);
    }

    #[test]
    fn match_routes_round_trip() {
        let (r, e) = parse_query("view=matches&comp=World_Cup&match=2058017");
        assert!(e.is_empty());
        assert_eq!(r.competition.as_deref(), Some("World_Cup"));
        assert_eq!(r.match_id, Some(2058017));
        assert_eq!(parse_query(&to_query(&r)).0, r);
    }

    #[test]
    fn hostile_parameters_become_errors_and_defaults() {
        let q = "?view=<script>&x_m=NaN&y_m=1e999&body=tail&kind=&ctx=after_cross,evil&comp=../../etc&match=-1&x_m=3";
        let (r, e) = parse_query(q);
        assert_eq!(r.view, View::Pitch);
        assert_eq!(r.pitch.at, PitchShot::default().at);
        assert_eq!(r.pitch.body, BodyPart::RightFoot);
        assert_eq!(r.pitch.flags, shot::FLAG_AFTER_CROSS);
        assert_eq!(r.competition, None);
        assert_eq!(r.match_id, None);
        let names: Vec<&str> = e.iter().map(|e| e.name.as_str()).collect();
        assert_eq!(
            names,
            ["view", "x_m", "y_m", "body", "kind", "ctx", "comp", "match", "x_m"]
        );
        let long = "x".repeat(5000);
        let (_, e) = parse_query(&format!("view={long}"));
        assert!(
            e[0].to_string().len() < 200,
            "errors echo a shortened value"
        );
    }

    #[test]
    fn percent_decoding_is_total() {
        assert_eq!(percent_decode("a%20b+c"), "a b c");
        assert_eq!(percent_decode("%"), "%");
        assert_eq!(percent_decode("%4"), "%4");
        assert_eq!(percent_decode("%zz"), "%zz");
        assert_eq!(percent_decode("%ff%fe"), "\u{fffd}\u{fffd}");
        assert_eq!(percent_encode("a b/é"), "a%20b%2F%C3%A9");
    }

    #[test]
    fn positions_snap_and_clamp_onto_the_half() {
        let p = clamp_to_half(Point::new(200.0, -3.0));
        assert_eq!(p, Point::new(LENGTH_M, 0.0));
        let p = clamp_to_half(Point::new(94.04, 33.96));
        assert_eq!(p, Point::PENALTY_SPOT);
        let p = clamp_to_half(Point::new(f32::NAN, f32::INFINITY));
        assert!(p.x_m.is_finite() && p.y_m.is_finite());
    }

    #[test]
    fn every_position_on_the_half_is_a_valid_shot() {
        for i in 0..=50 {
            for j in 0..=50 {
                let at = clamp_to_half(Point::new(
                    PITCH_X_MIN_M + i as f32 * (LENGTH_M - PITCH_X_MIN_M) / 50.0,
                    j as f32 * WIDTH_M / 50.0,
                ));
                assert!(PitchShot::default().at(at).shot().is_ok(), "{at:?}");
            }
        }
    }
}
