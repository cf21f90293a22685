//! Human output: tables that fit the terminal, numbers formatted for reading.

use btlab::{BacktestResult, Metrics};
use comfy_table::{ContentArrangement, Table, presets::UTF8_FULL_CONDENSED};

pub fn table() -> Table {
    let mut table = Table::new();
    table
        .load_preset(UTF8_FULL_CONDENSED)
        .set_content_arrangement(ContentArrangement::Dynamic);
    table
}

pub fn pct(x: f64) -> String {
    format!("{:.2}%", x * 100.0)
}

pub fn num(x: f64) -> String {
    format!("{x:.3}")
}

pub fn profit_factor(m: &Metrics) -> String {
    m.profit_factor.map_or_else(|| "n/a (no loss)".to_owned(), num)
}

pub fn params(result: &BacktestResult) -> String {
    serde_json::Value::Object(result.config.params.clone()).to_string()
}

pub fn metrics_table(result: &BacktestResult) -> Table {
    let m = &result.metrics;
    let mut t = table();
    t.set_header(["metric", "value"]);
    let rows: [(&str, String); 13] = [
        ("total_return", pct(m.total_return)),
        ("annualized_return", pct(m.annualized_return)),
        ("sharpe_ratio", num(m.sharpe_ratio)),
        ("max_drawdown", pct(m.max_drawdown)),
        ("total_trades", m.total_trades.to_string()),
        ("winning_trades", m.winning_trades.to_string()),
        ("losing_trades", m.losing_trades.to_string()),
        ("win_rate", pct(m.win_rate)),
        ("profit_factor", profit_factor(m)),
        ("avg_win", format!("{:.2}", m.avg_win)),
        ("avg_loss", format!("{:.2}", m.avg_loss)),
        ("initial_capital", format!("{:.2}", result.config.initial_capital)),
        ("final_equity", format!("{:.2}", m.final_equity)),
    ];
    for (name, value) in rows {
        t.add_row([name.to_owned(), value]);
    }
    t
}
