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

use crate::record::{InputFormat, Invalid, ShotId};
use scorer::{FeatureRow, FEATURES};
use serde::ser::SerializeMap;
use serde::{Serialize, Serializer};

/// The `model` field of the original system's records.
pub const MODEL_NAME: &str = "xgoals_prediction_model";

/// The model a prediction was made with.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ModelTag {
    pub version: String,
    /// `FEATURE_SET_ID` as 16 hex digits, as in the model manifest.
    pub feature_set_id: String,
}

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
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        let mut map = s.serialize_map(Some(FEATURES.len()))?;
        for (feature, &value) in FEATURES.iter().zip(self.0.iter()) {
            if value.is_finite() {
                map.serialize_entry(feature.name, &value)?;
            } else {
                map.serialize_entry(feature.name, &())?;
            }
        }
        map.end()
    }
}

/// Appends the prediction record for one shot to `out`.
pub fn encode_prediction(
    out: &mut Vec<u8>,
    model: &ModelTag,
    shot_id: &ShotId,
    xg: f32,
    features: &FeatureRow,
    format: InputFormat,
) {
    let record = Prediction {
        model: MODEL_NAME,
        version: &model.version,
        prediction: Inner {
            shot_xgoals: xg,
            shot_id,
        },
        model_version: &model.version,
        feature_set_id: &model.feature_set_id,
        input_format: format.name(),
        features: Features(features),
    };
    serde_json::to_writer(out, &record).expect("a prediction always serialises");
}

/// Where a record came from in its stream.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct Source {
    pub event_id: Option<String>,
    pub partition_key: String,
    pub sequence_number: String,
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
}

/// The dead-letter record for an invalid input record.
pub fn encode_dead_letter(invalid: &Invalid, source: &Source, data: &[u8]) -> Vec<u8> {
    let record = DeadLetter {
        dead_letter: DeadLetterInner {
            reason_code: invalid.kind.name(),
            reason: &invalid.reason,
            source,
            data_base64: base64(data),
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

    #[test]
    fn prediction_keeps_the_original_shape_and_round_trips_the_bits() {
        let tag = ModelTag {
            version: "m-1".into(),
            feature_set_id: "00ff".into(),
        };
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
            event_source_arn: None,
        };
        let bytes = encode_dead_letter(&invalid, &source, &[0xff, 0x00, b'x']);
        let v: serde_json::Value = serde_json::from_slice(&bytes).unwrap();
        let d = &v["dead_letter"];
        assert_eq!(d["reason_code"], "bad_json");
        assert_eq!(d["sequence_number"], "1");
        assert_eq!(d["data_base64"], "/wB4");
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
