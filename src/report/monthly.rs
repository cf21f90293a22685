//! Returns per calendar month (UTC), the table every report prints under its equity chart.

use chrono::{DateTime, Datelike};

use crate::engine::EquityPoint;

/// One calendar year's returns: `months[0]` is January; `None` where the curve has no mark.
#[derive(Debug, Clone, PartialEq)]
pub struct YearReturns {
    pub year: i32,
    pub months: [Option<f64>; 12],
    /// The year's compounded return over the months it has.
    pub total: f64,
}

/// Each month's equity at its last mark over the previous month's (the first month's over
/// `initial`), grouped by year.
pub fn monthly_returns(curve: &[EquityPoint], initial: f64) -> Vec<YearReturns> {
    let mut years: Vec<YearReturns> = Vec::new();
    let mut previous = initial;
    let mut month_end: Option<((i32, u32), f64)> = None;
    let mut close_month = |years: &mut Vec<YearReturns>, (year, month): (i32, u32), equity: f64| {
        let r = equity / previous - 1.0;
        previous = equity;
        if years.last().is_none_or(|y| y.year != year) {
            years.push(YearReturns {
                year,
                months: [None; 12],
                total: 0.0,
            });
        }
        let row = years.last_mut().expect("pushed above");
        row.months[month as usize - 1] = Some(r);
        row.total = (1.0 + row.total) * (1.0 + r) - 1.0;
    };
    for p in curve {
        let Some(t) = DateTime::from_timestamp_millis(p.time) else {
            continue;
        };
        let key = (t.year(), t.month());
        if let Some((open, equity)) = month_end
            && open != key
        {
            close_month(&mut years, open, equity);
        }
        month_end = Some((key, p.equity));
    }
    if let Some((open, equity)) = month_end {
        close_month(&mut years, open, equity);
    }
    years
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::time::parse_instant_ms;

    fn at(date: &str, equity: f64) -> EquityPoint {
        EquityPoint {
            time: parse_instant_ms(date).unwrap(),
            equity,
        }
    }

    #[test]
    fn months_close_on_their_last_mark_and_years_compound() {
        let curve = [
            at("2024-12-30", 1000.0),
            at("2024-12-31T23:45:00Z", 1100.0),
            at("2025-01-15", 900.0),
            at("2025-01-31", 990.0),
            // February has no mark: a gap in the data, not a zero return
            at("2025-03-02", 1188.0),
        ];
        let years = monthly_returns(&curve, 1000.0);
        assert_eq!(years.len(), 2);
        assert_eq!(years[0].year, 2024);
        assert!((years[0].months[11].unwrap() - 0.1).abs() < 1e-12);
        assert_eq!(years[0].months[..11], [None; 11]);
        assert!((years[0].total - 0.1).abs() < 1e-12);
        let y = &years[1];
        assert!((y.months[0].unwrap() - (990.0 / 1100.0 - 1.0)).abs() < 1e-12);
        assert_eq!(y.months[1], None);
        assert!((y.months[2].unwrap() - 0.2).abs() < 1e-12);
        assert!((y.total - (1188.0 / 1100.0 - 1.0)).abs() < 1e-12);
    }

    #[test]
    fn an_empty_curve_has_no_months() {
        assert!(monthly_returns(&[], 1000.0).is_empty());
    }
}
