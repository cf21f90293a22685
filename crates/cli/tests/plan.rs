//! The core's sweep steps (`btlab::plan`) driven directly, over an in-memory store: what
//! every face's sweep loop does, decided once.

use btlab::metrics::Metrics;
use btlab::plan::{ChunkPlan, Failure, Run, check_remote_hashes, pack_runs, unpack_runs};
use btlab::store::{PeriodReturns, pack_curve, unpack_curve};
use btlab::{BacktestConfig, Market, parse::parse_candles_from};
use btlab::{BacktestResult, EquityPoint};
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
    assert!(plan.members.is_empty(), "members only for a sweep keeping returns");
    let keeping = open_memory().unwrap().plan_chunk(chunk.clone(), &fp, true).unwrap();
    assert_eq!(keeping.members.len(), 2, "members are the valid configs");
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

/// A planned chunk run keeping returns, with one run that failed, as a worker returns it.
fn runs_with_a_failure(market: &Market, plan: &ChunkPlan) -> Vec<Run> {
    let mut runs: Vec<Run> = run(market, plan, true).into_iter().map(Ok).collect();
    runs[1] = Err(Failure {
        config_hash: None,
        config: serde_json::to_value(&plan.to_run[1].config).unwrap(),
        error: "the worker ran out of memory".into(),
    });
    runs
}

#[test]
fn packed_runs_come_back_as_they_ran_joined_to_the_plans_configs() {
    let market = market();
    let fp = market.fingerprint().to_owned();
    let mut store = open_memory().unwrap();
    let plan = store
        .plan_chunk((5..9).map(|f| config(f, 50)).collect(), &fp, true)
        .unwrap();
    let runs = runs_with_a_failure(&market, &plan);
    // The configs as the page keeps them beside the bytes: the plan's JSON.
    let configs_json = serde_json::to_string(&plan.to_run.iter().map(|v| &v.config).collect::<Vec<_>>()).unwrap();
    let bytes = pack_runs(runs.clone());
    let back = unpack_runs(&bytes, serde_json::from_str(&configs_json).unwrap()).unwrap();
    // Each curve comes back as the store keeps it: its points' equity as f32.
    let as_stored: Vec<Run> = runs
        .iter()
        .cloned()
        .map(|run| {
            run.map(|(mut result, returns)| {
                result.equity_curve = unpack_curve(&pack_curve(&result.equity_curve)).unwrap();
                (result, returns)
            })
        })
        .collect();
    assert_eq!(back, as_stored);
    assert!(as_stored.iter().flatten().all(|(r, _)| r.equity_curve.len() > 100));
    let json_len = serde_json::to_string(&runs.iter().flatten().collect::<Vec<_>>())
        .unwrap()
        .len();
    assert!(
        bytes.len() * 2 < json_len,
        "{} bytes packed, {json_len} of JSON",
        bytes.len()
    );

    let recorded = store.record_chunk(&plan.hashes, back, &plan.refused, None, 1).unwrap();
    assert_eq!((recorded.stored, recorded.failed), (3, 1));
}

#[test]
fn packed_runs_that_are_cut_short_or_of_another_layout_are_refused_by_name() {
    let market = market();
    let fp = market.fingerprint().to_owned();
    let mut store = open_memory().unwrap();
    let plan = store
        .plan_chunk((5..8).map(|f| config(f, 50)).collect(), &fp, true)
        .unwrap();
    let configs = || plan.to_run.iter().map(|v| v.config.clone()).collect::<Vec<_>>();
    let bytes = pack_runs(runs_with_a_failure(&market, &plan));
    for cut in [0, 1, 2, bytes.len() / 2, bytes.len() - 1] {
        let err = unpack_runs(&bytes[..cut], configs()).unwrap_err().to_string();
        assert!(err.starts_with("packed runs: "), "cut at {cut}: {err}");
    }
    let mut other = bytes.clone();
    other[0] = 9;
    let err = unpack_runs(&other, configs()).unwrap_err().to_string();
    assert_eq!(err, "packed runs: layout 9 is not one this btlab reads (1)");
    let err = unpack_runs(&bytes, configs()[..2].to_vec()).unwrap_err().to_string();
    assert_eq!(err, "packed runs: 3 runs for 2 configs");
}

/// Packed runs wait in the page's IndexedDB log across upgrades: their layout is pinned
/// here, so a change to it (a metric added, a field moved) fails until the layout byte is
/// bumped and the old layout still read.
#[test]
fn the_packed_layout_is_pinned() {
    let market = market();
    let fp = market.fingerprint().to_owned();
    let mut store = open_memory().unwrap();
    let plan = store.plan_chunk(vec![config(5, 50)], &fp, false).unwrap();
    // Every packed field set by hand: the pin is the layout's, not the engine's.
    let (mut result, _) = run(&market, &plan, false).remove(0);
    result.config_hash = "h".into();
    result.data_fingerprint = "f".into();
    (result.candles, result.first_candle, result.last_candle) = (3, -1, 2);
    result.metrics = Metrics {
        total_return: 0.5,
        total_trades: 2,
        profit_factor: Some(1.0),
        max_consecutive_wins: Some(1),
        ..Metrics::default()
    };
    result.equity_curve = vec![EquityPoint { time: 1, equity: 2.0 }];
    let returns = PeriodReturns {
        period_ms: 4,
        first_period: 5,
        returns: vec![0.25],
    };
    let failed = Err(Failure {
        config_hash: None,
        config: serde_json::Value::Null,
        error: "e".into(),
    });
    let bytes = pack_runs(vec![Ok((result, Some(returns))), failed]);
    let hex: String = bytes.iter().map(|b| format!("{b:02x}")).collect();
    assert_eq!(
        hex,
        "01020001680166030104000000000000e03f0000000000000000000000000000000000000000000000000000000000000000020000000000000000000001000000000000f03f0000000000000000000000000000000000000000000000000000000000000000000000000000000001010000000011010100000000000000000000000000004001080a01000000000000d03f010165",
        "the packed layout changed"
    );
}

#[test]
fn the_summary_counts_each_stored_row_once_per_strategy_across_chunks() {
    let market = market();
    let fp = market.fingerprint().to_owned();
    let mut store = open_memory().unwrap();
    let rsi = |period: i64| {
        BacktestConfig::from_json(&format!(
            r#"{{"symbol":"BTCUSDT","timeframe":"15m","start":"2025-01-01","end":"2025-02-01","strategy":"rsi","params":{{"period":{period},"oversold":30,"overbought":70}}}}"#
        ))
        .unwrap()
    };
    // Two chunks mixing two strategies; the second repeats two configs of the first.
    let chunks = [
        vec![config(5, 50), rsi(7), config(6, 50), rsi(14)],
        vec![config(6, 50), rsi(14), config(7, 60), rsi(21), config(8, 70)],
    ];
    for (i, chunk) in chunks.into_iter().enumerate() {
        // Planned without the store's knowledge of the repeats: the insert finds them.
        let plan = open_memory().unwrap().plan_chunk(chunk, &fp, false).unwrap();
        assert!(plan.refused.is_empty(), "{:?}", plan.refused);
        let runs = run(&market, &plan, false).into_iter().map(Ok).collect();
        store
            .record_chunk(&plan.hashes, runs, &plan.refused, None, i as i64)
            .unwrap();
    }
    let rows = store
        .list(&Default::default(), btlab::metrics::Metric::SharpeRatio, 100, 0)
        .unwrap()
        .experiments;
    assert_eq!(rows.len(), 7);
    let summary = store.summary().unwrap();
    assert_eq!(summary.experiments, 7);
    for group in &summary.groups {
        let mine: Vec<_> = rows.iter().filter(|r| r.config.strategy == group.strategy).collect();
        let n = mine.len() as f64;
        assert_eq!(group.experiments as usize, mine.len(), "{}", group.strategy);
        assert_eq!(
            group.profitable as usize,
            mine.iter().filter(|r| r.metrics.total_return > 0.0).count()
        );
        let best = |f: fn(&Metrics) -> f64| mine.iter().map(|r| f(&r.metrics)).fold(f64::MIN, f64::max);
        assert_eq!(group.best_sharpe, best(|m| m.sharpe_ratio));
        assert_eq!(group.best_return, best(|m| m.total_return));
        let mean_sharpe = mine.iter().map(|r| r.metrics.sharpe_ratio).sum::<f64>() / n;
        assert!((group.mean_sharpe - mean_sharpe).abs() <= 1e-12 * mean_sharpe.abs().max(1.0));
        let mean_return = mine.iter().map(|r| r.metrics.total_return).sum::<f64>() / n;
        assert!((group.mean_return - mean_return).abs() <= 1e-12 * mean_return.abs().max(1.0));
    }
    assert_eq!(summary.groups.len(), 2);
}
