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

# The strategy language's indicators, each written as the language writes it, on the same
# rows: tests/golden_lang.rs evaluates each expression and compares it with TA-Lib.
with open(ROOT / "tests/data/BTCUSDT-15m-2025.csv") as f:
    rows = [r for _, r in zip(range(ROWS), csv.DictReader(f))]
o, h, l, c, v = (np.array([float(r[k]) for r in rows]) for k in ("open", "high", "low", "close", "volume"))

lang = {}
for n in (2, 10, 30):
    lang[f"wma(close, {n})"] = talib.WMA(c, n)
for n in (5, 20):
    lang[f"dema(close, {n})"] = talib.DEMA(c, n)
    lang[f"tema(close, {n})"] = talib.TEMA(c, n)
for n in (5, 10, 30):
    lang[f"trima(close, {n})"] = talib.TRIMA(c, n)
for n in (10, 30):
    lang[f"kama(close, {n})"] = talib.KAMA(c, n)
for n in (5, 20):
    lang[f"stddev(close, {n})"] = talib.STDDEV(c, n)
for n in (1, 10):
    lang[f"roc(close, {n})"] = talib.ROC(c, n)
    lang[f"mom(close, {n})"] = talib.MOM(c, n)
for n in (5, 14):
    lang[f"linearreg(close, {n})"] = talib.LINEARREG(c, n)
for n, k in ((20, 2), (5, 1)):
    upper, middle, lower = talib.BBANDS(c, n, k, k, 0)
    lang[f"bbands(close, {n}, {k}).upper"] = upper
    lang[f"bbands(close, {n}, {k}).middle"] = middle
    lang[f"bbands(close, {n}, {k}).lower"] = lower
for n in (1, 14):
    lang[f"atr({n})"] = talib.ATR(h, l, c, n)
    lang[f"plus_di({n})"] = talib.PLUS_DI(h, l, c, n)
    lang[f"minus_di({n})"] = talib.MINUS_DI(h, l, c, n)
lang["natr(14)"] = talib.NATR(h, l, c, 14)
lang["trange()"] = talib.TRANGE(h, l, c)
for n in (5, 14):
    lang[f"adx({n})"] = talib.ADX(h, l, c, n)
for n in (14, 20):
    lang[f"cci({n})"] = talib.CCI(h, l, c, n)
lang["willr(14)"] = talib.WILLR(h, l, c, 14)
lang["mfi(14)"] = talib.MFI(h, l, c, v, 14)
lang["obv()"] = talib.OBV(c, v)
lang["ad()"] = talib.AD(h, l, c, v)
for fk, sk, sd in ((5, 3, 3), (14, 3, 5)):
    k, d = talib.STOCH(h, l, c, fk, sk, 0, sd, 0)
    lang[f"stoch({fk}, {sk}, {sd}).k"] = k
    lang[f"stoch({fk}, {sk}, {sd}).d"] = d
for n in (14, 25):
    down, up = talib.AROON(h, l, n)
    lang[f"aroon({n}).up"] = up
    lang[f"aroon({n}).down"] = down
lang["sar(0.02, 0.2)"] = talib.SAR(h, l, 0.02, 0.2)
lang["sar(0.01, 0.1)"] = talib.SAR(h, l, 0.01, 0.1)
lang["highest(high, 20)"] = talib.MAX(h, 20)
lang["lowest(low, 20)"] = talib.MIN(l, 20)
lang["sum(volume, 10)"] = talib.SUM(v, 10)
# An indicator over an indicator starts at its input's first value (the wrapper's NaN rule).
lang["sma(rsi(close, 14), 5)"] = talib.SMA(talib.RSI(c, 14), 5)
lang["ema(atr(14), 10)"] = talib.EMA(talib.ATR(h, l, c, 14), 10)
lang["wma(rsi(close, 7), 3)"] = talib.WMA(talib.RSI(c, 7), 3)
lang["bbands(rsi(close, 14), 20, 2).lower"] = talib.BBANDS(talib.RSI(c, 14), 20, 2, 2, 0)[2]
lang["kama(sma(close, 5), 10)"] = talib.KAMA(talib.SMA(c, 5), 10)
lang["macd(ema(close, 5), 12, 26, 9).hist"] = talib.MACD(talib.EMA(c, 5), 12, 26, 9)[2]
# Prices a millionth as large (a DOGE-like scale): TA-Lib's epsilon on the variance.
lang["stddev(close / 1000000, 20)"] = talib.STDDEV(c / 1e6, 20)
lang["bbands(close / 1000000, 20, 2).upper"] = talib.BBANDS(c / 1e6, 20, 2, 2, 0)[0]

out = ROOT / "tests/data/golden/talib_lang.json"
out.write_text(json.dumps({"source": "BTCUSDT-15m-2025.csv", "rows": ROWS, "talib": talib.__version__,
                           "series": {k: col(s) for k, s in lang.items()}}))
print(f"wrote {out} ({out.stat().st_size} bytes, {len(lang)} series)")
