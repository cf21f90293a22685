//! The no-key optimizer, one implementation for `btlab optimize` and the page: given the
//! trials so far, suggest the next configs. A pure function of (space, trials, seed): the
//! caller keeps the history (in the store), so a loop can stop and resume anywhere.

pub mod nsga2;
mod parzen;
mod space;

use std::collections::HashSet;

use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;
use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};

use crate::canonical::to_canonical_json;
use crate::error::Error;
use crate::metrics::{Metric, Metrics};
use crate::store::Experiment;

pub use space::{Dimension, SearchSpace, point_of_config};

/// One evaluated config: its point (the strategy's params and, by dotted name, the order
/// fields it sets) and its objective (higher is better; a failed or undefined one is `-inf`).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Trial {
    pub params: Map<String, Value>,
    pub value: f64,
}

/// The objective of a metric, oriented so that higher is better (`max_drawdown` is
/// negated); an undefined one is the worst.
pub fn objective(metrics: &Metrics, target: Metric) -> f64 {
    let oriented = target.oriented(target.of(metrics));
    if oriented.is_nan() { f64::NEG_INFINITY } else { oriented }
}

/// An optimizer's history as trials of `target`: the stored experiments, in their order.
pub fn trials_of(history: &[Experiment], target: Metric) -> Vec<Trial> {
    history
        .iter()
        .map(|e| Trial {
            params: point_of_config(&e.config),
            value: objective(&e.metrics, target),
        })
        .collect()
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Sampler {
    /// Uniform draws from the space.
    Random,
    /// Tree-structured Parzen estimator, as Optuna's default sampler.
    Tpe,
}

impl std::str::FromStr for Sampler {
    type Err = Error;

    fn from_str(name: &str) -> Result<Self, Error> {
        match name {
            "tpe" => Ok(Sampler::Tpe),
            "random" => Ok(Sampler::Random),
            other => Err(Error::config(
                "sampler",
                format!("must be `tpe` or `random`, not `{other}`"),
            )),
        }
    }
}

/// Optuna's defaults: 10 random trials first, 24 candidates per suggestion.
pub const STARTUP_TRIALS: usize = 10;
const CANDIDATES: usize = 24;
/// Draws before a sampler concludes that the untried part of the space is empty.
const MAX_DRAWS: usize = 2_000;

/// Up to `n` new params objects, valid for the strategy and not among `trials`. Fewer
/// come back only when the space has (almost) nothing left to try. Seeded: the same
/// (space, trials, seed) gives the same suggestions on every face.
pub fn suggest(
    space: &SearchSpace,
    trials: &[Trial],
    n: usize,
    seed: u64,
    sampler: Sampler,
) -> Vec<Map<String, Value>> {
    // Each step of a loop draws from its own stream: the seed mixed with how far it got.
    let mut rng = ChaCha8Rng::seed_from_u64(seed ^ (trials.len() as u64).wrapping_mul(0x9E37_79B9_7F4A_7C15));
    let mut tried: HashSet<String> = trials.iter().map(|t| params_key(&t.params)).collect();
    let mut observed: Vec<(Vec<f64>, f64)> = trials
        .iter()
        .filter_map(|t| space.point_of(&t.params).map(|p| (p, t.value)))
        .collect();
    let mut out = Vec::with_capacity(n);
    for _ in 0..n {
        let picked = match sampler {
            Sampler::Tpe if observed.len() >= STARTUP_TRIALS => parzen::suggest(space, &observed, &tried, &mut rng),
            _ => None,
        }
        .or_else(|| random_point(space, &tried, &mut rng));
        let Some((point, params)) = picked else { break };
        tried.insert(params_key(&params));
        // Constant liar: a pending suggestion counts as the worst result so far, so the
        // rest of a batch looks elsewhere.
        let worst = observed.iter().map(|o| o.1).fold(f64::INFINITY, f64::min);
        observed.push((point, if worst.is_finite() { worst } else { f64::NEG_INFINITY }));
        out.push(params);
    }
    out
}

/// The identity of a params object among trials (canonical JSON, integers as integers).
pub fn params_key(params: &Map<String, Value>) -> String {
    to_canonical_json(&Value::Object(params.clone()))
}

/// A point of the space whose params are valid and untried, with those params in normal form.
pub(crate) fn accept(space: &SearchSpace, point: &[f64], tried: &HashSet<String>) -> Option<Map<String, Value>> {
    let params = space.validate(&space.params_at(point)).ok()?;
    (!tried.contains(&params_key(&params))).then_some(params)
}

pub(crate) fn random_point(
    space: &SearchSpace,
    tried: &HashSet<String>,
    rng: &mut ChaCha8Rng,
) -> Option<(Vec<f64>, Map<String, Value>)> {
    (0..MAX_DRAWS).find_map(|_| {
        let point: Vec<f64> = space
            .dimensions
            .iter()
            .map(|d| {
                let (low, high) = d.interval();
                rng.random_range(low..high)
            })
            .collect();
        let params = accept(space, &point, tried)?;
        // Snap to the values the params hold, so what the sampler learns is what ran.
        let point = space.point_of(&params)?;
        Some((point, params))
    })
}

#[cfg(test)]
mod tests;

/// The optimizer loop's decisions, once for every face (sans-I/O): which configs to try
/// next given the history, and after they ran, the best so far, the trajectory and
/// whether the search has converged. The face runs and stores the configs and reads the
/// history back from its store between the two steps; an outside proposer (DeepSeek in
/// the CLI) hands its configs to [`OptimizerLoop::next`], which tops them up.
#[derive(Debug, Clone)]
pub struct OptimizerLoop {
    pub space: SearchSpace,
    /// The metric optimized (`max_drawdown` is minimized, the others maximized).
    pub target: Metric,
    pub sampler: Sampler,
    pub seed: u64,
    /// Configs per iteration.
    pub batch: usize,
    /// The search has converged once the best improved by no more than `convergence` ...
    pub convergence: f64,
    /// ... for `patience` iterations in a row.
    pub patience: usize,
    best: f64,
    stale: usize,
    trajectory: Vec<Step>,
}

/// One iteration, as the trajectory keeps it.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct Step {
    pub iteration: usize,
    /// Configs in the history after it.
    pub evaluated: usize,
    /// The best target after it, in the metric's own sign.
    pub best: f64,
    /// Its improvement of the best (in the objective's direction); none for the first.
    pub gain: Option<f64>,
    pub converged: bool,
}

impl OptimizerLoop {
    /// A loop over `space` that starts from `history` (what the store holds already).
    #[allow(clippy::too_many_arguments)]
    pub fn new(
        space: SearchSpace,
        target: Metric,
        sampler: Sampler,
        seed: u64,
        batch: usize,
        convergence: f64,
        patience: usize,
        history: &[Trial],
    ) -> Self {
        Self {
            space,
            target,
            sampler,
            seed,
            batch,
            convergence,
            patience,
            best: best_of(history),
            stale: 0,
            trajectory: Vec::new(),
        }
    }

    /// The next iteration's params: `proposed` (an outside proposer's, each validated and
    /// untried by the caller) first, topped up by the sampler to the batch. Empty when the
    /// space has nothing left to try.
    pub fn next(&self, history: &[Trial], proposed: Vec<Map<String, Value>>) -> Vec<Map<String, Value>> {
        let mut chosen: Vec<Map<String, Value>> = proposed.into_iter().take(self.batch).collect();
        if chosen.len() < self.batch {
            let mut known = history.to_vec();
            known.extend(chosen.iter().map(|p| Trial {
                params: p.clone(),
                value: f64::NEG_INFINITY,
            }));
            chosen.extend(suggest(
                &self.space,
                &known,
                self.batch - chosen.len(),
                self.seed,
                self.sampler,
            ));
        }
        chosen
    }

    /// After an iteration's configs ran and were stored: `history` read again.
    pub fn observe(&mut self, history: &[Trial]) -> Step {
        let after = best_of(history);
        let gain = if self.best.is_finite() {
            after - self.best
        } else {
            f64::INFINITY
        };
        self.stale = if gain > self.convergence { 0 } else { self.stale + 1 };
        self.best = after;
        let step = Step {
            iteration: self.trajectory.len() + 1,
            evaluated: history.len(),
            best: self.in_metric_sign(after),
            gain: gain.is_finite().then(|| self.in_metric_sign(gain)),
            converged: self.stale >= self.patience,
        };
        self.trajectory.push(step);
        step
    }

    pub fn trajectory(&self) -> &[Step] {
        &self.trajectory
    }

    /// An objective value (higher is better) back in the metric's own sign.
    pub fn in_metric_sign(&self, objective: f64) -> f64 {
        self.target.oriented(objective)
    }
}

/// The best objective among `trials` (`-inf` for none).
pub fn best_of(trials: &[Trial]) -> f64 {
    trials.iter().map(|t| t.value).fold(f64::NEG_INFINITY, f64::max)
}
