//! Execution: targets computed at candle `i`'s close are filled at candle `i + 1`'s open,
//! fees and slippage on every fill, equity marked at every close; stops, take-profits,
//! trailing stops, time exits, sizing and leverage as ENGINE.md's "Orders and risk" says.

use std::sync::Arc;

use serde::{Deserialize, Serialize};

use crate::candles::Candles;
use crate::close_index::CloseIndex;
use crate::config::{BacktestConfig, ValidConfig};
use crate::error::{Error, Result};
use crate::indicators::{Column, Held, Indicators};
use crate::metrics::{
    DrawdownPeriods, MarketReturns, MaxDrawdown, Metrics, ReturnSums, Totals, TradeStats, TradeTally, market_return,
};
use crate::orders::{Distance, Rules};
use crate::scan::first_marked;
use crate::timeframe::Timeframe;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Side {
    Long,
    Short,
}

impl Side {
    pub fn name(self) -> &'static str {
        match self {
            Side::Long => "long",
            Side::Short => "short",
        }
    }
}

/// Why a trade ended.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ExitReason {
    Signal,
    StopLoss,
    TakeProfit,
    TrailingStop,
    MaxBars,
    Liquidation,
    /// Still open after the last candle, closed at its close.
    End,
}

impl ExitReason {
    pub const ALL: [ExitReason; 7] = [
        ExitReason::Signal,
        ExitReason::StopLoss,
        ExitReason::TakeProfit,
        ExitReason::TrailingStop,
        ExitReason::MaxBars,
        ExitReason::Liquidation,
        ExitReason::End,
    ];

    pub fn name(self) -> &'static str {
        match self {
            ExitReason::Signal => "signal",
            ExitReason::StopLoss => "stop_loss",
            ExitReason::TakeProfit => "take_profit",
            ExitReason::TrailingStop => "trailing_stop",
            ExitReason::MaxBars => "max_bars",
            ExitReason::Liquidation => "liquidation",
            ExitReason::End => "end",
        }
    }
}

/// One round trip, entry to exit. `pnl` is net of both fees; `return_pct` is `pnl` over
/// the equity at entry, in percent. A fill inside a candle (a stop, a take-profit, a
/// liquidation) is timed at that candle's open.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Trade {
    pub side: Side,
    pub entry_time: i64,
    pub entry_price: f64,
    pub exit_time: i64,
    pub exit_price: f64,
    pub units: f64,
    pub pnl: f64,
    pub return_pct: f64,
    pub exit_reason: ExitReason,
}

/// Equity marked at a candle's close (`time` is the candle's `open_time`).
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct EquityPoint {
    pub time: i64,
    pub equity: f64,
}

/// How much a result keeps beyond its metrics: the equity curve at every candle or at most
/// about `n` points (evenly spaced, the last candle always kept), and the trade list or
/// not. A sweep keeps a short curve and no trades (its metrics are the same either way);
/// any result's full detail is one deterministic re-run away.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Detail {
    pub curve_points: Option<usize>,
    pub trades: bool,
}

impl Detail {
    /// Every candle's equity and every trade.
    pub const FULL: Self = Self {
        curve_points: None,
        trades: true,
    };

    /// At most `points` equity points and every trade.
    pub fn curve_at_most(points: usize) -> Self {
        Self {
            curve_points: Some(points),
            trades: true,
        }
    }

    /// What a sweep stores: at most `points` equity points, no trade list.
    pub fn summary(points: usize) -> Self {
        Self {
            curve_points: Some(points),
            trades: false,
        }
    }
}

/// The result type every face shares.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct BacktestResult {
    pub config_hash: String,
    pub data_fingerprint: String,
    pub config: BacktestConfig,
    /// Candles in the range, and the first and last `open_time` among them.
    pub candles: usize,
    pub first_candle: i64,
    pub last_candle: i64,
    pub metrics: Metrics,
    pub equity_curve: Vec<EquityPoint>,
    /// The same capital held long over the range (no fees), at the equity curve's times:
    /// `buy_hold_return`'s line, in a result with its trades (a sweep's rows have none).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub buy_hold_curve: Vec<EquityPoint>,
    pub trades: Vec<Trade>,
}

/// The candles of one range with everything every config over them shares: the data
/// fingerprint, the indicator cache and the market's own returns. Build it once per
/// (series, range) of a sweep.
pub struct Market {
    candles: Candles,
    timeframe: Timeframe,
    fingerprint: String,
    indicators: Indicators,
    /// A long position's returns and drawdown over any range, in O(log n).
    close_index: CloseIndex,
    market: MarketReturns,
}

impl Market {
    /// `candles` must already be of `timeframe` and cut to the config range.
    pub fn new(candles: Candles, timeframe: Timeframe) -> Self {
        let fingerprint = candles.fingerprint();
        let indicators = Indicators::of_candles(&candles, timeframe);
        let close_index = CloseIndex::new(&candles.close, &candles.open_time);
        let market = MarketReturns::new(&candles.open, &candles.close);
        Self {
            candles,
            timeframe,
            fingerprint,
            indicators,
            close_index,
            market,
        }
    }

    /// The market of a config: its range cut from `series`, which must be of the config's
    /// timeframe (a series of a smaller one is resampled by the caller, see [`prepare_series`]).
    pub fn for_config(series: &Candles, config: &BacktestConfig) -> Result<Self> {
        Self::for_range(series, config.timeframe, config.start.0, config.end.0)
    }

    /// The market of `[start, end)` of `series`, which must be of `timeframe`.
    pub fn for_range(series: &Candles, timeframe: Timeframe, start: i64, end: i64) -> Result<Self> {
        if let Some(tf) = series.detect_timeframe()
            && tf != timeframe
        {
            return Err(Error::Timeframe(format!(
                "the config asks for {timeframe} but the candles are {tf}; resample them first"
            )));
        }
        Ok(Self::new(series.window(start, end)?, timeframe))
    }

    pub fn candles(&self) -> &Candles {
        &self.candles
    }

    pub fn fingerprint(&self) -> &str {
        &self.fingerprint
    }

    pub fn indicators(&self) -> &Indicators {
        &self.indicators
    }

    /// Computes up front every indicator series `configs` will read, several at a time
    /// where that is faster, and holds them while the guard lives. Optional: `run`
    /// computes what is missing on demand.
    pub fn prepare<'a>(&self, configs: impl IntoIterator<Item = &'a ValidConfig>) -> Held {
        let configs: Vec<&ValidConfig> = configs.into_iter().collect();
        let mut periods: Vec<usize> = configs.iter().flat_map(|c| c.rules.atr_periods()).collect();
        periods.sort_unstable();
        periods.dedup();
        for period in periods {
            self.atr(period);
        }
        self.indicators
            .prepare(configs.into_iter().flat_map(|c| c.strategy.indicators(&c.params)))
    }

    /// ATR(`period`) for the ATR distances, in the same cache (and under the same name)
    /// as a defined strategy's `atr(period)`.
    fn atr(&self, period: usize) -> Arc<Column> {
        self.indicators.column(&format!("atr({period})"), || {
            let c = self.indicators.candles();
            vec![crate::indicators::atr(&c.high, &c.low, self.indicators.close(), period)]
        })
    }

    /// The targets of `config`, one per candle, into `out` (resized, reused across runs;
    /// not cleared, since every strategy writes every candle's target).
    pub fn targets(&self, config: &ValidConfig, out: &mut Vec<i8>) {
        out.resize(self.candles.len(), 0);
        config
            .strategy
            .targets(&config.params, &self.indicators, config.config.allow_short, out);
        if !config.config.allow_short {
            out.iter_mut().for_each(|t| *t = (*t).max(0));
        }
    }

    /// `capital` bought at the first candle's open and held: its equity at each of `curve`'s
    /// times (which are candles' open times; equity at a candle is at its close).
    fn buy_hold_curve(&self, capital: f64, curve: &[EquityPoint]) -> Vec<EquityPoint> {
        let units = capital / self.candles.open[0];
        let times = &self.candles.open_time;
        curve
            .iter()
            .map(|p| EquityPoint {
                time: p.time,
                equity: units * self.candles.close[times.partition_point(|&t| t < p.time)],
            })
            .collect()
    }

    /// Runs one validated config. `scratch` holds the targets; pass the same one for every
    /// run of a sweep so nothing is allocated per candle.
    pub fn run(&self, config: &ValidConfig, detail: Detail, scratch: &mut Vec<i8>) -> BacktestResult {
        self.targets(config, scratch);
        let c = &config.config;
        let rules = &config.rules;
        let atr = |d: Option<Distance>| match d {
            Some(Distance::Atr { period, .. }) => Some(self.atr(period)),
            _ => None,
        };
        let plan = Plan {
            rules,
            atr: [atr(rules.stop_loss), atr(rules.take_profit), atr(rules.trailing_stop)],
        };
        let tape = Tape {
            open_time: &self.candles.open_time,
            open: &self.candles.open,
            high: &self.candles.high,
            low: &self.candles.low,
            close: self.close_index.closes(),
            close_index: &self.close_index,
        };
        let simulate = if rules.is_plain() {
            simulate::<true>
        } else {
            simulate::<false>
        };
        let sim = simulate(
            &tape,
            scratch,
            c.initial_capital,
            c.fee_bps,
            c.slippage_bps,
            &plan,
            detail,
        );
        let first = self.candles.open_time[0];
        let last = self.candles.open_time[self.candles.len() - 1];
        let span_days = (last - first + self.timeframe.millis()) as f64 / 86_400_000.0;
        let metrics = Metrics::from_totals(Totals {
            initial_capital: c.initial_capital,
            final_equity: sim.final_equity,
            span_days,
            bars_per_year: self.timeframe.bars_per_year(),
            returns: &sim.marks.returns,
            drawdown: &sim.marks.drawdown,
            periods: &sim.marks.periods,
            trades: sim.trade_stats,
            candles_held: Some(sim.marks.held),
            candles: self.candles.len(),
            market: Some(&self.market),
        });
        let buy_hold_curve = if detail.trades {
            self.buy_hold_curve(c.initial_capital, &sim.marks.curve)
        } else {
            Vec::new()
        };
        BacktestResult {
            config_hash: config.hash(&self.fingerprint),
            data_fingerprint: self.fingerprint.clone(),
            config: c.clone(),
            candles: self.candles.len(),
            first_candle: first,
            last_candle: last,
            metrics,
            equity_curve: sim.marks.curve,
            buy_hold_curve,
            trades: sim.trades,
        }
    }
}

/// Brings a series of `data_timeframe` to `timeframe`, resampling when it is larger.
pub fn prepare_series(series: &Candles, data_timeframe: Timeframe, timeframe: Timeframe) -> Result<Candles> {
    series.resample(data_timeframe, timeframe)
}

/// Validates `config` and runs it on `series` (candles of the config's timeframe; the range
/// is cut here). The whole equity curve is kept.
pub fn run_backtest(config: &BacktestConfig, series: &Candles) -> Result<BacktestResult> {
    let valid = config.validate()?;
    let market = Market::for_config(series, &valid.config)?;
    Ok(market.run(&valid, Detail::FULL, &mut Vec::new()))
}

/// Runs many configs on one series, in order, each failure in its place. Configs over the
/// same range share one [`Market`], so each indicator series is computed once.
pub fn run_batch(configs: &[BacktestConfig], series: &Candles, detail: Detail) -> Vec<Result<BacktestResult>> {
    let mut markets: Vec<((i64, i64, Timeframe), Result<Market>)> = Vec::new();
    let mut scratch = Vec::new();
    configs
        .iter()
        .map(|config| {
            let valid = config.validate()?;
            let key = (valid.config.start.0, valid.config.end.0, valid.config.timeframe);
            let index = match markets.iter().position(|(k, _)| *k == key) {
                Some(i) => i,
                None => {
                    markets.push((key, Market::for_config(series, &valid.config)));
                    markets.len() - 1
                }
            };
            let market = markets[index].1.as_ref().map_err(Clone::clone)?;
            Ok(market.run(&valid, detail, &mut scratch))
        })
        .collect()
}

/// The market's columns the execution loop reads.
struct Tape<'a> {
    open_time: &'a [i64],
    open: &'a [f64],
    high: &'a [f64],
    low: &'a [f64],
    close: &'a [f64],
    close_index: &'a CloseIndex,
}

/// A config's order rules with the ATR series its distances read (stop-loss,
/// take-profit, trailing stop).
struct Plan<'a> {
    rules: &'a Rules,
    atr: [Option<Arc<Column>>; 3],
}

impl Plan<'_> {
    /// A distance in price from `fill`, for the position entered on candle `entry`; `None`
    /// for an ATR distance before the ATR has a value at the signal candle.
    fn distance(&self, which: usize, distance: Option<Distance>, fill: f64, entry: usize) -> Option<f64> {
        match distance? {
            Distance::Pct(pct) => Some(fill * pct),
            Distance::Atr { mult, .. } => {
                let atr = self.atr[which].as_ref()?.exact[0][entry - 1];
                atr.is_finite().then_some(atr * mult)
            }
            Distance::RiskReward(_) => None,
        }
    }
}

/// The levels a position is watched for, in the long frame (a short's prices negated, so
/// that one comparison serves both): the stop below, the take-profit above. An unset level
/// is infinitely far.
#[derive(Clone, Copy)]
struct Levels {
    sign: f64,
    stop_loss: f64,
    take_profit: f64,
    /// Where the account's marked equity reaches 0.
    liquidation: f64,
    /// The trailing level for a best price `b` so far: `b * factor - minus`.
    trail_factor: f64,
    trail_minus: f64,
    entry_fill: f64,
}

impl Levels {
    const NONE: Levels = Levels {
        sign: 1.0,
        stop_loss: f64::NEG_INFINITY,
        take_profit: f64::INFINITY,
        liquidation: f64::NEG_INFINITY,
        trail_factor: 0.0,
        trail_minus: f64::INFINITY,
        entry_fill: 0.0,
    };

    fn watched(&self) -> bool {
        self.stop_loss > f64::NEG_INFINITY
            || self.take_profit < f64::INFINITY
            || self.liquidation > f64::NEG_INFINITY
            || self.trail_minus < f64::INFINITY
    }
}

/// The first candle in `from..=to` where a level fills, with its price and reason: rules
/// 1 to 3 of "Orders and risk", in the long frame.
fn find_exit(t: &Tape, from: usize, to: usize, entry: usize, lv: &Levels) -> Option<(usize, f64, ExitReason)> {
    let sign = lv.sign;
    let mut best = lv.entry_fill;
    for j in from..=to {
        let mut level = lv.stop_loss;
        let mut reason = ExitReason::StopLoss;
        let trail = best * lv.trail_factor - lv.trail_minus;
        if trail > level {
            (level, reason) = (trail, ExitReason::TrailingStop);
        }
        if lv.liquidation >= level {
            (level, reason) = (lv.liquidation, ExitReason::Liquidation);
        }
        let (low, high, open) = if sign > 0.0 {
            (t.low[j], t.high[j], t.open[j])
        } else {
            (-t.high[j], -t.low[j], -t.open[j])
        };
        if j > entry {
            if open <= level {
                return Some((j, sign * open, reason));
            }
            if open >= lv.take_profit {
                return Some((j, sign * open, ExitReason::TakeProfit));
            }
        }
        if low <= level {
            return Some((j, sign * level, reason));
        }
        if high >= lv.take_profit {
            return Some((j, sign * lv.take_profit, ExitReason::TakeProfit));
        }
        best = best.max(high);
    }
    None
}

struct Simulation {
    final_equity: f64,
    marks: Marks,
    trade_stats: TradeStats,
    trades: Vec<Trade>,
}

/// The cash account: `units` is signed (negative when short), equity is `cash + units * price`.
struct Account {
    cash: f64,
    units: f64,
    side: i8,
    fee: f64,
    slippage: f64,
    entry_index: usize,
    entry_time: i64,
    entry_price: f64,
    entry_equity: f64,
    levels: Levels,
    tally: TradeTally,
    /// `None` when the result keeps no trade list.
    trades: Option<Vec<Trade>>,
}

impl Account {
    /// Closes the position at `price` moved against the trader by the slippage. An exit that
    /// would leave the account below 0 is a liquidation: at the price where its marked
    /// equity reached 0, leaving exactly 0.
    #[inline(always)]
    fn exit(&mut self, time: i64, price: f64, mut reason: ExitReason) {
        let side = f64::from(self.side);
        let mut fill = price * (1.0 - side * self.slippage);
        self.cash += self.units * fill - self.units.abs() * fill * self.fee;
        if self.cash <= 0.0 || reason == ExitReason::Liquidation {
            fill = self.levels.sign * self.levels.liquidation;
            self.cash = 0.0;
            reason = ExitReason::Liquidation;
        }
        let pnl = self.cash - self.entry_equity;
        let units = self.units.abs();
        self.tally.add(pnl, units * self.entry_price, time - self.entry_time);
        if let Some(trades) = &mut self.trades {
            trades.push(Trade {
                side: if self.side > 0 { Side::Long } else { Side::Short },
                entry_time: self.entry_time,
                entry_price: self.entry_price,
                exit_time: time,
                exit_price: fill,
                units,
                pnl,
                return_pct: pnl / self.entry_equity * 100.0,
                exit_reason: reason,
            });
        }
        self.units = 0.0;
        self.side = 0;
    }

    /// Opens a position at candle `i`'s open committing `size x leverage` of equity (or what
    /// `risk_pct` says), fees included: with neither, `units * fill * (1 + fee) = equity`, so
    /// fees are paid out of the equity and a long's cash is exactly 0, which `simulate`'s long
    /// fast path relies on. A bankrupt account stays flat.
    /// `PLAIN`: the rules set nothing (all in, no levels), which spares a sweep of plain
    /// configs every order rule's test.
    #[inline]
    fn enter<const PLAIN: bool>(&mut self, side: i8, i: usize, t: &Tape, plan: &Plan) {
        if self.cash <= 0.0 {
            return;
        }
        let sign = f64::from(side);
        let fill = t.open[i] * (1.0 + sign * self.slippage);
        let equity = self.cash;
        let rules = plan.rules;
        let all_in = equity / (fill * (1.0 + self.fee));
        let stop_distance = if PLAIN {
            None
        } else {
            plan.distance(0, rules.stop_loss, fill, i)
        };
        let units = match (rules.risk_pct, stop_distance) {
            _ if PLAIN => all_in,
            (Some(risk), Some(distance)) => (risk * equity / distance).min(rules.leverage * all_in),
            _ if rules.size == 1.0 && rules.leverage == 1.0 => all_in,
            _ => rules.size * rules.leverage * all_in,
        };
        self.entry_equity = equity;
        self.entry_index = i;
        self.entry_time = t.open_time[i];
        self.entry_price = fill;
        self.units = sign * units;
        self.side = side;
        self.cash = if side > 0 {
            if units == all_in {
                0.0
            } else {
                equity - units * fill * (1.0 + self.fee)
            }
        } else {
            equity + units * fill * (1.0 - self.fee)
        };
        self.levels = Levels { sign, ..Levels::NONE };
        // Where `cash + units * price` reaches 0: below a long that borrowed, above any short
        // (cash and units of opposite signs; an all-in long's cash is 0 and needs no division).
        if self.cash * self.units < 0.0 {
            self.levels.liquidation = sign * (-self.cash / self.units);
        }
        if !PLAIN && rules.has_levels() {
            let frame_fill = sign * fill;
            self.levels.entry_fill = frame_fill;
            if let Some(d) = stop_distance {
                self.levels.stop_loss = frame_fill - d;
            }
            let take = match rules.take_profit {
                Some(Distance::RiskReward(rr)) => stop_distance.map(|d| d * rr),
                other => plan.distance(1, other, fill, i),
            };
            if let Some(d) = take {
                self.levels.take_profit = frame_fill + d;
            }
            match rules.trailing_stop {
                Some(Distance::Pct(pct)) => {
                    (self.levels.trail_factor, self.levels.trail_minus) = (1.0 - sign * pct, 0.0);
                }
                other => {
                    if let Some(d) = plan.distance(2, other, fill, i) {
                        (self.levels.trail_factor, self.levels.trail_minus) = (1.0, d);
                    }
                }
            }
        }
    }
}

/// What the marks of equity at each close feed: every per-candle metric's accumulator, the
/// count of candles held and the kept curve.
struct Marks {
    returns: ReturnSums,
    drawdown: MaxDrawdown,
    periods: DrawdownPeriods,
    previous: f64,
    held: usize,
    curve: Vec<EquityPoint>,
    next_mark: usize,
    step: usize,
}

impl Marks {
    #[inline(always)]
    fn one(&mut self, t: &Tape, i: usize, equity: f64) {
        self.returns
            .update(growth(equity, self.previous), market_return(t.open, t.close, i));
        self.drawdown.update(equity);
        self.periods.update(t.open_time, i, equity);
        self.previous = equity;
    }

    /// The candles `range` marked with `cash` and `units` held through them. The first
    /// follows a fill, so its return is taken in full; after it, a flat account costs O(1)
    /// and a long one holding no cash (equity = units * close) a few lookups: its returns
    /// and drawdowns are the closes' own, read from the [`CloseIndex`]; anything else is
    /// marked candle by candle.
    #[inline(always)]
    fn hold(&mut self, t: &Tape, range: std::ops::Range<usize>, cash: f64, units: f64) {
        let (start, end) = (range.start, range.end);
        if start >= end {
            return;
        }
        if units != 0.0 {
            self.held += end - start;
        }
        self.one(t, start, cash + units * t.close[start]);
        let rest = start + 1..end;
        if units == 0.0 {
            self.returns.update_unchanged(rest.len());
            self.periods.hold(t.open_time[end - 1]);
        } else if !rest.is_empty() {
            if cash == 0.0 {
                let index = t.close_index;
                let stats = index.stats(rest.clone());
                self.returns
                    .add_market(stats.count, stats.return_sum, stats.square_sum, stats.downside_sum);
                self.drawdown
                    .extend_long(units, stats.max, stats.min, || index.fall(rest.clone()));
                self.periods
                    .extend_long(units, rest, (stats.max, stats.min), index, t.open_time);
            } else {
                let (mut returns, mut drawdown, mut periods) = (ReturnSums::default(), self.drawdown, self.periods);
                let mut before = self.previous;
                for i in rest {
                    let equity = cash + units * t.close[i];
                    returns.update(growth(equity, before), t.close[i] / t.close[i - 1] - 1.0);
                    drawdown.update(equity);
                    periods.update(t.open_time, i, equity);
                    before = equity;
                }
                self.returns.add(&returns);
                (self.drawdown, self.periods) = (drawdown, periods);
            }
            self.previous = cash + units * t.close[end - 1];
        }
        self.curve_until(t, end, cash, units);
    }

    /// The kept curve's points before candle `end`, at `cash + units * close`.
    #[inline(always)]
    fn curve_until(&mut self, t: &Tape, end: usize, cash: f64, units: f64) {
        while self.next_mark < end {
            self.curve.push(EquityPoint {
                time: t.open_time[self.next_mark],
                equity: cash + units * t.close[self.next_mark],
            });
            self.next_mark += self.step;
        }
    }
}

/// The return from `before` to `equity`: 0 for an account liquidated to 0, which stays there.
#[inline(always)]
fn growth(equity: f64, before: f64) -> f64 {
    if before == 0.0 { 0.0 } else { equity / before - 1.0 }
}

/// The execution loop. The target of candle `i - 1` is filled at candle `i`'s open, then
/// `max_bars`; a watched position may then exit inside a candle; a position still open
/// after the last candle is closed at its close, and that closing fill is in the last
/// equity mark.
///
/// It walks segments of constant position rather than candles (see [`Marks::hold`]); only
/// a position with levels is looked at candle by candle, for the first that fills one.
fn simulate<const PLAIN: bool>(
    t: &Tape,
    targets: &[i8],
    capital: f64,
    fee_bps: f64,
    slippage_bps: f64,
    plan: &Plan,
    detail: Detail,
) -> Simulation {
    let n = t.close.len();
    let mut account = Account {
        cash: capital,
        units: 0.0,
        side: 0,
        fee: fee_bps / 10_000.0,
        slippage: slippage_bps / 10_000.0,
        entry_index: 0,
        entry_time: 0,
        entry_price: 0.0,
        entry_equity: 0.0,
        levels: Levels::NONE,
        tally: TradeTally::default(),
        trades: detail.trades.then(Vec::new),
    };
    let step = detail.curve_points.map_or(1, |points| n.div_ceil(points.max(1)).max(1));
    let mut marks = Marks {
        returns: ReturnSums::default(),
        drawdown: MaxDrawdown::new(capital),
        periods: DrawdownPeriods::new(capital, t.open_time[0]),
        previous: capital,
        held: 0,
        curve: Vec::with_capacity(n / step + 2),
        next_mark: 0,
        step,
    };
    let max_bars = if PLAIN {
        None
    } else {
        plan.rules.max_bars.map(|m| m as usize)
    };
    // After a level or time exit: the direction that may not be entered again until the
    // signal has left it.
    let mut blocked = 0i8;
    let mut i = 0;
    while i < n {
        if i > 0 {
            let wanted = targets[i - 1];
            if !PLAIN && blocked != 0 && wanted != blocked {
                blocked = 0;
            }
            if (PLAIN || blocked == 0) && wanted != account.side {
                if account.side != 0 {
                    account.exit(t.open_time[i], t.open[i], ExitReason::Signal);
                }
                if wanted != 0 {
                    account.enter::<PLAIN>(wanted, i, t, plan);
                }
            } else if !PLAIN && account.side != 0 && max_bars.is_some_and(|m| i - account.entry_index >= m) {
                blocked = account.side;
                account.exit(t.open_time[i], t.open[i], ExitReason::MaxBars);
            }
        }
        let side = account.side;
        // The state holds through candle `last`; the next fill is at `last + 1`'s open.
        let kept = if !PLAIN && blocked != 0 { blocked } else { side };
        let mut last = first_other(&targets[i..n - 1], kept).map_or(n - 1, |k| i + k);
        let (cash, units) = (account.cash, account.units);
        if side != 0 {
            if let Some(m) = max_bars {
                last = last.min(account.entry_index + m - 1);
            }
            // a plain position has no level but where a short's equity reaches 0
            let watched = if PLAIN {
                account.levels.liquidation > f64::NEG_INFINITY
            } else {
                account.levels.watched()
            };
            if watched && let Some((j, price, reason)) = find_exit(t, i, last, account.entry_index, &account.levels) {
                marks.hold(t, i..j, cash, units);
                account.exit(t.open_time[j], price, reason);
                marks.one(t, j, account.cash);
                marks.curve_until(t, j + 1, account.cash, 0.0);
                blocked = side;
                i = j + 1;
                continue;
            }
        }
        let closes_out = last == n - 1 && side != 0;
        marks.hold(t, i..if closes_out { n - 1 } else { last + 1 }, cash, units);
        if closes_out {
            marks.held += 1;
            account.exit(t.open_time[n - 1], t.close[n - 1], ExitReason::End);
            marks.one(t, n - 1, account.cash);
        }
        i = last + 1;
    }
    if marks.curve.last().is_none_or(|p| p.time != t.open_time[n - 1]) {
        marks.curve.push(EquityPoint {
            time: t.open_time[n - 1],
            equity: marks.previous,
        });
    }
    marks.periods.finish(t.open_time[n - 1]);
    Simulation {
        final_equity: marks.previous,
        marks,
        trade_stats: account.tally.stats(),
        trades: account.trades.unwrap_or_default(),
    }
}

/// The index of the first target that is not `value`: the first differing byte of sixteen
/// is the lowest set one of their XOR with `value`'s.
fn first_other(targets: &[i8], value: i8) -> Option<usize> {
    let splat = u128::from_le_bytes([value as u8; 16]);
    first_marked(targets, value, |word| word ^ splat)
}

#[cfg(test)]
mod tests {
    use super::first_other;

    #[test]
    fn first_other_finds_the_first_change_at_any_position() {
        for len in [0, 1, 15, 16, 17, 40] {
            for at in 0..len {
                let mut targets = vec![1i8; len];
                targets[at] = -1;
                if at + 1 < len {
                    targets[at + 1] = 0;
                }
                assert_eq!(first_other(&targets, 1), Some(at), "len {len}, at {at}");
            }
            assert_eq!(first_other(&vec![0i8; len], 0), None);
        }
    }
}
