//! The overfitting lab through the binary: walk-forward, kept returns, PBO, deflated Sharpe.

mod common;

use common::{DATA_15M, ok, refused};
use serde_json::Value;

const SPEC: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/../../config/walkforward-sma.yaml");

#[test]
fn walkforward_runs_its_windows_in_parallel_exactly_as_the_core_does_them_in_order() {
    let report: Value = serde_json::from_str(&ok(&["walkforward", SPEC, "--data", DATA_15M, "--json"])).unwrap();
    let spec =
        btlab::overfit::walk_forward::WalkForwardSpec::from_yaml(&std::fs::read_to_string(SPEC).unwrap()).unwrap();
    let series = btlab::parse_candles(&std::fs::read(DATA_15M).unwrap()).unwrap();
    let serial = btlab::overfit::walk_forward::walk_forward(&spec, &series).unwrap();
    assert_eq!(report, serde_json::to_value(&serial).unwrap());
    assert_eq!(report["windows"].as_array().unwrap().len(), 17);
    assert!(report["efficiency"].as_f64().is_some());
    let text = ok(&["walkforward", SPEC, "--data", DATA_15M]);
    assert!(
        text.contains("stitched out-of-sample result") && text.contains("walk-forward efficiency"),
        "{text}"
    );
}

#[test]
fn kept_returns_give_pbo_and_a_resumed_sweep_fills_in_missing_returns() {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("exp.sqlite");
    let db = db.to_str().unwrap();
    let sweep = [
        "sweep",
        "--db",
        db,
        "--data",
        DATA_15M,
        "--symbol",
        "BTCUSDT",
        "--start",
        "2025-01-01",
        "--end",
        "2025-11-01",
    ];
    // stored first without returns: PBO has nothing to read
    ok(&sweep);
    assert!(ok(&["experiments", "sweeps", "--db", db]).contains("no sweep kept its returns"));
    // the same sweep with --keep-returns runs the configs again for their returns only
    let mut keep = sweep.to_vec();
    keep.push("--keep-returns");
    let out = ok(&keep);
    assert!(
        out.contains("0 stored, 47 already stored") && out.contains("sweep 1: daily returns kept"),
        "{out}"
    );
    let again = ok(&keep);
    assert!(again.contains("47 already stored"), "{again}");
    let sweeps: Value = serde_json::from_str(&ok(&["experiments", "sweeps", "--db", db, "--json"])).unwrap();
    assert_eq!(sweeps[0]["configs"], 47);
    assert_eq!(sweeps[0]["with_returns"], 47);

    let report: Value =
        serde_json::from_str(&ok(&["experiments", "pbo", "--sweep", "1", "--db", db, "--json"])).unwrap();
    let pbo = report["pbo"]["pbo"].as_f64().unwrap();
    assert!((0.0..=1.0).contains(&pbo));
    assert_eq!(report["pbo"]["configs"], 47);
    assert_eq!(report["pbo"]["combinations"], 12_870);
    assert!(report["pbo"]["periods"].as_u64().unwrap() > 300);
    assert_eq!(
        report["histogram"]
            .as_array()
            .unwrap()
            .iter()
            .map(|b| b[2].as_u64().unwrap())
            .sum::<u64>(),
        12_870
    );
    let text = ok(&["experiments", "pbo", "--sweep", "1", "--db", db, "--blocks", "8"]);
    assert!(text.contains("70 combinations") && text.contains("PBO"), "{text}");
    assert!(refused(&["experiments", "pbo", "--sweep", "9", "--db", db]).contains("no sweep 9"));
    assert!(
        refused(&["experiments", "pbo", "--sweep", "1", "--db", db, "--blocks", "7"]).contains("blocks must be even")
    );

    // the deflated Sharpe of the best, in top and show, when the candles are at hand
    let top = ok(&["experiments", "top", "--db", db, "--n", "3", "--data", DATA_15M]);
    assert!(
        top.contains("first row: deflated Sharpe") && top.contains("best of 47 BTCUSDT 15m sma trials"),
        "{top}"
    );
    let show = ok(&["experiments", "show", "#1", "--db", db]);
    assert!(
        show.contains("deflated Sharpe of experiment #1: needs its candles"),
        "{show}"
    );
}

#[test]
fn the_same_deflated_sharpe_in_top_show_and_promote() {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("exp.sqlite");
    let db = db.to_str().unwrap();
    ok(&[
        "sweep",
        "--db",
        db,
        "--data",
        DATA_15M,
        "--symbol",
        "BTCUSDT",
        "--start",
        "2025-01-01",
        "--end",
        "2025-06-01",
        "--strategy",
        "rsi",
    ]);
    let figure = |text: &str| {
        let at = text.find("deflated Sharpe").unwrap();
        text[at..]
            .split_whitespace()
            .nth(2)
            .unwrap()
            .trim_end_matches(',')
            .to_owned()
    };
    let top = ok(&["experiments", "top", "--db", db, "--n", "1", "--data", DATA_15M]);
    let best: Value = serde_json::from_str(&ok(&["experiments", "top", "--db", db, "--n", "1", "--json"])).unwrap();
    let id = format!("#{}", best[0]["id"]);
    let show = ok(&["experiments", "show", &id, "--db", db, "--data", DATA_15M]);
    let promote = btlab_output(&[
        "promote",
        &id,
        "p",
        "--db",
        db,
        "--data",
        DATA_15M,
        "--profiles",
        dir.path().join("p.yaml").to_str().unwrap(),
    ]);
    let in_promote = promote.lines().find(|l| l.contains("deflated_sharpe")).unwrap();
    let promote_figure = in_promote
        .split('┆')
        .nth(2)
        .unwrap()
        .split_whitespace()
        .next()
        .unwrap()
        .to_owned();
    assert_eq!(figure(&top), figure(&show));
    assert_eq!(figure(&top), promote_figure);
}

fn btlab_output(args: &[&str]) -> String {
    String::from_utf8(common::btlab(args).stdout).unwrap()
}
