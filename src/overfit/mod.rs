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
use crate::engine::{Detail, EquityPoint, Market};

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
    let returns = candle_returns(&run.equity_curve, config.config.initial_capital);
    let trials = TrialSharpes::from_annualized(trial_sharpes, config.config.timeframe.bars_per_year());
    deflated_sharpe(&returns, trials)
}
