//! The overfitting lab on data with known answers: pure noise looks overfit, a real edge
//! does not; walk-forward's identity and its freedom from look-ahead.

mod common;

use btlab::overfit::walk_forward::{WalkForwardSpec, run_window, walk_forward};
use btlab::overfit::{TrialSharpes, deflated_sharpe, pbo};
use btlab::{Detail, Market, Timeframe};
use rand::SeedableRng;
use rand_chacha::ChaCha8Rng;
use rand_distr::{Distribution, Normal};

const PERIODS: usize = 1_000;

/// Per-period returns of `n` strategies with no edge, and (optionally) one planted with a
/// per-period Sharpe of 0.2 as config 0.
fn sweep(n: usize, planted: bool, seed: u64) -> Vec<Vec<f64>> {
    let mut rng = ChaCha8Rng::seed_from_u64(seed);
    let noise = Normal::new(0.0, 0.01).unwrap();
    (0..n)
        .map(|i| {
            let mean = if planted && i == 0 { 0.002 } else { 0.0 };
            (0..PERIODS).map(|_| mean + noise.sample(&mut rng)).collect()
        })
        .collect()
}

fn sharpe(r: &[f64]) -> f64 {
    let n = r.len() as f64;
    let mean = r.iter().sum::<f64>() / n;
    let var = r.iter().map(|x| (x - mean).powi(2)).sum::<f64>() / (n - 1.0);
    mean / var.sqrt()
}

/// The deflated Sharpe of the sweep's best config, every config a trial.
fn dsr_of_best(returns: &[Vec<f64>]) -> f64 {
    let sharpes: Vec<f64> = returns.iter().map(|r| sharpe(r)).collect();
    let best = (0..returns.len())
        .max_by(|&a, &b| sharpes[a].total_cmp(&sharpes[b]))
        .unwrap();
    // per-period Sharpes, so "annualized" with one period per year
    let trials = TrialSharpes::from_annualized(sharpes.iter().copied(), 1.0);
    deflated_sharpe(&returns[best], trials).unwrap().probability
}

#[test]
fn pure_noise_is_overfit_half_the_time_and_its_winner_is_not_significant() {
    let returns = sweep(200, false, 11);
    let result = pbo(&returns, 16).unwrap();
    assert_eq!(result.combinations, 12_870);
    assert!((result.pbo - 0.5).abs() < 0.1, "PBO {}", result.pbo);
    let dsr = dsr_of_best(&returns);
    assert!(dsr < 0.5, "DSR {dsr}");
}

#[test]
fn a_real_edge_among_noise_is_not_overfit() {
    let returns = sweep(200, true, 11);
    let result = pbo(&returns, 16).unwrap();
    assert!(result.pbo < 0.1, "PBO {}", result.pbo);
    assert!(result.probability_of_loss < 0.1, "{}", result.probability_of_loss);
    let dsr = dsr_of_best(&returns);
    assert!(dsr > 0.95, "DSR {dsr}");
}

fn spec(yaml_windows: &str) -> WalkForwardSpec {
    WalkForwardSpec::from_yaml(&format!(
        "symbol: BTCUSDT\ntimeframe: 15m\nstart: 2025-01-01\nend: 2025-07-01\nstrategies: [sma]\n\
         param_grids: {{sma: {{fast_period: [5, 10, 20, 30], slow_period: [40, 60, 100]}}}}\n\
         walk_forward: {yaml_windows}\n"
    ))
    .unwrap()
}

#[test]
fn one_window_over_the_whole_range_is_the_plain_in_sample_result() {
    let series = common::load(common::DATA_15M);
    // 2025-01-01 .. 2025-07-01 is 181 days; test_days 0 walks in sample only
    let spec = spec("{train_days: 181, test_days: 0}");
    let report = walk_forward(&spec, &series).unwrap();
    assert_eq!(report.windows.len(), 1);
    assert_eq!(report.out_of_sample, None);
    // the plain way: every config of the sweep run on the range, the best Sharpe kept
    let market = Market::for_range(&series, Timeframe::M15, spec.sweep.start.0, spec.sweep.end.0).unwrap();
    let best = spec
        .sweep
        .configs()
        .unwrap()
        .map(|c| market.run(&c.unwrap().validate().unwrap(), Detail::FULL, &mut Vec::new()))
        .reduce(|a, b| {
            if b.metrics.sharpe_ratio > a.metrics.sharpe_ratio {
                b
            } else {
                a
            }
        })
        .unwrap();
    assert_eq!(report.windows[0].config_hash, best.config_hash);
    assert_eq!(report.windows[0].in_sample, best.metrics);
    assert_eq!(report.windows[0].evaluated, 12);
}

#[test]
fn changing_candles_after_a_test_window_never_changes_its_choice() {
    let series = common::load(common::DATA_15M);
    let spec = spec("{train_days: 60, test_days: 30}");
    let windows = spec.windows().unwrap();
    // 181 days: tests start on days 60, 90, 120, 150 and 180 (the last one day long)
    assert_eq!(windows.len(), 5);
    assert_eq!(windows[4].test_end, spec.sweep.end.0);
    let k = 1;
    let mut altered = series.clone();
    for i in 0..altered.len() {
        if altered.open_time[i] >= windows[k].test_end {
            // a different future: every price after window k's test scaled
            for column in [
                &mut altered.open,
                &mut altered.high,
                &mut altered.low,
                &mut altered.close,
            ] {
                column[i] *= if i % 2 == 0 { 1.3 } else { 0.7 };
            }
            altered.high[i] = altered.open[i].max(altered.close[i]).max(altered.high[i]);
            altered.low[i] = altered.open[i].min(altered.close[i]).min(altered.low[i]);
        }
    }
    let mut later_changed = false;
    for w in &windows {
        let (a, b) = (
            run_window(&spec, &series, w).unwrap(),
            run_window(&spec, &altered, w).unwrap(),
        );
        if w.index <= k {
            assert_eq!(a, b, "window {} saw candles after its test window", w.index);
        } else {
            later_changed |= a != b;
        }
    }
    assert!(
        later_changed,
        "the altered future must show somewhere, or the test proves nothing"
    );
}

#[test]
fn stitching_carries_equity_from_window_to_window() {
    let series = common::load(common::DATA_15M);
    let spec = spec("{train_days: 60, test_days: 30, anchored: true}");
    let report = walk_forward(&spec, &series).unwrap();
    let product: f64 = report
        .windows
        .iter()
        .map(|w| 1.0 + w.out_of_sample.as_ref().unwrap().total_return)
        .product();
    let stitched = report.out_of_sample.as_ref().unwrap();
    assert!(
        (1.0 + stitched.total_return - product).abs() < 1e-9,
        "{} vs {product}",
        stitched.total_return
    );
    let trades: u32 = report
        .windows
        .iter()
        .map(|w| w.out_of_sample.as_ref().unwrap().total_trades)
        .sum();
    assert_eq!(stitched.total_trades, trades);
    // anchored: every train window starts at the range's start
    assert!(
        report
            .windows
            .iter()
            .all(|w| w.window.train_start == spec.sweep.start.0)
    );
    let efficiency = report.efficiency.unwrap();
    let mean_is = report
        .windows
        .iter()
        .map(|w| w.in_sample.annualized_return)
        .sum::<f64>()
        / report.windows.len() as f64;
    assert!((efficiency - stitched.annualized_return / mean_is).abs() < 1e-12);
}

#[test]
fn tpe_windows_evaluate_their_budget() {
    let series = common::load(common::DATA_15M);
    let spec = spec("{train_days: 120, test_days: 30, method: tpe, evaluations: 20}");
    let report = walk_forward(&spec, &series).unwrap();
    // TPE searches the span of the grid's values (fast 5..=30, slow 40..=100), not its points
    assert!(report.windows.iter().all(|w| w.evaluated == 20));
    let bad = WalkForwardSpec::from_yaml(
        "symbol: X\ntimeframe: 1h\nstart: 2025-01-01\nend: 2025-02-01\nstrategies: [sma]\nwalk_forward: {train_days: 40, test_days: 5}\n",
    );
    assert!(bad.unwrap_err().to_string().contains("leave no test window"));
}
