//! Indicators against TA-Lib 0.8.2 on real candles (fixture made by scripts/gen_golden.py).

mod common;

use std::sync::Arc;

use btlab::indicators::{Series, ema, macd, rsi, sma};
use serde_json::Value;

fn assert_matches(name: &str, ours: &[f64], expected: &[Value]) {
    assert_eq!(ours.len(), expected.len(), "{name}: length");
    for (i, (o, e)) in ours.iter().zip(expected).enumerate() {
        match e.as_f64() {
            None => assert!(o.is_nan(), "{name}[{i}]: TA-Lib has no value yet, we have {o}"),
            Some(e) => {
                let relative = (o - e).abs() / e.abs().max(1e-300);
                assert!(
                    relative <= 1e-9 || (o - e).abs() <= 1e-12,
                    "{name}[{i}]: {o} vs TA-Lib {e}"
                );
            }
        }
    }
}

#[test]
fn indicators_match_talib_on_real_candles() {
    let fixture: Value = serde_json::from_str(
        &std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/tests/data/golden/talib.json")).unwrap(),
    )
    .unwrap();
    let rows = fixture["rows"].as_u64().unwrap() as usize;
    let candles = common::load(common::DATA_15M);
    let close = &candles.close[..rows];
    let series = fixture["series"].as_object().unwrap();
    let mut checked = 0;
    for (key, expected) in series {
        let expected = expected.as_array().unwrap();
        let parts: Vec<&str> = key.split('_').collect();
        let arg = |k: usize| parts[k].parse::<usize>().unwrap();
        let ours = match parts[0] {
            "sma" => {
                // The engine keeps SMAs rounded, with totals to replay exact values from.
                let [kept] = Series::smas(&Arc::from(close), [arg(1)]);
                let mut exact = kept.exact();
                assert_matches(key, &(0..rows).map(|i| exact.at(i)).collect::<Vec<_>>(), expected);
                sma(close, arg(1))
            }
            "ema" => ema(close, arg(1)),
            "rsi" => rsi(close, arg(1)),
            "macd" => {
                let m = macd(close, arg(1), arg(2), arg(3));
                match parts[4] {
                    "line" => m.line,
                    "signal" => m.signal,
                    _ => m.histogram,
                }
            }
            other => panic!("unknown series {other}"),
        };
        assert_matches(key, &ours, expected);
        checked += 1;
    }
    assert_eq!(checked, 27);
}
