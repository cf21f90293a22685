/// Simple moving average: the mean of the last `period` values, first at index `period - 1`.
/// A rolling sum as TA-Lib keeps it (add the newest, emit, drop the oldest).
pub fn sma(values: &[f64], period: usize) -> Vec<f64> {
    let mut out = vec![f64::NAN; values.len()];
    if period == 0 || values.len() < period {
        return out;
    }
    let mut total: f64 = values[..period - 1].iter().sum();
    for i in period - 1..values.len() {
        total += values[i];
        out[i] = total / period as f64;
        total -= values[i + 1 - period];
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn warm_up_then_means() {
        let out = sma(&[1.0, 2.0, 3.0, 4.0, 5.0], 3);
        assert!(out[0].is_nan() && out[1].is_nan());
        assert_eq!(&out[2..], &[2.0, 3.0, 4.0]);
        assert_eq!(sma(&[7.0, 9.0], 1), vec![7.0, 9.0]);
        assert!(sma(&[1.0, 2.0], 3).iter().all(|v| v.is_nan()));
    }
}
