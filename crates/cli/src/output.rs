//! Human output: tables that fit the terminal, numbers formatted for reading.

use std::fmt::Arguments;
use std::io::Write as _;

use btlab::metrics::Metric;
use btlab::{BacktestConfig, Metrics};
use comfy_table::{ContentArrangement, Table, presets::UTF8_FULL_CONDENSED};

/// One line to stdout (see the `say!` macro).
pub(crate) fn say_line(line: Arguments<'_>) -> std::io::Result<()> {
    writeln!(std::io::stdout().lock(), "{line}")
}

/// One line to stderr (see the `note!` macro); a failed write is dropped.
pub(crate) fn note_line(line: Arguments<'_>) {
    let _ = writeln!(std::io::stderr().lock(), "{line}");
}

/// Whether a command ended because its reader went away: the end, not a failure.
pub(crate) fn is_closed_pipe(e: &anyhow::Error) -> bool {
    e.chain().any(|cause| {
        cause
            .downcast_ref::<std::io::Error>()
            .is_some_and(|io| io.kind() == std::io::ErrorKind::BrokenPipe)
    })
}

pub(crate) fn table() -> Table {
    let mut table = Table::new();
    table
        .load_preset(UTF8_FULL_CONDENSED)
        .set_content_arrangement(ContentArrangement::Dynamic);
    table
}

pub(crate) fn pct(x: f64) -> String {
    format!("{:.2}%", x * 100.0)
}

pub(crate) fn num(x: f64) -> String {
    format!("{x:.3}")
}

pub(crate) fn params(config: &BacktestConfig) -> String {
    serde_json::Value::Object(config.params.clone()).to_string()
}

/// A metric's value as the core formats it, `-` where it is null.
pub(crate) fn shown(metric: Metric, value: Option<f64>) -> String {
    value.map_or_else(|| "-".to_owned(), |v| metric.show(v))
}

pub(crate) fn metrics_table(m: &Metrics, initial_capital: f64) -> Table {
    let mut t = table();
    t.set_header(["metric", "value"]);
    // The metrics as the core formats them, with the counts and the capital among them.
    let metric = |metric: Metric| (metric.name(), metric.show(metric.of(m)));
    let rows: [(&str, String); 13] = [
        metric(Metric::TotalReturn),
        metric(Metric::AnnualizedReturn),
        metric(Metric::SharpeRatio),
        metric(Metric::MaxDrawdown),
        metric(Metric::TotalTrades),
        ("winning_trades", m.winning_trades.to_string()),
        ("losing_trades", m.losing_trades.to_string()),
        metric(Metric::WinRate),
        metric(Metric::ProfitFactor),
        metric(Metric::AvgWin),
        metric(Metric::AvgLoss),
        ("initial_capital", format!("{initial_capital:.2}")),
        metric(Metric::FinalEquity),
    ];
    for (name, value) in rows {
        t.add_row([name.to_owned(), value]);
    }
    // The report: n/a where the spec leaves a metric null (or the store predates it).
    for metric in &Metric::ALL[Metric::REPORT_FROM..] {
        let value = metric.value(m).map_or_else(|| "n/a".to_owned(), |v| metric.show(v));
        t.add_row([metric.name().to_owned(), value]);
    }
    t
}

/// An equity curve in one line of block characters, lowest to highest.
pub(crate) fn sparkline(curve: &[btlab::EquityPoint]) -> String {
    const BARS: [char; 8] = ['▁', '▂', '▃', '▄', '▅', '▆', '▇', '█'];
    let (lo, hi) = curve.iter().fold((f64::INFINITY, f64::NEG_INFINITY), |(lo, hi), p| {
        (lo.min(p.equity), hi.max(p.equity))
    });
    let step = curve.len().div_ceil(64).max(1);
    curve
        .iter()
        .step_by(step)
        .map(|p| {
            let t = if hi > lo { (p.equity - lo) / (hi - lo) } else { 0.5 };
            BARS[((t * 7.0).round() as usize).min(7)]
        })
        .collect()
}

/// A progress bar on stderr (drawn only on a terminal) counting `len` `things`.
pub(crate) fn progress(len: u64, things: &str) -> indicatif::ProgressBar {
    let bar = indicatif::ProgressBar::new(len);
    bar.set_style(
        indicatif::ProgressStyle::with_template(&format!(
            "{{bar:40}} {{pos}}/{{len}} {things}  {{per_sec}}  ETA {{eta}}  {{msg}}"
        ))
        .expect("a valid template"),
    );
    bar
}
