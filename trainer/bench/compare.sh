#!/usr/bin/env bash
# Rust trainer vs the original Python approach (pandas + XGBoost + hyperopt), on the same
# rows and match-grouped split. Run `trainer/bench/compare.sh --help` for the details.
set -euo pipefail
export LC_ALL=C

usage() {
    cat <<'EOF'
Usage: trainer/bench/compare.sh [options]

Times the full Rust pipeline (`trainer train`, cold cache: raw Wyscout JSON → shot table →
50-trial search → logistic baseline → ablation → model) against the original Python approach
(XGBoost + hyperopt TPE, 50 evaluations, on the trainer's exported train/valid/test CSVs) with
2 features and with all features, and prints a side-by-side table of wall time, AUC, Brier,
log loss and ECE on the same test matches.

Steps:
  1. Python venv at $XGOALS_BENCH_VENV (default ~/.cache/xgoals/bench-venv); created and
     filled with pinned xgboost, hyperopt, scikit-learn, pandas, numpy if missing or different.
  2. cargo build --release -p trainer
  3. trainer export-features (same seed) into a temp dir (not timed)
  4. trainer train with a fresh, empty --cache-dir (timed; peak RSS via /usr/bin/time -v)
  5. original_approach.py --features two, then --features all (timed)
  6. table (Markdown) on stdout

Options:
  --events-dir DIR   folder with events_*.json.gz (default: <repo>/../shared/data/wyscout,
                     or $XGOALS_EVENTS_DIR)
  --seed N           split / search seed for both sides (default 42)
  --threads N        xgboost nthread for the Python runs (default 2; the Rust trainer uses
                     every core)
  --evals N          hyperopt evaluations (default 50)
  --skip-all         skip the Python all-features run (the one the ≤ 0.5× speed target
                     compares with: the same features and splits as the Rust run)
  --results DIR      also keep the JSON results, logs, manifest and table in DIR
  -h, --help         this help

Environment:
  XGOALS_BENCH_VENV  venv location (default ~/.cache/xgoals/bench-venv)
  XGOALS_EVENTS_DIR  events folder (overridden by --events-dir)
  OMP_WAIT_POLICY    passed through to xgboost; on a busy machine PASSIVE avoids OpenMP
                     spin-waiting, which can slow 2-thread xgboost down many times

Temp files live in one mktemp dir that is removed on exit.
EOF
}

# Versions verified together (Python 3.11).
PINS=(xgboost==3.2.0 hyperopt==0.3.0 scikit-learn==1.9.1 pandas==3.1.1 numpy==2.4.6)

HERE="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
ROOT="$(cd "$HERE/../.." && pwd)"
EVENTS_DIR="${XGOALS_EVENTS_DIR:-$ROOT/../shared/data/wyscout}"
SEED=42
THREADS=2
EVALS=50
SKIP_ALL=0
RESULTS=""

while [[ $# -gt 0 ]]; do
    case "$1" in
        --events-dir) EVENTS_DIR="${2:?--events-dir needs a value}"; shift 2 ;;
        --seed) SEED="${2:?--seed needs a value}"; shift 2 ;;
        --threads) THREADS="${2:?--threads needs a value}"; shift 2 ;;
        --evals) EVALS="${2:?--evals needs a value}"; shift 2 ;;
        --skip-all) SKIP_ALL=1; shift ;;
        --results) RESULTS="${2:?--results needs a value}"; shift 2 ;;
        -h|--help) usage; exit 0 ;;
        *) echo "compare.sh: unknown argument '$1' (see --help)" >&2; exit 2 ;;
    esac
done

log() { printf '[compare] %s\n' "$*" >&2; }
die() { printf 'compare.sh: %s\n' "$*" >&2; exit 1; }

for n in "$SEED" "$THREADS" "$EVALS"; do
    [[ "$n" =~ ^[0-9]+$ ]] || die "'$n' is not a non-negative integer"
done
shopt -s nullglob
EVENTS=("$EVENTS_DIR"/events_*.json.gz)
shopt -u nullglob
[[ ${#EVENTS[@]} -gt 0 ]] || die "no events_*.json.gz in $EVENTS_DIR (use --events-dir)"
command -v cargo >/dev/null || die "cargo not found"

TMP="$(mktemp -d "${TMPDIR:-/tmp}/xgoals-bench.XXXXXX")"
cleanup() { rm -rf "$TMP"; }
trap cleanup EXIT
trap 'exit 130' INT TERM

# ---------------------------------------------------------------- 1. Python venv
VENV="${XGOALS_BENCH_VENV:-$HOME/.cache/xgoals/bench-venv}"
PY="$VENV/bin/python"
pins_ok() {
    [[ -x "$PY" ]] || return 1
    "$PY" - "${PINS[@]}" <<'EOF' >/dev/null 2>&1
import sys
from importlib.metadata import version
for pin in sys.argv[1:]:
    name, want = pin.split("==")
    if version(name) != want:
        sys.exit(1)
import xgboost, hyperopt, sklearn, pandas  # noqa: F401  (importable, not only installed)
EOF
}
if pins_ok; then
    log "venv $VENV: pinned packages present"
else
    log "venv $VENV: installing ${PINS[*]}"
    [[ -x "$PY" ]] || python3 -m venv "$VENV"
    "$PY" -m pip install --quiet --disable-pip-version-check "${PINS[@]}"
    pins_ok || die "venv $VENV: pinned packages still not importable"
fi

# ---------------------------------------------------------------- 2. build
log "cargo build --release -p trainer"
(cd "$ROOT" && cargo build --release -p trainer --quiet)
TRAINER="${CARGO_TARGET_DIR:-$ROOT/target}/release/trainer"
[[ -x "$TRAINER" ]] || die "no trainer binary at $TRAINER"

TIME_V=()
if [[ -x /usr/bin/time ]] && /usr/bin/time -v true >/dev/null 2>&1; then
    TIME_V=(/usr/bin/time -v)
else
    log "/usr/bin/time -v not available: peak memory will not be reported"
fi

now() { date +%s.%N; }
elapsed() { awk -v a="$1" -v b="$2" 'BEGIN { printf "%.3f\n", b - a }'; }
cpu_s() { awk -F': ' '/User time \(seconds\)|System time \(seconds\)/ { s += $2; n++ } END { if (n) printf "%.1f\n", s }' "$1"; }
stamp() {
    local start="${EPOCHREALTIME/./}" line now_us
    while IFS= read -r line; do
        now_us="${EPOCHREALTIME/./}"
        printf '%9.3f %s\n' "$(( now_us - start ))e-6" "$line"
    done
}
peak_kb() { sed -n 's/.*Maximum resident set size (kbytes): \([0-9]*\)$/\1/p' "$1" | tail -1; }

LOAD_BEFORE="$(cut -d' ' -f1-3 /proc/loadavg)"
if awk -v l="${LOAD_BEFORE%% *}" 'BEGIN { exit !(l > 0.5) }'; then
    log "warning: 1-minute load average is $LOAD_BEFORE: other work is running, timings will be noisy"
    log "         (2-thread xgboost suffers most: OpenMP spin-waits; OMP_WAIT_POLICY=PASSIVE helps)"
fi

# ---------------------------------------------------------------- 3. features (not timed)
log "export-features (seed $SEED) → $TMP/features"
"$TRAINER" export-features --events "${EVENTS[@]}" --out "$TMP/features" --seed "$SEED" \
    --cache-dir "$TMP/export-cache" >"$TMP/export.log" 2>&1 || { cat "$TMP/export.log" >&2; die "export-features failed"; }

# ---------------------------------------------------------------- 4. Rust, cold cache
mkdir "$TMP/train-cache"
log "trainer train (cold cache, seed $SEED) …"
t0="$(now)"
# Every output line is stamped with seconds since the start, for the phase breakdown.
"${TIME_V[@]}" "$TRAINER" train --events "${EVENTS[@]}" --out "$TMP/rust-run" --seed "$SEED" \
    --cache-dir "$TMP/train-cache" 2>&1 | stamp >"$TMP/rust.log" || { tail -30 "$TMP/rust.log" >&2; die "trainer train failed"; }
t1="$(now)"
RUST_WALL="$(elapsed "$t0" "$t1")"
RUST_PEAK_KB="$(peak_kb "$TMP/rust.log")"
cpu_s "$TMP/rust.log" >"$TMP/rust.cpu"
log "$(grep -E ' == m-' "$TMP/rust.log" | tail -1 || true)"

# ---------------------------------------------------------------- 5. Python
run_py() { # name features
    local name="$1" features="$2" t0 t1
    log "python original approach, $features features ($EVALS evaluations, $THREADS threads) …"
    t0="$(now)"
    "${TIME_V[@]}" "$PY" "$HERE/original_approach.py" --data "$TMP/features" --features "$features" \
        --threads "$THREADS" --evals "$EVALS" --seed "$SEED" >"$TMP/$name.json" 2>"$TMP/$name.log" \
        || { cat "$TMP/$name.log" >&2; die "original_approach.py --features $features failed"; }
    t1="$(now)"
    elapsed "$t0" "$t1" >"$TMP/$name.wall"
    peak_kb "$TMP/$name.log" >"$TMP/$name.peak"
    cpu_s "$TMP/$name.log" >"$TMP/$name.cpu"
    log "$(grep -E 'test AUC' "$TMP/$name.log" | tail -1 || true)"
}
run_py py-two two
if [[ $SKIP_ALL -eq 0 ]]; then run_py py-all all; fi

LOAD_AFTER="$(cut -d' ' -f1-3 /proc/loadavg)"

# ---------------------------------------------------------------- 6. table
printf '%s\n' "$RUST_WALL" >"$TMP/rust.wall"
printf '%s\n' "${RUST_PEAK_KB:-}" >"$TMP/rust.peak"
"$PY" - "$TMP/info.json" "$SEED" "$THREADS" "$EVALS" "$LOAD_BEFORE" "$LOAD_AFTER" "$(nproc)" <<'EOF'
import json, sys
path, seed, threads, evals, load0, load1, cores = sys.argv[1:]
json.dump({"seed": int(seed), "threads": int(threads), "evals": int(evals), "load_before": load0,
           "load_after": load1, "cores": int(cores)}, open(path, "w"))
EOF
TABLE="$("$PY" "$HERE/table.py" "$TMP")"

echo "$TABLE"

if [[ -n "$RESULTS" ]]; then
    mkdir -p "$RESULTS"
    cp "$TMP"/*.log "$TMP"/*.json "$TMP"/*.wall "$TMP"/*.cpu "$TMP"/*.peak "$RESULTS"/ 2>/dev/null || true
    mkdir -p "$RESULTS/rust-run"
    cp "$TMP/rust-run/manifest.json" "$RESULTS/rust-run/manifest.json"
    printf '%s\n' "$TABLE" >"$RESULTS/table.md"
    log "results kept in $RESULTS"
fi
