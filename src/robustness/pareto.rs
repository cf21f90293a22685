//! Pareto fronts: the experiments no other beats on every objective at once, when two
//! goals conflict (a higher Sharpe ratio and a shallower drawdown).
//!
//! Edge cases: a point with a missing (null) or NaN objective takes no part; equal points
//! do not dominate each other, so all of them are on the front; one objective gives the
//! points tied at its best.

use crate::error::{Error, Result};
use crate::metrics::Metric;

/// Whether `a` dominates `b`: at least as good on every objective and better on one (both
/// oriented so that higher is better).
pub fn dominates(a: &[f64], b: &[f64]) -> bool {
    let mut better = false;
    for (x, y) in a.iter().zip(b) {
        if x < y {
            return false;
        }
        better |= x > y;
    }
    better
}

/// The indices of `points` (each oriented, higher better) on the front, best first by the
/// first objective. Points sorted by their objectives, best first, can only be dominated
/// by one before them, and then by one already on the front (dominance is transitive), so
/// each is compared with the front only.
pub fn pareto_front(points: &[Vec<f64>]) -> Vec<usize> {
    let mut order: Vec<usize> = (0..points.len())
        .filter(|&i| points[i].iter().all(|v| !v.is_nan()))
        .collect();
    order.sort_by(|&a, &b| {
        points[b]
            .iter()
            .zip(&points[a])
            .map(|(x, y)| x.total_cmp(y))
            .find(|o| o.is_ne())
            .unwrap_or(std::cmp::Ordering::Equal)
    });
    let mut front: Vec<usize> = Vec::new();
    for i in order {
        if !front.iter().any(|&f| dominates(&points[f], &points[i])) {
            front.push(i);
        }
    }
    front
}

/// Objectives named `a,b[,c]`: two to four distinct metrics.
pub fn objectives(names: &str) -> Result<Vec<Metric>> {
    let metrics: Vec<Metric> = names.split(',').map(|n| n.trim().parse()).collect::<Result<_>>()?;
    if !(2..=4).contains(&metrics.len()) {
        return Err(Error::Robustness(format!(
            "pareto: give 2 to 4 objectives separated by commas (got {})",
            metrics.len()
        )));
    }
    if let Some(twice) = metrics.iter().enumerate().find(|(i, m)| metrics[..*i].contains(m)) {
        return Err(Error::Robustness(format!(
            "pareto: objective `{}` is named twice",
            twice.1.name()
        )));
    }
    Ok(metrics)
}

#[cfg(test)]
mod tests {
    use proptest::prelude::*;

    use super::*;

    #[test]
    fn a_hand_made_front() {
        // (sharpe, -drawdown): A (2, -0.3), B (1, -0.1), C (1.5, -0.2) on the front; D (1, -0.3)
        // beaten by all three; E (2, -0.3) equal to A, so on it too; F has a NaN.
        let points = vec![
            vec![2.0, -0.3],
            vec![1.0, -0.1],
            vec![1.5, -0.2],
            vec![1.0, -0.3],
            vec![2.0, -0.3],
            vec![f64::NAN, 0.0],
        ];
        assert_eq!(pareto_front(&points), [0, 4, 2, 1]);
        assert!(dominates(&points[2], &points[3]) && !dominates(&points[0], &points[4]));
        // One objective: the points tied at its best.
        assert_eq!(pareto_front(&[vec![1.0], vec![3.0], vec![3.0]]), [1, 2]);
        assert!(pareto_front(&[]).is_empty());
    }

    #[test]
    fn objectives_are_read_and_checked() {
        assert_eq!(
            objectives("sharpe_ratio, max_drawdown").unwrap(),
            [Metric::SharpeRatio, Metric::MaxDrawdown]
        );
        for (bad, says) in [
            ("sharpe_ratio", "2 to 4 objectives"),
            ("sharpe_ratio,sharpe_ratio", "named twice"),
            ("sharpe_ratio,nope", "nope"),
        ] {
            let err = objectives(bad).unwrap_err().to_string();
            assert!(err.contains(says), "{bad}: {err}");
        }
    }

    proptest! {
        /// The front is exactly the points no other dominates (checked pair by pair).
        #[test]
        fn the_front_is_the_non_dominated_points(points in prop::collection::vec(prop::collection::vec(0u8..6, 3), 0..60)) {
            let points: Vec<Vec<f64>> = points.into_iter().map(|p| p.into_iter().map(f64::from).collect()).collect();
            let mut front = pareto_front(&points);
            front.sort_unstable();
            let brute: Vec<usize> = (0..points.len())
                .filter(|&i| !points.iter().any(|q| dominates(q, &points[i])))
                .collect();
            prop_assert_eq!(front, brute);
        }
    }
}
