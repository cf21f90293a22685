//! One name for each metric a face sorts, filters, optimizes or shows: its name (the
//! spec's, and the store's column), which way is better, and how it reads. Every list of
//! metrics (the store's sorts and filters, the optimizer's targets, the page's selects,
//! the heatmap's colours) comes from [`Metric::ALL`].

use std::fmt;
use std::str::FromStr;

use serde::{Deserialize, Deserializer, Serialize, Serializer};

use super::Metrics;
use crate::error::{Error, Result};

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Metric {
    SharpeRatio,
    TotalReturn,
    AnnualizedReturn,
    MaxDrawdown,
    WinRate,
    ProfitFactor,
    TotalTrades,
    FinalEquity,
    AvgWin,
    AvgLoss,
    SortinoRatio,
    VolatilityAnnualized,
    CalmarRatio,
    BuyHoldReturn,
    ExcessReturn,
    Beta,
    Alpha,
    Exposure,
    AvgDrawdown,
    MaxDrawdownDurationHours,
    AvgDrawdownDurationHours,
    BestTrade,
    WorstTrade,
    Expectancy,
    AvgTradeDurationHours,
    MaxTradeDurationHours,
    MaxConsecutiveWins,
    MaxConsecutiveLosses,
    Sqn,
    Kelly,
    EquityPeak,
}

/// How a metric's value reads.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Format {
    /// A fraction shown as a percentage (`0.1234` -> `12.34%`).
    Percent,
    /// A ratio, three decimals.
    Ratio,
    /// A whole number.
    Count,
    /// An amount of the quote currency, two decimals.
    Money,
    /// A duration in hours.
    Hours,
}

impl Metric {
    pub const ALL: [Metric; 31] = [
        Metric::SharpeRatio,
        Metric::TotalReturn,
        Metric::AnnualizedReturn,
        Metric::MaxDrawdown,
        Metric::WinRate,
        Metric::ProfitFactor,
        Metric::TotalTrades,
        Metric::FinalEquity,
        Metric::AvgWin,
        Metric::AvgLoss,
        Metric::SortinoRatio,
        Metric::VolatilityAnnualized,
        Metric::CalmarRatio,
        Metric::BuyHoldReturn,
        Metric::ExcessReturn,
        Metric::Beta,
        Metric::Alpha,
        Metric::Exposure,
        Metric::AvgDrawdown,
        Metric::MaxDrawdownDurationHours,
        Metric::AvgDrawdownDurationHours,
        Metric::BestTrade,
        Metric::WorstTrade,
        Metric::Expectancy,
        Metric::AvgTradeDurationHours,
        Metric::MaxTradeDurationHours,
        Metric::MaxConsecutiveWins,
        Metric::MaxConsecutiveLosses,
        Metric::Sqn,
        Metric::Kelly,
        Metric::EquityPeak,
    ];

    /// The spec's name, which is also the store's column.
    pub fn name(self) -> &'static str {
        match self {
            Metric::SharpeRatio => "sharpe_ratio",
            Metric::TotalReturn => "total_return",
            Metric::AnnualizedReturn => "annualized_return",
            Metric::MaxDrawdown => "max_drawdown",
            Metric::WinRate => "win_rate",
            Metric::ProfitFactor => "profit_factor",
            Metric::TotalTrades => "total_trades",
            Metric::FinalEquity => "final_equity",
            Metric::AvgWin => "avg_win",
            Metric::AvgLoss => "avg_loss",
            Metric::SortinoRatio => "sortino_ratio",
            Metric::VolatilityAnnualized => "volatility_annualized",
            Metric::CalmarRatio => "calmar_ratio",
            Metric::BuyHoldReturn => "buy_hold_return",
            Metric::ExcessReturn => "excess_return",
            Metric::Beta => "beta",
            Metric::Alpha => "alpha",
            Metric::Exposure => "exposure",
            Metric::AvgDrawdown => "avg_drawdown",
            Metric::MaxDrawdownDurationHours => "max_drawdown_duration_hours",
            Metric::AvgDrawdownDurationHours => "avg_drawdown_duration_hours",
            Metric::BestTrade => "best_trade",
            Metric::WorstTrade => "worst_trade",
            Metric::Expectancy => "expectancy",
            Metric::AvgTradeDurationHours => "avg_trade_duration_hours",
            Metric::MaxTradeDurationHours => "max_trade_duration_hours",
            Metric::MaxConsecutiveWins => "max_consecutive_wins",
            Metric::MaxConsecutiveLosses => "max_consecutive_losses",
            Metric::Sqn => "sqn",
            Metric::Kelly => "kelly",
            Metric::EquityPeak => "equity_peak",
        }
    }

    /// Whether more is better: drawdowns, their durations, volatility and losing streaks
    /// are better smaller.
    pub fn higher_is_better(self) -> bool {
        !matches!(
            self,
            Metric::MaxDrawdown
                | Metric::VolatilityAnnualized
                | Metric::AvgDrawdown
                | Metric::MaxDrawdownDurationHours
                | Metric::AvgDrawdownDurationHours
                | Metric::MaxConsecutiveLosses
        )
    }

    pub fn format(self) -> Format {
        match self {
            Metric::TotalReturn | Metric::AnnualizedReturn | Metric::MaxDrawdown | Metric::WinRate => Format::Percent,
            Metric::SharpeRatio | Metric::ProfitFactor => Format::Ratio,
            Metric::TotalTrades => Format::Count,
            Metric::FinalEquity | Metric::AvgWin | Metric::AvgLoss => Format::Money,
            Metric::SortinoRatio | Metric::CalmarRatio | Metric::Beta | Metric::Sqn | Metric::Kelly => Format::Ratio,
            Metric::VolatilityAnnualized
            | Metric::BuyHoldReturn
            | Metric::ExcessReturn
            | Metric::Alpha
            | Metric::Exposure
            | Metric::AvgDrawdown
            | Metric::BestTrade
            | Metric::WorstTrade
            | Metric::Expectancy => Format::Percent,
            Metric::MaxDrawdownDurationHours
            | Metric::AvgDrawdownDurationHours
            | Metric::AvgTradeDurationHours
            | Metric::MaxTradeDurationHours => Format::Hours,
            Metric::MaxConsecutiveWins | Metric::MaxConsecutiveLosses => Format::Count,
            Metric::EquityPeak => Format::Money,
        }
    }

    /// The value as it reads (a profit factor without a loss reads `n/a (no loss)`).
    pub fn show(self, value: f64) -> String {
        if self == Metric::ProfitFactor && value.is_infinite() {
            return "n/a (no loss)".to_owned();
        }
        match self.format() {
            Format::Percent => format!("{:.2}%", value * 100.0),
            Format::Ratio => format!("{value:.3}"),
            Format::Count => format!("{value:.0}"),
            Format::Money => format!("{value:.2}"),
            Format::Hours => format!("{value:.1} h"),
        }
    }

    /// The metric of a result as a number (a profit factor without a loss is infinite; a
    /// report metric that is `None` is NaN).
    pub fn of(self, m: &Metrics) -> f64 {
        match self {
            Metric::ProfitFactor => m.profit_factor.unwrap_or(f64::INFINITY),
            _ => self.value(m).unwrap_or(f64::NAN),
        }
    }

    /// The metric of a result, `None` where the spec says null.
    pub fn value(self, m: &Metrics) -> Option<f64> {
        let count = |c: Option<u32>| c.map(f64::from);
        Some(match self {
            Metric::SharpeRatio => m.sharpe_ratio,
            Metric::TotalReturn => m.total_return,
            Metric::AnnualizedReturn => m.annualized_return,
            Metric::MaxDrawdown => m.max_drawdown,
            Metric::WinRate => m.win_rate,
            Metric::ProfitFactor => return m.profit_factor,
            Metric::TotalTrades => f64::from(m.total_trades),
            Metric::FinalEquity => m.final_equity,
            Metric::AvgWin => m.avg_win,
            Metric::AvgLoss => m.avg_loss,
            Metric::MaxConsecutiveWins => return count(m.max_consecutive_wins),
            Metric::MaxConsecutiveLosses => return count(m.max_consecutive_losses),
            Metric::SortinoRatio => return m.sortino_ratio,
            Metric::VolatilityAnnualized => return m.volatility_annualized,
            Metric::CalmarRatio => return m.calmar_ratio,
            Metric::BuyHoldReturn => return m.buy_hold_return,
            Metric::ExcessReturn => return m.excess_return,
            Metric::Beta => return m.beta,
            Metric::Alpha => return m.alpha,
            Metric::Exposure => return m.exposure,
            Metric::AvgDrawdown => return m.avg_drawdown,
            Metric::MaxDrawdownDurationHours => return m.max_drawdown_duration_hours,
            Metric::AvgDrawdownDurationHours => return m.avg_drawdown_duration_hours,
            Metric::BestTrade => return m.best_trade,
            Metric::WorstTrade => return m.worst_trade,
            Metric::Expectancy => return m.expectancy,
            Metric::AvgTradeDurationHours => return m.avg_trade_duration_hours,
            Metric::MaxTradeDurationHours => return m.max_trade_duration_hours,
            Metric::Sqn => return m.sqn,
            Metric::Kelly => return m.kelly,
            Metric::EquityPeak => return m.equity_peak,
        })
    }

    /// Whether the metric is one of the report's, which an experiment stored before the
    /// report (schema 3 and older) lacks.
    pub fn is_report(self) -> bool {
        Metric::ALL[Metric::REPORT_FROM..].contains(&self)
    }

    /// Where the report's metrics start in [`Metric::ALL`] (the store's column order).
    pub const REPORT_FROM: usize = 10;

    /// A value turned so that higher is better (the drawdown negated): what an optimizer
    /// maximizes. The same turn maps an objective back.
    pub fn oriented(self, value: f64) -> f64 {
        if self.higher_is_better() { value } else { -value }
    }

    /// The SQL order that lists the best first.
    pub fn best_first(self) -> &'static str {
        if self.higher_is_better() { "DESC" } else { "ASC" }
    }
}

impl fmt::Display for Metric {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

impl FromStr for Metric {
    type Err = Error;

    fn from_str(name: &str) -> Result<Self> {
        Metric::ALL.into_iter().find(|m| m.name() == name).ok_or_else(|| {
            let known: Vec<&str> = Metric::ALL.iter().map(|m| m.name()).collect();
            Error::config(
                "metric",
                format!("unknown metric `{name}` (one of: {})", known.join(", ")),
            )
        })
    }
}

impl Serialize for Metric {
    fn serialize<S: Serializer>(&self, s: S) -> std::result::Result<S::Ok, S::Error> {
        s.serialize_str(self.name())
    }
}

impl<'de> Deserialize<'de> for Metric {
    fn deserialize<D: Deserializer<'de>>(d: D) -> std::result::Result<Self, D::Error> {
        let name = String::deserialize(d)?;
        name.parse().map_err(serde::de::Error::custom)
    }
}

/// A metric as the page lists it.
#[derive(Debug, Clone, Serialize)]
pub struct MetricInfo {
    pub name: &'static str,
    pub higher_is_better: bool,
    pub format: Format,
    /// One of the report's metrics (shown beside the headline ones where room allows).
    pub report: bool,
}

impl From<Metric> for MetricInfo {
    fn from(m: Metric) -> Self {
        MetricInfo {
            name: m.name(),
            higher_is_better: m.higher_is_better(),
            format: m.format(),
            report: m.is_report(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_metric_round_trips_by_name_and_only_known_names_parse() {
        for m in Metric::ALL {
            assert_eq!(m.name().parse::<Metric>().unwrap(), m);
            assert_eq!(serde_json::to_string(&m).unwrap(), format!("\"{}\"", m.name()));
        }
        let err = "sharpe; DROP TABLE experiments"
            .parse::<Metric>()
            .unwrap_err()
            .to_string();
        assert!(
            err.contains("unknown metric") && err.contains("one of: sharpe_ratio, total_return"),
            "{err}"
        );
        assert_eq!(Metric::MaxDrawdown.best_first(), "ASC");
        assert_eq!(Metric::SharpeRatio.best_first(), "DESC");
        assert_eq!(Metric::MaxDrawdown.oriented(0.3), -0.3);
        assert_eq!(Metric::WinRate.show(0.5), "50.00%");
        assert_eq!(Metric::ProfitFactor.show(f64::INFINITY), "n/a (no loss)");
    }
}
