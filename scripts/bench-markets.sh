#!/usr/bin/env bash
# One 1,000-config SMA sweep over four markets (A) against four single-market sweeps of
# the same configs (B), paired whole-process runs on one core: the figure of issue 18.
# Run: scripts/bench-markets.sh (after cargo build --release -p btlab-cli).
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
btlab="$root/target/release/btlab"
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
markets=(BTCUSDT@1h ETHUSDT@1h SOLUSDT@1h DOGEUSDT@15m)
fast=$(seq -s, 2 51)          # 50 values
slow=$(seq -s, 60 10 250)     # 20 values: 1,000 configs a market
spec() {
  cat <<YAML
markets: [$1]
start: 2025-01-01
end: 2025-11-01
strategies: [sma]
param_grids:
  sma: {fast_period: [$fast], slow_period: [$slow]}
YAML
}
(IFS=,; spec "${markets[*]}") > "$work/four.yaml"
for m in "${markets[@]}"; do spec "$m" > "$work/one-$m.yaml"; done
sweep="$btlab sweep --data-dir $root/tests/data --threads 1"
cat > "$work/four.sh" <<SH
rm -f $work/four.sqlite*; exec $sweep $work/four.yaml --db $work/four.sqlite >/dev/null
SH
cat > "$work/singles.sh" <<SH
rm -f $work/one-*.sqlite*
for m in ${markets[*]}; do $sweep $work/one-\$m.yaml --db $work/one-\$m.sqlite >/dev/null || exit 1; done
SH
farm-bench -n "${RUNS:-15}" --pin 1 --timeout 600 --vs "bash $work/singles.sh" -- bash "$work/four.sh"
