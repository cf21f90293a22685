//! Indicator series as the strategies read them: every value rounded to `f32` for the
//! comparisons, the exact values on demand for the rare rounded ties.

use std::sync::Arc;

/// Steps between the rolling totals an SMA keeps: at most this many additions are
/// replayed to recover one exact value.
const CHECKPOINT: usize = 256;

pub struct Series {
    /// Every value rounded to `f32`, `NaN` before the first. Rounding is monotone, so
    /// wherever two rounded series differ they order the exact ones the same way, and only
    /// their ties need the exact values.
    pub rounded: Vec<f32>,
    exact: Exact,
}

enum Exact {
    /// Every exact value (MACD's lines: few per sweep, so kept whole).
    Values(Vec<f64>),
    /// An SMA's rolling total before every `CHECKPOINT`-th step (step `j` adds
    /// `values[period - 1 + j]`, emits and drops `values[j]`, as [`super::sma`] does): a
    /// third of the bytes of keeping every exact value beside the rounded ones, which is
    /// what a sweep over hundreds of periods spends its time faulting in.
    RollingTotals {
        values: Arc<[f64]>,
        period: usize,
        totals: Vec<f64>,
    },
}

impl Drop for Series {
    fn drop(&mut self) {
        spare::keep(std::mem::take(&mut self.rounded));
    }
}

/// The rounded values' buffers of dropped series, kept for the next ones. Sweeps over
/// fresh markets (a walk-forward's windows, a multi-market sweep's markets, the engine
/// bench's runs) each write hundreds of series of one length, and memory that the
/// allocator gave back to the system between them is faulted in again page by page as it
/// is written, which costs about what computing the series does.
mod spare {
    use std::sync::{Mutex, PoisonError};

    /// At most this many bytes are kept: the 200 SMAs of a sweep over a year of 15m
    /// candles take 24 MB.
    const BYTES: usize = 32 << 20;

    static BUFFERS: Mutex<(Vec<Vec<f32>>, usize)> = Mutex::new((Vec::new(), 0));

    /// `n` values, all `NaN`.
    pub(super) fn take(n: usize) -> Vec<f32> {
        let kept = {
            let mut spare = BUFFERS.lock().unwrap_or_else(PoisonError::into_inner);
            let (buffers, bytes) = &mut *spare;
            buffers.pop().inspect(|buffer| *bytes -= 4 * buffer.capacity())
        };
        let mut buffer = kept.unwrap_or_default();
        buffer.clear();
        buffer.resize(n, f32::NAN);
        buffer
    }

    pub(super) fn keep(buffer: Vec<f32>) {
        let size = 4 * buffer.capacity();
        if size == 0 {
            return;
        }
        let mut spare = BUFFERS.lock().unwrap_or_else(PoisonError::into_inner);
        let (buffers, bytes) = &mut *spare;
        if *bytes + size <= BYTES {
            *bytes += size;
            buffers.push(buffer);
        }
    }
}

/// One step of an SMA's rolling total, the same additions in the same order as
/// [`super::sma`]: add the newest value, emit the mean, drop the oldest. Every path that
/// computes or replays a kept SMA takes it, so they agree bit for bit.
#[inline(always)]
fn step(total: &mut f64, newest: f64, oldest: f64, period: f64) -> f64 {
    *total += newest;
    let mean = *total / period;
    *total -= oldest;
    mean
}

/// Steps `0..drops.len()` of every lane of [`Series::smas`], the same [`step`] lane by
/// lane. The lanes' totals are independent chains, and their divisions are most of an SMA's
/// time: on x86-64 with AVX (detected at run time) four lanes go in one vector of each
/// operation, IEEE's same operations lane by lane, so the same bits.
#[inline(always)]
fn lane_steps<const L: usize>(
    running: &mut [f64; L],
    divisors: &[f64; L],
    adds: &[&[f64]; L],
    drops: &[f64],
    // mutable only for the x86-64 path's borrow of all four lanes
    #[cfg_attr(not(target_arch = "x86_64"), allow(unused_mut))] mut outs: [&mut [f32]; L],
) {
    #[cfg(target_arch = "x86_64")]
    if let (Ok(running), Ok(divisors), Ok(adds), Ok(outs4)) = (
        <&mut [f64; 4]>::try_from(&mut running[..]),
        <&[f64; 4]>::try_from(&divisors[..]),
        <&[&[f64]; 4]>::try_from(&adds[..]),
        <&mut [&mut [f32]; 4]>::try_from(&mut outs[..]),
    ) && std::arch::is_x86_feature_detected!("avx")
    {
        // SAFETY: the CPU was just found to have AVX.
        unsafe { four_lane_steps_avx(running, divisors, adds, drops, outs4) };
        return;
    }
    for j in 0..drops.len() {
        for k in 0..L {
            outs[k][j] = step(&mut running[k], adds[k][j], drops[j], divisors[k]) as f32;
        }
    }
}

#[cfg(target_arch = "x86_64")]
#[target_feature(enable = "avx")]
fn four_lane_steps_avx(
    running: &mut [f64; 4],
    divisors: &[f64; 4],
    adds: &[&[f64]; 4],
    drops: &[f64],
    outs: &mut [&mut [f32]; 4],
) {
    use std::arch::x86_64::{
        _mm_cvtsd_f64, _mm_extract_ps, _mm_unpackhi_pd, _mm256_add_pd, _mm256_castpd256_pd128, _mm256_cvtpd_ps,
        _mm256_div_pd, _mm256_extractf128_pd, _mm256_set_pd, _mm256_set1_pd, _mm256_sub_pd,
    };
    let len = drops.len();
    let [a0, a1, a2, a3] = adds.map(|lane| &lane[..len]);
    let [o0, o1, o2, o3] = outs;
    let (o0, o1, o2, o3) = (&mut o0[..len], &mut o1[..len], &mut o2[..len], &mut o3[..len]);
    let lanes = |v: [f64; 4]| _mm256_set_pd(v[3], v[2], v[1], v[0]);
    let (mut total, period) = (lanes(*running), lanes(*divisors));
    for j in 0..len {
        total = _mm256_add_pd(total, _mm256_set_pd(a3[j], a2[j], a1[j], a0[j]));
        let mean = _mm256_cvtpd_ps(_mm256_div_pd(total, period));
        o0[j] = f32::from_bits(_mm_extract_ps::<0>(mean) as u32);
        o1[j] = f32::from_bits(_mm_extract_ps::<1>(mean) as u32);
        o2[j] = f32::from_bits(_mm_extract_ps::<2>(mean) as u32);
        o3[j] = f32::from_bits(_mm_extract_ps::<3>(mean) as u32);
        total = _mm256_sub_pd(total, _mm256_set1_pd(drops[j]));
    }
    let (low, high) = (_mm256_castpd256_pd128(total), _mm256_extractf128_pd::<1>(total));
    *running = [
        _mm_cvtsd_f64(low),
        _mm_cvtsd_f64(_mm_unpackhi_pd(low, low)),
        _mm_cvtsd_f64(high),
        _mm_cvtsd_f64(_mm_unpackhi_pd(high, high)),
    ];
}

impl From<Vec<f64>> for Series {
    fn from(exact: Vec<f64>) -> Self {
        Self {
            rounded: exact.iter().map(|&v| v as f32).collect(),
            exact: Exact::Values(exact),
        }
    }
}

impl Series {
    /// Several SMAs of `values` in one pass, each exactly [`super::sma`]'s. Each rolling
    /// sum is a chain of dependent additions; interleaving `L` independent chains lets the
    /// CPU run them side by side.
    pub fn smas<const L: usize>(values: &Arc<[f64]>, periods: [usize; L]) -> [Series; L] {
        let n = values.len();
        let has_values = |p: usize| 1 <= p && p <= n;
        if !periods.iter().all(|&p| has_values(p)) {
            return periods.map(|p| match has_values(p) {
                true => {
                    let [series] = Self::smas(values, [p]);
                    series
                }
                false => Self::rolling(values, p, spare::take(n), Vec::new()),
            });
        }
        let mut rounded = periods.map(|_| spare::take(n));
        let mut totals = periods.map(|p| Vec::with_capacity((n + 1 - p).div_ceil(CHECKPOINT)));
        let mut running = periods.map(|p| values[..p - 1].iter().sum::<f64>());
        let divisors = periods.map(|p| p as f64);
        let longest = periods.iter().copied().max().unwrap_or(n);
        // Step `j` of lane `k` adds `values[periods[k] - 1 + j]`, emits, and drops `values[j]`;
        // every lane takes steps `0..shared` together, a block of CHECKPOINT at a time, cut
        // into slices of one length so that the inner loop indexes without bounds checks.
        let shared = n + 1 - longest;
        for start in (0..shared).step_by(CHECKPOINT) {
            let len = CHECKPOINT.min(shared - start);
            for k in 0..L {
                totals[k].push(running[k]);
            }
            let adds: [&[f64]; L] = std::array::from_fn(|k| &values[periods[k] - 1 + start..][..len]);
            let outs: [&mut [f32]; L] = {
                let mut lanes = rounded.iter_mut().zip(periods);
                std::array::from_fn(|_| {
                    let (lane, period) = lanes.next().expect("one lane per period");
                    &mut lane[period - 1 + start..][..len]
                })
            };
            let drops = &values[start..][..len];
            lane_steps(&mut running, &divisors, &adds, drops, outs);
        }
        for k in 0..L {
            let (period, mut total) = (periods[k], running[k]);
            for j in shared..=n - period {
                if j % CHECKPOINT == 0 {
                    totals[k].push(total);
                }
                rounded[k][period - 1 + j] = step(&mut total, values[period - 1 + j], values[j], divisors[k]) as f32;
            }
        }
        let mut parts = rounded.into_iter().zip(totals).zip(periods);
        std::array::from_fn(|_| {
            let ((rounded, totals), period) = parts.next().expect("one part per period");
            Self::rolling(values, period, rounded, totals)
        })
    }

    fn rolling(values: &Arc<[f64]>, period: usize, rounded: Vec<f32>, totals: Vec<f64>) -> Self {
        Self {
            rounded,
            exact: Exact::RollingTotals {
                values: Arc::clone(values),
                period,
                totals,
            },
        }
    }

    /// A reader of exact values; reading forward, as a scan does, replays each step once.
    pub fn exact(&self) -> ExactValues<'_> {
        ExactValues {
            series: self,
            cursor: None,
        }
    }
}

pub struct ExactValues<'a> {
    series: &'a Series,
    /// The next step an SMA's replay would take and its rolling total before it.
    cursor: Option<(usize, f64)>,
}

impl ExactValues<'_> {
    /// The exact value at `i` (`NaN` before the first).
    pub fn at(&mut self, i: usize) -> f64 {
        let (values, period, totals) = match &self.series.exact {
            Exact::Values(values) => return values[i],
            Exact::RollingTotals { values, period, totals } => (values, *period, totals),
        };
        if totals.is_empty() || i + 1 < period {
            return f64::NAN;
        }
        let target = i + 1 - period;
        let checkpoint = target / CHECKPOINT;
        let (mut j, mut running) = match self.cursor {
            Some((j, running)) if checkpoint * CHECKPOINT <= j && j <= target => (j, running),
            _ => (checkpoint * CHECKPOINT, totals[checkpoint]),
        };
        loop {
            let mean = step(&mut running, values[period - 1 + j], values[j], period as f64);
            j += 1;
            if j > target {
                self.cursor = Some((j, running));
                return mean;
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use proptest::prelude::*;

    use super::*;
    use crate::indicators::sma;

    fn bits(values: &[f64]) -> Vec<u64> {
        values.iter().map(|v| v.to_bits()).collect()
    }

    fn exact_values(series: &Series, order: impl Iterator<Item = usize>) -> Vec<f64> {
        let mut exact = series.exact();
        let mut out = vec![0.0; series.rounded.len()];
        for i in order {
            out[i] = exact.at(i);
        }
        out
    }

    proptest! {
        /// Read forward, backward or at random, every exact value is `sma`'s bit for bit,
        /// and every rounded one its `f32`.
        #[test]
        fn smas_are_sma_bit_for_bit(
            values in prop::collection::vec(1.0f64..1e5, 0..1200),
            periods in prop::array::uniform4(0usize..700),
            picks in prop::collection::vec(any::<prop::sample::Index>(), 0..50),
        ) {
            let n = values.len();
            let shared: Arc<[f64]> = values.clone().into();
            for (series, &period) in Series::smas(&shared, periods).iter().zip(&periods) {
                let plain = sma(&values, period);
                let rounded = |values: &[f32]| values.iter().map(|v| v.to_bits()).collect::<Vec<_>>();
                let plain_rounded: Vec<f32> = plain.iter().map(|&v| v as f32).collect();
                prop_assert_eq!(rounded(&series.rounded), rounded(&plain_rounded));
                prop_assert_eq!(bits(&exact_values(series, 0..n)), bits(&plain));
                prop_assert_eq!(bits(&exact_values(series, (0..n).rev())), bits(&plain));
                let mut exact = series.exact();
                for pick in &picks {
                    if n > 0 {
                        let i = pick.index(n);
                        prop_assert_eq!(exact.at(i).to_bits(), plain[i].to_bits());
                    }
                }
            }
        }
    }

    #[test]
    fn kept_values_read_back_as_they_are() {
        let series = Series::from(vec![f64::NAN, 1.0 + 1e-12, 2.5]);
        assert_eq!(series.rounded[1], 1.0);
        let mut exact = series.exact();
        assert!(exact.at(0).is_nan());
        assert_eq!(exact.at(1), 1.0 + 1e-12);
    }

    /// A series written into a dropped one's buffer holds nothing of it: a shorter one
    /// after a longer, `NaN` where its SMA has no value yet.
    #[test]
    fn a_reused_buffer_starts_clean() {
        let long: Arc<[f64]> = (0..500).map(|i| 1000.0 + f64::from(i)).collect::<Vec<_>>().into();
        drop(Series::smas(&long, [2, 3, 5, 7]));
        let short: Vec<f64> = (0..40).map(|i| 50.0 - f64::from(i % 7)).collect();
        let shared: Arc<[f64]> = short.clone().into();
        for (series, period) in Series::smas(&shared, [20, 30, 9, 40]).iter().zip([20, 30, 9, 40]) {
            let plain: Vec<u32> = sma(&short, period).iter().map(|&v| (v as f32).to_bits()).collect();
            let rounded: Vec<u32> = series.rounded.iter().map(|v| v.to_bits()).collect();
            assert_eq!(rounded, plain, "period {period}");
        }
    }
}
