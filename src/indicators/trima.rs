use super::{from_first_value, sma};

/// TA-Lib's `TRIMA(period)`: the triangular average, an SMA of an SMA (periods
/// `(n+1)/2` twice for an odd `n`; `n/2` and `n/2 + 1` for an even one); first value at
/// `period - 1`.
pub fn trima(values: &[f64], period: usize) -> Vec<f64> {
    let (inner, outer) = if period % 2 == 1 {
        (period.div_ceil(2), period.div_ceil(2))
    } else {
        (period / 2 + 1, period / 2)
    };
    from_first_value(&sma(values, inner), |v| sma(v, outer))
}

#[cfg(test)]
mod tests {
    #[test]
    fn weights_the_middle_most() {
        // n = 4: weights 1 2 2 1 over 6.
        let out = super::trima(&[6.0, 0.0, 0.0, 0.0, 0.0], 4);
        assert!(out[2].is_nan());
        assert_eq!(out[3], 1.0);
        assert_eq!(out[4], 0.0);
    }
}
