//! The files `trainer export-web` writes and the page reads: their layout is defined here,
//! once, and the trainer writes it with these definitions and reads every file back with
//! these parsers before it counts as exported.
//!
//! ```text
//! index.json                  format, model file, the competitions and their files
//! model.xgm                   the model (production from a registry, or a given file)
//! model-card.json             version, metrics, calibration bins, feature names
//! competitions/<id>.json      one competition: teams, players, matches, shot inputs
//! ```
//!
//! A competition file (format [`FORMAT`]) holds `teams` and `players` as `[wyscout_id, name]`
//! pairs, `matches` as objects (`id`, `date` as YYYY-MM-DD, `home`/`away` team indices,
//! `home_goals`/`away_goals` after extra time, `extra_time` whether it was played, `note` for
//! extra time or penalties), and `shots` as [`ShotRecord`] arrays in [`SHOT_FIELDS`] order:
//! `[match, side (0 home, 1 away), player index or null, period (1, 2 the halves, 3, 4 extra
//! time), second (whole seconds into the period), goal (0/1), x_m, y_m, body_part code, kind
//! code, context flags, secs_since_prev_event, secs_since_prev2_event, prev_event_x_m,
//! prev_event_y_m]`, with codes and flags those of `scorer::shot`'s flat layout and `null` for
//! a missing value. The files hold shot *inputs*, never xG values: the page scores every shot
//! itself.
//!
//! Everything read is checked: the format version, every index into the teams, players and
//! matches, every shot through `scorer`'s validation, and the file names the index points at
//! (only `competitions/<id>.json` under the data folder). A bad file is a [`DataError`]
//! the page shows, never a panic.

use crate::json::{self, Json, JsonError};
use crate::state::is_competition_id;
use core::fmt;
use scorer::{Shot, ShotError, ShotFields};

/// The layout version: the page reads only this one, and the trainer writes it.
/// 2: a shot's period and second in it instead of a minute since kick-off (which could not
/// tell first-half stoppage time from the second half), and `extra_time` on matches.
pub const FORMAT: u32 = 2;

/// Names of a [`ShotRecord`]'s columns, in order (written into every competition file).
pub const SHOT_FIELDS: [&str; 15] = [
    "match",
    "side",
    "player",
    "period",
    "second",
    "goal",
    "x_m",
    "y_m",
    "body_part",
    "kind",
    "context_flags",
    "secs_since_prev_event",
    "secs_since_prev2_event",
    "prev_event_x_m",
    "prev_event_y_m",
];

/// Why a data file was refused.
#[derive(Debug, Clone, PartialEq)]
pub enum DataError {
    /// Not JSON or not the expected shape.
    Json(String),
    /// Written in another layout version.
    Format { found: u32 },
    /// A reference to a team, player or match that is not in the file.
    BadIndex { what: &'static str, index: u64 },
    /// A shot the scorer refuses.
    Shot { index: usize, reason: String },
    /// A file name that is not `competitions/<id>.json`.
    BadFileName(String),
    /// A value the file's shape allows but football or the other files do not: a team that
    /// plays itself, a score of thousands, a match or competition listed twice.
    Value(String),
}

impl fmt::Display for DataError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            DataError::Json(e) => write!(f, "malformed data file: {e}"),
            DataError::Format { found } => write!(
                f,
                "data file format {found} is not supported (this page reads format {FORMAT})"
            ),
            DataError::BadIndex { what, index } => {
                write!(
                    f,
                    "data file refers to {what} #{index}, which it does not contain"
                )
            }
            DataError::Shot { index, reason } => write!(f, "shot #{index} is invalid: {reason}"),
            DataError::BadFileName(n) => write!(f, "data index names an unexpected file {n:?}"),
            DataError::Value(e) => write!(f, "data file is invalid: {e}"),
        }
    }
}

impl std::error::Error for DataError {}

impl From<JsonError> for DataError {
    fn from(e: JsonError) -> DataError {
        DataError::Json(e.0)
    }
}

fn check_format(found: u32) -> Result<(), DataError> {
    if found == FORMAT {
        Ok(())
    } else {
        Err(DataError::Format { found })
    }
}

/// `index.json`: the model file and the competitions.
#[derive(Debug, Clone, PartialEq)]
pub struct Index {
    pub format: u32,
    pub model: IndexModel,
    pub model_card: String,
    pub competitions: Vec<IndexCompetition>,
}

#[derive(Debug, Clone, PartialEq)]
pub struct IndexModel {
    pub version: String,
    pub file: String,
    pub bytes: u64,
}

#[derive(Debug, Clone, PartialEq)]
pub struct IndexCompetition {
    pub id: String,
    pub name: String,
    pub file: String,
    pub matches: u64,
    pub shots: u64,
    pub bytes: u64,
}

impl Index {
    pub fn parse(text: &str) -> Result<Index, DataError> {
        let v = json::parse(text)?;
        check_format(v.get("format").u32("format")?)?;
        let m = v.get("model");
        let mut competitions = Vec::new();
        for c in v.get("competitions").array("competitions")? {
            competitions.push(IndexCompetition {
                id: c.get("id").str("competition id")?.to_string(),
                name: c.get("name").str("competition name")?.to_string(),
                file: c.get("file").str("competition file")?.to_string(),
                matches: c.get("matches").u64("matches")?,
                shots: c.get("shots").u64("shots")?,
                bytes: c.get("bytes").u64("bytes")?,
            });
        }
        let i = Index {
            format: FORMAT,
            model: IndexModel {
                version: m.get("version").str("model version")?.to_string(),
                file: m.get("file").str("model file")?.to_string(),
                bytes: m.get("bytes").u64("model bytes")?,
            },
            model_card: v.get("model_card").str("model_card")?.to_string(),
            competitions,
        };
        for name in [&i.model.file, &i.model_card] {
            if !is_plain_file_name(name) {
                return Err(DataError::BadFileName(name.clone()));
            }
        }
        for (k, c) in i.competitions.iter().enumerate() {
            if !is_competition_id(&c.id) || c.file != format!("competitions/{}.json", c.id) {
                return Err(DataError::BadFileName(c.file.clone()));
            }
            if i.competitions[..k].iter().any(|o| o.id == c.id) {
                return Err(DataError::Value(format!(
                    "competition {:?} is listed twice",
                    c.id
                )));
            }
        }
        Ok(i)
    }

    pub fn competition(&self, id: &str) -> Option<&IndexCompetition> {
        self.competitions.iter().find(|c| c.id == id)
    }
}

/// The index, the model and its card are separate files: during an upload they may come from
/// two exports, and the page must not score with one model and describe another.
impl IndexModel {
    /// The model file is as long as the index says.
    pub fn check_size(&self, n_bytes: usize) -> Result<(), String> {
        if n_bytes as u64 == self.bytes {
            Ok(())
        } else {
            Err(format!(
                "{n_bytes} bytes, but the data index says {} (files from two exports?)",
                self.bytes
            ))
        }
    }

    /// The card describes this model.
    pub fn check_card(&self, card: &ModelCard) -> Result<(), String> {
        if card.version == self.version && card.model_bytes == self.bytes {
            Ok(())
        } else {
            Err(format!(
                "describes model {} ({} bytes), but the page scores {} ({} bytes)",
                card.version, card.model_bytes, self.version, self.bytes
            ))
        }
    }
}

/// `[A-Za-z0-9._-]+`, not starting with `.`: a file right in the data folder.
fn is_plain_file_name(s: &str) -> bool {
    !s.is_empty()
        && s.len() <= 64
        && !s.starts_with('.')
        && s.bytes()
            .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'.' | b'_' | b'-'))
}

/// Test-set metrics in the model card.
#[derive(Debug, Clone, PartialEq)]
pub struct Metrics {
    pub n_shots: Option<u64>,
    pub n_goals: Option<u64>,
    pub auc: Option<f64>,
    pub log_loss: Option<f64>,
    pub brier: Option<f64>,
    pub ece: Option<f64>,
    pub xg_ratio: Option<f64>,
}

/// One calibration bin: predicted xG in `[lo, hi)`, its mean, and the observed goal rate.
#[derive(Debug, Clone, PartialEq)]
pub struct CalibrationBin {
    pub lo: f64,
    pub hi: f64,
    pub n: u64,
    pub mean_xg: Option<f64>,
    pub goal_rate: Option<f64>,
}

#[derive(Debug, Clone, PartialEq)]
pub struct CardData {
    pub competitions: Option<Vec<String>>,
    pub n_shots: Option<u64>,
    pub n_goals: Option<u64>,
}

/// `model-card.json`. Everything but the version and features may be missing (a model file
/// exported without its manifest).
#[derive(Debug, Clone, PartialEq)]
pub struct ModelCard {
    pub format: u32,
    pub version: String,
    pub sha256: String,
    pub model_bytes: u64,
    pub trained_at_unix_s: Option<u64>,
    pub n_trees: Option<u64>,
    pub max_depth: Option<u64>,
    pub feature_set_id: String,
    pub feature_names: Vec<String>,
    pub data: Option<CardData>,
    pub split: Option<String>,
    pub test: Option<Metrics>,
    pub baseline_test: Option<Metrics>,
    pub calibration: Option<Vec<CalibrationBin>>,
}

fn metrics(v: &Json) -> Result<Option<Metrics>, JsonError> {
    if v.is_null() {
        return Ok(None);
    }
    Ok(Some(Metrics {
        n_shots: v.get("n_shots").opt("n_shots", Json::u64)?,
        n_goals: v.get("n_goals").opt("n_goals", Json::u64)?,
        auc: v.get("auc").opt("auc", Json::f64)?,
        log_loss: v.get("log_loss").opt("log_loss", Json::f64)?,
        brier: v.get("brier").opt("brier", Json::f64)?,
        ece: v.get("ece").opt("ece", Json::f64)?,
        xg_ratio: v.get("xg_ratio").opt("xg_ratio", Json::f64)?,
    }))
}

impl ModelCard {
    pub fn parse(text: &str) -> Result<ModelCard, DataError> {
        let v = json::parse(text)?;
        check_format(v.get("format").u32("format")?)?;
        let strings = |v: &Json, what: &str| -> Result<Vec<String>, JsonError> {
            v.array(what)?
                .iter()
                .map(|s| s.str(what).map(String::from))
                .collect()
        };
        let d = v.get("data");
        let data = if d.is_null() {
            None
        } else {
            Some(CardData {
                competitions: d
                    .get("competitions")
                    .opt("competitions", |v, w| strings(v, w))?,
                n_shots: d.get("n_shots").opt("n_shots", Json::u64)?,
                n_goals: d.get("n_goals").opt("n_goals", Json::u64)?,
            })
        };
        let calibration = v.get("calibration").opt("calibration", |c, w| {
            c.array(w)?
                .iter()
                .map(|b| {
                    Ok(CalibrationBin {
                        lo: b.get("lo").f64("lo")?,
                        hi: b.get("hi").f64("hi")?,
                        n: b.get("n").u64("n")?,
                        mean_xg: b.get("mean_xg").opt("mean_xg", Json::f64)?,
                        goal_rate: b.get("goal_rate").opt("goal_rate", Json::f64)?,
                    })
                })
                .collect::<Result<Vec<_>, JsonError>>()
        })?;
        let sha256 = v.get("sha256").str("sha256")?.to_string();
        if sha256.len() != 64 || !sha256.bytes().all(|b| b.is_ascii_hexdigit()) {
            return Err(DataError::Value(format!(
                "sha256 {:?} is not 64 hex digits",
                sha256.chars().take(80).collect::<String>()
            )));
        }
        Ok(ModelCard {
            format: FORMAT,
            version: v.get("version").str("version")?.to_string(),
            sha256,
            model_bytes: v.get("model_bytes").u64("model_bytes")?,
            trained_at_unix_s: v
                .get("trained_at_unix_s")
                .opt("trained_at_unix_s", Json::u64)?,
            n_trees: v.get("n_trees").opt("n_trees", Json::u64)?,
            max_depth: v.get("max_depth").opt("max_depth", Json::u64)?,
            feature_set_id: v.get("feature_set_id").str("feature_set_id")?.to_string(),
            feature_names: strings(v.get("feature_names"), "feature_names")?,
            data,
            split: v
                .get("split")
                .opt("split", |s, w| s.str(w).map(String::from))?,
            test: metrics(v.get("test"))?,
            baseline_test: metrics(v.get("baseline_test"))?,
            calibration,
        })
    }
}

/// Home or away.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Side {
    Home,
    Away,
}

impl Side {
    pub fn index(self) -> usize {
        match self {
            Side::Home => 0,
            Side::Away => 1,
        }
    }
}

#[derive(Debug, Clone, PartialEq)]
pub struct Team {
    pub wyscout_id: u64,
    pub name: String,
}

#[derive(Debug, Clone, PartialEq)]
pub struct Player {
    pub wyscout_id: u64,
    pub name: String,
}

#[derive(Debug, Clone, PartialEq)]
pub struct Match {
    pub id: u64,
    /// `YYYY-MM-DD`.
    pub date: String,
    /// Index into [`Competition::teams`].
    pub home: u32,
    pub away: u32,
    pub home_goals: u32,
    pub away_goals: u32,
    /// Whether extra time was played (periods 3 and 4).
    pub extra_time: bool,
    /// "after extra time", penalties.
    pub note: String,
}

impl Match {
    pub fn team(&self, side: Side) -> usize {
        match side {
            Side::Home => self.home as usize,
            Side::Away => self.away as usize,
        }
    }
    pub fn goals(&self, side: Side) -> u32 {
        match side {
            Side::Home => self.home_goals,
            Side::Away => self.away_goals,
        }
    }
}

/// One shot with what the page shows around it.
#[derive(Debug, Clone, PartialEq)]
pub struct ShotInput {
    /// Index into [`Competition::matches`].
    pub match_index: usize,
    pub side: Side,
    /// Index into [`Competition::players`].
    pub player: Option<usize>,
    /// 1 and 2 the halves, 3 and 4 extra time.
    pub period: u8,
    /// Whole seconds into the period.
    pub second: u32,
    pub goal: bool,
    pub shot: Shot,
}

/// Where period `p` starts on the match clock and how long it is, in minutes.
pub fn period_minutes(p: u8) -> (u32, u32) {
    match p {
        1 => (0, 45),
        2 => (45, 45),
        3 => (90, 15),
        _ => (105, 15),
    }
}

/// Most seconds into a period a shot may be (an hour, far beyond any stoppage time).
pub const MAX_SECOND: u32 = 3600;

impl ShotInput {
    /// Minutes since kick-off on the match clock: the period's start plus the time into it.
    /// Stoppage time runs past the period's end (a first-half shot at 46:30 is 46.5).
    pub fn minute(&self) -> f32 {
        period_minutes(self.period).0 as f32 + self.second as f32 / 60.0
    }

    /// The minute as football writes it: `13'` for 12:00–12:59, `45+2'` for the second minute
    /// of first-half stoppage time.
    pub fn clock(&self) -> String {
        let (start, length) = period_minutes(self.period);
        let into = self.second / 60;
        if into < length {
            format!("{}'", start + into + 1)
        } else {
            format!("{}+{}'", start + length, into - length + 1)
        }
    }
}

/// A competition file, checked.
#[derive(Debug, Clone, PartialEq)]
pub struct Competition {
    pub id: String,
    pub teams: Vec<Team>,
    pub players: Vec<Player>,
    pub matches: Vec<Match>,
    /// In match order, then in the order they were taken.
    pub shots: Vec<ShotInput>,
}

/// One shot as written: the columns of [`SHOT_FIELDS`] (see the module docs). Fields 6 to 14
/// are the shot's [`ShotFields`]; [`shot_of_record`] turns them into a validated [`Shot`].
pub type ShotRecord = (
    u32,
    u8,
    Option<u32>,
    u8,
    u32,
    u8,
    f32,
    f32,
    u8,
    u8,
    u16,
    Option<f32>,
    Option<f32>,
    Option<f32>,
    Option<f32>,
);

fn small<T: TryFrom<u32>>(v: &Json, what: &str) -> Result<T, JsonError> {
    T::try_from(v.u32(what)?).map_err(|_| JsonError(format!("{what}: out of range")))
}

fn shot_record(r: &Json) -> Result<ShotRecord, JsonError> {
    let a = r.array("shot")?;
    if a.len() != SHOT_FIELDS.len() {
        return Err(JsonError(format!(
            "a shot has {} fields, not {}",
            SHOT_FIELDS.len(),
            a.len()
        )));
    }
    let of = |i: usize| -> Result<Option<f32>, JsonError> { a[i].opt("shot field", Json::f32) };
    Ok((
        a[0].u32("match")?,
        small(&a[1], "side")?,
        a[2].opt("player", Json::u32)?,
        small(&a[3], "period")?,
        a[4].u32("second")?,
        small(&a[5], "goal")?,
        a[6].f32("x_m")?,
        a[7].f32("y_m")?,
        small(&a[8], "body_part")?,
        small(&a[9], "kind")?,
        small(&a[10], "context_flags")?,
        of(11)?,
        of(12)?,
        of(13)?,
        of(14)?,
    ))
}

fn pairs(v: &Json, what: &str) -> Result<Vec<(u64, String)>, JsonError> {
    v.array(what)?
        .iter()
        .map(|p| match p.array(what)? {
            [id, name] => Ok((id.u64(what)?, name.str(what)?.to_string())),
            _ => Err(JsonError(format!("{what}: expected [id, name]"))),
        })
        .collect()
}

/// Most goals a team is taken to score in a match (the export refuses more, too).
pub const MAX_GOALS: u32 = 99;

/// A match's own values: two different teams, a football score, a `YYYY-MM-DD` date.
fn check_match(m: &Match) -> Result<(), String> {
    if m.home == m.away {
        return Err("a team cannot play itself".into());
    }
    if m.home_goals > MAX_GOALS || m.away_goals > MAX_GOALS {
        return Err(format!(
            "{}–{} is not a football score",
            m.home_goals, m.away_goals
        ));
    }
    let d = m.date.as_bytes();
    let digits = |r: core::ops::Range<usize>| d[r].iter().all(u8::is_ascii_digit);
    if !(d.len() == 10
        && d[4] == b'-'
        && d[7] == b'-'
        && digits(0..4)
        && digits(5..7)
        && digits(8..10))
    {
        return Err(format!(
            "date {:?} is not YYYY-MM-DD",
            m.date.chars().take(40).collect::<String>()
        ));
    }
    Ok(())
}

/// The shot a record describes, validated by the scorer.
pub fn shot_of_record(r: &ShotRecord) -> Result<Shot, ShotError> {
    Shot::from_fields(&ShotFields {
        x_m: r.6,
        y_m: r.7,
        body_part_code: r.8,
        kind_code: r.9,
        context_flags: r.10,
        secs_since_prev_event: r.11,
        secs_since_prev2_event: r.12,
        prev_event_x_m: r.13,
        prev_event_y_m: r.14,
    })
}

impl Competition {
    pub fn parse(text: &str) -> Result<Competition, DataError> {
        let v = json::parse(text)?;
        check_format(v.get("format").u32("format")?)?;
        let teams = pairs(v.get("teams"), "teams")?;
        let players = pairs(v.get("players"), "players")?;
        let mut matches = Vec::new();
        for m in v.get("matches").array("matches")? {
            matches.push(Match {
                id: m.get("id").u64("match id")?,
                date: m.get("date").str("date")?.to_string(),
                home: m.get("home").u32("home")?,
                away: m.get("away").u32("away")?,
                home_goals: m.get("home_goals").u32("home_goals")?,
                away_goals: m.get("away_goals").u32("away_goals")?,
                extra_time: m.get("extra_time").bool("extra_time")?,
                note: m
                    .get("note")
                    .opt("note", |n, w| n.str(w).map(String::from))?
                    .unwrap_or_default(),
            });
        }
        let records = v
            .get("shots")
            .array("shots")?
            .iter()
            .map(shot_record)
            .collect::<Result<Vec<_>, _>>()?;
        let n_teams = teams.len() as u64;
        for (k, m) in matches.iter().enumerate() {
            for t in [m.home, m.away] {
                if t as u64 >= n_teams {
                    return Err(DataError::BadIndex {
                        what: "team",
                        index: t as u64,
                    });
                }
            }
            check_match(m).map_err(|e| DataError::Value(format!("match {}: {e}", m.id)))?;
            if matches[..k].iter().any(|o| o.id == m.id) {
                return Err(DataError::Value(format!("match {} is listed twice", m.id)));
            }
        }
        let mut shots = Vec::with_capacity(records.len());
        for (i, r) in records.iter().enumerate() {
            if r.0 as usize >= matches.len() {
                return Err(DataError::BadIndex {
                    what: "match",
                    index: r.0 as u64,
                });
            }
            if let Some(p) = r.2 {
                if p as usize >= players.len() {
                    return Err(DataError::BadIndex {
                        what: "player",
                        index: p as u64,
                    });
                }
            }
            let side = match r.1 {
                0 => Side::Home,
                1 => Side::Away,
                s => {
                    return Err(DataError::Shot {
                        index: i,
                        reason: format!("side {s}"),
                    })
                }
            };
            let reason = match (r.3, r.4, r.5) {
                (0 | 5.., _, _) => Some(format!("period {} (1 to 4)", r.3)),
                (3 | 4, _, _) if !matches[r.0 as usize].extra_time => {
                    Some(format!("period {} in a match without extra time", r.3))
                }
                (_, MAX_SECOND.., _) => Some(format!("second {} (at most {MAX_SECOND})", r.4)),
                (_, _, 2..) => Some(format!("goal {} (0 or 1)", r.5)),
                _ => None,
            };
            if let Some(reason) = reason {
                return Err(DataError::Shot { index: i, reason });
            }
            let shot = shot_of_record(r).map_err(|e| DataError::Shot {
                index: i,
                reason: e.to_string(),
            })?;
            shots.push(ShotInput {
                match_index: r.0 as usize,
                side,
                player: r.2.map(|p| p as usize),
                period: r.3,
                second: r.4,
                goal: r.5 != 0,
                shot,
            });
        }
        Ok(Competition {
            id: v.get("competition").str("competition")?.to_string(),
            teams: teams
                .into_iter()
                .map(|(wyscout_id, name)| Team { wyscout_id, name })
                .collect(),
            players: players
                .into_iter()
                .map(|(wyscout_id, name)| Player { wyscout_id, name })
                .collect(),
            matches,
            shots,
        })
    }

    pub fn match_index(&self, id: u64) -> Option<usize> {
        self.matches.iter().position(|m| m.id == id)
    }

    pub fn team_name(&self, m: &Match, side: Side) -> &str {
        &self.teams[m.team(side)].name
    }

    pub fn player_name(&self, s: &ShotInput) -> &str {
        s.player
            .map_or("unknown player", |p| self.players[p].name.as_str())
    }

    /// The shots of one match.
    pub fn shots_of(&self, match_index: usize) -> impl Iterator<Item = (usize, &ShotInput)> {
        self.shots
            .iter()
            .enumerate()
            .filter(move |(_, s)| s.match_index == match_index)
    }
}

#[cfg(test)]
pub(crate) mod tests {
    use super::*;
    use scorer::ShotKind;

    pub const SMALL: &str = r#"{"format":2,"competition":"Test_Cup",
      "teams":[[1,"Reds"],[2,"Blues"]],"players":[[10,"A. Striker"],[11,"B. Winger"]],
      "matches":[{"id":77,"date":"2018-07-15","home":0,"away":1,"home_goals":2,"away_goals":1,
                  "extra_time":false}],
      "shot_fields":[],
      "shots":[[0,0,0,1,750,1,94.0,34.0,2,2,0,null,null,null,null],
               [0,1,1,1,1800,0,90.0,20.0,1,0,3,1.5,2.5,80.0,30.0],
               [0,0,0,2,2112,1,100.0,36.0,3,0,2,0.5,null,95.0,40.0]]}"#;

    #[test]
    fn a_small_file_decodes() {
        let c = Competition::parse(SMALL).unwrap();
        assert_eq!(c.shots.len(), 3);
        assert_eq!(c.shots[0].shot.kind(), ShotKind::Penalty);
        assert_eq!(c.shots[1].side, Side::Away);
        assert!(c.shots[1].shot.context().counter_attack && c.shots[1].shot.context().after_cross);
        assert_eq!(c.player_name(&c.shots[1]), "B. Winger");
        assert_eq!(c.match_index(77), Some(0));
        assert_eq!(c.match_index(78), None);
        assert_eq!((c.shots[2].period, c.shots[2].second), (2, 2112));
        assert_eq!(c.shots[2].minute(), 45.0 + 2112.0 / 60.0);
    }

    #[test]
    fn the_clock_reads_as_football_writes_it() {
        let at = |period: u8, second: u32| ShotInput {
            period,
            second,
            ..Competition::parse(SMALL).unwrap().shots[0].clone()
        };
        for (period, second, label) in [
            (1, 0, "1'"),
            (1, 779, "13'"),
            (1, 2699, "45'"),
            (1, 2700, "45+1'"),
            (1, 2830, "45+3'"),
            (2, 30, "46'"),
            (2, 2699, "90'"),
            (2, 2760, "90+2'"),
            (3, 0, "91'"),
            (4, 899, "120'"),
            (4, 930, "120+1'"),
        ] {
            assert_eq!(at(period, second).clock(), label, "{period} {second}");
        }
    }

    #[test]
    fn a_model_card_with_a_bad_hash_or_an_index_with_a_competition_twice_is_refused() {
        let card = |sha: &str| {
            format!(
                r#"{{"format":2,"version":"m-1","sha256":"{sha}","model_bytes":9,
                "feature_set_id":"x","feature_names":[]}}"#
            )
        };
        let good = ModelCard::parse(&card(&"ab".repeat(32))).unwrap();
        // The card and the model file must be the index's model.
        let model = IndexModel {
            version: "m-1".into(),
            file: "model.xgm".into(),
            bytes: 9,
        };
        assert!(model.check_card(&good).is_ok() && model.check_size(9).is_ok());
        let other = IndexModel {
            version: "m-2".into(),
            ..model.clone()
        };
        assert!(other.check_card(&good).unwrap_err().contains("m-2"));
        assert!(model.check_size(8).unwrap_err().contains("says 9"));
        for bad in ["aé".repeat(16), "ab".repeat(31), "zz".repeat(32)] {
            assert!(
                matches!(ModelCard::parse(&card(&bad)), Err(DataError::Value(_))),
                "{bad}"
            );
        }
    }

    #[test]
    fn hostile_files_are_errors() {
        let cases = [
            ("", "Json"),
            ("[]", "Json"),
            (r#"{"format":2}"#, "Json"),
            (&SMALL.replace(r#""format":2"#, r#""format":1"#), "Format"),
            (&SMALL.replace(r#""away":1"#, r#""away":5"#), "BadIndex"),
            (&SMALL.replace("[0,1,1,1,1800", "[4,1,1,1,1800"), "BadIndex"),
            (&SMALL.replace("[0,1,1,1,1800", "[0,1,9,1,1800"), "BadIndex"),
            (&SMALL.replace("[0,1,1,1,1800", "[0,2,1,1,1800"), "Shot"),
            // Periods, seconds and labels out of range; extra time in a match without it.
            (&SMALL.replace("[0,1,1,1,1800", "[0,1,1,0,1800"), "Shot"),
            (&SMALL.replace("[0,1,1,1,1800", "[0,1,1,5,1800"), "Shot"),
            (&SMALL.replace("[0,1,1,1,1800", "[0,1,1,3,1800"), "Shot"),
            (&SMALL.replace("[0,1,1,1,1800", "[0,1,1,1,3600"), "Shot"),
            (&SMALL.replace("[0,1,1,1,1800,0", "[0,1,1,1,1800,9"), "Shot"),
            (&SMALL.replace("[0,1,1,1,1800", "[0,1,1,1,-5"), "Json"),
            (&SMALL.replace(r#""extra_time":false"#, r#""extra_time":0"#), "Json"),
            // Matches football does not have, or listed twice.
            (&SMALL.replace(r#""away":1"#, r#""away":0"#), "Value"),
            (
                &SMALL.replace(r#""home_goals":2"#, r#""home_goals":4000000000"#),
                "Value",
            ),
            (&SMALL.replace("2018-07-15", "15/07/2018"), "Value"),
            (&SMALL.replace("2018-07-15", "2018-07-1é"), "Value"),
            (
                &SMALL.replace(
                    r#""extra_time":false}]"#,
                    r#""extra_time":false},{"id":77,"date":"2018-07-16","home":1,"away":0,"home_goals":0,"away_goals":0,"extra_time":false}]"#,
                ),
                "Value",
            ),
            (&SMALL.replace("94.0,34.0,2,2", "940.0,34.0,2,2"), "Shot"),
            (&SMALL.replace("94.0,34.0,2,2", "94.0,34.0,7,2"), "Shot"),
            (&SMALL.replace("94.0,34.0,2,2", "94.0,34.0,2,3"), "Shot"),
            (
                &SMALL.replace("94.0,34.0,2,2,0", "94.0,34.0,2,2,512"),
                "Shot",
            ),
            (&SMALL.replace("750,1,94.0", "750,1,-940.0"), "Shot"),
            (
                &SMALL.replace("1.5,2.5,80.0,30.0", "1.5,2.5,80.0,null"),
                "Shot",
            ),
            (&SMALL.replace("1.5,2.5", "-1.5,2.5"), "Shot"),
        ];
        for (text, kind) in cases {
            let e = Competition::parse(text).unwrap_err();
            assert!(format!("{e:?}").starts_with(kind), "{kind}: {e:?}");
        }
    }

    #[test]
    fn the_index_only_points_into_the_data_folder() {
        let good = r#"{"format":2,"model":{"version":"m-1","file":"model.xgm","bytes":9},
          "model_card":"model-card.json",
          "competitions":[{"id":"World_Cup","name":"World Cup","file":"competitions/World_Cup.json","matches":64,"shots":1534,"bytes":1}]}"#;
        let i = Index::parse(good).unwrap();
        assert!(i.competition("World_Cup").is_some() && i.competition("Italy").is_none());
        for bad in [
            good.replace("competitions/World_Cup.json", "../secret.json"),
            good.replace("competitions/World_Cup.json", "https://evil/x.json"),
            good.replace(r#""file":"model.xgm""#, r#""file":"/etc/passwd""#),
            good.replace("model-card.json", "../model-card.json"),
            good.replace(r#""id":"World_Cup""#, r#""id":"../x""#),
        ] {
            assert!(
                matches!(Index::parse(&bad), Err(DataError::BadFileName(_))),
                "{bad}"
            );
        }
        let entry = r#"{"id":"World_Cup","name":"World Cup","file":"competitions/World_Cup.json","matches":64,"shots":1534,"bytes":1}"#;
        let twice = good.replace(entry, &format!("{entry},{entry}"));
        assert_ne!(twice, good);
        assert!(matches!(Index::parse(&twice), Err(DataError::Value(_))));
    }
}
