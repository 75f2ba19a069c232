# Shared by .ci/test and .ci/main: find the project, install what is missing (skipping what
# is present), time each step. Source it; don't run it.
set -euo pipefail

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
cd "$ROOT"
export PATH="$HOME/.cargo/bin:$ROOT/node_modules/.bin:$PATH"
export CARGO_TERM_COLOR=${CARGO_TERM_COLOR:-never}

# In CI, keep compiled dependencies in a cache outside the clone so heavy crates (wasmtime)
# compile once per machine; a cold cache still works, it is only slower.
if [ "${CI:-}" = "true" ] && [ -z "${CARGO_TARGET_DIR:-}" ]; then
  export CARGO_TARGET_DIR=/var/tmp/xgoals-cache/target
fi
TARGET_DIR=${CARGO_TARGET_DIR:-$ROOT/target}

# The wasm-bindgen CLI must equal the wasm-bindgen crate version in Cargo.lock.
WASM_BINDGEN_VERSION=$(awk '/^name = "wasm-bindgen"$/ {getline; gsub(/[^0-9.]/, ""); print}' Cargo.lock)

SUDO=""
if [ "$(id -u)" -ne 0 ]; then SUDO=sudo; fi
APT_UPDATED=""

# The local registry's production version (.xgoals/registry/production.json), or nothing.
LOCAL_REGISTRY="$ROOT/.xgoals/registry"
local_production() {
  sed -n 's/.*"version": *"\([^"]*\)".*/\1/p' "$LOCAL_REGISTRY/production.json" 2>/dev/null || true
}

step() { printf '\n==> %s\n' "$*"; STEP_START=$(date +%s); }
done_step() { printf '    (%ss)\n' "$(( $(date +%s) - STEP_START ))"; }

apt_install() {
  if [ -z "$APT_UPDATED" ]; then $SUDO apt-get update -qq; APT_UPDATED=1; fi
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq "$@" >/dev/null
}

need_wasm_target() {
  rustup target list --installed | grep -qx wasm32-unknown-unknown \
    || rustup target add wasm32-unknown-unknown
}

need_wasm_bindgen() {
  if [ "$(wasm-bindgen --version 2>/dev/null)" != "wasm-bindgen $WASM_BINDGEN_VERSION" ]; then
    echo "installing wasm-bindgen-cli $WASM_BINDGEN_VERSION (a few minutes, once)"
    # Not --locked: its lockfile pins a webpki-roots version the registry lacks.
    cargo install wasm-bindgen-cli --version "$WASM_BINDGEN_VERSION"
  fi
}

# wasm-pack builds the JS package; it uses the wasm-bindgen-cli above (same version as the
# crate) and wasm-opt from PATH instead of downloading them.
WASM_PACK_VERSION=0.15.1
need_wasm_pack() {
  if [ "$(wasm-pack --version 2>/dev/null)" != "wasm-pack $WASM_PACK_VERSION" ]; then
    echo "installing wasm-pack $WASM_PACK_VERSION (about 2 minutes, once)"
    cargo install wasm-pack --version "$WASM_PACK_VERSION" --locked
  fi
}

need_node() {
  command -v node >/dev/null || apt_install nodejs npm
}

# moto (S3 + Kinesis emulator, from PyPI) in a venv outside the clone; tests start it
# themselves as a plain process on 127.0.0.1 and stop it when they end.
MOTO_VENV=${XGOALS_MOTO_VENV:-$HOME/.cache/xgoals/venv}
need_moto() {
  if [ ! -x "$MOTO_VENV/bin/moto_server" ]; then
    echo "installing moto[server] into $MOTO_VENV"
    command -v python3 >/dev/null || apt_install python3 python3-venv
    python3 -m venv "$MOTO_VENV" 2>/dev/null || { apt_install python3-venv; python3 -m venv "$MOTO_VENV"; }
    "$MOTO_VENV/bin/pip" install -q 'moto[server]==5.2.5'
  fi
  # A real KPL-format producer library for the local stack's smoke test (it imports six
  # without declaring it).
  if ! "$MOTO_VENV/bin/python" -c 'import aws_kinesis_agg.aggregator' 2>/dev/null; then
    echo "installing aws-kinesis-agg into $MOTO_VENV"
    "$MOTO_VENV/bin/pip" install -q 'aws-kinesis-agg==1.2.3' six
  fi
  export XGOALS_MOTO_SERVER="$MOTO_VENV/bin/moto_server"
  export XGOALS_REQUIRE_EMULATORS=1
}

need_chromium() {
  if ! command -v chromium >/dev/null || ! command -v chromedriver >/dev/null; then
    echo "installing Debian's chromium and chromium-driver"
    apt_install chromium chromium-driver
  fi
}
