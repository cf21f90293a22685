/// TA-Lib's `TRANGE`: the true range, `max(high, previous close) - min(low, previous
/// close)`, in TA-Lib's steps; first at index 1.
pub fn trange(high: &[f64], low: &[f64], close: &[f64]) -> Vec<f64> {
    let mut out = vec![f64::NAN; close.len()];
    for i in 1..close.len() {
        out[i] = true_range(high[i], low[i], close[i - 1]);
    }
    out
}

/// One candle's true range from its high, its low and the previous close.
#[inline]
pub(crate) fn true_range(high: f64, low: f64, previous_close: f64) -> f64 {
    let mut greatest = high - low;
    let up = (previous_close - high).abs();
    if up > greatest {
        greatest = up;
    }
    let down = (previous_close - low).abs();
    if down > greatest {
        greatest = down;
    }
    greatest
}

#[cfg(test)]
mod tests {
    #[test]
    fn a_gap_widens_the_range() {
        let out = super::trange(&[10.0, 12.0, 8.0], &[9.0, 11.0, 7.0], &[9.5, 11.5, 7.5]);
        assert!(out[0].is_nan());
        assert_eq!(out[1], 2.5); // 12 - 9.5
        assert_eq!(out[2], 4.5); // 11.5 - 7
    }
}
