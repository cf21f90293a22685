//! `btlab experiments pareto`: the stored experiments no other beats on every objective.

mod common;

use common::{json_rows, ok, refused, sma_grid_store};
use serde_json::Value;

#[test]
fn the_front_is_every_experiment_no_other_beats_on_all_objectives() {
    let dir = tempfile::tempdir().unwrap();
    let (db, all) = sma_grid_store(dir.path());
    let db = db.as_str();
    assert!(all.len() > 20);
    for objectives in ["sharpe_ratio,max_drawdown", "total_return,max_drawdown,total_trades"] {
        let names: Vec<&str> = objectives.split(',').collect();
        // Oriented higher-better: a drawdown is better smaller, trades counted as more.
        let point = |e: &Value| -> Vec<f64> {
            names
                .iter()
                .map(|n| {
                    let v = e["metrics"][*n].as_f64().unwrap();
                    if *n == "max_drawdown" { -v } else { v }
                })
                .collect()
        };
        let dominated = |p: &[f64]| {
            all.iter()
                .map(point)
                .any(|q| q.iter().zip(p).all(|(a, b)| a >= b) && q.iter().zip(p).any(|(a, b)| a > b))
        };
        let mut expected: Vec<i64> = all
            .iter()
            .filter(|e| !dominated(&point(e)))
            .map(|e| e["id"].as_i64().unwrap())
            .collect();
        let front = json_rows(&[
            "experiments",
            "pareto",
            "--objectives",
            objectives,
            "--json",
            "--db",
            db,
        ]);
        let mut got: Vec<i64> = front.iter().map(|e| e["id"].as_i64().unwrap()).collect();
        // Best first by the first objective.
        let first: Vec<f64> = front.iter().map(|e| point(e)[0]).collect();
        assert!(first.windows(2).all(|w| w[0] >= w[1]), "{first:?}");
        expected.sort_unstable();
        got.sort_unstable();
        assert_eq!(got, expected, "{objectives}");
        assert!(!got.is_empty());
    }
    let table = ok(&[
        "experiments",
        "pareto",
        "--objectives",
        "sharpe_ratio,max_drawdown",
        "--db",
        db,
    ]);
    assert!(
        table.contains("on the Pareto front of sharpe_ratio, max_drawdown"),
        "{table}"
    );
    let err = refused(&["experiments", "pareto", "--objectives", "sharpe_ratio", "--db", db]);
    assert!(err.contains("2 to 4 objectives"), "{err}");
}
