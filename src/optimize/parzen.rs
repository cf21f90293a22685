//! The tree-structured Parzen estimator as Optuna's `TPESampler` does it by default
//! (univariate, `gamma(n) = min(ceil(0.1 n), 25)`, prior weight 1, magic clip, ramped
//! weights for old trials, 24 candidates drawn from the good trials' density and the one
//! maximizing l(x) / g(x) kept).

use std::collections::HashSet;

use rand::Rng;
use rand_chacha::ChaCha8Rng;
use serde_json::{Map, Value};
use statrs::distribution::{Continuous, ContinuousCDF, Normal};

use super::space::{Dimension, SearchSpace};
use super::{CANDIDATES, MAX_DRAWS, accept};

/// Trials kept at full weight; older ones ramp down linearly (Optuna's `default_weights`).
const FULL_WEIGHT_TRIALS: usize = 25;
const PRIOR_WEIGHT: f64 = 1.0;

/// The next point, drawn from the best trials' density where it most exceeds the others'.
/// `observed` is in trial order with values where higher is better.
pub(super) fn suggest(
    space: &SearchSpace,
    observed: &[(Vec<f64>, f64)],
    tried: &HashSet<String>,
    rng: &mut ChaCha8Rng,
) -> Option<(Vec<f64>, Map<String, Value>)> {
    let n = observed.len();
    let n_good = n.div_ceil(10).clamp(1, FULL_WEIGHT_TRIALS);
    let mut ranked: Vec<usize> = (0..n).collect();
    ranked.sort_by(|&a, &b| observed[b].1.total_cmp(&observed[a].1).then(a.cmp(&b)));
    let (mut good, mut rest) = (ranked[..n_good].to_vec(), ranked[n_good..].to_vec());
    good.sort_unstable();
    rest.sort_unstable();
    let estimators: Vec<(Estimator, Estimator)> = space
        .dimensions
        .iter()
        .enumerate()
        .map(|(d, dimension)| {
            let values = |indexes: &[usize]| indexes.iter().map(|&i| observed[i].0[d]).collect::<Vec<_>>();
            (
                Estimator::new(dimension, &values(&good)),
                Estimator::new(dimension, &values(&rest)),
            )
        })
        .collect();
    for _ in 0..MAX_DRAWS / CANDIDATES {
        let mut candidates: Vec<(f64, Vec<f64>)> = (0..CANDIDATES)
            .map(|_| {
                let point: Vec<f64> = estimators.iter().map(|(l, _)| l.sample(rng)).collect();
                let score = estimators
                    .iter()
                    .zip(&point)
                    .map(|((l, g), &x)| l.log_pdf(x) - g.log_pdf(x))
                    .sum::<f64>();
                (score, point)
            })
            .collect();
        candidates.sort_by(|a, b| b.0.total_cmp(&a.0));
        for (_, point) in candidates {
            if let Some(params) = accept(space, &point, tried)
                && let Some(snapped) = space.point_of(&params)
            {
                return Some((snapped, params));
            }
        }
    }
    None
}

/// A one-dimensional density over a dimension's internal interval.
enum Estimator {
    /// A mixture of normals truncated to `[low, high]`: one per observation plus a broad prior.
    Numeric {
        low: f64,
        high: f64,
        mus: Vec<f64>,
        sigmas: Vec<f64>,
        weights: Vec<f64>,
    },
    /// Observation counts per choice, smoothed by the prior.
    Categorical { probabilities: Vec<f64> },
}

fn observation_weights(n: usize) -> Vec<f64> {
    if n < FULL_WEIGHT_TRIALS {
        return vec![1.0; n];
    }
    let ramp = n - FULL_WEIGHT_TRIALS;
    let mut w: Vec<f64> = (0..ramp)
        .map(|i| {
            let start = 1.0 / n as f64;
            if ramp == 1 {
                start
            } else {
                start + (1.0 - start) * i as f64 / (ramp - 1) as f64
            }
        })
        .collect();
    w.extend(std::iter::repeat_n(1.0, FULL_WEIGHT_TRIALS));
    w
}

impl Estimator {
    fn new(dimension: &Dimension, values: &[f64]) -> Self {
        let observation_weights = observation_weights(values.len());
        if let Dimension::Choice { values: choices, .. } = dimension {
            let k = choices.len();
            let mut probabilities = vec![PRIOR_WEIGHT / k as f64; k];
            for (&v, w) in values.iter().zip(&observation_weights) {
                probabilities[v as usize] += w;
            }
            let total: f64 = probabilities.iter().sum();
            probabilities.iter_mut().for_each(|p| *p /= total);
            return Estimator::Categorical { probabilities };
        }
        let (low, high) = dimension.interval();
        let mut order: Vec<usize> = (0..values.len()).collect();
        order.sort_by(|&a, &b| values[a].total_cmp(&values[b]));
        let sorted: Vec<f64> = std::iter::once(low)
            .chain(order.iter().map(|&i| values[i]))
            .chain(std::iter::once(high))
            .collect();
        let mut sorted_sigmas: Vec<f64> = (1..sorted.len() - 1)
            .map(|i| (sorted[i] - sorted[i - 1]).max(sorted[i + 1] - sorted[i]))
            .collect();
        // Optuna's `consider_endpoints=False`: the outermost observations take the
        // distance to their inner neighbour, not to the interval's end.
        if sorted.len() >= 4 {
            let m = sorted.len();
            sorted_sigmas[0] = sorted[2] - sorted[1];
            let last = sorted_sigmas.len() - 1;
            sorted_sigmas[last] = sorted[m - 2] - sorted[m - 3];
        }
        let max_sigma = high - low;
        let min_sigma = max_sigma / (100.0f64).min(1.0 + values.len() as f64);
        let mut sigmas = vec![0.0; values.len()];
        for (rank, &i) in order.iter().enumerate() {
            sigmas[i] = sorted_sigmas[rank].clamp(min_sigma, max_sigma);
        }
        let mut mus = values.to_vec();
        let mut weights = observation_weights;
        mus.push((low + high) / 2.0);
        sigmas.push(max_sigma);
        weights.push(PRIOR_WEIGHT);
        let total: f64 = weights.iter().sum();
        weights.iter_mut().for_each(|w| *w /= total);
        Estimator::Numeric {
            low,
            high,
            mus,
            sigmas,
            weights,
        }
    }

    fn sample(&self, rng: &mut ChaCha8Rng) -> f64 {
        match self {
            Estimator::Categorical { probabilities } => pick(probabilities, rng) as f64,
            Estimator::Numeric {
                low,
                high,
                mus,
                sigmas,
                weights,
            } => {
                let k = pick(weights, rng);
                let z = Normal::standard();
                let (a, b) = (z.cdf((low - mus[k]) / sigmas[k]), z.cdf((high - mus[k]) / sigmas[k]));
                let u = a + (b - a) * rng.random::<f64>();
                (mus[k] + sigmas[k] * z.inverse_cdf(u.clamp(1e-300, 1.0 - 1e-16))).clamp(*low, *high)
            }
        }
    }

    fn log_pdf(&self, x: f64) -> f64 {
        match self {
            Estimator::Categorical { probabilities } => probabilities[(x as usize).min(probabilities.len() - 1)].ln(),
            Estimator::Numeric {
                low,
                high,
                mus,
                sigmas,
                weights,
            } => {
                let z = Normal::standard();
                let terms: Vec<f64> = mus
                    .iter()
                    .zip(sigmas)
                    .zip(weights)
                    .map(|((&mu, &s), &w)| {
                        let mass = z.cdf((high - mu) / s) - z.cdf((low - mu) / s);
                        w.ln() + z.ln_pdf((x - mu) / s) - s.ln() - mass.max(f64::MIN_POSITIVE).ln()
                    })
                    .collect();
                let max = terms.iter().copied().fold(f64::NEG_INFINITY, f64::max);
                max + terms.iter().map(|t| (t - max).exp()).sum::<f64>().ln()
            }
        }
    }
}

/// An index drawn with probability proportional to `weights`.
fn pick(weights: &[f64], rng: &mut ChaCha8Rng) -> usize {
    let total: f64 = weights.iter().sum();
    let mut u = rng.random::<f64>() * total;
    for (i, w) in weights.iter().enumerate() {
        if u < *w {
            return i;
        }
        u -= w;
    }
    weights.len() - 1
}
