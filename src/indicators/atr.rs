use super::trange;

/// TA-Lib's `ATR(period)`: Wilder's average of the true range, seeded with the mean of the
/// first `period` true ranges; first at `period` (`ATR(1)` is the true range).
pub fn atr(high: &[f64], low: &[f64], close: &[f64], period: usize) -> Vec<f64> {
    let n = close.len();
    let ranges = trange(high, low, close);
    if period <= 1 {
        return ranges;
    }
    let mut out = vec![f64::NAN; n];
    if n <= period {
        return out;
    }
    let p = period as f64;
    let mut total = 0.0;
    for r in &ranges[1..=period] {
        total += r;
    }
    let mut average = total / p;
    out[period] = average;
    for i in period + 1..n {
        average *= p - 1.0;
        average += ranges[i];
        average /= p;
        out[i] = average;
    }
    out
}

/// TA-Lib's `NATR(period)`: the ATR in percent of the close (0 where the close is 0).
pub fn natr(high: &[f64], low: &[f64], close: &[f64], period: usize) -> Vec<f64> {
    atr(high, low, close, period)
        .iter()
        .zip(close)
        .map(|(a, c)| if *c != 0.0 { (a / c) * 100.0 } else { 0.0 })
        .collect()
}

#[cfg(test)]
mod tests {
    #[test]
    fn seeded_by_the_mean_then_smoothed() {
        let high = [10.0, 11.0, 12.0, 13.0];
        let low = [9.0, 10.0, 11.0, 9.0];
        let close = [9.5, 10.5, 11.5, 10.0];
        let out = super::atr(&high, &low, &close, 2);
        assert!(out[1].is_nan());
        assert_eq!(out[2], 1.5); // true ranges 1.5, 1.5
        assert_eq!(out[3], (1.5 + 4.0) / 2.0);
        assert!((super::natr(&high, &low, &close, 2)[3] - 27.5).abs() < 1e-12);
    }
}
