//! Monte Carlo of a result's trades: how bad the drawdown could have been with the same
//! trades in another order (shuffle), or with as many trades drawn from them with
//! replacement (bootstrap).
//!
//! A trade is resampled as its return on the equity it was entered with (`pnl` over the
//! equity before entry), never as its absolute PnL: compounding returns keeps every path's
//! equity at or above 0, where summing PnLs gives drawdowns beyond -100% (jesse#607).
//!
//! Edge cases: an empty trade list is refused (nothing to resample), and so is a return
//! below -100% or not finite, naming the trade. Shuffling never changes the final return
//! but for rounding (a product does not depend on its order), so its final-return band has
//! zero width, to the last bits.
//! Percentiles interpolate linearly between order statistics (NumPy's default), so a
//! band of identical values has zero width.

use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;
use serde::{Deserialize, Serialize};

use crate::engine::Trade;
use crate::error::{Error, Result};

/// How many runs, from which seed, and the drawdown that counts as ruin.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct MonteCarloOptions {
    pub runs: usize,
    pub seed: u64,
    /// A path is ruined when its max drawdown reaches this fraction (0.5: half the peak).
    pub ruin_drawdown: f64,
    /// Paths kept whole for the fan chart (the first ones drawn).
    pub sample_paths: usize,
}

impl Default for MonteCarloOptions {
    fn default() -> Self {
        Self {
            runs: 1000,
            seed: 1,
            ruin_drawdown: 0.5,
            sample_paths: 20,
        }
    }
}

/// The 5th, 50th and 95th percentiles of a figure over the runs.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct Bands {
    pub p5: f64,
    pub p50: f64,
    pub p95: f64,
}

/// One resampling's runs.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Resampled {
    /// Final return (0.1 = +10%).
    pub final_return: Bands,
    /// Max drawdown of equity after each trade, from the running peak (0.2 = -20%).
    pub max_drawdown: Bands,
    /// The most trades in a row with a PnL of 0 or less (a loss, as the spec counts it).
    pub longest_losing_streak: Bands,
    /// The share of runs whose max drawdown reached `ruin_drawdown`.
    pub ruin_probability: f64,
    /// Equity (1 = the starting equity) before the first trade and after each: the 5th,
    /// 50th and 95th percentile at each step over the runs.
    pub fan: Vec<Bands>,
    /// The first runs' equity paths, as `fan`'s steps.
    pub paths: Vec<Vec<f64>>,
}

/// What the trades did in their own order, and both resamplings.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct MonteCarlo {
    pub trades: usize,
    pub options: MonteCarloOptions,
    pub actual: PathFigures,
    /// The trades' own equity path, as the fan's steps.
    pub actual_path: Vec<f64>,
    pub shuffle: Resampled,
    pub bootstrap: Resampled,
}

/// One path's figures.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct PathFigures {
    pub final_return: f64,
    pub max_drawdown: f64,
    pub longest_losing_streak: u32,
}

/// Each trade's return on the equity it was entered with.
pub fn trade_returns(trades: &[Trade]) -> Vec<f64> {
    trades.iter().map(|t| t.return_pct / 100.0).collect()
}

/// `options.runs` shuffles and as many bootstraps of `returns` (each a trade's return on
/// its entry equity), seeded: the same seed gives the same figures on every platform.
pub fn monte_carlo(returns: &[f64], options: &MonteCarloOptions) -> Result<MonteCarlo> {
    let bad = |message: String| Error::Robustness(format!("monte carlo: {message}"));
    if returns.is_empty() {
        return Err(bad("the result has no trades to resample".into()));
    }
    if let Some((i, r)) = returns
        .iter()
        .enumerate()
        .find(|(_, r)| !(r.is_finite() && **r >= -1.0))
    {
        return Err(bad(format!(
            "trade {} returned {r}: a return on equity is finite and at least -100%",
            i + 1
        )));
    }
    if options.runs == 0 || options.runs > 1_000_000 {
        return Err(bad(format!("runs {} is not in 1..=1000000", options.runs)));
    }
    if !(options.ruin_drawdown > 0.0 && options.ruin_drawdown <= 1.0) {
        return Err(bad(format!("ruin_drawdown {} is not in (0, 1]", options.ruin_drawdown)));
    }
    let n = returns.len();
    // A stream each, so the shuffles do not depend on the bootstrap's draws or the reverse.
    let mut shuffle_rng = ChaCha8Rng::seed_from_u64(options.seed);
    shuffle_rng.set_stream(0);
    let mut bootstrap_rng = ChaCha8Rng::seed_from_u64(options.seed);
    bootstrap_rng.set_stream(1);
    let mut order = returns.to_vec();
    let shuffle = resample(n, options, |path| {
        order.copy_from_slice(returns);
        // Fisher-Yates; indices drawn as u32 so that 32- and 64-bit builds agree.
        for i in (1..n).rev() {
            order.swap(i, shuffle_rng.random_range(0..=i as u32) as usize);
        }
        path.copy_from_slice(&order);
    });
    let bootstrap = resample(n, options, |path| {
        for r in path.iter_mut() {
            *r = returns[bootstrap_rng.random_range(0..n as u32) as usize];
        }
    });
    let mut actual_path = vec![0.0; n + 1];
    let actual = figures(returns, &mut |step, e| actual_path[step] = e);
    Ok(MonteCarlo {
        trades: n,
        options: *options,
        actual,
        actual_path,
        shuffle,
        bootstrap,
    })
}

/// `options.runs` paths, each of `n` returns filled in by `draw`.
fn resample(n: usize, options: &MonteCarloOptions, mut draw: impl FnMut(&mut [f64])) -> Resampled {
    let runs = options.runs;
    // Run-major: each path written in order (step-major writes missed the cache at every
    // step); each step's values over the runs are gathered once for the fan.
    let mut equity = vec![0.0; (n + 1) * runs];
    let (mut finals, mut drawdowns, mut streaks) = (
        Vec::with_capacity(runs),
        Vec::with_capacity(runs),
        Vec::with_capacity(runs),
    );
    let mut path = vec![0.0; n];
    let mut paths = Vec::new();
    for run in 0..runs {
        draw(&mut path);
        let row = &mut equity[run * (n + 1)..(run + 1) * (n + 1)];
        let figures = figures(&path, &mut |step, e| row[step] = e);
        finals.push(figures.final_return);
        drawdowns.push(figures.max_drawdown);
        streaks.push(f64::from(figures.longest_losing_streak));
        if run < options.sample_paths {
            paths.push(row.to_vec());
        }
    }
    let mut step_values = Vec::with_capacity(runs);
    let ruined = drawdowns.iter().filter(|&&d| d >= options.ruin_drawdown).count();
    Resampled {
        final_return: bands(&mut finals),
        max_drawdown: bands(&mut drawdowns),
        longest_losing_streak: bands(&mut streaks),
        ruin_probability: ruined as f64 / runs as f64,
        fan: (0..=n)
            .map(|step| {
                step_values.clear();
                step_values.extend(equity.iter().skip(step).step_by(n + 1));
                bands(&mut step_values)
            })
            .collect(),
        paths,
    }
}

/// One path's final return, max drawdown and longest losing streak; `mark(step, equity)`
/// sees the equity before the first trade (step 0, equity 1) and after each.
fn figures(returns: &[f64], mark: &mut impl FnMut(usize, f64)) -> PathFigures {
    let (mut equity, mut peak, mut drawdown) = (1.0f64, 1.0f64, 0.0f64);
    let (mut streak, mut longest) = (0u32, 0u32);
    mark(0, equity);
    for (i, r) in returns.iter().enumerate() {
        equity *= 1.0 + r;
        peak = peak.max(equity);
        drawdown = drawdown.max(1.0 - equity / peak);
        streak = if *r <= 0.0 { streak + 1 } else { 0 };
        longest = longest.max(streak);
        mark(i + 1, equity);
    }
    PathFigures {
        final_return: equity - 1.0,
        max_drawdown: drawdown,
        longest_losing_streak: longest,
    }
}

/// The 5th, 50th and 95th percentiles, each by selection on what is above the previous
/// one (the fan takes them at every step: a sort each would cost most of the run).
fn bands(values: &mut [f64]) -> Bands {
    let n = values.len();
    let mut from = 0;
    let mut at = |p: f64| {
        // Linear interpolation between the order statistics around `p * (n - 1)`.
        let position = p * (n - 1) as f64;
        let lo = position.floor() as usize;
        let (_, &mut low, above) = values[from..].select_nth_unstable_by(lo - from, f64::total_cmp);
        from = lo;
        let fraction = position - lo as f64;
        match above.iter().copied().min_by(f64::total_cmp) {
            Some(high) if fraction > 0.0 => low + (high - low) * fraction,
            _ => low,
        }
    };
    let (p5, p50, p95) = (at(0.05), at(0.5), at(0.95));
    Bands { p5, p50, p95 }
}

#[cfg(test)]
mod tests {
    use proptest::prelude::*;

    use super::*;

    fn run(returns: &[f64], runs: usize) -> MonteCarlo {
        monte_carlo(
            returns,
            &MonteCarloOptions {
                runs,
                ..MonteCarloOptions::default()
            },
        )
        .unwrap()
    }

    fn zero_width(b: Bands) -> bool {
        b.p5 == b.p50 && b.p50 == b.p95
    }

    #[test]
    fn equal_returns_give_zero_width_bands() {
        let mc = run(&[0.02; 50], 500);
        for r in [&mc.shuffle, &mc.bootstrap] {
            assert!(zero_width(r.final_return) && zero_width(r.max_drawdown) && zero_width(r.longest_losing_streak));
            assert_eq!(r.final_return.p50, (0..50).fold(1.0, |e, _| e * 1.02) - 1.0);
            assert_eq!(
                (r.max_drawdown.p50, r.longest_losing_streak.p50, r.ruin_probability),
                (0.0, 0.0, 0.0)
            );
            assert!(r.fan.iter().all(|b| zero_width(*b)));
        }
    }

    /// Two losses of 10% and a gain of 50%. The three orders of where the gain falls:
    /// (+,-,-) and (-,-,+) draw down 19% with a streak of 2, (-,+,-) 10% with a streak of 1;
    /// each order is a third of the shuffles. Every order ends at 1.5 * 0.81 = 1.215.
    #[test]
    fn three_trades_by_hand() {
        let mc = run(&[-0.1, -0.1, 0.5], 1000);
        let s = &mc.shuffle;
        let end = 1.5 * 0.9 * 0.9 - 1.0;
        assert!(zero_width(s.final_return));
        assert!((s.final_return.p50 - end).abs() < 1e-15);
        let deep = 1.0 - 0.81;
        assert!((s.max_drawdown.p5 - 0.1).abs() < 1e-12, "{:?}", s.max_drawdown);
        assert!((s.max_drawdown.p50 - deep).abs() < 1e-12 && (s.max_drawdown.p95 - deep).abs() < 1e-12);
        assert_eq!(
            (
                s.longest_losing_streak.p5,
                s.longest_losing_streak.p50,
                s.longest_losing_streak.p95
            ),
            (1.0, 2.0, 2.0)
        );
        // Ruin at 15%: the two deep orders, two thirds of the runs give or take chance.
        let at_15 = monte_carlo(
            &[-0.1, -0.1, 0.5],
            &MonteCarloOptions {
                ruin_drawdown: 0.15,
                ..Default::default()
            },
        )
        .unwrap();
        assert!(
            (at_15.shuffle.ruin_probability - 2.0 / 3.0).abs() < 0.05,
            "{}",
            at_15.shuffle.ruin_probability
        );
        // In their own order: down 19%, a streak of 2.
        assert!((mc.actual.max_drawdown - deep).abs() < 1e-12);
        assert_eq!(mc.actual.longest_losing_streak, 2);
        // The fan starts at 1 and every shuffle ends at 1.215.
        assert!(zero_width(s.fan[0]) && s.fan[0].p50 == 1.0);
        assert!((s.fan[3].p5 - 1.215).abs() < 1e-12 && (s.fan[3].p95 - 1.215).abs() < 1e-12);
        // Bootstrap draws 3 of the 3 with replacement: all three losses and all three
        // gains are possible (0.729 and 3.375).
        let b = &mc.bootstrap;
        assert!(b.final_return.p5 < end && b.final_return.p95 > end);
        assert!(b.final_return.p5 >= 0.729 - 1.0 - 1e-12 && b.final_return.p95 <= 3.375 - 1.0 + 1e-12);
    }

    #[test]
    fn a_total_loss_is_a_drawdown_of_one_and_never_beyond() {
        let mc = run(&[0.2, -1.0, 0.5], 200);
        assert_eq!(mc.actual.max_drawdown, 1.0);
        assert_eq!(mc.actual.final_return, -1.0);
        assert!(mc.bootstrap.max_drawdown.p95 <= 1.0);
        assert!(mc.shuffle.final_return.p50 == -1.0);
    }

    #[test]
    fn the_same_seed_gives_the_same_figures_and_another_seed_others() {
        let returns: Vec<f64> = (0..40).map(|i| ((i * 7919 % 23) as f64 - 11.0) / 100.0).collect();
        let options = MonteCarloOptions::default();
        assert_eq!(
            monte_carlo(&returns, &options).unwrap(),
            monte_carlo(&returns, &options).unwrap()
        );
        let other = monte_carlo(&returns, &MonteCarloOptions { seed: 2, ..options }).unwrap();
        assert_ne!(other.bootstrap, monte_carlo(&returns, &options).unwrap().bootstrap);
    }

    #[test]
    fn bad_input_is_refused_naming_it() {
        let err = |returns: &[f64], options: MonteCarloOptions| monte_carlo(returns, &options).unwrap_err().to_string();
        let d = MonteCarloOptions::default();
        assert!(err(&[], d).contains("no trades"));
        assert!(err(&[0.1, -1.5], d).contains("trade 2 returned -1.5"));
        assert!(err(&[0.1, f64::NAN], d).contains("trade 2"));
        assert!(err(&[0.1], MonteCarloOptions { runs: 0, ..d }).contains("runs 0"));
        assert!(
            err(
                &[0.1],
                MonteCarloOptions {
                    ruin_drawdown: 0.0,
                    ..d
                }
            )
            .contains("ruin_drawdown 0")
        );
        assert!(
            err(
                &[0.1],
                MonteCarloOptions {
                    ruin_drawdown: f64::NAN,
                    ..d
                }
            )
            .contains("ruin_drawdown NaN")
        );
    }

    proptest! {
        /// A deeper drawdown threshold is never reached more often.
        #[test]
        fn ruin_probability_is_monotone_in_the_threshold(
            returns in prop::collection::vec(-0.3f64..0.3, 1..60),
            seed in any::<u64>(),
            a in 0.01f64..1.0,
            b in 0.01f64..1.0,
        ) {
            let (lo, hi) = if a <= b { (a, b) } else { (b, a) };
            let at = |ruin_drawdown| monte_carlo(&returns, &MonteCarloOptions { runs: 200, seed, ruin_drawdown, sample_paths: 0 }).unwrap();
            let (shallow, deep) = (at(lo), at(hi));
            prop_assert!(shallow.shuffle.ruin_probability >= deep.shuffle.ruin_probability);
            prop_assert!(shallow.bootstrap.ruin_probability >= deep.bootstrap.ruin_probability);
        }

        /// Bands are ordered, drawdowns within [0, 1], equity never below 0.
        #[test]
        fn bands_are_ordered_and_drawdowns_bounded(returns in prop::collection::vec(-1.0f64..1.0, 1..40), seed in any::<u64>()) {
            let mc = monte_carlo(&returns, &MonteCarloOptions { runs: 100, seed, ..Default::default() }).unwrap();
            for r in [&mc.shuffle, &mc.bootstrap] {
                for b in [r.final_return, r.max_drawdown, r.longest_losing_streak] {
                    prop_assert!(b.p5 <= b.p50 && b.p50 <= b.p95);
                }
                prop_assert!(r.max_drawdown.p5 >= 0.0 && r.max_drawdown.p95 <= 1.0);
                prop_assert!(r.final_return.p5 >= -1.0);
                prop_assert!(r.fan.iter().all(|b| b.p5 >= 0.0));
            }
        }
    }
}
