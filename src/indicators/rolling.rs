//! TA-Lib's `MAX`, `MIN` and `SUM` over the last `period` values; first at `period - 1`.

/// The highest of the last `period` values (a monotone deque: O(n) whatever the period).
pub fn highest(values: &[f64], period: usize) -> Vec<f64> {
    extreme(values, period, |new, kept| new >= kept)
}

/// The lowest of the last `period` values.
pub fn lowest(values: &[f64], period: usize) -> Vec<f64> {
    extreme(values, period, |new, kept| new <= kept)
}

fn extreme(values: &[f64], period: usize, dominates: impl Fn(f64, f64) -> bool) -> Vec<f64> {
    let n = values.len();
    let mut out = vec![f64::NAN; n];
    if period == 0 {
        return out;
    }
    let mut window = std::collections::VecDeque::with_capacity(period + 1);
    let mut nans_in_window = 0;
    for i in 0..n {
        nans_in_window += usize::from(values[i].is_nan());
        if i >= period {
            nans_in_window -= usize::from(values[i - period].is_nan());
        }
        while window.back().is_some_and(|&j: &usize| dominates(values[i], values[j])) {
            window.pop_back();
        }
        window.push_back(i);
        if window[0] + period <= i {
            window.pop_front();
        }
        if i + 1 >= period {
            // A NaN in the window makes the extreme NaN, as it does in TA-Lib.
            out[i] = if nans_in_window > 0 {
                f64::NAN
            } else {
                values[window[0]]
            };
        }
    }
    out
}

/// The sum of the last `period` values, a running total as TA-Lib keeps it.
pub fn sum(values: &[f64], period: usize) -> Vec<f64> {
    let n = values.len();
    let mut out = vec![f64::NAN; n];
    if period == 0 || n < period {
        return out;
    }
    let mut total: f64 = values[..period - 1].iter().sum();
    for i in period - 1..n {
        total += values[i];
        out[i] = total;
        total -= values[i + 1 - period];
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn windows_of_the_last_values() {
        let v = [3.0, 1.0, 4.0, 1.0, 5.0, 9.0, 2.0];
        assert_eq!(&highest(&v, 3)[2..], &[4.0, 4.0, 5.0, 9.0, 9.0]);
        assert_eq!(&lowest(&v, 3)[2..], &[1.0, 1.0, 1.0, 1.0, 2.0]);
        assert_eq!(&sum(&v, 2)[1..], &[4.0, 5.0, 5.0, 6.0, 14.0, 11.0]);
        assert!(highest(&v, 3)[1].is_nan());
    }
}
