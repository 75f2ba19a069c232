//! Records out: the prediction record and the dead letter, encoded deterministically.
//!
//! A prediction keeps the original system's shape and adds what a consumer needs to trust the
//! number (fields in this order, always):
//!
//! ```json
//! {"model":"xgoals_prediction_model","version":"m-1a2b3c4d5e6f",
//!  "prediction":{"shot_xgoals":0.0731,"shot_id":42},
//!  "model_version":"m-1a2b3c4d5e6f","feature_set_id":"9c6f…","input_format":"original",
//!  "features":{"distance_to_goal_m":11.0,…,"prev_event_x_m":null}}
//! ```
//!
//! `shot_xgoals` is the scorer's `f32` in its shortest round-trip decimal form, so parsing it
//! as an `f32` gives back the exact bits; missing features are `null`. Nothing in either record
//! depends on the time of processing, so a replayed input record gives identical bytes.
//!
//! A dead letter carries the reason, where the record came from and its original bytes
//! (base64, so binary garbage survives):
//!
//! ```json
//! {"dead_letter":{"reason_code":"invalid_shot","reason":"…","event_id":"shardId-…:495…",
//!  "partition_key":"42","sequence_number":"495…","event_source_arn":"arn:…",
//!  "data_base64":"eyJzaG90Ij…"}}
//! ```
//!
//! A record of more than [`DEAD_LETTER_MAX_DATA_BYTES`] keeps only that many of its first
//! bytes in `data_base64`, and says so: `"data_truncated":{"bytes":N,"sha256":"…"}` gives the
//! whole record's length and hash. Otherwise its dead letter would be larger than a Kinesis
//! record may be (1 MiB), the dead-letter stream would refuse it on every retry, and the shard
//! would stall. The whole record stays in the input stream for its retention period, at the
//! `sequence_number` (and `sub_sequence_number`) the dead letter names.

use crate::record::{InputFormat, Invalid, ShotId};
use scorer::{FeatureRow, FEATURES};
use serde::Serialize;

/// The `model` field of the original system's records.
pub const MODEL_NAME: &str = "xgoals_prediction_model";

/// The model a prediction was made with, and the parts of its prediction records that depend
/// only on it, escaped once: the Lambda writes one record per shot, and escaping the same keys
/// and version strings for each of them was about a tenth of its time.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ModelTag {
    version: String,
    /// `FEATURE_SET_ID` as 16 hex digits, as in the model manifest.
    feature_set_id: String,
    /// `{"model":…,"version":…,"prediction":{"shot_xgoals":`
    head: Vec<u8>,
    /// `},"model_version":…,"feature_set_id":…,"input_format":`
    middle: Vec<u8>,
    /// `"name":` for each feature of [`FEATURES`], in order, with the separating comma.
    feature_keys: Vec<Vec<u8>>,
}

impl ModelTag {
    pub fn new(version: String, feature_set_id: String) -> ModelTag {
        let mut head = br#"{"model":"#.to_vec();
        json(&mut head, MODEL_NAME);
        head.extend_from_slice(br#","version":"#);
        json(&mut head, &version);
        head.extend_from_slice(br#","prediction":{"shot_xgoals":"#);
        let mut middle = br#"},"model_version":"#.to_vec();
        json(&mut middle, &version);
        middle.extend_from_slice(br#","feature_set_id":"#);
        json(&mut middle, &feature_set_id);
        middle.extend_from_slice(br#","input_format":"#);
        let feature_keys = FEATURES
            .iter()
            .enumerate()
            .map(|(i, feature)| {
                let mut key = if i == 0 { b"{".to_vec() } else { b",".to_vec() };
                json(&mut key, feature.name);
                key.push(b':');
                key
            })
            .collect();
        ModelTag {
            version,
            feature_set_id,
            head,
            middle,
            feature_keys,
        }
    }

    pub fn version(&self) -> &str {
        &self.version
    }

    pub fn feature_set_id(&self) -> &str {
        &self.feature_set_id
    }
}

/// Appends `value` as JSON, exactly as `serde_json` writes it (a non-finite float is `null`).
fn json<T: Serialize + ?Sized>(out: &mut Vec<u8>, value: &T) {
    serde_json::to_writer(out, value).expect("writing JSON into a Vec cannot fail");
}

/// Appends the prediction record for one shot to `out`: the model's pre-escaped parts with the
/// shot's values between them, the same bytes a derived `Serialize` of the documented shape
/// gives (a test holds the two together).
pub fn encode_prediction(
    out: &mut Vec<u8>,
    model: &ModelTag,
    shot_id: &ShotId,
    xg: f32,
    features: &FeatureRow,
    format: InputFormat,
) {
    out.extend_from_slice(&model.head);
    json(out, &xg);
    out.extend_from_slice(br#","shot_id":"#);
    json(out, shot_id);
    out.extend_from_slice(&model.middle);
    json(out, format.name());
    out.extend_from_slice(br#","features":"#);
    for (key, value) in model.feature_keys.iter().zip(features) {
        out.extend_from_slice(key);
        json(out, value);
    }
    out.extend_from_slice(b"}}");
}

/// Where a record came from in its stream.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct Source {
    pub event_id: Option<String>,
    /// The user record's own key when it came in a KPL aggregate.
    pub partition_key: String,
    pub sequence_number: String,
    /// Its place in the KPL aggregate it came in (from 0); absent for a plain record.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub sub_sequence_number: Option<u64>,
    pub event_source_arn: Option<String>,
}

#[derive(Serialize)]
struct DeadLetter<'a> {
    dead_letter: DeadLetterInner<'a>,
}

#[derive(Serialize)]
struct DeadLetterInner<'a> {
    reason_code: &'static str,
    reason: &'a str,
    #[serde(flatten)]
    source: &'a Source,
    data_base64: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    data_truncated: Option<Truncated>,
}

/// The whole record, when `data_base64` holds only its start.
#[derive(Serialize)]
struct Truncated {
    bytes: usize,
    sha256: String,
}

/// Most bytes of the original record a dead letter carries: in base64 (4/3 the size) with
/// the rest of the envelope, well within a Kinesis record's 1 MiB.
pub const DEAD_LETTER_MAX_DATA_BYTES: usize = 512 << 10;

/// The dead-letter record for an invalid input record.
pub fn encode_dead_letter(invalid: &Invalid, source: &Source, data: &[u8]) -> Vec<u8> {
    let (kept, data_truncated) = match data.get(..DEAD_LETTER_MAX_DATA_BYTES) {
        Some(start) if start.len() < data.len() => (
            start,
            Some(Truncated {
                bytes: data.len(),
                sha256: crate::registry::sha256_hex(data),
            }),
        ),
        _ => (data, None),
    };
    let record = DeadLetter {
        dead_letter: DeadLetterInner {
            reason_code: invalid.kind.name(),
            reason: &invalid.reason,
            source,
            data_base64: base64(kept),
            data_truncated,
        },
    };
    serde_json::to_vec(&record).expect("a dead letter always serialises")
}

/// Standard base64 with padding (RFC 4648), the encoding Kinesis itself uses for data (the
/// AWS SDK's own implementation).
pub fn base64(data: &[u8]) -> String {
    aws_smithy_types::base64::encode(data)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::record::InvalidKind;

    /// The documented shape, derived: the reference the hand-assembled records must equal.
    #[derive(Serialize)]
    struct Prediction<'a> {
        model: &'static str,
        version: &'a str,
        prediction: Inner<'a>,
        model_version: &'a str,
        feature_set_id: &'a str,
        input_format: &'static str,
        features: Features<'a>,
    }

    #[derive(Serialize)]
    struct Inner<'a> {
        shot_xgoals: f32,
        shot_id: &'a ShotId,
    }

    struct Features<'a>(&'a FeatureRow);

    impl Serialize for Features<'_> {
        fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
            use serde::ser::SerializeMap;
            let mut map = s.serialize_map(Some(FEATURES.len()))?;
            for (feature, value) in FEATURES.iter().zip(self.0.iter()) {
                map.serialize_entry(feature.name, value)?;
            }
            map.end()
        }
    }

    fn reference(
        tag: &ModelTag,
        shot_id: &ShotId,
        xg: f32,
        row: &FeatureRow,
        format: InputFormat,
    ) -> Vec<u8> {
        serde_json::to_vec(&Prediction {
            model: MODEL_NAME,
            version: tag.version(),
            prediction: Inner {
                shot_xgoals: xg,
                shot_id,
            },
            model_version: tag.version(),
            feature_set_id: tag.feature_set_id(),
            input_format: format.name(),
            features: Features(row),
        })
        .unwrap()
    }

    #[test]
    fn assembled_predictions_equal_the_derived_serialisation_byte_for_byte() {
        let tags = [
            ModelTag::new("m-1a2b3c4d5e6f".into(), "9c6f00ff12345678".into()),
            // Strings that need escaping, if a registry ever hands us one.
            ModelTag::new("v\"1\\\n\u{1}é".into(), "</script>\t".into()),
        ];
        let ids = [
            ShotId::Int(0),
            ShotId::Int(-170_141_183_460_469_231_731_687_303_715_884_105_728),
            ShotId::Int(u64::MAX as i128 + 1),
            ShotId::Text("a\"b\\c\u{7f}\u{0}ß".into()),
        ];
        let specials = [
            0.0,
            -0.0,
            f32::MIN_POSITIVE,
            1e-45,
            f32::MAX,
            f32::NAN,
            f32::INFINITY,
            f32::NEG_INFINITY,
            0.1,
            105.0,
        ];
        let formats = [
            InputFormat::Original,
            InputFormat::WyscoutEvent,
            InputFormat::XgoalsShot,
        ];
        let mut rng = scorer::synth::Rng::new(0x9e37_79b9_7f4a_7c15);
        let mut next = || rng.next_u64();
        for round in 0..500 {
            let mut row = [0f32; scorer::N_FEATURES];
            for v in row.iter_mut() {
                let r = next();
                *v = if r % 4 == 0 {
                    specials[(r >> 8) as usize % specials.len()]
                } else {
                    f32::from_bits((r >> 16) as u32)
                };
            }
            let xg = f32::from_bits(next() as u32 & 0x3f7f_ffff);
            let tag = &tags[round % tags.len()];
            let id = &ids[round % ids.len()];
            let format = formats[round % formats.len()];
            let mut out = b"previous record".to_vec();
            encode_prediction(&mut out, tag, id, xg, &row, format);
            assert_eq!(
                String::from_utf8_lossy(&out[b"previous record".len()..]),
                String::from_utf8_lossy(&reference(tag, id, xg, &row, format)),
                "round {round}"
            );
        }
    }

    #[test]
    fn prediction_keeps_the_original_shape_and_round_trips_the_bits() {
        let tag = ModelTag::new("m-1".into(), "00ff".into());
        let mut row = [0.5f32; scorer::N_FEATURES];
        row[3] = f32::NAN;
        let xg = 0.123_456_79f32;
        let mut out = Vec::new();
        encode_prediction(
            &mut out,
            &tag,
            &ShotId::Int(42),
            xg,
            &row,
            InputFormat::Original,
        );
        let v: serde_json::Value = serde_json::from_slice(&out).unwrap();
        assert_eq!(v["model"], MODEL_NAME);
        assert_eq!(v["version"], "m-1");
        assert_eq!(v["prediction"]["shot_id"], 42);
        let back = v["prediction"]["shot_xgoals"].as_f64().unwrap() as f32;
        assert_eq!(back.to_bits(), xg.to_bits());
        assert!(v["features"][FEATURES[3].name].is_null());
        assert_eq!(v["features"][FEATURES[0].name], 0.5);
        assert_eq!(v["input_format"], "original");
        // Deterministic: the same inputs, the same bytes.
        let mut again = Vec::new();
        encode_prediction(
            &mut again,
            &tag,
            &ShotId::Int(42),
            xg,
            &row,
            InputFormat::Original,
        );
        assert_eq!(out, again);
        let mut text_id = Vec::new();
        encode_prediction(
            &mut text_id,
            &tag,
            &ShotId::Text("a\"b".into()),
            xg,
            &row,
            InputFormat::XgoalsShot,
        );
        let v: serde_json::Value = serde_json::from_slice(&text_id).unwrap();
        assert_eq!(v["prediction"]["shot_id"], "a\"b");
    }

    #[test]
    fn dead_letters_keep_the_bytes_and_reason() {
        let invalid = Invalid::new(InvalidKind::BadJson, "record data is not UTF-8");
        let source = Source {
            event_id: Some("shardId-000:1".into()),
            partition_key: "pk".into(),
            sequence_number: "1".into(),
            sub_sequence_number: None,
            event_source_arn: None,
        };
        let bytes = encode_dead_letter(&invalid, &source, &[0xff, 0x00, b'x']);
        let v: serde_json::Value = serde_json::from_slice(&bytes).unwrap();
        let d = &v["dead_letter"];
        assert_eq!(d["reason_code"], "bad_json");
        assert_eq!(d["sequence_number"], "1");
        assert_eq!(d["data_base64"], "/wB4");
        assert!(d.get("sub_sequence_number").is_none());
        // A user record of a KPL aggregate says where in it it was.
        let inner = Source {
            sub_sequence_number: Some(3),
            ..source
        };
        let v: serde_json::Value =
            serde_json::from_slice(&encode_dead_letter(&invalid, &inner, b"x")).unwrap();
        assert_eq!(v["dead_letter"]["sub_sequence_number"], 3);
    }

    #[test]
    fn a_record_too_large_to_dead_letter_whole_keeps_its_start_length_and_hash() {
        let invalid = Invalid::new(InvalidKind::BadField, "before: too many events");
        let source = Source {
            event_id: Some(format!("shardId-000000000000:{}", "4".repeat(56))),
            partition_key: "k".repeat(256),
            sequence_number: "4".repeat(56),
            sub_sequence_number: Some(u64::MAX),
            event_source_arn: Some(format!("arn:{}", "a".repeat(2044))),
        };
        // The largest record Kinesis takes: 1 MiB of data (partition key included).
        let data: Vec<u8> = (0..1usize << 20).map(|i| (i * 7 % 251) as u8).collect();
        let letter = encode_dead_letter(&invalid, &source, &data);
        assert!(letter.len() + 256 <= 1 << 20, "{} bytes", letter.len());
        let v: serde_json::Value = serde_json::from_slice(&letter).unwrap();
        let d = &v["dead_letter"];
        assert_eq!(
            d["data_base64"],
            base64(&data[..DEAD_LETTER_MAX_DATA_BYTES]).as_str()
        );
        assert_eq!(d["data_truncated"]["bytes"], 1 << 20);
        assert_eq!(
            d["data_truncated"]["sha256"],
            crate::registry::sha256_hex(&data).as_str()
        );
        // Up to the limit a record is carried whole, with no truncation field.
        let whole = &data[..DEAD_LETTER_MAX_DATA_BYTES];
        let v: serde_json::Value =
            serde_json::from_slice(&encode_dead_letter(&invalid, &source, whole)).unwrap();
        assert_eq!(v["dead_letter"]["data_base64"], base64(whole).as_str());
        assert!(v["dead_letter"].get("data_truncated").is_none());
    }

    #[test]
    fn base64_matches_rfc_4648_vectors() {
        for (raw, enc) in [
            ("", ""),
            ("f", "Zg=="),
            ("fo", "Zm8="),
            ("foo", "Zm9v"),
            ("foob", "Zm9vYg=="),
            ("fooba", "Zm9vYmE="),
            ("foobar", "Zm9vYmFy"),
        ] {
            assert_eq!(base64(raw.as_bytes()), enc);
        }
    }
}
