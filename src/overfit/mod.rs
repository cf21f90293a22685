//! How much of a sweep's winner is luck: the deflated Sharpe ratio of the best of many
//! trials, the probability of backtest overfitting, and walk-forward optimization. Pure
//! functions of returns and candles, shown the same by every face.

mod deflated_sharpe;
mod moments;
pub mod pbo;
mod period_returns;
pub mod walk_forward;

pub use deflated_sharpe::{DeflatedSharpe, TrialSharpes, deflated_sharpe, expected_max_sharpe};
pub use moments::Moments;
pub use pbo::{Pbo, pbo};
pub use period_returns::{DAY_MS, downsample, period_returns};

use crate::config::ValidConfig;
use crate::engine::{BacktestResult, Detail, EquityPoint, Market};
use crate::store::PeriodReturns;

/// A sweep's run that keeps its daily returns: every candle's equity is marked, brought to
/// days, and cut down to the short curve of at most `curve_points` a sweep stores (the
/// same points a plain sweep run keeps).
pub fn run_keeping_returns(
    market: &Market,
    config: &ValidConfig,
    curve_points: usize,
    scratch: &mut Vec<i8>,
) -> (BacktestResult, PeriodReturns) {
    let every_candle = Detail {
        curve_points: None,
        trades: false,
    };
    let mut result = market.run(config, every_candle, scratch);
    let (first_period, returns) = period_returns(&result.equity_curve, config.config.initial_capital, DAY_MS);
    result.equity_curve = downsample(&result.equity_curve, curve_points);
    let kept = PeriodReturns {
        period_ms: DAY_MS,
        first_period,
        returns,
    };
    (result, kept)
}

/// Per-candle returns of a full equity curve (the first over the initial capital).
pub fn candle_returns(curve: &[EquityPoint], initial: f64) -> Vec<f64> {
    let mut previous = initial;
    curve
        .iter()
        .map(|p| {
            let r = p.equity / previous - 1.0;
            previous = p.equity;
            r
        })
        .collect()
}

/// The deflated Sharpe ratio of one experiment as every face shows it: the config re-run on
/// `market` for its per-candle returns (their skewness and kurtosis), deflated by the
/// Sharpe ratios of every config tried for its symbol, timeframe and strategy, as stored
/// (annualized). `None` when its returns never vary.
pub fn experiment_deflated_sharpe(
    market: &Market,
    config: &ValidConfig,
    trial_sharpes: impl IntoIterator<Item = f64>,
) -> Option<DeflatedSharpe> {
    let run = market.run(
        config,
        Detail {
            curve_points: None,
            trades: false,
        },
        &mut Vec::new(),
    );
    result_deflated_sharpe(&run, trial_sharpes)
}

/// [`experiment_deflated_sharpe`] of a run already made with every candle's equity
/// (`Detail::FULL` or a curve without points limit).
pub fn result_deflated_sharpe(
    run: &BacktestResult,
    trial_sharpes: impl IntoIterator<Item = f64>,
) -> Option<DeflatedSharpe> {
    let returns = candle_returns(&run.equity_curve, run.config.initial_capital);
    let trials = TrialSharpes::from_annualized(trial_sharpes, run.config.timeframe.bars_per_year());
    deflated_sharpe(&returns, trials)
}

/// What the overfitting panel of any face shows for a sweep that kept its returns: PBO
/// over its members' daily returns, and the deflated Sharpe of its in-sample best among
/// them (daily Sharpes, the sweep's members as the trials).
#[derive(Debug, Clone, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct SweepOverfitting {
    pub sweep: i64,
    pub pbo: Pbo,
    pub best_experiment: i64,
    pub best_daily_sharpe: f64,
    pub deflated_sharpe: Option<DeflatedSharpe>,
    /// (from, to, count) of the logits in 20 bins.
    pub histogram: Vec<(f64, f64, usize)>,
}

pub fn sweep_overfitting(kept: &crate::store::SweepReturns, blocks: usize) -> crate::Result<SweepOverfitting> {
    let result = pbo(&kept.returns, blocks)?;
    let sharpes: Vec<f64> = kept
        .returns
        .iter()
        .map(|r| Moments::of(r).map_or(0.0, |m| m.sharpe()))
        .collect();
    let best = (0..sharpes.len()).fold(0, |b, i| if sharpes[i] > sharpes[b] { i } else { b });
    // daily Sharpes are already per period: no annualization to undo
    let deflated = deflated_sharpe(
        &kept.returns[best],
        TrialSharpes::from_annualized(sharpes.iter().copied(), 1.0),
    );
    Ok(SweepOverfitting {
        sweep: kept.sweep_id,
        histogram: pbo::histogram(&result.logits, 20),
        pbo: result,
        best_experiment: kept.experiments[best].id,
        best_daily_sharpe: sharpes[best],
        deflated_sharpe: deflated,
    })
}
