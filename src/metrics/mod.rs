//! The spec's metrics. Per-candle ones are streaming accumulators that the execution loop
//! feeds as it goes (no per-candle allocation); per-trade ones read the trade list.

mod drawdown;
mod metric;
mod returns;
mod sharpe;
mod trades;

pub use drawdown::MaxDrawdown;
pub use metric::{Format, Metric, MetricInfo};
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

/// What a run's accumulators end with: everything the metrics are computed from.
pub struct Totals<'a> {
    pub initial_capital: f64,
    pub final_equity: f64,
    /// Days from the first candle's open to the last candle's close.
    pub span_days: f64,
    pub bars_per_year: f64,
    pub sharpe: &'a SharpeRatio,
    pub drawdown: &'a MaxDrawdown,
    pub trades: TradeStats,
}

impl Metrics {
    pub fn from_totals(t: Totals) -> Self {
        let total = total_return(t.initial_capital, t.final_equity);
        Metrics {
            total_return: total,
            total_return_pct: total * 100.0,
            annualized_return: annualized_return(t.initial_capital, t.final_equity, t.span_days),
            sharpe_ratio: t.sharpe.value(t.bars_per_year),
            max_drawdown: t.drawdown.value(),
            total_trades: t.trades.total,
            winning_trades: t.trades.winning,
            losing_trades: t.trades.losing,
            win_rate: t.trades.win_rate,
            profit_factor: t.trades.profit_factor,
            avg_win: t.trades.avg_win,
            avg_loss: t.trades.avg_loss,
            final_equity: t.final_equity,
        }
    }
}
