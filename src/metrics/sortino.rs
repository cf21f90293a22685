use super::ReturnSums;

/// `mean(r) / sqrt(mean(min(r, 0)^2)) * sqrt(bars_per_year)`: the Sharpe ratio with only
/// the losing candles' returns as the risk.
///
/// Edge cases: `None` with no return, or with no candle below 0 (a downside of 0).
pub fn sortino_ratio(r: &ReturnSums, bars_per_year: f64) -> Option<f64> {
    let downside = (r.downside / r.count as f64).sqrt();
    (r.count > 0 && downside > 0.0).then(|| r.mean() / downside * bars_per_year.sqrt())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn sums(returns: &[f64]) -> ReturnSums {
        let mut s = ReturnSums::default();
        returns.iter().for_each(|&r| s.update(r, 0.0));
        s
    }

    #[test]
    fn by_hand() {
        // mean 0.0025, downside sqrt((0.01^2 + 0.02^2) / 4) = sqrt(0.000125).
        let got = sortino_ratio(&sums(&[0.03, -0.01, 0.01, -0.02]), 4.0).unwrap();
        assert!((got - 0.0025 / 0.000125f64.sqrt() * 2.0).abs() < 1e-12, "{got}");
        assert_eq!(sortino_ratio(&sums(&[0.01, 0.0]), 4.0), None);
        assert_eq!(sortino_ratio(&sums(&[]), 4.0), None);
    }
}
