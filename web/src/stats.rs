//! What the match centre and the tables show, from a competition's shots and their xG (one xG
//! per shot, in [`Competition::shots`] order, each from [`crate::score::xg`]).
//!
//! Goals in the shot maps, the race chart and the player table are goals *from shots* (own
//! goals have no shooter); the team table's goals are the match results.

use crate::data::{period_minutes, Competition, Match, ShotInput, Side};

/// A match's totals per side (`[home, away]`).
#[derive(Debug, Clone, PartialEq, Default)]
pub struct MatchTotals {
    pub shots: [u32; 2],
    pub xg: [f64; 2],
    pub goals_from_shots: [u32; 2],
}

/// Totals of one match.
pub fn match_totals(c: &Competition, xg: &[f32], match_index: usize) -> MatchTotals {
    let mut t = MatchTotals::default();
    for (i, s) in c.shots_of(match_index) {
        let k = s.side.index();
        t.shots[k] += 1;
        t.xg[k] += xg[i] as f64;
        t.goals_from_shots[k] += s.goal as u32;
    }
    t
}

/// One step of the xG race: after the shot at `minute`, the side's cumulative xG is `total`.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct RacePoint {
    /// Where the chart puts the shot, in minutes since kick-off: stoppage time of a period
    /// that another follows is drawn at that period's end.
    pub minute: f32,
    pub total: f64,
    pub goal: bool,
}

/// The minutes a match lasts on the race chart: 90, or 120 with extra time, and longer when
/// a shot came in stoppage time at the end.
pub fn race_end_minute(m: &Match, race: &[Vec<RacePoint>; 2]) -> f32 {
    let regular = if m.extra_time { 120.0 } else { 90.0 };
    race.iter()
        .flatten()
        .map(|p| p.minute.ceil())
        .fold(regular, f32::max)
}

/// The cumulative xG of each side over the match (`[home, away]`), in the order the shots
/// were taken (period, then second).
pub fn race(c: &Competition, xg: &[f32], match_index: usize) -> [Vec<RacePoint>; 2] {
    let m = &c.matches[match_index];
    let last_period = if m.extra_time { 4 } else { 2 };
    let mut out: [Vec<RacePoint>; 2] = [Vec::new(), Vec::new()];
    let mut total = [0f64; 2];
    let mut shots: Vec<(usize, &ShotInput)> = c.shots_of(match_index).collect();
    shots.sort_by_key(|(_, s)| (s.period, s.second));
    for (i, s) in shots {
        let k = s.side.index();
        total[k] += xg[i] as f64;
        let (start, length) = period_minutes(s.period);
        let minute = if s.period < last_period {
            s.minute().min((start + length) as f32)
        } else {
            s.minute()
        };
        out[k].push(RacePoint {
            minute,
            total: total[k],
            goal: s.goal,
        });
    }
    out
}

/// A team's line in the competition table.
#[derive(Debug, Clone, PartialEq)]
pub struct TeamRow {
    pub team: usize,
    pub name: String,
    pub matches: u32,
    pub shots: u32,
    pub xg_for: f64,
    pub xg_against: f64,
    pub goals_for: u32,
    pub goals_against: u32,
}

/// A player's line: shots, xG, goals from shots and goals − xG.
#[derive(Debug, Clone, PartialEq)]
pub struct PlayerRow {
    pub player: usize,
    pub name: String,
    /// The team of the player's latest shot.
    pub team: String,
    pub shots: u32,
    pub xg: f64,
    pub goals: u32,
}

impl PlayerRow {
    /// Positive: scored more than the chances were worth.
    pub fn goals_minus_xg(&self) -> f64 {
        self.goals as f64 - self.xg
    }
}

/// Every team that played, with xG for and against and the match results.
pub fn team_table(c: &Competition, xg: &[f32]) -> Vec<TeamRow> {
    let mut rows: Vec<TeamRow> = c
        .teams
        .iter()
        .enumerate()
        .map(|(i, t)| TeamRow {
            team: i,
            name: t.name.clone(),
            matches: 0,
            shots: 0,
            xg_for: 0.0,
            xg_against: 0.0,
            goals_for: 0,
            goals_against: 0,
        })
        .collect();
    for m in &c.matches {
        for (side, other) in [(Side::Home, Side::Away), (Side::Away, Side::Home)] {
            let r = &mut rows[m.team(side)];
            r.matches += 1;
            r.goals_for += m.goals(side);
            r.goals_against += m.goals(other);
        }
    }
    for (s, &x) in c.shots.iter().zip(xg) {
        let m = &c.matches[s.match_index];
        let (side, other) = match s.side {
            Side::Home => (Side::Home, Side::Away),
            Side::Away => (Side::Away, Side::Home),
        };
        rows[m.team(side)].shots += 1;
        rows[m.team(side)].xg_for += x as f64;
        rows[m.team(other)].xg_against += x as f64;
    }
    rows.retain(|r| r.matches > 0);
    rows
}

/// Every player with at least one shot.
pub fn player_table(c: &Competition, xg: &[f32]) -> Vec<PlayerRow> {
    let mut rows: Vec<Option<PlayerRow>> = vec![None; c.players.len()];
    for (s, &x) in c.shots.iter().zip(xg) {
        let Some(p) = s.player else { continue };
        let m = &c.matches[s.match_index];
        let team = c.team_name(m, s.side);
        let r = rows[p].get_or_insert_with(|| PlayerRow {
            player: p,
            name: c.players[p].name.clone(),
            team: String::new(),
            shots: 0,
            xg: 0.0,
            goals: 0,
        });
        team.clone_into(&mut r.team);
        r.shots += 1;
        r.xg += x as f64;
        r.goals += s.goal as u32;
    }
    rows.into_iter().flatten().collect()
}

/// Columns the tables sort by.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TeamSort {
    Name,
    XgFor,
    XgAgainst,
    GoalsFor,
    GoalsAgainst,
    /// (goals for − goals against) − (xG for − xG against)
    GoalDiffMinusXgDiff,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PlayerSort {
    Name,
    Shots,
    Xg,
    Goals,
    GoalsMinusXg,
}

fn team_key(r: &TeamRow, k: TeamSort) -> f64 {
    match k {
        TeamSort::Name => 0.0,
        TeamSort::XgFor => r.xg_for,
        TeamSort::XgAgainst => r.xg_against,
        TeamSort::GoalsFor => r.goals_for as f64,
        TeamSort::GoalsAgainst => r.goals_against as f64,
        TeamSort::GoalDiffMinusXgDiff => {
            (r.goals_for as f64 - r.goals_against as f64) - (r.xg_for - r.xg_against)
        }
    }
}

/// Sorts in place; ties keep name order.
pub fn sort_teams(rows: &mut [TeamRow], k: TeamSort, descending: bool) {
    rows.sort_by(|a, b| {
        let o = if k == TeamSort::Name {
            a.name.cmp(&b.name)
        } else {
            team_key(a, k).total_cmp(&team_key(b, k))
        };
        let o = if descending { o.reverse() } else { o };
        o.then_with(|| a.name.cmp(&b.name))
    });
}

fn player_key(r: &PlayerRow, k: PlayerSort) -> f64 {
    match k {
        PlayerSort::Name => 0.0,
        PlayerSort::Shots => r.shots as f64,
        PlayerSort::Xg => r.xg,
        PlayerSort::Goals => r.goals as f64,
        PlayerSort::GoalsMinusXg => r.goals_minus_xg(),
    }
}

pub fn sort_players(rows: &mut [PlayerRow], k: PlayerSort, descending: bool) {
    rows.sort_by(|a, b| {
        let o = if k == PlayerSort::Name {
            a.name.cmp(&b.name)
        } else {
            player_key(a, k).total_cmp(&player_key(b, k))
        };
        let o = if descending { o.reverse() } else { o };
        o.then_with(|| a.name.cmp(&b.name))
    });
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::data::tests::SMALL;

    fn small() -> (Competition, Vec<f32>) {
        (Competition::parse(SMALL).unwrap(), vec![0.75, 0.125, 0.5])
    }

    #[test]
    fn totals_and_race_add_up() {
        let (c, xg) = small();
        let t = match_totals(&c, &xg, 0);
        assert_eq!(t.shots, [2, 1]);
        assert_eq!(t.xg, [1.25, 0.125]);
        assert_eq!(t.goals_from_shots, [2, 0]);
        let r = race(&c, &xg, 0);
        assert_eq!(r[0].len(), 2);
        assert_eq!(r[0][1].total, 1.25);
        assert!(r[0].iter().all(|p| p.goal));
        assert_eq!(r[1][0].minute, 30.0);
        assert_eq!(race_end_minute(&c.matches[0], &r), 90.0);
    }

    #[test]
    fn the_race_keeps_the_order_of_play_through_stoppage_time() {
        let (mut c, _) = small();
        // A first-half shot at 47:00 and a second-half one at 45:30 (0:30 into the half).
        c.shots[0].period = 1;
        c.shots[0].second = 47 * 60;
        c.shots[2].period = 2;
        c.shots[2].second = 30;
        let r = race(&c, &[0.75, 0.125, 0.5], 0);
        let home: Vec<f32> = r[0].iter().map(|p| p.minute).collect();
        // Drawn at the half's end, then the second half: in the order they were taken.
        assert_eq!(home, [45.0, 45.5]);
        assert_eq!(r[0][1].total, 1.25);
        // Stoppage time at the end of the match runs past 90; without it the axis is 90.
        c.shots[2].second = 49 * 60;
        let r = race(&c, &[0.75, 0.125, 0.5], 0);
        assert_eq!(r[0][1].minute, 94.0);
        assert_eq!(race_end_minute(&c.matches[0], &r), 94.0);
        // With extra time the second half is not the last, and the axis runs to 120.
        c.matches[0].extra_time = true;
        let r = race(&c, &[0.75, 0.125, 0.5], 0);
        assert_eq!(r[0][1].minute, 90.0);
        assert_eq!(race_end_minute(&c.matches[0], &r), 120.0);
    }

    #[test]
    fn tables_use_results_for_teams_and_shots_for_players() {
        let (c, xg) = small();
        let mut teams = team_table(&c, &xg);
        sort_teams(&mut teams, TeamSort::XgFor, true);
        assert_eq!(teams[0].name, "Reds");
        assert_eq!((teams[0].goals_for, teams[0].goals_against), (2, 1));
        assert_eq!(teams[0].xg_against, 0.125);
        assert_eq!(teams[1].xg_against, 1.25);
        let mut players = player_table(&c, &xg);
        sort_players(&mut players, PlayerSort::GoalsMinusXg, true);
        assert_eq!(players[0].name, "A. Striker");
        assert_eq!(players[0].goals_minus_xg(), 0.75);
        assert_eq!(players[1].goals_minus_xg(), -0.125);
        sort_players(&mut players, PlayerSort::Name, false);
        assert_eq!(players[0].name, "A. Striker");
        sort_players(&mut players, PlayerSort::Name, true);
        assert_eq!(players[0].name, "B. Winger");
    }
}
