//! The market held long over the same candles, as the benchmark of a result.

use super::ReturnSums;

/// The market's per-candle returns `m` (close over the previous close; the first candle's
/// close over its own open), summed once per market.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct MarketReturns {
    pub sums: ReturnSums,
    /// `last close / first open - 1`.
    pub buy_hold_return: f64,
}

impl MarketReturns {
    /// Edge case: no candles give a buy-and-hold return of 0.
    pub fn new(open: &[f64], close: &[f64]) -> Self {
        let mut sums = ReturnSums::default();
        for i in 0..close.len() {
            let m = market_return(open, close, i);
            sums.update(m, m);
        }
        let buy_hold_return = match (open.first(), close.last()) {
            (Some(first), Some(last)) => last / first - 1.0,
            _ => 0.0,
        };
        Self { sums, buy_hold_return }
    }
}

/// The market's return on candle `i`.
#[inline]
pub fn market_return(open: &[f64], close: &[f64], i: usize) -> f64 {
    if i == 0 {
        close[0] / open[0] - 1.0
    } else {
        close[i] / close[i - 1] - 1.0
    }
}

/// `total_return - buy_hold_return`.
pub fn excess_return(total_return: f64, market: &MarketReturns) -> f64 {
    total_return - market.buy_hold_return
}

/// `cov(r, m) / var(m)` over the candles of the range. Edge case: `None` when the market
/// never moved (or with fewer than two candles).
pub fn beta(r: &ReturnSums, market: &MarketReturns) -> Option<f64> {
    let m = &market.sums;
    let n = m.count as f64;
    let variance = m.squares - m.sum * (m.sum / n);
    (m.count >= 2 && r.count == m.count && variance > 0.0).then(|| (r.cross - r.sum * (m.sum / n)) / variance)
}

/// `total_return - beta * buy_hold_return`; `None` where beta is.
pub fn alpha(total_return: f64, beta: Option<f64>, market: &MarketReturns) -> Option<f64> {
    beta.map(|b| total_return - b * market.buy_hold_return)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn by_hand() {
        // m = [0.1, 0.1, -0.5]: 110/100, 121/110, 60.5/121.
        let (open, close) = ([100.0, 110.0, 121.0], [110.0, 121.0, 60.5]);
        let market = MarketReturns::new(&open, &close);
        assert!((market.buy_hold_return - (60.5 / 100.0 - 1.0)).abs() < 1e-15);
        let m = [0.1, 0.1, -0.5];
        // A strategy with returns r = 2m has beta 2; r = m + c has beta 1.
        for (factor, shift, expected) in [(2.0, 0.0, 2.0), (1.0, 0.01, 1.0)] {
            let mut r = ReturnSums::default();
            m.iter().for_each(|&x| r.update(factor * x + shift, x));
            let b = beta(&r, &market).unwrap();
            assert!((b - expected).abs() < 1e-12, "{b}");
            let a = alpha(0.2, Some(b), &market).unwrap();
            assert!((a - (0.2 - expected * market.buy_hold_return)).abs() < 1e-12);
        }
        assert!((excess_return(0.1, &market) - (0.1 + 0.395)).abs() < 1e-15);
        let still = MarketReturns::new(&[5.0, 5.0], &[5.0, 5.0]);
        let mut r = ReturnSums::default();
        r.update(0.0, 0.0);
        r.update(0.0, 0.0);
        assert_eq!(beta(&r, &still), None);
        assert_eq!(alpha(0.0, None, &still), None);
    }
}
