#!/usr/bin/env bash
# Runs the edge worker locally on workerd: http://127.0.0.1:${PORT:-8787}/ , candles from
# ${BINANCE_BASE_URL:-https://api.binance.com}. Builds the wasm first (scripts/build-web.sh).
set -euo pipefail
cd "$(dirname "$0")/.."
[ -f edge/pkg/btlab_web_bg.wasm ] || scripts/build-web.sh
sed -e "s|@PORT@|${PORT:-8787}|g" -e "s|@BINANCE_BASE_URL@|${BINANCE_BASE_URL:-https://api.binance.com}|g" \
  edge/config.capnp.in > edge/config.capnp
echo "btlab edge: http://127.0.0.1:${PORT:-8787}/"
exec npx workerd serve edge/config.capnp --experimental
