//! The spec re-implemented by the plainest loops, independently of the engine (naive SMA
//! means, a vector of equities, two-pass statistics), compared with `run_backtest` on the
//! real 15m series.

mod common;

use btlab::{Side, run_backtest};

struct Reference {
    equity: Vec<f64>,
    trade_pnls: Vec<f64>,
    final_equity: f64,
}

fn naive_sma(close: &[f64], n: usize, i: usize) -> Option<f64> {
    (i + 1 >= n).then(|| close[i + 1 - n..=i].iter().sum::<f64>() / n as f64)
}

fn reference_sma(close: &[f64], open: &[f64], fast: usize, slow: usize, fee: f64, allow_short: bool) -> Reference {
    // Targets from data up to each close.
    let mut targets = Vec::new();
    let mut last = 0i8;
    for i in 0..close.len() {
        let t = match (naive_sma(close, fast, i), naive_sma(close, slow, i)) {
            (Some(f), Some(s)) if f > s => 1,
            (Some(f), Some(s)) if f < s => -1,
            (Some(_), Some(_)) => last,
            _ => 0,
        };
        last = t;
        targets.push(if !allow_short && t < 0 { 0 } else { t });
    }
    // Fills at the next open; all equity per position, fee on each side's notional.
    let mut cash = 10_000.0;
    let mut units = 0.0; // signed
    let mut side = 0i8;
    let mut entry_equity = 0.0;
    let mut equity = Vec::new();
    let mut trade_pnls = Vec::new();
    let n = close.len();
    for i in 0..n {
        if i > 0 && targets[i - 1] != side {
            if side != 0 {
                cash += units * open[i] - f64::abs(units) * open[i] * fee;
                trade_pnls.push(cash - entry_equity);
                units = 0.0;
                side = 0;
            }
            if targets[i - 1] != 0 {
                side = targets[i - 1];
                entry_equity = cash;
                let size = cash / (open[i] * (1.0 + fee));
                units = f64::from(side) * size;
                cash = cash - units * open[i] - size * open[i] * fee;
            }
        }
        if i == n - 1 && side != 0 {
            cash += units * close[i] - f64::abs(units) * close[i] * fee;
            trade_pnls.push(cash - entry_equity);
            units = 0.0;
        }
        equity.push(cash + units * close[i]);
    }
    let final_equity = *equity.last().unwrap();
    Reference {
        equity,
        trade_pnls,
        final_equity,
    }
}

fn close_to(name: &str, ours: f64, reference: f64) {
    let scale = reference.abs().max(1e-12);
    assert!(
        (ours - reference).abs() / scale < 1e-9,
        "{name}: engine {ours} vs reference {reference}"
    );
}

fn compare(allow_short: bool) {
    let series = common::load(common::DATA_15M);
    let mut config = common::sma_config(20, 50);
    config.allow_short = allow_short;
    let result = run_backtest(&config, &series).unwrap();
    assert_eq!(result.candles, 30_026);

    let r = reference_sma(&series.close, &series.open, 20, 50, 0.001, allow_short);
    let m = &result.metrics;
    close_to("final equity", m.final_equity, r.final_equity);
    close_to("total return", m.total_return, r.final_equity / 10_000.0 - 1.0);

    let mut returns = Vec::new();
    let mut previous = 10_000.0;
    for e in &r.equity {
        returns.push(e / previous - 1.0);
        previous = *e;
    }
    let mean = returns.iter().sum::<f64>() / returns.len() as f64;
    let var = returns.iter().map(|x| (x - mean) * (x - mean)).sum::<f64>() / (returns.len() - 1) as f64;
    close_to(
        "sharpe",
        m.sharpe_ratio,
        mean / var.sqrt() * (365.0f64 * 24.0 * 4.0).sqrt(),
    );

    let mut peak: f64 = 10_000.0;
    let mut max_dd: f64 = 0.0;
    for e in &r.equity {
        peak = peak.max(*e);
        max_dd = max_dd.max((peak - e) / peak);
    }
    close_to("max drawdown", m.max_drawdown, max_dd);

    let span_days = (series.open_time[series.len() - 1] - series.open_time[0] + 900_000) as f64 / 86_400_000.0;
    close_to(
        "annualized",
        m.annualized_return,
        (r.final_equity / 10_000.0).powf(365.0 / span_days) - 1.0,
    );

    assert_eq!(m.total_trades as usize, r.trade_pnls.len());
    assert!(
        m.total_trades > 100,
        "SMA(20,50) on 15m trades often: {}",
        m.total_trades
    );
    let wins: Vec<f64> = r.trade_pnls.iter().copied().filter(|p| *p > 0.0).collect();
    let losses: Vec<f64> = r.trade_pnls.iter().copied().filter(|p| *p <= 0.0).collect();
    assert_eq!(m.winning_trades as usize, wins.len());
    assert_eq!(m.losing_trades as usize, losses.len());
    close_to("win rate", m.win_rate, wins.len() as f64 / r.trade_pnls.len() as f64);
    close_to("avg win", m.avg_win, wins.iter().sum::<f64>() / wins.len() as f64);
    close_to("avg loss", m.avg_loss, losses.iter().sum::<f64>() / losses.len() as f64);
    close_to(
        "profit factor",
        m.profit_factor.unwrap(),
        wins.iter().sum::<f64>() / -losses.iter().sum::<f64>(),
    );
    for (trade, pnl) in result.trades.iter().zip(&r.trade_pnls) {
        close_to("trade pnl", trade.pnl, *pnl);
    }
    assert_eq!(result.trades.iter().any(|t| t.side == Side::Short), allow_short);
    assert_eq!(result.equity_curve.len(), series.len());
    for (point, e) in result.equity_curve.iter().zip(&r.equity) {
        close_to("equity", point.equity, *e);
    }
}

#[test]
fn sma_20_50_long_only_matches_the_reference() {
    compare(false);
}

#[test]
fn sma_20_50_with_shorts_matches_the_reference() {
    compare(true);
}
