/// `annualized_return / max_drawdown`. Edge case: `None` when there was no drawdown.
pub fn calmar_ratio(annualized_return: f64, max_drawdown: f64) -> Option<f64> {
    (max_drawdown > 0.0).then(|| annualized_return / max_drawdown)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn by_hand() {
        assert_eq!(calmar_ratio(0.3, 0.1), Some(0.3 / 0.1));
        assert_eq!(calmar_ratio(-0.2, 0.4), Some(-0.5));
        assert_eq!(calmar_ratio(0.3, 0.0), None);
    }
}
