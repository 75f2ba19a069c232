//! The wasm-bindgen API for JavaScript pages (feature `js`).
//!
//! Build the npm package with `wasm-pack build scorer --target web -- --no-default-features
//! --features js` (or `cargo build` + `wasm-bindgen --target web`), then:
//!
//! ```js
//! import init, { Scorer, featureNames } from "./pkg/scorer.js";
//! await init();
//! const scorer = new Scorer(new Uint8Array(await (await fetch("model.xgm")).arrayBuffer()));
//! scorer.scoreJson('{"x_m": 94, "y_m": 34, "body_part": "right_foot"}'); // → 0.07…
//! // A provider's raw shot event, with the match's events before it (oldest first) as context:
//! scorer.scoreWyscout(JSON.stringify(shotEvent), JSON.stringify(eventsBefore));
//! scorer.scoreStatsbomb(JSON.stringify(shotEvent), JSON.stringify(eventsBefore));
//! ```

use crate::features::{self, FEATURE_SET_ID};
use crate::json;
use crate::model::Model;
use crate::shot::{Shot, FLAT_SHOT_BYTES};
use crate::{statsbomb, wyscout};
use wasm_bindgen::prelude::*;

fn js_error(e: impl core::fmt::Display) -> JsError {
    JsError::new(&e.to_string())
}

/// A provider's event feed as the JS API reads it: its name (for errors) and the trainer's
/// own parse and conversion.
struct Feed<E, Err> {
    name: &'static str,
    parse: fn(&str) -> Result<E, Err>,
    to_shot: fn(&E, &[E]) -> Result<Shot, Err>,
}

const WYSCOUT: Feed<wyscout::Event, wyscout::WyscoutError> = Feed {
    name: "Wyscout",
    parse: wyscout::Event::from_json,
    to_shot: wyscout::to_shot,
};

const STATSBOMB: Feed<statsbomb::Event, statsbomb::StatsbombError> = Feed {
    name: "StatsBomb",
    parse: statsbomb::Event::from_json,
    to_shot: statsbomb::to_shot,
};

impl<E: serde::de::DeserializeOwned, Err: core::fmt::Display> Feed<E, Err> {
    /// The shot in `event_json`, with the events before it (`before_json`, a JSON array,
    /// oldest first) as its context.
    fn shot(&self, event_json: &str, before_json: &str) -> Result<Shot, JsError> {
        let event = (self.parse)(event_json).map_err(js_error)?;
        let before: Vec<E> = serde_json::from_str(before_json).map_err(|e| {
            JsError::new(&format!(
                "`before` must be a JSON array of {} events: {e}",
                self.name
            ))
        })?;
        (self.to_shot)(&event, &before).map_err(js_error)
    }
}

/// A loaded model, ready to score shots.
#[wasm_bindgen]
pub struct Scorer {
    model: Model,
}

#[wasm_bindgen]
impl Scorer {
    /// Parses model bytes; throws with the reason if they are refused.
    #[wasm_bindgen(constructor)]
    pub fn new(model_bytes: &[u8]) -> Result<Scorer, JsError> {
        Model::parse(model_bytes)
            .map(|model| Scorer { model })
            .map_err(js_error)
    }

    /// xG of one shot in xgoals' shot JSON; throws if the JSON or the shot is invalid.
    #[wasm_bindgen(js_name = scoreJson)]
    pub fn score_json(&self, shot_json: &str) -> Result<f32, JsError> {
        let shot = json::shot_from_json(shot_json).map_err(js_error)?;
        Ok(self.model.score(&shot))
    }

    /// xG of many shots in the flat 32-byte layout, concatenated; NaN for an invalid shot.
    #[wasm_bindgen(js_name = scoreFlat)]
    pub fn score_flat(&self, flat: &[u8]) -> Result<Vec<f32>, JsError> {
        if !flat.len().is_multiple_of(FLAT_SHOT_BYTES) {
            return Err(JsError::new(&format!(
                "flat shots are {FLAT_SHOT_BYTES} bytes each, got {} bytes",
                flat.len()
            )));
        }
        let shots: Vec<Option<Shot>> = flat
            .chunks_exact(FLAT_SHOT_BYTES)
            .map(|b| Shot::from_flat(b).ok())
            .collect();
        let rows: Vec<_> = shots
            .iter()
            .map(|s| {
                s.as_ref()
                    .map_or([f32::NAN; features::N_FEATURES], features::extract)
            })
            .collect();
        let mut out = vec![0.0; rows.len()];
        self.model.predict_batch(&rows, &mut out);
        for (o, s) in out.iter_mut().zip(&shots) {
            if s.is_none() {
                *o = f32::NAN;
            }
        }
        Ok(out)
    }

    /// xG of a Wyscout shot event (JSON), with the events before it in the same match as a
    /// JSON array, oldest first (`"[]"` for none); converted by the same code as the trainer's.
    /// Throws if the JSON is malformed or the event is not a shot for xG.
    #[wasm_bindgen(js_name = scoreWyscout)]
    pub fn score_wyscout(&self, event_json: &str, before_json: &str) -> Result<f32, JsError> {
        Ok(self.model.score(&WYSCOUT.shot(event_json, before_json)?))
    }

    /// xG of a StatsBomb shot event (JSON), with the events before it in the same match as a
    /// JSON array, oldest first (`"[]"` for none). Throws if the JSON is malformed or the event
    /// is not a shot for xG.
    #[wasm_bindgen(js_name = scoreStatsbomb)]
    pub fn score_statsbomb(&self, event_json: &str, before_json: &str) -> Result<f32, JsError> {
        Ok(self.model.score(&STATSBOMB.shot(event_json, before_json)?))
    }

    /// The feature row of one shot in xgoals' shot JSON (NaN = missing).
    #[wasm_bindgen(js_name = featuresJson)]
    pub fn features_json(&self, shot_json: &str) -> Result<Vec<f32>, JsError> {
        let shot = json::shot_from_json(shot_json).map_err(js_error)?;
        Ok(features::extract(&shot).to_vec())
    }
}

/// The feature names in column order.
#[wasm_bindgen(js_name = featureNames)]
pub fn feature_names() -> Vec<String> {
    features::names().map(String::from).collect()
}

/// The feature-set id as 16 hex digits.
#[wasm_bindgen(js_name = featureSetId)]
pub fn feature_set_id() -> String {
    format!("{FEATURE_SET_ID:016x}")
}
