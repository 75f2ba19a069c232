//! Rewrites the golden vectors and the fixed test model. The only command that does:
//!
//! ```sh
//! cargo run -p scorer --example bless_golden --features wyscout,synth
//! ```
//!
//! Inputs: real World Cup 2018 shots from `../shared/data/wyscout` (every third one, plus every
//! penalty and direct free kick) and hand-made edge cases. Output: `testdata/models/
//! test-model.xgm` (synthetic, 60 trees of depth 5, seed below) and `testdata/golden/
//! golden.json` with each case's flat input, features and xG as exact bits.

mod common;

use scorer::json::ShotJson;
use scorer::pitch::{Point, CENTRE_Y_M, GOAL_HALF_WIDTH_M, GOAL_X_M, LENGTH_M, WIDTH_M};
use scorer::shot::MAX_TIME_GAP_S;
use scorer::{features, synth, wyscout, BodyPart, Context, Model, Shot, ShotKind};
use serde::Serialize;
use serde_json::json;
use std::path::PathBuf;

const MODEL_SEED: u64 = 20_261_126;
const MODEL_TREES: usize = 60;
const MODEL_DEPTH: u32 = 5;

fn edge_cases() -> Vec<(String, Shot)> {
    let mut out = Vec::new();
    let mut add = |name: &str, at: Point, body: BodyPart, kind: ShotKind, context: Context| {
        let shot = Shot::new(at, body, kind, context).expect("edge case is valid");
        out.push((format!("edge:{name}"), shot));
    };
    let none = Context::default();
    let full = Context {
        counter_attack: true,
        after_cross: true,
        after_through_ball: true,
        after_high_pass: true,
        after_take_on_or_duel: true,
        rebound: true,
        set_piece_phase: true,
        secs_since_prev_event: Some(0.0),
        secs_since_prev2_event: Some(MAX_TIME_GAP_S),
        prev_event_at: Some(Point::new(LENGTH_M, WIDTH_M)),
    };
    let spots = [
        ("goal_line_centre", Point::GOAL_CENTRE),
        (
            "goal_line_left_post",
            Point::new(GOAL_X_M, CENTRE_Y_M - GOAL_HALF_WIDTH_M),
        ),
        (
            "goal_line_right_post",
            Point::new(GOAL_X_M, CENTRE_Y_M + GOAL_HALF_WIDTH_M),
        ),
        (
            "goal_line_between_posts",
            Point::new(GOAL_X_M, CENTRE_Y_M + 1.0),
        ),
        ("goal_line_outside_posts", Point::new(GOAL_X_M, 10.0)),
        ("corner_flag_left", Point::new(LENGTH_M, 0.0)),
        ("corner_flag_right", Point::new(LENGTH_M, WIDTH_M)),
        ("own_corner_flag", Point::new(0.0, 0.0)),
        ("penalty_spot", Point::PENALTY_SPOT),
        ("halfway_line", Point::new(LENGTH_M / 2.0, CENTRE_Y_M)),
        ("behind_goal_line", Point::new(GOAL_X_M + 2.0, CENTRE_Y_M)),
        ("margin_far_corner", Point::new(-5.0, -5.0)),
        ("margin_near_corner", Point::new(110.0, 73.0)),
        (
            "circle_through_posts",
            Point::new(GOAL_X_M - 3.0, CENTRE_Y_M + 2.0),
        ),
        ("edge_of_box", Point::new(GOAL_X_M - 16.5, CENTRE_Y_M - 8.0)),
    ];
    for (name, at) in spots {
        add(name, at, BodyPart::RightFoot, ShotKind::OpenPlay, none);
        add(
            &format!("{name}_full_context"),
            at,
            BodyPart::LeftFoot,
            ShotKind::OpenPlay,
            full,
        );
    }
    for body in BodyPart::ALL {
        for kind in ShotKind::ALL {
            let name = format!("penalty_spot_{}_{}", body.name(), kind.name());
            add(&name, Point::PENALTY_SPOT, body, kind, none);
        }
    }
    let partial = [
        (
            "missing_prev_position",
            Context {
                prev_event_at: None,
                ..full
            },
        ),
        (
            "missing_prev2_time",
            Context {
                secs_since_prev2_event: None,
                ..full
            },
        ),
        (
            "missing_both_times",
            Context {
                secs_since_prev_event: None,
                secs_since_prev2_event: None,
                ..full
            },
        ),
        (
            "only_prev_position",
            Context {
                prev_event_at: Some(Point::new(90.0, 50.0)),
                ..none
            },
        ),
    ];
    for (name, c) in partial {
        add(
            name,
            Point::new(92.0, 30.0),
            BodyPart::Unknown,
            ShotKind::OpenPlay,
            c,
        );
        add(
            &format!("{name}_header"),
            Point::new(99.0, 36.0),
            BodyPart::HeadOrOther,
            ShotKind::OpenPlay,
            c,
        );
    }
    out
}

fn real_shots() -> Result<Vec<(String, Shot)>, String> {
    let path = common::wyscout_dir().join("events_World_Cup.json.gz");
    let events = wyscout::parse_events(&common::read_text(&path)?)
        .map_err(|e| format!("{}: {e}", path.display()))?;
    let mut out = Vec::new();
    for (n, (i, shot)) in wyscout::shots(&events).enumerate() {
        let shot = shot.map_err(|e| format!("{}: {e}", path.display()))?;
        if n % 3 == 0 || shot.kind() != ShotKind::OpenPlay {
            out.push((format!("wyscout:{}", events[i].id), shot));
        }
    }
    Ok(out)
}

#[derive(Serialize)]
struct Case<'a> {
    name: &'a str,
    flat: String,
    feature_bits: Vec<String>,
    xg_bits: String,
    xg: f32,
    shot: ShotJson,
}

fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

fn main() -> Result<(), String> {
    let root = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("..");
    let model = synth::model(MODEL_SEED, MODEL_TREES, MODEL_DEPTH);
    let model_bytes = model.to_bytes();
    let model = Model::parse(&model_bytes).map_err(|e| e.to_string())?;
    let mut cases = real_shots()?;
    let n_real = cases.len();
    cases.extend(edge_cases());
    let lines: Vec<String> = cases
        .iter()
        .map(|(name, shot)| {
            let row = features::extract(shot);
            let xg = model.predict(&row);
            let case = Case {
                name,
                flat: hex(&shot.to_flat()),
                feature_bits: row.iter().map(|v| format!("{:08x}", v.to_bits())).collect(),
                xg_bits: format!("{:08x}", xg.to_bits()),
                xg,
                shot: ShotJson::from(shot),
            };
            serde_json::to_string(&case).expect("case serialises")
        })
        .collect();
    let header = json!({
        "about": "Golden vectors: each case's flat shot, features and xG as exact f32 bits for testdata/models/test-model.xgm. Rewritten only by `cargo run -p scorer --example bless_golden --features wyscout,synth`. Real shots: Wyscout public dataset (Pappalardo et al. 2019, CC BY 4.0).",
        "model": "testdata/models/test-model.xgm",
        "model_crc32": format!("{:08x}", scorer::model::crc32(&model_bytes)),
        "feature_set_id": format!("{:016x}", scorer::FEATURE_SET_ID),
        "feature_names": features::names().collect::<Vec<_>>(),
    });
    let header = serde_json::to_string_pretty(&header).map_err(|e| e.to_string())?;
    // One case per line keeps diffs of a re-bless readable.
    let text = format!(
        "{},\n  \"cases\": [\n    {}\n  ]\n}}\n",
        header.trim_end().trim_end_matches('}').trim_end(),
        lines.join(",\n    ")
    );
    let model_path = root.join("testdata/models/test-model.xgm");
    let golden_path = root.join("testdata/golden/golden.json");
    std::fs::write(&model_path, &model_bytes)
        .map_err(|e| format!("{}: {e}", model_path.display()))?;
    std::fs::write(&golden_path, text).map_err(|e| format!("{}: {e}", golden_path.display()))?;
    println!(
        "wrote {} ({} bytes) and {} ({} real shots + {} edge cases)",
        model_path.display(),
        model_bytes.len(),
        golden_path.display(),
        n_real,
        lines.len() - n_real
    );
    Ok(())
}
