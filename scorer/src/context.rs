//! The pre-shot context rules, once for every data provider: which of the events before a shot
//! make it a rebound, the end of a cross, a set-piece phase, and so on.
//!
//! A provider's module (`wyscout`, `statsbomb`) only says what each of its events *is*
//! ([`Prior`]: team, time, position, [`Action`]); the rules below turn the events before a shot
//! into its [`Context`], so a shot means the same to the model whichever feed it came from.
//!
//! The rules, for the events of the same match and period before the shot (latest first):
//!
//! - the previous event and the one before it give the time gaps (events recorded out of order
//!   count as simultaneous: a negative gap becomes 0) and the previous event's position;
//! - the latest of those two by the shooting team says whether a cross, a through ball or a
//!   high pass came just before;
//! - a duel or take-on among those two is [`Context::after_take_on_or_duel`];
//! - a shot by the same team in the [`REBOUND_WINDOW_S`] before is a rebound;
//! - for open-play shots, a corner or free kick by the shooting team in the
//!   [`SET_PIECE_WINDOW_S`] before is the set-piece phase.

use crate::pitch::Point;
use crate::shot::{Context, ShotKind};

/// A shot by the same team this many seconds before makes a rebound.
pub const REBOUND_WINDOW_S: f64 = 5.0;
/// A corner or free kick by the shooting team this many seconds before is the set-piece phase.
pub const SET_PIECE_WINDOW_S: f64 = 10.0;

/// How many of the latest events before a shot the rules read whatever their time.
pub const LOOKBACK_EVENTS: usize = 2;
/// How far back in time the rules read: the longest window.
pub const LOOKBACK_S: f64 = if REBOUND_WINDOW_S > SET_PIECE_WINDOW_S {
    REBOUND_WINDOW_S
} else {
    SET_PIECE_WINDOW_S
};

/// The events of a feed that could not be read, and which later events' contexts may have
/// needed them: a shot whose context is built without an event the rules would have read gets
/// a context the feed does not support, and the caller should refuse it rather than guess.
///
/// Give it every event of the feed in order: [`Unread::event`] for each one that was read,
/// [`Unread::unreadable`] for each one that was not. An unreadable event is taken to belong to
/// the match and period of the next event read, and to be no later than it; every event of
/// that phase up to [`LOOKBACK_EVENTS`] events or [`LOOKBACK_S`] seconds after it may have
/// read it (conservative when events are not quite in time order).
#[derive(Debug, Default)]
pub struct Unread {
    gap: Option<Gap>,
}

#[derive(Debug)]
struct Gap {
    /// The caller's label of the unreadable event (its position in the file).
    label: usize,
    /// The phase and time of the first event read after it, once there is one.
    first_after: Option<((u64, u8), f64)>,
    events_after: usize,
}

impl Unread {
    pub fn new() -> Unread {
        Unread::default()
    }

    /// An event that could not be read; `label` names it in what [`Unread::event`] returns.
    /// The latest one is enough to remember: its reach ends no earlier than an older one's.
    pub fn unreadable(&mut self, label: usize) {
        self.gap = Some(Gap {
            label,
            first_after: None,
            events_after: 0,
        });
    }

    /// An event that was read, in `phase` (match and period, as the feed numbers them) at
    /// `secs` into the period (NaN if unknown). Returns the label of an unreadable event its
    /// context may have needed, if there is one.
    pub fn event(&mut self, phase: (u64, u8), secs: f64) -> Option<usize> {
        let gap = self.gap.as_mut()?;
        let (first_phase, first_secs) = *gap.first_after.get_or_insert((phase, secs));
        if first_phase != phase {
            self.gap = None;
            return None;
        }
        gap.events_after += 1;
        // A time that is not a number cannot rule the gap out.
        let elapsed_s = secs - first_secs;
        let within =
            gap.events_after <= LOOKBACK_EVENTS || elapsed_s.is_nan() || elapsed_s <= LOOKBACK_S;
        within.then_some(gap.label)
    }
}

/// What an event before a shot was, as far as the context rules care. Flags rather than one
/// kind, because feeds tag one event with several (a Wyscout cross that is also a high pass).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct Action {
    /// A shot of any kind (open play, free kick, penalty).
    pub shot: bool,
    /// An open-play pass that is a cross.
    pub cross: bool,
    /// An open-play pass played through the defence.
    pub through_ball: bool,
    /// An open-play pass played high.
    pub high_pass: bool,
    /// A duel or take-on, by either team.
    pub duel: bool,
    /// A corner or an indirect free kick (a restart played as a pass).
    pub set_piece_restart: bool,
}

/// An event before a shot, seen through a provider's module.
pub trait Prior {
    type Error;
    /// The team that made the event.
    fn team(&self) -> u64;
    /// Seconds since the period started. An error (a number that is not finite) fails the
    /// shot's conversion when it is one of the last two events; deeper in the window scans it
    /// only ends the scan, as an event outside the window would.
    fn secs(&self) -> Result<f64, Self::Error>;
    /// Where the event happened, in the frame of `team` attacking `x_m = 105`; `None` if the
    /// feed gives no position.
    fn position_for(&self, team: u64) -> Result<Option<Point>, Self::Error>;
    fn action(&self) -> Action;
}

/// The shot whose context is built.
#[derive(Debug, Clone, Copy)]
pub struct ShotMoment {
    pub team: u64,
    /// Seconds since the period started (finite: the caller checked).
    pub secs: f64,
    pub kind: ShotKind,
    /// The feed marks the shot as the end of a counter-attack.
    pub counter_attack: bool,
}

/// The context of a shot from the events before it in the same match and period, latest
/// first (`earlier` must stop at the start of the period).
pub fn build<'a, E, I>(shot: ShotMoment, earlier: I) -> Result<Context, E::Error>
where
    E: Prior + 'a,
    I: Iterator<Item = &'a E> + Clone,
{
    let mut last_two = earlier.clone();
    let prev1 = last_two.next();
    let prev2 = last_two.next();
    let gap = |e: &E| -> Result<f32, E::Error> { Ok((shot.secs - e.secs()?).max(0.0) as f32) };
    let assist = [prev1, prev2]
        .into_iter()
        .flatten()
        .find(|e| e.team() == shot.team)
        .map(|e| e.action())
        .unwrap_or_default();
    let recent = |window: f64| {
        earlier
            .clone()
            .take_while(move |e| e.secs().is_ok_and(|secs| shot.secs - secs <= window))
            .filter(|e| e.team() == shot.team)
    };
    Ok(Context {
        counter_attack: shot.counter_attack,
        after_cross: assist.cross,
        after_through_ball: assist.through_ball,
        after_high_pass: assist.high_pass,
        after_take_on_or_duel: [prev1, prev2]
            .into_iter()
            .flatten()
            .any(|e| e.action().duel),
        rebound: recent(REBOUND_WINDOW_S).any(|e| e.action().shot),
        set_piece_phase: shot.kind == ShotKind::OpenPlay
            && recent(SET_PIECE_WINDOW_S).any(|e| e.action().set_piece_restart),
        secs_since_prev_event: prev1.map(gap).transpose()?,
        secs_since_prev2_event: prev2.map(gap).transpose()?,
        prev_event_at: match prev1 {
            Some(e) => e.position_for(shot.team)?,
            None => None,
        },
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A bare event for the rules alone.
    struct E {
        team: u64,
        secs: f64,
        at: Option<Point>,
        action: Action,
    }

    impl Prior for E {
        type Error = &'static str;
        fn team(&self) -> u64 {
            self.team
        }
        fn secs(&self) -> Result<f64, &'static str> {
            if self.secs.is_finite() {
                Ok(self.secs)
            } else {
                Err("secs")
            }
        }
        fn position_for(&self, team: u64) -> Result<Option<Point>, &'static str> {
            Ok(self.at.map(|p| {
                if team == self.team {
                    p
                } else {
                    Point::new(105.0 - p.x_m, 68.0 - p.y_m)
                }
            }))
        }
        fn action(&self) -> Action {
            self.action
        }
    }

    const SHOT: Action = Action {
        shot: true,
        cross: false,
        through_ball: false,
        high_pass: false,
        duel: false,
        set_piece_restart: false,
    };

    fn ev(team: u64, secs: f64, action: Action) -> E {
        E {
            team,
            secs,
            at: Some(Point::new(80.0, 20.0)),
            action,
        }
    }

    fn moment(kind: ShotKind) -> ShotMoment {
        ShotMoment {
            team: 1,
            secs: 100.0,
            kind,
            counter_attack: false,
        }
    }

    fn context(kind: ShotKind, before_latest_first: &[E]) -> Result<Context, &'static str> {
        build(moment(kind), before_latest_first.iter())
    }

    #[test]
    fn the_assist_is_the_latest_of_the_last_two_events_by_the_shooting_team() {
        let cross = Action {
            cross: true,
            high_pass: true,
            ..Action::default()
        };
        let through = Action {
            through_ball: true,
            ..Action::default()
        };
        // Opponent's event last, the team's cross before it: the cross counts.
        let c = context(
            ShotKind::OpenPlay,
            &[ev(2, 99.0, through), ev(1, 98.0, cross)],
        )
        .unwrap();
        assert!(c.after_cross && c.after_high_pass && !c.after_through_ball);
        // A third event back is not read.
        let c = context(
            ShotKind::OpenPlay,
            &[
                ev(2, 99.0, Action::default()),
                ev(2, 98.0, Action::default()),
                ev(1, 97.0, cross),
            ],
        )
        .unwrap();
        assert!(!c.after_cross);
        // The position is the previous event's, mirrored into the shooter's frame.
        assert_eq!(c.prev_event_at, Some(Point::new(25.0, 48.0)));
        assert_eq!(c.secs_since_prev_event, Some(1.0));
        assert_eq!(c.secs_since_prev2_event, Some(2.0));
    }

    #[test]
    fn windows_bound_rebounds_and_set_pieces() {
        let restart = Action {
            set_piece_restart: true,
            ..Action::default()
        };
        let inside = [ev(1, 96.0, SHOT), ev(1, 91.0, restart)];
        let c = context(ShotKind::OpenPlay, &inside).unwrap();
        assert!(c.rebound && c.set_piece_phase);
        // Set pieces only colour open play; rebounds any shot.
        let c = context(ShotKind::DirectFreeKick, &inside).unwrap();
        assert!(c.rebound && !c.set_piece_phase);
        let outside = [ev(1, 94.9, SHOT), ev(1, 89.9, restart)];
        let c = context(ShotKind::OpenPlay, &outside).unwrap();
        assert!(!c.rebound && !c.set_piece_phase);
        // The other team's shot is not a rebound.
        let c = context(ShotKind::OpenPlay, &[ev(2, 99.0, SHOT)]).unwrap();
        assert!(!c.rebound);
    }

    #[test]
    fn gaps_are_never_negative_and_a_bad_time_on_the_last_two_fails() {
        let c = context(ShotKind::OpenPlay, &[ev(2, 101.5, Action::default())]).unwrap();
        assert_eq!(c.secs_since_prev_event, Some(0.0));
        let bad = [ev(2, 99.0, Action::default()), ev(2, f64::NAN, SHOT)];
        assert_eq!(context(ShotKind::OpenPlay, &bad), Err("secs"));
        // Deeper in the window a NaN time only ends the scan.
        let deep = [
            ev(2, 99.0, Action::default()),
            ev(2, 98.0, Action::default()),
            ev(1, f64::NAN, SHOT),
            ev(1, 97.0, SHOT),
        ];
        assert!(!context(ShotKind::OpenPlay, &deep).unwrap().rebound);
        assert_eq!(
            context(ShotKind::OpenPlay, &[]).unwrap(),
            Context::default()
        );
    }

    #[test]
    fn an_unreadable_event_reaches_the_next_two_events_and_ten_seconds_of_its_phase() {
        assert_eq!(LOOKBACK_S, 10.0);
        let mut u = Unread::new();
        assert_eq!(u.event((1, 1), 5.0), None, "nothing unread yet");
        u.unreadable(7);
        // Its next two events may read it whatever their time; then only within 10 s.
        let phase = (1, 1);
        assert_eq!(u.event(phase, 20.0), Some(7));
        assert_eq!(u.event(phase, 60.0), Some(7));
        assert_eq!(u.event(phase, 30.0), Some(7));
        assert_eq!(u.event(phase, f64::NAN), Some(7), "an unknown time");
        assert_eq!(u.event(phase, 30.5), None);
        // A new period ends its reach for good.
        assert_eq!(u.event((1, 2), 0.0), None);
        assert_eq!(u.event((1, 1), 21.0), None);
        // The phase is the next event's, whatever came before.
        u.unreadable(9);
        assert_eq!(u.event((2, 1), 100.0), Some(9));
        assert_eq!(u.event((2, 1), 100.0), Some(9));
        assert_eq!(u.event((2, 1), 110.0), Some(9));
        assert_eq!(u.event((2, 1), 110.1), None);
    }
}
