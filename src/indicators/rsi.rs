/// Wilder's RSI as TA-Lib computes it: average gain and loss seeded with the simple mean of
/// the first `period` changes, then `avg = (avg * (period - 1) + x) / period`; first value at
/// index `period`. `RSI = 100 * gain / (gain + loss)` (TA-Lib's form of
/// `100 - 100 / (1 + gain / loss)`), and 100 when the average loss is 0: the spec's rule,
/// which also covers a window of unchanged prices, where TA-Lib would print 0.
pub fn rsi(values: &[f64], period: usize) -> Vec<f64> {
    let mut out = vec![f64::NAN; values.len()];
    if period == 0 || values.len() <= period {
        return out;
    }
    let n = period as f64;
    let (mut gain, mut loss) = (0.0, 0.0);
    for i in 1..=period {
        let change = values[i] - values[i - 1];
        if change < 0.0 {
            loss -= change;
        } else {
            gain += change;
        }
    }
    gain /= n;
    loss /= n;
    out[period] = value(gain, loss);
    for i in period + 1..values.len() {
        let change = values[i] - values[i - 1];
        gain *= n - 1.0;
        loss *= n - 1.0;
        if change < 0.0 {
            loss -= change;
        } else {
            gain += change;
        }
        gain /= n;
        loss /= n;
        out[i] = value(gain, loss);
    }
    out
}

fn value(gain: f64, loss: f64) -> f64 {
    if loss == 0.0 {
        100.0
    } else {
        100.0 * (gain / (gain + loss))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn edge_cases() {
        let rising = rsi(&[1.0, 2.0, 3.0, 4.0], 2);
        assert!(rising[..2].iter().all(|v| v.is_nan()));
        assert_eq!(&rising[2..], &[100.0, 100.0]);
        assert_eq!(rsi(&[4.0, 3.0, 2.0, 1.0], 2)[3], 0.0);
        assert_eq!(rsi(&[5.0, 5.0, 5.0], 2)[2], 100.0);
        // gains 1, losses 1 over two changes: 50.
        assert_eq!(rsi(&[1.0, 2.0, 1.0], 2)[2], 50.0);
    }
}
