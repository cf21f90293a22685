//! Monte Carlo of trades: 1,000 shuffles and 1,000 bootstraps of a 500-trade result, its
//! fan (percentiles at every step) included.

// The benchmark prints its report: that is its output.
#![allow(clippy::print_stdout)]

use std::hint::black_box;
use std::time::Instant;

use btlab::robustness::{MonteCarloOptions, monte_carlo};
use criterion::{Criterion, criterion_group, criterion_main};

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

criterion_group!(benches, bench);
criterion_main!(benches);
