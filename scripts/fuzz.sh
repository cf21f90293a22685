#!/usr/bin/env bash
# Fuzzes each parser (the candle formats, the sweep spec, the batch file, a strategy definition) for SECONDS (default 300) with cargo-fuzz (libFuzzer).
# Runs on the stable toolchain: RUSTC_BOOTSTRAP lets cargo-fuzz pass its nightly flags.
set -euo pipefail
seconds=${1:-300}
cd "$(dirname "$0")/../fuzz"
command -v cargo-fuzz >/dev/null || cargo install cargo-fuzz
for target in ${TARGETS:-binance_csv binance_json headed_csv sweep_spec batch_file definition}; do
  mkdir -p "corpus/$target" "seeds/$target"
  echo "== $target: ${seconds}s"
  RUSTC_BOOTSTRAP=1 cargo fuzz run "$target" "corpus/$target" "seeds/$target" -- -max_total_time="$seconds" 2>&1 | tail -n 3
done
