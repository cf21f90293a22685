/// TA-Lib's `LINEARREG(period)`: the least-squares line through the last `period` values,
/// read at the newest one; the sums in TA-Lib's order. First at `period - 1`.
pub fn linearreg(values: &[f64], period: usize) -> Vec<f64> {
    let n = values.len();
    let mut out = vec![f64::NAN; n];
    if period < 2 || n < period {
        return out;
    }
    let p = period as f64;
    let sum_x = p * (p - 1.0) * 0.5;
    let sum_x_squares = p * (p - 1.0) * (2.0 * p - 1.0) / 6.0;
    let divisor = sum_x * sum_x - p * sum_x_squares;
    for today in period - 1..n {
        let (mut sum_xy, mut sum_y) = (0.0, 0.0);
        for i in (0..period).rev() {
            let y = values[today - i];
            sum_y += y;
            sum_xy += i as f64 * y;
        }
        let slope = (p * sum_xy - sum_x * sum_y) / divisor;
        let intercept = (sum_y - slope * sum_x) / p;
        out[today] = intercept + slope * (p - 1.0);
    }
    out
}

#[cfg(test)]
mod tests {
    #[test]
    fn a_line_is_its_own_regression() {
        let line: Vec<f64> = (0..10).map(|i| 3.0 + 2.0 * f64::from(i)).collect();
        let out = super::linearreg(&line, 4);
        assert!(out[2].is_nan());
        assert!((out[9] - line[9]).abs() < 1e-12);
    }
}
