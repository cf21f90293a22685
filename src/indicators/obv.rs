/// TA-Lib's `OBV`: starts at the first candle's volume, then adds the volume of a candle
/// closing higher and subtracts that of one closing lower. First at index 0.
pub fn obv(close: &[f64], volume: &[f64]) -> Vec<f64> {
    let mut out = Vec::with_capacity(close.len());
    let Some(&first) = volume.first() else {
        return out;
    };
    let mut total = first;
    out.push(total);
    for i in 1..close.len() {
        if close[i] > close[i - 1] {
            total += volume[i];
        } else if close[i] < close[i - 1] {
            total -= volume[i];
        }
        out.push(total);
    }
    out
}

#[cfg(test)]
mod tests {
    #[test]
    fn volume_signed_by_the_close() {
        assert_eq!(
            super::obv(&[1.0, 2.0, 2.0, 1.0], &[5.0, 3.0, 4.0, 1.0]),
            vec![5.0, 8.0, 8.0, 7.0]
        );
    }
}
