#!/usr/bin/env bash
# Sweeps of 10,000, 100,000 and 1,000,000 SMA configs on the real 15m series, stored, each
# in a fresh database: peak RSS (/usr/bin/time -v), configs per second and bytes per
# experiment. The grids differ only in how many fast periods they take (10, 100, 1000)
# against the same 1,000 slow ones, so every chunk of 1,000 configs is alike.
set -euo pipefail
cd "$(dirname "$0")/.."
cargo build --release --locked -p btlab-cli
out=$(mktemp -d)
trap 'rm -rf "$out"' EXIT
for fast in 10 100 1000; do
  n=$((fast * 1000))
  cat > "$out/spec.yaml" <<SPEC
{symbol: BTCUSDT, timeframe: 15m, start: 2025-01-01, end: 2026-01-01, strategies: [sma],
 param_grids: {sma: {fast_period: {type: int, min: 1, max: $fast}, slow_period: {type: int, min: 1001, max: 2000}}}}
SPEC
  /usr/bin/time -v target/release/btlab sweep "$out/spec.yaml" --data tests/data/BTCUSDT-15m-2025.csv \
    --db "$out/$n.sqlite" ${CHUNK:+--chunk $CHUNK} > "$out/stdout" 2> "$out/time"
  rss=$(awk -F': ' '/Maximum resident set size/ {print $2}' "$out/time")
  rate=$(grep -o '([0-9]* configs/s)' "$out/stdout" | tr -dc 0-9)
  sqlite3_bytes=$(stat -c %s "$out/$n.sqlite")
  printf '%8d configs: peak RSS %4d MiB, %6d configs/s, %5d bytes per experiment\n' \
    "$n" $((rss / 1024)) "$rate" $((sqlite3_bytes / n))
  rm -f "$out/$n.sqlite"*
done
