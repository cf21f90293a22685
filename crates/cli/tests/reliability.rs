//! The rules of docs/reliability.md, each driven through the real binary (or, for the
//! store's, through the native driver): nothing that ran is dropped, no write replaces
//! what it should not, bad input is refused by name, no output panics.

mod common;

use std::io::Read as _;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};

use btlab::store::Store;
use btlab_cli::sqlite::{Sqlite, open_read_only, open_store};
use common::{DATA_15M, btlab, ok, refused, write};
use serde_json::Value;

/// 47 SMA configs on January 2025 of the real series.
const SPEC: &str = "{symbol: BTCUSDT, timeframe: 15m, start: 2025-01-01, end: 2025-02-01, strategies: [sma]}";

fn s(path: &Path) -> &str {
    path.to_str().unwrap()
}

/// A folder with a spec and a store swept from it.
fn swept() -> (tempfile::TempDir, PathBuf) {
    let dir = tempfile::tempdir().unwrap();
    let spec = write(dir.path(), "spec.yaml", SPEC);
    let db = dir.path().join("db.sqlite");
    ok(&["sweep", s(&spec), "--data", DATA_15M, "--db", s(&db)]);
    (dir, db)
}

fn raw(db: &Path) -> rusqlite::Connection {
    rusqlite::Connection::open(db).unwrap()
}

fn counts(line: &str) -> (usize, usize, usize, usize) {
    // "N configs (M combinations): a stored, b already stored, c failed in ..."
    let number = |word: &str| -> usize {
        let at = line.find(word).unwrap_or_else(|| panic!("no `{word}` in {line}"));
        line[..at]
            .split_whitespace()
            .last()
            .unwrap()
            .trim_start_matches('(')
            .parse()
            .unwrap()
    };
    (
        number(" configs"),
        number(" stored,"),
        number(" already stored"),
        number(" failed"),
    )
}

// 1
#[test]
fn an_export_never_replaces_its_database_nor_an_existing_file_unasked() {
    let (dir, db) = swept();
    let before = std::fs::read(&db).unwrap();
    let err = refused(&["experiments", "export", s(&db), "--db", s(&db)]);
    assert!(err.contains("is the database being read"), "{err}");
    let alias = dir.path().join("alias.sqlite");
    std::fs::hard_link(&db, &alias).unwrap();
    let err = refused(&["experiments", "export", s(&alias), "--db", s(&db), "--force"]);
    assert!(err.contains("alias.sqlite is the database being read"), "{err}");
    assert_eq!(std::fs::read(&db).unwrap(), before);

    let out = write(dir.path(), "mine.json", "my own file");
    let err = refused(&["experiments", "export", s(&out), "--db", s(&db)]);
    assert!(err.contains("mine.json exists; pass --force to replace it"), "{err}");
    assert_eq!(std::fs::read_to_string(&out).unwrap(), "my own file");
    ok(&["experiments", "export", s(&out), "--db", s(&db), "--force"]);
    let rows: Vec<Value> = serde_json::from_str(&std::fs::read_to_string(&out).unwrap()).unwrap();
    assert_eq!(rows.len(), 47);
    let nowhere = dir.path().join("no/such/dir/x.json");
    let err = refused(&["experiments", "export", s(&nowhere), "--db", s(&db)]);
    assert!(err.contains("no/such/dir"), "the file is named: {err}");
    assert!(!dir.path().join("no").exists(), "no folder is made for an export");
}

// 2
#[test]
fn every_config_taken_is_stored_or_failed_and_the_counts_add_up() {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("db.sqlite");
    let dup = write(
        dir.path(),
        "dup.yaml",
        "{symbol: BTCUSDT, timeframe: 15m, start: 2025-01-01, end: 2025-02-01, strategies: [sma],
          param_grids: {sma: {fast_period: [10, 10, 20], slow_period: [50]}}}",
    );
    let line = ok(&["sweep", s(&dup), "--data", DATA_15M, "--db", s(&db)]);
    assert_eq!(counts(&line), (3, 2, 1, 0), "{line}");

    // Two sweeps on one store at once: each one's counts add up to its configs.
    let spec = write(dir.path(), "spec.yaml", SPEC);
    let run = || {
        Command::new(env!("CARGO_BIN_EXE_btlab"))
            .args(["sweep", s(&spec), "--data", DATA_15M, "--db", s(&db), "--chunk", "5"])
            .stdout(Stdio::piped())
            .spawn()
            .unwrap()
    };
    let (a, b) = (run(), run());
    for child in [a, b] {
        let out = child.wait_with_output().unwrap();
        assert!(out.status.success());
        let (taken, stored, already, failed) = counts(&String::from_utf8(out.stdout).unwrap());
        assert_eq!(stored + already + failed, taken);
    }
    let summary: Value = serde_json::from_str(&ok(&["experiments", "summary", "--json", "--db", s(&db)])).unwrap();
    assert_eq!(
        summary["experiments"],
        2 + 47 - 2,
        "fast 10 and 20 with slow 50 are in both"
    );
}

// 2: a result no row can hold goes to `errors` with its reason, never silently nowhere.
#[test]
fn a_result_with_a_non_finite_metric_is_recorded_as_an_error() {
    let dir = tempfile::tempdir().unwrap();
    let mut store = open_store(&dir.path().join("db.sqlite")).unwrap();
    let series = btlab::parse::parse_candles_from(std::fs::File::open(DATA_15M).unwrap()).unwrap();
    let config = btlab::BacktestConfig::from_json(
        r#"{"symbol":"BTCUSDT","timeframe":"15m","start":"2025-01-01","end":"2025-02-01","strategy":"sma","params":{"fast_period":10,"slow_period":50}}"#,
    )
    .unwrap();
    let valid = config.validate().unwrap();
    let market = btlab::Market::for_config(&series, &valid.config).unwrap();
    let good = market.run(&valid, btlab::Detail::summary(128), &mut Vec::new());
    let mut bad = good.clone();
    bad.config_hash = "f".repeat(64);
    bad.metrics.sharpe_ratio = f64::NAN;
    let good_copy = good.clone();
    let inserted = store.insert(&[good.clone(), bad, good], 1).unwrap();
    assert_eq!((inserted.stored, inserted.already_stored, inserted.failed), (1, 1, 1));
    let errors = store.errors(10).unwrap();
    assert_eq!(errors.len(), 1);
    assert!(
        errors[0].message.contains("metric `sharpe_ratio` is NaN"),
        "{}",
        errors[0].message
    );
    assert_eq!(errors[0].config_hash.as_deref(), Some("f".repeat(64).as_str()));
    // Without a loss the profit factor is undefined, and that is a row, not an error.
    let mut lossless = good_copy;
    lossless.config_hash = "e".repeat(64);
    lossless.metrics.profit_factor = None;
    assert_eq!(store.insert(&[lossless], 2).unwrap().stored, 1);
}

// 3
#[test]
fn prices_must_be_positive_and_costs_bounded_before_anything_runs() {
    let dir = tempfile::tempdir().unwrap();
    let zero = write(
        dir.path(),
        "BTCUSDT-15m-zero.csv",
        "open_time,open,high,low,close,volume\n0,1,2,0.5,1.5,1\n900000,1,2,0,1.5,1\n",
    );
    let err = refused(&[
        "run",
        "--data",
        s(&zero),
        "--start",
        "1970-01-01",
        "--end",
        "1970-01-02",
    ]);
    assert!(err.contains("line 3: low is 0: prices must be positive"), "{err}");
    let huge = write(
        dir.path(),
        "huge.csv",
        "open_time,open,high,low,close,volume\n0,1e308,1e308,1e308,1e308,1\n",
    );
    let err = refused(&[
        "run",
        "--data",
        s(&huge),
        "--start",
        "1970-01-01",
        "--end",
        "1970-01-02",
    ]);
    assert!(
        err.contains("line 2: open is 1e308, above the largest accepted price 1e12"),
        "{err}"
    );
    let err = refused(&["run", "--capital", "1.7e308"]);
    assert!(
        err.contains("`initial_capital`: must be a positive number of at most 1e12, got 1.7e308"),
        "{err}"
    );
    let spec = write(dir.path(), "fee.yaml", &SPEC.replace('}', ", fee_bps: 20000}"));
    let db = dir.path().join("db.sqlite");
    let err = refused(&["sweep", s(&spec), "--dry-run", "--db", s(&db)]);
    assert!(
        err.contains("`fee_bps`: must be in [0, 1000] basis points, got 20000"),
        "{err}"
    );
    assert!(!db.exists(), "refused before the store was touched");
}

// 4
#[test]
fn writers_opening_one_new_store_at_once_all_succeed() {
    for trial in 0..20 {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("new.sqlite");
        let barrier = std::sync::Barrier::new(4);
        std::thread::scope(|scope| {
            let opens: Vec<_> = (0..4)
                .map(|_| {
                    scope.spawn(|| {
                        barrier.wait();
                        open_store(&path).map(drop)
                    })
                })
                .collect();
            for open in opens {
                open.join().unwrap().unwrap_or_else(|e| panic!("trial {trial}: {e:#}"));
            }
        });
        let version: i64 = raw(&path).query_row("PRAGMA user_version", [], |r| r.get(0)).unwrap();
        assert_eq!(version, btlab::store::SCHEMA_VERSION);
    }
}

// 10
#[test]
fn a_closed_stdout_ends_every_command_quietly_and_a_full_stderr_never_panics() {
    let (dir, db) = swept();
    let spec = write(dir.path(), "spec.yaml", SPEC);
    let walk = write(
        dir.path(),
        "walk.yaml",
        "{symbol: BTCUSDT, timeframe: 15m, start: 2025-01-01, end: 2025-04-01, strategies: [sma],
          param_grids: {sma: {fast_period: [10, 20], slow_period: [50]}},
          walk_forward: {train_days: 30, test_days: 15}}",
    );
    let other = dir.path().join("other.sqlite");
    let profiles = write(dir.path(), "profiles.yaml", "");
    let commands: Vec<Vec<&str>> = vec![
        vec!["sweep", s(&spec), "--dry-run"],
        vec!["sweep", s(&spec), "--data", DATA_15M, "--db", s(&other)],
        vec!["walkforward", s(&walk), "--data", DATA_15M],
        vec![
            "optimize",
            "--iterations",
            "2",
            "--batch",
            "2",
            "--db",
            s(&other),
            "--start",
            "2025-01-01",
            "--end",
            "2025-02-01",
        ],
        vec!["experiments", "list", "--db", s(&db)],
        vec!["promote", "list", "--profiles", s(&profiles)],
        vec!["strategies"],
        vec!["run"],
    ];
    for args in commands {
        let mut child = Command::new(env!("CARGO_BIN_EXE_btlab"))
            .args(&args)
            .env_remove("DEEPSEEK_API_KEY")
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .unwrap();
        drop(child.stdout.take()); // the reader is gone before the first line
        let mut stderr = String::new();
        child.stderr.take().unwrap().read_to_string(&mut stderr).unwrap();
        let status = child.wait().unwrap();
        assert!(!stderr.contains("panicked"), "{args:?}: {stderr}");
        assert_eq!(status.code(), Some(0), "{args:?}: {stderr}");
    }
    let full = std::fs::OpenOptions::new().write(true).open("/dev/full").unwrap();
    let status = Command::new(env!("CARGO_BIN_EXE_btlab"))
        .args(["experiments", "show", "zz", "--db", s(&db)])
        .stderr(full)
        .status()
        .unwrap();
    assert_eq!(
        status.code(),
        Some(1),
        "a failure, told as well as it can be, not a panic (101)"
    );
}

// 11
#[test]
fn ids_and_hash_prefixes_never_overlap() {
    let (_dir, db) = swept();
    let rows: Vec<Value> = serde_json::from_str(&ok(&[
        "experiments",
        "list",
        "--json",
        "--limit",
        "100",
        "--db",
        s(&db),
    ]))
    .unwrap();
    let digits = rows
        .iter()
        .find(|r| {
            r["config_hash"].as_str().unwrap()[..4]
                .bytes()
                .all(|b| b.is_ascii_digit())
        })
        .expect("47 hashes hold one starting with four digits");
    let prefix = &digits["config_hash"].as_str().unwrap()[..4];
    let matching = rows
        .iter()
        .filter(|r| r["config_hash"].as_str().unwrap().starts_with(prefix))
        .count();
    let shown = btlab(&["experiments", "show", prefix, "--json", "--db", s(&db)]);
    if matching == 1 {
        let e: Value = serde_json::from_slice(&shown.stdout).unwrap();
        assert_eq!(
            e["config_hash"], digits["config_hash"],
            "an all-digit token is a hash prefix"
        );
    } else {
        assert!(String::from_utf8_lossy(&shown.stderr).contains("matches several"));
    }
    let by_id: Value = serde_json::from_str(&ok(&["experiments", "show", "#7", "--json", "--db", s(&db)])).unwrap();
    assert_eq!(by_id["id"], 7);
    let err = refused(&["experiments", "show", "7", "--db", s(&db)]);
    assert!(err.contains("for the experiment with id 7 write `#7`"), "{err}");
    let err = refused(&["promote", "94", "p", "--db", s(&db)]);
    assert!(err.contains("write `#94`"), "{err}");
}

// 12
#[test]
fn viewers_write_nothing_to_the_store_or_beside_it() {
    let (dir, db) = swept();
    let empty = write(dir.path(), "empty.sqlite", "");
    let err = refused(&["experiments", "list", "--db", s(&empty)]);
    assert!(
        err.contains("empty.sqlite is empty (0 bytes): not an experiment database"),
        "{err}"
    );
    assert_eq!(std::fs::metadata(&empty).unwrap().len(), 0);

    let before = std::fs::read(&db).unwrap();
    for view in [
        vec!["experiments", "list"],
        vec!["experiments", "top"],
        vec!["experiments", "summary"],
        vec!["experiments", "sweeps"],
        vec!["experiments", "errors"],
        vec!["experiments", "show", "#1"],
    ] {
        let mut args = view.clone();
        args.extend(["--db", s(&db)]);
        ok(&args);
    }
    assert_eq!(std::fs::read(&db).unwrap(), before);

    // A folder the viewer may not write to: as another user when the tests run as root
    // (root writes anywhere), else by its mode.
    use std::os::unix::fs::PermissionsExt;
    let locked = dir.path().join("locked");
    std::fs::create_dir(&locked).unwrap();
    let inside = locked.join("db.sqlite");
    std::fs::copy(&db, &inside).unwrap();
    std::fs::set_permissions(&inside, std::fs::Permissions::from_mode(0o444)).unwrap();
    std::fs::set_permissions(&locked, std::fs::Permissions::from_mode(0o555)).unwrap();
    std::fs::set_permissions(dir.path(), std::fs::Permissions::from_mode(0o755)).unwrap();
    let root = Command::new("id").arg("-u").output().unwrap().stdout == b"0\n";
    let mut view = if root {
        // The other user may not reach the build's folder: a copy of the binary beside.
        let bin = dir.path().join("btlab");
        std::fs::copy(env!("CARGO_BIN_EXE_btlab"), &bin).unwrap();
        std::fs::set_permissions(&bin, std::fs::Permissions::from_mode(0o755)).unwrap();
        let mut c = Command::new("setpriv");
        c.args(["--reuid=65534", "--regid=65534", "--clear-groups"]).arg(&bin);
        c
    } else {
        Command::new(env!("CARGO_BIN_EXE_btlab"))
    };
    let out = view
        .args(["experiments", "summary", "--db", s(&inside)])
        .output()
        .unwrap();
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    assert!(String::from_utf8_lossy(&out.stdout).contains("47 experiments"));
}

// 13
#[test]
fn one_malformed_row_is_named_and_the_others_come_through() {
    let (dir, db) = swept();
    let c = raw(&db);
    c.execute("UPDATE experiments SET sharpe_ratio = 'abc' WHERE id = 2", [])
        .unwrap();
    c.execute("UPDATE experiments SET equity_curve = x'00' WHERE id = 3", [])
        .unwrap();
    drop(c);
    for view in [
        vec!["experiments", "list", "--limit", "100"],
        vec!["experiments", "top", "--n", "100"],
    ] {
        let mut args = view.clone();
        args.extend(["--json", "--db", s(&db)]);
        let out = btlab(&args);
        assert!(out.status.success(), "{view:?}");
        let rows: Vec<Value> = serde_json::from_slice(&out.stdout).unwrap();
        assert_eq!(rows.len(), 45, "{view:?}");
        let stderr = String::from_utf8_lossy(&out.stderr);
        assert!(
            stderr.contains("skipped experiment #2: column `sharpe_ratio` is missing or malformed"),
            "{stderr}"
        );
        assert!(
            stderr.contains("skipped experiment #3: column `equity_curve`"),
            "{stderr}"
        );
    }
    let file = dir.path().join("out.json");
    ok(&["experiments", "export", s(&file), "--db", s(&db)]);
    let rows: Vec<Value> = serde_json::from_str(&std::fs::read_to_string(&file).unwrap()).unwrap();
    assert_eq!(rows.len(), 45);
    let err = refused(&["experiments", "show", "#2", "--db", s(&db)]);
    assert!(err.contains("experiment #2: column `sharpe_ratio`"), "{err}");
}

// 14
#[test]
fn a_huge_or_binary_candle_file_is_refused_before_it_is_read() {
    let dir = tempfile::tempdir().unwrap();
    let sparse = dir.path().join("sparse.csv");
    std::fs::File::create(&sparse).unwrap().set_len(1_000_000_000).unwrap();
    let err = refused(&["run", "--data", s(&sparse)]);
    assert!(
        err.contains("binary data (a NUL byte at offset 0), not candle text"),
        "{err}"
    );
    std::fs::File::create(&sparse).unwrap().set_len(2 << 30).unwrap();
    let err = refused(&["run", "--data", s(&sparse)]);
    assert!(err.contains("is 2147483648 bytes, over the limit of 1 GiB"), "{err}");
    let long = write(dir.path(), "long.csv", &"9".repeat(100_000));
    let err = refused(&["run", "--data", s(&long)]);
    assert!(
        err.contains("line 1 is longer than 65536 bytes: not candle data"),
        "{err}"
    );
}

// 15
#[test]
fn a_batch_or_sweep_in_which_nothing_succeeded_fails() {
    let dir = tempfile::tempdir().unwrap();
    let bad = r#"{"symbol":"BTCUSDT","timeframe":"15m","start":"2025-01-01","end":"2025-02-01","strategy":"sma","params":{"fast_period":60,"slow_period":50}}"#;
    let batch = write(dir.path(), "batch.json", &format!("[{bad}, {bad}]"));
    let err = refused(&["batch", s(&batch), "--data", DATA_15M]);
    assert!(err.contains("every config failed (2 of 2)"), "{err}");
    let spec = write(
        dir.path(),
        "spec.yaml",
        "{symbol: BTCUSDT, timeframe: 15m, start: 2025-01-01, end: 2025-02-01, strategies: [sma],
          param_grids: {sma: {fast_period: [5, 10], slow_period: [10000000]}}}",
    );
    let db = dir.path().join("db.sqlite");
    let out = btlab(&["sweep", s(&spec), "--data", DATA_15M, "--db", s(&db)]);
    assert_eq!(out.status.code(), Some(1));
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(stderr.contains("every config failed (2 of 2"), "{stderr}");
    let good = write(
        dir.path(),
        "good.json",
        &format!("[{bad}, {}]", bad.replace("60", "10")),
    );
    ok(&["batch", s(&good), "--data", DATA_15M]);
}

// 16
#[test]
fn messages_name_what_is_wrong_and_flags_complete_a_spec() {
    let dir = tempfile::tempdir().unwrap();
    let seconds = write(
        dir.path(),
        "seconds.csv",
        "open_time,open,high,low,close,volume\n1735689600,1,2,0.5,1.5,1\n1735690500,1,2,0.5,1.5,1\n",
    );
    let err = refused(&["run", "--data", s(&seconds)]);
    assert!(
        err.contains("smallest step between two candles is 900 ms") && err.contains("look like epoch seconds"),
        "{err}"
    );
    for (flag, field) in [
        ("--capital", "initial_capital"),
        ("--fee-bps", "fee_bps"),
        ("--slippage-bps", "slippage_bps"),
    ] {
        let err = refused(&["run", flag, "-100"]);
        assert!(err.contains(&format!("config field `{field}`")), "{flag}: {err}");
    }
    let partial = write(
        dir.path(),
        "partial.yaml",
        "{timeframe: 15m, start: 2025-01-01, end: 2025-02-01, strategies: [sma]}",
    );
    let dry = ok(&["sweep", s(&partial), "--symbol", "BTCUSDT", "--dry-run"]);
    assert!(dry.contains("\"symbol\":\"BTCUSDT\""), "{dry}");
}

// 12, with the store's own reader: a file at an older schema is read as it is, not migrated.
#[test]
fn a_viewer_reads_an_old_store_without_migrating_it() {
    let (_dir, db) = swept();
    let c = raw(&db);
    c.execute_batch("DROP TABLE period_returns; DROP TABLE sweep_members; DROP TABLE sweeps; PRAGMA user_version = 1;")
        .unwrap();
    drop(c);
    let mut store: Store<Sqlite> = open_read_only(&db).unwrap();
    assert_eq!(store.summary().unwrap().experiments, 47);
    assert!(store.sweeps().unwrap().is_empty());
    drop(store);
    let version: i64 = raw(&db).query_row("PRAGMA user_version", [], |r| r.get(0)).unwrap();
    assert_eq!(version, 1);
}
