//! A strategy definition in every command of the binary, with one `config_hash`
//! everywhere: run (by file and by name), sweep, optimize, walk-forward, promote, show.

mod common;

use std::path::Path;
use std::process::{Command, Output};

use common::DATA_15M;
use serde_json::Value;

const EMA_RSI: &str = include_str!("../../../strategies/ema_rsi.yaml");
const PARAMS: &str = r#"{"fast":20,"slow":120,"rsi_len":14,"rsi_max":70,"ma":"ema"}"#;
const RANGE: [&str; 8] = [
    "--symbol",
    "BTCUSDT",
    "--start",
    "2025-04-01",
    "--end",
    "2025-07-01",
    "--data",
    DATA_15M,
];

fn run_in(dir: &Path, args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_btlab"))
        .args(args)
        .current_dir(dir)
        .env_remove("DEEPSEEK_API_KEY")
        .env("GIT_AUTHOR_NAME", "t")
        .env("GIT_AUTHOR_EMAIL", "t@example.com")
        .env("GIT_COMMITTER_NAME", "t")
        .env("GIT_COMMITTER_EMAIL", "t@example.com")
        .output()
        .unwrap()
}

fn ok_in(dir: &Path, args: &[&str]) -> String {
    let out = run_in(dir, args);
    assert!(
        out.status.success(),
        "btlab {args:?}: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8(out.stdout).unwrap()
}

fn run_json(dir: &Path, strategy: &[&str]) -> Value {
    let mut args = vec!["run", "--params", PARAMS, "--json"];
    args.extend_from_slice(strategy);
    args.extend_from_slice(&RANGE);
    serde_json::from_str(&ok_in(dir, &args)).unwrap()
}

#[test]
fn a_definition_runs_in_every_command_with_one_config_hash() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    std::fs::create_dir(d.join("strategies")).unwrap();
    std::fs::write(d.join("strategies/ema_rsi.yaml"), EMA_RSI).unwrap();

    let by_file = run_json(d, &["--strategy-file", "strategies/ema_rsi.yaml"]);
    let hash = by_file["config_hash"].as_str().unwrap().to_owned();
    assert!(by_file["metrics"]["total_trades"].as_u64().unwrap() > 10, "{by_file}");
    assert_eq!(
        run_json(d, &["--strategy", "ema_rsi"])["config_hash"],
        by_file["config_hash"]
    );
    // Reformatted (comments, spacing, key order): the same hash; one number changed: another.
    let reformatted = format!(
        "# my copy\n{}",
        EMA_RSI.replace("long_exit:   crossunder(f, s)", "long_exit: crossunder( f,s )   # out")
    );
    std::fs::write(d.join("copy.yaml"), reformatted).unwrap();
    assert_eq!(
        run_json(d, &["--strategy-file", "copy.yaml"])["config_hash"],
        by_file["config_hash"]
    );
    std::fs::write(d.join("changed.yaml"), EMA_RSI.replace("100 - rsi_max", "99 - rsi_max")).unwrap();
    assert_ne!(
        run_json(d, &["--strategy-file", "changed.yaml"])["config_hash"],
        by_file["config_hash"]
    );

    // A sweep of the definition's params stores the same config under the same hash.
    std::fs::write(
        d.join("sweep.yaml"),
        "symbol: BTCUSDT\ntimeframe: 15m\nstart: 2025-04-01\nend: 2025-07-01\nstrategy_files: [strategies/ema_rsi.yaml]\n\
         param_grids:\n  ema_rsi: {fast: [5, 20], slow: [30, 120], rsi_max: [70], ma: [ema, sma]}\n",
    )
    .unwrap();
    let swept = ok_in(d, &["sweep", "sweep.yaml", "--db", "exp.sqlite", "--data", DATA_15M]);
    assert!(swept.contains("8 stored"), "{swept}");
    let shown: Value = serde_json::from_str(&ok_in(
        d,
        &["experiments", "show", &hash, "--db", "exp.sqlite", "--json"],
    ))
    .unwrap();
    assert_eq!(shown["config"]["definition"], by_file["config"]["definition"]);
    assert_eq!(shown["metrics"]["sharpe_ratio"], by_file["metrics"]["sharpe_ratio"]);
    assert_eq!(shown["definition_source"].as_str().unwrap(), EMA_RSI);
    let text = ok_in(d, &["experiments", "show", &hash, "--db", "exp.sqlite"]);
    assert!(
        text.contains("definition ") && text.contains("  long_entry:  crossover(f, s)"),
        "{text}"
    );

    // The optimizer (no key: the seeded TPE) over the definition's declared bounds.
    let optimized = ok_in(
        d,
        &[
            "optimize",
            "--strategy-file",
            "strategies/ema_rsi.yaml",
            "--iterations",
            "2",
            "--batch",
            "3",
            "--db",
            "exp.sqlite",
            "--symbol",
            "BTCUSDT",
            "--start",
            "2025-01-01",
            "--end",
            "2025-04-01",
            "--data",
            DATA_15M,
            "--json",
        ],
    );
    let report: Value = serde_json::from_str(&optimized).unwrap();
    assert!(report["evaluated"].as_u64().unwrap() >= 3, "{report}");
    assert!(report["best"].to_string().contains("ema_rsi"), "{report}");

    // Walk-forward of the definition.
    std::fs::write(
        d.join("wf.yaml"),
        "symbol: BTCUSDT\ntimeframe: 15m\nstart: 2025-01-01\nend: 2025-05-01\nstrategy_files: [strategies/ema_rsi.yaml]\n\
         param_grids:\n  ema_rsi: {fast: [5, 10], slow: [30, 60]}\nwalk_forward: {train_days: 40, test_days: 20, target: sharpe_ratio}\n",
    )
    .unwrap();
    let wf: Value = serde_json::from_str(&ok_in(d, &["walkforward", "wf.yaml", "--data", DATA_15M, "--json"])).unwrap();
    assert!(wf["windows"].as_array().unwrap().len() >= 3, "{wf}");

    // Promotion keeps the definition: the profile alone rebuilds the config and its hash.
    let promoted = run_in(
        d,
        &[
            "promote",
            &hash[..12],
            "swing",
            "--db",
            "exp.sqlite",
            "--data",
            DATA_15M,
            "--max-drawdown",
            "1",
            "--min-oos-sharpe",
            "-100",
            "--min-sharpe",
            "-100",
            "--min-trades",
            "1",
        ],
    );
    assert!(
        promoted.status.success(),
        "{}",
        String::from_utf8_lossy(&promoted.stderr)
    );
    let profiles =
        btlab::profiles::parse(&std::fs::read_to_string(d.join("config/strategy_profiles.yaml")).unwrap()).unwrap();
    let profile = &profiles["swing"].current;
    assert_eq!(profile.definition.as_deref(), Some(EMA_RSI));
    let config = profile.config().unwrap();
    let series = btlab::parse_candles(&std::fs::read(DATA_15M).unwrap()).unwrap();
    assert_eq!(btlab::run_backtest(&config, &series).unwrap().config_hash, hash);
}

#[test]
fn a_bad_definition_is_named_by_file_line_and_column() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    std::fs::write(
        d.join("bad.yaml"),
        "name: bad\nlong_entry: emma(close, 3) > close\nlong_exit: clsoe < 1\n",
    )
    .unwrap();
    let out = run_in(d, &["run", "--strategy-file", "bad.yaml", "--data", DATA_15M]);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(1), "{stderr}");
    assert!(
        stderr.contains("bad.yaml:2:13: unknown function `emma` (did you mean `ema`?)"),
        "{stderr}"
    );
    let out = run_in(d, &["run", "--strategy", "nothing_here", "--data", DATA_15M]);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(
        stderr.contains("unknown strategy `nothing_here`") && stderr.contains("strategies/"),
        "{stderr}"
    );
}

#[test]
fn strategies_lists_the_definitions_of_the_working_directory() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    std::fs::create_dir(d.join("strategies")).unwrap();
    std::fs::write(d.join("strategies/ema_rsi.yaml"), EMA_RSI).unwrap();
    std::fs::write(d.join("strategies/broken.yaml"), "name: broken\nlong_entry: (\n").unwrap();
    let out = run_in(d, &["strategies", "--json"]);
    let list: Value = serde_json::from_slice(&out.stdout).unwrap();
    let names: Vec<&str> = list
        .as_array()
        .unwrap()
        .iter()
        .map(|s| s["name"].as_str().unwrap())
        .collect();
    assert_eq!(names, ["sma", "rsi", "macd", "convergence", "ema_rsi"]);
    let defined = &list[4];
    assert_eq!(defined["definition"].as_str().unwrap().len(), 64);
    assert_eq!(defined["params"][4]["choices"], serde_json::json!(["ema", "sma"]));
    assert!(
        String::from_utf8_lossy(&out.stderr).contains("strategies/broken.yaml:2:"),
        "broken files are named"
    );
}

#[test]
fn a_store_from_before_definitions_migrates_and_its_experiments_keep_their_hashes() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    let swept = ok_in(
        d,
        &[
            "sweep",
            "--symbol",
            "BTCUSDT",
            "--data",
            DATA_15M,
            "--db",
            "old.sqlite",
            "--start",
            "2025-01-01",
            "--end",
            "2025-03-01",
        ],
    );
    assert!(swept.contains(" stored"), "{swept}");
    // As btlab left it before definitions (schema 2): no definitions table, no column, and
    // none of schema 4's order and report columns.
    let db = rusqlite::Connection::open(d.join("old.sqlite")).unwrap();
    let later: Vec<String> = ["definition", "orders"]
        .into_iter()
        .chain(
            btlab::metrics::Metric::ALL[btlab::metrics::Metric::REPORT_FROM..]
                .iter()
                .map(|m| m.name()),
        )
        .map(|column| format!("ALTER TABLE experiments DROP COLUMN {column};"))
        .collect();
    db.execute_batch(&format!(
        "DROP TABLE definitions; {} PRAGMA user_version = 2;",
        later.join(" ")
    ))
    .unwrap();
    let before: Vec<(String, String)> = db
        .prepare("SELECT config_hash, params FROM experiments ORDER BY id")
        .unwrap()
        .query_map([], |r| Ok((r.get(0)?, r.get(1)?)))
        .unwrap()
        .map(Result::unwrap)
        .collect();
    drop(db);
    // Read as it is (viewing migrates nothing), then migrated by the next writer.
    let listed: Value = serde_json::from_str(&ok_in(
        d,
        &["experiments", "list", "--db", "old.sqlite", "--json", "--limit", "1000"],
    ))
    .unwrap();
    assert_eq!(listed.as_array().unwrap().len(), before.len());
    let again = ok_in(
        d,
        &[
            "sweep",
            "--symbol",
            "BTCUSDT",
            "--data",
            DATA_15M,
            "--db",
            "old.sqlite",
            "--start",
            "2025-01-01",
            "--end",
            "2025-03-01",
        ],
    );
    assert!(
        again.contains(&format!("0 stored, {} already stored", before.len())),
        "{again}"
    );
    let version: i64 = rusqlite::Connection::open(d.join("old.sqlite"))
        .unwrap()
        .query_row("PRAGMA user_version", [], |r| r.get(0))
        .unwrap();
    assert_eq!(version, btlab::store::SCHEMA_VERSION);
    // Each experiment re-runs to the hash it was stored under.
    for (hash, params) in before.iter().take(5) {
        let run: Value = serde_json::from_str(&ok_in(
            d,
            &[
                "run",
                "--json",
                "--params",
                params,
                "--symbol",
                "BTCUSDT",
                "--data",
                DATA_15M,
                "--start",
                "2025-01-01",
                "--end",
                "2025-03-01",
            ],
        ))
        .unwrap();
        assert_eq!(run["config_hash"].as_str().unwrap(), hash);
    }
}
