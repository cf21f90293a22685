use super::{ema, from_first_value};

/// TA-Lib's `TEMA(period)`: `3 EMA - 3 EMA(EMA) + EMA(EMA(EMA))`, each inner EMA seeded at
/// its input's first value; first value at `3 (period - 1)`.
pub fn tema(values: &[f64], period: usize) -> Vec<f64> {
    let first = ema(values, period);
    let second = from_first_value(&first, |v| ema(v, period));
    let third = from_first_value(&second, |v| ema(v, period));
    (0..values.len())
        .map(|i| third[i] + (3.0 * first[i] - 3.0 * second[i]))
        .collect()
}

#[cfg(test)]
mod tests {
    #[test]
    fn follows_a_line_exactly_after_its_warm_up() {
        let line: Vec<f64> = (0..30).map(f64::from).collect();
        let out = super::tema(&line, 3);
        assert!(out[5].is_nan() && !out[6].is_nan());
        assert!((out[20] - 20.0).abs() < 1e-12);
    }
}
