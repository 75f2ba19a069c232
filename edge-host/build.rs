//! Builds `scorer.wasm` for the host to embed.
//!
//! A nested `cargo build -p scorer --target wasm32-unknown-unknown --release --locked
//! --features relaxed-simd` (the one-shot evaluator that needs relaxed SIMD, which wasmtime has)
//! runs
//! with its own target directory under `OUT_DIR`, so it never waits for the lock on the outer
//! build's target directory (no deadlock under `cargo test`, `cargo clippy` or `cargo bench`).
//! Environment that the outer cargo sets for build scripts, or that selects wrappers, flags or
//! targets for the *native* build, is removed first so it cannot leak into the wasm build;
//! the jobserver (`CARGO_MAKEFLAGS`) is kept so both builds share the same job slots.
//!
//! The path of the result reaches the crate as `env!("SCORER_WASM_PATH")`.

use std::env;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};

/// Variables removed by exact name before running the nested cargo.
const REMOVED_VARS: &[&str] = &[
    "RUSTC_WORKSPACE_WRAPPER",
    "RUSTC_WRAPPER",
    "CARGO_BUILD_RUSTC_WRAPPER",
    "CARGO_BUILD_RUSTC_WORKSPACE_WRAPPER",
    "CARGO_TARGET_DIR",
    "CARGO_BUILD_TARGET_DIR",
    "RUSTFLAGS",
    "CARGO_ENCODED_RUSTFLAGS",
    "CARGO_BUILD_RUSTFLAGS",
    "CARGO_BUILD_TARGET",
    "CARGO_PRIMARY_PACKAGE",
    "CARGO_CRATE_NAME",
    "CARGO_TARGET_TMPDIR",
];

/// Variables removed by prefix: what cargo sets to describe *this* package and target.
const REMOVED_PREFIXES: &[&str] = &[
    "CARGO_FEATURE_",
    "CARGO_CFG_",
    "CARGO_MANIFEST_",
    "CARGO_PKG_",
];

const WASM_TARGET: &str = "wasm32-unknown-unknown";

fn main() {
    let manifest_dir = PathBuf::from(env::var_os("CARGO_MANIFEST_DIR").expect("set by cargo"));
    let workspace = manifest_dir
        .parent()
        .expect("edge-host lives one level below the workspace root")
        .to_path_buf();
    let out_dir = PathBuf::from(env::var_os("OUT_DIR").expect("set by cargo"));
    let target_dir = out_dir.join("scorer-wasm-target");

    for path in [
        "scorer/src",
        "scorer/Cargo.toml",
        "Cargo.lock",
        "Cargo.toml",
    ] {
        println!("cargo:rerun-if-changed={}", workspace.join(path).display());
    }

    let cargo = env::var_os("CARGO").unwrap_or_else(|| "cargo".into());
    let mut cmd = Command::new(&cargo);
    cmd.args([
        "build",
        "-p",
        "scorer",
        "--target",
        WASM_TARGET,
        "--release",
        "--locked",
        // The one-shot evaluator for engines with relaxed SIMD, as wasmtime is.
        "--features",
        "relaxed-simd",
    ])
    .arg("--manifest-path")
    .arg(workspace.join("Cargo.toml"))
    .arg("--target-dir")
    .arg(&target_dir)
    .current_dir(&workspace)
    // Keep cargo's own output off stdout: only `cargo:` directives belong there.
    .stdout(Stdio::from(std::io::stderr()));
    for name in REMOVED_VARS {
        cmd.env_remove(name);
    }
    for (name, _) in env::vars_os() {
        if let Some(name) = name.to_str() {
            if REMOVED_PREFIXES.iter().any(|p| name.starts_with(p)) {
                cmd.env_remove(name);
            }
        }
    }

    let status = cmd.status().unwrap_or_else(|e| {
        fail(&format!(
            "could not run `{}` to build scorer.wasm: {e}",
            Path::new(&cargo).display()
        ))
    });
    if !status.success() {
        fail(&format!(
            "`cargo build -p scorer --target {WASM_TARGET} --release --locked` failed ({status}); \
             its output is above. If it says the target may not be installed, run \
             `rustup target add {WASM_TARGET}` (rust-toolchain.toml lists it). If it says the \
             lock file needs updating, run `cargo update -w` and commit Cargo.lock."
        ));
    }

    let wasm = target_dir
        .join(WASM_TARGET)
        .join("release")
        .join("scorer.wasm");
    if !wasm.is_file() {
        fail(&format!(
            "the scorer build succeeded but {} is missing",
            wasm.display()
        ));
    }
    println!("cargo:rustc-env=SCORER_WASM_PATH={}", wasm.display());
}

fn fail(message: &str) -> ! {
    eprintln!("error: edge-host build script: {message}");
    panic!("building scorer.wasm failed: {message}");
}
