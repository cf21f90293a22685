//! Parameter plateaus: whether a config sits on a broad hill of good values or on a spike.
//! Each config of a grid is scored over its neighbours: the configs one step away or less
//! on every axis (a step is to the next value present on that axis, so uneven and
//! constraint-thinned grids work; at an edge there are fewer neighbours).
//!
//! The stability score is the mean of the metric over the config and its neighbours: a
//! spike among poor neighbours scores low, the top of a broad hill high. Beside it: the
//! neighbours' mean and worst, and the share of them within `tolerance` of the config's
//! own value (`|v_n - v| <= tolerance * |v|`).
//!
//! Edge cases: a null metric takes no part (as a config or a neighbour); a config without
//! neighbours has a score of its own value and no mean, worst or share. Looking a config's
//! neighbours up costs 3^axes, so grids of many axes are slow (100,000 configs over 2
//! axes take milliseconds; see the benchmark).

use std::collections::HashMap;

use serde::{Deserialize, Serialize};
use serde_json::Value;

use crate::error::{Error, Result};
use crate::metrics::Metric;

/// A config's figures over its neighbourhood, in the metric's own units.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct Stability {
    /// The mean over the config and its neighbours: what `top --robust` ranks by.
    pub score: Option<f64>,
    pub neighbours: usize,
    pub neighbour_mean: Option<f64>,
    /// The worst neighbour (the lowest, or the highest for a metric better smaller).
    pub neighbour_worst: Option<f64>,
    /// The share of the neighbours within `tolerance` of the config's value.
    pub share_within: Option<f64>,
}

/// The most axes a grid may have: 3^8 = 6,561 neighbour cells a config.
pub const MAX_AXES: usize = 8;

/// The axis values of one config: numbers sort as numbers, anything else as its JSON text.
fn key(value: &Value) -> Coordinate {
    match value.as_f64() {
        Some(x) => Coordinate::Number(x),
        None => Coordinate::Text(value.to_string()),
    }
}

#[derive(Debug, Clone, PartialEq, PartialOrd)]
enum Coordinate {
    Number(f64),
    Text(String),
}

/// The stability of each of `points` (one value per axis each, the same axes for all)
/// given its `values` of `metric`.
pub fn stability(
    points: &[Vec<Value>],
    values: &[Option<f64>],
    metric: Metric,
    tolerance: f64,
) -> Result<Vec<Stability>> {
    let bad = |message: String| Error::Robustness(format!("plateau: {message}"));
    if points.len() != values.len() {
        return Err(bad(format!("{} configs but {} values", points.len(), values.len())));
    }
    if !(tolerance.is_finite() && tolerance >= 0.0) {
        return Err(bad(format!("tolerance {tolerance} is not a fraction of 0 or more")));
    }
    let axes = points.first().map_or(0, Vec::len);
    if axes > MAX_AXES {
        return Err(bad(format!("{axes} axes; at most {MAX_AXES}")));
    }
    if let Some(i) = points.iter().position(|p| p.len() != axes) {
        return Err(bad(format!(
            "config {} has {} axis values, the first {axes}",
            i + 1,
            points[i].len()
        )));
    }
    // Each config's position on each axis: the rank of its value among those present.
    let mut index = vec![vec![0u32; axes]; points.len()];
    let mut sizes = Vec::with_capacity(axes);
    for a in 0..axes {
        let mut present: Vec<Coordinate> = points.iter().map(|p| key(&p[a])).collect();
        present.sort_by(|x, y| x.partial_cmp(y).unwrap_or(std::cmp::Ordering::Equal));
        present.dedup();
        for (i, p) in points.iter().enumerate() {
            let k = key(&p[a]);
            index[i][a] = present.partition_point(|v| v.partial_cmp(&k) == Some(std::cmp::Ordering::Less)) as u32;
        }
        sizes.push(present.len() as u64);
    }
    let cells: u64 = sizes.iter().product();
    // A dense table where the grid is not much sparser than its configs, else a map.
    let flat = |ix: &[u32]| ix.iter().zip(&sizes).fold(0u64, |f, (&i, &n)| f * n + u64::from(i));
    let dense = cells <= 8 * points.len() as u64 + 1024;
    let mut table = if dense {
        vec![u32::MAX; cells as usize]
    } else {
        Vec::new()
    };
    let mut map = HashMap::new();
    for (i, ix) in index.iter().enumerate() {
        if values[i].is_none() {
            continue;
        }
        if dense {
            table[flat(ix) as usize] = i as u32;
        } else {
            map.insert(flat(ix), i as u32);
        }
    }
    let lookup = |cell: u64| {
        if dense {
            Some(table[cell as usize]).filter(|&i| i != u32::MAX)
        } else {
            map.get(&cell).copied()
        }
    };
    let oriented = |i: usize| values[i].map(|v| metric.oriented(v));
    let offsets = 3usize.pow(axes as u32);
    let mut neighbour = vec![0u32; axes];
    Ok((0..points.len())
        .map(|i| {
            let Some(own) = oriented(i) else {
                return Stability {
                    score: None,
                    neighbours: 0,
                    neighbour_mean: None,
                    neighbour_worst: None,
                    share_within: None,
                };
            };
            let (mut count, mut sum, mut worst, mut within) = (0usize, 0.0, f64::INFINITY, 0usize);
            'offsets: for offset in 0..offsets {
                let mut rest = offset;
                let mut moved = false;
                for a in 0..axes {
                    let step = (rest % 3) as i64 - 1;
                    rest /= 3;
                    let at = i64::from(index[i][a]) + step;
                    if at < 0 || at >= sizes[a] as i64 {
                        continue 'offsets;
                    }
                    moved |= step != 0;
                    neighbour[a] = at as u32;
                }
                if !moved {
                    continue;
                }
                if let Some(j) = lookup(flat(&neighbour)) {
                    let v = oriented(j as usize).unwrap_or(f64::NAN);
                    count += 1;
                    sum += v;
                    worst = worst.min(v);
                    within += usize::from((v - own).abs() <= tolerance * own.abs());
                }
            }
            let back = |v: f64| metric.oriented(v);
            let any = count > 0;
            Stability {
                score: Some(back((sum + own) / (count + 1) as f64)),
                neighbours: count,
                neighbour_mean: any.then(|| back(sum / count as f64)),
                neighbour_worst: any.then(|| back(worst)),
                share_within: any.then(|| within as f64 / count as f64),
            }
        })
        .collect())
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    /// An n x n grid of integer params with `f(x, y)` as its Sharpe ratio.
    fn grid(n: i64, f: impl Fn(i64, i64) -> f64) -> (Vec<Vec<Value>>, Vec<Option<f64>>) {
        let cells: Vec<(i64, i64)> = (0..n).flat_map(|x| (0..n).map(move |y| (x, y))).collect();
        (
            cells.iter().map(|&(x, y)| vec![json!(x), json!(y)]).collect(),
            cells.iter().map(|&(x, y)| Some(f(x, y))).collect(),
        )
    }

    fn at(points: &[Vec<Value>], x: i64, y: i64) -> usize {
        points.iter().position(|p| p == &vec![json!(x), json!(y)]).unwrap()
    }

    #[test]
    fn a_spike_in_a_flat_grid_scores_low_and_a_broad_hill_high() {
        let (points, values) = grid(10, |x, y| if (x, y) == (5, 5) { 2.0 } else { 0.0 });
        let s = stability(&points, &values, Metric::SharpeRatio, 0.1).unwrap();
        let spike = s[at(&points, 5, 5)];
        assert_eq!(
            (spike.neighbours, spike.neighbour_mean, spike.share_within),
            (8, Some(0.0), Some(0.0))
        );
        assert!((spike.score.unwrap() - 2.0 / 9.0).abs() < 1e-12);

        // A hill with its top at (5, 5), falling 5% a step.
        let (points, values) = grid(10, |x, y| {
            2.0 * (1.0 - 0.05 * ((x - 5).abs().max((y - 5).abs())) as f64)
        });
        let s = stability(&points, &values, Metric::SharpeRatio, 0.1).unwrap();
        let top = s[at(&points, 5, 5)];
        assert!(top.score.unwrap() > 1.9 && top.share_within == Some(1.0), "{top:?}");
        // The hill's top is the most stable config.
        let best = (0..s.len())
            .max_by(|&a, &b| s[a].score.partial_cmp(&s[b].score).unwrap())
            .unwrap();
        assert_eq!(best, at(&points, 5, 5));
    }

    #[test]
    fn neighbours_on_uneven_grids_at_edges_and_around_holes() {
        // Axis values 1, 2, 5, 10 and 7, 70: a step is to the next value present.
        let points: Vec<Vec<Value>> = [1, 2, 5, 10]
            .iter()
            .flat_map(|&a| [7, 70].map(|b| vec![json!(a), json!(b)]))
            .collect();
        let mut values = vec![Some(1.0); points.len()];
        let s = stability(&points, &values, Metric::SharpeRatio, 0.0).unwrap();
        // A corner (1, 7): (1, 70), (2, 7), (2, 70). Inside (2, 7): five.
        assert_eq!(s[0].neighbours, 3);
        assert_eq!(s[2].neighbours, 5);
        // A hole (a null value, or a config the constraints dropped) is no neighbour.
        values[2] = None;
        let s = stability(&points, &values, Metric::SharpeRatio, 0.0).unwrap();
        assert_eq!((s[0].neighbours, s[2].score), (2, None));
        // Choices are an axis too, ordered by their text.
        let choices: Vec<Vec<Value>> = ["a", "b", "c"].iter().map(|c| vec![json!(c)]).collect();
        let s = stability(&choices, &[Some(1.0), Some(2.0), Some(3.0)], Metric::SharpeRatio, 0.5).unwrap();
        assert_eq!(s.iter().map(|s| s.neighbours).collect::<Vec<_>>(), [1, 2, 1]);
        assert_eq!(s[1].neighbour_worst, Some(1.0));
        assert_eq!(s[1].share_within, Some(1.0));
    }

    #[test]
    fn a_metric_better_smaller_has_its_worst_neighbour_highest() {
        let points: Vec<Vec<Value>> = (0..3).map(|i| vec![json!(i)]).collect();
        let s = stability(&points, &[Some(0.1), Some(0.2), Some(0.4)], Metric::MaxDrawdown, 0.1).unwrap();
        assert_eq!(s[1].neighbour_worst, Some(0.4));
        assert!((s[1].score.unwrap() - 0.7 / 3.0).abs() < 1e-12);
    }

    #[test]
    fn bad_input_is_refused() {
        let one = vec![vec![json!(1)]];
        assert!(
            stability(&one, &[], Metric::SharpeRatio, 0.1)
                .unwrap_err()
                .to_string()
                .contains("1 configs but 0 values")
        );
        assert!(
            stability(&one, &[Some(1.0)], Metric::SharpeRatio, -1.0)
                .unwrap_err()
                .to_string()
                .contains("tolerance -1")
        );
        let ragged = vec![vec![json!(1)], vec![json!(1), json!(2)]];
        assert!(
            stability(&ragged, &[Some(1.0); 2], Metric::SharpeRatio, 0.1)
                .unwrap_err()
                .to_string()
                .contains("config 2")
        );
    }
}
