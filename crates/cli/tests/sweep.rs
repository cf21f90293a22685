//! `btlab sweep` and `btlab experiments` on real candles and real database files.

mod common;

use std::path::Path;
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use common::{DATA_15M, btlab, ok, refused, write};
use serde_json::Value;

/// 1,000 valid configs: fast 1..=100 x slow 110..=200 step 10.
const SPEC_1000: &str = "
symbol: BTCUSDT
timeframe: 15m
start: 2025-01-01
end: 2026-01-01
strategies: [sma]
param_grids:
  sma:
    fast_period: {type: int, min: 1, max: 100}
    slow_period: {type: int, min: 110, max: 200, step: 10}
";

fn db_arg(db: &Path) -> String {
    db.to_str().unwrap().to_owned()
}

fn stored(db: &Path) -> i64 {
    let summary: Value = serde_json::from_str(&ok(&["experiments", "summary", "--json", "--db", &db_arg(db)])).unwrap();
    summary["experiments"].as_i64().unwrap()
}

fn sweep(spec: &Path, db: &Path, extra: &[&str]) -> String {
    let mut args = vec![
        "sweep",
        spec.to_str().unwrap(),
        "--data",
        DATA_15M,
        "--db",
        db.to_str().unwrap(),
    ];
    args.extend_from_slice(extra);
    ok(&args)
}

#[test]
fn a_sweep_stores_each_config_once_and_resumes() {
    let dir = tempfile::tempdir().unwrap();
    let spec = write(dir.path(), "spec.yaml", SPEC_1000);
    let db = dir.path().join("nested/experiments.sqlite");

    let dry = sweep(&spec, &db, &["--dry-run"]);
    assert!(dry.starts_with("1000 combinations, 1000 after constraints"), "{dry}");
    assert!(!db.exists(), "a dry run writes nothing");

    let first = sweep(&spec, &db, &[]);
    assert!(first.contains("1000 stored, 0 already stored, 0 failed"), "{first}");
    assert_eq!(stored(&db), 1000);

    let again = sweep(&spec, &db, &[]);
    assert!(again.contains("0 stored, 1000 already stored"), "{again}");
    assert!(again.contains("nothing new"), "{again}");
    assert_eq!(stored(&db), 1000);
}

/// Polls until the database holds at least `n` experiments.
fn wait_for(db: &Path, n: i64) {
    let started = Instant::now();
    while !(db.exists()
        && btlab(&["experiments", "summary", "--json", "--db", &db_arg(db)])
            .status
            .success()
        && stored(db) >= n)
    {
        assert!(started.elapsed() < Duration::from_secs(60), "the sweep stored nothing");
        std::thread::sleep(Duration::from_millis(20));
    }
}

fn spawn_sweep(spec: &Path, db: &Path) -> std::process::Child {
    Command::new(env!("CARGO_BIN_EXE_btlab"))
        .args([
            "sweep",
            spec.to_str().unwrap(),
            "--data",
            DATA_15M,
            "--db",
            db.to_str().unwrap(),
        ])
        .args(["--chunk", "100", "--threads", "1"])
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap()
}

/// 20,000 configs, long enough to be stopped midway.
const SPEC_20000: &str = "
symbol: BTCUSDT
timeframe: 15m
start: 2025-01-01
end: 2026-01-01
strategies: [sma]
param_grids:
  sma:
    fast_period: {type: int, min: 1, max: 100}
    slow_period: {type: int, min: 101, max: 300}
";

#[test]
fn a_killed_sweep_loses_nothing_and_duplicates_nothing() {
    let dir = tempfile::tempdir().unwrap();
    let spec = write(dir.path(), "spec.yaml", SPEC_20000);
    let db = dir.path().join("experiments.sqlite");
    let mut child = spawn_sweep(&spec, &db);
    wait_for(&db, 300);
    child.kill().unwrap(); // SIGKILL: no chance to clean up
    child.wait().unwrap();
    let survived = stored(&db);
    assert!((300..20_000).contains(&survived), "{survived}");
    assert_eq!(survived % 100, 0, "whole chunks only: {survived}");

    let resumed = sweep(&spec, &db, &[]);
    let expected = format!("{} stored, {survived} already stored, 0 failed", 20_000 - survived);
    assert!(resumed.contains(&expected), "{resumed}");
    assert_eq!(stored(&db), 20_000);
}

#[test]
fn ctrl_c_stops_cleanly_with_everything_finished_stored() {
    let dir = tempfile::tempdir().unwrap();
    let spec = write(dir.path(), "spec.yaml", SPEC_20000);
    let db = dir.path().join("experiments.sqlite");
    let child = spawn_sweep(&spec, &db);
    wait_for(&db, 200);
    let interrupt = Command::new("kill")
        .args(["-INT", &child.id().to_string()])
        .status()
        .unwrap();
    assert!(interrupt.success());
    let out = child.wait_with_output().unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(out.status.success(), "{stderr}");
    assert!(stderr.contains("interrupted"), "{stderr}");
    let stdout = String::from_utf8_lossy(&out.stdout);
    let kept = stored(&db);
    assert!(stdout.contains(&format!("{kept} stored")), "{stdout}");
    assert!(kept < 20_000);
}

#[test]
fn failing_configs_land_in_errors_and_the_rest_complete() {
    let dir = tempfile::tempdir().unwrap();
    // fast_period 0 is out of bounds (>= 1): those 3 configs fail, the other 6 run.
    let spec = write(
        dir.path(),
        "spec.yaml",
        "{symbol: BTCUSDT, timeframe: 15m, start: 2025-01-01, end: 2025-03-01, strategies: [sma],
          param_grids: {sma: {fast_period: [0, 5, 10], slow_period: [20, 30, 40]}}}",
    );
    let db = dir.path().join("experiments.sqlite");
    let out = sweep(&spec, &db, &[]);
    assert!(out.contains("6 stored, 0 already stored, 3 failed"), "{out}");
    let errors: Value = serde_json::from_str(&ok(&["experiments", "errors", "--json", "--db", &db_arg(&db)])).unwrap();
    let errors = errors.as_array().unwrap();
    assert_eq!(errors.len(), 3);
    assert!(
        errors[0]["message"].as_str().unwrap().contains("fast_period"),
        "{errors:?}"
    );
    assert_eq!(errors[0]["config"]["params"]["fast_period"], 0);
    let table = ok(&["experiments", "errors", "--limit", "2", "--db", &db_arg(&db)]);
    assert_eq!(
        table.matches("fast_period").count(),
        4,
        "two rows, each naming it in config and message: {table}"
    );
    // Errors are remembered too: a re-run neither repeats nor re-records them.
    let again = sweep(&spec, &db, &[]);
    assert!(again.contains("0 stored, 9 already stored, 0 failed"), "{again}");
    assert!(sweep(&spec, &db, &["--stop-on-error", "--seed", "1"]).contains("already stored"));
}

#[test]
fn stop_on_error_stops_at_the_first_failing_config_and_names_it() {
    let dir = tempfile::tempdir().unwrap();
    let spec = write(
        dir.path(),
        "spec.yaml",
        "{symbol: BTCUSDT, timeframe: 15m, start: 2025-01-01, end: 2025-03-01, strategies: [sma],
          param_grids: {sma: {fast_period: [5, 0], slow_period: [20]}}}",
    );
    let db = dir.path().join("db.sqlite");
    let err = refused(&[
        "sweep",
        spec.to_str().unwrap(),
        "--data",
        DATA_15M,
        "--db",
        &db_arg(&db),
        "--stop-on-error",
    ]);
    assert!(err.contains("(stopped: --stop-on-error)"), "{err}");
    assert!(
        err.contains("\"fast_period\":0") && err.contains("fast_period"),
        "{err}"
    );
    // What ran before the stop is kept, and so is the failure.
    assert_eq!(stored(&db), 1);
}

#[test]
fn every_viewer_command_reads_a_real_database() {
    let dir = tempfile::tempdir().unwrap();
    let spec = write(
        dir.path(),
        "spec.yaml",
        "{symbol: BTCUSDT, timeframe: 15m, start: 2025-01-01, end: 2025-07-01, strategies: [sma, rsi],
          param_grids: {sma: {fast_period: [5, 10, 20], slow_period: [50, 100]}, rsi: {period: [7, 14]}}}",
    );
    let db = dir.path().join("experiments.sqlite");
    let dbs = db_arg(&db);
    assert!(sweep(&spec, &db, &[]).contains("8 stored"));

    let top: Value = serde_json::from_str(&ok(&[
        "experiments",
        "top",
        "sharpe_ratio",
        "--n",
        "3",
        "--json",
        "--db",
        &dbs,
    ]))
    .unwrap();
    let top = top.as_array().unwrap();
    assert_eq!(top.len(), 3);
    let sharpes: Vec<f64> = top
        .iter()
        .map(|e| e["metrics"]["sharpe_ratio"].as_f64().unwrap())
        .collect();
    assert!(sharpes.windows(2).all(|w| w[0] >= w[1]), "{sharpes:?}");
    let table = ok(&[
        "experiments",
        "top",
        "max_drawdown",
        "--n",
        "2",
        "--strategy",
        "rsi",
        "--db",
        &dbs,
    ]);
    assert_eq!(table.matches("┆ rsi ").count(), 2, "{table}");
    assert!(refused(&["experiments", "top", "volume", "--db", &dbs]).contains("unknown metric `volume`"));

    let summary = ok(&["experiments", "summary", "--db", &dbs]);
    assert!(summary.contains("8 experiments, 0 errors"), "{summary}");
    assert!(summary.contains("┆ sma ") && summary.contains("┆ rsi "), "{summary}");

    let list = ok(&[
        "experiments",
        "list",
        "--symbol",
        "BTCUSDT",
        "--strategy",
        "sma",
        "--limit",
        "4",
        "--db",
        &dbs,
    ]);
    assert!(list.contains("1-4 of 6 experiments"), "{list}");
    let page2: Value = serde_json::from_str(&ok(&[
        "experiments",
        "list",
        "--strategy",
        "sma",
        "--limit",
        "4",
        "--offset",
        "4",
        "--json",
        "--db",
        &dbs,
    ]))
    .unwrap();
    assert_eq!(page2.as_array().unwrap().len(), 2);

    // By id and by hash prefix: the same experiment, and the same as a fresh run.
    let best = &top[0];
    let id = format!("#{}", best["id"].as_i64().unwrap());
    let hash = best["config_hash"].as_str().unwrap();
    let by_id: Value = serde_json::from_str(&ok(&["experiments", "show", &id, "--json", "--db", &dbs])).unwrap();
    let by_hash: Value =
        serde_json::from_str(&ok(&["experiments", "show", &hash[..8], "--json", "--db", &dbs])).unwrap();
    assert_eq!(by_id, by_hash);
    let config = &by_id["config"];
    let rerun: Value = serde_json::from_str(&ok(&[
        "run",
        "--json",
        "--data",
        DATA_15M,
        "--symbol",
        "BTCUSDT",
        "--timeframe",
        "15m",
        "--strategy",
        config["strategy"].as_str().unwrap(),
        "--params",
        &config["params"].to_string(),
        "--start",
        "2025-01-01",
        "--end",
        "2025-07-01",
    ]))
    .unwrap();
    assert_eq!(rerun["config_hash"], by_id["config_hash"]);
    assert_eq!(rerun["metrics"], by_id["metrics"]);
    let shown = ok(&["experiments", "show", &id, "--db", &dbs]);
    assert!(
        shown.contains(hash) && shown.contains("sharpe_ratio") && shown.contains("equity "),
        "{shown}"
    );
    assert!(refused(&["experiments", "show", "999999", "--db", &dbs]).contains("no experiment `999999`"));
    assert!(refused(&["experiments", "show", "zz", "--db", &dbs]).contains("neither an experiment id"));

    assert!(ok(&["experiments", "errors", "--db", &dbs]).contains("no errors"));

    let export = dir.path().join("out/results.json");
    std::fs::create_dir_all(export.parent().unwrap()).unwrap();
    let said = ok(&["experiments", "export", export.to_str().unwrap(), "--db", &dbs]);
    assert!(said.contains("exported 8 experiments"), "{said}");
    let exported: Value = serde_json::from_str(&std::fs::read_to_string(&export).unwrap()).unwrap();
    assert_eq!(exported.as_array().unwrap().len(), 8);
    assert_eq!(exported[0]["config_hash"], top[0]["config_hash"]);

    let missing = dir.path().join("none.sqlite");
    assert!(refused(&["experiments", "summary", "--db", missing.to_str().unwrap()]).contains("no experiment database"));
    assert!(!missing.exists());
}

#[test]
fn a_store_from_a_newer_btlab_is_refused_and_left_as_it_is() {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("future.sqlite");
    rusqlite::Connection::open(&db)
        .unwrap()
        .execute_batch("PRAGMA user_version = 99; CREATE TABLE experiments (id INTEGER PRIMARY KEY);")
        .unwrap();
    let before = std::fs::read(&db).unwrap();
    let err = refused(&["experiments", "summary", "--db", &db_arg(&db)]);
    assert!(err.contains("schema version 99, newer than this btlab's"), "{err}");
    assert!(std::fs::read(&db).unwrap() == before, "the refused file was modified");
}

#[test]
fn an_order_axis_is_swept_and_the_report_columns_sort_and_filter_the_list() {
    let dir = tempfile::tempdir().unwrap();
    let spec = write(
        dir.path(),
        "spec.yaml",
        "{symbol: BTCUSDT, timeframe: 15m, start: 2025-01-01, end: 2025-04-01, strategies: [sma],
          param_grids: {sma: {fast_period: [10, 20], slow_period: [50], stop_loss.pct: [0.01, 0.02, 0.04]}},
          orders: {take_profit: {rr: 2}}}",
    );
    let db = dir.path().join("db.sqlite");
    sweep(&spec, &db, &[]);
    assert_eq!(stored(&db), 6);
    let list = |extra: &[&str]| -> Vec<Value> {
        let mut args = vec!["experiments", "list", "--json", "--db"];
        let db = db_arg(&db);
        args.push(&db);
        args.extend(extra);
        serde_json::from_str(&ok(&args)).unwrap()
    };
    let by_sortino = list(&["--sort", "sortino_ratio"]);
    let sortinos: Vec<f64> = by_sortino
        .iter()
        .map(|e| e["metrics"]["sortino_ratio"].as_f64().unwrap())
        .collect();
    assert!(sortinos.windows(2).all(|w| w[0] >= w[1]), "{sortinos:?}");
    let stops: std::collections::BTreeSet<String> = by_sortino
        .iter()
        .map(|e| e["config"]["stop_loss"]["pct"].to_string())
        .collect();
    assert_eq!(stops.len(), 3);
    let median = sortinos[3];
    let kept = list(&["--where", &format!("sortino_ratio>={median}"), "--where", "exposure<=1"]);
    assert_eq!(kept.len(), sortinos.iter().filter(|&&s| s >= median).count());
    assert!(refused(&["experiments", "list", "--where", "sortino>1", "--db", &db_arg(&db)]).contains("METRIC>=NUMBER"));
    assert!(
        refused(&["experiments", "list", "--where", "luck>=1", "--db", &db_arg(&db)]).contains("unknown metric `luck`")
    );
}
