//! Wilder's directional movement as TA-Lib computes it: `PLUS_DI`, `MINUS_DI` (first at
//! `period`) and `ADX` (first at `2 period - 1`), each smoothing summed DM and true range.

use super::trange::true_range;

/// Each candle's +DM and -DM against the one before (index 0 has none).
fn movements(high: &[f64], low: &[f64], i: usize) -> (f64, f64) {
    let up = high[i] - high[i - 1];
    let down = low[i - 1] - low[i];
    let plus = if up > 0.0 && up > down { up } else { 0.0 };
    let minus = if down > 0.0 && up < down { down } else { 0.0 };
    (plus, minus)
}

/// TA-Lib's zero test on a total.
fn is_zero(v: f64) -> bool {
    -1e-14 < v && v < 1e-14
}

/// Wilder-smoothed +DM, -DM and true range at every candle from `period - 1` on (summed
/// over the first `period - 1` moves, then `total - total / period + new`).
fn smoothed(high: &[f64], low: &[f64], close: &[f64], period: usize) -> Vec<(f64, f64, f64)> {
    let n = close.len();
    let p = period as f64;
    let mut out = vec![(f64::NAN, f64::NAN, f64::NAN); n];
    let (mut plus, mut minus, mut range) = (0.0, 0.0, 0.0);
    for i in 1..n {
        let (up, down) = movements(high, low, i);
        let tr = true_range(high[i], low[i], close[i - 1]);
        if i < period {
            plus += up;
            minus += down;
            range += tr;
        } else {
            plus = plus - plus / p + up;
            minus = minus - minus / p + down;
            range = range - range / p + tr;
        }
        if i + 1 >= period {
            out[i] = (plus, minus, range);
        }
    }
    out
}

fn directional(high: &[f64], low: &[f64], close: &[f64], period: usize, pick: fn(f64, f64) -> f64) -> Vec<f64> {
    let n = close.len();
    if period == 0 || n <= period {
        return vec![f64::NAN; n];
    }
    let totals = smoothed(high, low, close, period);
    (0..n)
        .map(|i| match i >= period {
            true => {
                let (plus, minus, range) = totals[i];
                // TA-Lib gives period 1 as the plain ratio, not in percent.
                let scale = if period == 1 { 1.0 } else { 100.0 };
                if is_zero(range) {
                    0.0
                } else {
                    scale * (pick(plus, minus) / range)
                }
            }
            false => f64::NAN,
        })
        .collect()
}

/// TA-Lib's `PLUS_DI(period)`.
pub fn plus_di(high: &[f64], low: &[f64], close: &[f64], period: usize) -> Vec<f64> {
    directional(high, low, close, period, |plus, _| plus)
}

/// TA-Lib's `MINUS_DI(period)`.
pub fn minus_di(high: &[f64], low: &[f64], close: &[f64], period: usize) -> Vec<f64> {
    directional(high, low, close, period, |_, minus| minus)
}

/// TA-Lib's `ADX(period)`: the mean of the first `period` DX values, then Wilder-smoothed.
pub fn adx(high: &[f64], low: &[f64], close: &[f64], period: usize) -> Vec<f64> {
    let n = close.len();
    let mut out = vec![f64::NAN; n];
    if period == 0 || n < 2 * period {
        return out;
    }
    let p = period as f64;
    let totals = smoothed(high, low, close, period);
    // DX where it has one; a candle with no range or no movement keeps the previous ADX.
    let dx = |i: usize| {
        let (plus, minus, range) = totals[i];
        if is_zero(range) {
            return None;
        }
        let (plus_di, minus_di) = (100.0 * (plus / range), 100.0 * (minus / range));
        let sum = minus_di + plus_di;
        (!is_zero(sum)).then(|| 100.0 * ((minus_di - plus_di).abs() / sum))
    };
    let mut total = 0.0;
    for i in period..2 * period {
        total += dx(i).unwrap_or(0.0);
    }
    let mut average = total / p;
    out[2 * period - 1] = average;
    for (i, out) in out.iter_mut().enumerate().skip(2 * period) {
        if let Some(dx) = dx(i) {
            average = (average * (p - 1.0) + dx) / p;
        }
        *out = average;
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_steady_rise_is_all_plus() {
        let high: Vec<f64> = (0..12).map(|i| 10.0 + f64::from(i)).collect();
        let low: Vec<f64> = high.iter().map(|h| h - 1.0).collect();
        let close: Vec<f64> = high.iter().map(|h| h - 0.5).collect();
        let plus = plus_di(&high, &low, &close, 3);
        let minus = minus_di(&high, &low, &close, 3);
        assert!(plus[2].is_nan() && !plus[3].is_nan());
        assert_eq!(minus[5], 0.0);
        let adx = adx(&high, &low, &close, 3);
        assert!(adx[4].is_nan());
        assert!((adx[5] - 100.0).abs() < 1e-9 && (adx[11] - 100.0).abs() < 1e-9);
    }
}
