/// TA-Lib's `KAMA(period)`: Kaufman's adaptive average, an EMA whose factor follows the
/// efficiency ratio (net change over the sum of absolute changes of `period` candles),
/// between the factors of EMA(2) and EMA(30); first value at `period`. The steps and the
/// seed (the previous close) are TA-Lib's.
pub fn kama(values: &[f64], period: usize) -> Vec<f64> {
    let n = values.len();
    let mut out = vec![f64::NAN; n];
    if period == 0 || n <= period {
        return out;
    }
    let fastest = 2.0 / 3.0;
    let slowest = 2.0 / 31.0;
    let factor = |net: f64, path: f64| {
        let ratio = if path <= net || path.abs() < 1e-14 {
            1.0
        } else {
            (net / path).abs()
        };
        let f = ratio * (fastest - slowest) + slowest;
        f * f
    };
    let mut path = 0.0;
    for i in 0..period {
        path += (values[i] - values[i + 1]).abs();
    }
    let mut kama = values[period - 1];
    let mut today = period;
    let mut trailing_value = values[0];
    kama += (values[today] - kama) * factor(values[today] - values[0], path);
    out[today] = kama;
    today += 1;
    while today < n {
        let newest = values[today];
        let trailing = values[today - period];
        path -= (trailing_value - trailing).abs();
        path += (newest - values[today - 1]).abs();
        trailing_value = trailing;
        kama += (newest - kama) * factor(newest - trailing, path);
        out[today] = kama;
        today += 1;
    }
    out
}

#[cfg(test)]
mod tests {
    #[test]
    fn a_straight_trend_moves_at_the_fastest_factor() {
        let out = super::kama(&[1.0, 2.0, 3.0, 4.0], 2);
        assert!(out[1].is_nan());
        // Efficiency 1: factor (2/3)^2 from the previous close.
        assert!((out[2] - (2.0 + (3.0 - 2.0) * (4.0 / 9.0))).abs() < 1e-12);
    }
}
