//! The probability of backtest overfitting by combinatorially symmetric cross-validation
//! (Bailey, Borwein, López de Prado & Zhu, "The Probability of Backtest Overfitting", 2017).
//!
//! The per-period returns of all N configs of a sweep are cut into S contiguous blocks.
//! For every way of choosing S/2 blocks as the in-sample half (the rest out of sample), the
//! config with the best in-sample Sharpe is found and its out-of-sample Sharpe ranked among
//! all N: `ω = rank / (N + 1)`, `λ = ln(ω / (1 − ω))`. PBO is the share of combinations
//! with `λ ≤ 0`: the in-sample winner did no better than the median out of sample.
//!
//! Edge cases: fewer than two configs, an odd or too large S, or fewer periods than blocks
//! are refused. A config whose returns never vary in a half has a Sharpe of 0 there. Ties
//! in-sample go to the first config; ties out of sample count half.

use serde::{Deserialize, Serialize};

use crate::error::{Error, Result};

pub const DEFAULT_BLOCKS: usize = 16;
/// C(20, 10) = 184,756 combinations; more blocks would take minutes on a big sweep.
pub const MAX_BLOCKS: usize = 20;

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Pbo {
    /// P(λ ≤ 0).
    pub pbo: f64,
    /// One logit per combination, in the order the combinations are enumerated.
    pub logits: Vec<f64>,
    /// P(the in-sample winner's out-of-sample Sharpe < 0).
    pub probability_of_loss: f64,
    pub configs: usize,
    pub periods: usize,
    pub blocks: usize,
    pub combinations: usize,
}

/// Sum, sum of squares and count of one config's returns in one block.
#[derive(Clone, Copy, Default)]
struct Sums {
    sum: f64,
    squares: f64,
    count: usize,
}

impl Sums {
    fn add(&mut self, other: &Sums) {
        self.sum += other.sum;
        self.squares += other.squares;
        self.count += other.count;
    }

    /// Per-period Sharpe, `mean / std (ddof = 1)`; 0 without variation.
    fn sharpe(&self) -> f64 {
        if self.count < 2 {
            return 0.0;
        }
        let n = self.count as f64;
        let mean = self.sum / n;
        let variance = (self.squares - self.sum * mean) / (n - 1.0);
        if variance <= 0.0 { 0.0 } else { mean / variance.sqrt() }
    }
}

/// PBO of `returns` (one row of per-period returns per config, all of one length).
pub fn pbo(returns: &[Vec<f64>], blocks: usize) -> Result<Pbo> {
    let configs = returns.len();
    let bad = |message: String| Error::Config {
        field: "pbo".into(),
        message,
    };
    if configs < 2 {
        return Err(bad(format!("needs the returns of at least 2 configs, got {configs}")));
    }
    let periods = returns[0].len();
    if let Some(row) = returns.iter().position(|r| r.len() != periods) {
        return Err(bad(format!(
            "config {row} has {} periods, config 0 has {periods}: a sweep's configs share one range",
            returns[row].len()
        )));
    }
    if blocks < 2 || blocks % 2 != 0 || blocks > MAX_BLOCKS {
        return Err(bad(format!("blocks must be even, in [2, {MAX_BLOCKS}]; got {blocks}")));
    }
    if periods < 2 * blocks {
        return Err(bad(format!(
            "{periods} periods cannot fill {blocks} blocks of at least 2 (keep more returns or use fewer blocks)"
        )));
    }
    // block b covers periods [b T / S, (b + 1) T / S)
    let sums: Vec<Vec<Sums>> = returns
        .iter()
        .map(|row| {
            (0..blocks)
                .map(|b| {
                    let mut s = Sums::default();
                    for &r in &row[b * periods / blocks..(b + 1) * periods / blocks] {
                        s.sum += r;
                        s.squares += r * r;
                        s.count += 1;
                    }
                    s
                })
                .collect()
        })
        .collect();
    let mut logits = Vec::new();
    let mut losses = 0usize;
    let mut in_sample = vec![0.0; configs];
    let mut out_of_sample = vec![0.0; configs];
    for_each_half(blocks, |chosen| {
        for (n, rows) in sums.iter().enumerate() {
            let (mut is, mut oos) = (Sums::default(), Sums::default());
            for (b, s) in rows.iter().enumerate() {
                if chosen[b] { is.add(s) } else { oos.add(s) }
            }
            in_sample[n] = is.sharpe();
            out_of_sample[n] = oos.sharpe();
        }
        let best = (0..configs).fold(0, |best, n| if in_sample[n] > in_sample[best] { n } else { best });
        let target = out_of_sample[best];
        let below = out_of_sample.iter().filter(|&&v| v < target).count() as f64;
        let ties = out_of_sample.iter().filter(|&&v| v == target).count() as f64 - 1.0;
        let rank = 1.0 + below + ties / 2.0;
        let omega = rank / (configs as f64 + 1.0);
        logits.push((omega / (1.0 - omega)).ln());
        if target < 0.0 {
            losses += 1;
        }
    });
    let combinations = logits.len();
    Ok(Pbo {
        pbo: logits.iter().filter(|&&l| l <= 0.0).count() as f64 / combinations as f64,
        probability_of_loss: losses as f64 / combinations as f64,
        logits,
        configs,
        periods,
        blocks,
        combinations,
    })
}

/// Calls `f` with every choice of `blocks / 2` of `blocks` (as flags), in lexicographic
/// order of the chosen indexes.
fn for_each_half(blocks: usize, mut f: impl FnMut(&[bool])) {
    let half = blocks / 2;
    let mut index: Vec<usize> = (0..half).collect();
    let mut chosen = vec![false; blocks];
    loop {
        chosen.iter_mut().for_each(|c| *c = false);
        index.iter().for_each(|&i| chosen[i] = true);
        f(&chosen);
        // the next combination: bump the rightmost index that can move
        let Some(k) = (0..half).rev().find(|&k| index[k] < blocks - half + k) else {
            return;
        };
        index[k] += 1;
        for j in k + 1..half {
            index[j] = index[j - 1] + 1;
        }
    }
}

/// Counts of `logits` in `bins` equal bins over [min, max], for a histogram.
pub fn histogram(logits: &[f64], bins: usize) -> Vec<(f64, f64, usize)> {
    let finite: Vec<f64> = logits.iter().copied().filter(|l| l.is_finite()).collect();
    if finite.is_empty() || bins == 0 {
        return Vec::new();
    }
    let lo = finite.iter().copied().fold(f64::INFINITY, f64::min);
    let hi = finite.iter().copied().fold(f64::NEG_INFINITY, f64::max);
    let width = ((hi - lo) / bins as f64).max(1e-12);
    let mut counts = vec![0usize; bins];
    for l in finite {
        counts[(((l - lo) / width) as usize).min(bins - 1)] += 1;
    }
    counts
        .into_iter()
        .enumerate()
        .map(|(i, c)| (lo + i as f64 * width, lo + (i + 1) as f64 * width, c))
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_half_is_enumerated_once() {
        let mut seen = std::collections::HashSet::new();
        for_each_half(6, |c| {
            assert_eq!(c.iter().filter(|&&x| x).count(), 3);
            assert!(seen.insert(c.to_vec()));
        });
        assert_eq!(seen.len(), 20);
    }

    #[test]
    fn bad_shapes_are_refused() {
        let row = vec![0.01; 64];
        assert!(pbo(std::slice::from_ref(&row), 16).is_err());
        assert!(pbo(&[row.clone(), row.clone()], 7).is_err());
        assert!(pbo(&[row.clone(), row[..10].to_vec()], 4).is_err());
        assert!(pbo(&[row.clone(), row.clone()], 40).is_err());
        assert!(pbo(&[row[..10].to_vec(), row[..10].to_vec()], 16).is_err());
    }

    #[test]
    fn a_histogram_counts_every_finite_logit() {
        let h = histogram(&[-1.0, 0.0, 0.5, 1.0, f64::INFINITY], 4);
        assert_eq!(h.iter().map(|b| b.2).sum::<usize>(), 4);
        assert_eq!(h[0].0, -1.0);
    }
}
