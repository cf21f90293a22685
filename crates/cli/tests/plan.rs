//! The core's sweep steps (`btlab::plan`) driven directly, over an in-memory store: what
//! every face's sweep loop does, decided once.

use btlab::BacktestResult;
use btlab::plan::{ChunkPlan, check_remote_hashes};
use btlab::store::PeriodReturns;
use btlab::{BacktestConfig, Market, parse::parse_candles_from};
use btlab_cli::sqlite::open_memory;

const DATA_15M: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/../../tests/data/BTCUSDT-15m-2025.csv");

fn config(fast: i64, slow: i64) -> BacktestConfig {
    BacktestConfig::from_json(&format!(
        r#"{{"symbol":"BTCUSDT","timeframe":"15m","start":"2025-01-01","end":"2025-02-01","strategy":"sma","params":{{"fast_period":{fast},"slow_period":{slow}}}}}"#
    ))
    .unwrap()
}

/// A planned chunk's configs run one after another, as a single worker runs them.
fn run(market: &Market, plan: &ChunkPlan, keep_returns: bool) -> Vec<(BacktestResult, Option<PeriodReturns>)> {
    let _held = market.prepare(&plan.to_run);
    let mut scratch = Vec::new();
    plan.to_run
        .iter()
        .map(|valid| market.run_for_sweep(valid, keep_returns, &mut scratch))
        .collect()
}

fn market() -> Market {
    let series = parse_candles_from(std::fs::File::open(DATA_15M).unwrap()).unwrap();
    Market::for_config(&series, &config(10, 50)).unwrap()
}

#[test]
fn a_chunk_half_stored_runs_only_the_other_half() {
    let market = market();
    let fp = market.fingerprint().to_owned();
    let mut store = open_memory().unwrap();
    let first: Vec<_> = (5..10).map(|f| config(f, 50)).collect();
    let plan = store.plan_chunk(first.clone(), &fp, false).unwrap();
    assert_eq!((plan.to_run.len(), plan.already_stored), (5, 0));
    let runs = run(&market, &plan, false).into_iter().map(Ok).collect();
    let recorded = store.record_chunk(&plan.hashes, runs, &plan.refused, None, 1).unwrap();
    assert_eq!((recorded.stored, recorded.already_stored, recorded.failed), (5, 0, 0));

    let both: Vec<_> = (5..15).map(|f| config(f, 50)).collect();
    let plan = store.plan_chunk(both, &fp, false).unwrap();
    assert_eq!((plan.to_run.len(), plan.already_stored), (5, 5));
    let fast: Vec<_> = plan
        .to_run
        .iter()
        .map(|v| v.config.params["fast_period"].as_i64().unwrap())
        .collect();
    assert_eq!(fast, vec![10, 11, 12, 13, 14]);
    assert_eq!(plan.hashes[0], plan.to_run[0].hash(&fp));
}

#[test]
fn a_failing_config_is_refused_by_the_plan_and_recorded_once() {
    let market = market();
    let fp = market.fingerprint().to_owned();
    let mut store = open_memory().unwrap();
    let chunk = vec![config(10, 50), config(60, 50), config(10, 50)];
    let plan = store.plan_chunk(chunk.clone(), &fp, false).unwrap();
    assert_eq!((plan.to_run.len(), plan.refused.len()), (2, 1));
    assert!(
        plan.refused[0].error.contains("fast_period"),
        "{}",
        plan.refused[0].error
    );
    assert_eq!(plan.members.len(), 2, "members are the valid configs");
    let runs: Vec<_> = run(&market, &plan, false).into_iter().map(Ok).collect();
    let outcome = store.record_chunk(&plan.hashes, runs, &plan.refused, None, 1).unwrap();
    assert_eq!((outcome.stored, outcome.already_stored, outcome.failed), (1, 1, 1));
    assert_eq!(outcome.taken(), chunk.len());
    assert_eq!(store.errors(10).unwrap().len(), 1);

    // Planned again, everything is known: the stored config and the recorded failure.
    let again = store.plan_chunk(chunk, &fp, false).unwrap();
    assert_eq!(
        (again.to_run.len(), again.already_stored, again.refused.len()),
        (0, 3, 0)
    );
}

#[test]
fn a_sweep_keeping_returns_reruns_stored_configs_that_lack_them() {
    let market = market();
    let fp = market.fingerprint().to_owned();
    let mut store = open_memory().unwrap();
    let chunk = vec![config(10, 50), config(20, 50)];
    let plan = store.plan_chunk(chunk.clone(), &fp, false).unwrap();
    let runs = run(&market, &plan, false).into_iter().map(Ok).collect();
    store.record_chunk(&plan.hashes, runs, &plan.refused, None, 1).unwrap();

    let sweep = store.open_sweep("{}", &fp, 1).unwrap();
    let plan = store.plan_chunk(chunk.clone(), &fp, true).unwrap();
    assert_eq!(plan.to_run.len(), 2, "stored, but without returns");
    let runs = run(&market, &plan, true).into_iter().map(Ok).collect();
    let outcome = store
        .record_chunk(&plan.hashes, runs, &plan.refused, Some((sweep, &plan.members)), 2)
        .unwrap();
    assert_eq!((outcome.stored, outcome.already_stored), (0, 2));
    assert_eq!(store.with_returns(&plan.hashes).unwrap().len(), 2);
    let plan = store.plan_chunk(chunk, &fp, true).unwrap();
    assert_eq!((plan.to_run.len(), plan.already_stored), (0, 2));
}

#[test]
fn a_remote_result_hashed_otherwise_is_refused() {
    let market = market();
    let fp = market.fingerprint().to_owned();
    let mut store = open_memory().unwrap();
    let plan = store.plan_chunk(vec![config(10, 50)], &fp, false).unwrap();
    let (mut result, _) = run(&market, &plan, false).remove(0);
    assert!(check_remote_hashes(&plan.hashes, [Some(&result)]).is_ok());
    assert!(
        check_remote_hashes(&plan.hashes, [None]).is_ok(),
        "a failure carries no hash"
    );
    result.config_hash = "0".repeat(64);
    let err = check_remote_hashes(&plan.hashes, [Some(&result)]).unwrap_err();
    assert!(err.contains("ran on other candles"), "{err}");
}
