//! The wasm face in headless Chromium: conversions both ways, readable errors, and results
//! equal to the core's own.
#![cfg(target_arch = "wasm32")]

use btlab_web::{
    Engine, ParetoOptimizer, Sweep, check_definition, config_hash_js, dataset_info, define_strategy, demo_candles,
    example_definitions, parse_candles, walk_forward_windows,
};
use js_sys::Error;
use serde_json::{Value, json};
use wasm_bindgen::JsValue;
use wasm_bindgen_test::*;

wasm_bindgen_test_configure!(run_in_browser);

const CSV: &str = "open_time,open,high,low,close,volume
2025-01-01T00:00:00Z,100,101,99,100.5,10
2025-01-01T00:15:00Z,100.5,102,100,101.5,12
2025-01-01T00:30:00Z,101.5,101.8,100.9,101,9
";

fn js(value: &Value) -> JsValue {
    value
        .serialize(&serde_wasm_bindgen::Serializer::json_compatible())
        .unwrap()
}

fn rust(value: JsValue) -> Value {
    serde_wasm_bindgen::from_value(value).unwrap()
}

use serde::Serialize;

#[wasm_bindgen_test]
fn candles_parse_into_columns_and_errors_name_the_row() {
    let columns = parse_candles(CSV.as_bytes()).unwrap();
    let info = rust(dataset_info(columns).unwrap());
    assert_eq!(info["candles"], 3);
    assert_eq!(info["timeframe"], "15m");
    let broken = CSV.replace("101.8", "oops");
    let err: Error = parse_candles(broken.as_bytes()).unwrap_err();
    let message = String::from(err.message());
    assert!(message.contains("line 4"), "{message}");
}

#[wasm_bindgen_test]
fn the_page_refuses_zero_and_absurd_prices_as_the_cli_does() {
    for (bad, expected) in [
        (
            CSV.replace(",99,100.5", ",0,100.5"),
            "line 2: low is 0: prices must be positive",
        ),
        (
            CSV.replace("100,101,99", "100,1e308,99"),
            "line 2: high is 1e308, above the largest accepted price 1e12",
        ),
    ] {
        let message = String::from(parse_candles(bad.as_bytes()).unwrap_err().message());
        assert!(message.contains(expected), "{message}");
    }
}

fn config(fast: u32, slow: u32) -> Value {
    json!({"symbol": "DEMO-BTC", "timeframe": "1h", "start": "2024-01-01", "end": "2024-03-01",
           "strategy": "sma", "params": {"fast_period": fast, "slow_period": slow}})
}

#[wasm_bindgen_test]
fn the_engine_gives_the_core_result_and_reports_failures_in_place() {
    let start = 1_704_067_200_000.0;
    let columns = demo_candles("1h", start, start + 60.0 * 86_400_000.0, 42).unwrap();
    let mut engine = Engine::new(columns).unwrap();
    let chunk = json!([config(10, 30), config(30, 10)]).to_string();
    let packed = engine.run_chunk(&chunk, false).unwrap();
    // The page joins the bytes to the configs it planned.
    let configs: Vec<btlab::BacktestConfig> = serde_json::from_str(&chunk).unwrap();
    let mut runs = btlab::plan::unpack_runs(&packed, configs).unwrap();
    let refused = runs.pop().unwrap().unwrap_err();
    assert!(refused.error.contains("fast_period"), "{}", refused.error);

    // The same config through the core directly, on the same candles.
    let candles =
        btlab::synthetic::generate(btlab::Timeframe::H1, start as i64, start as i64 + 60 * 86_400_000, 42).unwrap();
    let native = btlab::run_backtest(&serde_json::from_value(config(10, 30)).unwrap(), &candles).unwrap();
    let (result, returns) = runs.pop().unwrap().unwrap();
    assert_eq!(result.config_hash, native.config_hash);
    assert_eq!(result.metrics, native.metrics);
    assert!(returns.is_none());

    let detail = rust(engine.run_detail(js(&config(10, 30))).unwrap());
    assert_eq!(detail["trades"].as_array().unwrap().len(), native.trades.len());
    let detail_metrics: btlab::Metrics = serde_json::from_value(detail["metrics"].clone()).unwrap();
    assert_eq!(detail_metrics, native.metrics);
    let hash = config_hash_js(js(&config(10, 30)), &native.data_fingerprint).unwrap();
    assert_eq!(hash, native.config_hash);
}

#[wasm_bindgen_test]
fn a_sweep_streams_its_configs_with_hashes() {
    let spec = json!({"symbol": "DEMO-BTC", "timeframe": "1h", "start": "2024-01-01", "end": "2024-03-01",
                      "strategies": ["sma"], "param_grids": {"sma": {"fast_period": [5, 10, 60], "slow_period": [20, 50]}}});
    let mut sweep = Sweep::new(js(&spec)).unwrap();
    assert_eq!(sweep.size_before_constraints(), 6.0);
    assert_eq!(sweep.size(), 4.0);
    let chunk = |sweep: &mut Sweep| -> Vec<Value> { serde_json::from_str(&sweep.next_chunk(3).unwrap()).unwrap() };
    let (first, rest, end) = (chunk(&mut sweep), chunk(&mut sweep), chunk(&mut sweep));
    assert_eq!((first.len(), rest.len(), end.len()), (3, 1, 0));
    assert_eq!(first[0]["params"], json!({"fast_period": 5, "slow_period": 20}));
    let bad = Sweep::new(js(&json!({"symbol": "X"}))).err().unwrap();
    assert!(String::from(bad.message()).contains("missing field"));
}

#[wasm_bindgen_test]
fn the_editor_check_marks_errors_at_their_line_and_column_and_survives_deep_nesting() {
    let checked = rust(check_definition("name: t\nlong_entry: emma(close, 3) > close\n").unwrap());
    assert_eq!(checked["ok"], false);
    assert_eq!(
        checked["diagnostics"][0],
        json!({"line": 2, "column": 13, "message": "unknown function `emma` (did you mean `ema`?)"})
    );
    // 64 KiB of parentheses: refused at once, the wasm stack intact.
    let deep = format!(
        "name: t\nlong_entry: {}close{} > 0\n",
        "(".repeat(32_000),
        ")".repeat(32_000)
    );
    let checked = rust(check_definition(&deep).unwrap());
    assert!(
        checked["diagnostics"][0]["message"]
            .as_str()
            .unwrap()
            .contains("nests deeper than 64"),
        "{checked}"
    );
    let fine = rust(check_definition(btlab::lang::EXAMPLES[0].1).unwrap());
    assert_eq!(fine["ok"], true);
    assert_eq!(fine["strategy"]["name"], "ema_rsi");
    assert_eq!(
        rust(example_definitions().unwrap()).as_array().unwrap().len(),
        btlab::lang::EXAMPLES.len()
    );
}

#[wasm_bindgen_test]
fn each_builtin_written_as_a_definition_gives_the_builtin_result_in_the_browser() {
    let start = 1_704_067_200_000.0;
    let columns = demo_candles("1h", start, start + 120.0 * 86_400_000.0, 7).unwrap();
    let mut engine = Engine::new(columns).unwrap();
    let cases = [
        (
            "sma",
            "builtins/sma_cross.yaml",
            json!({"fast_period": 10, "slow_period": 30}),
        ),
        (
            "rsi",
            "builtins/rsi_reversion.yaml",
            json!({"period": 14, "oversold": 35, "overbought": 65}),
        ),
        (
            "macd",
            "builtins/macd_cross.yaml",
            json!({"fast_period": 12, "slow_period": 26, "signal_period": 9}),
        ),
        (
            "convergence",
            "builtins/convergence_votes.yaml",
            json!({"fast_period": 10, "slow_period": 30, "rsi_period": 40, "oversold": 40, "overbought": 60,
                   "macd_fast": 5, "macd_slow": 13, "macd_signal": 4, "threshold": 1}),
        ),
    ];
    for (builtin, file, params) in cases {
        let source = btlab::lang::EXAMPLES.iter().find(|(f, _)| *f == file).unwrap().1;
        let defined = rust(define_strategy(source).unwrap());
        for allow_short in [false, true] {
            let mut config = json!({"symbol": "DEMO-BTC", "timeframe": "1h", "start": "2024-01-01", "end": "2024-05-01",
                                    "strategy": builtin, "params": params, "allow_short": allow_short});
            let theirs = rust(engine.run_detail(js(&config)).unwrap());
            config["strategy"] = defined["name"].clone();
            config["definition"] = defined["definition"].clone();
            let ours = rust(engine.run_detail(js(&config)).unwrap());
            assert!(theirs["metrics"]["total_trades"].as_u64().unwrap() > 0, "{builtin}");
            assert_eq!(ours["metrics"], theirs["metrics"], "{builtin} shorts {allow_short}");
            assert_eq!(ours["trades"], theirs["trades"], "{builtin} shorts {allow_short}");
        }
    }
}

#[wasm_bindgen_test]
fn the_report_and_the_pareto_optimizer_refuse_bad_input_naming_it() {
    let start = 1_704_067_200_000.0;
    let columns = demo_candles("1h", start, start + 60.0 * 86_400_000.0, 42).unwrap();
    let mut engine = Engine::new(columns).unwrap();
    let message = |e: Error| String::from(e.message());
    let evidence = json!({"trial_sharpes": "many"});
    let err = message(engine.report(js(&config(10, 30)), js(&evidence)).unwrap_err());
    assert!(err.starts_with("trial_sharpes: "), "{err}");
    let err = message(
        engine
            .report(js(&config(30, 10)), js(&json!({"trial_sharpes": []})))
            .unwrap_err(),
    );
    assert!(err.contains("fast_period"), "{err}");
    let html = engine
        .report(js(&config(10, 30)), js(&json!({"trial_sharpes": []})))
        .unwrap();
    assert!(html.starts_with("<!DOCTYPE html>"), "{}", &html[..40]);

    let grid = r#"{"fast_period": [5, 10, 20], "slow_period": [30, 50]}"#;
    let pareto = |targets: &str, population: usize, grid: &str| {
        ParetoOptimizer::new(js(&config(10, 30)), "f", grid, targets, 1, population)
            .err()
            .map(message)
    };
    assert_eq!(pareto("sharpe_ratio,max_drawdown", 10, grid), None);
    for (targets, population, grid, expected) in [
        ("sharpe_ratio", 10, grid, "2 to 4"),
        ("sharpe_ratio,sharpe_ratio", 10, grid, "named twice"),
        ("sharpe_ratio,nonsense", 10, grid, "nonsense"),
        ("sharpe_ratio,max_drawdown", 1, grid, "population"),
        (
            "sharpe_ratio,max_drawdown",
            10,
            r#"{"fast_period": "x"}"#,
            "fast_period",
        ),
    ] {
        let err =
            pareto(targets, population, grid).unwrap_or_else(|| panic!("{targets} {population} {grid}: accepted"));
        assert!(err.contains(expected), "{targets} {population} {grid}: {err}");
    }
    // A walk-forward spec's error names where in the spec it is.
    let err = message(walk_forward_windows(r#"{"sweep": {"symbol": "X"}, "walk_forward": {}}"#).unwrap_err());
    assert!(err.starts_with("sweep: missing field"), "{err}");
}
