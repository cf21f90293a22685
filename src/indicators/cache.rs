use std::any::Any;
use std::collections::HashMap;
use std::hash::Hash;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex, OnceLock};

use super::{Macd, Series, macd, rsi};
use crate::timeframe::Timeframe;

/// One indicator series a strategy reads, named so that a sweep can compute them up front.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum IndicatorKey {
    Sma(usize),
    Rsi(usize),
    Macd { fast: usize, slow: usize, signal: usize },
}

/// MACD's lines as the strategies read them.
pub struct MacdSeries {
    pub line: Series,
    pub signal: Series,
    pub histogram: Vec<f64>,
}

impl From<Macd> for MacdSeries {
    fn from(m: Macd) -> Self {
        Self {
            line: m.line.into(),
            signal: m.signal.into(),
            histogram: m.histogram,
        }
    }
}

/// A defined strategy's series: all outputs of one indicator call, each also rounded to
/// `f32` when cached. Rounding is monotone, so two rounded series that differ order the
/// exact ones the same way: comparisons read half the bytes and the exact values only at
/// rounded ties (as the built-ins' [`Series`] do).
pub struct Column {
    pub exact: Vec<Vec<f64>>,
    /// Empty for a series computed for one config only.
    pub rounded: Vec<Vec<f32>>,
}

impl Column {
    /// One config's series, not rounded.
    pub fn single(values: Vec<f64>) -> Self {
        Self {
            exact: vec![values],
            rounded: Vec::new(),
        }
    }

    fn cached(exact: Vec<Vec<f64>>) -> Self {
        let rounded = exact.iter().map(|v| v.iter().map(|&x| x as f32).collect()).collect();
        Self { exact, rounded }
    }
}

/// What a column is named by: its canonical text with the params bound (`ema(close, 12)`).
pub type ColumnKey = Arc<str>;

/// The candle columns besides the close, for the indicators that read them.
pub struct CandleColumns {
    pub open_time: Vec<i64>,
    pub open: Vec<f64>,
    pub high: Vec<f64>,
    pub low: Vec<f64>,
    pub volume: Vec<f64>,
}

/// The indicator series of one candle series, each computed once and shared by every
/// config of a sweep and every thread running it (a 4x4 SMA grid computes 8 SMAs, not 32).
pub struct Indicators {
    close: Arc<[f64]>,
    candles: CandleColumns,
    timeframe: Timeframe,
    /// The same market at larger timeframes (`close@4h`), resampled when first read.
    higher: Memo<Timeframe, Indicators>,
    /// For each candle of one timeframe, the last closed candle of a larger one.
    closed: Memo<(Timeframe, Timeframe), Vec<u32>>,
    columns: Memo<ColumnKey, Column>,
    sma: Memo<usize, Series>,
    rsi: Memo<usize, Vec<f64>>,
    macd: Memo<(usize, usize, usize), MacdSeries>,
    computed: AtomicUsize,
}

/// Series kept alive for a chunk of a sweep (see [`Indicators::prepare`]).
pub struct Held(#[allow(dead_code)] Vec<Arc<dyn Any + Send + Sync>>);

/// Bytes of indicator series a market keeps by default beyond what running chunks hold: a
/// grid over many periods keeps the recent ones, not every series it ever computed. About
/// 800 SMAs of a year of 15m candles, fewer than a chunk of a big grid holds while it runs,
/// so memory is the same whether a sweep has 10,000 configs or a million.
pub const DEFAULT_CACHE_BYTES: usize = 96 << 20;

impl Indicators {
    /// The indicators of a close series alone (every price the close, no volume), for tests
    /// of the close-only indicators.
    pub fn new(close: Vec<f64>) -> Self {
        Self::with_budget(close, DEFAULT_CACHE_BYTES)
    }

    /// The indicators of candles of `timeframe`.
    pub fn of_candles(candles: &crate::Candles, timeframe: Timeframe) -> Self {
        let mut indicators = Self::new(candles.close.clone());
        indicators.timeframe = timeframe;
        indicators.candles = CandleColumns {
            open_time: candles.open_time.clone(),
            open: candles.open.clone(),
            high: candles.high.clone(),
            low: candles.low.clone(),
            volume: candles.volume.clone(),
        };
        indicators
    }

    /// Keeps at most about `bytes` of series (each kind gets the whole budget's worth of
    /// its own series; at least four of each).
    pub fn with_budget(close: Vec<f64>, bytes: usize) -> Self {
        let n = close.len().max(1);
        // A close series alone is taken as one candle a minute.
        let candles = CandleColumns {
            open_time: (0..close.len() as i64).map(|i| i * 60_000).collect(),
            open: close.clone(),
            high: close.clone(),
            low: close.clone(),
            volume: vec![0.0; close.len()],
        };
        Self {
            close: close.into(),
            candles,
            timeframe: Timeframe::M1,
            higher: Memo::with_capacity(Timeframe::ALL.len()),
            closed: Memo::with_capacity(Timeframe::ALL.len() * Timeframe::ALL.len()),
            columns: Memo::with_capacity(bytes / (n * 12)),
            // An SMA keeps f32 values (and a few totals); MACD two lines of f64 and f32
            // values and an f64 histogram.
            sma: Memo::with_capacity(bytes / (n * 4)),
            rsi: Memo::with_capacity(bytes / (n * 8)),
            macd: Memo::with_capacity(bytes / (n * 32)),
            computed: AtomicUsize::new(0),
        }
    }

    /// Series held by the cache now.
    pub fn cached(&self) -> usize {
        self.sma.len() + self.rsi.len() + self.macd.len() + self.columns.len()
    }

    pub fn close(&self) -> &[f64] {
        &self.close
    }

    pub fn candles(&self) -> &CandleColumns {
        &self.candles
    }

    pub fn timeframe(&self) -> Timeframe {
        self.timeframe
    }

    /// The market at `timeframe`, a multiple of its own, resampled from its own candles (as
    /// [`crate::Candles::resample`] does) and computed once. Its last candle may still be
    /// forming; [`Self::closed_index`] never reads one before it has closed.
    pub fn at_timeframe(&self, timeframe: Timeframe) -> Arc<Indicators> {
        self.higher.get(timeframe, || {
            let own = crate::Candles {
                open_time: self.candles.open_time.clone(),
                open: self.candles.open.clone(),
                high: self.candles.high.clone(),
                low: self.candles.low.clone(),
                close: self.close.to_vec(),
                volume: self.candles.volume.clone(),
            };
            let resampled = own
                .resample(self.timeframe, timeframe)
                .expect("configs are validated to read only multiples of their timeframe");
            Indicators::of_candles(&resampled, timeframe)
        })
    }

    /// For each candle at `to` (this market's timeframe or a larger one), the index of the
    /// last candle at `from` (`to` or larger) that has closed when it closes, `u32::MAX`
    /// before the first: a `from` candle opening at T is closed at a `to` candle opening at
    /// t when T + from <= t + to.
    pub fn closed_index(&self, from: Timeframe, to: Timeframe) -> Arc<Vec<u32>> {
        self.closed.get((from, to), || {
            let at = |tf: Timeframe| (tf != self.timeframe).then(|| self.at_timeframe(tf));
            let (source, target) = (at(from), at(to));
            let source_times = &source.as_deref().unwrap_or(self).candles.open_time;
            let target_times = &target.as_deref().unwrap_or(self).candles.open_time;
            let mut closed = 0;
            target_times
                .iter()
                .map(|&t| {
                    while closed < source_times.len() && source_times[closed] + from.millis() <= t + to.millis() {
                        closed += 1;
                    }
                    closed.checked_sub(1).map_or(u32::MAX, |i| i as u32)
                })
                .collect()
        })
    }

    /// A defined strategy's series named `key` (all outputs of one call), computed once
    /// by `compute` while cached.
    pub fn column(&self, key: &str, compute: impl FnOnce() -> Vec<Vec<f64>>) -> Arc<Column> {
        self.columns
            .get(Arc::from(key), || Column::cached(self.count(compute())))
    }

    pub fn len(&self) -> usize {
        self.close.len()
    }

    pub fn is_empty(&self) -> bool {
        self.close.is_empty()
    }

    pub fn sma(&self, period: usize) -> Arc<Series> {
        self.sma.get(period, || {
            let [series] = Series::smas(&self.close, [period]);
            self.count(series)
        })
    }

    pub fn rsi(&self, period: usize) -> Arc<Vec<f64>> {
        self.rsi.get(period, || self.count(rsi(&self.close, period)))
    }

    pub fn macd(&self, fast: usize, slow: usize, signal: usize) -> Arc<MacdSeries> {
        self.macd.get((fast, slow, signal), || {
            self.count(macd(&self.close, fast, slow, signal).into())
        })
    }

    /// Computes the series of `keys` not computed yet, the SMAs four at a time (see
    /// [`Series::smas`]), and holds them all until the returned guard is dropped: a chunk of a
    /// sweep keeps what it needs even when that is more than the cache keeps.
    pub fn prepare(&self, keys: impl IntoIterator<Item = IndicatorKey>) -> Held {
        let mut held: Vec<Arc<dyn Any + Send + Sync>> = Vec::new();
        let mut periods = Vec::new();
        for key in keys {
            match key {
                // Computed below, together; a period many configs share is one series.
                IndicatorKey::Sma(period) if !self.sma.contains(&period) => {
                    if !periods.contains(&period) {
                        periods.push(period);
                    }
                }
                IndicatorKey::Sma(period) => held.push(self.sma(period)),
                IndicatorKey::Rsi(period) => held.push(self.rsi(period)),
                IndicatorKey::Macd { fast, slow, signal } => held.push(self.macd(fast, slow, signal)),
            }
        }
        let mut four = periods.chunks_exact(4);
        for lanes in &mut four {
            let series = Series::smas(&self.close, [lanes[0], lanes[1], lanes[2], lanes[3]]);
            for (&period, series) in lanes.iter().zip(series) {
                let series = self.count(series);
                held.push(self.sma.get(period, || series));
            }
        }
        for &period in four.remainder() {
            held.push(self.sma(period));
        }
        Held(held)
    }

    /// How many series have been computed so far (each distinct one once while it stays
    /// in the cache, unless threads asked for it at the same moment).
    pub fn computed(&self) -> usize {
        self.computed.load(Ordering::Relaxed)
    }

    fn count<T>(&self, value: T) -> T {
        self.computed.fetch_add(1, Ordering::Relaxed);
        value
    }
}

/// A bounded map whose values are computed once, outside the lock, even when many threads
/// ask at once. Past `capacity` entries the least recently used one that nobody else holds
/// is dropped (asked for again, it is recomputed); held ones stay until released.
struct Memo<K, V> {
    cells: Mutex<Cells<K, V>>,
    capacity: usize,
}

/// A value computed at most once, shared by whoever asked for it meanwhile.
type Cell<V> = Arc<OnceLock<Arc<V>>>;

struct Cells<K, V> {
    /// Each cell with the clock of its last use.
    map: HashMap<K, (Cell<V>, u64)>,
    clock: u64,
}

impl<K, V> Memo<K, V> {
    fn with_capacity(capacity: usize) -> Self {
        Self {
            cells: Mutex::new(Cells {
                map: HashMap::new(),
                clock: 0,
            }),
            capacity: capacity.max(4),
        }
    }
}

impl<K: Eq + Hash + Clone, V> Memo<K, V> {
    fn lock(&self) -> std::sync::MutexGuard<'_, Cells<K, V>> {
        self.cells.lock().unwrap_or_else(std::sync::PoisonError::into_inner)
    }

    fn contains(&self, key: &K) -> bool {
        self.lock().map.get(key).is_some_and(|(cell, _)| cell.get().is_some())
    }

    fn len(&self) -> usize {
        self.lock().map.len()
    }

    fn get(&self, key: K, compute: impl FnOnce() -> V) -> Arc<V> {
        let cell = {
            let mut cells = self.lock();
            cells.clock += 1;
            let now = cells.clock;
            let entry = cells.map.entry(key.clone()).or_insert_with(|| (Arc::default(), now));
            entry.1 = now;
            let cell = Arc::clone(&entry.0);
            // Evict the least recently used series that nobody holds (a chunk of a sweep
            // holds what it needs while it runs, so those stay findable).
            while cells.map.len() > self.capacity {
                let oldest = cells
                    .map
                    .iter()
                    .filter(|(k, (c, _))| **k != key && c.get().is_some_and(|v| Arc::strong_count(v) == 1))
                    .min_by_key(|(_, (_, used))| *used)
                    .map(|(k, _)| k.clone());
                match oldest {
                    Some(oldest) => cells.map.remove(&oldest),
                    None => break,
                };
            }
            cell
        };
        Arc::clone(cell.get_or_init(|| Arc::new(compute())))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn each_series_is_computed_once() {
        let ind = Indicators::new((0..100).map(f64::from).collect());
        for _ in 0..3 {
            for p in [5, 10] {
                ind.sma(p);
            }
            ind.rsi(14);
            ind.macd(12, 26, 9);
        }
        assert_eq!(ind.computed(), 4);
        assert!(Arc::ptr_eq(&ind.sma(5), &ind.sma(5)));
    }

    #[test]
    fn a_sweep_sharing_periods_computes_each_once() {
        let ind = Indicators::new((0..100).map(f64::from).collect());
        // A grid's configs name the same periods many times over, some already cached.
        ind.sma(7);
        let keys = (0..10).flat_map(|fast| [IndicatorKey::Sma(fast + 1), IndicatorKey::Sma(7), IndicatorKey::Sma(20)]);
        let held = ind.prepare(keys);
        assert_eq!(ind.computed(), 11);
        assert_eq!(ind.cached(), 11);
        drop(held);
        ind.prepare([IndicatorKey::Sma(20), IndicatorKey::Sma(3)]);
        assert_eq!(ind.computed(), 11);
    }

    #[test]
    fn the_cache_is_bounded_and_keeps_the_recent_series() {
        let close: Vec<f64> = (0..100).map(f64::from).collect();
        // Room for 5 SMAs of 100 values.
        let ind = Indicators::with_budget(close, 5 * 100 * 4);
        for p in 1..=20 {
            ind.sma(p);
        }
        assert_eq!(ind.cached(), 5);
        assert_eq!(ind.computed(), 20);
        ind.sma(20); // recent: still there
        assert_eq!(ind.computed(), 20);
        let held = ind.sma(1); // evicted: computed again
        assert_eq!(ind.computed(), 21);
        for p in 30..40 {
            ind.sma(p);
        }
        // Held, so never evicted: asking again finds it.
        assert!(Arc::ptr_eq(&held, &ind.sma(1)));
        assert_eq!(ind.computed(), 31);
        assert_eq!(ind.cached(), 5);
        // A chunk's guard keeps more than the capacity while it lives, and lets go after.
        let guard = ind.prepare((50..60).map(IndicatorKey::Sma));
        assert_eq!(ind.cached(), 11);
        drop(guard);
        drop(held);
        ind.sma(70);
        assert_eq!(ind.cached(), 5);
    }
}
