//! Small inputs cut from the shared Wyscout data at test time (nothing is copied into the repo).
#![allow(dead_code)]

use std::io::Read;
use std::path::{Path, PathBuf};

pub fn shared(name: &str) -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("../../shared/data/wyscout")
        .join(name)
}

/// The first `n` matches of a competition, written as `dir/events_<competition>.json`.
pub fn cut(dir: &Path, competition: &str, n: usize) -> PathBuf {
    let mut text = String::new();
    let src = shared(&format!("events_{competition}.json.gz"));
    flate2::read::GzDecoder::new(std::fs::File::open(src).unwrap())
        .read_to_string(&mut text)
        .unwrap();
    let events: Vec<serde_json::Value> = serde_json::from_str(&text).unwrap();
    let mut ids: Vec<u64> = events
        .iter()
        .map(|e| e["matchId"].as_u64().unwrap())
        .collect();
    ids.dedup();
    let keep: std::collections::HashSet<u64> = ids.into_iter().take(n).collect();
    let small: Vec<_> = events
        .iter()
        .filter(|e| keep.contains(&e["matchId"].as_u64().unwrap()))
        .collect();
    let path = dir.join(format!("events_{competition}.json"));
    std::fs::write(&path, serde_json::to_string(&small).unwrap()).unwrap();
    path
}

/// A tiny search space so fits stay quick (few bins, early stopping after 3 trees).
pub const TINY_SPACE: &str = "version = 3\ntrials = 3\nrung_train_shares = [0.5, 1.0]\nrung_keep_shares = [0.5]\nmax_bins = 16\nearly_stopping_trees = 3\n[max_depth]\nvalues = [2, 3]\n[shrinkage]\nmin = 0.1\nmax = 0.2\n[min_leaf_size]\nmin = 5\nmax = 20\n[learning_budget]\nmin = 2.0\nmax = 3.0\n[iterations]\nmin = 10\nmax = 20\n";

/// Runs the `trainer` binary in `dir`: (success, stdout, stderr).
pub fn run_trainer(dir: &Path, args: &[&str]) -> (bool, String, String) {
    let out = std::process::Command::new(env!("CARGO_BIN_EXE_trainer"))
        .current_dir(dir)
        .args(args)
        .output()
        .unwrap();
    (
        out.status.success(),
        String::from_utf8_lossy(&out.stdout).into_owned(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}
