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
