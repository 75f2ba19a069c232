//! Scores every shot of one real match from the shared Wyscout data and prints them.
//!
//! ```sh
//! cargo run -p scorer --example score_match --features wyscout -- \
//!     [--competition World_Cup] [--match 2058017] [--model testdata/models/test-model.xgm]
//! ```
//!
//! Defaults: the 2018 World Cup final with the repo's fixed test model. That model is
//! synthetic (it pins golden bits, it was not trained), so its numbers show the pipeline, not
//! real xG; pass a trained model with `--model`.

mod common;

use scorer::{wyscout, Model};
use std::collections::HashMap;
use std::path::PathBuf;

struct Args {
    competition: String,
    match_id: u64,
    model: PathBuf,
}

const USAGE: &str = "usage: score_match [--competition NAME] [--match ID] [--model FILE]
  --competition  Wyscout competition file suffix, e.g. World_Cup, Italy (default World_Cup)
  --match        Wyscout match id (default 2058017, the 2018 World Cup final)
  --model        xgoals model file (default testdata/models/test-model.xgm, synthetic)
Data is read from ../shared/data/wyscout, or $XGOALS_WYSCOUT_DIR.";

fn parse_args() -> Result<Args, String> {
    let root = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("..");
    let mut args = Args {
        competition: "World_Cup".into(),
        match_id: 2_058_017,
        model: root.join("testdata/models/test-model.xgm"),
    };
    let mut it = std::env::args().skip(1);
    while let Some(flag) = it.next() {
        let mut value = || it.next().ok_or(format!("{flag} needs a value\n{USAGE}"));
        match flag.as_str() {
            "--competition" => args.competition = value()?,
            "--match" => {
                let v = value()?;
                args.match_id = v
                    .parse()
                    .map_err(|_| format!("--match: not a match id: {v}"))?;
            }
            "--model" => args.model = value()?.into(),
            "-h" | "--help" => return Err(USAGE.into()),
            other => return Err(format!("unknown argument {other}\n{USAGE}")),
        }
    }
    Ok(args)
}

/// `wyId → name` from a Wyscout `teams`/`players` file.
fn names(file: &str, key: &str) -> Result<HashMap<u64, String>, String> {
    let path = common::wyscout_dir().join(file);
    let v: serde_json::Value = serde_json::from_str(&common::read_text(&path)?)
        .map_err(|e| format!("{}: {e}", path.display()))?;
    Ok(v.as_array()
        .into_iter()
        .flatten()
        .filter_map(|o| Some((o["wyId"].as_u64()?, unescape(o[key].as_str()?))))
        .collect())
}

/// The dataset's names carry JSON escapes twice (`"I. Rakiti\\u0107"`): undo the second.
fn unescape(s: &str) -> String {
    serde_json::from_str(&format!("\"{s}\"")).unwrap_or_else(|_| s.to_string())
}

fn run() -> Result<(), String> {
    let args = parse_args()?;
    let bytes = std::fs::read(&args.model).map_err(|e| format!("{}: {e}", args.model.display()))?;
    let model = Model::parse(&bytes).map_err(|e| format!("{}: {e}", args.model.display()))?;
    let path = common::wyscout_dir().join(format!("events_{}.json.gz", args.competition));
    let events = wyscout::parse_events(&common::read_text(&path)?)
        .map_err(|e| format!("{}: {e}", path.display()))?;
    let start = events.partition_point(|e| e.match_id < args.match_id);
    let end = events.partition_point(|e| e.match_id <= args.match_id);
    if start == end {
        return Err(format!(
            "match {} is not in {}",
            args.match_id,
            path.display()
        ));
    }
    let events = &events[start..end];
    let teams = names("teams.json.gz", "name")?;
    let players = names("players.json.gz", "shortName")?;
    let name = |m: &HashMap<u64, String>, id: u64| m.get(&id).cloned().unwrap_or(id.to_string());
    println!(
        "match {} ({}), model {}",
        args.match_id,
        args.competition,
        args.model.display()
    );
    println!(
        "{:>7}  {:<22} {:<20} {:>6} {:>6}  {:<13} {:<16} {:>6}  goal",
        "time", "team", "player", "x_m", "y_m", "body_part", "kind", "xG"
    );
    let mut totals: Vec<(u64, f64, u32)> = Vec::new();
    for (i, shot) in wyscout::shots(events) {
        let e = &events[i];
        let shot = shot.map_err(|err| format!("{}: {err}", path.display()))?;
        let xg = model.score(&shot);
        let goal = wyscout::is_goal(e);
        println!(
            "{:>3} {:>3}  {:<22} {:<20} {:>6.1} {:>6.1}  {:<13} {:<16} {:>6.3}  {}",
            e.match_period,
            (e.event_sec / 60.0).floor(),
            name(&teams, e.team_id),
            name(&players, e.player_id),
            shot.at().x_m,
            shot.at().y_m,
            shot.body_part().name(),
            shot.kind().name(),
            xg,
            if goal { "GOAL" } else { "" }
        );
        match totals.iter_mut().find(|t| t.0 == e.team_id) {
            Some(t) => {
                t.1 += xg as f64;
                t.2 += goal as u32;
            }
            None => totals.push((e.team_id, xg as f64, goal as u32)),
        }
    }
    for (team, xg, goals) in totals {
        println!("{:<22} xG {:.2}  goals {}", name(&teams, team), xg, goals);
    }
    Ok(())
}

fn main() {
    if let Err(e) = run() {
        eprintln!("score_match: {e}");
        std::process::exit(2);
    }
}
