//! Execution: targets computed at candle `i`'s close are filled at candle `i + 1`'s open,
//! all equity per position, fees and slippage on every fill, equity marked at every close.

use serde::{Deserialize, Serialize};

use crate::candles::Candles;
use crate::close_index::CloseIndex;
use crate::config::{BacktestConfig, ValidConfig};
use crate::error::{Error, Result};
use crate::indicators::{Held, Indicators};
use crate::metrics::{MaxDrawdown, Metrics, SharpeRatio, Totals, TradeStats, TradeTally};
use crate::scan::first_marked;
use crate::timeframe::Timeframe;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Side {
    Long,
    Short,
}

/// One round trip, entry to exit. `pnl` is net of both fees; `return_pct` is `pnl` over
/// the equity at entry, in percent.
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
    pub trades: Vec<Trade>,
}

/// The candles of one range with everything every config over them shares: the data
/// fingerprint and the indicator cache. Build it once per (series, range) of a sweep.
pub struct Market {
    candles: Candles,
    timeframe: Timeframe,
    fingerprint: String,
    indicators: Indicators,
    /// A long position's returns and drawdown over any range, in O(log n).
    close_index: CloseIndex,
}

impl Market {
    /// `candles` must already be of `timeframe` and cut to the config range.
    pub fn new(candles: Candles, timeframe: Timeframe) -> Self {
        let fingerprint = candles.fingerprint();
        let indicators = Indicators::of_candles(&candles);
        let close_index = CloseIndex::new(&candles.close);
        Self {
            candles,
            timeframe,
            fingerprint,
            indicators,
            close_index,
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
        self.indicators
            .prepare(configs.into_iter().flat_map(|c| c.strategy.indicators(&c.params)))
    }

    /// The targets of `config`, one per candle, into `out` (resized, reused across runs).
    pub fn targets(&self, config: &ValidConfig, out: &mut Vec<i8>) {
        out.clear();
        out.resize(self.candles.len(), 0);
        config
            .strategy
            .targets(&config.params, &self.indicators, config.config.allow_short, out);
        if !config.config.allow_short {
            out.iter_mut().for_each(|t| *t = (*t).max(0));
        }
    }

    /// Runs one validated config. `scratch` holds the targets; pass the same one for every
    /// run of a sweep so nothing is allocated per candle.
    pub fn run(&self, config: &ValidConfig, detail: Detail, scratch: &mut Vec<i8>) -> BacktestResult {
        self.targets(config, scratch);
        let c = &config.config;
        let sim = simulate(
            &self.candles,
            &self.close_index,
            scratch,
            c.initial_capital,
            c.fee_bps,
            c.slippage_bps,
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
            sharpe: &sim.sharpe,
            drawdown: &sim.drawdown,
            trades: sim.trade_stats,
        });
        BacktestResult {
            config_hash: config.hash(&self.fingerprint),
            data_fingerprint: self.fingerprint.clone(),
            config: c.clone(),
            candles: self.candles.len(),
            first_candle: first,
            last_candle: last,
            metrics,
            equity_curve: sim.curve,
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

struct Simulation {
    final_equity: f64,
    sharpe: SharpeRatio,
    drawdown: MaxDrawdown,
    trade_stats: TradeStats,
    trades: Vec<Trade>,
    curve: Vec<EquityPoint>,
}

/// The cash account: `units` is signed (negative when short), equity is `cash + units * price`.
struct Account {
    cash: f64,
    units: f64,
    side: i8,
    fee: f64,
    slippage: f64,
    entry_time: i64,
    entry_price: f64,
    entry_equity: f64,
    tally: TradeTally,
    /// `None` when the result keeps no trade list.
    trades: Option<Vec<Trade>>,
}

impl Account {
    /// Closes the position at `price` moved against the trader by the slippage.
    #[inline]
    fn exit(&mut self, time: i64, price: f64) {
        let side = f64::from(self.side);
        let fill = price * (1.0 - side * self.slippage);
        self.cash += self.units * fill - self.units.abs() * fill * self.fee;
        let pnl = self.cash - self.entry_equity;
        self.tally.add(pnl);
        if let Some(trades) = &mut self.trades {
            trades.push(Trade {
                side: if self.side > 0 { Side::Long } else { Side::Short },
                entry_time: self.entry_time,
                entry_price: self.entry_price,
                exit_time: time,
                exit_price: fill,
                units: self.units.abs(),
                pnl,
                return_pct: pnl / self.entry_equity * 100.0,
            });
        }
        self.units = 0.0;
        self.side = 0;
    }

    /// Opens a position of all equity: `units * fill * (1 + fee) = equity`, so fees are paid
    /// out of the equity and cash never goes below 0 on a long. A bankrupt account stays flat.
    #[inline]
    fn enter(&mut self, side: i8, time: i64, price: f64) {
        if self.cash <= 0.0 {
            return;
        }
        let fill = price * (1.0 + f64::from(side) * self.slippage);
        let units = self.cash / (fill * (1.0 + self.fee));
        self.entry_equity = self.cash;
        self.entry_time = time;
        self.entry_price = fill;
        self.units = f64::from(side) * units;
        self.side = side;
        // A long spends all of it: exactly 0 left, which `simulate`'s long fast path relies on.
        self.cash = if side > 0 {
            0.0
        } else {
            self.cash + units * fill * (1.0 - self.fee)
        };
    }
}

/// The execution loop. The target of candle `i - 1` is filled at candle `i`'s open; a
/// position still open after the last candle is closed at its close, and that closing
/// fill is in the last equity mark.
///
/// It walks segments of constant position rather than candles: a flat segment costs O(1),
/// and a long one (cash exactly 0, equity = units * close) O(log n): its returns and
/// drawdown are the closes' own, read from the market's [`CloseIndex`]; only a short
/// position is marked candle by candle.
fn simulate(
    c: &Candles,
    close_index: &CloseIndex,
    targets: &[i8],
    capital: f64,
    fee_bps: f64,
    slippage_bps: f64,
    detail: Detail,
) -> Simulation {
    let n = c.len();
    let step = detail.curve_points.map_or(1, |points| n.div_ceil(points.max(1)).max(1));
    let mut account = Account {
        cash: capital,
        units: 0.0,
        side: 0,
        fee: fee_bps / 10_000.0,
        slippage: slippage_bps / 10_000.0,
        entry_time: 0,
        entry_price: 0.0,
        entry_equity: 0.0,
        tally: TradeTally::default(),
        trades: detail.trades.then(Vec::new),
    };
    let mut curve = Vec::with_capacity(n / step + 2);
    let mut sharpe = SharpeRatio::default();
    let mut drawdown = MaxDrawdown::new(capital);
    let mut previous = capital;
    let mut next_mark = 0;
    let (open_time, open, close) = (&c.open_time[..n], &c.open[..n], &close_index.closes()[..n]);
    let mut i = 0;
    while i < n {
        if i > 0 && targets[i - 1] != account.side {
            if account.side != 0 {
                account.exit(open_time[i], open[i]);
            }
            if targets[i - 1] != 0 {
                account.enter(targets[i - 1], open_time[i], open[i]);
            }
        }
        // The position holds through candle `last`; the next fill is at `last + 1`'s open.
        let last = first_other(&targets[i..n - 1], account.side).map_or(n - 1, |k| i + k);
        let closes_out = last == n - 1 && account.side != 0;
        let end = if closes_out { n - 1 } else { last + 1 };
        let (cash, units) = (account.cash, account.units);
        // The segment's first candle follows a fill, so its return is taken in full.
        if i < end {
            let equity = cash + units * close[i];
            sharpe.update(equity / previous - 1.0);
            drawdown.update(equity);
            previous = equity;
        }
        let rest = (i + 1).min(end)..end;
        if units == 0.0 {
            sharpe.update_unchanged(rest.len());
        } else if !rest.is_empty() {
            if cash == 0.0 {
                let stats = close_index.stats(rest.clone());
                sharpe.add_sums(stats.count, stats.return_sum, stats.square_sum);
                drawdown.extend_long(units, stats.max, stats.min, || close_index.fall(rest));
            } else {
                let equities = close[rest].iter().map(|c| cash + units * c);
                sharpe.extend(equities.clone().scan(previous, |before, equity| {
                    let r = equity / *before - 1.0;
                    *before = equity;
                    Some(r)
                }));
                drawdown.extend(equities);
            }
            previous = cash + units * close[end - 1];
        }
        while next_mark < end {
            curve.push(EquityPoint {
                time: open_time[next_mark],
                equity: cash + units * close[next_mark],
            });
            next_mark += step;
        }
        if closes_out {
            account.exit(open_time[n - 1], close[n - 1]);
            sharpe.update(account.cash / previous - 1.0);
            drawdown.update(account.cash);
            previous = account.cash;
        }
        i = last + 1;
    }
    if curve.last().is_none_or(|p| p.time != open_time[n - 1]) {
        curve.push(EquityPoint {
            time: open_time[n - 1],
            equity: previous,
        });
    }
    Simulation {
        final_equity: previous,
        sharpe,
        drawdown,
        trade_stats: account.tally.stats(),
        trades: account.trades.unwrap_or_default(),
        curve,
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
