use std::collections::HashMap;
use std::hash::Hash;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex, OnceLock};

use super::{Macd, macd, rsi, sma};

/// The indicator series of one candle series, each computed once and shared by every
/// config of a sweep and every thread running it (a 4x4 SMA grid computes 8 SMAs, not 32).
pub struct Indicators {
    close: Vec<f64>,
    sma: Memo<usize, Vec<f64>>,
    rsi: Memo<usize, Vec<f64>>,
    macd: Memo<(usize, usize, usize), Macd>,
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

    pub fn sma(&self, period: usize) -> Arc<Vec<f64>> {
        self.sma.get(period, || self.count(sma(&self.close, period)))
    }

    pub fn rsi(&self, period: usize) -> Arc<Vec<f64>> {
        self.rsi.get(period, || self.count(rsi(&self.close, period)))
    }

    pub fn macd(&self, fast: usize, slow: usize, signal: usize) -> Arc<Macd> {
        self.macd.get((fast, slow, signal), || {
            self.count(macd(&self.close, fast, slow, signal))
        })
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
