/// TA-Lib's `WMA(period)`: weights 1..=period, the newest heaviest; first value at
/// `period - 1`. Two running totals as TA-Lib keeps them (the weighted sum and the plain sum
/// it subtracts each step), so the values agree with it to the last bits.
pub fn wma(values: &[f64], period: usize) -> Vec<f64> {
    let n = values.len();
    let mut out = vec![f64::NAN; n];
    if period == 0 || n < period {
        return out;
    }
    if period == 1 {
        return values.to_vec();
    }
    let divider = (period * (period + 1) / 2) as f64;
    let (mut weighted, mut plain) = (0.0, 0.0);
    for (i, &v) in values[..period - 1].iter().enumerate() {
        plain += v;
        weighted += v * (i + 1) as f64;
    }
    let mut trailing_value = 0.0;
    for i in period - 1..n {
        let v = values[i];
        plain += v;
        plain -= trailing_value;
        weighted += v * period as f64;
        trailing_value = values[i + 1 - period];
        out[i] = weighted / divider;
        weighted -= plain;
    }
    out
}

#[cfg(test)]
mod tests {
    #[test]
    fn weights_the_newest_most() {
        let out = super::wma(&[1.0, 2.0, 3.0, 6.0], 3);
        assert!(out[1].is_nan());
        assert_eq!(out[2], (1.0 + 4.0 + 9.0) / 6.0);
        assert_eq!(out[3], (2.0 + 6.0 + 18.0) / 6.0);
    }
}
