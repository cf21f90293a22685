//! Search quality on the real 15m series: the best Sharpe found after 25, 50 and 100
//! evaluations by random search, the no-key optimizer (TPE, one config at a time) and a
//! grid sized to each budget, averaged over seeds. Prints a Markdown table for the README.
//!
//! `cargo bench --bench optimizer`

// The benchmark prints its report: that is its output.
#![allow(clippy::print_stdout)]

use std::collections::HashMap;

use btlab::metrics::Metric;
use btlab::optimize::{Dimension, Sampler, SearchSpace, Trial, objective, params_key, suggest};
use btlab::{BacktestConfig, Detail, Market, Timeframe, parse_candles};
use serde_json::{Map, Value};

const BUDGETS: [usize; 3] = [25, 50, 100];
const SEEDS: u64 = 20;
const TARGET: Metric = Metric::SharpeRatio;

struct Evaluator {
    market: Market,
    strategy: String,
    scratch: Vec<i8>,
    memo: HashMap<String, f64>,
}

impl Evaluator {
    fn value(&mut self, params: &Map<String, Value>) -> f64 {
        let key = params_key(params);
        if let Some(v) = self.memo.get(&key) {
            return *v;
        }
        let config = BacktestConfig {
            symbol: "BTCUSDT".into(),
            timeframe: Timeframe::M15,
            start: btlab::Timestamp::parse("2025-01-01").unwrap(),
            end: btlab::Timestamp::parse("2026-01-01").unwrap(),
            strategy: self.strategy.clone(),
            definition: None,
            params: params.clone(),
            initial_capital: 10_000.0,
            fee_bps: 10.0,
            slippage_bps: 0.0,
            allow_short: false,
            orders: Default::default(),
        };
        let valid = config.validate().expect("samplers suggest valid configs");
        let metrics = self.market.run(&valid, Detail::summary(2), &mut self.scratch).metrics;
        let v = objective(&metrics, TARGET);
        self.memo.insert(key, v);
        v
    }
}

/// Best value after each budget, asking one config at a time.
fn search(eval: &mut Evaluator, space: &SearchSpace, sampler: Sampler, seed: u64) -> Vec<f64> {
    let mut trials: Vec<Trial> = Vec::new();
    let mut best = f64::NEG_INFINITY;
    let mut out = Vec::new();
    while trials.len() < BUDGETS[BUDGETS.len() - 1] {
        let Some(params) = suggest(space, &trials, 1, seed, sampler).pop() else {
            break;
        };
        let value = eval.value(&params);
        best = best.max(value);
        trials.push(Trial { params, value });
        if BUDGETS.contains(&trials.len()) {
            out.push(best);
        }
    }
    out
}

/// The valid configs of a grid with `k` evenly spaced points per dimension.
fn grid(space: &SearchSpace, k: usize) -> Vec<Map<String, Value>> {
    let axes: Vec<Vec<Value>> = space
        .dimensions
        .iter()
        .map(|d| match d {
            Dimension::Int { low, high, .. } => {
                let mut v: Vec<i64> = (0..k)
                    .map(|i| low + ((high - low) as f64 * i as f64 / (k - 1).max(1) as f64).round() as i64)
                    .collect();
                v.dedup();
                v.into_iter().map(Value::from).collect()
            }
            Dimension::Float { low, high, .. } => (0..k)
                .map(|i| Value::from(low + (high - low) * i as f64 / (k - 1).max(1) as f64))
                .collect(),
            Dimension::Choice { values, .. } => values.clone(),
        })
        .collect();
    let mut configs = vec![space.fixed.clone()];
    for (d, axis) in space.dimensions.iter().zip(&axes) {
        configs = configs
            .into_iter()
            .flat_map(|c| {
                axis.iter().map(move |v| {
                    let mut c = c.clone();
                    c.insert(d.name().to_owned(), v.clone());
                    c
                })
            })
            .collect();
    }
    configs.retain(|c| space.validate(c).is_ok());
    configs
}

/// The densest even grid that fits the budget, and its best value.
fn grid_best(eval: &mut Evaluator, space: &SearchSpace, budget: usize) -> (usize, f64) {
    let k = (2..64)
        .take_while(|&k| grid(space, k).len() <= budget)
        .last()
        .unwrap_or(2);
    let configs = grid(space, k);
    let best = configs.iter().map(|c| eval.value(c)).fold(f64::NEG_INFINITY, f64::max);
    (configs.len(), best)
}

fn main() {
    // `cargo bench` passes `--bench`; a filter argument that is not this bench skips it.
    if std::env::args()
        .skip(1)
        .any(|a| !a.starts_with("--") && !"optimizer".contains(a.as_str()))
    {
        return;
    }
    let path = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/data/BTCUSDT-15m-2025.csv");
    let candles = parse_candles(&std::fs::read(path).unwrap()).unwrap();
    println!("Best {TARGET} found (mean over {SEEDS} seeds for random and TPE), BTCUSDT 15m 2025, fees 10 bps:\n");
    println!("| strategy | search | after 25 | after 50 | after 100 |");
    println!("|---|---|---|---|---|");
    for strategy in ["sma", "rsi", "macd"] {
        let space = SearchSpace::predefined(strategy).unwrap();
        let mut eval = Evaluator {
            market: Market::new(candles.clone(), Timeframe::M15),
            strategy: strategy.into(),
            scratch: Vec::new(),
            memo: HashMap::new(),
        };
        for (name, sampler) in [("random", Sampler::Random), ("TPE (no key)", Sampler::Tpe)] {
            let mut sums = [0.0; BUDGETS.len()];
            for seed in 0..SEEDS {
                for (sum, best) in sums.iter_mut().zip(search(&mut eval, &space, sampler, seed)) {
                    *sum += best;
                }
            }
            let cells: Vec<String> = sums.iter().map(|s| format!("{:.3}", s / SEEDS as f64)).collect();
            println!("| {strategy} | {name} | {} |", cells.join(" | "));
        }
        let cells: Vec<String> = BUDGETS
            .iter()
            .map(|&b| {
                let (n, best) = grid_best(&mut eval, &space, b);
                format!("{best:.3} ({n} pts)")
            })
            .collect();
        println!("| {strategy} | grid | {} |", cells.join(" | "));
    }
}
