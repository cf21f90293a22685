/// TA-Lib's `ROC(period)`: `(x / x[period] - 1) * 100`, 0 where `x[period]` is 0; first at `period`.
pub fn roc(values: &[f64], period: usize) -> Vec<f64> {
    (0..values.len())
        .map(|i| match i.checked_sub(period) {
            Some(j) if period > 0 => {
                let before = values[j];
                if before != 0.0 {
                    (values[i] / before - 1.0) * 100.0
                } else {
                    0.0
                }
            }
            _ => f64::NAN,
        })
        .collect()
}

#[cfg(test)]
mod tests {
    #[test]
    fn percent_change_over_the_period() {
        let out = super::roc(&[0.0, 100.0, 110.0, 121.0], 1);
        assert!(out[0].is_nan());
        assert_eq!(out[1], 0.0); // from 0: TA-Lib gives 0
        assert!((out[3] - 10.0).abs() < 1e-12);
    }
}
