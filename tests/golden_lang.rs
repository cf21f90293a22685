//! The strategy language's indicators against TA-Lib on real candles: each fixture key is
//! an expression of the language, evaluated as a definition would (fixture made by
//! scripts/gen_golden.py), including warm-ups and indicators over indicators.

mod common;

use btlab::Candles;
use btlab::indicators::Indicators;
use serde_json::Value;

#[test]
fn every_indicator_matches_talib_on_real_candles() {
    let fixture: Value = serde_json::from_str(
        &std::fs::read_to_string(concat!(
            env!("CARGO_MANIFEST_DIR"),
            "/tests/data/golden/talib_lang.json"
        ))
        .unwrap(),
    )
    .unwrap();
    let rows = fixture["rows"].as_u64().unwrap() as usize;
    let all = common::load(common::DATA_15M);
    let candles = Candles {
        open_time: all.open_time[..rows].to_vec(),
        open: all.open[..rows].to_vec(),
        high: all.high[..rows].to_vec(),
        low: all.low[..rows].to_vec(),
        close: all.close[..rows].to_vec(),
        volume: all.volume[..rows].to_vec(),
    };
    let indicators = Indicators::of_candles(&candles, btlab::Timeframe::M15);
    let series = fixture["series"].as_object().unwrap();
    let mut failures = Vec::new();
    for (expression, expected) in series {
        let ours = btlab::lang::evaluate(expression, &indicators).unwrap_or_else(|e| panic!("{expression}: {e:?}"));
        let expected = expected.as_array().unwrap();
        assert_eq!(ours.len(), expected.len(), "{expression}: length");
        let first_ours = ours.iter().position(|v| !v.is_nan());
        let first_talib = expected.iter().position(|v| !v.is_null());
        if first_ours != first_talib {
            failures.push(format!(
                "{expression}: first value at {first_ours:?}, TA-Lib's at {first_talib:?}"
            ));
            continue;
        }
        for (i, (o, e)) in ours.iter().zip(expected).enumerate() {
            let Some(e) = e.as_f64() else { continue };
            let relative = (o - e).abs() / e.abs().max(1e-300);
            if !(relative <= 1e-9 || (o - e).abs() <= 1e-12) {
                failures.push(format!("{expression}[{i}]: {o} vs TA-Lib {e}"));
                break;
            }
        }
    }
    assert!(
        failures.is_empty(),
        "{} of {} differ:\n{}",
        failures.len(),
        series.len(),
        failures.join("\n")
    );
    assert_eq!(series.len(), 63);
}
