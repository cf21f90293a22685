//! No look-ahead by construction: for random definitions of the language, changing candle
//! k changes no target before k.

mod common;

use btlab::{BacktestConfig, Market, Timeframe};
use proptest::prelude::*;

/// A random number expression, at most `depth` levels deep.
fn number(depth: u32) -> BoxedStrategy<String> {
    let leaf = prop_oneof![
        prop::sample::select(vec![
            "open", "high", "low", "close", "volume", "hl2", "hlc3", "ohlc4", "hour", "weekday"
        ])
        .prop_map(str::to_owned),
        (1u32..500).prop_map(|n| format!("{}", f64::from(n) * 100.0)),
        (1usize..30).prop_map(|n| format!("atr({n})")),
        (2usize..30).prop_map(|n| format!("adx({n})")),
        (2usize..20).prop_map(|n| format!("stoch({n}, 3, 3).d")),
        (2usize..20).prop_map(|n| format!("aroon({n}).up")),
        Just("sar(0.02, 0.2)".to_owned()),
        Just("obv()".to_owned()),
        (2usize..40).prop_map(|n| format!("mfi({n})")),
        (2usize..40).prop_map(|n| format!("cci({n})")),
    ];
    leaf.prop_recursive(depth, 24, 3, |inner| {
        let function = prop::sample::select(vec![
            "sma",
            "ema",
            "wma",
            "dema",
            "tema",
            "trima",
            "kama",
            "rsi",
            "stddev",
            "roc",
            "mom",
            "linearreg",
            "highest",
            "lowest",
            "sum",
        ]);
        prop_oneof![
            (
                inner.clone(),
                prop::sample::select(vec!["+", "-", "*", "/"]),
                inner.clone()
            )
                .prop_map(|(a, op, b)| format!("({a} {op} {b})")),
            (function, inner.clone(), 2usize..25).prop_map(|(f, a, n)| format!("{f}({a}, {n})")),
            (inner.clone(), 0usize..10).prop_map(|(a, n)| format!("{a}[{n}]")),
            (inner.clone(), 1usize..10).prop_map(|(a, n)| format!("change({a}, {n})")),
            (inner.clone(), 2usize..25).prop_map(|(a, n)| format!("bbands({a}, {n}, 2).lower")),
            (inner.clone(), inner.clone(), inner.clone()).prop_map(|(c, a, b)| format!("if({c} > 0, {a}, {b})")),
            (inner.clone(), inner).prop_map(|(a, b)| format!("max({a}, {b})")),
        ]
    })
    .boxed()
}

fn condition() -> BoxedStrategy<String> {
    let compare = (
        number(3),
        prop::sample::select(vec!["<", "<=", ">", ">=", "==", "!="]),
        number(3),
    )
        .prop_map(|(a, op, b)| format!("{a} {op} {b}"));
    let cross = (number(2), number(2), any::<bool>())
        .prop_map(|(a, b, up)| format!("{}({a}, {b})", if up { "crossover" } else { "crossunder" }));
    let one = prop_oneof![compare, cross];
    (one.clone(), prop::sample::select(vec!["and", "or"]), one, any::<bool>())
        .prop_map(|(a, op, b, negate)| {
            if negate {
                format!("not ({a}) {op} {b}")
            } else {
                format!("{a} {op} {b}")
            }
        })
        .boxed()
}

/// The first 300 candles of the real 15m series, read once.
fn first_candles() -> btlab::Candles {
    static CANDLES: std::sync::OnceLock<btlab::Candles> = std::sync::OnceLock::new();
    CANDLES
        .get_or_init(|| {
            let all = common::load(common::DATA_15M);
            all.window(all.open_time[0], all.open_time[300]).unwrap()
        })
        .clone()
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(64))]

    #[test]
    fn no_definition_reads_a_future_candle(
        rules in prop::collection::vec(condition(), 4),
        k_fraction in 0.0f64..1.0,
        factor in 0.5f64..2.0,
    ) {
        let source = format!(
            "name: random\nlong_entry: {}\nlong_exit: {}\nshort_entry: {}\nshort_exit: {}\n",
            rules[0], rules[1], rules[2], rules[3]
        );
        let defined = btlab::lang::define(&source).map_err(|e| TestCaseError::fail(format!("{source}\n{e}")))?;
        let candles = first_candles();
        let k = ((candles.len() - 1) as f64 * k_fraction) as usize;
        let mut changed = candles.clone();
        for column in [&mut changed.open, &mut changed.high, &mut changed.low, &mut changed.close] {
            column[k] *= factor;
        }
        changed.volume[k] = changed.volume[k] * factor + 1.0;
        let config = BacktestConfig::from_json(&format!(
            r#"{{"symbol":"BTCUSDT","timeframe":"15m","start":"2025-01-01","end":"2026-01-01","strategy":"random","definition":"{}","params":{{}},"allow_short":true}}"#,
            defined.hash()
        )).unwrap().validate().unwrap();
        let targets = |c: &btlab::Candles| {
            let market = Market::for_range(c, Timeframe::M15, c.open_time[0], i64::MAX).unwrap();
            let mut out = Vec::new();
            market.targets(&config, &mut out);
            out
        };
        let (before, after) = (targets(&candles), targets(&changed));
        prop_assert_eq!(&before[..k], &after[..k], "candle {} changed an earlier target of\n{}", k, source);
    }
}
