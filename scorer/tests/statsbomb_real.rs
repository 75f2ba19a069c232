//! The StatsBomb conversion on the three real matches in `../shared/data/statsbomb` (read in
//! place).
#![cfg(not(target_arch = "wasm32"))]

use scorer::statsbomb::{self, Event};
use scorer::{features, pitch, BodyPart, ShotKind};
use serde_json::Value;
use std::io::Read;
use std::path::PathBuf;

/// The three matches: file, shots (no shoot-outs in them), goals from shots.
const MATCHES: [(&str, usize, usize); 3] = [
    ("statsbomb_15986_event.json.gz", 27, 4),
    ("statsbomb_3788741_event.json.gz", 27, 2),
    ("statsbomb_event.json.gz", 28, 3),
];

fn text(file: &str) -> String {
    let path = PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("../../shared/data/statsbomb")
        .join(file);
    let bytes = std::fs::read(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
    let mut text = String::new();
    flate2::read::GzDecoder::new(&bytes[..])
        .read_to_string(&mut text)
        .unwrap();
    text
}

#[test]
fn every_shot_of_the_real_matches_converts() {
    let mut kinds = Vec::new();
    let mut bodies = Vec::new();
    for (file, want_shots, want_goals) in MATCHES {
        let events = statsbomb::parse_events(&text(file)).unwrap();
        let mut n = 0;
        let mut goals = 0;
        for (i, shot) in statsbomb::shots(&events) {
            let shot = shot.unwrap_or_else(|e| panic!("{file}: {e}"));
            n += 1;
            goals += statsbomb::is_goal(&events[i]) as usize;
            let p = statsbomb::provider_xg(&events[i]).expect("every open-data shot has an xG");
            assert!(p > 0.0 && p < 1.0);
            // Shots are taken in the attacking half, in front of the goal line.
            assert!(
                shot.at().x_m > 52.5 && shot.at().x_m <= pitch::GOAL_X_M,
                "{file}"
            );
            // Every shot of a real match has play before it in its period.
            let c = shot.context();
            assert!(c.secs_since_prev_event.is_some() && c.prev_event_at.is_some());
            assert!(
                features::extract(&shot)
                    .iter()
                    .filter(|v| v.is_nan())
                    .count()
                    == 0
            );
            kinds.push(shot.kind());
            bodies.push(shot.body_part());
        }
        assert_eq!((n, goals), (want_shots, want_goals), "{file}");
    }
    // The matches have free kicks, headers and both feet; no body part is unknown.
    assert!(kinds.contains(&ShotKind::DirectFreeKick) && kinds.contains(&ShotKind::OpenPlay));
    for b in [
        BodyPart::LeftFoot,
        BodyPart::RightFoot,
        BodyPart::HeadOrOther,
    ] {
        assert!(bodies.contains(&b), "{b:?}");
    }
    assert!(!bodies.contains(&BodyPart::Unknown));
}

/// Changing everything the feed says about a shot's outcome (the outcome itself, end location,
/// freeze frame, the provider's xG, the shot's flags and technique) on every real shot, and
/// dropping every event after it, never changes its `Shot`.
#[test]
fn outcome_fields_never_change_a_real_shot() {
    let mut checked = 0;
    for (file, _, _) in MATCHES {
        let raw: Vec<Value> = serde_json::from_str(&text(file)).unwrap();
        let events: Vec<Event> = raw
            .iter()
            .map(|v| serde_json::from_value(v.clone()).unwrap())
            .collect();
        for (i, want) in statsbomb::shots(&events) {
            let want = want.unwrap();
            let mut v = raw[i].clone();
            let shot = v["shot"].as_object_mut().unwrap();
            let goal = shot["outcome"]["id"] == 97;
            shot.insert(
                "outcome".into(),
                serde_json::json!({"id": if goal { 100 } else { 97 }, "name": "x"}),
            );
            shot.insert("statsbomb_xg".into(), serde_json::json!(0.5));
            shot.insert("end_location".into(), serde_json::json!([120.0, 40.0, 1.0]));
            shot.insert("freeze_frame".into(), serde_json::json!([]));
            for flag in ["first_time", "one_on_one", "deflected", "open_goal"] {
                shot.insert(flag.into(), serde_json::json!(true));
            }
            shot.insert(
                "technique".into(),
                serde_json::json!({"id": 92, "name": "Lob"}),
            );
            v["related_events"] = serde_json::json!([]);
            v["duration"] = serde_json::json!(0.0);
            let changed: Event = serde_json::from_value(v).unwrap();
            assert_ne!(statsbomb::is_goal(&changed), statsbomb::is_goal(&events[i]));
            assert_eq!(statsbomb::to_shot(&changed, &events[..i]), Ok(want));
            // The match cut just after the shot gives the same shot.
            let cut: Vec<(usize, _)> = statsbomb::shots(&events[..=i]).collect();
            assert_eq!(cut.last(), Some(&(i, Ok(want))));
            checked += 1;
        }
    }
    assert_eq!(checked, 82);
}
