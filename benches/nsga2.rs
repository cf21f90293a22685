//! Multi-objective search quality: the hypervolume NSGA-II reaches against random search
//! with the same budget, over 20 seeds, on ZDT1 (the synthetic two-objective problem, 5
//! variables) and on the real 15m series (SMA's Sharpe ratio against its max drawdown,
//! through `nsga2::suggest` as `btlab optimize --targets` runs it). Prints a Markdown table
//! for the README.
//!
//! `cargo bench --bench nsga2`

// The benchmark prints its report: that is its output.
#![allow(clippy::print_stdout)]

use btlab::metrics::Metric;
use btlab::optimize::nsga2::{MultiTrial, POPULATION, hypervolume_2d, search_function, suggest};
use btlab::optimize::{SearchSpace, objective};
use btlab::{BacktestConfig, Detail, Market, parse_candles};

const SEEDS: u64 = 20;
const BUDGET: usize = 500;

fn zdt1(x: &[f64]) -> Vec<f64> {
    let g = 1.0 + 9.0 * x[1..].iter().sum::<f64>() / (x.len() - 1) as f64;
    vec![-x[0], -(g * (1.0 - (x[0] / g).sqrt()))]
}

fn zdt1_hypervolume(seed: u64, population: usize) -> f64 {
    let evaluated = search_function(&[(0.0, 1.0); 5], BUDGET, population, seed, zdt1);
    let points: Vec<(f64, f64)> = evaluated.iter().map(|e| (e.values[0], e.values[1])).collect();
    hypervolume_2d(&points, (-1.1, -1.1))
}

/// Sharpe ratio (up) and max drawdown (down) of SMA configs on the real series, `BUDGET`
/// trials asked a generation at a time; the hypervolume above Sharpe -5 and a 100% drawdown.
fn sma_hypervolume(
    market: &Market,
    template: &BacktestConfig,
    space: &SearchSpace,
    seed: u64,
    population: usize,
) -> f64 {
    let targets = [Metric::SharpeRatio, Metric::MaxDrawdown];
    let mut trials: Vec<MultiTrial> = Vec::new();
    let mut scratch = Vec::new();
    while trials.len() < BUDGET {
        let batch = suggest(space, &trials, BUDGET - trials.len(), population, seed);
        if batch.is_empty() {
            break;
        }
        for params in batch {
            let config = space.config(template, &params).expect("a suggested config");
            let valid = config.validate().expect("samplers suggest valid configs");
            let metrics = market.run(&valid, Detail::summary(2), &mut scratch).metrics;
            let values = targets.iter().map(|&t| objective(&metrics, t)).collect();
            trials.push(MultiTrial { params, values });
        }
    }
    let points: Vec<(f64, f64)> = trials.iter().map(|t| (t.values[0], t.values[1])).collect();
    hypervolume_2d(&points, (-5.0, -1.0))
}

fn row(problem: &str, hypervolume: impl Fn(u64, usize) -> f64) {
    let (nsga, random): (Vec<f64>, Vec<f64>) = (0..SEEDS)
        .map(|s| (hypervolume(s, POPULATION), hypervolume(s, BUDGET)))
        .unzip();
    let mean = |v: &[f64]| v.iter().sum::<f64>() / v.len() as f64;
    let wins = nsga.iter().zip(&random).filter(|(n, r)| n > r).count();
    println!(
        "| {problem} | {:.4} | {:.4} | {:.2}x | {wins} of {SEEDS} |",
        mean(&nsga),
        mean(&random),
        mean(&nsga) / mean(&random)
    );
}

fn main() {
    let bytes = std::fs::read(concat!(env!("CARGO_MANIFEST_DIR"), "/tests/data/BTCUSDT-15m-2025.csv")).unwrap();
    let series = parse_candles(&bytes).unwrap();
    let template = BacktestConfig::from_json(
        r#"{"symbol":"BTCUSDT","timeframe":"15m","start":"2025-01-01","end":"2026-01-01","strategy":"sma","params":{"fast_period":20,"slow_period":50},"fee_bps":10}"#,
    )
    .unwrap();
    let market = Market::for_config(&series, &template).unwrap();
    let space = SearchSpace::predefined("sma").unwrap();
    println!(
        "{BUDGET} trials each, mean hypervolume over {SEEDS} seeds (NSGA-II: population {POPULATION}, 10 generations)\n"
    );
    println!("| problem | NSGA-II | random search | ratio | NSGA-II ahead |");
    println!("|---|---|---|---|---|");
    row("ZDT1, 5 variables (reference 1.1, 1.1)", zdt1_hypervolume);
    row(
        "SMA on BTCUSDT 15m: Sharpe up, max drawdown down",
        |seed, population| sma_hypervolume(&market, &template, &space, seed, population),
    );
}
