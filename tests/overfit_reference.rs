//! PBO and the deflated Sharpe ratio against a plain, independent implementation of the
//! papers' formulas, on a recorded sweep: 40 SMA configs on the real 15m series, their
//! daily returns as `btlab sweep --keep-returns` stores them.

mod common;

use btlab::overfit::{DAY_MS, TrialSharpes, deflated_sharpe, pbo, period_returns};
use btlab::{Detail, Market};

fn recorded_sweep() -> Vec<Vec<f64>> {
    let series = common::load(common::DATA_15M);
    let config = common::sma_config(5, 20);
    let market = Market::for_config(&series, &config).unwrap();
    let mut rows = Vec::new();
    for fast in [5, 10, 15, 20, 30] {
        for slow in [40, 50, 75, 100, 125, 150, 200, 250] {
            let valid = common::sma_config(fast, slow).validate().unwrap();
            let run = market.run(&valid, Detail::FULL, &mut Vec::new());
            rows.push(period_returns(&run.equity_curve, 10_000.0, DAY_MS).1);
        }
    }
    rows
}

// ---- the plain implementation ----

fn mean_std(x: &[f64]) -> (f64, f64) {
    let n = x.len() as f64;
    let mean = x.iter().sum::<f64>() / n;
    let var = x.iter().map(|v| (v - mean) * (v - mean)).sum::<f64>() / (n - 1.0);
    (mean, var.sqrt())
}

fn plain_sharpe(x: &[f64]) -> f64 {
    let (m, s) = mean_std(x);
    if s == 0.0 { 0.0 } else { m / s }
}

/// Bailey et al. (2017), section 2: CSCV by brute force over every half of the blocks.
fn plain_pbo(m: &[Vec<f64>], s: usize) -> (f64, f64, Vec<f64>) {
    let t = m[0].len();
    let n = m.len();
    let block = |row: &Vec<f64>, b: usize| row[b * t / s..(b + 1) * t / s].to_vec();
    let mut logits = Vec::new();
    let mut losses = 0;
    for mask in 0u32..(1 << s) {
        if mask.count_ones() as usize != s / 2 {
            continue;
        }
        let (mut is_perf, mut oos_perf) = (Vec::new(), Vec::new());
        for row in m {
            let (mut j, mut jbar) = (Vec::new(), Vec::new());
            for b in 0..s {
                if mask & (1 << b) != 0 {
                    j.extend(block(row, b));
                } else {
                    jbar.extend(block(row, b));
                }
            }
            is_perf.push(plain_sharpe(&j));
            oos_perf.push(plain_sharpe(&jbar));
        }
        let mut n_star = 0;
        for i in 1..n {
            if is_perf[i] > is_perf[n_star] {
                n_star = i;
            }
        }
        let mut sorted = oos_perf.clone();
        sorted.sort_by(f64::total_cmp);
        let first = sorted.iter().position(|&v| v == oos_perf[n_star]).unwrap();
        let last = sorted.iter().rposition(|&v| v == oos_perf[n_star]).unwrap();
        let rank = (first + last) as f64 / 2.0 + 1.0; // 1-based, ties averaged
        let omega = rank / (n as f64 + 1.0);
        logits.push((omega / (1.0 - omega)).ln());
        if oos_perf[n_star] < 0.0 {
            losses += 1;
        }
    }
    let c = logits.len() as f64;
    let pbo = logits.iter().filter(|&&l| l <= 0.0).count() as f64 / c;
    (pbo, losses as f64 / c, logits)
}

fn phi(x: f64) -> f64 {
    0.5 * libm::erfc(-x / std::f64::consts::SQRT_2)
}

fn phi_inverse(p: f64) -> f64 {
    let (mut lo, mut hi) = (-40.0, 40.0);
    for _ in 0..200 {
        let mid = (lo + hi) / 2.0;
        if phi(mid) < p { lo = mid } else { hi = mid }
    }
    (lo + hi) / 2.0
}

/// Bailey & López de Prado (2014), equations (2) and the PSR.
fn plain_dsr(returns: &[f64], trial_sharpes: &[f64]) -> f64 {
    let n = trial_sharpes.len() as f64;
    let (_, sd_trials) = mean_std(trial_sharpes);
    let gamma = 0.577_215_664_901_532_9;
    let sr0 = sd_trials
        * ((1.0 - gamma) * phi_inverse(1.0 - 1.0 / n) + gamma * phi_inverse(1.0 - 1.0 / (n * std::f64::consts::E)));
    let t = returns.len() as f64;
    let mean = returns.iter().sum::<f64>() / t;
    let m2 = returns.iter().map(|r| (r - mean).powi(2)).sum::<f64>() / t;
    let skew = returns.iter().map(|r| (r - mean).powi(3)).sum::<f64>() / t / m2.powf(1.5);
    let kurt = returns.iter().map(|r| (r - mean).powi(4)).sum::<f64>() / t / (m2 * m2);
    let sr = plain_sharpe(returns);
    phi((sr - sr0) * (t - 1.0).sqrt() / (1.0 - skew * sr + (kurt - 1.0) / 4.0 * sr * sr).sqrt())
}

#[test]
fn pbo_agrees_with_the_plain_implementation() {
    let m = recorded_sweep();
    assert_eq!(m.len(), 40);
    assert!(m[0].len() > 300, "{} days", m[0].len());
    let ours = pbo(&m, 16).unwrap();
    let (plain, loss, mut logits) = plain_pbo(&m, 16);
    assert!((ours.pbo - plain).abs() < 1e-6, "{} vs {plain}", ours.pbo);
    assert!((ours.probability_of_loss - loss).abs() < 1e-6);
    let mut mine = ours.logits.clone();
    mine.sort_by(f64::total_cmp);
    logits.sort_by(f64::total_cmp);
    assert_eq!(mine.len(), logits.len());
    for (a, b) in mine.iter().zip(&logits) {
        assert!((a - b).abs() < 1e-6, "{a} vs {b}");
    }
}

#[test]
fn deflated_sharpe_agrees_with_the_plain_implementation() {
    let m = recorded_sweep();
    let sharpes: Vec<f64> = m.iter().map(|r| plain_sharpe(r)).collect();
    let best = (0..m.len()).max_by(|&a, &b| sharpes[a].total_cmp(&sharpes[b])).unwrap();
    let ours = deflated_sharpe(&m[best], TrialSharpes::from_annualized(sharpes.iter().copied(), 1.0)).unwrap();
    let plain = plain_dsr(&m[best], &sharpes);
    assert!(
        (ours.probability - plain).abs() < 1e-6,
        "{} vs {plain}",
        ours.probability
    );
    assert!(ours.probability > 0.0 && ours.probability < 1.0);
}
