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
