//! # edge-host
//!
//! The xgoals Lambda: it reads shot records from a Kinesis stream, scores them with
//! `scorer.wasm` running inside wasmtime, and writes predictions to an output stream; invalid
//! records go to a dead-letter destination with their reason, and records that could not be
//! written are returned as batch item failures, so nothing is lost or silently dropped.
//!
//! - [`guest`]: the scoring core — one [`ScorerEngine`] per process (compiled or precompiled
//!   `scorer.wasm`, pre-linked), [`ScorerInstance`]s with fuel and memory limits.
//! - [`kpl`]: KPL aggregates (many user records in one Kinesis record) split into their
//!   records.
//! - [`record`]: the input formats (Wyscout and StatsBomb events, bare or with the events
//!   before them; xgoals shot JSON; the original system's distance/angle record) → a
//!   validated `scorer::Shot`.
//! - [`output`]: the prediction and dead-letter records, byte-for-byte deterministic.
//! - [`registry`]: the production (or a pinned) model from the trainer's registry in S3 or a
//!   folder, checked by sha256 and feature-set id.
//! - [`sink`]: Kinesis `PutRecords` with retries, S3 dead letters, stdout, memory.
//! - [`drift`]: the rolling window, PSI against the manifest's references, EMF log lines.
//! - [`handler`]: one invocation, tying the above together; [`poll`]: the event source
//!   mapping on one machine; [`config`]: the environment variables.
//!
//! `scorer.wasm` is built from the workspace's `scorer` crate by `build.rs` and embedded, so
//! the host always runs the scorer of the same commit, which is also the one its tests check
//! against the golden vectors. Nothing in the workspace depends on this crate.

pub mod config;
pub mod drift;
pub mod guest;
pub mod handler;
pub mod kpl;
pub mod output;
pub mod poll;
pub mod record;
pub mod registry;
pub mod sink;

pub use guest::{
    FuelBudget, GuestError, HostConfig, Rejected, ScorerEngine, ScorerInstance, Scores, SCORER_WASM,
};
pub use handler::{Backend, Handler, HandlerConfig};
