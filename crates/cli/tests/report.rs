//! `btlab report`: an experiment's self-contained HTML file, with what its store knows
//! (the trials, the sweep's PBO), written without ever replacing a file unasked.

mod common;

use common::{ok, refused};
use serde_json::Value;

const DATA: &str = common::DATA_15M;

/// A store of a 4-config SMA sweep on the real 15m candles with daily returns kept.
fn store(dir: &std::path::Path) -> String {
    common::sma_15m_store(
        dir,
        "sma: {fast_period: [10, 20], slow_period: [50, 100]}",
        &["--keep-returns"],
    )
}

#[test]
fn the_report_holds_the_stores_evidence_and_never_replaces_a_file_unasked() {
    let dir = tempfile::tempdir().unwrap();
    let db = store(dir.path());
    let out = dir.path().join("report.html");
    let out = out.to_str().unwrap();
    let said = ok(&["report", "#2", "-o", out, "--db", &db, "--data", DATA]);
    assert!(
        said.starts_with(&format!("wrote the report of experiment #2 to {out}")),
        "{said}"
    );
    let html = std::fs::read_to_string(out).unwrap();
    let shown: Value = serde_json::from_str(&ok(&["experiments", "show", "#2", "--json", "--db", &db])).unwrap();
    assert!(html.contains(shown["config_hash"].as_str().unwrap()));
    assert!(html.contains(shown["data_fingerprint"].as_str().unwrap()));
    let pbo: Value = serde_json::from_str(&ok(&["experiments", "pbo", "--sweep", "1", "--json", "--db", &db])).unwrap();
    let figure = format!("{:.4} (sweep 1, 4 configs", pbo["pbo"]["pbo"].as_f64().unwrap());
    assert!(html.contains(&figure), "the PBO of `experiments pbo`: {figure}");
    assert!(html.contains("4 configs tried"));

    // an existing file: refused, untouched; replaced with --force
    std::fs::write(out, "mine").unwrap();
    let err = refused(&["report", "#2", "-o", out, "--db", &db, "--data", DATA]);
    assert!(err.contains("exists; pass --force"), "{err}");
    assert_eq!(std::fs::read_to_string(out).unwrap(), "mine");
    ok(&["report", "#2", "-o", out, "--force", "--db", &db, "--data", DATA]);
    assert_eq!(std::fs::read_to_string(out).unwrap(), html, "the same bytes again");
    // never the store being read, even with --force
    let err = refused(&["report", "#2", "-o", &db, "--force", "--db", &db, "--data", DATA]);
    assert!(err.contains("the database being read"), "{err}");
    let err = refused(&["report", "#99", "-o", out, "--force", "--db", &db, "--data", DATA]);
    assert!(err.contains("#99"), "names the missing experiment: {err}");
}
