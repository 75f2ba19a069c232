//! Invariants over the whole input space (proptest).
#![cfg(not(target_arch = "wasm32"))]

mod common;

use proptest::prelude::*;
use scorer::pitch::{self, Point, LENGTH_M, OFF_PITCH_MARGIN_M, WIDTH_M};
use scorer::{features, model::crc32, synth, BodyPart, Context, Model, Shot, ShotKind};

fn model() -> Model {
    Model::parse(common::MODEL).unwrap()
}

/// Coordinates on a 1/64 m grid: mirroring them is exact in f32, so mirrored features must be
/// bit-identical.
fn grid_coord(lo: f32, hi: f32) -> impl Strategy<Value = f32> {
    ((lo * 64.0) as i32..=(hi * 64.0) as i32).prop_map(|k| k as f32 / 64.0)
}

fn any_shot() -> impl Strategy<Value = Shot> {
    let m = OFF_PITCH_MARGIN_M;
    (
        grid_coord(-m, LENGTH_M + m),
        grid_coord(-m, WIDTH_M + m),
        0..4usize,
        0..3usize,
        any::<[bool; 7]>(),
        proptest::option::of(0.0f32..7200.0),
        proptest::option::of(0.0f32..7200.0),
        proptest::option::of((grid_coord(-m, LENGTH_M + m), grid_coord(-m, WIDTH_M + m))),
    )
        .prop_map(|(x, y, b, k, f, t1, t2, prev)| {
            let context = Context {
                counter_attack: f[0],
                after_cross: f[1],
                after_through_ball: f[2],
                after_high_pass: f[3],
                after_take_on_or_duel: f[4],
                rebound: f[5],
                set_piece_phase: f[6],
                secs_since_prev_event: t1,
                secs_since_prev2_event: t2,
                prev_event_at: prev.map(|(x, y)| Point::new(x, y)),
            };
            Shot::new(
                Point::new(x, y),
                BodyPart::ALL[b],
                ShotKind::ALL[k],
                context,
            )
            .unwrap()
        })
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(2000))]

    #[test]
    fn xg_is_a_probability_strictly_inside_0_1(shot in any_shot()) {
        let xg = model().score(&shot);
        prop_assert!(xg > 0.0 && xg < 1.0, "{xg}");
    }

    #[test]
    fn angle_is_in_0_pi_and_distance_finite(x in -10.0f32..120.0, y in -10.0f32..80.0) {
        let p = Point::new(x, y);
        let a = pitch::goal_mouth_angle_rad(p);
        prop_assert!((0.0..=core::f32::consts::PI).contains(&a), "{a}");
        prop_assert!(pitch::distance_to_goal_m(p).is_finite());
    }

    #[test]
    fn mirror_image_has_identical_features_and_xg(shot in any_shot()) {
        let m = model();
        let a = features::extract(&shot);
        let b = features::extract(&shot.mirrored());
        prop_assert_eq!(a.map(f32::to_bits), b.map(f32::to_bits));
        prop_assert_eq!(m.score(&shot).to_bits(), m.score(&shot.mirrored()).to_bits());
    }

    #[test]
    fn arbitrary_bytes_never_panic_the_model_parser(bytes in proptest::collection::vec(any::<u8>(), 0..2048)) {
        let _ = Model::parse(&bytes);
    }

    #[test]
    fn corrupted_models_with_a_fixed_up_checksum_never_panic(
        flips in proptest::collection::vec((any::<prop::sample::Index>(), any::<u8>()), 1..8),
        cut in any::<prop::sample::Index>(),
    ) {
        let good = synth::model(5, 4, 3).to_bytes();
        let mut b = good[..good.len() - 4].to_vec();
        for (i, v) in flips {
            let i = i.index(b.len());
            b[i] ^= v | 1;
        }
        let keep = cut.index(b.len() + 1);
        b.truncate(keep.max(b.len() * 3 / 4));
        let crc = crc32(&b);
        b.extend_from_slice(&crc.to_le_bytes());
        if let Ok(m) = Model::parse(&b) {
            // Whatever parsed must evaluate to a probability.
            let xg = m.score(&Shot::simple(Point::PENALTY_SPOT, BodyPart::Unknown, ShotKind::Penalty).unwrap());
            prop_assert!(xg > 0.0 && xg < 1.0);
        }
    }

    /// Any StatsBomb location (even far off the pitch) gives a shot near the pitch or a typed
    /// error, never a clamp or a panic; the location and its mirror across the long axis give
    /// mirrored shots.
    #[test]
    fn statsbomb_locations_map_onto_the_pitch_or_are_refused(
        x in -60.0f64..200.0,
        y in -60.0f64..150.0,
        prev in proptest::option::of((-60.0f64..200.0, -60.0f64..150.0)),
    ) {
        use scorer::statsbomb::{self, Event};
        let event = |x: f64, y: f64, prev: Option<(f64, f64)>| {
            let shot = Event::from_json(&format!(
                r#"{{"index": 2, "period": 1, "timestamp": "00:10:00.000", "type": {{"id": 16}},
                "team": {{"id": 1}}, "location": [{x}, {y}], "shot": {{"type": {{"id": 87}}}}}}"#
            )).unwrap();
            let before: Vec<Event> = prev.into_iter().map(|(px, py)| Event::from_json(&format!(
                r#"{{"index": 1, "period": 1, "timestamp": "00:09:58.000", "type": {{"id": 30}},
                "team": {{"id": 2}}, "location": [{px}, {py}]}}"#
            )).unwrap()).collect();
            statsbomb::to_shot(&shot, &before)
        };
        match event(x, y, prev) {
            Ok(shot) => {
                prop_assert!(shot.at().is_near_pitch());
                let mirrored = event(x, 80.0 - y, prev.map(|(px, py)| (px, 80.0 - py))).unwrap();
                let (a, b) = (features::extract(&shot.mirrored()), features::extract(&mirrored));
                for (f, (a, b)) in features::FEATURES.iter().zip(a.iter().zip(b)) {
                    prop_assert!((a - b).abs() <= 1e-3 || (a.is_nan() && b.is_nan()), "{}: {a} vs {b}", f.name);
                }
            }
            Err(statsbomb::StatsbombError::Shot { .. }) => {}
            Err(e) => prop_assert!(false, "unexpected error {e}"),
        }
    }

    /// StatsBomb event text of any shape: an error or an event, never a panic, and a parsed
    /// shot converts or fails with a typed error.
    #[test]
    fn arbitrary_statsbomb_text_never_panics(
        index in any::<i64>(),
        period in any::<i16>(),
        ts in "[0-9:.a]{0,14}",
        kind in prop_oneof![Just(16u32), Just(30), any::<u32>()],
        shot_kind in any::<u32>(),
        loc in proptest::collection::vec(-1e6f64..1e6, 0..4),
        cut in 0usize..400,
    ) {
        use scorer::statsbomb::{self, Event};
        let loc: Vec<String> = loc.iter().map(f64::to_string).collect();
        let text = format!(
            r#"{{"index": {index}, "period": {period}, "timestamp": "{ts}", "type": {{"id": {kind}}},
            "team": {{"id": 7}}, "location": [{}], "shot": {{"type": {{"id": {shot_kind}}}}}}}"#,
            loc.join(", ")
        );
        let text = &text[..cut.min(text.len())];
        if let Ok(e) = Event::from_json(text) {
            let _ = statsbomb::to_shot(&e, std::slice::from_ref(&e));
        }
    }

    #[test]
    fn arbitrary_flat_records_never_panic(bytes in proptest::collection::vec(any::<u8>(), 0..40)) {
        if let Ok(shot) = Shot::from_flat(&bytes) {
            prop_assert_eq!(Shot::from_flat(&shot.to_flat()).unwrap(), shot);
        }
    }
}

#[test]
fn no_nan_anywhere_on_the_pitch() {
    let m = model();
    let margin = OFF_PITCH_MARGIN_M;
    let mut n = 0;
    let mut x = -margin;
    while x <= LENGTH_M + margin {
        let mut y = -margin;
        while y <= WIDTH_M + margin {
            for body in BodyPart::ALL {
                let shot = Shot::simple(Point::new(x, y), body, ShotKind::OpenPlay).unwrap();
                let row = features::extract(&shot);
                // Only genuinely missing inputs may be NaN.
                for (f, v) in features::FEATURES.iter().zip(row) {
                    let may_be_missing = f.name.starts_with("secs_")
                        || f.name.starts_with("prev_")
                        || f.name == "ball_movement_m"
                        || (f.name == "is_header" && body == BodyPart::Unknown);
                    assert!(may_be_missing || v.is_finite(), "{} at ({x}, {y})", f.name);
                }
                let xg = m.predict(&row);
                assert!(xg > 0.0 && xg < 1.0, "({x}, {y}) -> {xg}");
                n += 1;
            }
            y += 0.25;
        }
        x += 0.25;
    }
    assert!(n > 100_000);
}
