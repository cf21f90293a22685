use super::ema::ema_seeded_at;

/// TA-Lib's MACD: line, signal and histogram, all starting at index
/// `slow - 1 + signal - 1`, `NaN` before.
#[derive(Debug, Clone, PartialEq)]
pub struct Macd {
    pub line: Vec<f64>,
    pub signal: Vec<f64>,
    pub histogram: Vec<f64>,
}

/// As TA-Lib's `TA_MACD`: both EMAs start where the slow one can (index `slow - 1`), so the
/// fast EMA is seeded with the mean of the `fast` closes ending there, not at `fast - 1`;
/// the signal is an EMA of the line seeded with the mean of its first `signal` values.
/// TA-Lib swaps `fast` and `slow` when given in the wrong order; so does this.
pub fn macd(values: &[f64], fast: usize, slow: usize, signal: usize) -> Macd {
    let n = values.len();
    let (fast, slow) = if slow < fast { (slow, fast) } else { (fast, slow) };
    let nan = || vec![f64::NAN; n];
    let first = (slow + signal).saturating_sub(2);
    if fast == 0 || signal == 0 || first >= n {
        return Macd {
            line: nan(),
            signal: nan(),
            histogram: nan(),
        };
    }
    let fast_ema = ema_seeded_at(values, fast, slow - 1);
    let slow_ema = ema_seeded_at(values, slow, slow - 1);
    let mut line: Vec<f64> = fast_ema.iter().zip(&slow_ema).map(|(f, s)| f - s).collect();
    // The signal EMA runs over the line from index slow - 1 on.
    let mut signal_line = nan();
    signal_line[slow - 1..].copy_from_slice(&ema_seeded_at(&line[slow - 1..], signal, signal - 1));
    line[..first].fill(f64::NAN);
    let histogram = line.iter().zip(&signal_line).map(|(l, s)| l - s).collect();
    Macd {
        line,
        signal: signal_line,
        histogram,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn outputs_start_together() {
        let values: Vec<f64> = (0..40).map(|i| (i as f64 * 0.7).sin() * 10.0 + 100.0).collect();
        let m = macd(&values, 3, 6, 4);
        let first = 6 - 1 + 4 - 1;
        for series in [&m.line, &m.signal, &m.histogram] {
            assert!(series[..first].iter().all(|v| v.is_nan()));
            assert!(series[first..].iter().all(|v| v.is_finite()));
        }
        assert_eq!(m.line[first] - m.signal[first], m.histogram[first]);
        let swapped = macd(&values, 6, 3, 4);
        assert_eq!(swapped.histogram[first..], m.histogram[first..]);
        assert!(macd(&values[..8], 3, 6, 4).line.iter().all(|v| v.is_nan()));
    }
}
