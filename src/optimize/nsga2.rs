//! Multi-objective search as Optuna's `NSGAIISampler` does it by default: generations of
//! `population` trials, the first drawn at random; each later one bred from the elite of
//! the previous population and generation (non-dominated sorting, the last front cut by
//! crowding distance), parents picked by binary tournament on dominance, uniform crossover
//! (probability 0.9, each gene swapped with probability 0.5), and each gene mutated (drawn
//! anew) with probability 1 / dimensions.
//!
//! A pure function of the history, like [`super::suggest`]: the generations are the
//! history's trials in order, `population` at a time, so a stopped run resumes where it
//! left off.

use std::collections::HashSet;

use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;
use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};

use super::space::SearchSpace;
use super::{MAX_DRAWS, accept, objective, params_key, random_point};
use crate::metrics::Metric;
use crate::robustness::dominates;
use crate::store::Experiment;

/// Optuna's defaults.
pub const POPULATION: usize = 50;
const CROSSOVER_PROBABILITY: f64 = 0.9;
const SWAPPING_PROBABILITY: f64 = 0.5;

/// One evaluated config under several objectives (each oriented, higher better; a failed
/// or undefined one is `-inf`).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct MultiTrial {
    pub params: Map<String, Value>,
    pub values: Vec<f64>,
}

/// An optimizer's history as trials of `targets`, in the store's order.
pub fn multi_trials_of(history: &[Experiment], targets: &[Metric]) -> Vec<MultiTrial> {
    history
        .iter()
        .map(|e| MultiTrial {
            params: super::point_of_config(&e.config),
            values: targets.iter().map(|&t| objective(&e.metrics, t)).collect(),
        })
        .collect()
}

/// Up to `n` new params for the next trials, valid and untried: the rest of the current
/// generation at most, so every parent a child is bred from has been evaluated.
pub fn suggest(
    space: &SearchSpace,
    trials: &[MultiTrial],
    n: usize,
    population: usize,
    seed: u64,
) -> Vec<Map<String, Value>> {
    let population = population.max(2);
    let mut rng = ChaCha8Rng::seed_from_u64(seed ^ (trials.len() as u64).wrapping_mul(0x9E37_79B9_7F4A_7C15));
    let mut tried: HashSet<String> = trials.iter().map(|t| params_key(&t.params)).collect();
    let evaluated: Vec<Evaluated> = trials
        .iter()
        .map(|t| Evaluated {
            point: space.point_of(&t.params),
            values: t.values.clone(),
        })
        .collect();
    let parents = elite_after(&evaluated, population);
    let intervals: Vec<(f64, f64)> = space.dimensions.iter().map(super::space::Dimension::interval).collect();
    let room = population - trials.len() % population;
    let mut out = Vec::new();
    for _ in 0..n.min(room) {
        let bred = if parents.len() < 2 {
            None
        } else {
            let accept_point = |point: &[f64]| accept(space, point, &tried).and_then(|p| space.point_of(&p).map(|_| p));
            (0..MAX_DRAWS).find_map(|_| {
                let child = breed(&intervals, &evaluated, &parents, &mut rng);
                accept_point(&child)
            })
        };
        let Some(params) = bred.or_else(|| random_point(space, &tried, &mut rng).map(|(_, p)| p)) else {
            break;
        };
        tried.insert(params_key(&params));
        out.push(params);
    }
    out
}

/// The multi-objective loop, once for every face (sans-I/O, as [`super::OptimizerLoop`]):
/// a generation of configs to try given the history, and after they ran, the front's size
/// and hypervolume. The face runs and stores the configs in between.
#[derive(Debug, Clone)]
pub struct ParetoLoop {
    pub space: SearchSpace,
    pub targets: Vec<Metric>,
    pub seed: u64,
    pub population: usize,
    /// The hypervolume's reference (two targets): the worst value of each seen at the
    /// first observation, kept so that every generation's figure compares.
    reference: Option<(f64, f64)>,
    trajectory: Vec<Generation>,
}

/// One generation, as the trajectory keeps it.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct Generation {
    pub generation: usize,
    /// Configs in the history after it.
    pub evaluated: usize,
    /// Experiments on the history's Pareto front.
    pub front: usize,
    /// The area the front dominates beyond the reference (two targets only).
    pub hypervolume: Option<f64>,
}

impl ParetoLoop {
    pub fn new(space: SearchSpace, targets: Vec<Metric>, seed: u64, population: usize) -> crate::Result<Self> {
        if !(2..=4).contains(&targets.len()) {
            return Err(crate::Error::config(
                "targets",
                format!("give 2 to 4 metrics (got {})", targets.len()),
            ));
        }
        if population < 2 {
            return Err(crate::Error::config(
                "population",
                format!("must be at least 2, got {population}"),
            ));
        }
        Ok(Self {
            space,
            targets,
            seed,
            population,
            reference: None,
            trajectory: Vec::new(),
        })
    }

    /// The rest of the current generation (empty when the space has nothing left).
    pub fn next(&self, history: &[MultiTrial]) -> Vec<Map<String, Value>> {
        suggest(&self.space, history, self.population, self.population, self.seed)
    }

    /// After a generation's configs are stored: `history` read again.
    pub fn observe(&mut self, history: &[MultiTrial]) -> Generation {
        let front = front_of(history);
        let reference = *self.reference.get_or_insert_with(|| {
            let worst = |m: usize| {
                history
                    .iter()
                    .map(|t| t.values[m])
                    .filter(|v| v.is_finite())
                    .fold(f64::INFINITY, f64::min)
            };
            (worst(0), worst(1))
        });
        let hypervolume = (self.targets.len() == 2).then(|| {
            let points: Vec<(f64, f64)> = front
                .iter()
                .map(|&i| (history[i].values[0], history[i].values[1]))
                .collect();
            hypervolume_2d(&points, reference)
        });
        let step = Generation {
            generation: self.trajectory.len() + 1,
            evaluated: history.len(),
            front: front.len(),
            hypervolume,
        };
        self.trajectory.push(step);
        step
    }

    pub fn trajectory(&self) -> &[Generation] {
        &self.trajectory
    }
}

/// The indices of the trials on the Pareto front, best first by the first target.
pub fn front_of(trials: &[MultiTrial]) -> Vec<usize> {
    let points: Vec<Vec<f64>> = trials.iter().map(|t| t.values.clone()).collect();
    crate::robustness::pareto_front(&points)
}

/// A trial as the sampler reads it: its point in the space (`None` when it lies outside,
/// e.g. from another search: tried, but never a parent).
#[derive(Debug, Clone)]
pub struct Evaluated {
    pub point: Option<Vec<f64>>,
    pub values: Vec<f64>,
}

/// The parents of the generation after the complete ones: indices into `evaluated`.
pub fn elite_after(evaluated: &[Evaluated], population: usize) -> Vec<usize> {
    let complete = evaluated.len() / population;
    let mut elite: Vec<usize> = Vec::new();
    for g in 0..complete {
        let mut pool = elite.clone();
        pool.extend((g * population..(g + 1) * population).filter(|&i| evaluated[i].point.is_some()));
        elite = select_elite(evaluated, &pool, population);
    }
    elite
}

/// The best `size` of `pool`: whole non-dominated fronts in order, the last one cut by
/// crowding distance (the most isolated kept; ties by trial order).
fn select_elite(evaluated: &[Evaluated], pool: &[usize], size: usize) -> Vec<usize> {
    let mut elite = Vec::with_capacity(size);
    for front in non_dominated_fronts(evaluated, pool) {
        if elite.len() + front.len() <= size {
            elite.extend(front);
            continue;
        }
        let distance = crowding_distance(evaluated, &front);
        let mut order: Vec<usize> = (0..front.len()).collect();
        order.sort_by(|&a, &b| distance[b].total_cmp(&distance[a]).then(front[a].cmp(&front[b])));
        elite.extend(order.into_iter().take(size - elite.len()).map(|k| front[k]));
        break;
    }
    elite.sort_unstable();
    elite
}

/// `pool` sorted into fronts: the first dominated by none, each next by none but earlier
/// fronts' members (Deb's fast non-dominated sort).
fn non_dominated_fronts(evaluated: &[Evaluated], pool: &[usize]) -> Vec<Vec<usize>> {
    let n = pool.len();
    let mut dominated_by = vec![0usize; n];
    let mut dominating: Vec<Vec<usize>> = vec![Vec::new(); n];
    for a in 0..n {
        for b in 0..n {
            if dominates(&evaluated[pool[a]].values, &evaluated[pool[b]].values) {
                dominating[a].push(b);
                dominated_by[b] += 1;
            }
        }
    }
    let mut fronts = Vec::new();
    let mut current: Vec<usize> = (0..n).filter(|&i| dominated_by[i] == 0).collect();
    while !current.is_empty() {
        let mut next = Vec::new();
        for &a in &current {
            for &b in &dominating[a] {
                dominated_by[b] -= 1;
                if dominated_by[b] == 0 {
                    next.push(b);
                }
            }
        }
        fronts.push(current.iter().map(|&i| pool[i]).collect());
        next.sort_unstable();
        current = next;
    }
    fronts
}

/// Each member's crowding distance within its front: the sum over objectives of the gap
/// between its neighbours, relative to the objective's span; the ends infinite.
fn crowding_distance(evaluated: &[Evaluated], front: &[usize]) -> Vec<f64> {
    let mut distance = vec![0.0; front.len()];
    let objectives = front.first().map_or(0, |&i| evaluated[i].values.len());
    for m in 0..objectives {
        let value = |k: usize| evaluated[front[k]].values[m];
        let mut order: Vec<usize> = (0..front.len()).collect();
        order.sort_by(|&a, &b| value(a).total_cmp(&value(b)));
        let (low, high) = (value(order[0]), value(order[order.len() - 1]));
        let span = high - low;
        distance[order[0]] = f64::INFINITY;
        distance[order[order.len() - 1]] = f64::INFINITY;
        if !(span.is_finite() && span > 0.0) {
            continue;
        }
        for w in order.windows(3) {
            distance[w[1]] += (value(w[2]) - value(w[0])) / span;
        }
    }
    distance
}

/// One child: two parents by tournament, uniform crossover, mutation.
fn breed(intervals: &[(f64, f64)], evaluated: &[Evaluated], parents: &[usize], rng: &mut ChaCha8Rng) -> Vec<f64> {
    let mut tournament = || {
        let a = parents[rng.random_range(0..parents.len())];
        let b = parents[rng.random_range(0..parents.len())];
        if dominates(&evaluated[b].values, &evaluated[a].values) {
            b
        } else {
            a
        }
    };
    let (first, second) = (tournament(), tournament());
    let point = |i: usize| evaluated[i].point.as_deref().expect("parents lie in the space");
    let mut child = point(first).to_vec();
    if rng.random_bool(CROSSOVER_PROBABILITY) {
        for (gene, &other) in child.iter_mut().zip(point(second)) {
            if rng.random_bool(SWAPPING_PROBABILITY) {
                *gene = other;
            }
        }
    }
    let mutation = 1.0 / intervals.len().max(1) as f64;
    for (gene, &(low, high)) in child.iter_mut().zip(intervals) {
        if rng.random_bool(mutation) {
            *gene = rng.random_range(low..high);
        }
    }
    child
}

/// NSGA-II over a plain function of continuous variables in `intervals` (its objectives
/// oriented, higher better): `budget` trials, in order. With `population >= budget` every
/// trial is a uniform draw, i.e. random search, the baseline it is measured against.
pub fn search_function(
    intervals: &[(f64, f64)],
    budget: usize,
    population: usize,
    seed: u64,
    objectives: impl Fn(&[f64]) -> Vec<f64>,
) -> Vec<Evaluated> {
    let population = population.max(2);
    let mut rng = ChaCha8Rng::seed_from_u64(seed);
    let mut evaluated: Vec<Evaluated> = Vec::with_capacity(budget);
    let mut parents = Vec::new();
    while evaluated.len() < budget {
        if evaluated.len() % population == 0 {
            parents = elite_after(&evaluated, population);
        }
        let point = if parents.len() >= 2 {
            breed(intervals, &evaluated, &parents, &mut rng)
        } else {
            intervals
                .iter()
                .map(|&(low, high)| rng.random_range(low..high))
                .collect()
        };
        let values = objectives(&point);
        evaluated.push(Evaluated {
            point: Some(point),
            values,
        });
    }
    evaluated
}

/// The area two oriented objectives (higher better) dominate above `reference`: the
/// figure of merit of a front. Points not beyond the reference on both count nothing.
pub fn hypervolume_2d(points: &[(f64, f64)], reference: (f64, f64)) -> f64 {
    let mut beyond: Vec<(f64, f64)> = points
        .iter()
        .copied()
        .filter(|&(x, y)| x > reference.0 && y > reference.1)
        .collect();
    // by x descending: each point adds the strip above the highest y so far
    beyond.sort_by(|a, b| b.0.total_cmp(&a.0).then(b.1.total_cmp(&a.1)));
    let mut area = 0.0;
    let mut top = reference.1;
    for (x, y) in beyond {
        if y > top {
            area += (x - reference.0) * (y - top);
            top = y;
        }
    }
    area
}

#[cfg(test)]
mod tests {
    use super::*;

    fn at(values: &[f64]) -> Evaluated {
        Evaluated {
            point: Some(vec![0.0]),
            values: values.to_vec(),
        }
    }

    #[test]
    fn hypervolume_of_hand_made_fronts() {
        assert_eq!(hypervolume_2d(&[(2.0, 3.0)], (0.0, 0.0)), 6.0);
        assert_eq!(hypervolume_2d(&[(2.0, 1.0), (1.0, 2.0)], (0.0, 0.0)), 3.0);
        // a dominated point and one behind the reference add nothing
        assert_eq!(
            hypervolume_2d(&[(2.0, 1.0), (1.0, 2.0), (1.0, 1.0), (5.0, -1.0)], (0.0, 0.0)),
            3.0
        );
        assert_eq!(hypervolume_2d(&[], (0.0, 0.0)), 0.0);
    }

    #[test]
    fn fronts_and_crowding_as_deb_defines_them() {
        let e = [
            at(&[3.0, 1.0]),
            at(&[1.0, 3.0]),
            at(&[2.0, 2.0]),
            at(&[1.0, 1.0]),
            at(&[0.0, 0.0]),
        ];
        let fronts = non_dominated_fronts(&e, &[0, 1, 2, 3, 4]);
        assert_eq!(fronts, vec![vec![0, 1, 2], vec![3], vec![4]]);
        let d = crowding_distance(&e, &[0, 1, 2]);
        assert!(d[0].is_infinite() && d[1].is_infinite());
        assert!((d[2] - 2.0).abs() < 1e-12, "(3-1)/2 on each objective: {}", d[2]);
        // the elite of 4 takes the first front whole, then the best of the next
        assert_eq!(select_elite(&e, &[0, 1, 2, 3, 4], 4), vec![0, 1, 2, 3]);
        // cut inside a front: the isolated ends before the crowded middle
        assert_eq!(select_elite(&e, &[0, 1, 2], 2), vec![0, 1]);
    }

    /// ZDT1 (Zitzler, Deb and Thiele 2000) on [0, 1]^5, both objectives minimized.
    fn zdt1(x: &[f64]) -> Vec<f64> {
        let g = 1.0 + 9.0 * x[1..].iter().sum::<f64>() / (x.len() - 1) as f64;
        let f1 = x[0];
        vec![-f1, -(g * (1.0 - (f1 / g).sqrt()))]
    }

    fn zdt1_hypervolume(seed: u64, budget: usize, population: usize) -> f64 {
        let evaluated = search_function(&[(0.0, 1.0); 5], budget, population, seed, zdt1);
        let points: Vec<(f64, f64)> = evaluated.iter().map(|e| (e.values[0], e.values[1])).collect();
        hypervolume_2d(&points, (-1.1, -1.1))
    }

    #[test]
    fn nsga2_beats_random_search_on_zdt1_over_20_seeds() {
        let mut wins = 0;
        let (mut nsga_total, mut random_total) = (0.0, 0.0);
        for seed in 0..20 {
            let nsga = zdt1_hypervolume(seed, 500, POPULATION);
            // one generation as large as the budget: every trial a uniform draw
            let random = zdt1_hypervolume(seed, 500, 500);
            wins += usize::from(nsga > random);
            nsga_total += nsga;
            random_total += random;
        }
        assert!(wins >= 18, "NSGA-II won {wins} of 20");
        assert!(
            nsga_total > 1.2 * random_total,
            "mean {} vs {}",
            nsga_total / 20.0,
            random_total / 20.0
        );
    }
}
