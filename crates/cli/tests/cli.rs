//! The real `btlab` binary on real files.

use std::process::Command;

use serde_json::Value;

mod common;

use common::{DATA_15M, ok, refused, write};

#[test]
fn run_on_the_embedded_default_and_on_real_data() {
    let demo = ok(&["run"]);
    assert!(demo.contains("DEMO-BTC 15m sma"), "{demo}");
    assert!(demo.contains("sharpe_ratio") && demo.contains("config_hash"), "{demo}");

    let json: Value = serde_json::from_str(&ok(&[
        "run",
        "--symbol",
        "BTCUSDT",
        "--timeframe",
        "15m",
        "--strategy",
        "sma",
        "--params",
        r#"{"fast_period":20,"slow_period":50}"#,
        "--start",
        "2025-01-01",
        "--end",
        "2025-11-01",
        "--data",
        DATA_15M,
        "--json",
        "--fee-bps",
        "10",
    ]))
    .unwrap();
    for key in [
        "total_return",
        "total_return_pct",
        "annualized_return",
        "sharpe_ratio",
        "max_drawdown",
        "total_trades",
        "winning_trades",
        "losing_trades",
        "win_rate",
        "profit_factor",
        "avg_win",
        "avg_loss",
    ] {
        assert!(json["metrics"].get(key).is_some(), "metrics.{key} missing");
    }
    assert_eq!(json["candles"], 29_184);
    assert_eq!(json["config"]["start"], "2025-01-01T00:00:00Z");
    assert_eq!(json["config_hash"].as_str().unwrap().len(), 64);
    assert!(json["equity_curve"].as_array().unwrap().len() <= 1001);

    // The same series resampled to 1h by the CLI.
    let hourly: Value = serde_json::from_str(&ok(&[
        "run",
        "--symbol",
        "BTCUSDT",
        "--timeframe",
        "1h",
        "--data",
        DATA_15M,
        "--json",
    ]))
    .unwrap();
    assert_eq!(hourly["candles"], 29_184 / 4);
}

#[test]
fn costs_and_shorts_flags_change_the_result() {
    let run = |extra: &[&str]| -> Value {
        let mut args = vec!["run", "--json", "--strategy", "rsi"];
        args.extend_from_slice(extra);
        serde_json::from_str(&ok(&args)).unwrap()
    };
    let base = run(&[]);
    let costly = run(&["--fee-bps", "50", "--slippage-bps", "5"]);
    let short = run(&["--allow-short"]);
    let bigger = run(&["--capital", "20000"]);
    assert!(costly["metrics"]["final_equity"].as_f64() < base["metrics"]["final_equity"].as_f64());
    assert_ne!(base["config_hash"], short["config_hash"]);
    assert!(short["trades"].as_array().unwrap().iter().any(|t| t["side"] == "short"));
    assert_eq!(bigger["config"]["initial_capital"], 20000.0);
}

#[test]
fn bad_input_gets_a_clear_error() {
    let dir = tempfile::tempdir().unwrap();
    let header = "open_time,open,high,low,close,volume\n0,1,2,0.5,1.5,1\n";
    let cases = [
        (
            "malformed.csv",
            format!("{header}900000,1,2,0.5\n"),
            "line 3: expected 6 columns, found 4",
        ),
        (
            "nan.csv",
            format!("{header}900000,1,NaN,0.5,1.5,1\n"),
            "line 3: high is NaN",
        ),
        (
            "high_low.csv",
            format!("{header}900000,1,0.8,0.5,1.5,1\n"),
            "line 3: high 0.8 is below max(open, close) 1.5",
        ),
        (
            "duplicate.csv",
            format!("{header}0,1,2,0.5,1.5,1\n"),
            "line 3: duplicate open_time 0",
        ),
    ];
    for (name, text, expected) in cases {
        let file = write(dir.path(), name, &text);
        let err = refused(&["run", "--data", file.to_str().unwrap(), "--start", "1970-01-01"]);
        assert!(err.contains(expected), "{name}: {err}");
    }
    let err = refused(&["run", "--strategy", "smma"]);
    assert!(
        err.contains("unknown strategy `smma` (known: sma, rsi, macd, convergence)"),
        "{err}"
    );
    let err = refused(&["run", "--params", r#"{"fast_period":50,"slow_period":20}"#]);
    assert!(
        err.contains("fast_period (50) must be less than slow_period (20)"),
        "{err}"
    );
    let err = refused(&["run", "--start", "2025-03-01", "--end", "2025-03-01"]);
    assert!(
        err.contains("no candles in the range [2025-03-01T00:00:00Z, 2025-03-01T00:00:00Z)"),
        "{err}"
    );
    let err = refused(&[
        "run",
        "--data",
        DATA_15M,
        "--start",
        "2030-01-01",
        "--end",
        "2030-02-01",
    ]);
    assert!(err.contains("no candles in the range"), "{err}");
    let err = refused(&["run", "--data", DATA_15M, "--timeframe", "5m"]);
    assert!(err.contains("15m candles cannot be resampled to 5m"), "{err}");
    let err = refused(&["run", "--data", "/nonexistent/file.csv"]);
    assert!(err.contains("reading /nonexistent/file.csv"), "{err}");
    let err = refused(&["run", "--params", "{fast"]);
    assert!(err.contains("--params must be a JSON object"), "{err}");
}

#[test]
fn batch_runs_each_config_and_reports_failures_in_place() {
    let dir = tempfile::tempdir().unwrap();
    let config = |strategy: &str, params: &str| {
        format!(
            r#"{{"symbol":"BTCUSDT","timeframe":"15m","start":"2025-01-01","end":"2025-03-01","strategy":"{strategy}","params":{params}}}"#
        )
    };
    let file = write(
        dir.path(),
        "configs.json",
        &format!(
            "[{},{},{},{}]",
            config("sma", r#"{"fast_period":10,"slow_period":30}"#),
            config("sma", r#"{"fast_period":30,"slow_period":10}"#),
            config("macd", r#"{"fast_period":12,"slow_period":26,"signal_period":9}"#),
            config("nope", "{}"),
        ),
    );
    let out: Value =
        serde_json::from_str(&ok(&["batch", file.to_str().unwrap(), "--data", DATA_15M, "--json"])).unwrap();
    let items = out.as_array().unwrap();
    assert_eq!(items.len(), 4);
    assert_eq!(
        items.iter().map(|i| i["ok"].as_bool().unwrap()).collect::<Vec<_>>(),
        [true, false, true, false]
    );
    assert!(
        items[1]["error"]
            .as_str()
            .unwrap()
            .contains("must be less than slow_period")
    );
    assert!(items[3]["error"].as_str().unwrap().contains("unknown strategy `nope`"));
    assert_eq!(items[2]["result"]["config"]["strategy"], "macd");

    let table = ok(&["batch", file.to_str().unwrap(), "--data", DATA_15M]);
    assert!(table.contains("4 configs: 2 ran, 2 failed"), "{table}");
}

#[test]
fn strategies_lists_schemas() {
    let list: Value = serde_json::from_str(&ok(&["strategies", "--json"])).unwrap();
    let names: Vec<&str> = list
        .as_array()
        .unwrap()
        .iter()
        .map(|s| s["name"].as_str().unwrap())
        .collect();
    assert_eq!(names, ["sma", "rsi", "macd", "convergence"]);
    assert_eq!(list[0]["params"][0]["name"], "fast_period");
    assert_eq!(list[0]["params"][0]["type"], "int");
    assert_eq!(list[0]["constraints"][0], "fast_period < slow_period");
    assert!(ok(&["strategies"]).contains("convergence"));
}

#[test]
fn a_closed_pipe_ends_quietly() {
    use std::io::Read;
    use std::process::Stdio;
    let mut child = Command::new(env!("CARGO_BIN_EXE_btlab"))
        .args(["run", "--json", "--full-curve"])
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let mut first = [0u8; 16];
    child.stdout.take().unwrap().read_exact(&mut first).unwrap(); // then the pipe is dropped
    let out = child.wait_with_output().unwrap();
    assert!(out.status.success());
    assert!(!String::from_utf8_lossy(&out.stderr).contains("panicked"));
}

#[test]
fn data_list_and_check_report_each_file_its_range_and_gaps() {
    let dir = tempfile::tempdir().unwrap();
    let data = std::path::Path::new(DATA_15M).parent().unwrap();
    std::fs::copy(
        data.join("BTCUSDT-1h-2020-2025.csv"),
        dir.path().join("BTCUSDT-1h-2020-2025.csv"),
    )
    .unwrap();
    std::fs::copy(DATA_15M, dir.path().join("BTCUSDT-15m-2025.csv")).unwrap();
    let bad = dir.path().join("ETHUSDT-1h.csv");
    std::fs::write(&bad, "open_time,open,high,low,close,volume\n1,2,3,1,2,5\nx,1,1,1,1,1\n").unwrap();
    let listed: Value =
        serde_json::from_str(&ok(&["data", "list", "--json", "--dir", dir.path().to_str().unwrap()])).unwrap();
    let rows = listed.as_array().unwrap();
    assert_eq!(rows.len(), 3);
    assert_eq!(
        (rows[0]["timeframe"].as_str(), rows[0]["rows"].as_u64()),
        (Some("15m"), Some(30_026))
    );
    assert_eq!(
        (rows[0]["gaps"].as_u64(), rows[0]["first"].as_str()),
        (Some(0), Some("2025-01-01T00:00:00Z"))
    );
    // As tests/data/README.md says of the 1h file: 15 gaps, 32 missing candles.
    assert_eq!(
        (rows[1]["symbol"].as_str(), rows[1]["gaps"].as_u64()),
        (Some("BTCUSDT"), Some(15))
    );
    assert_eq!(rows[1]["missing_candles"].as_i64(), Some(32));
    assert!(rows[2]["error"].as_str().unwrap().contains("line 3"), "{}", rows[2]);
    let checked: Value = serde_json::from_str(&ok(&[
        "data",
        "check",
        "--json",
        dir.path().join("BTCUSDT-1h-2020-2025.csv").to_str().unwrap(),
    ]))
    .unwrap();
    let gaps = checked["gaps"].as_array().unwrap();
    assert_eq!(gaps.len(), 15);
    assert_eq!(gaps.iter().map(|g| g["missing"].as_i64().unwrap()).sum::<i64>(), 32);
    assert_eq!(checked["summary"]["fingerprint"], rows[1]["fingerprint"]);
    assert!(refused(&["data", "check", bad.to_str().unwrap()]).contains("line 3: open_time `x`"));
}
