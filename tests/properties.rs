//! Invariants over random markets and random configs of every strategy.

mod common;

use btlab::{BacktestConfig, Candle, Candles, Detail, Market, run_batch};
use proptest::prelude::*;
use serde_json::json;

const STEP: i64 = 900_000;

fn market_strategy() -> impl Strategy<Value = Candles> {
    (60usize..260, any::<u64>()).prop_map(|(n, seed)| random_walk(n, seed))
}

/// A valid random series (a deterministic function of `seed`, so proptest can shrink `n`).
fn random_walk(n: usize, seed: u64) -> Candles {
    let mut state = seed | 1;
    let mut next = move || {
        state ^= state << 13;
        state ^= state >> 7;
        state ^= state << 17;
        (state >> 11) as f64 / (1u64 << 53) as f64
    };
    let mut price = 100.0;
    let rows = (0..n)
        .map(|i| random_candle(i as i64 * STEP, &mut price, &mut next))
        .collect();
    Candles::from_rows(rows, |i| format!("row {i}")).unwrap()
}

fn random_candle(open_time: i64, price: &mut f64, next: &mut impl FnMut() -> f64) -> Candle {
    let open = *price;
    let close = (open * (1.0 + (next() - 0.5) * 0.06)).max(0.01);
    *price = close;
    Candle {
        open_time,
        open,
        high: open.max(close) * (1.0 + next() * 0.01),
        low: open.min(close) * (1.0 - next() * 0.01),
        close,
        volume: next() * 10.0,
    }
}

fn config_strategy() -> impl Strategy<Value = BacktestConfig> {
    let sma = (1u32..30, 1u32..40).prop_map(|(f, d)| ("sma", json!({"fast_period": f, "slow_period": f + d})));
    let rsi = (2u32..30, 5.0f64..45.0, 55.0f64..95.0)
        .prop_map(|(p, lo, hi)| ("rsi", json!({"period": p, "oversold": lo, "overbought": hi})));
    let macd = (1u32..15, 1u32..20, 1u32..12).prop_map(|(f, d, s)| {
        (
            "macd",
            json!({"fast_period": f, "slow_period": f + d, "signal_period": s}),
        )
    });
    let convergence = (1u32..10, 1u32..20, 2u32..20, 1u32..4).prop_map(|(f, d, r, t)| {
        let params = json!({"fast_period": f, "slow_period": f + d, "rsi_period": r, "oversold": 35.0, "overbought": 65.0,
                            "macd_fast": f, "macd_slow": f + d, "macd_signal": 5, "threshold": t});
        ("convergence", params)
    });
    (
        prop_oneof![sma, rsi, macd, convergence],
        any::<bool>(),
        0.0f64..50.0,
        0.0f64..20.0,
    )
        .prop_map(|((strategy, params), allow_short, fee_bps, slippage_bps)| {
            BacktestConfig::from_json(
                &json!({"symbol": "TEST", "timeframe": "15m", "start": 0, "end": i64::MAX, "strategy": strategy,
                        "params": params, "allow_short": allow_short, "fee_bps": fee_bps, "slippage_bps": slippage_bps})
                .to_string(),
            )
            .unwrap()
        })
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(300))]

    /// Changing candle k never changes a target before k, an equity mark before k, or a
    /// trade closed before k's open (so no fill up to k's open is decided by candle k).
    #[test]
    fn no_look_ahead(candles in market_strategy(), config in config_strategy(), k_fraction in 0.0f64..1.0, seed in any::<u64>()) {
        let k = ((candles.len() - 1) as f64 * k_fraction) as usize;
        let mut changed = candles.clone();
        let mut price = if k > 0 { candles.close[k - 1] } else { 100.0 };
        let mut state = seed | 1;
        let mut next = || { state = state.wrapping_mul(6364136223846793005).wrapping_add(1); (state >> 11) as f64 / (1u64 << 53) as f64 };
        let replacement = random_candle(candles.open_time[k], &mut price, &mut next);
        let replacement = Candle { open: replacement.open * (0.9 + next() * 0.2), ..replacement };
        let replacement = Candle { high: replacement.high.max(replacement.open), low: replacement.low.min(replacement.open), ..replacement };
        changed.open[k] = replacement.open;
        changed.high[k] = replacement.high;
        changed.low[k] = replacement.low;
        changed.close[k] = replacement.close;
        changed.volume[k] = replacement.volume;
        changed.validate(|i| format!("row {i}")).unwrap();

        let valid = config.validate().unwrap();
        let (a, b) = (Market::new(candles.clone(), valid.config.timeframe), Market::new(changed, valid.config.timeframe));
        let (mut ta, mut tb) = (Vec::new(), Vec::new());
        a.targets(&valid, &mut ta);
        b.targets(&valid, &mut tb);
        prop_assert_eq!(&ta[..k], &tb[..k]);

        let ra = a.run(&valid, Detail::FULL, &mut ta);
        let rb = b.run(&valid, Detail::FULL, &mut tb);
        prop_assert_eq!(&ra.equity_curve[..k], &rb.equity_curve[..k]);
        let before = |r: &btlab::BacktestResult| r.trades.iter().filter(|t| t.exit_time < candles.open_time[k]).cloned().collect::<Vec<_>>();
        prop_assert_eq!(before(&ra), before(&rb));
    }

    /// Higher fees, or more slippage, never raise the final equity.
    #[test]
    fn costs_only_lower_final_equity(candles in market_strategy(), config in config_strategy(), extra_fee in 0.0f64..100.0, extra_slippage in 0.0f64..100.0) {
        let mut costlier = config.clone();
        costlier.fee_bps += extra_fee;
        let mut slipperier = config.clone();
        slipperier.slippage_bps += extra_slippage;
        let results = run_batch(&[config, costlier, slipperier], &candles, Detail::curve_at_most(10));
        let equity: Vec<f64> = results.into_iter().map(|r| r.unwrap().metrics.final_equity).collect();
        prop_assert!(equity[1] <= equity[0] * (1.0 + 1e-12), "fees raised equity: {} -> {}", equity[0], equity[1]);
        prop_assert!(equity[2] <= equity[0] * (1.0 + 1e-12), "slippage raised equity: {} -> {}", equity[0], equity[2]);
    }

    /// Metrics stay within their definitions whatever the market.
    #[test]
    fn metrics_are_well_formed(candles in market_strategy(), config in config_strategy()) {
        let result = btlab::run_backtest(&config, &candles).unwrap();
        let m = &result.metrics;
        prop_assert_eq!(m.total_trades, m.winning_trades + m.losing_trades);
        prop_assert_eq!(m.total_trades as usize, result.trades.len());
        prop_assert!((0.0..=1.0).contains(&m.win_rate));
        prop_assert!(m.max_drawdown >= 0.0);
        prop_assert!(m.avg_loss <= 0.0 && m.avg_win >= 0.0);
        prop_assert!(m.sharpe_ratio.is_finite());
        prop_assert_eq!(result.equity_curve.last().unwrap().equity, m.final_equity);
        let pnl: f64 = result.trades.iter().map(|t| t.pnl).sum();
        prop_assert!((10_000.0 + pnl - m.final_equity).abs() < 1e-6 * m.final_equity.abs().max(1.0));
        for pair in result.trades.windows(2) {
            prop_assert!(pair[0].exit_time <= pair[1].entry_time);
        }
    }

    /// Every strategy writes every candle's target: a sweep reuses its scratch uncleared.
    #[test]
    fn targets_overwrite_a_reused_scratch(candles in market_strategy(), config in config_strategy()) {
        let valid = config.validate().unwrap();
        let market = Market::for_config(&candles, &valid.config).unwrap();
        let mut fresh = Vec::new();
        market.targets(&valid, &mut fresh);
        let mut reused = vec![7i8; candles.len()];
        market.targets(&valid, &mut reused);
        prop_assert_eq!(reused, fresh);
    }

    /// A sweep's summary (short curve, no trade list) has exactly the full run's metrics.
    #[test]
    fn summaries_keep_the_full_metrics(candles in market_strategy(), config in config_strategy()) {
        let valid = config.validate().unwrap();
        let market = Market::for_config(&candles, &valid.config).unwrap();
        let full = market.run(&valid, Detail::FULL, &mut Vec::new());
        let summary = market.run(&valid, Detail::summary(7), &mut Vec::new());
        prop_assert_eq!(&summary.metrics, &full.metrics);
        prop_assert_eq!(&summary.config_hash, &full.config_hash);
        prop_assert!(summary.trades.is_empty());
        prop_assert!(summary.equity_curve.len() <= 9);
        prop_assert_eq!(summary.equity_curve.last(), full.equity_curve.last());
    }
}

#[test]
fn a_4x4_sma_grid_computes_8_smas_not_32() {
    let candles = common::load(common::DATA_15M).range(0, 1_740_000_000_000);
    let market = Market::new(candles, btlab::Timeframe::M15);
    let mut scratch = Vec::new();
    for fast in [5, 10, 15, 20] {
        for slow in [30, 50, 100, 200] {
            let valid = common::sma_config(fast, slow).validate().unwrap();
            market.run(&valid, Detail::summary(100), &mut scratch);
        }
    }
    assert_eq!(market.indicators().computed(), 8);
}
