//! Golden vectors under wasm32 in node (`cargo test --target wasm32-unknown-unknown -p scorer`,
//! runner `wasm-bindgen-test-runner`).
#![cfg(target_arch = "wasm32")]

mod common;

use wasm_bindgen_test::wasm_bindgen_test;

#[wasm_bindgen_test]
fn golden_vectors_match_bit_for_bit_in_node() {
    assert!(common::check_golden() >= 500);
}
