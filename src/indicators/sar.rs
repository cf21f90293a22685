/// TA-Lib's `SAR(acceleration, maximum)`: Wilder's parabolic stop and reverse, step by step
/// as TA-Lib takes it (the first direction from the first two candles' directional
/// movement, each stop kept outside the last two candles' range). First at index 1.
pub fn sar(high: &[f64], low: &[f64], acceleration: f64, maximum: f64) -> Vec<f64> {
    let n = high.len();
    let mut out = vec![f64::NAN; n];
    if n < 2 {
        return out;
    }
    let step = acceleration.min(maximum);
    let mut af = step;
    let up = high[1] - high[0];
    let down = low[0] - low[1];
    let mut long = !(down > 0.0 && up < down);
    let (mut ep, mut sar) = if long { (high[1], low[0]) } else { (low[1], high[0]) };
    let (mut new_low, mut new_high) = (low[1], high[1]);
    for today in 1..n {
        let (prev_low, prev_high) = (new_low, new_high);
        new_low = low[today];
        new_high = high[today];
        if long {
            if new_low <= sar {
                long = false;
                sar = ep.max(prev_high).max(new_high);
                out[today] = sar;
                af = step;
                ep = new_low;
                sar += af * (ep - sar);
                sar = sar.max(prev_high).max(new_high);
            } else {
                out[today] = sar;
                if new_high > ep {
                    ep = new_high;
                    af = (af + step).min(maximum);
                }
                sar += af * (ep - sar);
                sar = sar.min(prev_low).min(new_low);
            }
        } else if new_high >= sar {
            long = true;
            sar = ep.min(prev_low).min(new_low);
            out[today] = sar;
            af = step;
            ep = new_high;
            sar += af * (ep - sar);
            sar = sar.min(prev_low).min(new_low);
        } else {
            out[today] = sar;
            if new_low < ep {
                ep = new_low;
                af = (af + step).min(maximum);
            }
            sar += af * (ep - sar);
            sar = sar.max(prev_high).max(new_high);
        }
    }
    out
}

#[cfg(test)]
mod tests {
    #[test]
    fn a_rise_keeps_the_stop_below() {
        let high: Vec<f64> = (0..10).map(|i| 10.0 + f64::from(i)).collect();
        let low: Vec<f64> = high.iter().map(|h| h - 1.0).collect();
        let out = super::sar(&high, &low, 0.02, 0.2);
        assert!(out[0].is_nan());
        assert_eq!(out[1], 9.0);
        assert!((1..10).all(|i| out[i] < low[i]));
    }
}
