use std::collections::HashMap;
use std::hash::Hash;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex, OnceLock};

use super::{Macd, macd, rsi, sma, smas};

/// An indicator series with a copy rounded to `f32`, half the bytes, for the crossover
/// rules: rounding is monotone, so wherever the rounded values differ they order the exact
/// ones the same way, and only their ties need the exact values.
pub struct Series {
    pub exact: Vec<f64>,
    pub rounded: Vec<f32>,
}

impl From<Vec<f64>> for Series {
    fn from(exact: Vec<f64>) -> Self {
        let rounded = exact.iter().map(|&v| v as f32).collect();
        Self { exact, rounded }
    }
}

impl std::ops::Deref for Series {
    type Target = [f64];
    fn deref(&self) -> &[f64] {
        &self.exact
    }
}

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

/// The indicator series of one candle series, each computed once and shared by every
/// config of a sweep and every thread running it (a 4x4 SMA grid computes 8 SMAs, not 32).
pub struct Indicators {
    close: Vec<f64>,
    sma: Memo<usize, Series>,
    rsi: Memo<usize, Vec<f64>>,
    macd: Memo<(usize, usize, usize), MacdSeries>,
    computed: AtomicUsize,
}

impl Indicators {
    pub fn new(close: Vec<f64>) -> Self {
        Self {
            close,
            sma: Memo::default(),
            rsi: Memo::default(),
            macd: Memo::default(),
            computed: AtomicUsize::new(0),
        }
    }

    pub fn len(&self) -> usize {
        self.close.len()
    }

    pub fn is_empty(&self) -> bool {
        self.close.is_empty()
    }

    pub fn sma(&self, period: usize) -> Arc<Series> {
        self.sma.get(period, || self.count(sma(&self.close, period).into()))
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
    /// [`smas`]); each is then read from the cache as if computed on demand.
    pub fn prepare(&self, keys: impl IntoIterator<Item = IndicatorKey>) {
        let mut periods = Vec::new();
        for key in keys {
            match key {
                IndicatorKey::Sma(period) if !self.sma.contains(&period) && !periods.contains(&period) => {
                    periods.push(period)
                }
                IndicatorKey::Sma(_) => {}
                IndicatorKey::Rsi(period) => drop(self.rsi(period)),
                IndicatorKey::Macd { fast, slow, signal } => drop(self.macd(fast, slow, signal)),
            }
        }
        let mut four = periods.chunks_exact(4);
        for lanes in &mut four {
            let series = smas(&self.close, [lanes[0], lanes[1], lanes[2], lanes[3]]);
            for (&period, values) in lanes.iter().zip(series) {
                self.sma.get(period, || self.count(values.into()));
            }
        }
        for &period in four.remainder() {
            self.sma(period);
        }
    }

    /// How many series have been computed so far (each distinct one exactly once).
    pub fn computed(&self) -> usize {
        self.computed.load(Ordering::Relaxed)
    }

    fn count<T>(&self, value: T) -> T {
        self.computed.fetch_add(1, Ordering::Relaxed);
        value
    }
}

/// A map whose values are computed once, outside the lock, even when many threads ask at once.
struct Memo<K, V> {
    cells: Mutex<HashMap<K, Arc<OnceLock<Arc<V>>>>>,
}

impl<K, V> Default for Memo<K, V> {
    fn default() -> Self {
        Self {
            cells: Mutex::new(HashMap::new()),
        }
    }
}

impl<K: Eq + Hash, V> Memo<K, V> {
    fn contains(&self, key: &K) -> bool {
        let cells = self.cells.lock().unwrap_or_else(|poisoned| poisoned.into_inner());
        cells.get(key).is_some_and(|cell| cell.get().is_some())
    }

    fn get(&self, key: K, compute: impl FnOnce() -> V) -> Arc<V> {
        let cell = {
            let mut cells = self.cells.lock().unwrap_or_else(|poisoned| poisoned.into_inner());
            Arc::clone(cells.entry(key).or_default())
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
}
