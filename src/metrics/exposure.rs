/// The fraction of candles whose close is marked with a position open (a position closed
/// at the last candle's close counts there, as it was held through that candle).
/// Edge case: `None` with no candle.
pub fn exposure(candles_held: usize, candles: usize) -> Option<f64> {
    (candles > 0).then(|| candles_held as f64 / candles as f64)
}

#[cfg(test)]
mod tests {
    #[test]
    fn by_hand() {
        assert_eq!(super::exposure(3, 12), Some(0.25));
        assert_eq!(super::exposure(0, 5), Some(0.0));
        assert_eq!(super::exposure(0, 0), None);
    }
}
