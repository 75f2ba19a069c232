//! Golden vectors, native runner. `testdata/golden/golden.json` is rewritten only by
//! `cargo run -p scorer --example bless_golden --features wyscout,synth`.

mod common;

#[test]
fn golden_vectors_match_bit_for_bit() {
    let n = common::check_golden();
    assert!(n >= 500, "golden file has only {n} cases");
}

#[test]
fn test_model_is_large_enough_and_routes_missing_values() {
    let model = scorer::Model::parse(common::MODEL).unwrap();
    assert!(model.trees().len() >= 50);
    assert!(model.max_depth() >= 4);
    let nan_splits = model
        .trees()
        .iter()
        .flat_map(|t| &t.splits)
        .filter(|s| {
            let name = scorer::FEATURES[s.feature as usize].name;
            name.starts_with("secs_") || name.starts_with("prev_") || name == "is_header"
        })
        .count();
    assert!(nan_splits > 0, "no split on a feature that can be missing");
}
