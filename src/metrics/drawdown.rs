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

    /// A stretch where equity is `units * close` (a long position holding no cash), given by
    /// its highest and lowest close: a fall from the peak so far, or within the stretch
    /// itself. That one, `fall()`, costs a search, and is asked for only when it could be a
    /// new maximum: it is at most `1 - min / max` (rounding is monotone, so in floating
    /// point too), which usually is not.
    // Inlined into the execution loop: out of line, its accumulators live in memory.
    #[inline(always)]
    pub fn extend_long(&mut self, units: f64, max: f64, min: f64, fall: impl FnOnce() -> f64) {
        let mut worst = 1.0 - units * min / self.peak;
        if 1.0 - min / max > self.max {
            worst = worst.max(fall());
        }
        if worst > self.max {
            self.max = worst;
            self.floor = 1.0 - worst;
        }
        self.peak = self.peak.max(units * max);
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

    #[test]
    fn a_long_stretch_at_once_matches_candle_by_candle() {
        let closes = [50.0, 55.0, 52.0, 60.0, 45.0, 58.0, 61.0];
        let index = crate::close_index::CloseIndex::new(&closes, &[0; 7]);
        let stats = index.stats(0..closes.len());
        for (initial, units) in [(100.0, 2.0), (200.0, 2.0), (100.0, 1.0)] {
            let mut stepwise = MaxDrawdown::new(initial);
            closes.iter().for_each(|c| stepwise.update(units * c));
            let mut at_once = MaxDrawdown::new(initial);
            at_once.extend_long(units, stats.max, stats.min, || index.fall(0..closes.len()));
            assert!((at_once.value() - stepwise.value()).abs() < 1e-12, "{initial} {units}");
            assert_eq!(at_once.peak, stepwise.peak);
        }
    }
}
