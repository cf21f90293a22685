"""Writes tests/data/golden/talib.json: TA-Lib's SMA, EMA, RSI and MACD on the first 800
candles of the real 15m series. Run once (needs `pip install numpy ta-lib`); the Rust
golden tests read the fixture, not Python."""
import csv
import json
import math
import pathlib

import numpy as np
import talib

ROOT = pathlib.Path(__file__).resolve().parent.parent
ROWS = 800

with open(ROOT / "tests/data/BTCUSDT-15m-2025.csv") as f:
    closes = [float(r["close"]) for _, r in zip(range(ROWS), csv.DictReader(f))]
x = np.array(closes, dtype=np.float64)


def col(values):
    return [None if math.isnan(v) else float(v) for v in values]


series = {}
for n in (1, 2, 5, 20, 50, 200):
    series[f"sma_{n}"] = col(talib.SMA(x, timeperiod=n))
for n in (2, 5, 12, 26, 50):
    series[f"ema_{n}"] = col(talib.EMA(x, timeperiod=n))
for n in (2, 7, 14, 30):
    series[f"rsi_{n}"] = col(talib.RSI(x, timeperiod=n))
for fast, slow, signal in ((12, 26, 9), (5, 35, 5), (2, 3, 2), (8, 50, 20)):
    line, sig, hist = talib.MACD(x, fastperiod=fast, slowperiod=slow, signalperiod=signal)
    key = f"macd_{fast}_{slow}_{signal}"
    series[key + "_line"] = col(line)
    series[key + "_signal"] = col(sig)
    series[key + "_hist"] = col(hist)

out = ROOT / "tests/data/golden/talib.json"
out.parent.mkdir(parents=True, exist_ok=True)
out.write_text(json.dumps({"source": "BTCUSDT-15m-2025.csv", "rows": ROWS, "talib": talib.__version__, "series": series}))
print(f"wrote {out} ({out.stat().st_size} bytes, {len(series)} series)")
