/// The sums of the per-candle returns `r` every return-based metric reads, fed by the
/// execution loop as it goes: their count, sum and sum of squares (Sharpe, volatility),
/// the sum of `min(r, 0)^2` (Sortino) and the sum of `r * m` with `m` the market's return
/// on the same candle (beta).
///
/// Kept as plain sums: the execution loop then carries no division chain from one candle
/// to the next. Per-candle returns have a mean far below their standard deviation, so the
/// subtraction in a variance loses no meaningful precision.
#[derive(Debug, Clone, Copy, Default, PartialEq)]
pub struct ReturnSums {
    pub count: u64,
    pub sum: f64,
    pub squares: f64,
    pub downside: f64,
    pub cross: f64,
}

impl ReturnSums {
    /// One return `r` on a candle where the market returned `m`.
    #[inline]
    pub fn update(&mut self, r: f64, m: f64) {
        self.count += 1;
        self.sum += r;
        self.squares += r * r;
        self.downside += r.min(0.0) * r.min(0.0);
        self.cross += r * m;
    }

    /// Many returns at once, summed in locals that stay in registers (through `&mut self`
    /// the sums would round-trip memory on every return).
    #[inline]
    pub fn extend(&mut self, returns: impl Iterator<Item = (f64, f64)>) {
        let mut local = ReturnSums::default();
        for (r, m) in returns {
            local.update(r, m);
        }
        self.add(&local);
    }

    #[inline]
    pub fn add(&mut self, other: &ReturnSums) {
        self.count += other.count;
        self.sum += other.sum;
        self.squares += other.squares;
        self.downside += other.downside;
        self.cross += other.cross;
    }

    /// `count` candles where the returns are the market's own (a long position holding no
    /// cash), given by the sums of the market's returns over them: `r * m` is then `m^2`.
    #[inline]
    pub fn add_market(&mut self, count: usize, sum: f64, squares: f64, downside: f64) {
        self.count += count as u64;
        self.sum += sum;
        self.squares += squares;
        self.downside += downside;
        self.cross += squares;
    }

    /// `count` returns of exactly 0 (a flat position).
    #[inline]
    pub fn update_unchanged(&mut self, count: usize) {
        self.count += count as u64;
    }

    pub fn mean(&self) -> f64 {
        self.sum / self.count as f64
    }

    /// The sample variance (ddof 1); `None` with fewer than two returns.
    pub fn variance(&self) -> Option<f64> {
        (self.count >= 2).then(|| {
            let n = self.count as f64;
            ((self.squares - self.sum * (self.sum / n)) / (n - 1.0)).max(0.0)
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn market_sums_and_single_updates_agree() {
        let returns: Vec<f64> = (0..103).map(|i| ((i * 37 % 17) as f64 - 8.0) * 1e-3).collect();
        let mut one_by_one = ReturnSums::default();
        returns.iter().for_each(|&r| one_by_one.update(r, r));
        let mut summed = ReturnSums::default();
        let downside: f64 = returns.iter().map(|r| r.min(0.0).powi(2)).sum();
        summed.add_market(
            returns.len(),
            returns.iter().sum(),
            returns.iter().map(|r| r * r).sum(),
            downside,
        );
        assert_eq!(summed.count, one_by_one.count);
        for (a, b) in [
            (summed.sum, one_by_one.sum),
            (summed.squares, one_by_one.squares),
            (summed.downside, one_by_one.downside),
            (summed.cross, one_by_one.cross),
        ] {
            assert!((a - b).abs() < 1e-15, "{a} {b}");
        }
    }
}
