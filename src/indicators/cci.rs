/// TA-Lib's `CCI(period)`: `(tp - mean(tp)) / (0.015 * mean |tp - mean(tp)|)` of the typical
/// price `tp = (high + low + close) / 3` over `period` candles; 0 where either part is 0.
/// First at `period - 1`.
pub fn cci(high: &[f64], low: &[f64], close: &[f64], period: usize) -> Vec<f64> {
    let n = close.len();
    let mut out = vec![f64::NAN; n];
    if period == 0 || n < period {
        return out;
    }
    let typical: Vec<f64> = (0..n).map(|i| (high[i] + low[i] + close[i]) / 3.0).collect();
    let p = period as f64;
    for i in period - 1..n {
        let window = &typical[i + 1 - period..=i];
        let mean = window.iter().sum::<f64>() / p;
        let deviation: f64 = window.iter().map(|t| (t - mean).abs()).sum();
        let distance = typical[i] - mean;
        out[i] = if distance != 0.0 && deviation != 0.0 {
            distance / (0.015 * (deviation / p))
        } else {
            0.0
        };
    }
    out
}

#[cfg(test)]
mod tests {
    #[test]
    fn distance_in_mean_deviations() {
        let c = [1.0, 2.0, 3.0];
        let out = super::cci(&c, &c, &c, 3);
        assert!(out[1].is_nan());
        // mean 2, mean deviation 2/3: (3 - 2) / (0.015 * 2/3)
        assert!((out[2] - 100.0).abs() < 1e-9);
    }
}
