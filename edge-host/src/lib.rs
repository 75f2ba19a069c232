//! # edge-host
//!
//! The xgoals Lambda: it reads shot records from Kinesis, scores them with `scorer.wasm`
//! running inside wasmtime, and writes the xG values back out. The model comes from S3 as the
//! scorer's own binary format (`docs/MODEL_FORMAT.md`).
//!
//! This crate so far holds the scoring core, [`guest`]: one [`ScorerEngine`] per process
//! (wasmtime `Engine`, the compiled or precompiled `scorer.wasm` module and a pre-linked
//! instance template) and [`ScorerInstance`]s that load a model into the guest and score
//! batches of shots, with a fuel budget and a memory cap on every call. A shot the scorer
//! rejects is a per-record outcome ([`Rejected`]); a trap or exhausted fuel is a
//! [`GuestError`] for that call, after which the instance is re-created.
//!
//! `scorer.wasm` is built from the workspace's `scorer` crate by `build.rs` and embedded, so
//! the host always runs the scorer of the same commit, which is also the one its tests check
//! against the golden vectors.
//!
//! Dependencies: `scorer` (for [`scorer::Shot`], the flat layout and [`scorer::FEATURE_SET_ID`])
//! and `wasmtime`. The AWS SDK and the Lambda runtime will live in the binary, not in this
//! scoring core.

pub mod guest;

pub use guest::{
    FuelBudget, GuestError, HostConfig, Rejected, ScorerEngine, ScorerInstance, Scores, SCORER_WASM,
};
