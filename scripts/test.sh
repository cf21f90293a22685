#!/usr/bin/env bash
# Every test of the project, with the set-up it needs (idempotent: skips what is there).
set -euo pipefail
cd "$(dirname "$0")/.."

rustup component list --installed 2>/dev/null | grep -q '^clippy' || rustup component add clippy
rustup component list --installed 2>/dev/null | grep -q '^rustfmt' || rustup component add rustfmt
rustup target list --installed | grep -q '^wasm32-unknown-unknown$' || rustup target add wasm32-unknown-unknown
# Headless Chromium for the browser tests comes from Debian, never from a download.
if [ ! -x /usr/bin/chromium ] || [ ! -x /usr/bin/chromedriver ]; then
  SUDO=$([ "$(id -u)" = 0 ] || echo sudo)
  $SUDO apt-get update -qq && $SUDO apt-get install -y -qq chromium chromium-driver >/dev/null
fi

echo "== format and lints"
cargo fmt --all --check
# Every module of the page and the edge shim parses (a syntax error stops the whole page).
for f in www/*.js www/views/*.js edge/worker.js; do node --check "$f"; done
cargo clippy --workspace --all-targets --locked -- -D warnings

echo "== the core builds for wasm32 (no I/O, no platform code)"
cargo build --locked -p btlab --lib --target wasm32-unknown-unknown

echo "== Rust tests"
cargo test --workspace --locked

echo "== the wasm face in headless Chromium (wasm-bindgen-test)"
scripts/build-web.sh
# The page's modules (// @ts-check) against the declarations wasm-bindgen just emitted.
npx tsc -p tsconfig.json
CHROMEDRIVER=/usr/bin/chromedriver CARGO_TARGET_WASM32_UNKNOWN_UNKNOWN_RUNNER=wasm-bindgen-test-runner \
  cargo test --locked -p btlab-web --target wasm32-unknown-unknown

echo "== the page end to end in headless Chromium"
export XDG_CONFIG_HOME="${TMPDIR:-/tmp}/btlab-xdg" XDG_CACHE_HOME="${TMPDIR:-/tmp}/btlab-xdg"
node --test tests/e2e/

echo "== the edge worker on workerd"
node --test tests/edge/
