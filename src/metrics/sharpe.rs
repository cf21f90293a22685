/// Annualized Sharpe ratio of per-candle returns: `mean(r) / std(r, ddof=1) * sqrt(bars_per_year)`,
/// with no risk-free rate.
///
/// Edge cases: fewer than two returns, or a standard deviation of 0 (an equity that never
/// moves), give 0.
///
/// Kept as a plain sum and sum of squares: the execution loop then carries no division
/// chain from one candle to the next. Per-candle returns have a mean far below their
/// standard deviation, so the subtraction in the variance loses no meaningful precision.
#[derive(Debug, Clone, Copy, Default)]
pub struct SharpeRatio {
    count: u64,
    sum: f64,
    sum_of_squares: f64,
}

impl SharpeRatio {
    #[inline]
    pub fn update(&mut self, r: f64) {
        self.count += 1;
        self.sum += r;
        self.sum_of_squares += r * r;
    }

    pub fn value(&self, bars_per_year: f64) -> f64 {
        if self.count < 2 {
            return 0.0;
        }
        let n = self.count as f64;
        let mean = self.sum / n;
        let variance = (self.sum_of_squares - self.sum * mean) / (n - 1.0);
        if variance <= 0.0 {
            return 0.0;
        }
        mean / variance.sqrt() * bars_per_year.sqrt()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn sharpe(returns: &[f64], bars_per_year: f64) -> f64 {
        let mut s = SharpeRatio::default();
        returns.iter().for_each(|&r| s.update(r));
        s.value(bars_per_year)
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
