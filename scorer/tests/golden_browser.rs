//! Golden vectors under wasm32 in headless Chromium (`wasm-bindgen-test-runner` drives it
//! through chromedriver).
#![cfg(target_arch = "wasm32")]

mod common;

use wasm_bindgen_test::{wasm_bindgen_test, wasm_bindgen_test_configure};

wasm_bindgen_test_configure!(run_in_browser);

#[wasm_bindgen_test]
fn golden_vectors_match_bit_for_bit_in_the_browser() {
    assert!(common::check_golden() >= 500);
}
