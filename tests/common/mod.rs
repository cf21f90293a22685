#![allow(dead_code)] // each test binary uses a part of these helpers

use btlab::{BacktestConfig, Candles, parse_candles};

pub(crate) const DATA_15M: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/data/BTCUSDT-15m-2025.csv");
pub(crate) const DATA_1H: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/data/BTCUSDT-1h-2020-2025.csv");

pub(crate) fn load(path: &str) -> Candles {
    parse_candles(&std::fs::read(path).expect("test data")).expect("valid test data")
}

pub(crate) fn sma_config(fast: u32, slow: u32) -> BacktestConfig {
    BacktestConfig::from_json(&format!(
        r#"{{"symbol":"BTCUSDT","timeframe":"15m","start":"2025-01-01","end":"2026-01-01","strategy":"sma","params":{{"fast_period":{fast},"slow_period":{slow}}},"fee_bps":10}}"#
    ))
    .unwrap()
}
