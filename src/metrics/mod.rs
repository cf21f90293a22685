//! The spec's metrics. Per-candle ones are streaming accumulators that the execution loop
//! feeds as it goes (no per-candle allocation); per-trade ones read the trade list.

mod drawdown;
mod returns;
mod sharpe;
mod trades;

pub use drawdown::MaxDrawdown;
pub use returns::{annualized_return, total_return};
pub use sharpe::SharpeRatio;
pub use trades::{TradeStats, TradeTally};

use serde::{Deserialize, Serialize};

/// What every face reports for a backtest; the keys are the spec's metric names.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Metrics {
    pub total_return: f64,
    pub total_return_pct: f64,
    pub annualized_return: f64,
    pub sharpe_ratio: f64,
    pub max_drawdown: f64,
    pub total_trades: u32,
    pub winning_trades: u32,
    pub losing_trades: u32,
    pub win_rate: f64,
    /// `None` when no trade lost anything.
    pub profit_factor: Option<f64>,
    pub avg_win: f64,
    pub avg_loss: f64,
    pub final_equity: f64,
}

impl Metrics {
    /// The metric of that name as a number (`profit_factor` without a loss is infinite),
    /// for sorting and optimization targets.
    pub fn get(&self, name: &str) -> Option<f64> {
        Some(match name {
            "total_return" => self.total_return,
            "total_return_pct" => self.total_return_pct,
            "annualized_return" => self.annualized_return,
            "sharpe_ratio" => self.sharpe_ratio,
            "max_drawdown" => self.max_drawdown,
            "total_trades" => f64::from(self.total_trades),
            "winning_trades" => f64::from(self.winning_trades),
            "losing_trades" => f64::from(self.losing_trades),
            "win_rate" => self.win_rate,
            "profit_factor" => self.profit_factor.unwrap_or(f64::INFINITY),
            "avg_win" => self.avg_win,
            "avg_loss" => self.avg_loss,
            "final_equity" => self.final_equity,
            _ => return None,
        })
    }

    pub const NAMES: [&'static str; 13] = [
        "total_return",
        "total_return_pct",
        "annualized_return",
        "sharpe_ratio",
        "max_drawdown",
        "total_trades",
        "winning_trades",
        "losing_trades",
        "win_rate",
        "profit_factor",
        "avg_win",
        "avg_loss",
        "final_equity",
    ];
}
