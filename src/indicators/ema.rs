/// Exponential moving average with `k = 2 / (period + 1)`, seeded as TA-Lib does with the
/// simple mean of the `period` values ending at `seed_end`; values start at `seed_end`.
/// `ema` is the standalone indicator (`seed_end = period - 1`); MACD seeds later.
pub(crate) fn ema_seeded_at(values: &[f64], period: usize, seed_end: usize) -> Vec<f64> {
    let mut out = vec![f64::NAN; values.len()];
    if period == 0 || seed_end + 1 < period || seed_end >= values.len() {
        return out;
    }
    let k = 2.0 / (period as f64 + 1.0);
    let mut total = 0.0;
    for v in &values[seed_end + 1 - period..=seed_end] {
        total += v;
    }
    let mut previous = total / period as f64;
    out[seed_end] = previous;
    for i in seed_end + 1..values.len() {
        previous = (values[i] - previous) * k + previous;
        out[i] = previous;
    }
    out
}

/// TA-Lib's `EMA(period)`: first value at index `period - 1`, the SMA of the first `period` values.
pub fn ema(values: &[f64], period: usize) -> Vec<f64> {
    ema_seeded_at(values, period, period.saturating_sub(1))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn seeded_with_the_mean_then_smoothed() {
        let out = ema(&[1.0, 2.0, 3.0, 4.0], 3);
        assert!(out[0].is_nan() && out[1].is_nan());
        assert_eq!(out[2], 2.0);
        assert_eq!(out[3], 3.0); // (4 - 2) * 0.5 + 2
        assert!(ema(&[1.0], 2).iter().all(|v| v.is_nan()));
    }
}
