//! Walk-forward optimization: a range cut into train/test windows (rolling or anchored);
//! in each, the best config on train by a metric, found by the same search as a sweep
//! (grid, random, or the no-key optimizer), is run on the test window that follows. The
//! test windows, stitched, are one out-of-sample equity curve.
//!
//! Windows are independent (each test run starts from the spec's capital, and stitching
//! rescales it to the equity carried over), so faces run them in parallel: natively on
//! all cores, in the page on its workers. A window's choice reads only its train candles.

use serde::{Deserialize, Serialize};
use serde_json::Value;

use crate::candles::Candles;
use crate::config::BacktestConfig;
use crate::engine::{Detail, EquityPoint, Market, Trade};
use crate::error::{Error, Result};
use crate::metrics::Metric;
use crate::metrics::{DrawdownPeriods, MaxDrawdown, Metrics, ReturnSums, Totals, TradeStats};
use crate::optimize::{Sampler, SearchSpace, Trial, objective, suggest};
use crate::search::{SweepSpec, predefined_grids};
use crate::time::Timestamp;

use super::DAY_MS;

/// How each window's config is chosen.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, Default)]
#[serde(rename_all = "lowercase")]
pub enum Method {
    /// Every config of the sweep spec (its grid or its random draws).
    #[default]
    Sweep,
    /// The no-key optimizer (TPE), `evaluations` configs per strategy.
    Tpe,
}

/// The `walk_forward` block of a spec.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Windows {
    pub train_days: f64,
    pub test_days: f64,
    /// Days between window starts (default: `test_days`, so test windows tile the range).
    #[serde(default)]
    pub step_days: Option<f64>,
    /// Every train window starts at the range's start and grows.
    #[serde(default)]
    pub anchored: bool,
    #[serde(default = "default_target")]
    pub target: Metric,
    #[serde(default)]
    pub method: Method,
    #[serde(default = "default_evaluations")]
    pub evaluations: usize,
}

fn default_target() -> Metric {
    Metric::SharpeRatio
}

fn default_evaluations() -> usize {
    100
}

/// A sweep spec over the whole range plus how to walk it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct WalkForwardSpec {
    pub sweep: SweepSpec,
    pub walk_forward: Windows,
}

impl WalkForwardSpec {
    /// A sweep spec file with a `walk_forward:` block.
    pub fn from_yaml(text: &str) -> Result<Self> {
        let bad = |e: String| Error::Search(format!("walk-forward spec: {e}"));
        let mut value: serde_yaml_ng::Value = serde_yaml_ng::from_str(text).map_err(|e| bad(e.to_string()))?;
        let windows = value
            .as_mapping_mut()
            .and_then(|m| m.remove("walk_forward"))
            .ok_or_else(|| bad("needs a `walk_forward:` block (train_days, test_days, ...)".into()))?;
        let walk_forward: Windows =
            serde_yaml_ng::from_value(windows).map_err(|e| bad(format!("walk_forward: {e}")))?;
        let sweep: SweepSpec = serde_yaml_ng::from_value(value).map_err(|e| bad(e.to_string()))?;
        let spec = WalkForwardSpec { sweep, walk_forward };
        spec.windows()?;
        Ok(spec)
    }

    /// The windows, in order.
    pub fn windows(&self) -> Result<Vec<Window>> {
        if self.sweep.markets()?.len() > 1 {
            return Err(Error::Search(
                "walk-forward spec: walks one market; drop `symbols`, `timeframes` and `markets`".into(),
            ));
        }
        let w = &self.walk_forward;
        let bad = |field: &str, message: String| Error::config(&format!("walk_forward.{field}"), message);
        if !(w.train_days.is_finite() && w.train_days > 0.0) {
            return Err(bad("train_days", format!("must be > 0, got {}", w.train_days)));
        }
        if !(w.test_days.is_finite() && w.test_days >= 0.0) {
            return Err(bad("test_days", format!("must be >= 0, got {}", w.test_days)));
        }
        let step_days = w.step_days.unwrap_or(w.test_days);
        if !(step_days.is_finite() && step_days > 0.0) && w.test_days > 0.0 {
            return Err(bad("step_days", format!("must be > 0, got {step_days}")));
        }
        if w.method == Method::Tpe && w.evaluations == 0 {
            return Err(bad("evaluations", "must be at least 1".into()));
        }
        let days = |d: f64| (d * DAY_MS as f64).round() as i64;
        let (start, end) = (self.sweep.start.0, self.sweep.end.0);
        let (train, test, step) = (days(w.train_days), days(w.test_days), days(step_days).max(1));
        let mut windows = Vec::new();
        for k in 0.. {
            let train_start = if w.anchored { start } else { start + k * step };
            let train_end = start + train + k * step;
            if train_end > end || (test > 0 && train_end >= end) {
                break;
            }
            windows.push(Window {
                index: windows.len(),
                train_start,
                train_end,
                test_start: train_end,
                test_end: (train_end + test).min(end),
            });
            if test == 0 {
                break; // in-sample only: one window
            }
        }
        if windows.is_empty() {
            return Err(bad(
                "train_days",
                format!(
                    "{} days of training leave no test window in {} .. {}",
                    w.train_days, self.sweep.start, self.sweep.end
                ),
            ));
        }
        Ok(windows)
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct Window {
    pub index: usize,
    pub train_start: i64,
    pub train_end: i64,
    pub test_start: i64,
    pub test_end: i64,
}

/// One window's choice and its test run (at the spec's capital).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct WindowResult {
    pub window: Window,
    /// The chosen config, over the train range.
    pub chosen: BacktestConfig,
    pub config_hash: String,
    pub evaluated: usize,
    pub in_sample: Metrics,
    /// `None` when the test window is empty (an in-sample-only walk).
    pub out_of_sample: Option<Metrics>,
    pub test_curve: Vec<EquityPoint>,
    pub test_trades: Vec<Trade>,
}

/// The stitched out-of-sample result.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct WalkForwardReport {
    pub windows: Vec<WindowSummary>,
    /// Metrics of the stitched test windows; `None` for an in-sample-only walk.
    pub out_of_sample: Option<Metrics>,
    /// Out-of-sample annualized return over the windows' mean in-sample one; `None` when
    /// that mean is 0 or there is no test window.
    pub efficiency: Option<f64>,
    pub equity_curve: Vec<EquityPoint>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct WindowSummary {
    pub window: Window,
    pub strategy: String,
    pub params: serde_json::Map<String, Value>,
    pub config_hash: String,
    pub evaluated: usize,
    pub in_sample: Metrics,
    pub out_of_sample: Option<Metrics>,
}

/// Chooses window `window`'s config on its train candles and runs it on its test candles.
pub fn run_window(spec: &WalkForwardSpec, series: &Candles, window: &Window) -> Result<WindowResult> {
    let sweep = SweepSpec {
        start: Timestamp(window.train_start),
        end: Timestamp(window.train_end),
        ..spec.sweep.clone()
    };
    let train = Market::for_range(series, sweep.timeframe, window.train_start, window.train_end)?;
    let target = spec.walk_forward.target;
    let mut scratch = Vec::new();
    let mut best: Option<(f64, crate::engine::BacktestResult)> = None;
    let mut evaluated = 0;
    let mut consider = |config: BacktestConfig, evaluated: &mut usize| -> Result<f64> {
        let valid = config.validate()?;
        let result = train.run(&valid, Detail::summary(2), &mut scratch);
        *evaluated += 1;
        let value = objective(&result.metrics, target);
        if best.as_ref().is_none_or(|(b, _)| value > *b) {
            best = Some((value, result));
        }
        Ok(value)
    };
    match spec.walk_forward.method {
        Method::Sweep => {
            for config in sweep.configs()? {
                consider(config?, &mut evaluated)?;
            }
        }
        Method::Tpe => {
            let grids = predefined_grids();
            for name in &sweep.strategies {
                let grid = sweep
                    .param_grids
                    .get(name)
                    .or_else(|| grids.get(name))
                    .ok_or_else(|| Error::Search(format!("no param grid for `{name}`")))?;
                let space = SearchSpace::from_grid(name, grid)?;
                let template = sweep.config(space.strategy, serde_json::Map::new());
                let space = space.fixing_orders_of(&template);
                let mut trials: Vec<Trial> = Vec::new();
                while trials.len() < spec.walk_forward.evaluations {
                    let batch = 8.min(spec.walk_forward.evaluations - trials.len());
                    let next = suggest(&space, &trials, batch, sweep.seed, Sampler::Tpe);
                    if next.is_empty() {
                        break;
                    }
                    for params in next {
                        let value = consider(space.config(&template, &params)?, &mut evaluated)?;
                        trials.push(Trial { params, value });
                    }
                }
            }
        }
    }
    let Some((_, chosen)) = best else {
        return Err(Error::Search(format!(
            "window {} has no config to choose from",
            window.index
        )));
    };
    let (out_of_sample, test_curve, test_trades) = if window.test_end > window.test_start {
        let test = Market::for_range(series, sweep.timeframe, window.test_start, window.test_end)?;
        let config = BacktestConfig {
            start: Timestamp(window.test_start),
            end: Timestamp(window.test_end),
            ..chosen.config.clone()
        };
        let run = test.run(&config.validate()?, Detail::FULL, &mut scratch);
        (Some(run.metrics), run.equity_curve, run.trades)
    } else {
        (None, Vec::new(), Vec::new())
    };
    Ok(WindowResult {
        window: *window,
        config_hash: chosen.config_hash,
        chosen: chosen.config,
        evaluated,
        in_sample: chosen.metrics,
        out_of_sample,
        test_curve,
        test_trades,
    })
}

/// Every window, one after the other (faces with threads or workers call [`run_window`]
/// in parallel and [`stitch`] the results instead).
pub fn walk_forward(spec: &WalkForwardSpec, series: &Candles) -> Result<WalkForwardReport> {
    let results = spec
        .windows()?
        .iter()
        .map(|w| run_window(spec, series, w))
        .collect::<Result<Vec<_>>>()?;
    Ok(stitch(spec, &results))
}

/// Equity points kept in a report's curve.
const REPORT_CURVE_POINTS: usize = 500;

/// The test windows as one account: each starts with the equity the previous ended with.
pub fn stitch(spec: &WalkForwardSpec, results: &[WindowResult]) -> WalkForwardReport {
    let capital = spec.sweep.initial_capital;
    let mut equity = capital;
    let mut curve: Vec<EquityPoint> = Vec::new();
    let mut trades: Vec<Trade> = Vec::new();
    for r in results {
        let scale = equity / capital;
        curve.extend(r.test_curve.iter().map(|p| EquityPoint {
            time: p.time,
            equity: p.equity * scale,
        }));
        trades.extend(r.test_trades.iter().map(|t| Trade {
            pnl: t.pnl * scale,
            units: t.units * scale,
            ..t.clone()
        }));
        if let Some(last) = r.test_curve.last() {
            equity = last.equity * scale;
        }
    }
    let tf = spec.sweep.timeframe;
    let out_of_sample = (!curve.is_empty()).then(|| {
        let span_days = (curve[curve.len() - 1].time - curve[0].time + tf.millis()) as f64 / DAY_MS as f64;
        curve_metrics(capital, &curve, &trades, tf.bars_per_year(), span_days)
    });
    let in_sample_mean =
        results.iter().map(|r| r.in_sample.annualized_return).sum::<f64>() / results.len().max(1) as f64;
    let efficiency = out_of_sample
        .as_ref()
        .filter(|_| in_sample_mean != 0.0)
        .map(|m| m.annualized_return / in_sample_mean);
    WalkForwardReport {
        windows: results
            .iter()
            .map(|r| WindowSummary {
                window: r.window,
                strategy: r.chosen.strategy.clone(),
                params: r.chosen.params.clone(),
                config_hash: r.config_hash.clone(),
                evaluated: r.evaluated,
                in_sample: r.in_sample.clone(),
                out_of_sample: r.out_of_sample.clone(),
            })
            .collect(),
        out_of_sample,
        efficiency,
        equity_curve: super::downsample(&curve, REPORT_CURVE_POINTS),
    }
}

/// The spec's metrics of an equity curve marked at every candle and its trades.
fn curve_metrics(initial: f64, curve: &[EquityPoint], trades: &[Trade], bars_per_year: f64, span_days: f64) -> Metrics {
    let mut returns = ReturnSums::default();
    let mut drawdown = MaxDrawdown::new(initial);
    let mut periods = DrawdownPeriods::new(initial, curve.first().map_or(0, |p| p.time));
    let mut previous = initial;
    let times: Vec<i64> = curve.iter().map(|p| p.time).collect();
    for (i, p) in curve.iter().enumerate() {
        // No market beside a stitched curve: its benchmark fields stay `None`.
        returns.update(p.equity / previous - 1.0, 0.0);
        drawdown.update(p.equity);
        periods.update(&times, i, p.equity);
        previous = p.equity;
    }
    periods.finish(curve.last().map_or(0, |p| p.time));
    Metrics::from_totals(Totals {
        initial_capital: initial,
        final_equity: previous,
        span_days,
        bars_per_year,
        returns: &returns,
        drawdown: &drawdown,
        periods: &periods,
        trades: TradeStats::from_trades(trades),
        candles_held: None,
        candles: curve.len(),
        market: None,
    })
}
