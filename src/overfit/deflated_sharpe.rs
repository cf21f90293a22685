//! The deflated Sharpe ratio (Bailey & López de Prado, "The Deflated Sharpe Ratio", 2014):
//! the probability that the best of `N` trials has a true Sharpe above zero, once the
//! Sharpe the best of `N` luck-only trials would show is taken off.
//!
//! All Sharpe ratios here are per period (per candle), not annualized: the paper's `T` is
//! the number of returns the Sharpe was measured on.
//!
//! Edge cases: one trial, or trials whose Sharpes never vary, deflate by nothing (the
//! threshold is 0, and the figure is the plain probabilistic Sharpe ratio). Fewer than two
//! returns, a flat series, or moments so extreme that the paper's variance term is not
//! positive give no figure (`None`) rather than a made-up one.

use serde::{Deserialize, Serialize};
use statrs::distribution::{ContinuousCDF, Normal};

use super::Moments;

const EULER_MASCHERONI: f64 = 0.577_215_664_901_532_9;

/// What is known of all the trials of a search: their count and the variance of their
/// per-period Sharpe ratios.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct TrialSharpes {
    pub trials: usize,
    pub variance: f64,
}

impl TrialSharpes {
    /// From the trials' Sharpe ratios as stored (annualized with `bars_per_year`).
    pub fn from_annualized(sharpes: impl IntoIterator<Item = f64>, bars_per_year: f64) -> Self {
        let per_period: Vec<f64> = sharpes
            .into_iter()
            .filter(|s| s.is_finite())
            .map(|s| s / bars_per_year.sqrt())
            .collect();
        let n = per_period.len();
        let variance = if n < 2 {
            0.0
        } else {
            let mean = per_period.iter().sum::<f64>() / n as f64;
            per_period.iter().map(|s| (s - mean) * (s - mean)).sum::<f64>() / (n as f64 - 1.0)
        };
        TrialSharpes { trials: n, variance }
    }
}

/// The figure and everything it was computed from, so a face can show its working.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct DeflatedSharpe {
    /// The winner's per-period Sharpe ratio.
    pub sharpe: f64,
    /// The Sharpe the best of `trials` luck-only trials would show (the paper's `SR_0`).
    pub expected_max_sharpe: f64,
    pub trials: usize,
    pub trial_sharpe_variance: f64,
    pub observations: usize,
    pub skewness: f64,
    pub kurtosis: f64,
    /// `P(true Sharpe > 0)` after deflation, in [0, 1].
    pub probability: f64,
}

fn standard_normal() -> Normal {
    Normal::standard()
}

/// `E[max SR]` of `trials` independent luck-only trials whose Sharpes have this variance
/// (the paper's equation with the Euler–Mascheroni constant).
pub fn expected_max_sharpe(trials: TrialSharpes) -> f64 {
    if trials.trials < 2 || trials.variance <= 0.0 {
        return 0.0;
    }
    let n = trials.trials as f64;
    let z = standard_normal();
    trials.variance.sqrt()
        * ((1.0 - EULER_MASCHERONI) * z.inverse_cdf(1.0 - 1.0 / n)
            + EULER_MASCHERONI * z.inverse_cdf(1.0 - 1.0 / (n * std::f64::consts::E)))
}

/// The deflated Sharpe ratio of the winner whose per-period `returns` are given.
pub fn deflated_sharpe(returns: &[f64], trials: TrialSharpes) -> Option<DeflatedSharpe> {
    let m = Moments::of(returns)?;
    let sharpe = m.sharpe();
    let threshold = expected_max_sharpe(trials);
    let variance_term = 1.0 - m.skewness * sharpe + (m.kurtosis - 1.0) / 4.0 * sharpe * sharpe;
    if variance_term.is_nan() || variance_term <= 0.0 {
        return None;
    }
    let statistic = (sharpe - threshold) * ((m.count - 1) as f64).sqrt() / variance_term.sqrt();
    Some(DeflatedSharpe {
        sharpe,
        expected_max_sharpe: threshold,
        trials: trials.trials,
        trial_sharpe_variance: trials.variance,
        observations: m.count,
        skewness: m.skewness,
        kurtosis: m.kurtosis,
        probability: standard_normal().cdf(statistic),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_papers_numerical_example() {
        // Bailey & López de Prado (2014), section "A numerical example": an annualized
        // Sharpe of 2.5 over 1,250 daily returns, skewness -3, kurtosis 10, after 100
        // trials whose annualized Sharpes have variance 0.5: SR_0 = 0.1132 per day, DSR = 0.9004.
        let per_day = |annualized: f64| annualized / 250f64.sqrt();
        let trials = TrialSharpes {
            trials: 100,
            variance: 0.5 / 250.0,
        };
        let threshold = expected_max_sharpe(trials);
        assert!((threshold - 0.1132).abs() < 5e-4, "{threshold}");
        let (sharpe, t, skew, kurt) = (per_day(2.5), 1250.0f64, -3.0, 10.0);
        let z = (sharpe - threshold) * (t - 1.0).sqrt()
            / (1.0 - skew * sharpe + (kurt - 1.0) / 4.0 * sharpe * sharpe).sqrt();
        let dsr = standard_normal().cdf(z);
        assert!((dsr - 0.9004).abs() < 5e-4, "{dsr}");
    }

    #[test]
    fn more_trials_deflate_more() {
        let returns: Vec<f64> = (0..500)
            .map(|i| 0.001 + 0.01 * ((i * 7919 % 101) as f64 / 50.0 - 1.0))
            .collect();
        let probability = |n| {
            deflated_sharpe(
                &returns,
                TrialSharpes {
                    trials: n,
                    variance: 1e-4,
                },
            )
            .unwrap()
            .probability
        };
        assert!(probability(1) > probability(10));
        assert!(probability(10) > probability(1000));
        assert!((0.0..=1.0).contains(&probability(1000)));
    }

    #[test]
    fn one_trial_is_the_probabilistic_sharpe_ratio() {
        let returns = [0.01, -0.005, 0.02, 0.0, 0.01, -0.01];
        let d = deflated_sharpe(
            &returns,
            TrialSharpes {
                trials: 1,
                variance: 0.3,
            },
        )
        .unwrap();
        assert_eq!(d.expected_max_sharpe, 0.0);
        assert!(
            d.probability > 0.5,
            "a positive Sharpe with no deflation: {}",
            d.probability
        );
    }

    #[test]
    fn no_figure_without_variation() {
        assert_eq!(
            deflated_sharpe(
                &[0.0; 10],
                TrialSharpes {
                    trials: 5,
                    variance: 1.0
                }
            ),
            None
        );
    }

    #[test]
    fn annualized_trials_are_brought_to_per_period() {
        let t = TrialSharpes::from_annualized([1.0, 3.0, f64::NAN], 4.0);
        assert_eq!(t.trials, 2);
        assert!((t.variance - 0.5).abs() < 1e-15); // per period: 0.5 and 1.5
    }
}
