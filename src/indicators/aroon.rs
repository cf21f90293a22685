/// TA-Lib's `AROON(period)`.
pub struct Aroon {
    pub up: Vec<f64>,
    pub down: Vec<f64>,
}

/// `100 (period - candles since the highest high) / period` over the last `period + 1`
/// candles (the latest of equal highs counts, as in TA-Lib), and the same for the lowest
/// low; first at `period`.
pub fn aroon(high: &[f64], low: &[f64], period: usize) -> Aroon {
    let n = high.len();
    let mut up = vec![f64::NAN; n];
    let mut down = vec![f64::NAN; n];
    if period == 0 || n <= period {
        return Aroon { up, down };
    }
    let factor = 100.0 / period as f64;
    for today in period..n {
        let window = today - period..=today;
        let highest = window
            .clone()
            .fold(today - period, |best, i| if high[i] >= high[best] { i } else { best });
        let lowest = window.fold(today - period, |best, i| if low[i] <= low[best] { i } else { best });
        up[today] = factor * (period - (today - highest)) as f64;
        down[today] = factor * (period - (today - lowest)) as f64;
    }
    Aroon { up, down }
}

#[cfg(test)]
mod tests {
    #[test]
    fn candles_since_the_extremes() {
        let a = super::aroon(&[1.0, 5.0, 2.0, 3.0], &[1.0, 0.5, 2.0, 3.0], 2);
        assert!(a.up[1].is_nan());
        assert_eq!((a.up[2], a.down[2]), (50.0, 50.0));
        assert_eq!((a.up[3], a.down[3]), (0.0, 0.0));
    }
}
