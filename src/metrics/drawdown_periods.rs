use super::HOUR_MS;
use crate::close_index::CloseIndex;

/// Drawdown periods: each runs from a running peak of equity (its last candle at the peak)
/// until a candle's equity regains it, or the range ends. Reports the mean of their
/// deepest drawdowns and their durations, peak candle's open to the recovering candle's
/// open (or to the last candle's).
///
/// Edge cases: an equity that never falls below its peak has no period: a mean depth and
/// duration of `None`, a longest duration of 0 (as its max drawdown is 0). The running
/// peak starts at the initial capital at the first candle's open.
#[derive(Debug, Clone, Copy)]
pub struct DrawdownPeriods {
    peak: f64,
    peak_time: i64,
    in_period: bool,
    deepest: f64,
    periods: u32,
    depth_sum: f64,
    duration_sum: i64,
    longest: i64,
}

impl DrawdownPeriods {
    pub fn new(initial_equity: f64, first_time: i64) -> Self {
        Self {
            peak: initial_equity,
            peak_time: first_time,
            in_period: false,
            deepest: 0.0,
            periods: 0,
            depth_sum: 0.0,
            duration_sum: 0,
            longest: 0,
        }
    }

    /// The equity marked at the close of candle `i`, of those opening at `open_time` (read
    /// only when a peak or a recovery needs it).
    #[inline]
    pub fn update(&mut self, open_time: &[i64], i: usize, equity: f64) {
        if equity >= self.peak {
            self.regained(open_time[i]);
            self.peak = equity;
            self.peak_time = open_time[i];
        } else {
            self.below((self.peak - equity) / self.peak);
        }
    }

    /// Candles up to the one opening at `last_time` with the equity of the last update.
    #[inline]
    pub fn hold(&mut self, last_time: i64) {
        if !self.in_period {
            self.peak_time = last_time;
        }
    }

    #[inline]
    fn below(&mut self, depth: f64) {
        self.in_period = true;
        self.deepest = self.deepest.max(depth);
    }

    #[inline]
    fn regained(&mut self, time: i64) {
        if self.in_period {
            self.add(self.deepest, time - self.peak_time);
            self.in_period = false;
            self.deepest = 0.0;
        }
    }

    #[inline]
    fn add(&mut self, depth: f64, duration: i64) {
        self.periods += 1;
        self.depth_sum += depth;
        self.duration_sum += duration;
        self.longest = self.longest.max(duration);
    }

    /// The candles `range` (non-empty) of a long position holding no cash: equity
    /// `units * close`, given the range's highest and lowest close. Its peaks are
    /// the closes' running highs: the periods between the first that regains the peak so
    /// far and the last are read from the index's sums along them, so the cost is that of
    /// a few lookups, not a candle each.
    // Inlined into the execution loop: out of line, its accumulators live in memory.
    #[inline(always)]
    pub(crate) fn extend_long(
        &mut self,
        units: f64,
        range: std::ops::Range<usize>,
        (max, min): (f64, f64),
        index: &CloseIndex,
        open_time: &[i64],
    ) {
        let close = index.closes();
        if units * max < self.peak {
            self.below((self.peak - units * min) / self.peak);
            return;
        }
        let last_max = index.last_index_of(range.start, range.end - 1, max);
        // The first close that regains the peak is a running high from the range's start.
        let mut first = range.start;
        while units * close[first] < self.peak {
            first = index.next_at_least(first);
        }
        if first > range.start {
            let lowest = index.extremes(range.start, first - 1).1;
            self.below((self.peak - units * lowest) / self.peak);
        }
        self.regained(open_time[first]);
        let (from, to) = (index.chain(first), index.chain(last_max));
        self.periods += from.periods - to.periods;
        self.depth_sum += from.depth - to.depth;
        self.duration_sum += from.duration - to.duration;
        if open_time[last_max] - open_time[first] > self.longest {
            let mut at = first;
            while at < last_max {
                let next = index.next_at_least(at);
                if next > at + 1 {
                    self.longest = self.longest.max(open_time[next] - open_time[at]);
                }
                at = next;
            }
        }
        self.peak = units * close[last_max];
        self.peak_time = open_time[last_max];
        if last_max + 1 < range.end {
            let lowest = index.extremes(last_max + 1, range.end - 1).1;
            self.below(1.0 - lowest / close[last_max]);
        }
    }

    /// Ends the range at the candle opening at `last_time`, closing a period still open.
    pub fn finish(&mut self, last_time: i64) {
        self.regained(last_time);
    }

    /// The highest equity marked (or the initial capital).
    pub fn peak(&self) -> f64 {
        self.peak
    }

    pub fn avg_drawdown(&self) -> Option<f64> {
        (self.periods > 0).then(|| self.depth_sum / f64::from(self.periods))
    }

    pub fn max_duration_hours(&self) -> f64 {
        self.longest as f64 / HOUR_MS
    }

    pub fn avg_duration_hours(&self) -> Option<f64> {
        (self.periods > 0).then(|| self.duration_sum as f64 / f64::from(self.periods) / HOUR_MS)
    }
}

#[cfg(test)]
mod tests {
    use proptest::prelude::*;

    use super::*;

    const H: i64 = 3_600_000;

    fn periods(initial: f64, curve: &[f64]) -> DrawdownPeriods {
        let mut d = DrawdownPeriods::new(initial, 0);
        let times: Vec<i64> = (0..curve.len() as i64).map(|i| i * H).collect();
        curve.iter().enumerate().for_each(|(i, &e)| d.update(&times, i, e));
        d.finish((curve.len() as i64 - 1) * H);
        d
    }

    #[test]
    fn by_hand() {
        // Peak 110 at hour 0, down to 99 (10%), regained at hour 2 by 120; peak 120, down
        // to 108 (10%) and 96 (20%), regained at hour 5 by 130; then 117 (10%) to the end.
        let d = periods(100.0, &[110.0, 99.0, 120.0, 108.0, 96.0, 130.0, 117.0]);
        assert_eq!(d.periods, 3);
        assert!((d.avg_drawdown().unwrap() - 0.4 / 3.0).abs() < 1e-12);
        assert_eq!(d.max_duration_hours(), 3.0);
        assert_eq!(d.avg_duration_hours(), Some((2.0 + 3.0 + 1.0) / 3.0));
        assert_eq!(d.peak(), 130.0);
        // Only rising: no period.
        let up = periods(100.0, &[101.0, 102.0, 102.0]);
        assert_eq!(
            (up.avg_drawdown(), up.avg_duration_hours(), up.max_duration_hours()),
            (None, None, 0.0)
        );
        // A flat run at the peak moves the period's start to its last candle.
        let flat = periods(100.0, &[100.0, 100.0, 90.0, 100.0]);
        assert_eq!(flat.max_duration_hours(), 2.0);
        // A loss on the first candle starts a period at the first candle's open.
        let first = periods(100.0, &[90.0, 95.0]);
        assert_eq!((first.max_duration_hours(), first.avg_drawdown()), (1.0, Some(0.1)));
    }

    proptest! {
        /// A long stretch at once gives what candle by candle does, from any state.
        #[test]
        fn a_long_stretch_at_once_matches_candle_by_candle(
            closes in prop::collection::vec(prop_oneof![1.0f64..100.0, (1u32..12).prop_map(f64::from)], 2..200),
            before in prop::collection::vec(1.0f64..300.0, 0..4),
            units in 0.5f64..3.0,
            start in any::<prop::sample::Index>(),
        ) {
            let times: Vec<i64> = (0..closes.len() as i64).map(|i| i * H).collect();
            let index = CloseIndex::new(&closes, &times);
            let start = start.index(closes.len());
            let mut stepwise = DrawdownPeriods::new(100.0, -H);
            for &e in &before {
                stepwise.update(&[-H], 0, e);
            }
            let mut at_once = stepwise;
            for (i, close) in closes.iter().enumerate().skip(start) {
                stepwise.update(&times, i, units * close);
            }
            let s = index.stats(start..closes.len());
            at_once.extend_long(units, start..closes.len(), (s.max, s.min), &index, &times);
            stepwise.finish(times[closes.len() - 1]);
            at_once.finish(times[closes.len() - 1]);
            prop_assert_eq!(at_once.periods, stepwise.periods);
            prop_assert_eq!(at_once.duration_sum, stepwise.duration_sum);
            prop_assert_eq!(at_once.longest, stepwise.longest);
            prop_assert!((at_once.depth_sum - stepwise.depth_sum).abs() < 1e-9);
            prop_assert!((at_once.peak - stepwise.peak).abs() <= 1e-12 * stepwise.peak);
        }
    }
}
