use super::ReturnSums;

/// `std(r, ddof=1) * sqrt(bars_per_year)`. Edge case: `None` with fewer than two returns.
pub fn volatility_annualized(r: &ReturnSums, bars_per_year: f64) -> Option<f64> {
    r.variance().map(|v| v.sqrt() * bars_per_year.sqrt())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn by_hand() {
        let mut s = ReturnSums::default();
        [0.01, 0.02, 0.03].iter().for_each(|&r| s.update(r, 0.0));
        assert!((volatility_annualized(&s, 4.0).unwrap() - 0.02).abs() < 1e-15);
        let mut one = ReturnSums::default();
        one.update(0.5, 0.0);
        assert_eq!(volatility_annualized(&one, 4.0), None);
        let mut flat = ReturnSums::default();
        flat.update_unchanged(3);
        assert_eq!(volatility_annualized(&flat, 4.0), Some(0.0));
    }
}
