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

    /// Many returns at once, summed in locals that stay in registers (through `&mut self`
    /// the sums would round-trip memory on every return).
    #[inline]
    pub fn extend(&mut self, returns: impl Iterator<Item = f64>) {
        let (mut count, mut sum, mut sum_of_squares) = (0u64, 0.0, 0.0);
        for r in returns {
            count += 1;
            sum += r;
            sum_of_squares += r * r;
        }
        self.count += count;
        self.sum += sum;
        self.sum_of_squares += sum_of_squares;
    }

    /// `count` returns given by their sum and sum of squares (a long position's, read from
    /// prefix sums of the closes' returns).
    #[inline]
    pub fn add_sums(&mut self, count: usize, sum: f64, sum_of_squares: f64) {
        self.count += count as u64;
        self.sum += sum;
        self.sum_of_squares += sum_of_squares;
    }

    /// `count` returns of exactly 0 (a flat position).
    #[inline]
    pub fn update_unchanged(&mut self, count: usize) {
        self.count += count as u64;
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
    fn sums_and_single_updates_agree() {
        let returns: Vec<f64> = (0..103).map(|i| ((i * 37 % 17) as f64 - 8.0) * 1e-3).collect();
        let mut one_by_one = SharpeRatio::default();
        returns.iter().for_each(|&r| one_by_one.update(r));
        let mut summed = SharpeRatio::default();
        summed.update(returns[0]);
        let rest = &returns[1..];
        summed.add_sums(rest.len(), rest.iter().sum(), rest.iter().map(|r| r * r).sum());
        assert_eq!(summed.count, one_by_one.count);
        assert!((summed.value(365.0) - one_by_one.value(365.0)).abs() < 1e-12);
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
