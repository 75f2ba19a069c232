#!/usr/bin/env bash
# Builds the Lambda package for the provided.al2023 runtime:
#
#   bash edge-host/scripts/package.sh            # x86_64 → target/lambda/edge-host/bootstrap.zip
#   bash edge-host/scripts/package.sh --arm64    # arm64  → target/lambda/edge-host-arm64/bootstrap.zip
#
# The zip holds `bootstrap` (the edge-host binary; Lambda runs it with no arguments, which
# starts the runtime loop) and `scorer.cwasm`: scorer.wasm precompiled for the target, which
# edge-host finds through $LAMBDA_TASK_ROOT and deserialises at cold start instead of
# compiling (docs/BENCHMARKS.md has both costs). For x86_64 the shipped binary precompiles it
# itself; arm64 is cross-built with cargo-lambda + zig (installed from PyPI into a venv,
# skipped when present) and its scorer.cwasm comes from an x86_64 build of the same wasmtime
# with the `cross-precompile` feature (Cranelift's arm64 backend). Set XGOALS_CHECK_ARM64=1 to
# run the arm64 package under qemu-user (Debian's qemu-user + libc6-arm64-cross) as a check.
set -euo pipefail
ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
cd "$ROOT"
TARGET_DIR=${CARGO_TARGET_DIR:-$ROOT/target}

zip_dir() { # zip_dir DIR OUT.zip — bootstrap keeps its executable bit
  python3 - "$1" "$2" <<'PY'
import os, sys, zipfile
src, out = sys.argv[1], sys.argv[2]
with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as z:
    for name in sorted(os.listdir(src)):
        info = zipfile.ZipInfo(name, date_time=(1980, 1, 1, 0, 0, 0))
        info.external_attr = (0o755 if name == "bootstrap" else 0o644) << 16
        info.compress_type = zipfile.ZIP_DEFLATED
        with open(os.path.join(src, name), "rb") as f:
            z.writestr(info, f.read())
PY
}

if [ "${1:-}" = "--arm64" ]; then
  VENV=${XGOALS_CARGO_LAMBDA_VENV:-$HOME/.cache/xgoals/cargo-lambda-venv}
  if [ ! -x "$VENV/bin/cargo-lambda" ]; then
    echo "installing cargo-lambda and ziglang into $VENV"
    python3 -m venv "$VENV"
    "$VENV/bin/pip" install -q cargo-lambda ziglang
  fi
  rustup target list --installed | grep -qx aarch64-unknown-linux-gnu \
    || rustup target add aarch64-unknown-linux-gnu
  PATH="$VENV/bin:$PATH" cargo lambda build --release --arm64 -p edge-host --bin edge-host \
    --lambda-dir "$TARGET_DIR/lambda-build-arm64"
  OUT="$TARGET_DIR/lambda/edge-host-arm64"
  BIN="$TARGET_DIR/lambda-build-arm64/edge-host/bootstrap"
  mkdir -p "$OUT/pkg"
  rm -f "$OUT/pkg/"*
  cp "$BIN" "$OUT/pkg/bootstrap"
  PRECOMPILER_DIR="$TARGET_DIR/precompiler"
  cargo build --release -p edge-host --bin edge-host --features cross-precompile \
    --target-dir "$PRECOMPILER_DIR"
  "$PRECOMPILER_DIR/release/edge-host" precompile --target aarch64-unknown-linux-gnu \
    --out "$OUT/pkg/scorer.cwasm"
  if [ "${XGOALS_CHECK_ARM64:-}" = "1" ]; then
    echo "checking the arm64 bootstrap and its scorer.cwasm under qemu-aarch64"
    LAMBDA_TASK_ROOT="$OUT/pkg" qemu-aarch64 -L /usr/aarch64-linux-gnu "$OUT/pkg/bootstrap" \
      invoke --event testdata/events/kinesis-mixed.json --model testdata/models/test-model.xgm \
      > "$OUT/qemu-check.out" 2> "$OUT/qemu-check.err"
    grep -q '"module":"precompiled"' "$OUT/qemu-check.err" \
      || { echo "error: the arm64 bootstrap did not load scorer.cwasm" >&2; exit 1; }
    grep -q '"batchItemFailures":\[\]' "$OUT/qemu-check.out" \
      || { echo "error: the arm64 bootstrap did not answer the test event" >&2; exit 1; }
    echo "arm64 bootstrap scored the test event with the precompiled scorer.cwasm"
  fi
else
  cargo build --release -p edge-host --bin edge-host
  OUT="$TARGET_DIR/lambda/edge-host"
  BIN="$TARGET_DIR/release/edge-host"
  mkdir -p "$OUT/pkg"
  rm -f "$OUT/pkg/"*
  cp "$BIN" "$OUT/pkg/bootstrap"
  "$OUT/pkg/bootstrap" precompile --out "$OUT/pkg/scorer.cwasm"
  # provided.al2023 has glibc 2.34: the binary must not need anything newer.
  NEWEST=$(objdump -T "$OUT/pkg/bootstrap" 2>/dev/null | grep -o 'GLIBC_[0-9.]*' | sort -uV | tail -1 || true)
  echo "newest glibc symbol version needed: ${NEWEST:-unknown}"
  if [ -n "$NEWEST" ] && [ "$(printf '%s\nGLIBC_2.34\n' "$NEWEST" | sort -V | tail -1)" != "GLIBC_2.34" ]; then
    echo "error: bootstrap needs $NEWEST, newer than provided.al2023's glibc 2.34" >&2
    exit 1
  fi
fi
rm -f "$OUT/bootstrap.zip"
zip_dir "$OUT/pkg" "$OUT/bootstrap.zip"
ls -l "$OUT/bootstrap.zip"
sha256sum "$OUT/bootstrap.zip"
