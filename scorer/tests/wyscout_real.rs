//! The Wyscout conversion on real matches from `../shared/data/wyscout` (read in place).
#![cfg(not(target_arch = "wasm32"))]

use scorer::wyscout::{self, Event, Tag, LEAKING_TAGS, TAG_GOAL};
use std::io::Read;
use std::path::PathBuf;

fn events(competition: &str) -> Vec<Event> {
    let path = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join(format!(
        "../../shared/data/wyscout/events_{competition}.json.gz"
    ));
    let bytes = std::fs::read(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
    let mut text = String::new();
    flate2::read::GzDecoder::new(&bytes[..])
        .read_to_string(&mut text)
        .unwrap();
    wyscout::parse_events(&text).unwrap()
}

#[test]
fn counts_match_the_dataset_readme() {
    // ../shared/data/README.md: in-play shots and goals from shots.
    for (competition, shots, goals) in [
        ("World_Cup", 1534, 157),
        ("European_Championship", 1295, 105),
    ] {
        let ev = events(competition);
        let mut n = 0;
        let mut g = 0;
        for (i, shot) in wyscout::shots(&ev) {
            shot.unwrap_or_else(|e| panic!("{competition}: {e}"));
            n += 1;
            g += wyscout::is_goal(&ev[i]) as usize;
        }
        assert_eq!((n, g), (shots, goals), "{competition}");
    }
}

/// Adding, removing or changing outcome tags (and the goal label itself) on a real shot, and
/// the assist/key-pass tags on the events before it, never changes the shot.
#[test]
fn outcome_tags_never_change_a_shot() {
    let ev = events("World_Cup");
    let outcome: Vec<u32> = LEAKING_TAGS
        .iter()
        .copied()
        .chain([TAG_GOAL, 102])
        .collect();
    let mut checked = 0;
    for (i, shot) in wyscout::shots(&ev) {
        let shot = shot.unwrap();
        let original = &ev[i];
        // The tail of the match is all the conversion reads; a short slice keeps this linear.
        let before = &ev[i.saturating_sub(300)..i];
        let variants: Vec<Vec<Tag>> = vec![
            // every outcome tag added
            original
                .tags
                .iter()
                .copied()
                .chain(outcome.iter().map(|&id| Tag { id }))
                .collect(),
            // every outcome tag removed
            original
                .tags
                .iter()
                .copied()
                .filter(|t| !outcome.contains(&t.id))
                .collect(),
            // outcome tags changed to other outcome tags
            original
                .tags
                .iter()
                .map(|t| match outcome.iter().position(|&o| o == t.id) {
                    Some(k) => Tag {
                        id: outcome[(k + 7) % outcome.len()],
                    },
                    None => *t,
                })
                .collect(),
        ];
        for tags in variants {
            let mutated = Event {
                tags,
                ..original.clone()
            };
            assert_eq!(
                wyscout::to_shot(&mutated, before).unwrap(),
                shot,
                "event {}",
                original.id
            );
        }
        // Assist / key pass / accuracy tags on the events before.
        let mut before_mut = before[before.len().saturating_sub(6)..].to_vec();
        for (k, e) in before_mut.iter_mut().enumerate() {
            if k % 2 == 0 {
                e.tags.extend(outcome.iter().map(|&id| Tag { id }));
            } else {
                e.tags.retain(|t| !outcome.contains(&t.id));
            }
        }
        let mut all_before = before[..before.len() - before_mut.len()].to_vec();
        all_before.extend(before_mut);
        assert_eq!(wyscout::to_shot(original, &all_before).unwrap(), shot);
        checked += 1;
    }
    assert_eq!(checked, 1534);
}

#[test]
fn context_features_are_populated_on_real_data() {
    let ev = events("World_Cup");
    let shots: Vec<_> = wyscout::shots(&ev).map(|(_, s)| s.unwrap()).collect();
    let share = |f: &dyn Fn(&scorer::Shot) -> bool| {
        shots.iter().filter(|s| f(s)).count() as f64 / shots.len() as f64
    };
    // Each flag fires on some shots and not on most (a broken rule gives 0 or 1).
    for (name, s) in [
        ("counter_attack", share(&|s| s.context().counter_attack)),
        ("after_cross", share(&|s| s.context().after_cross)),
        (
            "after_through_ball",
            share(&|s| s.context().after_through_ball),
        ),
        (
            "after_take_on_or_duel",
            share(&|s| s.context().after_take_on_or_duel),
        ),
        ("rebound", share(&|s| s.context().rebound)),
        ("set_piece_phase", share(&|s| s.context().set_piece_phase)),
    ] {
        assert!(s > 0.01 && s < 0.999, "{name}: {s}");
    }
    // Every in-play shot follows some event of its period (kick-offs come first).
    assert!(share(&|s| s.context().prev_event_at.is_some()) > 0.99);
}
