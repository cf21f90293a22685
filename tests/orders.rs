//! Orders and risk (ENGINE.md, "Orders and risk"): every fill rule pinned on hand-made
//! candles, and a plain per-candle loop written from the spec that the engine must agree
//! with on the real 15m series, field by field, long and short.

mod common;

use btlab::engine::ExitReason;
use btlab::{BacktestConfig, BacktestResult, Candle, Candles, Market, Side, run_backtest};
use serde_json::{Value, json};

/// A strategy whose target is written in the candles' volume: 2 long, 1 flat, 0 short.
const BY_VOLUME: &str = "name: by_volume
description: the target as each candle's volume says
long_entry: volume > 1.5
long_exit: volume < 1.5
short_entry: volume < 0.5
short_exit: volume > 0.5
";

const HOUR: i64 = 3_600_000;
const START: i64 = 1_735_689_600_000; // 2025-01-01

/// Candles `(open, high, low, close, target)`, hourly.
fn candles(rows: &[(f64, f64, f64, f64, f64)]) -> Candles {
    let rows = rows
        .iter()
        .enumerate()
        .map(|(i, &(open, high, low, close, volume))| Candle {
            open_time: START + i as i64 * HOUR,
            open,
            high,
            low,
            close,
            volume,
        })
        .collect();
    Candles::from_rows(rows, |i| format!("row {i}")).unwrap()
}

fn config(n: usize, extra: Value) -> BacktestConfig {
    let hash = btlab::lang::define(BY_VOLUME).unwrap().hash().to_owned();
    let mut config = json!({
        "symbol": "TEST", "timeframe": "1h", "start": START, "end": START + n as i64 * HOUR,
        "strategy": "by_volume", "definition": hash, "params": {}, "fee_bps": 0, "allow_short": true,
    });
    config
        .as_object_mut()
        .unwrap()
        .extend(extra.as_object().unwrap().clone());
    serde_json::from_value(config).unwrap()
}

fn run(rows: &[(f64, f64, f64, f64, f64)], extra: Value) -> BacktestResult {
    run_backtest(&config(rows.len(), extra), &candles(rows)).unwrap()
}

fn exits(r: &BacktestResult) -> Vec<(i64, f64, ExitReason)> {
    r.trades
        .iter()
        .map(|t| ((t.exit_time - START) / HOUR, t.exit_price, t.exit_reason))
        .collect()
}

const FLAT: f64 = 1.0;
const LONG: f64 = 2.0;
const SHORT: f64 = 0.0;

#[test]
fn a_gap_through_the_stop_fills_at_the_open() {
    let r = run(
        &[
            (100.0, 100.0, 100.0, 100.0, LONG),
            (100.0, 101.0, 99.0, 100.0, LONG),
            (90.0, 92.0, 88.0, 91.0, LONG),
            (91.0, 91.0, 91.0, 91.0, LONG),
        ],
        json!({"stop_loss": {"pct": 0.05}}),
    );
    assert_eq!(exits(&r), vec![(2, 90.0, ExitReason::StopLoss)]);
}

#[test]
fn a_candle_reaching_both_levels_fills_the_stop_and_the_entry_candle_can_stop_out() {
    let r = run(
        &[
            (100.0, 100.0, 100.0, 100.0, LONG),
            (100.0, 106.0, 94.0, 100.0, LONG),
            (100.0, 100.0, 100.0, 100.0, LONG),
        ],
        json!({"stop_loss": {"pct": 0.05}, "take_profit": {"pct": 0.05}}),
    );
    assert_eq!(exits(&r), vec![(1, 95.0, ExitReason::StopLoss)]);
    let take = run(
        &[
            (100.0, 100.0, 100.0, 100.0, LONG),
            (100.0, 106.0, 99.0, 100.0, LONG),
            (100.0, 100.0, 100.0, 100.0, LONG),
        ],
        json!({"stop_loss": {"pct": 0.05}, "take_profit": {"rr": 1.0}}),
    );
    assert_eq!(exits(&take), vec![(1, 105.0, ExitReason::TakeProfit)]);
}

#[test]
fn the_trailing_level_reads_only_earlier_candles() {
    let rows = [
        (100.0, 100.0, 100.0, 100.0, LONG),
        (100.0, 105.0, 99.0, 104.0, LONG),
        // Its own high of 120 does not raise its level (94.5 from the 105 before it).
        (104.0, 120.0, 100.0, 110.0, LONG),
        // The 120 before it does: the level is 108.
        (110.0, 111.0, 107.0, 108.5, LONG),
        (108.0, 108.0, 108.0, 108.0, LONG),
    ];
    let r = run(&rows, json!({"trailing_stop": {"pct": 0.1}}));
    assert_eq!(exits(&r).len(), 1);
    let (candle, price, reason) = exits(&r)[0];
    assert_eq!((candle, reason), (3, ExitReason::TrailingStop));
    assert!((price - 108.0).abs() < 1e-9, "{price}");
}

#[test]
fn slippage_and_fees_apply_to_a_level_exit() {
    let rows = [
        (100.0, 100.0, 100.0, 100.0, LONG),
        (100.0, 101.0, 90.0, 95.0, LONG),
        (95.0, 95.0, 95.0, 95.0, LONG),
    ];
    let r = run(
        &rows,
        json!({"stop_loss": {"pct": 0.05}, "fee_bps": 10, "slippage_bps": 20}),
    );
    let t = &r.trades[0];
    let (fee, slip) = (0.001, 0.002);
    let entry = 100.0 * (1.0 + slip);
    assert_eq!(t.entry_price, entry);
    let exit = entry * 0.95 * (1.0 - slip);
    assert!((t.exit_price - exit).abs() < 1e-9);
    let units = 10_000.0 / (entry * (1.0 + fee));
    let cash = units * exit * (1.0 - fee);
    assert!(
        (t.pnl - (cash - 10_000.0)).abs() < 1e-6,
        "{} vs {}",
        t.pnl,
        cash - 10_000.0
    );
}

#[test]
fn no_reentry_until_the_signal_has_changed() {
    let mut rows = vec![(100.0, 100.0, 100.0, 100.0, LONG), (100.0, 100.0, 94.0, 95.0, LONG)];
    rows.extend([(95.0, 96.0, 94.0, 95.0, LONG); 3]);
    rows.push((95.0, 95.0, 95.0, 95.0, FLAT));
    rows.push((95.0, 95.0, 95.0, 95.0, LONG));
    rows.push((96.0, 97.0, 95.5, 96.0, LONG));
    let r = run(&rows, json!({"stop_loss": {"pct": 0.05}}));
    let entries: Vec<i64> = r.trades.iter().map(|t| (t.entry_time - START) / HOUR).collect();
    assert_eq!(entries, vec![1, 7]);
    assert_eq!(r.trades[1].exit_reason, ExitReason::End);
}

#[test]
fn max_bars_counts_the_entry_candle() {
    let rows = [(100.0, 100.0, 100.0, 100.0, LONG); 6];
    let r = run(&rows, json!({"max_bars": 2}));
    assert_eq!(exits(&r)[0], (3, 100.0, ExitReason::MaxBars));
    // Flat until the signal leaves long: nothing more.
    assert_eq!(r.trades.len(), 1);
}

#[test]
fn a_liquidation_leaves_the_account_flat_at_zero() {
    let rows = [
        (100.0, 100.0, 100.0, 100.0, LONG),
        (100.0, 100.0, 95.0, 96.0, LONG),
        (96.0, 97.0, 80.0, 85.0, FLAT),
        (85.0, 90.0, 85.0, 88.0, LONG),
        (88.0, 90.0, 85.0, 88.0, LONG),
    ];
    let r = run(&rows, json!({"leverage": 10}));
    // Ten times the equity at 100 borrows nine: equity is 0 at 90.
    assert_eq!(exits(&r), vec![(2, 90.0, ExitReason::Liquidation)]);
    assert_eq!(r.metrics.final_equity, 0.0);
    assert!(r.equity_curve.iter().all(|p| p.equity >= 0.0));
    assert_eq!(r.trades[0].pnl, -10_000.0);
}

#[test]
fn a_size_below_one_keeps_the_rest_in_cash_and_risk_pct_sizes_by_the_stop() {
    let rows = [
        (100.0, 100.0, 100.0, 100.0, LONG),
        (100.0, 110.0, 100.0, 110.0, LONG),
        (110.0, 110.0, 110.0, 110.0, LONG),
    ];
    let half = run(&rows, json!({"size": 0.5}));
    assert!((half.equity_curve[1].equity - 10_500.0).abs() < 1e-9);
    let risk = run(&rows, json!({"stop_loss": {"pct": 0.05}, "risk_pct": 0.01}));
    // Losing 1% of 10,000 over a 5-point stop: 20 units, 2,000 of notional.
    assert!((risk.trades[0].units - 20.0).abs() < 1e-9);
}

#[test]
fn a_short_stops_above_and_takes_profit_below() {
    let rows = [
        (100.0, 100.0, 100.0, 100.0, SHORT),
        (100.0, 103.0, 97.0, 98.0, SHORT),
        (98.0, 99.0, 89.0, 90.0, SHORT),
        (90.0, 90.0, 90.0, 90.0, SHORT),
    ];
    let r = run(&rows, json!({"stop_loss": {"pct": 0.05}, "take_profit": {"pct": 0.1}}));
    assert_eq!(exits(&r), vec![(2, 90.0, ExitReason::TakeProfit)]);
    assert_eq!(r.trades[0].side, Side::Short);
    let stopped = run(&rows, json!({"stop_loss": {"pct": 0.02}}));
    assert_eq!(exits(&stopped)[0], (1, 102.0, ExitReason::StopLoss));
}

#[test]
fn bad_order_fields_are_named_and_never_panic() {
    for (extra, field) in [
        (json!({"stop_loss": {"pct": -0.01}}), "stop_loss.pct"),
        (json!({"take_profit": {"atr": 14, "mult": 0}}), "take_profit.mult"),
        (json!({"size": 2}), "size"),
        (json!({"leverage": 0.5}), "leverage"),
        (json!({"leverage": 1e9}), "leverage"),
        (json!({"risk_pct": 0.01}), "risk_pct"),
    ] {
        let err = config(3, extra).validate().unwrap_err().to_string();
        assert!(err.contains(&format!("`{field}`")), "{err}");
    }
    let mut raw = serde_json::to_value(config(3, json!({}))).unwrap();
    raw["stop_loss"] = json!({"pct": 0.01, "percent": 1});
    let err = serde_json::from_value::<BacktestConfig>(raw).unwrap_err().to_string();
    assert!(err.contains("unknown field `percent`"), "{err}");
    // A sweep's order axes are checked before it runs, each value with the fixed fields.
    for (grid, orders, field) in [
        (json!({"risk_pct": [0.01]}), json!({}), "risk_pct"),
        (json!({"stop_loss.pct": [0.01, 0.0]}), json!({}), "stop_loss.pct"),
        (
            json!({"max_bars": {"type": "int", "min": 0, "max": 10}}),
            json!({}),
            "max_bars",
        ),
        (
            json!({"size": [0.5]}),
            json!({"risk_pct": 0.01, "stop_loss": {"pct": 0.02}}),
            "risk_pct",
        ),
    ] {
        let spec: btlab::search::SweepSpec = serde_json::from_value(json!({
            "symbol": "DEMO-BTC", "timeframe": "1h", "start": "2024-01-01", "end": "2024-02-01",
            "strategies": ["sma"], "param_grids": {"sma": grid}, "orders": orders}))
        .unwrap();
        let err = spec.configs().err().expect("refused").to_string();
        assert!(err.contains(&format!("`{field}`")), "{err}");
    }
}

#[test]
fn a_config_without_order_fields_keeps_its_hash() {
    let plain = common::sma_config(20, 50);
    let mut written = plain.clone();
    written.orders.size = Some(1.0);
    written.orders.leverage = Some(1.0);
    let (a, b) = (plain.validate().unwrap(), written.validate().unwrap());
    assert_eq!(a.hash("f"), b.hash("f"));
    assert_eq!(
        btlab::config::canonical_config(&a.config, "f"),
        btlab::config::canonical_config(&b.config, "f")
    );
}

/// The spec's loop, candle by candle: fills, levels, exits and marks.
struct Reference {
    equity: Vec<f64>,
    trades: Vec<(i64, f64, f64, ExitReason)>,
}

fn reference(c: &Candles, targets: &[i8], o: &Value, fee: f64) -> Reference {
    let get = |group: &str, key: &str| o.get(group).and_then(|g| g.get(key)).and_then(Value::as_f64);
    let size = o.get("size").and_then(Value::as_f64).unwrap_or(1.0);
    let leverage = o.get("leverage").and_then(Value::as_f64).unwrap_or(1.0);
    let max_bars = o.get("max_bars").and_then(Value::as_u64).map(|m| m as usize);
    let (mut cash, mut units, mut side, mut blocked) = (10_000.0f64, 0.0f64, 0i8, 0i8);
    let (mut entry, mut fill_in, mut best, mut entry_equity) = (0usize, 0.0, 0.0, 0.0);
    let mut out = Reference {
        equity: Vec::new(),
        trades: Vec::new(),
    };
    let n = c.len();
    let close_out = |cash: &mut f64,
                     units: &mut f64,
                     side: &mut i8,
                     price: f64,
                     reason: ExitReason,
                     out: &mut Reference,
                     ee: f64,
                     time: i64| {
        let mut after = *cash + *units * price - units.abs() * price * fee;
        let mut reason = reason;
        let mut price = price;
        if after <= 0.0 {
            price = -*cash / *units;
            after = 0.0;
            reason = ExitReason::Liquidation;
        }
        *cash = after;
        out.trades.push((time, price, after - ee, reason));
        *units = 0.0;
        *side = 0;
    };
    for i in 0..n {
        if i > 0 {
            let want = targets[i - 1];
            if blocked != 0 && want != blocked {
                blocked = 0;
            }
            if blocked == 0 && want != side {
                if side != 0 {
                    close_out(
                        &mut cash,
                        &mut units,
                        &mut side,
                        c.open[i],
                        ExitReason::Signal,
                        &mut out,
                        entry_equity,
                        c.open_time[i],
                    );
                }
                if want != 0 && cash > 0.0 {
                    let s = f64::from(want);
                    fill_in = c.open[i];
                    entry_equity = cash;
                    let q = size * leverage * cash / (fill_in * (1.0 + fee));
                    units = s * q;
                    cash = if want > 0 {
                        cash - q * fill_in * (1.0 + fee)
                    } else {
                        cash + q * fill_in * (1.0 - fee)
                    };
                    side = want;
                    entry = i;
                    best = fill_in;
                }
            } else if side != 0 && max_bars.is_some_and(|m| i - entry >= m) {
                blocked = side;
                close_out(
                    &mut cash,
                    &mut units,
                    &mut side,
                    c.open[i],
                    ExitReason::MaxBars,
                    &mut out,
                    entry_equity,
                    c.open_time[i],
                );
            }
        }
        if side != 0 {
            let s = f64::from(side);
            let mut stop = f64::NEG_INFINITY; // in the long frame: s * price
            let mut reason = ExitReason::StopLoss;
            if let Some(p) = get("stop_loss", "pct") {
                stop = s * fill_in - fill_in * p;
            }
            if let Some(p) = get("trailing_stop", "pct") {
                let trail = s * best * (1.0 - s * p);
                if trail > stop {
                    (stop, reason) = (trail, ExitReason::TrailingStop);
                }
            }
            let liq = -cash / units;
            if liq > 0.0 && s * liq >= stop {
                (stop, reason) = (s * liq, ExitReason::Liquidation);
            }
            let take = get("take_profit", "pct").map_or(f64::INFINITY, |p| s * fill_in + fill_in * p);
            let (low, high, open) = if side > 0 {
                (c.low[i], c.high[i], c.open[i])
            } else {
                (-c.high[i], -c.low[i], -c.open[i])
            };
            let hit = if i > entry && open <= stop {
                Some((s * open, reason))
            } else if i > entry && open >= take {
                Some((s * open, ExitReason::TakeProfit))
            } else if low <= stop {
                Some((s * stop, reason))
            } else if high >= take {
                Some((s * take, ExitReason::TakeProfit))
            } else {
                None
            };
            match hit {
                Some((price, why)) => {
                    blocked = side;
                    close_out(
                        &mut cash,
                        &mut units,
                        &mut side,
                        price,
                        why,
                        &mut out,
                        entry_equity,
                        c.open_time[i],
                    );
                }
                None => {
                    best = if side > 0 {
                        best.max(c.high[i])
                    } else {
                        best.min(c.low[i])
                    }
                }
            }
        }
        if i == n - 1 && side != 0 {
            close_out(
                &mut cash,
                &mut units,
                &mut side,
                c.close[i],
                ExitReason::End,
                &mut out,
                entry_equity,
                c.open_time[i],
            );
        }
        out.equity.push(cash + units * c.close[i]);
    }
    out
}

fn close_to(name: &str, ours: f64, theirs: f64) {
    assert!(
        (ours - theirs).abs() <= 1e-9 * theirs.abs().max(1e-9),
        "{name}: engine {ours} vs reference {theirs}"
    );
}

#[test]
fn the_engine_agrees_with_the_plain_loop_on_the_real_series() {
    let series = common::load(common::DATA_15M);
    for allow_short in [false, true] {
        for orders in [
            json!({"stop_loss": {"pct": 0.01}}),
            json!({"take_profit": {"pct": 0.015}}),
            json!({"stop_loss": {"pct": 0.01}, "take_profit": {"pct": 0.02}}),
            json!({"trailing_stop": {"pct": 0.008}}),
            json!({"max_bars": 24}),
            json!({"size": 0.5}),
            json!({"leverage": 3, "stop_loss": {"pct": 0.02}}),
            json!({"leverage": 20}),
        ] {
            let mut config = common::sma_config(20, 50);
            config.allow_short = allow_short;
            let mut raw = serde_json::to_value(&config).unwrap();
            raw.as_object_mut().unwrap().extend(orders.as_object().unwrap().clone());
            let config: BacktestConfig = serde_json::from_value(raw).unwrap();
            let result = run_backtest(&config, &series).unwrap();
            let valid = config.validate().unwrap();
            let market = Market::for_config(&series, &valid.config).unwrap();
            let mut targets = Vec::new();
            market.targets(&valid, &mut targets);
            let r = reference(market.candles(), &targets, &orders, 0.001);
            let what = format!("{orders} shorts {allow_short}");
            assert_eq!(result.trades.len(), r.trades.len(), "{what}");
            for (t, (time, price, pnl, reason)) in result.trades.iter().zip(&r.trades) {
                assert_eq!((t.exit_time, t.exit_reason), (*time, *reason), "{what}");
                close_to("exit price", t.exit_price, *price);
                close_to("pnl", t.pnl, *pnl);
            }
            let m = &result.metrics;
            close_to(
                &format!("final equity {what}"),
                m.final_equity,
                *r.equity.last().unwrap(),
            );
            let mut peak = 10_000.0f64;
            let mut max_dd = 0.0f64;
            for e in &r.equity {
                peak = peak.max(*e);
                max_dd = max_dd.max((peak - e) / peak);
            }
            close_to("max drawdown", m.max_drawdown, max_dd);
            let returns: Vec<f64> = std::iter::once(10_000.0)
                .chain(r.equity.iter().copied())
                .collect::<Vec<_>>()
                .windows(2)
                .map(|w| if w[0] == 0.0 { 0.0 } else { w[1] / w[0] - 1.0 })
                .collect();
            let mean = returns.iter().sum::<f64>() / returns.len() as f64;
            let downside = (returns.iter().map(|r| r.min(0.0).powi(2)).sum::<f64>() / returns.len() as f64).sqrt();
            close_to(
                "sortino",
                m.sortino_ratio.unwrap(),
                mean / downside * (365.0f64 * 96.0).sqrt(),
            );
            let var = returns.iter().map(|r| (r - mean).powi(2)).sum::<f64>() / (returns.len() - 1) as f64;
            close_to("sharpe", m.sharpe_ratio, mean / var.sqrt() * (365.0f64 * 96.0).sqrt());
        }
    }
}

#[test]
fn buy_and_hold_and_drawdown_durations_match_a_plain_computation() {
    let series = common::load(common::DATA_15M);
    let result = run_backtest(&common::sma_config(20, 50), &series).unwrap();
    let c = Market::for_config(&series, &result.config).unwrap();
    let c = c.candles();
    close_to(
        "buy and hold",
        result.metrics.buy_hold_return.unwrap(),
        c.close[c.len() - 1] / c.open[0] - 1.0,
    );
    // Its line: the capital bought at the first open, worth each candle's close.
    assert_eq!(result.buy_hold_curve.len(), c.len());
    for (i, p) in result.buy_hold_curve.iter().enumerate() {
        assert_eq!(p.time, c.open_time[i]);
        close_to("buy and hold line", p.equity, 10_000.0 / c.open[0] * c.close[i]);
    }
    // Periods from the full curve: peak candle's open to the recovering candle's open.
    let (mut peak, mut peak_time, mut deepest, mut inside) = (10_000.0f64, c.open_time[0], 0.0f64, false);
    let (mut durations, mut depths) = (Vec::new(), Vec::new());
    for p in &result.equity_curve {
        if p.equity >= peak {
            if inside {
                durations.push((p.time - peak_time) as f64 / 3.6e6);
                depths.push(deepest);
            }
            (peak, peak_time, deepest, inside) = (p.equity, p.time, 0.0, false);
        } else {
            inside = true;
            deepest = deepest.max((peak - p.equity) / peak);
        }
    }
    if inside {
        durations.push((c.open_time[c.len() - 1] - peak_time) as f64 / 3.6e6);
        depths.push(deepest);
    }
    let m = &result.metrics;
    close_to(
        "max duration",
        m.max_drawdown_duration_hours.unwrap(),
        durations.iter().copied().fold(0.0, f64::max),
    );
    close_to(
        "avg duration",
        m.avg_drawdown_duration_hours.unwrap(),
        durations.iter().sum::<f64>() / durations.len() as f64,
    );
    close_to(
        "avg drawdown",
        m.avg_drawdown.unwrap(),
        depths.iter().sum::<f64>() / depths.len() as f64,
    );
    let held = result
        .trades
        .iter()
        .map(|t| (t.exit_time - t.entry_time) / 900_000 + i64::from(t.exit_reason == ExitReason::End))
        .sum::<i64>();
    close_to("exposure", m.exposure.unwrap(), held as f64 / c.len() as f64);
}

proptest::proptest! {
    #![proptest_config(proptest::prelude::ProptestConfig::with_cases(24))]
    /// With a stop-loss, no trade loses more than its stop distance, unless it gapped: its
    /// exit is then at an open beyond the level.
    #[test]
    fn no_trade_loses_more_than_its_stop_unless_it_gapped(
        fast in 3u32..30, gap in 5u32..60, pct in 0.002f64..0.05, allow_short: bool, trailing: bool,
    ) {
        let series = common::load(common::DATA_15M);
        let mut raw = serde_json::to_value(common::sma_config(fast, fast + gap)).unwrap();
        raw["allow_short"] = json!(allow_short);
        raw["fee_bps"] = json!(0);
        raw["end"] = json!("2025-04-01");
        raw[if trailing { "trailing_stop" } else { "stop_loss" }] = json!({"pct": pct});
        let config: BacktestConfig = serde_json::from_value(raw).unwrap();
        let result = run_backtest(&config, &series).unwrap();
        let market = Market::for_config(&series, &result.config).unwrap();
        let c = market.candles();
        for t in &result.trades {
            let s = if t.side == Side::Long { 1.0 } else { -1.0 };
            let loss = -s * (t.exit_price / t.entry_price - 1.0);
            let at = c.open_time.binary_search(&t.exit_time).unwrap();
            let gapped = t.exit_price == c.open[at] && at > 0;
            proptest::prop_assert!(loss <= pct + 1e-12 || gapped, "{t:?} lost {loss} with a stop at {pct}");
        }
    }
}
