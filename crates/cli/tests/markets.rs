//! One sweep across markets (`markets:`, `symbols:` x `timeframes:`) on the real candles of
//! tests/data, and `btlab experiments markets` over what it stored.

mod common;

use common::{ok, refused, write};
use serde_json::Value;

const DATA_DIR: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/../../tests/data");

/// Five markets over the range they share: BTC, ETH and SOL at 1h, BTC and DOGE at 15m.
const FIVE_MARKETS: &str = include_str!("../../../tests/specs/five-markets.yaml");

fn json(args: &[&str]) -> Value {
    serde_json::from_str(&ok(args)).unwrap()
}

#[test]
fn a_sweep_over_five_markets_stores_each_config_on_each_and_ranks_them() {
    let dir = tempfile::tempdir().unwrap();
    let spec = write(dir.path(), "five.yaml", FIVE_MARKETS);
    let db = dir.path().join("e.sqlite");
    let db = db.to_str().unwrap();
    let spec = spec.to_str().unwrap();

    let dry = ok(&["sweep", spec, "--dry-run"]);
    assert!(
        dry.starts_with("30 combinations, 30 after constraints over 5 markets"),
        "{dry}"
    );
    let said = ok(&["sweep", spec, "--data-dir", DATA_DIR, "--db", db]);
    assert!(said.contains("30 stored, 0 already stored, 0 failed"), "{said}");

    // One experiment per config and market.
    let summary = json(&["experiments", "summary", "--json", "--db", db]);
    let groups = summary["groups"].as_array().unwrap();
    let mut markets: Vec<String> = groups
        .iter()
        .map(|g| {
            assert_eq!(g["experiments"], 6, "{g}");
            format!("{}@{}", g["symbol"].as_str().unwrap(), g["timeframe"].as_str().unwrap())
        })
        .collect();
    markets.sort();
    assert_eq!(
        markets,
        ["BTCUSDT@15m", "BTCUSDT@1h", "DOGEUSDT@15m", "ETHUSDT@1h", "SOLUSDT@1h"]
    );

    // Each stored experiment is what `btlab run` gives for its config on its market.
    let list = json(&[
        "experiments",
        "list",
        "--json",
        "--db",
        db,
        "--symbol",
        "SOLUSDT",
        "--limit",
        "100",
    ]);
    let sol = &list.as_array().unwrap()[0];
    let params = sol["config"]["params"].to_string();
    let run = json(&[
        "run",
        "--json",
        "--symbol",
        "SOLUSDT",
        "--timeframe",
        "1h",
        "--start",
        "2025-01-01",
        "--end",
        "2025-11-01",
        "--strategy",
        "sma",
        "--params",
        &params,
        "--data-dir",
        DATA_DIR,
    ]);
    assert_eq!(run["config_hash"], sol["config_hash"]);
    assert_eq!(run["metrics"]["sharpe_ratio"], sol["metrics"]["sharpe_ratio"]);

    // The ranking: six configs, each on five markets, by the worst Sharpe ratio.
    let ranked = json(&["experiments", "markets", "--json", "--db", db, "--strategy", "sma"]);
    let ranked = ranked.as_array().unwrap();
    assert_eq!(ranked.len(), 6);
    let every = json(&["experiments", "list", "--json", "--db", db, "--limit", "100"]);
    let sharpe_of = |hash: &Value| {
        every
            .as_array()
            .unwrap()
            .iter()
            .find(|e| &e["config_hash"] == hash)
            .map(|e| e["metrics"]["sharpe_ratio"].as_f64().unwrap())
            .unwrap()
    };
    let mut last_worst = f64::INFINITY;
    for config in ranked {
        let figures = config["markets"].as_array().unwrap();
        assert_eq!(figures.len(), 5, "{config}");
        let mut values: Vec<f64> = figures.iter().map(|m| sharpe_of(&m["config_hash"])).collect();
        for (figure, value) in figures.iter().zip(&values) {
            assert_eq!(figure["value"].as_f64().unwrap(), *value);
        }
        values.sort_by(f64::total_cmp);
        let worst = config["worst"].as_f64().unwrap();
        assert_eq!(worst, values[0]);
        assert_eq!(config["median"].as_f64().unwrap(), values[2]);
        assert!(worst <= last_worst, "ranked by the worst market");
        last_worst = worst;
        let beat = figures
            .iter()
            .filter(|m| m["total_return"].as_f64() > m["buy_hold_return"].as_f64())
            .count();
        assert_eq!(config["beat_buy_hold"], beat);
    }
    let table = ok(&["experiments", "markets", "--db", db, "--by", "max_drawdown"]);
    assert!(table.contains("DOGEUSDT 15m") && table.contains("beat B&H"), "{table}");
    assert!(
        table.contains("1-6 of 6 configs, by their worst max_drawdown"),
        "{table}"
    );

    // Run again: nothing new on any market.
    let again = ok(&["sweep", spec, "--data-dir", DATA_DIR, "--db", db]);
    assert!(again.contains("0 stored, 30 already stored"), "{again}");
}

#[test]
fn symbols_by_timeframes_make_the_product_and_a_missing_market_stops_before_any_run() {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("e.sqlite");
    let db = db.to_str().unwrap();
    let product = FIVE_MARKETS.replace(
        "markets: [BTCUSDT@1h, ETHUSDT@1h, SOLUSDT@1h, BTCUSDT@15m, DOGEUSDT@15m]",
        "symbols: [BTCUSDT, ETHUSDT]\ntimeframes: [1h, 4h]",
    );
    let spec = write(dir.path(), "product.yaml", &product);
    let said = ok(&["sweep", spec.to_str().unwrap(), "--data-dir", DATA_DIR, "--db", db]);
    assert!(said.contains("24 configs"), "{said}");
    let ranked = json(&["experiments", "markets", "--json", "--db", db]);
    let first = &ranked.as_array().unwrap()[0]["markets"];
    let names: Vec<String> = first
        .as_array()
        .unwrap()
        .iter()
        .map(|m| format!("{}@{}", m["symbol"].as_str().unwrap(), m["timeframe"].as_str().unwrap()))
        .collect();
    assert_eq!(names, ["BTCUSDT@1h", "BTCUSDT@4h", "ETHUSDT@1h", "ETHUSDT@4h"]);

    // ETH has no 15m file: the sweep says which market and stores nothing.
    let missing = FIVE_MARKETS.replace("DOGEUSDT@15m", "ETHUSDT@15m");
    let spec = write(dir.path(), "missing.yaml", &missing);
    let fresh = dir.path().join("fresh.sqlite");
    let err = refused(&[
        "sweep",
        spec.to_str().unwrap(),
        "--data-dir",
        DATA_DIR,
        "--db",
        fresh.to_str().unwrap(),
    ]);
    assert!(
        err.contains("market ETHUSDT@15m") && err.contains("no candles for ETHUSDT 15m"),
        "{err}"
    );
    assert!(!fresh.exists(), "nothing ran, no store was made");
    // One --data file cannot be five markets.
    let err = refused(&[
        "sweep",
        spec.to_str().unwrap(),
        "--data",
        common::DATA_15M,
        "--db",
        fresh.to_str().unwrap(),
    ]);
    assert!(err.contains("--data names one candle file"), "{err}");
}
