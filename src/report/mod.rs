//! One experiment as one self-contained HTML file: its config and hash, the data's
//! fingerprint, the metrics, equity beside buy and hold, drawdown, monthly returns, the
//! trades, the Monte Carlo bands, and what is known of the trials behind it (their count,
//! the deflated Sharpe, the sweep's PBO).
//!
//! The file has no script and loads nothing: charts are inline SVG, the style is inline,
//! and its Content-Security-Policy forbids every fetch and script, so it opens the same
//! from a mail attachment with the network off. Every string is escaped by maud.
//! Rendering reads no clock: the same experiment and evidence give the same bytes in
//! every face.

pub mod monthly;
pub mod svg;

use chrono::DateTime;
use maud::{DOCTYPE, Markup, PreEscaped, html};
use serde::{Deserialize, Serialize};

use crate::config::ValidConfig;
use crate::engine::{BacktestResult, Detail, EquityPoint, Market, Trade};
use crate::metrics::Metric;
use crate::overfit::{DeflatedSharpe, result_deflated_sharpe};
use crate::robustness::{MonteCarlo, MonteCarloOptions, Resampled, monte_carlo, trade_returns};
use monthly::{YearReturns, monthly_returns};
use svg::{Chart, envelope};

/// What the store knows about an experiment beyond its own run.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct Evidence {
    pub experiment: Option<i64>,
    pub stored_at: Option<i64>,
    /// A defined strategy's source, shown with the config.
    pub definition_source: Option<String>,
    /// The stored (annualized) Sharpe ratio of every config tried for the experiment's
    /// symbol, timeframe and strategy: the trials its deflated Sharpe counts.
    pub trial_sharpes: Vec<f64>,
    /// The latest sweep with kept returns that ran this config.
    pub sweep: Option<SweepEvidence>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct SweepEvidence {
    pub id: i64,
    pub configs: usize,
    /// `Err` says why the PBO could not be computed (e.g. too few configs or periods).
    pub pbo: Result<SweepPbo, String>,
}

#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct SweepPbo {
    pub pbo: f64,
    pub probability_of_loss: f64,
    pub combinations: usize,
}

/// Trades listed in full up to this many; beyond it the first and last halves, so a
/// year of 15-minute candles stays a file one can mail.
const MAX_LISTED_TRADES: usize = 5000;
/// Each chart line is drawn from at most twice this many points (see [`envelope`]).
const CHART_BUCKETS: usize = 700;

/// Re-runs `config` on `market` with full detail and renders its report.
pub fn experiment_report(market: &Market, config: &ValidConfig, evidence: &Evidence) -> String {
    let result = market.run(config, Detail::FULL, &mut Vec::new());
    let monte_carlo =
        monte_carlo(&trade_returns(&result.trades), &MonteCarloOptions::default()).map_err(|e| e.to_string());
    let deflated = if evidence.trial_sharpes.is_empty() {
        None
    } else {
        result_deflated_sharpe(&result, evidence.trial_sharpes.iter().copied())
    };
    render(&result, &monte_carlo, deflated.as_ref(), evidence)
}

/// The report of a full-detail `result` (every candle's equity and every trade).
pub fn render(
    result: &BacktestResult,
    monte_carlo: &Result<MonteCarlo, String>,
    deflated: Option<&DeflatedSharpe>,
    evidence: &Evidence,
) -> String {
    let c = &result.config;
    let title = format!("{} {} {}", c.symbol, c.timeframe, c.strategy);
    let page = html! {
        (DOCTYPE)
        html lang="en" {
            head {
                meta charset="utf-8";
                meta http-equiv="Content-Security-Policy" content="default-src 'none'; style-src 'unsafe-inline'";
                meta name="viewport" content="width=device-width, initial-scale=1";
                title { "btlab report: " (title) }
                style { (PreEscaped(STYLE)) }
            }
            body {
                h1 { "btlab report: " (title) }
                p.sub {
                    @if let Some(id) = evidence.experiment { "experiment #" (id) ", " }
                    @if let Some(at) = evidence.stored_at { "stored " (datetime(at)) ", " }
                    (result.candles) " candles " (datetime(result.first_candle)) " .. " (datetime(result.last_candle))
                }
                (identity(result, evidence))
                h2 { "Metrics" }
                (metrics(result))
                h2 { "Equity" }
                (equity_chart(result))
                h2 { "Drawdown" }
                (drawdown_chart(&result.equity_curve))
                h2 { "Monthly returns" }
                (monthly_table(&monthly_returns(&result.equity_curve, c.initial_capital)))
                h2 { "Monte Carlo of the trades" }
                (monte_carlo_section(monte_carlo))
                h2 { "Trials and overfitting" }
                (trials_section(deflated, evidence))
                h2 { "Trades (" (result.trades.len()) ")" }
                (trades_table(&result.trades))
                footer { "Written by btlab. Re-run: the config above on candles with the same fingerprint gives the same config_hash and figures." }
            }
        }
    };
    page.into_string()
}

fn identity(result: &BacktestResult, evidence: &Evidence) -> Markup {
    let c = &result.config;
    let canonical = serde_json::to_string_pretty(c).unwrap_or_default();
    html! {
        table.kv {
            tr { th { "config_hash" } td.mono { (result.config_hash) } }
            tr { th { "data fingerprint" } td.mono { (result.data_fingerprint) } }
            tr { th { "params" } td.mono { (serde_json::Value::Object(c.params.clone())) } }
            tr { th { "range" } td { (c.start) " .. " (c.end) } }
            tr { th { "costs" } td { (c.fee_bps) " bps fee, " (c.slippage_bps) " bps slippage, shorts " (if c.allow_short { "allowed" } else { "off" }) } }
            tr { th { "initial capital" } td { (format!("{:.2}", c.initial_capital)) } }
        }
        details {
            summary { "The config" }
            pre { (canonical) }
        }
        @if let Some(source) = &evidence.definition_source {
            details open {
                summary { "The strategy's definition" }
                pre { (source) }
            }
        }
    }
}

fn metrics(result: &BacktestResult) -> Markup {
    let m = &result.metrics;
    html! {
        div.metrics {
            @for metric in Metric::ALL {
                div {
                    span.name { (metric.name()) }
                    span.value { (metric.value(m).map_or_else(|| "n/a".to_owned(), |v| metric.show(v))) }
                }
            }
        }
    }
}

fn points(curve: &[EquityPoint]) -> Vec<(f64, f64)> {
    curve.iter().map(|p| (p.time as f64, p.equity)).collect()
}

fn equity_chart(result: &BacktestResult) -> Markup {
    Chart::default()
        .line(
            "buy and hold",
            "#9ca3af",
            envelope(&points(&result.buy_hold_curve), CHART_BUCKETS),
        )
        .line(
            "strategy",
            "#2563eb",
            envelope(&points(&result.equity_curve), CHART_BUCKETS),
        )
        .render("equity-chart", &date_tick, &|y| format!("{y:.0}"))
}

fn drawdown_chart(curve: &[EquityPoint]) -> Markup {
    let mut peak = f64::NEG_INFINITY;
    let drawdown: Vec<(f64, f64)> = curve
        .iter()
        .map(|p| {
            peak = peak.max(p.equity);
            (p.time as f64, if peak > 0.0 { p.equity / peak - 1.0 } else { 0.0 })
        })
        .collect();
    Chart::default()
        .area("drawdown", "#dc2626", envelope(&drawdown, CHART_BUCKETS))
        .render("drawdown-chart", &date_tick, &percent_tick)
}

fn monthly_table(years: &[YearReturns]) -> Markup {
    const MONTHS: [&str; 12] = [
        "Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec",
    ];
    html! {
        table.monthly {
            tr { th { "year" } @for m in MONTHS { th { (m) } } th { "year" } }
            @for y in years {
                tr {
                    th { (y.year) }
                    @for r in y.months {
                        @match r {
                            Some(r) => td style=(shade(r)) { (percent(r)) },
                            None => td {},
                        }
                    }
                    td style=(shade(y.total)) { b { (percent(y.total)) } }
                }
            }
        }
    }
}

/// Green for gains, red for losses, deeper up to +-20%.
fn shade(r: f64) -> String {
    let depth = (r.abs() / 0.2).min(1.0) * 0.6;
    let rgb = if r >= 0.0 { "22,163,74" } else { "220,38,38" };
    format!("background:rgba({rgb},{depth:.2})")
}

fn monte_carlo_section(mc: &Result<MonteCarlo, String>) -> Markup {
    let mc = match mc {
        Ok(mc) => mc,
        Err(why) => return html! { p.empty { (why) } },
    };
    let row = |name: &str, r: &Resampled| {
        html! {
            tr {
                th { (name) }
                td { (percent(r.final_return.p5)) " / " (percent(r.final_return.p50)) " / " (percent(r.final_return.p95)) }
                td { (percent(r.max_drawdown.p5)) " / " (percent(r.max_drawdown.p50)) " / " (percent(r.max_drawdown.p95)) }
                td { (r.longest_losing_streak.p5) " / " (r.longest_losing_streak.p50) " / " (r.longest_losing_streak.p95) }
                td { (percent(r.ruin_probability)) }
            }
        }
    };
    let steps = |values: Vec<f64>| -> Vec<(f64, f64)> {
        values
            .into_iter()
            .enumerate()
            .map(|(i, v)| (i as f64, v - 1.0))
            .collect()
    };
    let fan = &mc.shuffle.fan;
    let boot = &mc.bootstrap.fan;
    let chart = Chart::default()
        .band(
            "bootstrap 5-95%",
            "#f59e0b",
            steps(boot.iter().map(|b| b.p5).collect()),
            steps(boot.iter().map(|b| b.p95).collect()),
        )
        .band(
            "shuffle 5-95%",
            "#2563eb",
            steps(fan.iter().map(|b| b.p5).collect()),
            steps(fan.iter().map(|b| b.p95).collect()),
        )
        .line(
            "median (shuffle)",
            "#1e3a8a",
            steps(fan.iter().map(|b| b.p50).collect()),
        )
        .line("the trades' own order", "#111827", steps(mc.actual_path.clone()));
    html! {
        p {
            (mc.options.runs) " runs each of the " (mc.trades) " trades' returns on entry equity, shuffled and bootstrapped (seed "
            (mc.options.seed) "); ruin is a drawdown of " (percent(mc.options.ruin_drawdown)) " or more. As traded: return "
            (percent(mc.actual.final_return)) ", max drawdown " (percent(mc.actual.max_drawdown)) ", longest losing streak "
            (mc.actual.longest_losing_streak) "."
        }
        table.bands {
            tr { th {} th { "final return 5/50/95%" } th { "max drawdown 5/50/95%" } th { "losing streak 5/50/95%" } th { "ruin" } }
            (row("shuffle", &mc.shuffle))
            (row("bootstrap", &mc.bootstrap))
        }
        (chart.render("monte-carlo-chart", &|x| format!("trade {x:.0}"), &percent_tick))
    }
}

fn trials_section(deflated: Option<&DeflatedSharpe>, evidence: &Evidence) -> Markup {
    html! {
        table.kv {
            tr {
                th { "trials" }
                td { (evidence.trial_sharpes.len()) " configs tried for this symbol, timeframe and strategy" }
            }
            tr {
                th { "deflated Sharpe" }
                td {
                    @match deflated {
                        Some(d) => { (format!("{:.4}", d.probability)) " (P(true Sharpe > 0) after " (d.trials) " trials; per-candle Sharpe "
                            (format!("{:.4}", d.sharpe)) " vs " (format!("{:.4}", d.expected_max_sharpe)) " expected of the best of luck)" },
                        None => "not known (no trials stored, or returns that never vary)",
                    }
                }
            }
            tr {
                th { "PBO" }
                td {
                    @match &evidence.sweep {
                        Some(SweepEvidence { id, configs, pbo: Ok(p) }) => {
                            (format!("{:.4}", p.pbo)) " (sweep " (id) ", " (configs) " configs, " (p.combinations)
                            " combinations; P(out-of-sample loss) " (format!("{:.4}", p.probability_of_loss)) ")"
                        },
                        Some(SweepEvidence { id, pbo: Err(why), .. }) => { "not known for sweep " (id) ": " (why) },
                        None => "not known (the config is in no sweep with kept returns)",
                    }
                }
            }
        }
    }
}

fn trades_table(trades: &[Trade]) -> Markup {
    let half = MAX_LISTED_TRADES / 2;
    let (head, tail) = if trades.len() > MAX_LISTED_TRADES {
        (&trades[..half], &trades[trades.len() - half..])
    } else {
        (trades, &trades[..0])
    };
    let row = |n: usize, t: &Trade| {
        html! {
            tr {
                td { (n) } td { (t.side.name()) } td { (datetime(t.entry_time)) } td { (price(t.entry_price)) }
                td { (datetime(t.exit_time)) } td { (price(t.exit_price)) }
                td style=(shade(t.return_pct / 100.0)) { (format!("{:.2}%", t.return_pct)) }
                td { (format!("{:.2}", t.pnl)) } td { (t.exit_reason.name()) }
            }
        }
    };
    html! {
        @if trades.is_empty() {
            p.empty { "no trades" }
        } @else {
            table.trades {
                tr { th { "#" } th { "side" } th { "entry" } th { "price" } th { "exit" } th { "price" } th { "return" } th { "pnl" } th { "exit reason" } }
                @for (i, t) in head.iter().enumerate() { (row(i + 1, t)) }
                @if !tail.is_empty() {
                    tr { td colspan="9" { (trades.len() - 2 * half) " trades between not listed" } }
                    @for (i, t) in tail.iter().enumerate() { (row(trades.len() - half + i + 1, t)) }
                }
            }
        }
    }
}

fn datetime(ms: i64) -> String {
    DateTime::from_timestamp_millis(ms).map_or_else(|| ms.to_string(), |t| t.format("%Y-%m-%d %H:%M").to_string())
}

fn date_tick(ms: f64) -> String {
    DateTime::from_timestamp_millis(ms as i64).map_or_else(String::new, |t| t.format("%Y-%m-%d").to_string())
}

fn percent(x: f64) -> String {
    format!("{:.2}%", x * 100.0)
}

fn percent_tick(x: f64) -> String {
    format!("{:.0}%", x * 100.0)
}

fn price(x: f64) -> String {
    if x.abs() >= 100.0 {
        format!("{x:.2}")
    } else {
        format!("{x:.6}")
    }
}

const STYLE: &str = "body{font:14px/1.4 system-ui,sans-serif;max-width:1000px;margin:24px auto;padding:0 12px;color:#111827}\
h1{font-size:20px;margin-bottom:4px}h2{font-size:16px;margin-top:28px;border-bottom:1px solid #e5e7eb}\
.sub{color:#6b7280;margin-top:0}.mono{font-family:ui-monospace,monospace;word-break:break-all}\
table{border-collapse:collapse}th,td{padding:2px 8px;text-align:right;border-bottom:1px solid #f3f4f6}\
.kv th{text-align:left;font-weight:600}.kv td{text-align:left}\
.metrics{display:grid;grid-template-columns:repeat(auto-fill,minmax(290px,1fr));gap:2px 16px}\
.metrics div{display:flex;justify-content:space-between;border-bottom:1px solid #f3f4f6}.metrics .name{color:#4b5563}\
svg{width:100%;height:auto;font-size:11px;fill:#374151}pre{background:#f9fafb;padding:8px;overflow:auto}\
.trades{font-size:12px}.empty{color:#6b7280}footer{margin-top:32px;color:#6b7280;font-size:12px}";
