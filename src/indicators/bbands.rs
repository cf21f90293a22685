use super::sma;
use super::stddev::{deviation, variances};

/// TA-Lib's `BBANDS(period, k, k, SMA)`.
pub struct Bbands {
    pub upper: Vec<f64>,
    pub middle: Vec<f64>,
    pub lower: Vec<f64>,
}

/// The middle band is the SMA, the width `k` population deviations of the window (as
/// exact as [`super::stddev`]'s). First at `period - 1`.
pub fn bbands(values: &[f64], period: usize, k: f64) -> Bbands {
    let middle = sma(values, period);
    let widths: Vec<f64> = variances(values, period)
        .into_iter()
        .map(|v| {
            if v.is_nan() {
                v
            } else if k == 1.0 {
                deviation(v)
            } else {
                deviation(v) * k
            }
        })
        .collect();
    let upper = middle.iter().zip(&widths).map(|(m, w)| m + w).collect();
    let lower = middle.iter().zip(&widths).map(|(m, w)| m - w).collect();
    Bbands { upper, middle, lower }
}
#[cfg(test)]
mod tests {
    #[test]
    fn bands_are_k_deviations_around_the_sma() {
        let b = super::bbands(&[2.0, 4.0, 4.0, 4.0, 5.0, 5.0, 7.0, 9.0], 8, 2.0);
        assert_eq!((b.lower[7], b.middle[7], b.upper[7]), (1.0, 5.0, 9.0));
        assert!(b.upper[6].is_nan());
    }
}
