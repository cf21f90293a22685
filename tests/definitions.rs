//! Strategy definitions on the real 15m series: the built-ins written as definitions give
//! the built-ins' results bit for bit, and every example in `strategies/` runs and obeys
//! its own rules.

mod common;

use btlab::engine::run_backtest;
use btlab::indicators::Indicators;
use btlab::{BacktestConfig, BacktestResult, Candles};
use serde_json::{Value, json};

fn definition(path: &str) -> &'static btlab::lang::Defined {
    let text = std::fs::read_to_string(format!("{}/strategies/{path}", env!("CARGO_MANIFEST_DIR"))).unwrap();
    btlab::lang::define(&text).unwrap_or_else(|e| panic!("{path}: {e}"))
}

fn config(strategy: &str, definition: Option<&str>, params: &Value, allow_short: bool) -> BacktestConfig {
    let mut config = BacktestConfig::from_json(&format!(
        r#"{{"symbol":"BTCUSDT","timeframe":"15m","start":"2025-01-01","end":"2026-01-01","strategy":"{strategy}","params":{params},"allow_short":{allow_short}}}"#
    ))
    .unwrap();
    config.definition = definition.map(str::to_owned);
    config
}

/// Everything a result says but its identity (the strategy's name and hash differ).
fn outcome(r: &BacktestResult) -> (String, String, String) {
    (
        format!("{:?}", r.metrics),
        format!("{:?}", r.trades),
        format!("{:?}", r.equity_curve),
    )
}

#[test]
fn each_builtin_written_as_a_definition_gives_identical_results() {
    let candles = common::load(common::DATA_15M);
    let cases = [
        (
            "sma",
            "builtins/sma_cross.yaml",
            vec![
                json!({"fast_period": 20, "slow_period": 50}),
                json!({"fast_period": 1, "slow_period": 2}),
                json!({"fast_period": 7, "slow_period": 300}),
            ],
        ),
        (
            "rsi",
            "builtins/rsi_reversion.yaml",
            vec![
                json!({"period": 14, "oversold": 30, "overbought": 70}),
                json!({"period": 2, "oversold": 10.5, "overbought": 90}),
                json!({"period": 50, "oversold": 45, "overbought": 55}),
            ],
        ),
        (
            "macd",
            "builtins/macd_cross.yaml",
            vec![
                json!({"fast_period": 12, "slow_period": 26, "signal_period": 9}),
                json!({"fast_period": 1, "slow_period": 5, "signal_period": 3}),
                json!({"fast_period": 30, "slow_period": 100, "signal_period": 20}),
            ],
        ),
        (
            "convergence",
            "builtins/convergence_votes.yaml",
            vec![
                json!({"fast_period": 20, "slow_period": 50, "rsi_period": 14, "oversold": 30, "overbought": 70, "macd_fast": 12, "macd_slow": 26, "macd_signal": 9, "threshold": 2}),
                json!({"fast_period": 5, "slow_period": 10, "rsi_period": 200, "oversold": 40, "overbought": 60, "macd_fast": 3, "macd_slow": 8, "macd_signal": 2, "threshold": 1}),
                json!({"fast_period": 50, "slow_period": 200, "rsi_period": 7, "oversold": 25, "overbought": 75, "macd_fast": 12, "macd_slow": 26, "macd_signal": 9, "threshold": 3}),
            ],
        ),
    ];
    for (builtin, file, param_sets) in cases {
        let defined = definition(file);
        for params in &param_sets {
            for allow_short in [false, true] {
                let ours = run_backtest(
                    &config(
                        defined.definition().name.as_str(),
                        Some(defined.hash()),
                        params,
                        allow_short,
                    ),
                    &candles,
                )
                .unwrap();
                let theirs = run_backtest(&config(builtin, None, params, allow_short), &candles).unwrap();
                assert!(theirs.metrics.total_trades > 0, "{builtin} {params}: trades");
                assert_eq!(
                    outcome(&ours),
                    outcome(&theirs),
                    "{builtin} {params} shorts {allow_short}"
                );
            }
        }
    }
}

/// The candles and a definition's rules evaluated as plain expressions, to check the
/// positions against.
struct Check {
    file: &'static str,
    params: Value,
    /// True at every candle whose close opens a long (the engine fills at the next open).
    entry: &'static str,
    /// True at every candle whose close ends a long (unless a short starts there).
    exit: &'static str,
}

#[test]
fn every_example_definition_runs_and_trades_by_its_own_rules() {
    let all = common::load(common::DATA_15M);
    let checks = [
        Check {
            file: "bollinger_reversion.yaml",
            params: json!({"period": 20, "k": 2.0}),
            entry: "close < bbands(close, 20, 2).lower",
            exit: "close > sma(close, 20)",
        },
        Check {
            file: "donchian_breakout.yaml",
            params: json!({"entry": 55, "exit": 20}),
            entry: "close > highest(high, 55)[1]",
            exit: "close < lowest(low, 20)[1]",
        },
        Check {
            file: "ema_rsi.yaml",
            params: json!({"fast": 12, "slow": 26, "rsi_len": 14, "rsi_max": 70, "ma": "sma"}),
            entry: "crossover(sma(close, 12), sma(close, 26)) and rsi(close, 14) < 70",
            exit: "crossunder(sma(close, 12), sma(close, 26))",
        },
        Check {
            file: "stoch_adx.yaml",
            params: json!({"k_period": 14, "smooth": 3, "level": 20, "adx_len": 14, "adx_min": 20}),
            entry: "crossover(stoch(14, 3, 3).k, stoch(14, 3, 3).d) and stoch(14, 3, 3).k < 20 and adx(14) > 20",
            exit: "stoch(14, 3, 3).k > 80",
        },
        Check {
            file: "keltner_breakout.yaml",
            params: json!({"period": 20, "atr_len": 14, "mult": 2.0}),
            entry: "close > ema(close, 20) + 2 * atr(14)",
            exit: "close < ema(close, 20)",
        },
        Check {
            file: "sar_trend.yaml",
            params: json!({"step": 0.02, "max_step": 0.2, "trend": 200}),
            entry: "close > sar(0.02, 0.2) and close > ema(close, 200)",
            exit: "close < sar(0.02, 0.2)",
        },
        Check {
            file: "vwap_session.yaml",
            params: json!({"window": 96, "band": 1.0, "from_hour": 12, "to_hour": 20}),
            entry: "hour >= 12 and hour < 20 and weekday < 5 and close < vwap(96) * (1 - 1 / 100)",
            exit: "close > vwap(96)",
        },
        Check {
            file: "htf_trend.yaml",
            params: json!({"fast": 12, "slow": 48, "trend": 20}),
            entry: "crossover(ema(close, 12), ema(close, 48)) and close@4h > ema(close@4h, 20)",
            exit: "crossunder(ema(close, 12), ema(close, 48)) or not (close@4h > ema(close@4h, 20))",
        },
    ];
    let candles = Candles { ..all.clone() };
    let market = btlab::Market::for_range(&candles, btlab::Timeframe::M15, candles.open_time[0], i64::MAX).unwrap();
    let indicators = Indicators::of_candles(market.candles(), btlab::Timeframe::M15);
    for check in &checks {
        let defined = definition(check.file);
        let name = defined.definition().name.clone();
        let config = config(&name, Some(defined.hash()), &check.params, false);
        let valid = config.validate().unwrap_or_else(|e| panic!("{}: {e}", check.file));
        let mut targets = Vec::new();
        market.targets(&valid, &mut targets);
        // A sweep's scratch is not cleared between configs: every candle is written.
        let mut reused = vec![7i8; targets.len()];
        market.targets(&valid, &mut reused);
        assert_eq!(reused, targets, "{}: a candle's target left unwritten", check.file);
        let entry = btlab::lang::evaluate(check.entry, &indicators).unwrap();
        let exit = btlab::lang::evaluate(check.exit, &indicators).unwrap();
        let mut entries = 0;
        for i in 0..targets.len() {
            let before = if i == 0 { 0 } else { targets[i - 1] };
            if before == 0 && targets[i] == 1 {
                entries += 1;
                assert_eq!(
                    entry[i], 1.0,
                    "{}: a long opened at candle {i} without its entry rule",
                    check.file
                );
            }
            if before == 1 && targets[i] == 0 {
                assert_eq!(
                    exit[i], 1.0,
                    "{}: a long closed at candle {i} without its exit rule",
                    check.file
                );
            }
            // A flat candle whose entry rule holds must open the long.
            if before == 0 && entry[i] == 1.0 {
                assert_eq!(
                    targets[i], 1,
                    "{}: the entry rule held at candle {i} but no long opened",
                    check.file
                );
            }
        }
        assert!(entries >= 3, "{}: only {entries} entries in a year", check.file);
    }
}

#[test]
fn a_definition_reading_a_higher_timeframe_refuses_candles_it_cannot_be_made_from() {
    let defined = definition("htf_trend.yaml");
    let params = json!({"fast": 12, "slow": 48, "trend": 20});
    let mut config = config("htf_trend", Some(defined.hash()), &params, false);
    config.timeframe = btlab::Timeframe::D1;
    let error = config.validate().unwrap_err().to_string();
    assert!(error.contains("timeframe") && error.contains("`@4h`"), "{error}");
    config.timeframe = btlab::Timeframe::H4;
    assert!(config.validate().is_ok());
}
