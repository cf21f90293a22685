/// TA-Lib's `MFI(period)`: the money flow index, `100 positive / (positive + negative)` of
/// the typical price times volume over `period` candles, by the direction of the typical
/// price; 0 when the total flow is under 1 (as TA-Lib). Running totals as TA-Lib keeps
/// them; first at `period`.
pub fn mfi(high: &[f64], low: &[f64], close: &[f64], volume: &[f64], period: usize) -> Vec<f64> {
    let n = close.len();
    let mut out = vec![f64::NAN; n];
    if period == 0 || n <= period {
        return out;
    }
    let typical = |i: usize| (high[i] + low[i] + close[i]) / 3.0;
    // Each candle's flow as (positive, negative), from candle 1 on.
    let flow = |i: usize| {
        let (now, before) = (typical(i), typical(i - 1));
        let money = now * volume[i];
        if now - before < 0.0 {
            (0.0, money)
        } else if now - before > 0.0 {
            (money, 0.0)
        } else {
            (0.0, 0.0)
        }
    };
    let (mut positive, mut negative) = (0.0, 0.0);
    for i in 1..=period {
        let (p, m) = flow(i);
        positive += p;
        negative += m;
    }
    let index = |positive: f64, negative: f64| {
        let total = positive + negative;
        if total < 1.0 { 0.0 } else { 100.0 * (positive / total) }
    };
    out[period] = index(positive, negative);
    for (i, out) in out.iter_mut().enumerate().skip(period + 1) {
        let (old_p, old_m) = flow(i - period);
        positive -= old_p;
        negative -= old_m;
        let (p, m) = flow(i);
        positive += p;
        negative += m;
        *out = index(positive, negative);
    }
    out
}

#[cfg(test)]
mod tests {
    #[test]
    fn only_rising_flow_is_100() {
        let c = [1.0, 2.0, 3.0, 4.0];
        let out = super::mfi(&c, &c, &c, &[10.0; 4], 2);
        assert!(out[1].is_nan());
        assert_eq!(out[2], 100.0);
        let out = super::mfi(&c, &c, &c, &[0.1; 4], 2);
        assert_eq!(out[3], 0.0); // total flow under 1
    }
}
