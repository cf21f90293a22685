//! A result's equity curve brought to what overfitting statistics read: returns per
//! calendar period (UTC days by default), and the stored short curve.

use crate::engine::EquityPoint;

pub const DAY_MS: i64 = 86_400_000;

/// Returns per period of `period_ms`: the equity at the last mark of each period over that
/// of the previous period (the first over `initial`). Periods without a mark (gaps in the
/// data) have no entry. Returns the start of the first period and the returns.
pub fn period_returns(curve: &[EquityPoint], initial: f64, period_ms: i64) -> (i64, Vec<f64>) {
    let Some(first) = curve.first() else {
        return (0, Vec::new());
    };
    let mut returns = Vec::new();
    let mut previous = initial;
    let mut period = first.time.div_euclid(period_ms);
    let mut last_equity = first.equity;
    for p in curve {
        let this = p.time.div_euclid(period_ms);
        if this != period {
            returns.push(last_equity / previous - 1.0);
            previous = last_equity;
            period = this;
        }
        last_equity = p.equity;
    }
    returns.push(last_equity / previous - 1.0);
    (first.time.div_euclid(period_ms) * period_ms, returns)
}

/// The curve a run with `Detail::summary(points)` keeps, taken from a full curve (one
/// point per candle): every `step`-th point and the last.
pub fn downsample(full: &[EquityPoint], points: usize) -> Vec<EquityPoint> {
    let step = full.len().div_ceil(points.max(1)).max(1);
    let mut out: Vec<EquityPoint> = full.iter().step_by(step).copied().collect();
    if let Some(last) = full.last()
        && out.last().is_none_or(|p| p.time != last.time)
    {
        out.push(*last);
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn point(hour: i64, equity: f64) -> EquityPoint {
        EquityPoint {
            time: hour * 3_600_000,
            equity,
        }
    }

    #[test]
    fn days_close_on_their_last_mark() {
        let curve = [
            point(0, 100.0),
            point(23, 110.0),
            point(24, 90.0),
            point(47, 99.0),
            point(72, 99.0),
        ];
        let (start, r) = period_returns(&curve, 100.0, DAY_MS);
        assert_eq!(start, 0);
        assert_eq!(r.len(), 3, "day 2 has no mark");
        assert!((r[0] - 0.10).abs() < 1e-12);
        assert!((r[1] - (99.0 / 110.0 - 1.0)).abs() < 1e-12);
        assert_eq!(r[2], 0.0);
    }
}
