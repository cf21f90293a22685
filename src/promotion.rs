//! What a config must show before it becomes a strategy profile, and the profile it becomes.
//! The faces gather the figures (a re-run out of sample, the trials of the store, the git
//! tree); the rules and the record are here, once.

use serde::{Deserialize, Serialize};
use serde_json::{Map, Value, json};

use crate::metrics::{Metric, Metrics};
use crate::overfit::DeflatedSharpe;
use crate::profiles::Profile;
use crate::store::Experiment;
use crate::time::format_ms;

/// The thresholds of a promotion (the seed's defaults).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Thresholds {
    pub min_sharpe: f64,
    pub max_drawdown: f64,
    pub min_trades: u32,
    /// The out-of-sample re-run must keep a Sharpe above this.
    pub min_oos_sharpe: f64,
    /// Required deflated-Sharpe probability; without it the figure is only reported.
    pub min_deflated_sharpe: Option<f64>,
}

impl Default for Thresholds {
    fn default() -> Self {
        Thresholds {
            min_sharpe: 1.0,
            max_drawdown: 0.10,
            min_trades: 5,
            min_oos_sharpe: 0.0,
            min_deflated_sharpe: None,
        }
    }
}

/// One check: what it requires, the figure found, and whether it passed (`None`: reported
/// but not required, or not checkable, with the reason in `figure`).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Criterion {
    pub name: String,
    pub requirement: String,
    pub figure: String,
    pub passed: Option<bool>,
}

impl Criterion {
    pub fn new(name: &str, requirement: String, figure: String, passed: Option<bool>) -> Self {
        Criterion {
            name: name.to_owned(),
            requirement,
            figure,
            passed,
        }
    }

    pub fn failed(&self) -> bool {
        self.passed == Some(false)
    }
}

/// Out-of-sample evidence: the re-run's metrics on a held-out range, or why there is none.
pub enum OutOfSample<'a> {
    Ran { metrics: &'a Metrics, range: String },
    Unavailable(String),
}

/// The checks of the experiment's own metrics, its out-of-sample re-run and its deflated
/// Sharpe ratio, in the order they are reported.
pub fn criteria(
    metrics: &Metrics,
    oos: &OutOfSample,
    deflated: Option<&DeflatedSharpe>,
    t: &Thresholds,
) -> Vec<Criterion> {
    let mut out = vec![
        Criterion::new(
            Metric::SharpeRatio.name(),
            format!(">= {}", t.min_sharpe),
            format!("{:.4}", metrics.sharpe_ratio),
            Some(metrics.sharpe_ratio >= t.min_sharpe),
        ),
        Criterion::new(
            Metric::MaxDrawdown.name(),
            format!("<= {}", t.max_drawdown),
            format!("{:.4}", metrics.max_drawdown),
            Some(metrics.max_drawdown <= t.max_drawdown),
        ),
        Criterion::new(
            Metric::TotalTrades.name(),
            format!(">= {}", t.min_trades),
            metrics.total_trades.to_string(),
            Some(metrics.total_trades >= t.min_trades),
        ),
        Criterion::new(
            Metric::TotalReturn.name(),
            "> 0".into(),
            format!("{:.4}", metrics.total_return),
            Some(metrics.total_return > 0.0),
        ),
    ];
    out.push(match oos {
        OutOfSample::Ran { metrics: m, range } => Criterion::new(
            "oos_sharpe_ratio",
            format!("> {}", t.min_oos_sharpe),
            format!("{:.4} on {range}", m.sharpe_ratio),
            Some(m.sharpe_ratio > t.min_oos_sharpe),
        ),
        OutOfSample::Unavailable(why) => {
            Criterion::new("oos_sharpe_ratio", format!("> {}", t.min_oos_sharpe), why.clone(), None)
        }
    });
    let requirement = t
        .min_deflated_sharpe
        .map_or("reported".to_owned(), |min| format!(">= {min}"));
    out.push(match deflated {
        Some(d) => Criterion::new(
            "deflated_sharpe",
            requirement,
            format!(
                "{:.4} (best of {} trials, expected max Sharpe {:.4}/candle)",
                d.probability, d.trials, d.expected_max_sharpe
            ),
            t.min_deflated_sharpe.map(|min| d.probability >= min),
        ),
        None => Criterion::new(
            "deflated_sharpe",
            requirement,
            "cannot be computed (returns never vary)".into(),
            t.min_deflated_sharpe.map(|_| false),
        ),
    });
    out
}

/// The profile an experiment becomes once promoted at `now` (RFC 3339).
pub fn profile(
    experiment: &Experiment,
    now: &str,
    oos: &OutOfSample,
    deflated: Option<&DeflatedSharpe>,
    t: &Thresholds,
) -> Profile {
    let m = &experiment.metrics;
    let mut performance = Map::new();
    for (key, value) in [
        ("total_return", json!(m.total_return)),
        ("annualized_return", json!(m.annualized_return)),
        ("sharpe_ratio", json!(m.sharpe_ratio)),
        ("max_drawdown", json!(m.max_drawdown)),
        ("total_trades", json!(m.total_trades)),
        ("win_rate", json!(m.win_rate)),
        ("profit_factor", json!(m.profit_factor)),
        ("final_equity", json!(m.final_equity)),
    ] {
        performance.insert(key.into(), value);
    }
    if let OutOfSample::Ran { metrics, range } = oos {
        performance.insert("oos_sharpe_ratio".into(), json!(metrics.sharpe_ratio));
        performance.insert("oos_total_return".into(), json!(metrics.total_return));
        performance.insert("oos_range".into(), json!(range));
    }
    if let Some(d) = deflated {
        performance.insert("deflated_sharpe".into(), json!(d.probability));
        performance.insert("trials".into(), json!(d.trials));
    }
    let validation_criteria = match serde_json::to_value(t) {
        Ok(Value::Object(map)) => map,
        _ => Map::new(),
    };
    let c = &experiment.config;
    Profile {
        promoted_at: now.to_owned(),
        experiment_id: experiment.id,
        config_hash: experiment.config_hash.clone(),
        strategy: c.strategy.clone(),
        symbol: c.symbol.clone(),
        timeframe: c.timeframe.to_string(),
        params: c.params.clone(),
        performance,
        validation_criteria,
        data_fingerprint: experiment.data_fingerprint.clone(),
        start: format_ms(c.start.0),
        end: format_ms(c.end.0),
        initial_capital: c.initial_capital,
        fee_bps: c.fee_bps,
        slippage_bps: c.slippage_bps,
        allow_short: c.allow_short,
        definition: c
            .definition
            .as_deref()
            .and_then(crate::lang::defined)
            .map(|d| d.source().to_owned()),
        orders: c.orders.clone(),
        restored_at: None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn metrics(sharpe: f64, drawdown: f64, trades: u32, ret: f64) -> Metrics {
        Metrics {
            total_return: ret,
            total_return_pct: ret * 100.0,
            annualized_return: ret,
            sharpe_ratio: sharpe,
            max_drawdown: drawdown,
            total_trades: trades,
            winning_trades: trades / 2,
            losing_trades: trades - trades / 2,
            win_rate: 0.5,
            profit_factor: Some(1.2),
            avg_win: 1.0,
            avg_loss: -1.0,
            final_equity: 10_000.0 * (1.0 + ret),
            ..Metrics::default()
        }
    }

    #[test]
    fn each_threshold_is_reported_with_its_figure() {
        let good = metrics(1.5, 0.05, 10, 0.2);
        let oos = metrics(0.4, 0.1, 3, 0.01);
        let ran = OutOfSample::Ran {
            metrics: &oos,
            range: "r".into(),
        };
        let all = criteria(&good, &ran, None, &Thresholds::default());
        let names: Vec<&str> = all.iter().map(|c| c.name.as_str()).collect();
        assert_eq!(
            names,
            [
                "sharpe_ratio",
                "max_drawdown",
                "total_trades",
                "total_return",
                "oos_sharpe_ratio",
                "deflated_sharpe"
            ]
        );
        assert!(all.iter().all(|c| !c.failed()), "{all:?}");
        let bad = metrics(0.9, 0.2, 4, -0.1);
        let failed: Vec<String> = criteria(&bad, &ran, None, &Thresholds::default())
            .into_iter()
            .filter(Criterion::failed)
            .map(|c| format!("{} {}", c.name, c.figure))
            .collect();
        assert_eq!(
            failed,
            [
                "sharpe_ratio 0.9000",
                "max_drawdown 0.2000",
                "total_trades 4",
                "total_return -0.1000"
            ]
        );
    }

    #[test]
    fn out_of_sample_and_deflation_fail_only_when_required_and_known() {
        let good = metrics(1.5, 0.05, 10, 0.2);
        let losing = metrics(-0.3, 0.1, 3, -0.01);
        let t = Thresholds {
            min_deflated_sharpe: Some(0.95),
            ..Thresholds::default()
        };
        let ran = OutOfSample::Ran {
            metrics: &losing,
            range: "r".into(),
        };
        let none = OutOfSample::Unavailable("no candles after the range".into());
        let d = DeflatedSharpe {
            sharpe: 0.01,
            expected_max_sharpe: 0.02,
            trials: 100,
            trial_sharpe_variance: 1e-4,
            observations: 1000,
            skewness: 0.0,
            kurtosis: 3.0,
            probability: 0.4,
        };
        let failed = |oos: &OutOfSample, t: &Thresholds| {
            criteria(&good, oos, Some(&d), t)
                .into_iter()
                .filter(Criterion::failed)
                .map(|c| c.name)
                .collect::<Vec<_>>()
        };
        assert_eq!(failed(&ran, &t), ["oos_sharpe_ratio", "deflated_sharpe"]);
        assert_eq!(failed(&none, &Thresholds::default()), Vec::<String>::new());
    }
}
