use super::sum;

/// btlab's `vwap(period)` (not in TA-Lib): `sum(hlc3 * volume, period) / sum(volume, period)`
/// with TA-Lib's `SUM`; first at `period - 1`, NaN where the volume sums to 0.
pub fn vwap(high: &[f64], low: &[f64], close: &[f64], volume: &[f64], period: usize) -> Vec<f64> {
    let weighted: Vec<f64> = (0..close.len())
        .map(|i| (high[i] + low[i] + close[i]) / 3.0 * volume[i])
        .collect();
    let (prices, volumes) = (sum(&weighted, period), sum(volume, period));
    prices
        .iter()
        .zip(&volumes)
        .map(|(p, v)| if *v == 0.0 { f64::NAN } else { p / v })
        .collect()
}

#[cfg(test)]
mod tests {
    #[test]
    fn volume_weighted_typical_price() {
        let out = super::vwap(&[2.0, 4.0], &[2.0, 4.0], &[2.0, 4.0], &[1.0, 3.0], 2);
        assert!(out[0].is_nan());
        assert_eq!(out[1], (2.0 + 12.0) / 4.0);
    }
}
