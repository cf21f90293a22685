//! The store's figures: a 1,000-config SMA sweep including storage on all cores, and the
//! viewer's `top` and `summary` over 100,000 stored experiments.

// The benchmark prints its report: that is its output.
#![allow(clippy::print_stdout)]

use std::hint::black_box;
use std::path::Path;
use std::sync::atomic::AtomicBool;
use std::time::Instant;

use btlab::metrics::Metric;
use btlab::search::SweepSpec;
use btlab::store::{Filter, Sql, Store};
use btlab::{Market, Timeframe, parse_candles};
use btlab_cli::runner::{Executor, Options, run_chunks};
use btlab_cli::sqlite::{Sqlite, open_store};
use criterion::{BatchSize, Criterion, Throughput, criterion_group, criterion_main};

fn real_market() -> Market {
    let path = concat!(env!("CARGO_MANIFEST_DIR"), "/../../tests/data/BTCUSDT-15m-2025.csv");
    let candles = parse_candles(&std::fs::read(path).unwrap()).unwrap();
    Market::new(candles, Timeframe::M15)
}

fn spec(fast_max: u32, slow: (u32, u32, u32)) -> SweepSpec {
    SweepSpec::from_yaml(&format!(
        "{{symbol: BTCUSDT, timeframe: 15m, start: 2025-01-01, end: 2026-01-01, strategies: [sma],
          param_grids: {{sma: {{fast_period: {{type: int, min: 1, max: {fast_max}}},
                               slow_period: {{type: int, min: {}, max: {}, step: {}}}}}}}}}",
        slow.0, slow.1, slow.2
    ))
    .unwrap()
}

fn sweep_into(store: &mut Store<Sqlite>, market: &Market, spec: &SweepSpec, pool: &rayon::ThreadPool) -> usize {
    let stop = AtomicBool::new(false);
    let options = Options {
        chunk_size: 1000,
        stop: &stop,
        stop_on_error: false,
        keep_returns: None,
    };
    run_chunks(
        market,
        spec.configs().unwrap(),
        store,
        &Executor::Local(pool),
        &options,
        |_| {},
    )
    .unwrap()
    .counts
    .stored
}

fn sweep_with_storage(c: &mut Criterion) {
    // fast 1..=100 x slow 110..=200 step 10: 1,000 configs, 110 distinct SMAs.
    let spec = spec(100, (110, 200, 10));
    let pool = rayon::ThreadPoolBuilder::new().build().unwrap();
    let template = real_market();
    let mut group = c.benchmark_group("sweep_with_storage");
    group.sample_size(10);
    group.throughput(Throughput::Elements(1000));
    group.bench_function("1000_sma_configs_all_cores", |b| {
        b.iter_batched(
            || {
                let dir = tempfile::tempdir().unwrap();
                let store = open_store(&dir.path().join("bench.sqlite")).unwrap();
                (dir, store, Market::new(template.candles().clone(), Timeframe::M15))
            },
            |(dir, mut store, market)| {
                assert_eq!(sweep_into(&mut store, &market, &spec, &pool), 1000);
                (dir, store)
            },
            BatchSize::PerIteration,
        );
    });
    group.finish();
}

fn queries(c: &mut Criterion) {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("100k.sqlite");
    let mut store = open_store(&path).unwrap();
    let pool = rayon::ThreadPoolBuilder::new().build().unwrap();
    let started = Instant::now();
    // fast 1..=500 x slow 501..=700: 100,000 configs.
    let stored = sweep_into(&mut store, &real_market(), &spec(500, (501, 700, 1)), &pool);
    assert_eq!(stored, 100_000);
    let seconds = started.elapsed().as_secs_f64();
    report_size(&mut store, &path, seconds);

    let mut group = c.benchmark_group("queries_100k_experiments");
    group.bench_function("top_10_by_sharpe", |b| {
        b.iter(|| black_box(store.top(Metric::SharpeRatio, 10, &Filter::default()).unwrap()));
    });
    group.bench_function("top_10_by_drawdown_of_a_strategy", |b| {
        let filter = Filter {
            strategy: Some("sma".into()),
            ..Filter::default()
        };
        b.iter(|| black_box(store.top(Metric::MaxDrawdown, 10, &filter).unwrap()));
    });
    group.bench_function("summary", |b| b.iter(|| black_box(store.summary().unwrap())));
    group.finish();
}

/// Bytes per experiment: the whole file, and the row without its curve blob.
fn report_size(store: &mut Store<Sqlite>, path: &Path, seconds: f64) {
    store.driver().execute_batch("PRAGMA wal_checkpoint(TRUNCATE)").unwrap();
    let file = std::fs::metadata(path).unwrap().len() as f64;
    let rows = store
        .driver()
        .query("SELECT count(*), sum(length(equity_curve)) FROM experiments", &[])
        .unwrap();
    let (count, curves) = match (&rows[0][0], &rows[0][1]) {
        (btlab::store::SqlValue::Int(n), btlab::store::SqlValue::Int(c)) => (*n as f64, *c as f64),
        other => panic!("{other:?}"),
    };
    println!(
        "store: 100,000 experiments swept and stored in {seconds:.1}s ({:.0}/s); {:.0} bytes per experiment \
         on disk with indexes, of which {:.0} the curve blob",
        count / seconds,
        file / count,
        curves / count
    );
}

criterion_group!(benches, sweep_with_storage, queries);
criterion_main!(benches);
