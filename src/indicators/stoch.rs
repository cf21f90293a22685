use super::{from_first_value, highest, lowest, sma};

/// TA-Lib's `STOCH(fast_k, slow_k, slow_d)` with SMA smoothing.
pub struct Stoch {
    pub k: Vec<f64>,
    pub d: Vec<f64>,
}

/// Fast %K `= 100 (close - lowest low) / (highest high - lowest low)` over `fast_k` candles
/// (0 when the range is 0), slow %K its SMA(`slow_k`), %D the SMA(`slow_d`) of slow %K. As
/// in TA-Lib both lines start together, at `fast_k + slow_k + slow_d - 3`.
pub fn stoch(high: &[f64], low: &[f64], close: &[f64], fast_k: usize, slow_k: usize, slow_d: usize) -> Stoch {
    let n = close.len();
    let (top, bottom) = (highest(high, fast_k), lowest(low, fast_k));
    let fast: Vec<f64> = (0..n)
        .map(|i| {
            let range = (top[i] - bottom[i]) / 100.0;
            match range {
                r if r.is_nan() => f64::NAN,
                0.0 => 0.0,
                r => (close[i] - bottom[i]) / r,
            }
        })
        .collect();
    let mut k = from_first_value(&fast, |v| sma(v, slow_k));
    let d = from_first_value(&k, |v| sma(v, slow_d));
    let first = (fast_k + slow_k + slow_d).saturating_sub(3).min(n);
    k[..first].fill(f64::NAN);
    Stoch { k, d }
}

#[cfg(test)]
mod tests {
    #[test]
    fn both_lines_start_together() {
        let high = [3.0, 4.0, 5.0, 6.0, 7.0];
        let low = [1.0, 2.0, 3.0, 4.0, 5.0];
        let close = [2.0, 4.0, 4.0, 6.0, 5.0];
        let s = super::stoch(&high, &low, &close, 2, 2, 2);
        assert!(s.k[2].is_nan() && s.d[2].is_nan());
        // Fast %K from candle 1: 100, 200/3, 100, 100/3; slow %K from 2; %D from 3.
        let near = |a: f64, b: f64| (a - b).abs() < 1e-9;
        assert!(near(s.k[3], 250.0 / 3.0) && near(s.d[3], 250.0 / 3.0));
        assert!(near(s.k[4], 200.0 / 3.0) && near(s.d[4], 75.0));
    }
}
