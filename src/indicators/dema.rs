use super::{ema, from_first_value};

/// TA-Lib's `DEMA(period)`: `2 EMA - EMA(EMA)`, the inner EMA seeded at its own first value;
/// first value at `2 (period - 1)`.
pub fn dema(values: &[f64], period: usize) -> Vec<f64> {
    let first = ema(values, period);
    let second = from_first_value(&first, |v| ema(v, period));
    first.iter().zip(&second).map(|(a, b)| 2.0 * a - b).collect()
}

#[cfg(test)]
mod tests {
    #[test]
    fn follows_a_line_exactly_after_its_warm_up() {
        let line: Vec<f64> = (0..20).map(f64::from).collect();
        let out = super::dema(&line, 3);
        assert!(out[3].is_nan());
        // An EMA of a line lags by (n-1)/2; DEMA removes the lag.
        assert!((out[10] - 10.0).abs() < 1e-12);
    }
}
