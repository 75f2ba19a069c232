//! Lambda handler throughput and cold start.
//!
//! `cargo bench -p edge-host --bench handler` (the bench profile: release, LTO). Results go in
//! `docs/BENCHMARKS.md`.
//!
//! - **Throughput**: [`Handler::process`] — decode the JSON record, build the shot, compute
//!   features, score, encode the output record; sinks excluded — on batches of 100, 1,000 and
//!   10,000 records, with `scorer.wasm` in wasmtime and with the native scorer in the same
//!   run. Records are real World Cup shots from `../shared/data` (read in place) in three
//!   formats: Wyscout events with the 5 events before them, the Wyscout shot event alone, and
//!   the original system's distance/angle records; and the shots of the three StatsBomb
//!   matches, with the 15 events before them and alone; and the Wyscout records with context
//!   packed 20 to a KPL aggregate (the KPL's default 50 KB aggregate holds about 20 of them),
//!   counted in user records. One thread, so records/s is per core.
//! - **Cold start**: the `edge-host` binary started afresh, `invoke` on
//!   `testdata/events/kinesis-mixed.json`, from process start to the first scored batch, with the
//!   module compiled by Cranelift and with the precompiled `.cwasm`; the model read (a local
//!   registry file here; S3 is timed by the Lambda's `ready` log line) is reported separately.
//!
//! The model is the production model of `./.xgoals/registry` (run `bash .ci/main` first), or the
//! repo's fixed test model if there is none.

mod common;
/// The integration tests' fixtures: the same real records and handlers.
#[path = "../tests/common/mod.rs"]
mod fixtures;

use common::{ms, time, Timing};
use edge_host::handler::RecordIn;
use edge_host::registry::{self, FetchedModel};
use fixtures::{
    kpl_aggregate, record_batch, repo_path, statsbomb_records, wasm_and_native_handlers,
    world_cup_records,
};
use std::path::PathBuf;
use std::process::Command;
use std::time::Instant;

const REPS: usize = 9;
const COLD_REPS: usize = 15;

/// The production model's version folder, if the main job has made one.
fn production_dir() -> Option<PathBuf> {
    let reg = repo_path(".xgoals/registry");
    let alias = std::fs::read_to_string(reg.join("production.json")).ok()?;
    let v: serde_json::Value = serde_json::from_str(&alias).ok()?;
    Some(reg.join("versions").join(v["version"].as_str()?))
}

fn model() -> (FetchedModel, String) {
    let rt = tokio::runtime::Builder::new_current_thread()
        .build()
        .unwrap();
    match production_dir() {
        Some(dir) => {
            let m = rt
                .block_on(registry::fetch_path(&dir))
                .expect("production model");
            let label = format!("production model {}", m.version);
            (m, label)
        }
        None => {
            let m = rt
                .block_on(registry::fetch_path(&repo_path(
                    "testdata/models/test-model.xgm",
                )))
                .unwrap();
            (m, "the fixed test model (no production model found)".into())
        }
    }
}

fn main() {
    let (model, label) = model();
    let records = world_cup_records();
    let (statsbomb_wrapped, statsbomb_bare) = statsbomb_records();
    let (mut wasm, mut native) = wasm_and_native_handlers(model.clone());

    println!();
    println!(
        "Handler::process (decode + features + score + encode, sinks excluded), {label}; \
         {} real World Cup shots and {} StatsBomb shots cycled; median of {REPS} runs; one \
         thread.",
        records.wrapped.len(),
        statsbomb_bare.len()
    );
    println!();
    println!("| records | batch | wasmtime records/s | native records/s | wasmtime / native |");
    println!("|---|---:|---:|---:|---:|");
    let inputs: [(&str, &MakeBatch); 6] = [
        ("Wyscout event + 5 before", &plain(&records.wrapped)),
        ("Wyscout event alone", &plain(&records.bare)),
        ("original distance/angle", &plain(&records.original)),
        ("StatsBomb event + 15 before", &plain(&statsbomb_wrapped)),
        ("StatsBomb event alone", &plain(&statsbomb_bare)),
        ("Wyscout event + 5 before, 20 to a KPL aggregate", &|n| {
            kpl_batch(&records.wrapped, n, 20)
        }),
    ];
    for (name, make) in inputs {
        for n in [100, 1_000, 10_000] {
            let input = make(n);
            // Same output bytes from both backends, or the comparison means nothing.
            let a = wasm.process(&input).unwrap();
            let b = native.process(&input).unwrap();
            assert_eq!(
                a.predictions, b.predictions,
                "wasm and native outputs differ"
            );
            assert!(a.dead_letters.is_empty(), "all benchmark records are valid");
            assert_eq!(a.predictions.len(), n);
            let reps = if n == 10_000 { REPS } else { REPS * 3 };
            let mut tw = Vec::new();
            let mut tn = Vec::new();
            // Round-robin so machine noise spreads over both.
            for _ in 0..reps {
                let t: Timing = time(1, || {
                    std::hint::black_box(wasm.process(&input).unwrap());
                });
                tw.push(t.median);
                let t: Timing = time(1, || {
                    std::hint::black_box(native.process(&input).unwrap());
                });
                tn.push(t.median);
            }
            let (w, nat) = (Timing::of(tw).median, Timing::of(tn).median);
            println!(
                "| {name} | {n} | {:.0} | {:.0} | {:.2}× |",
                n as f64 / w.as_secs_f64(),
                n as f64 / nat.as_secs_f64(),
                w.as_secs_f64() / nat.as_secs_f64()
            );
        }
    }
    cold_start();
}

/// Makes a batch of `n` user records.
type MakeBatch<'a> = dyn Fn(usize) -> Vec<RecordIn> + 'a;

/// `n` records cycling through `records`, one to a Kinesis record.
fn plain(records: &[Vec<u8>]) -> impl Fn(usize) -> Vec<RecordIn> + '_ {
    move |n| record_batch(records, n)
}

/// `n` user records cycling through `records`, packed `per` to a KPL aggregate.
fn kpl_batch(records: &[Vec<u8>], n: usize, per: usize) -> Vec<RecordIn> {
    let users = record_batch(records, n);
    let mut out = record_batch(&[Vec::new()], n.div_ceil(per));
    for (agg, chunk) in out.iter_mut().zip(users.chunks(per)) {
        agg.data = kpl_aggregate(chunk);
    }
    out
}

/// Median of a field of the `invoke` timing line over fresh processes.
fn cold_start() {
    let bin = env!("CARGO_BIN_EXE_edge-host");
    let dir = std::env::temp_dir().join(format!("edge-host-bench-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let cwasm = dir.join("scorer.cwasm");
    let status = Command::new(bin)
        .args(["precompile", "--out"])
        .arg(&cwasm)
        .output()
        .unwrap();
    assert!(status.status.success());
    let model_arg = production_dir().unwrap_or_else(|| repo_path("testdata/models/test-model.xgm"));
    println!();
    println!(
        "Cold start: a fresh `edge-host invoke` process per run on testdata/events/kinesis-mixed.json \
         (9 records), median of {COLD_REPS} (fastest in brackets), ms."
    );
    println!();
    println!("| module | process start → first scored batch (wall) | main → first scored batch | of which engine | of which model read (local file) | first batch |");
    println!("|---|---:|---:|---:|---:|---:|");
    for precompiled in [false, true] {
        let mut wall = Vec::new();
        let mut fields: Vec<Vec<f64>> = vec![Vec::new(); 4];
        for _ in 0..COLD_REPS {
            let mut cmd = Command::new(bin);
            cmd.args(["invoke", "--event"])
                .arg(repo_path("testdata/events/kinesis-mixed.json"))
                .arg("--model")
                .arg(&model_arg)
                .env_remove("XGOALS_REGISTRY")
                .env_remove("XGOALS_OUTPUT_STREAM")
                .env_remove("XGOALS_DEAD_LETTER");
            if precompiled {
                cmd.env("XGOALS_PRECOMPILED_MODULE", &cwasm);
            } else {
                cmd.env_remove("XGOALS_PRECOMPILED_MODULE");
            }
            let start = Instant::now();
            let out = cmd.output().unwrap();
            wall.push(start.elapsed());
            assert!(out.status.success());
            let stderr = String::from_utf8_lossy(&out.stderr);
            let line = stderr
                .lines()
                .find(|l| l.contains("\"timing\""))
                .expect("timing line");
            let v: serde_json::Value = serde_json::from_str(line).unwrap();
            for (k, key) in [
                "to_first_scored_batch_ms",
                "engine_ms",
                "model_fetch_ms",
                "first_batch_ms",
            ]
            .iter()
            .enumerate()
            {
                fields[k].push(v["timing"][key].as_f64().unwrap());
            }
        }
        let wall = Timing::of(wall);
        let med = |mut v: Vec<f64>| {
            v.sort_by(f64::total_cmp);
            (v[v.len() / 2], v[0])
        };
        let cells: Vec<String> = fields
            .into_iter()
            .map(|f| {
                let (m, lo) = med(f);
                format!("{m:.2} ({lo:.2})")
            })
            .collect();
        println!(
            "| {} | {:.1} ({:.1}) | {} |",
            if precompiled {
                "precompiled .cwasm"
            } else {
                "compiled (Cranelift)"
            },
            ms(wall.median),
            ms(wall.min),
            cells.join(" | ")
        );
    }
    let _ = std::fs::remove_dir_all(&dir);
}
