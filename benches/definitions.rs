//! Strategy definitions at compiled speed: the built-in `sma` written as a definition
//! against the built-in itself, an EMA cross with an RSI filter, and compiling a
//! definition. Sweeps are 1,000 configs on the real 15m series, one core, indicators
//! included (a fresh market each time).

// The benchmark prints its report: that is its output.
#![allow(clippy::print_stdout)]

use std::hint::black_box;
use std::time::Instant;

use btlab::{BacktestConfig, Detail, Market, Timeframe, ValidConfig, parse_candles};
use criterion::{BatchSize, Criterion, Throughput, criterion_group, criterion_main};

const SMA_CROSS: &str = include_str!("../strategies/builtins/sma_cross.yaml");
const EMA_RSI: &str = include_str!("../strategies/ema_rsi.yaml");

fn real_market() -> Market {
    let path = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/data/BTCUSDT-15m-2025.csv");
    let candles = parse_candles(&std::fs::read(path).unwrap()).unwrap();
    Market::new(candles, Timeframe::M15)
}

fn config(strategy: &str, definition: Option<&str>, params: String) -> ValidConfig {
    let mut config = BacktestConfig::from_json(&format!(
        r#"{{"symbol":"BTCUSDT","timeframe":"15m","start":"2025-01-01","end":"2026-01-01","strategy":"{strategy}","params":{params}}}"#
    ))
    .unwrap();
    config.definition = definition.map(str::to_owned);
    config.validate().unwrap()
}

/// The engine bench's SMA grid: fast 5..=104, slow = fast + {10, ..., 100}.
fn sma_grid(strategy: &str, definition: Option<&str>) -> Vec<ValidConfig> {
    let mut configs = Vec::with_capacity(1000);
    for fast in 5..105 {
        for gap in (10..=100).step_by(10) {
            configs.push(config(
                strategy,
                definition,
                format!(r#"{{"fast_period":{fast},"slow_period":{}}}"#, fast + gap),
            ));
        }
    }
    configs
}

/// EMA cross with an RSI filter: 10 fast x 10 slow x 10 RSI limits.
fn ema_rsi_grid(hash: &str) -> Vec<ValidConfig> {
    let mut configs = Vec::with_capacity(1000);
    for fast in 5..15 {
        for slow in (30..=120).step_by(10) {
            for rsi_max in (50..=95).step_by(5) {
                let params = format!(r#"{{"fast":{fast},"slow":{slow},"rsi_len":14,"rsi_max":{rsi_max},"ma":"ema"}}"#);
                configs.push(config("ema_rsi", Some(hash), params));
            }
        }
    }
    configs
}

fn sweep_once(template: &Market, configs: &[ValidConfig]) -> f64 {
    let market = Market::new(template.candles().clone(), Timeframe::M15);
    let mut scratch = Vec::new();
    let started = Instant::now();
    let _held = market.prepare(configs);
    for valid in configs {
        black_box(market.run(valid, Detail::summary(500), &mut scratch));
    }
    configs.len() as f64 / started.elapsed().as_secs_f64()
}

fn sweeps(c: &mut Criterion) {
    let sma_cross = btlab::lang::define(SMA_CROSS).unwrap();
    let ema_rsi = btlab::lang::define(EMA_RSI).unwrap();
    let grids = [
        ("sma_builtin", sma_grid("sma", None)),
        ("sma_as_definition", sma_grid("sma_cross", Some(sma_cross.hash()))),
        ("ema_rsi_definition", ema_rsi_grid(ema_rsi.hash())),
    ];
    let template = real_market();
    let mut group = c.benchmark_group("definition_sweep");
    group.sample_size(10);
    for (name, configs) in &grids {
        assert_eq!(configs.len(), 1000);
        group.throughput(Throughput::Elements(configs.len() as u64));
        group.bench_function(format!("{name}/1000_configs_one_core"), |b| {
            b.iter_batched_ref(
                || Market::new(template.candles().clone(), Timeframe::M15),
                |market| {
                    let mut scratch = Vec::new();
                    let _held = market.prepare(configs);
                    for valid in configs {
                        black_box(market.run(valid, Detail::summary(500), &mut scratch));
                    }
                },
                BatchSize::LargeInput,
            );
        });
    }
    group.finish();

    // The figures the README quotes: the best of three, measured outside criterion.
    let best = |configs: &[ValidConfig]| (0..3).map(|_| sweep_once(&template, configs)).fold(0.0, f64::max);
    let builtin = best(&grids[0].1);
    let defined = best(&grids[1].1);
    let ema_rsi = best(&grids[2].1);
    println!(
        "definition sweeps (1,000 configs, one core): sma built-in {builtin:.0}/s, sma as a definition {defined:.0}/s ({:.0}% of the built-in), ema_rsi definition {ema_rsi:.0}/s",
        100.0 * defined / builtin
    );
}

fn compile(c: &mut Criterion) {
    c.bench_function("compile/ema_rsi", |b| {
        b.iter(|| black_box(btlab::lang::compile(black_box(EMA_RSI)).unwrap()));
    });
    let convergence = include_str!("../strategies/builtins/convergence_votes.yaml");
    c.bench_function("compile/convergence_votes", |b| {
        b.iter(|| black_box(btlab::lang::compile(black_box(convergence)).unwrap()));
    });
}

criterion_group!(benches, sweeps, compile);
criterion_main!(benches);
