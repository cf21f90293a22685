/// TA-Lib's `STDDEV(period, 1)`: the population standard deviation of the last `period`
/// values; 0 where the variance is below TA-Lib's epsilon (rounding noise). First at
/// `period - 1`.
///
/// TA-Lib 0.6 computes it more exactly than a running sum of squares can (on prices near
/// 10^5 that loses nine digits); so does this: a sliding Welford update, restarted from
/// an exact two-pass window every [`RESTART`] steps so rounding cannot accumulate.
pub fn stddev(values: &[f64], period: usize) -> Vec<f64> {
    variances(values, period).into_iter().map(deviation).collect()
}

/// Steps of the sliding update between exact windows.
const RESTART: usize = 512;

pub(crate) fn variances(values: &[f64], period: usize) -> Vec<f64> {
    let n = values.len();
    let mut out = vec![f64::NAN; n];
    if period == 0 || n < period {
        return out;
    }
    let p = period as f64;
    let (mut mean, mut squares) = (0.0, 0.0);
    for i in period - 1..n {
        let steps = i + 1 - period;
        if steps % RESTART == 0 {
            let window = &values[i + 1 - period..=i];
            mean = window.iter().sum::<f64>() / p;
            squares = window.iter().map(|v| (v - mean) * (v - mean)).sum();
        } else {
            let (new, old) = (values[i], values[i - period]);
            let previous = mean;
            mean += (new - old) / p;
            squares += (new - old) * (new - mean + old - previous);
        }
        out[i] = squares / p;
    }
    out
}

/// The square root of a variance, 0 for TA-Lib's "zero or negative" (below its epsilon).
pub(crate) fn deviation(variance: f64) -> f64 {
    if variance < 1e-14 { 0.0 } else { variance.sqrt() }
}

#[cfg(test)]
mod tests {
    #[test]
    fn population_deviation() {
        let out = super::stddev(&[2.0, 4.0, 4.0, 4.0, 5.0, 5.0, 7.0, 9.0], 8);
        assert_eq!(out[7], 2.0);
        assert_eq!(super::stddev(&[3.0, 3.0], 2)[1], 0.0);
    }

    #[test]
    fn the_sliding_update_stays_exact_over_long_series() {
        let values: Vec<f64> = (0..5000)
            .map(|i| 90_000.0 + (f64::from(i) * 0.37).sin() * 500.0)
            .collect();
        let out = super::stddev(&values, 20);
        for i in [19, 600, 4999] {
            let window = &values[i - 19..=i];
            let mean = window.iter().sum::<f64>() / 20.0;
            let exact = (window.iter().map(|v| (v - mean).powi(2)).sum::<f64>() / 20.0).sqrt();
            assert!((out[i] - exact).abs() / exact < 1e-11, "{i}: {} vs {exact}", out[i]);
        }
    }
}
