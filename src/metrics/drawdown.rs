/// Maximum drawdown: the largest `(running peak - equity) / running peak` seen, a positive
/// fraction (0.087 = 8.7%). The running peak starts at the initial capital, so a loss on
/// the first candle counts.
///
/// Edge cases: an equity that only rises gives 0; an equity at or below 0 gives 1 or more.
#[derive(Debug, Clone, Copy)]
pub struct MaxDrawdown {
    peak: f64,
    /// Equity below `peak * floor` is a new maximum; tracking it avoids a division per candle.
    floor: f64,
    max: f64,
}

impl MaxDrawdown {
    pub fn new(initial_equity: f64) -> Self {
        Self {
            peak: initial_equity,
            floor: 1.0,
            max: 0.0,
        }
    }

    #[inline]
    pub fn update(&mut self, equity: f64) {
        if equity > self.peak {
            self.peak = equity;
        } else if equity < self.peak * self.floor {
            self.max = (self.peak - equity) / self.peak;
            self.floor = 1.0 - self.max;
        }
    }

    /// Many equities at once, tracked in locals (see `SharpeRatio::extend`).
    #[inline]
    pub fn extend(&mut self, equities: impl Iterator<Item = f64>) {
        let mut local = *self;
        for equity in equities {
            local.update(equity);
        }
        *self = local;
    }

    pub fn value(&self) -> f64 {
        self.max
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn max_drawdown(initial: f64, curve: &[f64]) -> f64 {
        let mut d = MaxDrawdown::new(initial);
        curve.iter().for_each(|&e| d.update(e));
        d.value()
    }

    #[test]
    fn largest_fall_from_a_running_peak() {
        assert_eq!(max_drawdown(100.0, &[110.0, 99.0, 120.0, 108.0, 130.0]), 0.1);
        assert_eq!(max_drawdown(100.0, &[90.0, 95.0]), 0.1);
        assert_eq!(max_drawdown(100.0, &[101.0, 102.0]), 0.0);
        assert_eq!(max_drawdown(100.0, &[50.0, 200.0, 150.0]), 0.5);
        assert_eq!(max_drawdown(100.0, &[0.0]), 1.0);
    }
}
