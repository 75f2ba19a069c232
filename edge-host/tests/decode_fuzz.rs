//! Hostile Kinesis records: real records of every format, cut, spliced and with bytes
//! changed, and arbitrary bytes. `record::decode` must never panic, must answer the same way
//! twice, and whatever it accepts must be a valid shot under a usable partition key.

mod common;

use common::{other_format_records, world_cup_records};
use edge_host::record::{decode, MAX_SHOT_ID_CHARS};
use proptest::prelude::*;
use std::sync::OnceLock;

/// One record of each format and shape (Wyscout wrapped and bare, StatsBomb wrapped and
/// bare, xgoals' JSON, the original's), from the real data.
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
        seeds
    })
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
        prop_assert!(!key.is_empty() && key.chars().count() <= MAX_SHOT_ID_CHARS);
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

#[test]
fn the_seeds_themselves_decode() {
    for s in seeds() {
        decode(s)
            .unwrap_or_else(|e| panic!("{e}: {}", String::from_utf8_lossy(&s[..s.len().min(200)])));
    }
    assert!(seeds().len() >= 8);
}
