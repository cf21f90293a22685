//! `btlab experiments top --robust`: configs ranked by their stability within their grid.

mod common;

use common::{json_rows, ok, refused, sma_grid_store};
use serde_json::Value;

#[test]
fn robust_top_ranks_by_the_mean_over_each_config_and_its_grid_neighbours() {
    let dir = tempfile::tempdir().unwrap();
    let (db, all) = sma_grid_store(dir.path());
    let db = db.as_str();
    let param = |e: &Value, name: &str| e["config"]["params"][name].as_i64().unwrap();
    // Each axis's values present, sorted: a neighbour is at most one position away on each.
    let axis = |name: &str| {
        let mut values: Vec<i64> = all.iter().map(|e| param(e, name)).collect();
        values.sort_unstable();
        values.dedup();
        values
    };
    let (fast, slow) = (axis("fast_period"), axis("slow_period"));
    let position = |values: &[i64], v: i64| values.iter().position(|&x| x == v).unwrap() as i64;
    let sharpe = |e: &Value| e["metrics"]["sharpe_ratio"].as_f64().unwrap();
    let expected_score = |e: &Value| {
        let (f, s) = (
            position(&fast, param(e, "fast_period")),
            position(&slow, param(e, "slow_period")),
        );
        let near: Vec<f64> = all
            .iter()
            .filter(|o| {
                (position(&fast, param(o, "fast_period")) - f).abs() <= 1
                    && (position(&slow, param(o, "slow_period")) - s).abs() <= 1
            })
            .map(sharpe)
            .collect();
        near.iter().sum::<f64>() / near.len() as f64
    };

    let top = json_rows(&["experiments", "top", "--robust", "--n", "5", "--json", "--db", db]);
    assert_eq!(top.len(), 5);
    let scores: Vec<f64> = top.iter().map(|r| r["stability"]["score"].as_f64().unwrap()).collect();
    assert!(scores.windows(2).all(|w| w[0] >= w[1]), "{scores:?}");
    for r in &top {
        let want = expected_score(r);
        assert!((r["stability"]["score"].as_f64().unwrap() - want).abs() < 1e-12, "{r}");
    }
    // No other config scores higher than the first.
    let best = all.iter().map(expected_score).fold(f64::NEG_INFINITY, f64::max);
    assert!((scores[0] - best).abs() < 1e-12);

    let table = ok(&["experiments", "top", "--robust", "--db", db]);
    assert!(table.contains("stability") && table.contains("by stability"), "{table}");
    let err = refused(&["experiments", "top", "--robust", "--tolerance", "-1", "--db", db]);
    assert!(err.contains("tolerance -1"), "{err}");
}
