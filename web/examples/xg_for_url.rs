//! The native side of the web end-to-end test: the xG of the analyst's shot that a page URL
//! describes, computed natively with the same state parsing and scorer as the page.
//!
//! ```sh
//! cargo run -p web --example xg_for_url -- --model www-dist/data/model.xgm '?view=pitch&x_m=94&y_m=34'
//! cargo run -p web --example xg_for_url -- --penalty-spot     # where the spot is, in metres
//! ```
//!
//! Prints one JSON object: the shot's position, `xg` (shortest decimal that reads back to the
//! same f32), `xg_bits` (hex) and `text` (what the page prints).

use scorer::pitch::Point;
use std::process::ExitCode;

fn run(args: &[String]) -> Result<String, String> {
    if args.first().map(String::as_str) == Some("--penalty-spot") {
        let p = Point::PENALTY_SPOT;
        return Ok(format!(
            r#"{{"x_m":{},"y_m":{},"goal_x_m":{}}}"#,
            p.x_m,
            p.y_m,
            scorer::pitch::GOAL_X_M
        ));
    }
    let [flag, model, query] = args else {
        return Err("usage: xg_for_url --model FILE QUERY | --penalty-spot".into());
    };
    if flag != "--model" {
        return Err(format!("unexpected argument {flag}"));
    }
    let bytes = std::fs::read(model).map_err(|e| format!("reading {model}: {e}"))?;
    let model = scorer::Model::parse(&bytes).map_err(|e| format!("{model}: {e}"))?;
    let (route, errors) = web::state::parse_query(query);
    if let Some(e) = errors.first() {
        return Err(e.to_string());
    }
    let shot = route.pitch.shot().map_err(|e| e.to_string())?;
    let xg = web::score::xg(&model, &shot);
    Ok(format!(
        r#"{{"x_m":{},"y_m":{},"xg":{},"xg_bits":"{:08x}","text":"{}"}}"#,
        shot.at().x_m,
        shot.at().y_m,
        xg,
        xg.to_bits(),
        web::score::percent(xg)
    ))
}

fn main() -> ExitCode {
    let args: Vec<String> = std::env::args().skip(1).collect();
    match run(&args) {
        Ok(line) => {
            println!("{line}");
            ExitCode::SUCCESS
        }
        Err(e) => {
            eprintln!("xg_for_url: {e}");
            ExitCode::FAILURE
        }
    }
}
