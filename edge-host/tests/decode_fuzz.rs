//! Hostile Kinesis records: real records of every format, cut, spliced and with bytes
//! changed, and arbitrary bytes. `record::decode` must never panic, must answer the same way
//! twice, and whatever it accepts must be a valid shot under a usable partition key. Batches
//! mixing plain records and KPL aggregates, intact or damaged, give every record exactly one
//! output.

mod common;

use common::{other_format_records, world_cup_records};
use edge_host::record::{decode, MAX_SHOT_ID_BYTES};
use proptest::prelude::*;
use std::sync::OnceLock;

/// One record of each format and shape (Wyscout wrapped and bare, StatsBomb wrapped and
/// bare, xgoals' JSON, the original's), from the real data, and two of them gzipped.
fn seeds() -> &'static [Vec<u8>] {
    static SEEDS: OnceLock<Vec<Vec<u8>>> = OnceLock::new();
    SEEDS.get_or_init(|| {
        let wc = world_cup_records();
        let mut seeds = vec![
            wc.wrapped[7].clone(),
            wc.bare[7].clone(),
            wc.original[7].clone(),
        ];
        seeds.extend(other_format_records().into_iter().map(|(data, _, _)| data));
        // Gzip-compressed, so cuts and flips reach the inflating path too.
        let gzipped: Vec<Vec<u8>> = seeds.iter().take(2).map(|s| gzip(s)).collect();
        seeds.extend(gzipped);
        seeds
    })
}

fn gzip(bytes: &[u8]) -> Vec<u8> {
    use std::io::Write as _;
    let mut enc = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::default());
    enc.write_all(bytes).unwrap();
    enc.finish().unwrap()
}

/// Bytes a hostile or broken producer might put anywhere in a record.
const SPLICES: &[&str] = &[
    "",
    "\"",
    "\\",
    "{",
    "}",
    "[",
    "]",
    ",",
    ":",
    "null",
    "1e999",
    "-0",
    "NaN",
    "\"\\u0000\"",
    "\"\\ud800\"",
    "{\"eventId\": 10}",
    "{\"timestamp\": null}",
    "\"statsbomb\":",
    "\"before\":",
    "[[[[[[[[",
    "99999999999999999999999",
    "\u{feff}",
    "\u{1F600}",
];

fn check(data: &[u8]) -> Result<(), TestCaseError> {
    let first = decode(data);
    let second = decode(data);
    prop_assert_eq!(&first, &second, "decode is a function of the bytes");
    if let Ok(d) = first {
        prop_assert!(d.shot.at().is_near_pitch());
        let key = d.shot_id.partition_key();
        prop_assert!(!key.is_empty() && key.len() <= MAX_SHOT_ID_BYTES);
        prop_assert!(!key.chars().any(char::is_control));
        let xg_inputs = scorer::extract(&d.shot);
        prop_assert!(xg_inputs[0].is_finite());
    }
    Ok(())
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(3000))]

    #[test]
    fn cut_records_never_panic(seed in 0usize..64, at in 0usize..100_000) {
        let s = &seeds()[seed % seeds().len()];
        check(&s[..at % (s.len() + 1)])?;
    }

    #[test]
    fn spliced_records_never_panic(
        seed in 0usize..64,
        at in 0usize..100_000,
        len in 0usize..12,
        splice in 0usize..64,
    ) {
        let s = &seeds()[seed % seeds().len()];
        let at = at % (s.len() + 1);
        let end = (at + len).min(s.len());
        let mut data = s[..at].to_vec();
        data.extend_from_slice(SPLICES[splice % SPLICES.len()].as_bytes());
        data.extend_from_slice(&s[end..]);
        check(&data)?;
    }

    #[test]
    fn flipped_bytes_never_panic(
        seed in 0usize..64,
        flips in proptest::collection::vec((0usize..100_000, any::<u8>()), 1..6),
    ) {
        let mut data = seeds()[seed % seeds().len()].clone();
        for (at, b) in flips {
            let n = data.len();
            data[at % n] = b;
        }
        check(&data)?;
    }

    #[test]
    fn arbitrary_bytes_never_panic(data in proptest::collection::vec(any::<u8>(), 0..512)) {
        check(&data)?;
    }
}

/// One Kinesis record of a fuzzed batch: a seed alone, or some seeds in a KPL aggregate,
/// either possibly damaged by a flipped byte.
#[derive(Debug, Clone)]
struct Sent {
    seeds: Vec<usize>,
    aggregated: bool,
    flip: Option<(usize, u8)>,
}

fn sent() -> impl Strategy<Value = Sent> {
    (
        proptest::collection::vec(0usize..64, 1..5),
        any::<bool>(),
        proptest::option::weighted(0.3, (0usize..100_000, any::<u8>())),
    )
        .prop_map(|(seeds, aggregated, flip)| Sent {
            seeds,
            aggregated,
            flip,
        })
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(300))]

    /// A batch mixing plain records and KPL aggregates, intact or damaged: every user record
    /// of an intact aggregate, and every other Kinesis record, comes out exactly once, as a
    /// prediction or as a dead letter holding its bytes.
    #[test]
    fn every_record_of_a_mixed_batch_comes_out_once(batch in proptest::collection::vec(sent(), 1..8)) {
        use edge_host::handler::{Backend, Handler, HandlerConfig, RecordIn};
        use edge_host::kpl;
        let mut records = Vec::new();
        for (i, r) in batch.iter().enumerate() {
            let parts: Vec<Vec<u8>> =
                r.seeds.iter().map(|&k| seeds()[k % seeds().len()].clone()).collect();
            let mut data = if r.aggregated {
                common::kpl_aggregate(&common::record_batch(&parts, parts.len()))
            } else {
                parts[0].clone()
            };
            if let Some((at, b)) = r.flip {
                let n = data.len();
                data[at % n] ^= b | 1;
            }
            records.push(RecordIn {
                data,
                source: edge_host::output::Source {
                    partition_key: format!("pk-{i}"),
                    sequence_number: i.to_string(),
                    ..Default::default()
                },
            });
        }
        let mut handler = Handler::new(
            Backend::Native(None),
            common::test_fetched_model(),
            HandlerConfig::in_memory(),
        )
        .unwrap();
        let out = handler.process(&records).unwrap();
        // What each Kinesis record should become: its user records, or itself.
        let mut want_per_record = Vec::new();
        for r in &records {
            want_per_record.push(match kpl::deaggregate(&r.data) {
                Ok(Some(users)) => users.len(),
                _ => 1,
            });
        }
        let total: usize = want_per_record.iter().sum();
        prop_assert_eq!(out.user_records, total);
        prop_assert_eq!(out.predictions.len() + out.dead_letters.len(), total);
        let mut got_per_record = vec![0usize; records.len()];
        for &i in out.prediction_inputs.iter().chain(&out.dead_letter_inputs) {
            got_per_record[i] += 1;
        }
        prop_assert_eq!(&got_per_record, &want_per_record);
        for (d, &i) in out.dead_letters.iter().zip(&out.dead_letter_inputs) {
            let (reason, bytes) = common::dead_letter(&d.data);
            let whole = bytes == records[i].data;
            let inner = matches!(kpl::deaggregate(&records[i].data), Ok(Some(users)) if users.iter().any(|u| u.data == bytes));
            prop_assert!(whole || inner, "{reason}: the dead letter holds bytes that were not sent");
            prop_assert_eq!(reason == "bad_aggregate", whole && kpl::is_aggregate(&records[i].data));
        }
    }
}

#[test]
fn the_seeds_themselves_decode() {
    for s in seeds() {
        decode(s)
            .unwrap_or_else(|e| panic!("{e}: {}", String::from_utf8_lossy(&s[..s.len().min(200)])));
    }
    assert!(seeds().len() >= 8);
}

/// An aggregate packed with thousands of tiny invalid user records gives one dead letter, not
/// thousands of writes; its valid records are still scored. Up to the limit, one letter each.
#[test]
fn an_aggregate_of_many_invalid_records_is_one_dead_letter() {
    use edge_host::handler::{
        Backend, Handler, HandlerConfig, RecordIn, MAX_DEAD_LETTERS_PER_RECORD,
    };
    let valid = world_cup_records().wrapped[7].clone();
    let mut handler = Handler::new(
        Backend::Native(None),
        common::test_fetched_model(),
        HandlerConfig::in_memory(),
    )
    .unwrap();
    for (n_invalid, letters) in [
        (MAX_DEAD_LETTERS_PER_RECORD, MAX_DEAD_LETTERS_PER_RECORD),
        (5_000, 1),
    ] {
        let mut parts = vec![valid.clone()];
        parts.extend((0..n_invalid).map(|i| format!("x{i}").into_bytes()));
        parts.push(valid.clone());
        let data = common::kpl_aggregate(&common::record_batch(&parts, parts.len()));
        let record = RecordIn {
            data: data.clone(),
            source: edge_host::output::Source {
                sequence_number: "1".into(),
                ..Default::default()
            },
        };
        let out = handler.process(std::slice::from_ref(&record)).unwrap();
        assert_eq!(out.predictions.len(), 2, "{n_invalid}");
        assert_eq!(out.dead_letters.len(), letters, "{n_invalid}");
        assert_eq!(
            out.dead_letter_users.len(),
            n_invalid,
            "the metrics count them all"
        );
        if letters == 1 {
            let v: serde_json::Value = serde_json::from_slice(&out.dead_letters[0].data).unwrap();
            let d = &v["dead_letter"];
            assert_eq!(d["reason_code"], "bad_aggregate");
            let reason = d["reason"].as_str().unwrap();
            assert!(
                reason.starts_with("5000 of this KPL aggregate's user records are invalid")
                    && reason.contains("sub-record 1, is bad_json"),
                "{reason}"
            );
            assert_eq!(d["data_base64"], edge_host::output::base64(&data).as_str());
        }
    }
}
