//! The spec's metrics. Per-candle ones are streaming accumulators that the execution loop
//! feeds as it goes (no per-candle allocation); per-trade ones read the trade list.

mod benchmark;
mod calmar;
mod drawdown;
mod drawdown_periods;
mod exposure;
mod metric;
mod return_sums;
mod returns;
mod sharpe;
mod sortino;
mod trades;
mod volatility;

pub use benchmark::{MarketReturns, alpha, beta, excess_return, market_return};
pub use calmar::calmar_ratio;
pub use drawdown::MaxDrawdown;
pub use drawdown_periods::DrawdownPeriods;
pub use exposure::exposure;
pub use metric::{Format, Metric, MetricInfo};
pub use return_sums::ReturnSums;
pub use returns::{annualized_return, total_return};
pub use sharpe::sharpe_ratio;
pub use sortino::sortino_ratio;
pub use trades::{TradeStats, TradeTally, kelly, sqn};
pub use volatility::volatility_annualized;

use serde::{Deserialize, Serialize};

/// Milliseconds in an hour: the report gives durations in hours.
const HOUR_MS: f64 = 3_600_000.0;

/// What every face reports for a backtest; the keys are the spec's metric names. The
/// report's fields (from `sortino_ratio` on) are `None` where the spec's denominator is 0,
/// and in an experiment stored before the report existed (schema 3 and older).
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
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
    #[serde(default)]
    pub sortino_ratio: Option<f64>,
    #[serde(default)]
    pub volatility_annualized: Option<f64>,
    #[serde(default)]
    pub calmar_ratio: Option<f64>,
    #[serde(default)]
    pub buy_hold_return: Option<f64>,
    #[serde(default)]
    pub excess_return: Option<f64>,
    #[serde(default)]
    pub beta: Option<f64>,
    #[serde(default)]
    pub alpha: Option<f64>,
    #[serde(default)]
    pub exposure: Option<f64>,
    #[serde(default)]
    pub avg_drawdown: Option<f64>,
    #[serde(default)]
    pub max_drawdown_duration_hours: Option<f64>,
    #[serde(default)]
    pub avg_drawdown_duration_hours: Option<f64>,
    #[serde(default)]
    pub best_trade: Option<f64>,
    #[serde(default)]
    pub worst_trade: Option<f64>,
    #[serde(default)]
    pub expectancy: Option<f64>,
    #[serde(default)]
    pub avg_trade_duration_hours: Option<f64>,
    #[serde(default)]
    pub max_trade_duration_hours: Option<f64>,
    #[serde(default)]
    pub max_consecutive_wins: Option<u32>,
    #[serde(default)]
    pub max_consecutive_losses: Option<u32>,
    #[serde(default)]
    pub sqn: Option<f64>,
    #[serde(default)]
    pub kelly: Option<f64>,
    #[serde(default)]
    pub equity_peak: Option<f64>,
}

/// What a run's accumulators end with: everything the metrics are computed from.
pub struct Totals<'a> {
    pub initial_capital: f64,
    pub final_equity: f64,
    /// Days from the first candle's open to the last candle's close.
    pub span_days: f64,
    pub bars_per_year: f64,
    pub returns: &'a ReturnSums,
    pub drawdown: &'a MaxDrawdown,
    /// Finished (see [`DrawdownPeriods::finish`]).
    pub periods: &'a DrawdownPeriods,
    pub trades: TradeStats,
    /// Candles marked with a position open, of `candles` (`None` where not known).
    pub candles_held: Option<usize>,
    pub candles: usize,
    /// The market over the same candles; `None` where a result has no market (a stitched
    /// walk-forward curve), which leaves its benchmark fields `None`.
    pub market: Option<&'a MarketReturns>,
}

impl Metrics {
    pub fn from_totals(t: Totals) -> Self {
        let total = total_return(t.initial_capital, t.final_equity);
        let annualized = annualized_return(t.initial_capital, t.final_equity, t.span_days);
        let max_drawdown = t.drawdown.value();
        let beta = t.market.and_then(|m| beta(t.returns, m));
        Metrics {
            total_return: total,
            total_return_pct: total * 100.0,
            annualized_return: annualized,
            sharpe_ratio: sharpe_ratio(t.returns, t.bars_per_year),
            max_drawdown,
            total_trades: t.trades.total,
            winning_trades: t.trades.winning,
            losing_trades: t.trades.losing,
            win_rate: t.trades.win_rate,
            profit_factor: t.trades.profit_factor,
            avg_win: t.trades.avg_win,
            avg_loss: t.trades.avg_loss,
            final_equity: t.final_equity,
            sortino_ratio: sortino_ratio(t.returns, t.bars_per_year),
            volatility_annualized: volatility_annualized(t.returns, t.bars_per_year),
            calmar_ratio: calmar_ratio(annualized, max_drawdown),
            buy_hold_return: t.market.map(|m| m.buy_hold_return),
            excess_return: t.market.map(|m| excess_return(total, m)),
            beta,
            alpha: t.market.and_then(|m| alpha(total, beta, m)),
            exposure: t.candles_held.and_then(|held| exposure(held, t.candles)),
            avg_drawdown: t.periods.avg_drawdown(),
            max_drawdown_duration_hours: Some(t.periods.max_duration_hours()),
            avg_drawdown_duration_hours: t.periods.avg_duration_hours(),
            best_trade: t.trades.best_trade,
            worst_trade: t.trades.worst_trade,
            expectancy: t.trades.expectancy,
            avg_trade_duration_hours: t.trades.avg_trade_duration_hours,
            max_trade_duration_hours: t.trades.max_trade_duration_hours,
            max_consecutive_wins: Some(t.trades.max_consecutive_wins),
            max_consecutive_losses: Some(t.trades.max_consecutive_losses),
            sqn: t.trades.sqn,
            kelly: t.trades.kelly,
            equity_peak: Some(t.periods.peak()),
        }
    }
}
