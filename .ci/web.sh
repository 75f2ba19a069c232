# The web app's CI functions (web/ → www-dist/). Source after lib.sh; don't run it.
#   web_ci     tools, wasm lints, browser tests, release build, end-to-end test, sizes (.ci/test)
#   web_main   tools, release build with the production model's data, sizes, serve (.ci/main)
# Tool versions and pitfalls: ../shared/TOOLCHAIN.md.

TRUNK_VERSION=0.21.14
export TRUNK_SKIP_VERSION_CHECK=true
WWW_DIST="$ROOT/www-dist"

need_trunk() {
  if [ "$(trunk --version 2>/dev/null)" != "trunk $TRUNK_VERSION" ]; then
    echo "installing trunk $TRUNK_VERSION (about 11 minutes on 2 cores, once)"
    cargo install trunk --version "$TRUNK_VERSION" --locked
  fi
}

# binaryen 132 (wasm-opt for trunk) and playwright-core, pinned in package-lock.json.
need_web_npm() {
  if [ "$(wasm-opt --version 2>/dev/null)" != "wasm-opt version 132 (version_132)" ] \
    || [ ! -f "$ROOT/node_modules/playwright-core/package.json" ]; then
    (cd "$ROOT" && npm ci --no-audit --no-fund)
  fi
  case "$(command -v wasm-opt)" in
    "$ROOT/node_modules/.bin/wasm-opt") ;;
    *) echo "wasm-opt on PATH is not binaryen 132 from npm: $(command -v wasm-opt)"; return 1 ;;
  esac
}

web_tools() {
  need_wasm_target
  need_wasm_bindgen
  need_node
  need_chromium
  need_trunk
  need_web_npm
}

# Exports the page's data into www-dist/data. $1: cargo profile for the trainer (dev or
# release); the rest goes to `trainer export-web`.
web_export_data() {
  local profile=$1
  shift
  cargo run -q --profile "$profile" -p trainer -- export-web --out "$WWW_DIST/data" "$@" >/dev/null
}

# trunk build --release into www-dist (it empties the folder, so data come after).
web_build_site() {
  (cd "$ROOT" && trunk build --release)
}

# Gzipped sizes of what the page loads, as Markdown table rows (to stdout).
web_sizes() {
  local f
  printf '| file | bytes | gzip -9 bytes |\n|---|---:|---:|\n'
  for f in "$WWW_DIST"/*.wasm "$WWW_DIST"/*.js "$WWW_DIST"/*.css "$WWW_DIST"/index.html \
    "$WWW_DIST"/data/index.json "$WWW_DIST"/data/model.xgm "$WWW_DIST"/data/model-card.json \
    "$WWW_DIST"/data/competitions/*.json; do
    [ -f "$f" ] || continue
    printf '| %s | %s | %s |\n' "${f#"$WWW_DIST"/}" "$(wc -c <"$f")" "$(gzip -9 -c "$f" | wc -c)"
  done
  local raw=0 gz=0
  for f in "$WWW_DIST"/*.wasm "$WWW_DIST"/*.js; do
    raw=$(( raw + $(wc -c <"$f") ))
    gz=$(( gz + $(gzip -9 -c "$f" | wc -c) ))
  done
  printf '| **wasm + JS** | %s | %s |\n' "$raw" "$gz"
}

web_ci() {
  step "web: tools (trunk, binaryen 132 and playwright-core from npm, Chromium)"
  web_tools
  done_step

  step "web: clippy for wasm32"
  cargo clippy -p web --target wasm32-unknown-unknown --all-targets -- -D warnings
  done_step

  step "web: wasm-bindgen tests in headless Chromium (components, golden bits, pointer input)"
  cargo test -p web --target wasm32-unknown-unknown
  done_step

  step "web: trunk build --release into www-dist, data exported by the trainer"
  web_build_site
  if [ -f "$ROOT/.xgoals/registry/production.json" ]; then
    web_export_data dev --competition World_Cup --competition European_Championship
  else
    echo "no production model in .xgoals/registry: exporting the test model"
    web_export_data dev --model "$ROOT/testdata/models/test-model.xgm" \
      --competition World_Cup --competition European_Championship
  fi
  web_sizes
  done_step

  step "web: end to end in headless Chromium (playwright-core, Debian's chromium)"
  cargo build -q -p web --example xg_for_url
  XGOALS_NATIVE_XG="$TARGET_DIR/debug/examples/xg_for_url" \
    XGOALS_SCREENSHOTS="$TARGET_DIR/web-screenshots" \
    XGOALS_WEB_BENCH_OUT="$TARGET_DIR/web-bench.json" \
    node --test "$ROOT/web/e2e/e2e.test.mjs"
  echo "screenshots in $TARGET_DIR/web-screenshots, latencies in $TARGET_DIR/web-bench.json"
  done_step
}

web_main() {
  step "web: tools (trunk, binaryen 132 and playwright-core from npm, Chromium)"
  web_tools
  done_step

  step "web: trunk build --release into www-dist, production model and all competitions"
  web_build_site
  web_export_data release
  web_sizes
  done_step

  if [ "${XGOALS_NO_SERVE:-}" = "1" ]; then
    echo "www-dist is ready (XGOALS_NO_SERVE=1: not serving it)"
    return
  fi
  step "web: serving www-dist (Ctrl-C to stop)"
  node "$ROOT/web/e2e/serve.mjs" "$WWW_DIST" "${XGOALS_WEB_PORT:-8080}"
}
