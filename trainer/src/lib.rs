//! # trainer
//!
//! The ML side of xgoals as a library behind the `trainer` CLI: raw Wyscout events → shot
//! table (through `scorer`, which owns every feature) → match-grouped split → gbdt
//! hyperparameter search → evaluation → a versioned model in a registry with a `production`
//! alias.
//!
//! StatsBomb match files can be evaluated too (`statsbomb`), against the provider's own xG.
//!
//! Depends on `scorer` (with its `wyscout` and `statsbomb` features), `gbdt` for fitting, `web` natively (its
//! `data` module defines the files `export-web` writes), and ordinary CLI crates. Nothing
//! depends on it.

pub mod allocator;
pub mod bins;
pub mod boost;
pub mod dataset;
pub mod evaluate;
pub mod export;
pub mod export_web;
pub mod ingest;
pub mod kinds;
pub mod logistic;
pub mod metrics;
pub mod pipeline;
pub mod promote;
pub mod registry;
pub mod report;
pub mod search;
pub mod split;
pub mod statsbomb;
pub mod train;
