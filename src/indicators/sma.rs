/// Simple moving average: the mean of the last `period` values, first at index `period - 1`.
/// A rolling sum as TA-Lib keeps it (add the newest, emit, drop the oldest).
pub fn sma(values: &[f64], period: usize) -> Vec<f64> {
    let mut out = vec![f64::NAN; values.len()];
    if period == 0 || values.len() < period {
        return out;
    }
    let mut total: f64 = values[..period - 1].iter().sum();
    for i in period - 1..values.len() {
        total += values[i];
        out[i] = total / period as f64;
        total -= values[i + 1 - period];
    }
    out
}

/// Several SMAs in one pass, bit for bit as [`sma`]: each rolling sum is a chain of
/// dependent additions, and interleaving independent chains lets the CPU run them side by
/// side (a sweep over many periods computes its SMAs about `L` times faster).
pub fn smas<const L: usize>(values: &[f64], periods: [usize; L]) -> [Vec<f64>; L] {
    let n = values.len();
    if periods.iter().any(|&p| p == 0 || p > n) {
        return periods.map(|p| sma(values, p));
    }
    let mut out = periods.map(|_| vec![f64::NAN; n]);
    let mut totals = periods.map(|p| values[..p - 1].iter().sum::<f64>());
    let longest = periods.iter().copied().max().unwrap_or(n);
    // Step `j` drops `values[j]` from every lane; lane `k` adds `values[periods[k] - 1 + j]`.
    let mut step = |k: usize, j: usize| {
        let i = periods[k] - 1 + j;
        totals[k] += values[i];
        out[k][i] = totals[k] / periods[k] as f64;
        totals[k] -= values[j];
    };
    for j in 0..=n - longest {
        for k in 0..L {
            step(k, j);
        }
    }
    for (k, period) in periods.into_iter().enumerate() {
        for j in n - longest + 1..=n - period {
            step(k, j);
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn warm_up_then_means() {
        let out = sma(&[1.0, 2.0, 3.0, 4.0, 5.0], 3);
        assert!(out[0].is_nan() && out[1].is_nan());
        assert_eq!(&out[2..], &[2.0, 3.0, 4.0]);
        assert_eq!(sma(&[7.0, 9.0], 1), vec![7.0, 9.0]);
        assert!(sma(&[1.0, 2.0], 3).iter().all(|v| v.is_nan()));
    }

    #[test]
    fn several_at_once_are_bit_for_bit_the_same() {
        let values: Vec<f64> = (0..500).map(|i| 100.0 + (f64::from(i) * 0.37).sin() * 9.1).collect();
        for periods in [[1, 2, 3, 4], [50, 7, 200, 13], [499, 500, 3, 1], [600, 5, 6, 7]] {
            let together = smas(&values, periods);
            for (k, &p) in periods.iter().enumerate() {
                let alone = sma(&values, p);
                let same = alone.iter().zip(&together[k]).all(|(a, b)| a.to_bits() == b.to_bits());
                assert!(same, "period {p}");
            }
        }
    }
}
