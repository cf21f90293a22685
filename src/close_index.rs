//! Range queries over a market's closes in O(log n), built once per market: what a long
//! position's metrics need of the candles it is held through.
//!
//! A long position holds no cash (it spends all of it), so its equity is `units * close`:
//! its per-candle returns are the closes' own returns, and its drawdown within the
//! position is the closes' own fall. Both are then answered per position instead of per
//! candle, which makes a backtest cost O(trades) after its targets.

/// The largest fall over a range of closes, with its extremes.
#[derive(Debug, Clone, Copy, PartialEq)]
pub(crate) struct Span {
    pub max: f64,
    pub min: f64,
    /// `max over i <= j of 1 - close[j] / close[i]`: 0 when the closes only rise.
    pub fall: f64,
}

impl Span {
    fn one(close: f64) -> Self {
        Self {
            max: close,
            min: close,
            fall: 0.0,
        }
    }

    /// The span of `self` followed by `later`. Every fall it reports is `1 - c[j] / c[i]` for
    /// one pair `i <= j`, and rounding is monotone, so the largest is found bit for bit
    /// however a range is split into consecutive parts.
    fn then(self, later: Self) -> Self {
        Self {
            max: self.max.max(later.max),
            min: self.min.min(later.min),
            fall: self.fall.max(later.fall).max(1.0 - later.min / self.max),
        }
    }

    /// A direct scan: one multiplication per close, a division only for a fall that may be
    /// a new largest (the test is loosened by a hair so that rounding never skips one).
    fn of(closes: &[f64]) -> Self {
        let mut span = Self::one(closes[0]);
        let mut floor = 1.0;
        for &close in &closes[1..] {
            if close > span.max {
                span.max = close;
            } else if close < span.max * floor * (1.0 + 1e-12) {
                span.fall = span.fall.max(1.0 - close / span.max);
                floor = 1.0 - span.fall;
            }
            span.min = span.min.min(close);
        }
        span
    }
}

/// Drawdown periods of a long position along [`CloseIndex::next_at_least`], summed from an
/// index to the series' end: the periods between two indexes of the chain are a difference.
#[derive(Debug, Clone, Copy, Default, PartialEq)]
pub(crate) struct ChainSums {
    pub periods: u32,
    pub depth: f64,
    pub duration: i64,
}

const BLOCK: usize = 32;

pub(crate) struct CloseIndex {
    close: Vec<f64>,
    /// Prefix sums of `r = close[i] / close[i - 1] - 1`, of `r^2` and of `min(r, 0)^2`
    /// (`[0]` = 0, then one per close; the first close's `r` is 0), side by side: a range
    /// reads them at each end.
    sums: Vec<[f64; 3]>,
    /// The highest and lowest close of `[start of i's block, i]` and of `[i, end of i's
    /// block]`, and apart, the largest fall of each: every range reads the extremes, few
    /// the fall, and the smaller arrays keep more of a sweep's lookups in cache.
    prefix: Vec<[f64; 2]>,
    suffix: Vec<[f64; 2]>,
    prefix_fall: Vec<f64>,
    suffix_fall: Vec<f64>,
    /// `levels[k][b]`: the span of blocks `b .. b + 2^k`.
    levels: Vec<Vec<Span>>,
    /// `next_at_least[i]`: the first `j > i` with `close[j] >= close[i]` (`n` when none).
    /// From any index it walks the running highs of the closes, which are where a long
    /// position's equity makes its peaks.
    next_at_least: Vec<u32>,
    /// The drawdown periods of a long position from a peak at `i` (the candles strictly
    /// between `i` and `next_at_least[i]`, when there are any), summed along the chain from
    /// `i`: only periods that end before the series does.
    chain: Vec<ChainSums>,
}

/// Sums of the close returns over a range, and its highest and lowest close.
pub(crate) struct RangeStats {
    pub count: usize,
    pub return_sum: f64,
    pub square_sum: f64,
    pub downside_sum: f64,
    pub max: f64,
    pub min: f64,
}

impl CloseIndex {
    /// `open_time` times the drawdown periods.
    pub(crate) fn new(close: &[f64], open_time: &[i64]) -> Self {
        let n = close.len();
        let mut sums = Vec::with_capacity(n + 1);
        let (mut sum, mut squares, mut downside) = (0.0, 0.0, 0.0);
        sums.push([0.0; 3]);
        for i in 0..n {
            let r = if i == 0 { 0.0 } else { close[i] / close[i - 1] - 1.0 };
            sum += r;
            squares += r * r;
            downside += r.min(0.0) * r.min(0.0);
            sums.push([sum, squares, downside]);
        }
        let mut prefix = Vec::with_capacity(n);
        let mut suffix = vec![Span::one(0.0); n];
        let mut blocks = Vec::with_capacity(n.div_ceil(BLOCK));
        for (b, chunk) in close.chunks(BLOCK).enumerate() {
            let mut span = Span::one(chunk[0]);
            prefix.push(span);
            for &c in &chunk[1..] {
                span = span.then(Span::one(c));
                prefix.push(span);
            }
            blocks.push(span);
            let mut later = Span::one(chunk[chunk.len() - 1]);
            suffix[b * BLOCK + chunk.len() - 1] = later;
            for k in (0..chunk.len() - 1).rev() {
                later = Span::one(chunk[k]).then(later);
                suffix[b * BLOCK + k] = later;
            }
        }
        let mut levels = vec![blocks];
        while 2 << (levels.len() - 1) <= levels[0].len() {
            let below = &levels[levels.len() - 1];
            let half = 1 << (levels.len() - 1);
            let level = (0..below.len() - half)
                .map(|b| below[b].then(below[b + half]))
                .collect();
            levels.push(level);
        }
        let extremes = |spans: &[Span]| spans.iter().map(|s| [s.max, s.min]).collect();
        let falls = |spans: &[Span]| spans.iter().map(|s| s.fall).collect();
        let mut index = Self {
            close: close.to_vec(),
            sums,
            prefix: extremes(&prefix),
            suffix: extremes(&suffix),
            prefix_fall: falls(&prefix),
            suffix_fall: falls(&suffix),
            levels,
            next_at_least: vec![n as u32; n],
            chain: vec![ChainSums::default(); n + 1],
        };
        // Right to left with a stack of the running highs ahead: the ones `i` pops are the
        // chain from `i + 1` to `next_at_least[i]`, whose stretches cover the candles in
        // between, so the lowest of those is the lowest of the stretches' lowest.
        let mut higher: Vec<(usize, f64)> = Vec::new();
        for i in (0..n).rev() {
            let mut lowest = f64::INFINITY;
            while let Some(&(j, stretch_low)) = higher.last()
                && close[j] < close[i]
            {
                lowest = lowest.min(stretch_low);
                higher.pop();
            }
            let next = higher.last().map_or(n, |&(j, _)| j);
            index.next_at_least[i] = next as u32;
            let mut sums = index.chain[next];
            if next < n && next > i + 1 {
                sums.periods += 1;
                sums.depth += 1.0 - lowest / close[i];
                sums.duration += open_time[next] - open_time[i];
            }
            index.chain[i] = sums;
            higher.push((i, lowest.min(close[i])));
        }
        index
    }

    /// The next running high of the closes after `i` (`n` when none).
    #[inline]
    pub(crate) fn next_at_least(&self, i: usize) -> usize {
        self.next_at_least[i] as usize
    }

    #[inline]
    pub(crate) fn chain(&self, i: usize) -> ChainSums {
        self.chain[i]
    }

    /// The closes it was built from: the execution loop reads these rather than a second
    /// copy, so the closes take cache room once.
    pub(crate) fn closes(&self) -> &[f64] {
        &self.close
    }

    /// The candles `range` (non-empty, half-open), in O(1).
    #[inline(always)]
    pub(crate) fn stats(&self, range: std::ops::Range<usize>) -> RangeStats {
        let (first, last) = (range.start, range.end - 1);
        let ([sum_before, squares_before, downside_before], [sum, squares, downside]) =
            (self.sums[range.start], self.sums[range.end]);
        let (max, min) = self.extremes(first, last);
        RangeStats {
            count: range.len(),
            return_sum: sum - sum_before,
            square_sum: squares - squares_before,
            downside_sum: downside - downside_before,
            max,
            min,
        }
    }

    /// The largest fall over the candles `range` (non-empty), in O(log n).
    pub(crate) fn fall(&self, range: std::ops::Range<usize>) -> f64 {
        self.span(range.start, range.end - 1).fall
    }

    /// The highest and lowest close of `first..=last`: unlike a fall, these may be read
    /// from overlapping runs of blocks, two of them whatever the length.
    #[inline(always)]
    pub(crate) fn extremes(&self, first: usize, last: usize) -> (f64, f64) {
        let (first_block, last_block) = (first / BLOCK, last / BLOCK);
        if first_block == last_block {
            let closes = &self.close[first..=last];
            return closes
                .iter()
                .fold((closes[0], closes[0]), |(max, min), &c| (max.max(c), min.min(c)));
        }
        let ([before_max, before_min], [after_max, after_min]) = (self.suffix[first], self.prefix[last]);
        let (mut max, mut min) = (before_max.max(after_max), before_min.min(after_min));
        let blocks = last_block - first_block - 1;
        if blocks > 0 {
            let level = blocks.ilog2() as usize;
            let (a, b) = (
                self.levels[level][first_block + 1],
                self.levels[level][last_block - (1 << level)],
            );
            max = max.max(a.max).max(b.max);
            min = min.min(a.min).min(b.min);
        }
        (max, min)
    }

    /// The last index of `first..=last` whose close is `value` (one of them is): read
    /// backwards, whole blocks by their highest.
    pub(crate) fn last_index_of(&self, first: usize, last: usize, value: f64) -> usize {
        let found = |from: usize, to: usize| (from..=to).rev().find(|&i| self.close[i] == value);
        let first_block = first / BLOCK;
        let mut block = last / BLOCK;
        if block > first_block {
            if let Some(i) = found(block * BLOCK, last) {
                return i;
            }
            block -= 1;
            while block > first_block && self.levels[0][block].max < value {
                block -= 1;
            }
            if block > first_block {
                return found(block * BLOCK, block * BLOCK + BLOCK - 1).unwrap_or(first);
            }
        }
        found(first, last.min(first_block * BLOCK + BLOCK - 1)).unwrap_or(first)
    }

    fn span(&self, first: usize, last: usize) -> Span {
        let (first_block, last_block) = (first / BLOCK, last / BLOCK);
        if first_block == last_block {
            return Span::of(&self.close[first..=last]);
        }
        let edge = |[max, min]: [f64; 2], fall: f64| Span { max, min, fall };
        let mut span = edge(self.suffix[first], self.suffix_fall[first]);
        // Whole blocks in between, in disjoint power-of-two runs: a fall needs its peak
        // before its trough, which overlapping runs would not keep.
        let mut block = first_block + 1;
        while block < last_block {
            let level = (last_block - block).ilog2() as usize;
            span = span.then(self.levels[level][block]);
            block += 1 << level;
        }
        span.then(edge(self.prefix[last], self.prefix_fall[last]))
    }
}

#[cfg(test)]
mod tests {
    use proptest::prelude::*;

    use super::*;

    fn plain_fall(closes: &[f64]) -> f64 {
        let mut fall = 0.0f64;
        for i in 0..closes.len() {
            for j in i..closes.len() {
                fall = fall.max(1.0 - closes[j] / closes[i]);
            }
        }
        fall
    }

    proptest! {
        #[test]
        fn any_range_matches_a_plain_scan(
            closes in prop::collection::vec(prop_oneof![1.0f64..1000.0, (20u32..40).prop_map(f64::from)], 1..300),
            a in any::<prop::sample::Index>(),
            b in any::<prop::sample::Index>(),
        ) {
            let times: Vec<i64> = (0..closes.len() as i64).collect();
            let index = CloseIndex::new(&closes, &times);
            let (a, b) = (a.index(closes.len()), b.index(closes.len()));
            let (first, last) = (a.min(b), a.max(b));
            let stats = index.stats(first..last + 1);
            let part = &closes[first..=last];
            prop_assert_eq!(index.fall(first..last + 1), plain_fall(part));
            prop_assert_eq!(stats.max, part.iter().copied().fold(f64::MIN, f64::max));
            prop_assert_eq!(stats.min, part.iter().copied().fold(f64::MAX, f64::min));
            let last_max = (first..=last).rev().find(|&i| closes[i] == stats.max);
            prop_assert_eq!(Some(index.last_index_of(first, last, stats.max)), last_max);
            let next = (first + 1..closes.len()).find(|&j| closes[j] >= closes[first]).unwrap_or(closes.len());
            prop_assert_eq!(index.next_at_least(first), next);
            let returns: Vec<f64> = (first..=last)
                .map(|i| if i == 0 { 0.0 } else { closes[i] / closes[i - 1] - 1.0 })
                .collect();
            let sum: f64 = returns.iter().sum();
            let squares: f64 = returns.iter().map(|r| r * r).sum();
            let downside: f64 = returns.iter().map(|r| r.min(0.0).powi(2)).sum();
            prop_assert!((stats.downside_sum - downside).abs() < 1e-9);
            prop_assert!((stats.return_sum - sum).abs() < 1e-9);
            prop_assert!((stats.square_sum - squares).abs() < 1e-9);
            prop_assert_eq!(stats.count, last + 1 - first);
        }
    }
}
