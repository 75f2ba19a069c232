//! A Lambda batch at Kinesis's largest size (10,000 records) goes through the wasm scorer in
//! one piece: same bytes as the native scorer, no record refused.

mod common;

use common::*;

#[test]
fn ten_thousand_records_score_like_the_native_scorer() {
    // Real producer text: each World Cup shot's event and the 5 before it, as in the dataset.
    let records = world_cup_records().wrapped;
    let input = record_batch(&records, 10_000);
    let (mut wasm, mut native) = wasm_and_native_handlers(test_fetched_model());
    let a = wasm.process(&input).unwrap();
    if let Some(d) = a.dead_letters.first() {
        panic!(
            "{} dead letters, first: {}",
            a.dead_letters.len(),
            String::from_utf8_lossy(&d.data[..d.data.len().min(400)])
        );
    }
    let b = native.process(&input).unwrap();
    assert_eq!(a.predictions.len(), 10_000);
    assert_eq!(a.predictions, b.predictions);
}

#[test]
fn every_real_shot_decodes_to_the_scorers_own_conversion() {
    use scorer::wyscout;
    let events = world_cup_all();
    let mut n = 0;
    for (i, native) in wyscout::shots(&events) {
        let Ok(native) = native else { continue };
        let before = &events[i.saturating_sub(5)..i];
        let native_short = wyscout::to_shot(&events[i], before).unwrap();
        let record =
            serde_json::to_vec(&serde_json::json!({"event": events[i], "before": before})).unwrap();
        let decoded = edge_host::record::decode(&record)
            .unwrap_or_else(|e| panic!("shot event {}: {e}", events[i].id));
        assert_eq!(decoded.shot, native_short, "shot event {}", events[i].id);
        let _ = native;
        n += 1;
    }
    assert!(n > 1_000, "{n}");
}
