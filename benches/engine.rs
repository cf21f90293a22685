//! One backtest of each strategy on the real 15m series (30,026 candles), and a 1,000-config
//! SMA sweep on one core. Throughput is printed as backtests per second.

// The benchmark prints its report: that is its output.
#![allow(clippy::print_stdout)]

use std::hint::black_box;
use std::time::Instant;

use btlab::{BacktestConfig, Detail, Market, Timeframe, parse_candles};
use criterion::{BatchSize, Criterion, Throughput, criterion_group, criterion_main};

fn real_market() -> Market {
    let path = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/data/BTCUSDT-15m-2025.csv");
    let candles = parse_candles(&std::fs::read(path).unwrap()).unwrap();
    assert_eq!(candles.len(), 30_026);
    Market::new(candles, Timeframe::M15)
}

fn config(strategy: &str, params: &str) -> BacktestConfig {
    BacktestConfig::from_json(&format!(
        r#"{{"symbol":"BTCUSDT","timeframe":"15m","start":"2025-01-01","end":"2026-01-01","strategy":"{strategy}","params":{params}}}"#
    ))
    .unwrap()
}

fn single_backtests(c: &mut Criterion) {
    let strategies = [
        ("sma", r#"{"fast_period":20,"slow_period":50}"#),
        ("rsi", r#"{"period":14,"oversold":30,"overbought":70}"#),
        ("macd", r#"{"fast_period":12,"slow_period":26,"signal_period":9}"#),
        (
            "convergence",
            r#"{"fast_period":20,"slow_period":50,"rsi_period":14,"oversold":30,"overbought":70,"macd_fast":12,"macd_slow":26,"macd_signal":9,"threshold":2}"#,
        ),
    ];
    let mut group = c.benchmark_group("backtest_30026_candles");
    group.throughput(Throughput::Elements(1));
    for (name, params) in strategies {
        let valid = config(name, params).validate().unwrap();
        // Cold: a fresh market each time, so the indicators are computed inside the timing
        // (and freeing the market afterwards is not: `_ref`, as in the sweep below).
        group.bench_function(format!("{name}/cold"), |b| {
            let template = real_market();
            b.iter_batched_ref(
                || Market::new(template.candles().clone(), Timeframe::M15),
                |market| black_box(market.run(&valid, Detail::curve_at_most(500), &mut Vec::new())),
                BatchSize::LargeInput,
            );
        });
        // Warm: indicators cached, as for every config after the first in a sweep.
        let market = real_market();
        let mut scratch = Vec::new();
        group.bench_function(format!("{name}/warm"), |b| {
            b.iter(|| black_box(market.run(&valid, Detail::curve_at_most(500), &mut scratch)));
        });
    }
    group.finish();
}

/// 1,000 SMA configs: fast 5..=104, slow = fast + {10, 20, ..., 100}; 200 distinct SMAs;
/// each with the order fields `orders` (a JSON object's fields, or nothing).
fn sma_sweep_configs(orders: &str) -> Vec<btlab::ValidConfig> {
    let mut configs = Vec::with_capacity(1000);
    for fast in 5..105 {
        for gap in (10..=100).step_by(10) {
            let mut config = config(
                "sma",
                &format!(r#"{{"fast_period":{fast},"slow_period":{}}}"#, fast + gap),
            );
            if !orders.is_empty() {
                config.orders = serde_json::from_str(orders).unwrap();
            }
            configs.push(config.validate().unwrap());
        }
    }
    configs
}

fn sweep(c: &mut Criterion) {
    let plain = sma_sweep_configs("");
    // A stop 1.5% below and a take-profit at twice that distance: every position is
    // watched candle by candle.
    let stopped = sma_sweep_configs(r#"{"stop_loss":{"pct":0.015},"take_profit":{"rr":2}}"#);
    let mut group = c.benchmark_group("sma_sweep");
    group.throughput(Throughput::Elements(1000));
    group.sample_size(10);
    for (name, configs) in [
        ("1000_configs_one_core", &plain),
        ("1000_configs_stop_take_one_core", &stopped),
    ] {
        assert_eq!(configs.len(), 1000);
        group.bench_function(name, |b| {
            let template = real_market();
            // `_ref`: the fresh market's indicators are computed inside the timing, but
            // freeing them afterwards is not a sweep's work and stays out of it.
            b.iter_batched_ref(
                || Market::new(template.candles().clone(), Timeframe::M15),
                |market| {
                    let mut scratch = Vec::new();
                    let _held = market.prepare(configs.iter());
                    for valid in configs.iter() {
                        black_box(market.run(valid, Detail::summary(500), &mut scratch));
                    }
                },
                BatchSize::LargeInput,
            );
        });
    }
    group.finish();

    // The figures the README quotes, measured once more outside criterion's statistics.
    for (name, configs) in [
        ("sma_sweep", &plain),
        ("sma_sweep with stop-loss and take-profit", &stopped),
    ] {
        let market = real_market();
        let mut scratch = Vec::new();
        let started = Instant::now();
        let _held = market.prepare(configs.iter());
        for valid in configs.iter() {
            black_box(market.run(valid, Detail::summary(500), &mut scratch));
        }
        let seconds = started.elapsed().as_secs_f64();
        println!(
            "{name}: {:.0} backtests/s on one core (1,000 configs, 30,026 candles, indicators included)",
            1000.0 / seconds
        );
    }
}

/// The first 1,000 configs of a 10^8 grid cost what those of a 10^3 grid do: the grid is
/// walked, never built.
fn generators(c: &mut Criterion) {
    // `fast` periods against as many slower ones: `fast^2` combinations, all valid.
    let spec = |fast: u32| {
        btlab::search::SweepSpec::from_yaml(&format!(
            "{{symbol: BTCUSDT, timeframe: 15m, start: 2025-01-01, end: 2026-01-01, strategies: [sma],
              param_grids: {{sma: {{fast_period: {{type: int, min: 1, max: {fast}}},
                                   slow_period: {{type: int, min: {}, max: {}}}}}}}}}",
            fast + 1,
            2 * fast
        ))
        .unwrap()
    };
    let mut group = c.benchmark_group("first_1000_configs");
    for (name, fast) in [("grid_of_1e3", 32), ("grid_of_1e8", 10_000)] {
        let spec = spec(fast);
        group.bench_function(name, |b| {
            b.iter(|| assert_eq!(black_box(spec.configs().unwrap().take(1000).count()), 1000));
        });
    }
    group.finish();
}

criterion_group!(benches, single_backtests, sweep, generators);
criterion_main!(benches);
