//! Golden vectors, wasmtime runner: the third runner of `testdata/golden/golden.json` (after
//! the native and the wasm-bindgen ones in `scorer/tests`). `scorer.wasm` as the Lambda embeds
//! it must give the blessed feature and xG bits for every case, batched and one at a time.
//!
//! Also here: how the host behaves when things go wrong (refused model, invalid records, fuel
//! exhaustion) and that a precompiled module scores identically.

use edge_host::{FuelBudget, GuestError, HostConfig, ScorerEngine, ScorerInstance, Scores};
use scorer::shot::FLAT_SHOT_BYTES;
use std::path::PathBuf;
use std::sync::OnceLock;

fn testdata(path: &str) -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("../testdata")
        .join(path)
}

fn model_bytes() -> Vec<u8> {
    let path = testdata("models/test-model.xgm");
    std::fs::read(&path).unwrap_or_else(|e| panic!("reading {}: {e}", path.display()))
}

/// One golden case: the flat shot and its expected bits.
struct Case {
    name: String,
    flat: [u8; FLAT_SHOT_BYTES],
    feature_bits: Vec<u32>,
    xg_bits: u32,
}

fn hex_bytes(s: &str) -> Vec<u8> {
    assert!(s.len().is_multiple_of(2), "odd hex length: {s}");
    (0..s.len())
        .step_by(2)
        .map(|i| u8::from_str_radix(&s[i..i + 2], 16).expect("hex"))
        .collect()
}

fn hex_u32(s: &str) -> u32 {
    u32::from_str_radix(s, 16).expect("hex bits")
}

fn golden_cases() -> &'static [Case] {
    static CASES: OnceLock<Vec<Case>> = OnceLock::new();
    CASES.get_or_init(|| {
        let path = testdata("golden/golden.json");
        let text = std::fs::read_to_string(&path)
            .unwrap_or_else(|e| panic!("reading {}: {e}", path.display()));
        let golden: serde_json::Value = serde_json::from_str(&text).expect("golden JSON");
        assert_eq!(
            golden["feature_set_id"].as_str(),
            Some(format!("{:016x}", scorer::FEATURE_SET_ID).as_str()),
            "golden file was blessed for another feature table"
        );
        assert_eq!(
            golden["model_crc32"].as_str(),
            Some(format!("{:08x}", scorer::model::crc32(&model_bytes())).as_str()),
            "golden file was blessed for another test model"
        );
        golden["cases"]
            .as_array()
            .expect("cases")
            .iter()
            .map(|c| Case {
                name: c["name"].as_str().expect("name").to_owned(),
                flat: hex_bytes(c["flat"].as_str().expect("flat"))
                    .try_into()
                    .expect("a flat shot is 32 bytes"),
                feature_bits: c["feature_bits"]
                    .as_array()
                    .expect("feature_bits")
                    .iter()
                    .map(|v| hex_u32(v.as_str().expect("hex string")))
                    .collect(),
                xg_bits: hex_u32(c["xg_bits"].as_str().expect("xg_bits")),
            })
            .collect()
    })
}

/// Compiling is the slow part of a test; share one engine per test binary.
fn engine() -> &'static ScorerEngine {
    static ENGINE: OnceLock<ScorerEngine> = OnceLock::new();
    ENGINE.get_or_init(|| ScorerEngine::new(HostConfig::default()).expect("engine"))
}

fn loaded(engine: &ScorerEngine) -> ScorerInstance {
    let mut instance = engine.instantiate().expect("instance");
    instance
        .load_model(model_bytes())
        .expect("test model loads");
    instance
}

/// Checks one case's outcome against the blessed bits.
fn check_case(case: &Case, scores: &Scores, i: usize) {
    let xg = scores
        .get(i)
        .expect("one outcome per shot")
        .unwrap_or_else(|r| panic!("{}: rejected: {r}", case.name));
    assert_eq!(
        format!("{:08x}", xg.to_bits()),
        format!("{:08x}", case.xg_bits),
        "{}: xG bits differ",
        case.name
    );
    let row = &scores.features().expect("features were asked for")[i];
    let got: Vec<u32> = row.iter().map(|v| v.to_bits()).collect();
    assert_eq!(got, case.feature_bits, "{}: feature bits differ", case.name);
}

fn check_all(instance: &mut ScorerInstance) {
    let cases = golden_cases();
    assert!(
        cases.len() >= 500,
        "golden file has only {} cases",
        cases.len()
    );

    let flats: Vec<_> = cases.iter().map(|c| c.flat).collect();
    let mut batch = Scores::with_features();
    instance.score_flat_into(&flats, &mut batch).unwrap();
    assert_eq!(batch.len(), cases.len());
    assert_eq!(batch.n_rejected(), 0, "{:?}", batch.first_rejection());
    for (i, case) in cases.iter().enumerate() {
        check_case(case, &batch, i);
    }

    let mut single = Scores::with_features();
    for case in cases {
        instance
            .score_flat_into(std::slice::from_ref(&case.flat), &mut single)
            .unwrap();
        assert_eq!(single.len(), 1);
        check_case(case, &single, 0);
    }
}

#[test]
fn golden_vectors_match_bit_for_bit() {
    check_all(&mut loaded(engine()));
}

#[test]
fn validated_shots_score_like_their_flat_records() {
    let mut instance = loaded(engine());
    let cases = golden_cases();
    let shots: Vec<_> = cases
        .iter()
        .map(|c| scorer::Shot::from_flat(&c.flat).expect("golden shots are valid"))
        .collect();
    let scores = instance.score(&shots).unwrap();
    assert_eq!(scores.features(), None);
    for (case, outcome) in cases.iter().zip(scores.iter()) {
        assert_eq!(outcome.unwrap().to_bits(), case.xg_bits, "{}", case.name);
    }
}

/// Models of every shape the guest's evaluators handle score as the native evaluator does, bit
/// for bit, one shot per call and in one batch: uneven trees of depth 0 to 8 (so that deeper
/// trees cut the one-shot evaluator's groups of sixteen and groups end part-filled), complete
/// trees (of depth 7: none for that evaluator), and thresholds beyond what 8-bit ranks hold (the
/// portable paths).
#[test]
fn every_model_shape_scores_like_native_code() {
    let models = [
        (
            "uneven, depth 0 to 8",
            scorer::synth::uneven_binned_model(5, 71, 8),
        ),
        (
            "uneven, depth 0 to 6",
            scorer::synth::uneven_binned_model(6, 37, 6),
        ),
        ("complete, depth 6", scorer::synth::binned_model(7, 40, 6)),
        ("complete, depth 7", scorer::synth::binned_model(9, 20, 7)),
        ("unbinned, depth 5", scorer::synth::model(8, 30, 5)),
    ];
    // Synthetic shots lack some context at random, so missing values take both routes.
    let shots = synthetic_shots(300);
    for (name, model) in models {
        let mut instance = engine().instantiate().expect("instance");
        instance.load_model(model.to_bytes()).expect("model loads");
        let want = batch_scores_like_native(&mut instance, &model, &shots, name);
        for (i, shot) in shots.iter().enumerate() {
            let one = instance.score(std::slice::from_ref(shot)).unwrap();
            assert_eq!(
                one.get(0).unwrap().unwrap().to_bits(),
                want[i],
                "{name}: shot {i} alone"
            );
        }
    }
}

/// The model the scorer accepts that costs the most to lay out for its size: 512 chains of 12
/// splits, 131 KB, whose padded layouts fill `MAX_PADDED_SPLITS`. It loads within the default
/// host limits (64 MiB of guest memory, the load's fuel), and scores like native code.
#[test]
fn the_sparsest_model_at_the_padding_limit_loads_under_the_default_host_limits() {
    let depth = scorer::model::MAX_DEPTH as u32;
    let n_trees = scorer::model::MAX_PADDED_SPLITS / ((1 << depth) - 1);
    let model = scorer::synth::chain_model(11, n_trees, depth).unwrap();
    let mut instance = engine().instantiate().expect("instance");
    instance.load_model(model.to_bytes()).expect("model loads");
    assert!(
        instance.guest_memory_bytes() <= HostConfig::default().memory_limit_bytes,
        "{} bytes",
        instance.guest_memory_bytes()
    );
    batch_scores_like_native(&mut instance, &model, &synthetic_shots(20), "chains");
}

/// Scores `shots` in one call of `instance` (with `model` loaded), checks the bits against
/// native `Model::score`, and returns them.
fn batch_scores_like_native(
    instance: &mut ScorerInstance,
    model: &scorer::Model,
    shots: &[scorer::Shot],
    name: &str,
) -> Vec<u32> {
    let want: Vec<u32> = shots.iter().map(|s| model.score(s).to_bits()).collect();
    let batch: Vec<u32> = instance
        .score(shots)
        .unwrap()
        .iter()
        .map(|x| x.unwrap().to_bits())
        .collect();
    assert_eq!(batch, want, "{name}: batch");
    want
}

#[test]
fn precompiled_module_gives_identical_bits() {
    let cwasm = ScorerEngine::precompile().unwrap();
    // SAFETY: `cwasm` was made by `ScorerEngine::precompile` in this process a moment ago.
    let engine = unsafe { ScorerEngine::from_precompiled(&cwasm, HostConfig::default()) }.unwrap();
    check_all(&mut loaded(&engine));
}

#[test]
fn precompiled_bytes_from_an_engine_without_fuel_are_refused() {
    // Unmodified wasmtime output, but compiled without fuel metering: loading it would lose
    // the bound on work per call, and wasmtime refuses the mismatch.
    let mut config = wasmtime::Config::new();
    config
        .cranelift_nan_canonicalization(true)
        .consume_fuel(false);
    let engine = wasmtime::Engine::new(&config).unwrap();
    let cwasm = engine.precompile_module(edge_host::SCORER_WASM).unwrap();
    // SAFETY: `cwasm` is the unmodified output of `Engine::precompile_module` of this
    // wasmtime, which `Module::deserialize` checks for a compatible configuration.
    let result = unsafe { ScorerEngine::from_precompiled(&cwasm, HostConfig::default()) };
    assert!(
        matches!(result, Err(GuestError::Setup { .. })),
        "{result:?}"
    );
}

#[test]
fn corrupt_model_is_refused_and_the_previous_model_keeps_serving() {
    let mut instance = loaded(engine());
    let case = &golden_cases()[0];

    let mut corrupt = model_bytes();
    let last = corrupt.len() - 6;
    corrupt[last] ^= 0x01; // inside a leaf value: only the checksum notices
    let expected = scorer::Model::parse(&corrupt).unwrap_err().to_string();
    match instance.load_model(corrupt) {
        Err(GuestError::ModelRefused(message)) => assert_eq!(message, expected),
        other => panic!("expected ModelRefused, got {other:?}"),
    }
    match instance.load_model(&b"not a model"[..]) {
        Err(GuestError::ModelRefused(message)) => {
            assert!(message.contains("magic"), "{message}")
        }
        other => panic!("expected ModelRefused, got {other:?}"),
    }

    assert!(!instance.is_poisoned());
    let scores = instance.score_flat_into_new(&[case.flat]);
    assert_eq!(scores.get(0).unwrap().unwrap().to_bits(), case.xg_bits);
}

#[test]
fn scoring_without_a_model_is_an_error() {
    let mut instance = engine().instantiate().unwrap();
    let flat = golden_cases()[0].flat;
    let result = instance.score_flat_into(&[flat], &mut Scores::new());
    assert!(matches!(result, Err(GuestError::NoModel)), "{result:?}");
    assert!(!instance.is_poisoned());
}

#[test]
fn invalid_records_are_rejected_one_by_one() {
    let mut instance = loaded(engine());
    let cases = &golden_cases()[..6];
    let mut flats: Vec<_> = cases.iter().map(|c| c.flat).collect();
    flats[1][8] = 9; // unknown body part code
    flats[3][0..4].copy_from_slice(&f32::NAN.to_le_bytes()); // x = NaN
    flats[4][28] = 1; // reserved word not zero

    let mut scores = Scores::with_features();
    instance.score_flat_into(&flats, &mut scores).unwrap();
    assert_eq!(scores.n_rejected(), 3);
    for (i, case) in cases.iter().enumerate() {
        let expected = match i {
            1 | 3 | 4 => {
                let error = scorer::Shot::from_flat(&flats[i]).unwrap_err();
                Err(edge_host::Rejected {
                    index: i,
                    code: error.code(),
                })
            }
            _ => Ok(case.xg_bits),
        };
        assert_eq!(
            scores.get(i).unwrap().map(f32::to_bits),
            expected,
            "shot {i}"
        );
        assert_ne!(scores.statuses()[i] != 0, expected.is_ok());
    }
    assert!(scores.xg()[1].is_nan());
    let first = scores
        .first_rejection()
        .expect("a message for the first rejection");
    assert!(first.starts_with("shot 1: body_part"), "{first}");

    // The instance is fine afterwards.
    let again = instance.score_flat_into_new(&[cases[0].flat]);
    assert_eq!(again.get(0).unwrap().unwrap().to_bits(), cases[0].xg_bits);
    assert_eq!(again.first_rejection(), None);

    // The guest reuses its buffers from call to call: nothing of an earlier, larger call (a
    // rejection, a placeholder row) shows through in a smaller one.
    let rejected_first = [flats[1], cases[2].flat, cases[5].flat];
    assert_eq!(
        instance.score_flat_into_new(&rejected_first).n_rejected(),
        1
    );
    let mut after = Scores::with_features();
    instance
        .score_flat_into(&[cases[2].flat, cases[5].flat], &mut after)
        .unwrap();
    assert_eq!(after.n_rejected(), 0, "{:?}", after.first_rejection());
    check_case(&cases[2], &after, 0);
    check_case(&cases[5], &after, 1);
}

#[test]
fn fuel_exhaustion_is_an_error_and_a_new_instance_recovers() {
    let config = HostConfig {
        fuel: FuelBudget {
            per_shot: 50,
            ..FuelBudget::default()
        },
        ..HostConfig::default()
    };
    let engine = engine().with_config(config);
    let mut instance = loaded(&engine);
    let cases = golden_cases();
    let flats: Vec<_> = cases.iter().map(|c| c.flat).collect();

    let result = instance.score_flat_into(&flats, &mut Scores::new());
    match result {
        Err(ref e @ GuestError::OutOfFuel { budget }) => {
            assert_eq!(budget, config.fuel.for_batch(flats.len()));
            assert!(e.needs_new_instance());
        }
        other => panic!("expected OutOfFuel, got {other:?}"),
    }
    assert!(instance.is_poisoned());
    let again = instance.score_flat_into(&flats[..1], &mut Scores::new());
    assert!(matches!(again, Err(GuestError::Poisoned)), "{again:?}");

    // A fresh instance from the same template, with the model reloaded, and enough fuel.
    instance.set_fuel_budget(FuelBudget::default());
    instance.recreate().unwrap();
    assert!(!instance.is_poisoned());
    assert!(instance.has_model());
    let scores = instance.score_flat_into_new(&flats);
    for (case, outcome) in cases.iter().zip(scores.iter()) {
        assert_eq!(outcome.unwrap().to_bits(), case.xg_bits, "{}", case.name);
    }
}

/// 2 MiB: a little above scorer.wasm's initial memory (1.25 MiB).
const SMALL_MEMORY_LIMIT_BYTES: usize = 2 << 20;

fn synthetic_shots(n: usize) -> Vec<scorer::Shot> {
    let mut rng = scorer::synth::Rng::new(7);
    (0..n).map(|_| scorer::synth::shot(&mut rng)).collect()
}

#[test]
fn a_batch_too_large_for_the_memory_cap_is_refused_and_the_instance_keeps_serving() {
    let engine = engine().with_config(HostConfig {
        memory_limit_bytes: SMALL_MEMORY_LIMIT_BYTES,
        ..HostConfig::default()
    });
    let mut instance = loaded(&engine);
    // The I/O buffer alone (116 bytes a shot) exceeds the cap: `xg_alloc` returns 0.
    let result = instance.score(&synthetic_shots(40_000));
    assert!(
        matches!(result, Err(GuestError::OutOfGuestMemory { .. })),
        "{result:?}"
    );
    assert!(!instance.is_poisoned());
    let case = &golden_cases()[0];
    let scores = instance.score_flat_into_new(&[case.flat]);
    assert_eq!(scores.get(0).unwrap().unwrap().to_bits(), case.xg_bits);
}

#[test]
fn a_trap_inside_the_guest_is_an_error_and_recreate_recovers() {
    let engine = engine().with_config(HostConfig {
        memory_limit_bytes: SMALL_MEMORY_LIMIT_BYTES,
        ..HostConfig::default()
    });
    let shots = synthetic_shots(6_000);
    let case = &golden_cases()[0];
    // Batches whose I/O buffer fits under the cap but whose rows, allocated inside
    // `xg_score_batch`, do not: the guest's allocator fails and Rust aborts, a wasm trap.
    let mut trapped = 0;
    for n in [3_000, 4_000, 6_000] {
        let mut instance = loaded(&engine);
        match instance.score(&shots[..n]) {
            Err(GuestError::Trap { trap, message }) => {
                trapped += 1;
                assert_eq!(
                    trap,
                    Some(wasmtime::Trap::UnreachableCodeReached),
                    "{message}"
                );
                assert!(instance.is_poisoned());
                let again = instance.score_flat_into(&[case.flat], &mut Scores::new());
                assert!(matches!(again, Err(GuestError::Poisoned)), "{again:?}");
                instance.recreate().unwrap();
                let scores = instance.score_flat_into_new(&[case.flat]);
                assert_eq!(scores.get(0).unwrap().unwrap().to_bits(), case.xg_bits);
            }
            Err(GuestError::OutOfGuestMemory { .. }) | Ok(_) => {}
            Err(other) => panic!("batch of {n}: unexpected {other:?}"),
        }
    }
    assert!(trapped > 0, "no batch size made the guest trap");
}

#[test]
fn default_fuel_budget_has_room_for_the_test_model() {
    let mut instance = loaded(engine());
    let model = scorer::Model::parse(&model_bytes()).unwrap();
    let flats: Vec<_> = golden_cases().iter().map(|c| c.flat).collect();
    instance.score_flat_into_new(&flats);
    let used_per_shot = instance.last_fuel_used() / flats.len() as u64;
    let shaped = FuelBudget::for_model_shape(model.trees().len(), model.max_depth());
    assert!(
        used_per_shot * 2 < shaped.per_shot,
        "{used_per_shot} fuel per shot, shaped budget {}",
        shaped.per_shot
    );
    assert!(shaped.per_shot <= FuelBudget::default().per_shot);
}

#[test]
fn memory_limit_below_the_initial_memory_fails_at_instantiation() {
    let engine = engine().with_config(HostConfig {
        memory_limit_bytes: 64 * 1024,
        ..HostConfig::default()
    });
    let result = engine.instantiate();
    assert!(
        matches!(result, Err(GuestError::Setup { .. })),
        "{result:?}"
    );
}

/// Test shorthand: score flat records into fresh scores, failing the test on a call error.
trait ScoreFlat {
    fn score_flat_into_new(&mut self, flats: &[[u8; FLAT_SHOT_BYTES]]) -> Scores;
}

impl ScoreFlat for ScorerInstance {
    fn score_flat_into_new(&mut self, flats: &[[u8; FLAT_SHOT_BYTES]]) -> Scores {
        let mut scores = Scores::new();
        self.score_flat_into(flats, &mut scores).unwrap();
        scores
    }
}
