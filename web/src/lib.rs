//! # web
//!
//! The xgoals web page: a Leptos client-side app built by trunk into `www-dist/` (see
//! `Trunk.toml` at the workspace root). Fans open a match and see every shot with its xG;
//! analysts drag a shot around a pitch and watch its xG change. Every xG on the page is
//! computed in the browser by the `scorer` crate from the shot *inputs* that
//! `trainer export-web` writes, with the exported model, so the page shows the same bits as
//! every other scorer host.
//!
//! - [`state`]: the URL state (view, competition, match, the analyst's shot) and its
//!   validation;
//! - [`data`]: the exported files (`index.json`, `model-card.json`, `competitions/<id>.json`):
//!   their layout, defined once here for the page and `trainer export-web` alike;
//! - [`json`]: the small JSON reader they are read with (no serde in the wasm);
//! - [`score`]: the one path from a shot to the xG the page shows;
//! - [`stats`]: match totals, the xG race, team and player tables;
//! - [`surface`]: the xG surface over the attacking half and its colour scale;
//! - `app` (wasm32 only): the Leptos components.
//!
//! Depends on `scorer` (pitch, shot, model) and, in the browser, on `leptos`, `web-sys` and
//! `wasm-bindgen`; `serde_json` only in tests. Pitch dimensions come only from
//! `scorer::pitch`. Natively the crate is its pure logic, so `cargo test -p web` checks it
//! without a browser; `cargo test -p web --target wasm32-unknown-unknown` runs the browser
//! tests in headless Chromium.

pub mod data;
pub mod json;
pub mod score;
pub mod state;
pub mod stats;
pub mod surface;

#[cfg(target_arch = "wasm32")]
pub mod app;

/// Mounts the app on the page's `<body>` (the binary's entry point).
#[cfg(target_arch = "wasm32")]
pub fn start() {
    console_error_panic_hook::set_once();
    leptos::mount::mount_to_body(app::App);
}
