//! `trainer export-web`: the data the web page (`web/`) loads, as small static files.
//!
//! The page scores every shot itself with the `scorer` crate, so what is exported are shot
//! *inputs*, never xG values. The files' layout belongs to the page: `web::data` defines it
//! (version, shot columns, the record of a shot) and this module writes it with those
//! definitions. Shots come from `scorer::wyscout` through the trainer's shot table (the same
//! conversion the model was trained on). Every competition file and the index are read back
//! with the page's own parsers, and every shot must come back the same `Shot`, bit for bit,
//! or the export fails.

use crate::dataset::{competition_of, hex, read_text, ShotTable};
use crate::registry::Registry;
use anyhow::{bail, ensure, Context as _, Result};
use scorer::Shot;
use serde::Serialize;
use serde_json::{json, Value};
use sha2::{Digest, Sha256};
use std::collections::HashMap;
use std::path::{Path, PathBuf};

use web::data::{ShotRecord, FORMAT, SHOT_FIELDS};

/// Where the model comes from.
#[derive(Debug, Clone)]
pub enum ModelSource {
    /// The production version of a registry (folder or `s3://bucket/prefix`).
    Registry(String),
    /// A model file, with an optional manifest for the model card.
    File {
        model: PathBuf,
        manifest: Option<PathBuf>,
    },
}

/// A validated export plan.
#[derive(Debug, Clone)]
pub struct ExportPlan {
    pub out: PathBuf,
    pub model: ModelSource,
    /// Folder with `events_<c>.json[.gz]`, `matches_<c>.json[.gz]`, `teams.json[.gz]`,
    /// `players.json[.gz]`.
    pub data_dir: PathBuf,
    /// Competitions to export; empty = those the model was trained on (from its manifest),
    /// else every `events_*` file in `data_dir`.
    pub competitions: Vec<String>,
    pub cache_dir: PathBuf,
}

/// What was written, with sizes (for the budgets in docs/BENCHMARKS.md).
#[derive(Debug, Clone, Serialize)]
pub struct ExportSummary {
    pub model_version: String,
    pub model_bytes: u64,
    pub files: Vec<(String, u64)>,
    pub competitions: Vec<CompetitionSummary>,
}

#[derive(Debug, Clone, Serialize)]
pub struct CompetitionSummary {
    pub id: String,
    pub matches: usize,
    pub shots: usize,
    pub bytes: u64,
}

#[derive(Serialize)]
struct CompetitionFile {
    format: u32,
    competition: String,
    teams: Vec<(u64, String)>,
    players: Vec<(u64, String)>,
    matches: Vec<MatchRecord>,
    shot_fields: Vec<String>,
    shots: Vec<ShotRecord>,
}

#[derive(Serialize)]
struct MatchRecord {
    id: u64,
    date: String,
    home: u32,
    away: u32,
    home_goals: u32,
    away_goals: u32,
    extra_time: bool,
    #[serde(default, skip_serializing_if = "String::is_empty")]
    note: String,
}

fn check_competition_name(name: &str) -> Result<()> {
    let ok = !name.is_empty()
        && name.len() <= 64
        && name
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || c == '_' || c == '-');
    ensure!(
        ok,
        "invalid competition name {:?}: expected 1 to 64 of A-Z a-z 0-9 _ -",
        name.chars().take(80).collect::<String>()
    );
    Ok(())
}

/// `dir/stem.json.gz` if present, else `dir/stem.json`.
fn data_file(dir: &Path, stem: &str) -> Result<PathBuf> {
    for ext in ["json.gz", "json"] {
        let p = dir.join(format!("{stem}.{ext}"));
        if p.is_file() {
            return Ok(p);
        }
    }
    bail!("no {stem}.json or {stem}.json.gz in {}", dir.display())
}

fn read_json(path: &Path) -> Result<Value> {
    serde_json::from_str(&read_text(path)?)
        .with_context(|| format!("{}: not valid JSON", path.display()))
}

/// The model bytes, its version and its manifest (if any).
fn load_model(src: &ModelSource) -> Result<(Vec<u8>, String, Option<Value>)> {
    let (bytes, version, manifest) = match src {
        ModelSource::Registry(loc) => {
            if !loc.starts_with("s3://") && !Path::new(loc).is_dir() {
                bail!("no model registry at {loc}: run `trainer pipeline` first, or pass --model FILE");
            }
            let reg = Registry::open(loc)?;
            let prod = reg
                .production()?
                .with_context(|| format!("registry {loc} has no production model"))?;
            // Verified as the Lambda would (the scorer parses it there).
            let (manifest, bytes, _) = reg.verified(&prod.version)?;
            return Ok((bytes, prod.version, Some(manifest)));
        }
        ModelSource::File { model, manifest } => {
            let bytes =
                std::fs::read(model).with_context(|| format!("reading {}", model.display()))?;
            let manifest = manifest.as_deref().map(read_json).transpose()?;
            let version = manifest
                .as_ref()
                .and_then(|m| m["model_version"].as_str())
                .map(String::from)
                .unwrap_or_else(|| format!("file-{}", &hex(&Sha256::digest(&bytes))[..12]));
            (bytes, version, manifest)
        }
    };
    scorer::Model::parse(&bytes).with_context(|| format!("model {version} is not usable"))?;
    Ok((bytes, version, manifest))
}

/// The model card the page shows: everything optional comes from the manifest.
fn model_card(version: &str, bytes: &[u8], manifest: Option<&Value>) -> Value {
    let null = Value::Null;
    let m = manifest.unwrap_or(&null);
    let test = &m["metrics"]["test"];
    let pick = |v: &Value| {
        if v.is_object() {
            json!({
                "n_shots": v["n_shots"], "n_goals": v["n_goals"], "auc": v["auc"],
                "log_loss": v["log_loss"], "brier": v["brier"], "ece": v["ece"],
                "xg_ratio": v["xg_ratio"],
            })
        } else {
            Value::Null
        }
    };
    json!({
        "format": FORMAT,
        "version": version,
        "sha256": hex(&Sha256::digest(bytes)),
        "model_bytes": bytes.len(),
        "trained_at_unix_s": m["trained_at_unix_s"],
        "n_trees": m["n_trees"],
        "max_depth": m["max_depth"],
        "feature_set_id": format!("{:016x}", scorer::FEATURE_SET_ID),
        "feature_names": scorer::features::names().collect::<Vec<_>>(),
        "data": {
            "competitions": m["data"]["competitions"],
            "n_shots": m["data"]["n_shots"],
            "n_goals": m["data"]["n_goals"],
        },
        "split": m["split"]["description"],
        "test": pick(test),
        "baseline_test": pick(&m["metrics"]["baseline_logistic_test"]),
        "calibration": test["calibration"].clone(),
    })
}

/// `[wyscout_id, name]` for the ids in `wanted`, from `teams.json` / `players.json`.
fn names(path: &Path, key: &str) -> Result<HashMap<u64, String>> {
    let v = read_json(path)?;
    let arr = v
        .as_array()
        .with_context(|| format!("{}: expected a JSON array", path.display()))?;
    let mut out = HashMap::new();
    for item in arr {
        if let (Some(id), Some(name)) = (item["wyId"].as_u64(), item[key].as_str()) {
            out.insert(id, name.to_string());
        }
    }
    Ok(out)
}

fn score_of(team: &Value, duration: &str) -> Result<u32> {
    let field = if duration == "Regular" {
        "score"
    } else {
        "scoreET"
    };
    let v = team[field]
        .as_u64()
        .with_context(|| format!("teamsData.{field} missing or not a count"))?;
    ensure!(
        v <= u64::from(web::data::MAX_GOALS),
        "teamsData.{field} = {v} is not a football score"
    );
    Ok(v as u32)
}

struct MatchInfo {
    record: MatchRecord,
    home_team: u64,
    away_team: u64,
}

fn parse_match(m: &Value, team_index: &mut dyn FnMut(u64) -> u32) -> Result<MatchInfo> {
    let id = m["wyId"].as_u64().context("wyId missing")?;
    let td = m["teamsData"]
        .as_object()
        .with_context(|| format!("match {id}: teamsData missing"))?;
    let side = |s: &str| {
        td.values()
            .find(|t| t["side"] == s)
            .with_context(|| format!("match {id}: no {s} team"))
    };
    let (home, away) = (side("home")?, side("away")?);
    let team_id = |t: &Value| {
        t["teamId"]
            .as_u64()
            .with_context(|| format!("match {id}: teamId missing"))
    };
    let (home_team, away_team) = (team_id(home)?, team_id(away)?);
    ensure!(home_team != away_team, "match {id}: a team plays itself");
    // The dataset's three values; anything else would pick the wrong score silently.
    let duration = match &m["duration"] {
        Value::Null => "Regular",
        Value::String(d) if ["Regular", "ExtraTime", "Penalties"].contains(&d.as_str()) => d,
        other => bail!("match {id}: duration {other} is not Regular, ExtraTime or Penalties"),
    };
    let date: String = m["dateutc"]
        .as_str()
        .unwrap_or("")
        .chars()
        .take(10)
        .collect();
    ensure!(
        date.len() == 10
            && date.chars().enumerate().all(|(i, c)| if i == 4 || i == 7 {
                c == '-'
            } else {
                c.is_ascii_digit()
            }),
        "match {id}: dateutc is not YYYY-MM-DD…"
    );
    let score = |t| score_of(t, duration).with_context(|| format!("match {id}"));
    let (home_goals, away_goals) = (score(home)?, score(away)?);
    let note = match duration {
        "ExtraTime" => "after extra time".to_string(),
        "Penalties" => format!(
            "after extra time; {}–{} on penalties",
            home["scoreP"].as_u64().unwrap_or(0),
            away["scoreP"].as_u64().unwrap_or(0)
        ),
        _ => String::new(),
    };
    Ok(MatchInfo {
        record: MatchRecord {
            id,
            date,
            home: team_index(home_team),
            away: team_index(away_team),
            home_goals,
            away_goals,
            extra_time: duration != "Regular",
            note,
        },
        home_team,
        away_team,
    })
}

/// A shot's record: where it was (match index, side, player index, period, whole seconds into
/// it, goal) and its `scorer::ShotFields`.
fn record_of(
    match_index: u32,
    side: u8,
    player: Option<u32>,
    (period, second): (u8, u32),
    goal: bool,
    shot: &Shot,
) -> ShotRecord {
    let f = shot.fields();
    (
        match_index,
        side,
        player,
        period,
        second,
        goal as u8,
        f.x_m,
        f.y_m,
        f.body_part_code,
        f.kind_code,
        f.context_flags,
        f.secs_since_prev_event,
        f.secs_since_prev2_event,
        f.prev_event_x_m,
        f.prev_event_y_m,
    )
}

fn write(out: &Path, rel: &str, bytes: &[u8], files: &mut Vec<(String, u64)>) -> Result<()> {
    let path = out.join(rel);
    if let Some(dir) = path.parent() {
        std::fs::create_dir_all(dir).with_context(|| format!("creating {}", dir.display()))?;
    }
    std::fs::write(&path, bytes).with_context(|| format!("writing {}", path.display()))?;
    files.push((rel.to_string(), bytes.len() as u64));
    Ok(())
}

/// Builds one competition's file from its shots and matches.
fn competition_file(
    id: &str,
    table: &ShotTable,
    code: u16,
    matches: &Value,
    team_names: &HashMap<u64, String>,
    player_names: &HashMap<u64, String>,
) -> Result<CompetitionFile> {
    let arr = matches
        .as_array()
        .with_context(|| format!("matches_{id}: expected a JSON array"))?;
    let mut teams: Vec<(u64, String)> = Vec::new();
    let mut team_index = |t: u64| -> u32 {
        match teams.iter().position(|(id, _)| *id == t) {
            Some(i) => i as u32,
            None => {
                let name = team_names
                    .get(&t)
                    .cloned()
                    .unwrap_or_else(|| format!("team {t}"));
                teams.push((t, name));
                (teams.len() - 1) as u32
            }
        }
    };
    let mut infos = Vec::with_capacity(arr.len());
    for (i, m) in arr.iter().enumerate() {
        infos.push(
            parse_match(m, &mut team_index)
                .with_context(|| format!("matches_{id}: match #{i} is malformed"))?,
        );
    }
    infos.sort_by(|a, b| (&a.record.date, a.record.id).cmp(&(&b.record.date, b.record.id)));
    let by_id: HashMap<u64, usize> = infos
        .iter()
        .enumerate()
        .map(|(i, m)| (m.record.id, i))
        .collect();
    ensure!(
        by_id.len() == infos.len(),
        "matches_{id}: a match id appears twice"
    );
    let mut players: Vec<(u64, String)> = Vec::new();
    let mut player_index: HashMap<u64, u32> = HashMap::new();
    let mut shots = Vec::new();
    for r in table.rows.iter().filter(|r| r.competition == code) {
        let &m = by_id.get(&r.match_id).with_context(|| {
            format!(
                "events_{id}: shot {} is in match {}, which matches_{id} does not list",
                r.event_id, r.match_id
            )
        })?;
        let side = if r.team_id == infos[m].home_team {
            0
        } else if r.team_id == infos[m].away_team {
            1
        } else {
            bail!(
                "events_{id}: shot {} is by team {}, which does not play match {}",
                r.event_id,
                r.team_id,
                r.match_id
            );
        };
        let player = (r.player_id != 0).then(|| {
            *player_index.entry(r.player_id).or_insert_with(|| {
                let name = player_names
                    .get(&r.player_id)
                    .cloned()
                    .unwrap_or_else(|| format!("player {}", r.player_id));
                players.push((r.player_id, name));
                (players.len() - 1) as u32
            })
        });
        // Whole seconds, rounded down as a clock shows them.
        let second = r.event_sec.max(0.0) as u32;
        ensure!(
            second < web::data::MAX_SECOND,
            "events_{id}: shot {} is {} s into its period, not a match clock",
            r.event_id,
            r.event_sec
        );
        shots.push(record_of(
            m as u32,
            side,
            player,
            (r.period, second),
            r.goal,
            &r.shot,
        ));
    }
    Ok(CompetitionFile {
        format: FORMAT,
        competition: id.to_string(),
        teams,
        players,
        matches: infos.into_iter().map(|m| m.record).collect(),
        shot_fields: SHOT_FIELDS.iter().map(|s| s.to_string()).collect(),
        shots,
    })
}

/// Runs the export.
pub fn run(plan: &ExportPlan, progress: &(dyn Fn(&str) + Sync)) -> Result<ExportSummary> {
    let (model_bytes, version, manifest) = load_model(&plan.model)?;
    let mut competitions = plan.competitions.clone();
    if competitions.is_empty() {
        if let Some(list) = manifest
            .as_ref()
            .and_then(|m| m["data"]["competitions"].as_array())
        {
            competitions = list
                .iter()
                .filter_map(|c| c.as_str().map(String::from))
                .collect();
        }
    }
    if competitions.is_empty() {
        let dir = std::fs::read_dir(&plan.data_dir)
            .with_context(|| format!("reading {}", plan.data_dir.display()))?;
        for e in dir {
            let p = e?.path();
            let name = p.file_name().and_then(|n| n.to_str()).unwrap_or("");
            if name.starts_with("events_") {
                competitions.push(competition_of(&p));
            }
        }
        competitions.sort();
        competitions.dedup();
    }
    ensure!(
        !competitions.is_empty(),
        "no competitions to export in {}",
        plan.data_dir.display()
    );
    for c in &competitions {
        check_competition_name(c)?;
    }
    let events: Vec<PathBuf> = competitions
        .iter()
        .map(|c| data_file(&plan.data_dir, &format!("events_{c}")))
        .collect::<Result<_>>()?;
    let team_names = names(&data_file(&plan.data_dir, "teams")?, "name")?;
    let player_names = names(&data_file(&plan.data_dir, "players")?, "shortName")?;
    let (table, _) = ShotTable::load_cached(&events, &plan.cache_dir, progress)?;

    // Every file is built and read back before the first is written, so a failed export
    // leaves the folder as it was (the page checks the files against the index, and a mix of
    // two exports would be refused).
    let mut pending: Vec<(String, Vec<u8>)> = Vec::new();
    let mut summaries = Vec::new();
    for (code, id) in table.competitions.iter().enumerate() {
        let matches = read_json(&data_file(&plan.data_dir, &format!("matches_{id}"))?)?;
        let file = competition_file(
            id,
            &table,
            code as u16,
            &matches,
            &team_names,
            &player_names,
        )?;
        let text = serde_json::to_string(&file)?;
        // Read it back with the page's parser: every shot must be the same shot, bit for bit.
        let back = web::data::Competition::parse(&text)
            .with_context(|| format!("{id}: the page cannot read the exported file"))?;
        ensure!(
            back.shots.len() == file.shots.len() && back.matches.len() == file.matches.len(),
            "{id}: the page reads {} shots in {} matches, {} and {} were written",
            back.shots.len(),
            back.matches.len(),
            file.shots.len(),
            file.matches.len()
        );
        let originals = table.rows.iter().filter(|r| r.competition == code as u16);
        for (r, input) in originals.zip(&back.shots) {
            ensure!(
                input.shot.to_flat() == r.shot.to_flat(),
                "{id}: shot {} changed in the export's JSON",
                r.event_id
            );
        }
        let rel = format!("competitions/{id}.json");
        progress(&format!(
            "  {rel}: {} matches, {} shots, {} bytes",
            file.matches.len(),
            file.shots.len(),
            text.len()
        ));
        summaries.push(CompetitionSummary {
            id: id.clone(),
            matches: file.matches.len(),
            shots: file.shots.len(),
            bytes: text.len() as u64,
        });
        pending.push((rel, text.into_bytes()));
    }
    pending.push(("model.xgm".into(), model_bytes.clone()));
    let card = serde_json::to_string(&model_card(&version, &model_bytes, manifest.as_ref()))?;
    web::data::ModelCard::parse(&card).context("the page cannot read the model card")?;
    pending.push(("model-card.json".into(), card.into_bytes()));
    let index = json!({
        "format": FORMAT,
        "model": {"version": version, "file": "model.xgm", "bytes": model_bytes.len()},
        "model_card": "model-card.json",
        "competitions": summaries.iter().map(|c| json!({
            "id": c.id,
            "name": c.id.replace('_', " "),
            "file": format!("competitions/{}.json", c.id),
            "matches": c.matches,
            "shots": c.shots,
            "bytes": c.bytes,
        })).collect::<Vec<_>>(),
    });
    let index = serde_json::to_string(&index)?;
    web::data::Index::parse(&index).context("the page cannot read the index")?;
    // The index last: the page reads it first.
    pending.push(("index.json".into(), index.into_bytes()));
    std::fs::create_dir_all(&plan.out)
        .with_context(|| format!("creating {}", plan.out.display()))?;
    let mut files = Vec::new();
    for (rel, bytes) in &pending {
        write(&plan.out, rel, bytes, &mut files)?;
    }
    Ok(ExportSummary {
        model_version: version,
        model_bytes: model_bytes.len() as u64,
        files,
        competitions: summaries,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn competition_names_are_checked() {
        for ok in ["World_Cup", "Italy", "a-b"] {
            assert!(check_competition_name(ok).is_ok(), "{ok}");
        }
        for bad in ["", "../x", "a b", "x/y", "é", &"x".repeat(65)] {
            assert!(check_competition_name(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn records_read_back_through_the_page_parser_as_the_same_shots() {
        let mut rng = scorer::synth::Rng::new(7);
        let shots: Vec<Shot> = (0..500).map(|_| scorer::synth::shot(&mut rng)).collect();
        let file = CompetitionFile {
            format: FORMAT,
            competition: "Test_Cup".into(),
            teams: vec![(1, "Reds".into()), (2, "Blues".into())],
            players: vec![(10, "A. Striker".into())],
            matches: vec![MatchRecord {
                id: 77,
                date: "2018-07-15".into(),
                home: 0,
                away: 1,
                home_goals: 2,
                away_goals: 1,
                extra_time: true,
                note: String::new(),
            }],
            shot_fields: SHOT_FIELDS.iter().map(|s| s.to_string()).collect(),
            shots: shots
                .iter()
                .enumerate()
                .map(|(i, s)| {
                    let clock = ((i % 4) as u8 + 1, (i * 37 % 3000) as u32);
                    record_of(0, (i % 2) as u8, Some(0), clock, i % 7 == 0, s)
                })
                .collect(),
        };
        let back = web::data::Competition::parse(&serde_json::to_string(&file).unwrap()).unwrap();
        assert_eq!(back.shots.len(), shots.len());
        for (i, (input, s)) in back.shots.iter().zip(&shots).enumerate() {
            assert_eq!(input.shot.to_flat(), s.to_flat(), "shot {i}");
            assert_eq!(input.goal, i % 7 == 0);
            assert_eq!(
                (input.period, input.second),
                ((i % 4) as u8 + 1, (i * 37 % 3000) as u32)
            );
        }
    }
}
