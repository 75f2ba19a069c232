//! # scorer
//!
//! The single definition of an xgoals shot, its features and the model evaluator. Everything
//! that shows an xG number (the trainer's evaluation, the Lambda through `scorer.wasm`, the web
//! page) calls this crate, so the same shot gets the same bits everywhere.
//!
//! - [`pitch`]: pitch constants and geometry (coordinate convention documented there);
//! - [`shot`]: the validated [`Shot`] and its flat 32-byte wire layout;
//! - [`context`]: the pre-shot context rules every data provider's events go through;
//! - [`features`]: the feature table, [`FEATURE_SET_ID`];
//! - [`model`]: the binary model format (`docs/MODEL_FORMAT.md`) and the evaluator;
//! - [`legacy`]: shots from the original system's `{distance_to_goal, angle_to_goal}` record;
//! - `json` (feature `serde`): xgoals' own shot JSON;
//! - `wyscout` (feature `wyscout`): shots from raw Wyscout events, leak-free;
//! - `statsbomb` (feature `statsbomb`): shots from StatsBomb open-data events, leak-free;
//! - `abi` (feature `abi`): the plain exports of `scorer.wasm` (`docs/WASM_ABI.md`), compiled
//!   only for wasm32; its version and status constants on every target, for hosts;
//! - `js` (feature `js`): the wasm-bindgen API for JavaScript pages.
//!
//! Dependencies: `libm` always; `serde`/`serde_json` and `wasm-bindgen` only behind features.
//! It depends on nothing else of ours and must stay light: no async runtime, SDK, CLI or
//! training crates. Transcendental functions come from `libm`, never `std`.

pub mod context;
pub mod features;
pub mod legacy;
pub mod model;
pub mod pitch;
pub mod registry_layout;
pub mod shot;

#[cfg(feature = "serde")]
pub mod json;

#[cfg(feature = "wyscout")]
pub mod wyscout;

#[cfg(feature = "statsbomb")]
pub mod statsbomb;

#[cfg(feature = "synth")]
pub mod synth;

#[cfg(feature = "abi")]
pub mod abi;

#[cfg(feature = "js")]
pub mod js;

pub use features::{extract, FeatureRow, FEATURES, FEATURE_SET_ID, N_FEATURES};
pub use model::{Model, ModelError};
pub use pitch::Point;
pub use shot::{BodyPart, Context, Shot, ShotError, ShotFields, ShotKind};
