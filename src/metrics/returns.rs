/// `final / initial - 1`.
pub fn total_return(initial: f64, final_equity: f64) -> f64 {
    final_equity / initial - 1.0
}

/// `(final / initial)^(365 / span_days) - 1`, the compound annual growth rate over the
/// span from the first candle's open to the last candle's close.
///
/// Edge cases: a non-positive span gives 0; a final equity at or below 0 gives -1 (all was
/// lost). `libm::pow` keeps the figure bit-identical on every target.
pub fn annualized_return(initial: f64, final_equity: f64, span_days: f64) -> f64 {
    if span_days <= 0.0 {
        return 0.0;
    }
    if final_equity <= 0.0 {
        return -1.0;
    }
    libm::pow(final_equity / initial, 365.0 / span_days) - 1.0
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn compounds_to_a_year() {
        assert_eq!(total_return(100.0, 110.0), 0.10000000000000009);
        assert!((annualized_return(100.0, 110.0, 365.0) - 0.1).abs() < 1e-12);
        assert!((annualized_return(100.0, 121.0, 730.0) - 0.1).abs() < 1e-12);
        assert!((annualized_return(100.0, 105.0, 182.5) - 0.1025).abs() < 1e-12);
        assert_eq!(annualized_return(100.0, 0.0, 10.0), -1.0);
        assert_eq!(annualized_return(100.0, 110.0, 0.0), 0.0);
    }
}
