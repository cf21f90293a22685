use super::{highest, lowest};

/// TA-Lib's `WILLR(period)`: `-100 (highest high - close) / (highest high - lowest low)`
/// over `period` candles, 0 when the range is 0; first at `period - 1`.
pub fn willr(high: &[f64], low: &[f64], close: &[f64], period: usize) -> Vec<f64> {
    let (top, bottom) = (highest(high, period), lowest(low, period));
    (0..close.len())
        .map(|i| {
            let range = (top[i] - bottom[i]) / -100.0;
            match range {
                r if r.is_nan() => f64::NAN,
                0.0 => 0.0,
                r => (top[i] - close[i]) / r,
            }
        })
        .collect()
}

#[cfg(test)]
mod tests {
    #[test]
    fn the_close_within_the_range() {
        let out = super::willr(&[10.0, 12.0], &[8.0, 9.0], &[9.0, 11.0], 2);
        assert!(out[0].is_nan());
        assert_eq!(out[1], -25.0);
    }
}
