#!/usr/bin/env bash
# Builds the static page into www/ (pkg/, vendor/, sample/ are generated, not committed):
# the wasm face with wasm-bindgen, sql.js, lightweight-charts, plotly.js (gl3d) and CodeMirror from npm, a real
# sample series.
# Idempotent: installs only what is missing.
set -euo pipefail
cd "$(dirname "$0")/.."

rustup target list --installed | grep -q '^wasm32-unknown-unknown$' || rustup target add wasm32-unknown-unknown
# The CLI must match the crate's pinned wasm-bindgen exactly.
if ! wasm-bindgen --version 2>/dev/null | grep -q '0.2.130'; then
  cargo install wasm-bindgen-cli --version 0.2.130
fi
[ -d node_modules/sql.js ] && [ -d node_modules/playwright-core ] && [ -d node_modules/typescript ] \
  && [ -d node_modules/codemirror ] && [ -d node_modules/esbuild ] && [ -d node_modules/plotly.js-gl3d-dist-min ] || npm ci --no-audit --no-fund

cargo build --locked --release -p btlab-web --target wasm32-unknown-unknown
wasm-bindgen --target web --out-dir www/pkg target/wasm32-unknown-unknown/release/btlab_web.wasm
# The same crate again with wasm SIMD (128-bit lanes in the hot loops), in its own target
# dir so neither build invalidates the other. The page picks it where the engine has SIMD
# (www/wasm_build.js) with the one JS glue, so the glue must come out byte for byte alike.
RUSTFLAGS="-C target-feature=+simd128" CARGO_TARGET_DIR=target/wasm-simd \
  cargo build --locked --release -p btlab-web --target wasm32-unknown-unknown
simd_out=$(mktemp -d)
wasm-bindgen --target web --out-dir "$simd_out" target/wasm-simd/wasm32-unknown-unknown/release/btlab_web.wasm
cmp -s "$simd_out/btlab_web.js" www/pkg/btlab_web.js || { echo "the SIMD build's JS glue differs from the plain one's" >&2; exit 1; }
mv "$simd_out/btlab_web_bg.wasm" www/pkg/btlab_web_simd_bg.wasm
rm -rf "$simd_out"

mkdir -p www/vendor www/sample
cp node_modules/sql.js/dist/sql-wasm.wasm www/vendor/
# sql.js with its database file grown in place, not copied whole at each growth.
node scripts/patch-sqljs.mjs node_modules/sql.js/dist/sql-wasm.js www/vendor/sql-wasm.js
cp node_modules/lightweight-charts/dist/lightweight-charts.standalone.production.mjs www/vendor/lightweight-charts.mjs
cp node_modules/plotly.js-gl3d-dist-min/plotly-gl3d.min.js www/vendor/
# CodeMirror 6 is many small modules with bare imports: bundled into one.
npx esbuild scripts/codemirror.entry.js --bundle --format=esm --minify --log-level=warning --outfile=www/vendor/codemirror.mjs
cp tests/data/BTCUSDT-15m-2025.csv www/sample/
echo "built www/ ($(du -sh www | cut -f1))"
# The edge worker embeds the same engine, the SIMD build (workerd's V8 has wasm SIMD).
mkdir -p edge/pkg
cp www/pkg/btlab_web.js edge/pkg/
cp www/pkg/btlab_web_simd_bg.wasm edge/pkg/btlab_web_bg.wasm
