//! `btlab experiments montecarlo`: the trades of a stored experiment, re-run on its
//! candles, resampled by the core.

mod common;

use common::{ok, refused};
use serde_json::Value;

const DATA: &str = common::DATA_15M;

/// A store holding one SMA experiment (#1) on the real 15m candles.
fn store(dir: &std::path::Path) -> String {
    common::sma_15m_store(dir, "sma: {fast_period: [20], slow_period: [100]}", &[])
}

fn monte_carlo(db: &str, id: &str, extra: &[&str]) -> Value {
    let mut args = vec!["experiments", "montecarlo", id, "--json", "--data", DATA, "--db", db];
    args.extend_from_slice(extra);
    serde_json::from_str(&ok(&args)).unwrap()
}

#[test]
fn an_experiments_trades_resampled_seeded_and_in_their_own_order_its_stored_return() {
    let dir = tempfile::tempdir().unwrap();
    let db = store(dir.path());
    let stored: Value = serde_json::from_str(&ok(&["experiments", "show", "#1", "--json", "--db", &db])).unwrap();
    let mc = monte_carlo(&db, "#1", &["--runs", "300"]);
    let m = &mc["monte_carlo"];
    assert_eq!(m["trades"], stored["metrics"]["total_trades"]);
    assert_eq!(m["options"]["runs"], 300);
    // All-in trades compound: in their own order they end at the stored total return.
    let actual = m["actual"]["final_return"].as_f64().unwrap();
    let total = stored["metrics"]["total_return"].as_f64().unwrap();
    assert!(
        (actual - total).abs() <= 1e-9 * total.abs().max(1.0),
        "{actual} {total}"
    );
    // A shuffle keeps the product: a final-return band of zero width (but for rounding) at
    // the same figure.
    let band = |p: &str| m["shuffle"]["final_return"][p].as_f64().unwrap();
    assert!((band("p95") - band("p5")).abs() < 1e-12 && (band("p50") - actual).abs() < 1e-12);
    // The bootstrap's band is not.
    let b = &m["bootstrap"]["final_return"];
    assert!(b["p5"].as_f64() < b["p95"].as_f64(), "{b}");
    assert_eq!(
        m["shuffle"]["fan"].as_array().unwrap().len(),
        m["trades"].as_u64().unwrap() as usize + 1
    );

    assert_eq!(
        monte_carlo(&db, "#1", &["--runs", "300"]),
        mc,
        "same seed, same figures"
    );
    assert_ne!(
        monte_carlo(&db, "#1", &["--runs", "300", "--seed", "2"])["monte_carlo"]["bootstrap"],
        m["bootstrap"]
    );

    let table = ok(&[
        "experiments",
        "montecarlo",
        "#1",
        "--runs",
        "300",
        "--data",
        DATA,
        "--db",
        &db,
    ]);
    assert!(
        table.contains("max drawdown") && table.contains("probability of a 50% drawdown (ruin)"),
        "{table}"
    );
}

#[test]
fn bad_options_and_an_unknown_experiment_are_refused_naming_why() {
    let dir = tempfile::tempdir().unwrap();
    let db = store(dir.path());
    let err = refused(&[
        "experiments",
        "montecarlo",
        "#1",
        "--ruin-drawdown",
        "1.5",
        "--data",
        DATA,
        "--db",
        &db,
    ]);
    assert!(err.contains("ruin_drawdown 1.5 is not in (0, 1]"), "{err}");
    let err = refused(&[
        "experiments",
        "montecarlo",
        "#1",
        "--runs",
        "0",
        "--data",
        DATA,
        "--db",
        &db,
    ]);
    assert!(err.contains("runs 0"), "{err}");
    let err = refused(&["experiments", "montecarlo", "#9", "--data", DATA, "--db", &db]);
    assert!(err.contains("#9"), "{err}");
}
