/// TA-Lib's `MOM(period)`: `x - x[period]`; first at `period`.
pub fn mom(values: &[f64], period: usize) -> Vec<f64> {
    (0..values.len())
        .map(|i| match i.checked_sub(period) {
            Some(j) if period > 0 => values[i] - values[j],
            _ => f64::NAN,
        })
        .collect()
}

#[cfg(test)]
mod tests {
    #[test]
    fn change_over_the_period() {
        let out = super::mom(&[1.0, 4.0, 9.0], 2);
        assert!(out[1].is_nan());
        assert_eq!(out[2], 8.0);
    }
}
