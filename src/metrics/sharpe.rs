use super::ReturnSums;

/// Annualized Sharpe ratio of per-candle returns: `mean(r) / std(r, ddof=1) * sqrt(bars_per_year)`,
/// with no risk-free rate.
///
/// Edge cases: fewer than two returns, or a standard deviation of 0 (an equity that never
/// moves), give 0, as the spec says.
pub fn sharpe_ratio(r: &ReturnSums, bars_per_year: f64) -> f64 {
    match r.variance() {
        Some(variance) if variance > 0.0 => r.mean() / variance.sqrt() * bars_per_year.sqrt(),
        _ => 0.0,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn sharpe(returns: &[f64], bars_per_year: f64) -> f64 {
        let mut s = ReturnSums::default();
        returns.iter().for_each(|&r| s.update(r, 0.0));
        sharpe_ratio(&s, bars_per_year)
    }

    #[test]
    fn matches_the_formula_and_its_edge_cases() {
        // mean 0.02, sample std 0.01 -> 2 per bar, times sqrt(4).
        assert!((sharpe(&[0.01, 0.02, 0.03], 4.0) - 4.0).abs() < 1e-12);
        assert_eq!(sharpe(&[0.0; 10], 365.0), 0.0);
        assert_eq!(sharpe(&[0.05], 365.0), 0.0);
        assert_eq!(sharpe(&[], 365.0), 0.0);
        assert!(sharpe(&[-0.01, -0.02, -0.03], 1.0) < 0.0);
    }
}
