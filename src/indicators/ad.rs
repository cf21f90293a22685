/// TA-Lib's `AD`: the Chaikin accumulation/distribution line, the running total of
/// `((close - low) - (high - close)) / (high - low) * volume` (nothing for a candle with no
/// range). First at index 0.
pub fn ad(high: &[f64], low: &[f64], close: &[f64], volume: &[f64]) -> Vec<f64> {
    let mut total = 0.0;
    (0..close.len())
        .map(|i| {
            let range = high[i] - low[i];
            if range > 0.0 {
                total += (((close[i] - low[i]) - (high[i] - close[i])) / range) * volume[i];
            }
            total
        })
        .collect()
}

#[cfg(test)]
mod tests {
    #[test]
    fn a_close_at_the_high_adds_all_volume() {
        assert_eq!(
            super::ad(&[2.0, 2.0, 3.0], &[1.0, 2.0, 1.0], &[2.0, 2.0, 1.0], &[10.0, 7.0, 4.0]),
            vec![10.0, 10.0, 6.0]
        );
    }
}
