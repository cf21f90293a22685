//! The moments of a return series that the probabilistic Sharpe ratio needs.

/// Mean, standard deviation (ddof = 1, as the engine's Sharpe) and the population skewness
/// and (non-excess) kurtosis of returns, as Bailey & López de Prado use them (a normal
/// series has skewness 0 and kurtosis 3).
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Moments {
    pub count: usize,
    pub mean: f64,
    pub std_dev: f64,
    pub skewness: f64,
    pub kurtosis: f64,
}

impl Moments {
    /// `None` for fewer than two returns or returns that never vary (no Sharpe exists).
    pub fn of(returns: &[f64]) -> Option<Self> {
        let n = returns.len();
        if n < 2 {
            return None;
        }
        let count = n as f64;
        let mean = returns.iter().sum::<f64>() / count;
        let (mut m2, mut m3, mut m4) = (0.0, 0.0, 0.0);
        for &r in returns {
            let d = r - mean;
            let d2 = d * d;
            m2 += d2;
            m3 += d2 * d;
            m4 += d2 * d2;
        }
        if m2 <= 0.0 {
            return None;
        }
        let (m2, m3, m4) = (m2 / count, m3 / count, m4 / count);
        Some(Moments {
            count: n,
            mean,
            std_dev: (m2 * count / (count - 1.0)).sqrt(),
            skewness: m3 / m2.powf(1.5),
            kurtosis: m4 / (m2 * m2),
        })
    }

    /// The per-period Sharpe ratio `mean / std`.
    pub fn sharpe(&self) -> f64 {
        self.mean / self.std_dev
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn symmetric_series_has_no_skew() {
        let m = Moments::of(&[-2.0, -1.0, 0.0, 1.0, 2.0]).unwrap();
        assert_eq!(m.mean, 0.0);
        assert_eq!(m.skewness, 0.0);
        // population variance 2, fourth moment 6.8: kurtosis 1.7
        assert!((m.kurtosis - 1.7).abs() < 1e-12);
        assert!((m.std_dev - 2.5f64.sqrt()).abs() < 1e-12);
    }

    #[test]
    fn a_right_tail_is_positive_skew() {
        assert!(Moments::of(&[0.0, 0.0, 0.0, 0.0, 10.0]).unwrap().skewness > 1.0);
    }

    #[test]
    fn constant_or_short_series_have_none() {
        assert_eq!(Moments::of(&[1.0, 1.0, 1.0]), None);
        assert_eq!(Moments::of(&[1.0]), None);
    }
}
