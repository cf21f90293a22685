//! Monte Carlo of trades: 1,000 shuffles and 1,000 bootstraps of a 500-trade result, its
//! fan (percentiles at every step) included; the stability scores of a 100,000-config grid.

// The benchmark prints its report: that is its output.
#![allow(clippy::print_stdout)]

use std::hint::black_box;
use std::time::Instant;

use btlab::metrics::Metric;
use btlab::robustness::{MonteCarloOptions, monte_carlo, stability};
use criterion::{Criterion, criterion_group, criterion_main};
use serde_json::{Value, json};

/// 500 trade returns between -4% and +5%, spread like a strategy's (fixed, no RNG).
fn returns() -> Vec<f64> {
    (0..500).map(|i| ((i * 7919 % 91) as f64 - 40.0) / 1000.0).collect()
}

fn bench(c: &mut Criterion) {
    let returns = returns();
    let options = MonteCarloOptions::default();
    c.bench_function("monte_carlo_1000_runs_500_trades", |b| {
        b.iter(|| black_box(monte_carlo(&returns, &options).unwrap()));
    });
    let started = Instant::now();
    black_box(monte_carlo(&returns, &options).unwrap());
    println!(
        "monte carlo: 1,000 shuffles + 1,000 bootstraps of 500 trades in {:.1} ms",
        started.elapsed().as_secs_f64() * 1000.0
    );
}

/// 100,000 configs: a 400 x 250 grid of a smooth hill with noise (fixed, no RNG).
fn grid() -> (Vec<Vec<Value>>, Vec<Option<f64>>) {
    let cells: Vec<(i64, i64)> = (0..400).flat_map(|x| (0..250).map(move |y| (x, y))).collect();
    let value = |x: i64, y: i64| {
        1.0 - ((x - 200) as f64 / 200.0).powi(2) - ((y - 125) as f64 / 125.0).powi(2)
            + ((x * 31 + y * 17) % 13) as f64 / 100.0
    };
    (
        cells
            .iter()
            .map(|&(x, y)| vec![json!(x + 2), json!(y * 10 + 50)])
            .collect(),
        cells.iter().map(|&(x, y)| Some(value(x, y))).collect(),
    )
}

fn plateaus(c: &mut Criterion) {
    let (points, values) = grid();
    let mut group = c.benchmark_group("plateau");
    group.sample_size(10);
    group.bench_function("stability_100000_configs_2_axes", |b| {
        b.iter(|| black_box(stability(&points, &values, Metric::SharpeRatio, 0.1).unwrap()));
    });
    group.finish();
    let started = Instant::now();
    black_box(stability(&points, &values, Metric::SharpeRatio, 0.1).unwrap());
    println!(
        "plateau: stability scores of 100,000 configs in {:.1} ms",
        started.elapsed().as_secs_f64() * 1000.0
    );
}

criterion_group!(benches, bench, plateaus);
criterion_main!(benches);
