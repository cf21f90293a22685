#!/usr/bin/env bash
# The CLI probes of docs/reliability.md, against any btlab binary (default: the release
# build), each printing what it did: `scripts/probe-reliability.sh [BIN]`. The tests hold
# the rules; this shows them by hand, and shows an older binary breaking them.
set -uo pipefail
cd "$(dirname "$0")/.."
BIN=$(realpath "${1:-target/release/btlab}")
DATA=$(realpath tests/data/BTCUSDT-15m-2025.csv)
W=$(mktemp -d)
trap 'chmod -R u+w "$W"; rm -rf "$W"' EXIT
cd "$W"
SPEC='{symbol: BTCUSDT, timeframe: 15m, start: 2025-01-01, end: 2025-02-01, strategies: [sma]}'
echo "$SPEC" > spec.yaml
probe() { printf '\n== %s\n' "$1"; }
last() { tail -n "${2:-1}" | cut -c1-220; }
"$BIN" sweep spec.yaml --data "$DATA" --db db.sqlite >/dev/null 2>&1

probe "1 export onto its own database, then onto an existing file"
cp db.sqlite keep.sqlite
"$BIN" experiments export keep.sqlite --db keep.sqlite 2>&1 | last
echo "exit $?; the store afterwards: $("$BIN" experiments summary --db keep.sqlite 2>&1 | last)"
echo mine > mine.json
"$BIN" experiments export mine.json --db db.sqlite 2>&1 | last
echo "mine.json now holds: $(head -c 40 mine.json)"

probe "2 a zero-price row, a 1e308 price, capital 1.7e308, duplicate axis values"
{ echo open_time,open,high,low,close,volume; tail -n +2 "$DATA" | head -3000; } > z.csv
sed -i '100s/^\([0-9]*\),[^,]*,/\1,0,/' z.csv
"$BIN" sweep spec.yaml --data z.csv --db z.sqlite 2>&1 | last
sed '100s/^\([0-9]*\),[^,]*,[^,]*,/\1,1e308,1e308,/' z.csv > h.csv
"$BIN" sweep spec.yaml --data h.csv --db h.sqlite 2>&1 | last
echo "${SPEC%\}}, initial_capital: 1.7e308}" > cap.yaml
"$BIN" sweep cap.yaml --data "$DATA" --db c.sqlite 2>&1 | last
echo "{symbol: BTCUSDT, timeframe: 15m, start: 2025-01-01, end: 2025-02-01, strategies: [sma], param_grids: {sma: {fast_period: [10, 10, 20], slow_period: [50]}}}" > dup.yaml
"$BIN" sweep dup.yaml --data "$DATA" --db d.sqlite 2>&1 | last

probe "4 two sweeps starting at once on a new database, 20 trials"
fails=0
for i in $(seq 20); do
  "$BIN" sweep spec.yaml --data "$DATA" --db "r$i.sqlite" >/dev/null 2>"e$i.a" & a=$!
  "$BIN" sweep spec.yaml --data "$DATA" --db "r$i.sqlite" >/dev/null 2>"e$i.b" & b=$!
  wait $a || fails=$((fails + 1)); wait $b || fails=$((fails + 1))
done
echo "$fails of 40 runs failed $(cat e*.a e*.b | sort | uniq -c | head -2)"

probe "6 profiles through a symlink, onto a device (a copy of /dev/null's), a FIFO; the mode kept"
echo "# hand-kept" > real.yaml && chmod 640 real.yaml && ln -s real.yaml link.yaml && mkfifo fifo.yaml
LENIENT=(--max-drawdown 0.9 --min-oos-sharpe -9 --min-sharpe -9 --min-trades 0)
best=$("$BIN" experiments top --n 1 --json --db db.sqlite | grep -o '"config_hash": "[0-9a-f]*' | head -1 | sed 's/.*": "//' | cut -c1-12)
"$BIN" promote "$best" p --db db.sqlite --data "$DATA" --profiles link.yaml "${LENIENT[@]}" 2>&1 | last
echo "link.yaml is $(stat -c %F link.yaml); real.yaml $(stat -c %a real.yaml), $(grep -c '^  p:\|^p:' real.yaml) profile named p"
# Never the real /dev/null: an older btlab replaces what it is given.
targets=(fifo.yaml)
if [ "$(id -u)" = 0 ] && mknod dev.yaml c 1 3; then targets+=(dev.yaml); fi
for target in "${targets[@]}"; do
  timeout 10 "$BIN" promote "$best" p --db db.sqlite --data "$DATA" --profiles "$target" "${LENIENT[@]}" 2>&1 | last
  echo "exit ${PIPESTATUS[0]}; $target is now $(stat -c %F "$target")"
done

probe "10 closed stdout: sweep, --dry-run, walkforward, optimize; stderr on a full disk"
for args in "sweep spec.yaml --data $DATA --db p.sqlite" "sweep spec.yaml --dry-run" \
  "walkforward $(realpath "$OLDPWD")/config/walkforward-sma.yaml --data $DATA" \
  "optimize --iterations 2 --db o.sqlite --start 2025-01-01 --end 2025-02-01"; do
  # shellcheck disable=SC2086
  "$BIN" $args 2>err.txt | head -c 0; code=${PIPESTATUS[0]}
  echo "exit $code, panicked: $(grep -c panicked err.txt) ($(echo "$args" | cut -c1-40))"
done
"$BIN" experiments show zz --db db.sqlite 2>/dev/full; echo "stderr on /dev/full: exit $?"

probe "11 an all-digit hash prefix"
prefix=$("$BIN" experiments list --json --limit 100 --db db.sqlite | grep -o '"config_hash": "[0-9]\{4\}' | head -1 | tail -c 5)
echo "prefix $prefix -> $("$BIN" experiments show "$prefix" --json --db db.sqlite 2>&1 | grep -m1 -o '"config_hash": "[0-9a-f]\{8\}\|"id": [0-9]*\|error.*' | head -2 | tr '\n' ' ')"
"$BIN" experiments show 94 --db db.sqlite 2>&1 | last

probe "12 a store in a read-only folder; a 0-byte file"
mkdir ro && cp db.sqlite ro/ && chmod 444 ro/db.sqlite && chmod 555 ro && chmod 755 "$W"
if [ "$(id -u)" = 0 ]; then as=(setpriv --reuid=65534 --regid=65534 --clear-groups); else as=(); fi
"${as[@]}" "$BIN" experiments summary --db ro/db.sqlite 2>&1 | last
: > empty.sqlite
"$BIN" experiments list --db empty.sqlite 2>&1 | last
echo "empty.sqlite is $(stat -c %s empty.sqlite) bytes afterwards"

probe "13 one malformed row"
cp db.sqlite m.sqlite
python3 -c "import sqlite3; c=sqlite3.connect('m.sqlite'); c.execute(\"UPDATE experiments SET sharpe_ratio='abc' WHERE id=2\"); c.commit()"
"$BIN" experiments list --limit 3 --db m.sqlite 2>&1 | last 2
"$BIN" experiments export m.json --db m.sqlite 2>&1 | last

probe "14 a 1 GB sparse file"
truncate -s 1G sparse.csv
/usr/bin/time -f "%e s, %M KB peak" "$BIN" run --data sparse.csv 2>&1 | last 2

probe "15 a batch and a sweep in which every config fails"
bad='{"symbol":"BTCUSDT","timeframe":"15m","start":"2025-01-01","end":"2025-02-01","strategy":"sma","params":{"fast_period":60,"slow_period":50}}'
echo "[$bad]" > bad.json
"$BIN" batch bad.json --data "$DATA" >/dev/null 2>&1; echo "batch exit $?"
echo "{symbol: BTCUSDT, timeframe: 15m, start: 2025-01-01, end: 2025-02-01, strategies: [sma], param_grids: {sma: {fast_period: [5], slow_period: [10000000]}}}" > allbad.yaml
"$BIN" sweep allbad.yaml --data "$DATA" --db b.sqlite >/dev/null 2>&1; echo "sweep exit $?"

probe "16 seconds, a negative capital, a spec without symbol"
printf 'open_time,open,high,low,close,volume\n1735689600,1,2,0.5,1.5,1\n1735690500,1,2,0.5,1.5,1\n' > s.csv
"$BIN" run --data s.csv 2>&1 | last
"$BIN" run --capital -100 2>&1 | last
echo "{timeframe: 15m, start: 2025-01-01, end: 2025-02-01, strategies: [sma]}" > nosym.yaml
"$BIN" sweep nosym.yaml --symbol BTCUSDT --dry-run 2>&1 | head -1
