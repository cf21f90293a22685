//! The space an optimizer searches: one dimension per swept parameter, the others fixed.

use serde_json::{Map, Value};

use crate::config::BacktestConfig;
use crate::error::{Error, Result};
use crate::orders::{self, Orders};
use crate::search::{Axis, ParamGrid, Range, predefined_grids};
use crate::strategy::{self, ParamKind, Strategy};

/// One searched parameter. Samplers work in an internal coordinate per dimension: the value
/// for `Int`, the value or its logarithm for `Float`, the index for `Choice`.
#[derive(Debug, Clone, PartialEq)]
pub enum Dimension {
    Int {
        name: String,
        low: i64,
        high: i64,
        step: i64,
    },
    Float {
        name: String,
        low: f64,
        high: f64,
        log: bool,
    },
    Choice {
        name: String,
        values: Vec<Value>,
    },
}

impl Dimension {
    pub fn name(&self) -> &str {
        match self {
            Dimension::Int { name, .. } | Dimension::Float { name, .. } | Dimension::Choice { name, .. } => name,
        }
    }

    /// The internal interval a continuous sampler draws from (an integer's covers half a
    /// step beyond each end so the end values are as likely as the others).
    pub(crate) fn interval(&self) -> (f64, f64) {
        match *self {
            Dimension::Int { low, high, step, .. } => (low as f64 - step as f64 / 2.0, high as f64 + step as f64 / 2.0),
            Dimension::Float {
                low, high, log: true, ..
            } => (low.ln(), high.ln()),
            Dimension::Float { low, high, .. } => (low, high),
            Dimension::Choice { ref values, .. } => (0.0, values.len() as f64),
        }
    }

    /// The parameter value at an internal coordinate (snapped to the integer grid).
    pub(crate) fn value_at(&self, x: f64) -> Value {
        match *self {
            Dimension::Int { low, high, step, .. } => {
                let k = ((x - low as f64) / step as f64).round().max(0.0) as i64;
                Value::from((low + k * step).min(high))
            }
            Dimension::Float { low, high, log, .. } => {
                let v = if log { x.exp() } else { x };
                Value::from(v.clamp(low, high))
            }
            Dimension::Choice { ref values, .. } => values[(x as usize).min(values.len() - 1)].clone(),
        }
    }

    /// The internal coordinate of a value, `None` when the value lies outside the dimension
    /// (a trial from another search still counts as tried, but teaches nothing here).
    pub(crate) fn coordinate(&self, value: &Value) -> Option<f64> {
        match *self {
            Dimension::Int { low, high, .. } => value.as_f64().filter(|v| (low as f64..=high as f64).contains(v)),
            Dimension::Float { low, high, log, .. } => value
                .as_f64()
                .filter(|v| (low..=high).contains(v))
                .map(|v| if log { v.ln() } else { v }),
            Dimension::Choice { ref values, .. } => values.iter().position(|c| c == value).map(|i| i as f64),
        }
    }
}

/// A strategy's parameters as an optimizer searches them.
#[derive(Clone)]
pub struct SearchSpace {
    pub strategy: &'static dyn Strategy,
    pub dimensions: Vec<Dimension>,
    /// Parameters not searched, at their defaults.
    pub fixed: Map<String, Value>,
}

impl std::fmt::Debug for SearchSpace {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("SearchSpace")
            .field("strategy", &self.strategy.name())
            .field("dimensions", &self.dimensions)
            .finish()
    }
}

impl SearchSpace {
    /// The space spanned by a param grid: each axis's lowest to highest value (a list of
    /// numbers becomes the range it covers), the type from the strategy's schema; an axis
    /// named by an order field (`stop_loss.pct`) is a dimension too.
    pub fn from_grid(strategy_name: &str, grid: &ParamGrid) -> Result<Self> {
        let strategy = strategy::find(strategy_name)?;
        let mut fixed = strategy::default_params(strategy);
        let mut dimensions = Vec::new();
        for spec in strategy.params() {
            let Some(axis) = grid.get(spec.name) else { continue };
            dimensions.push(dimension(strategy_name, spec.name, spec.kind, axis)?);
            fixed.remove(spec.name);
        }
        for (name, axis) in grid {
            if let Some(field) = orders::field(name) {
                let field = field?;
                dimensions.push(dimension(strategy_name, field, orders::param_kind(field), axis)?);
            }
        }
        if dimensions.is_empty() {
            return Err(Error::config(
                &format!("param_grids.{strategy_name}"),
                "names no parameter to search",
            ));
        }
        Ok(SearchSpace {
            strategy,
            dimensions,
            fixed,
        })
    }

    /// The space with the order fields `template` sets and no dimension searches held at
    /// their values, so that a point names every order field its config has.
    pub fn fixing_orders_of(mut self, template: &BacktestConfig) -> Self {
        for (name, value) in template.orders.entries() {
            if !self.dimensions.iter().any(|d| d.name() == name) {
                self.fixed.insert(name.to_owned(), value);
            }
        }
        self
    }

    /// Checks `template` as its configs will be: with each searched order field at the low
    /// end of its dimension (a `take_profit.rr` template may take its stop from the search).
    pub fn validate_template(&self, template: &BacktestConfig) -> Result<()> {
        let mut probe = template.clone();
        for d in &self.dimensions {
            probe.orders.set(d.name(), &d.value_at(d.interval().0))?;
        }
        probe.validate().map(drop)
    }

    /// The config of a point: `template` with the point's strategy params and order fields.
    pub fn config(&self, template: &BacktestConfig, point: &Map<String, Value>) -> Result<BacktestConfig> {
        let mut orders = template.orders.clone();
        let params = split_point(point, &mut orders)?;
        Ok(BacktestConfig {
            strategy: self.strategy.name().to_owned(),
            params,
            orders,
            ..template.clone()
        })
    }

    /// The space of the strategy's predefined grid, or for a defined strategy (which has
    /// none) every param over the bounds its definition declares.
    pub fn predefined(strategy_name: &str) -> Result<Self> {
        let grids = predefined_grids();
        if let Some(grid) = grids.get(strategy_name) {
            return Self::from_grid(strategy_name, grid);
        }
        let strategy = strategy::find(strategy_name)?;
        if strategy.definition().is_none() {
            return Err(Error::config(
                "strategy",
                format!("`{strategy_name}` has no predefined grid"),
            ));
        }
        let grid: ParamGrid = strategy
            .params()
            .iter()
            .map(|p| {
                let axis = match p.kind {
                    ParamKind::Int => Axis::Range(Range::Int {
                        min: p.min as i64,
                        max: p.max as i64,
                        step: 1,
                    }),
                    ParamKind::Float => Axis::Range(Range::Float {
                        min: p.min,
                        max: p.max,
                        num: None,
                    }),
                    ParamKind::Choice => Axis::Values(p.choices.iter().map(|&c| Value::from(c)).collect()),
                };
                (p.name.to_owned(), axis)
            })
            .collect();
        Self::from_grid(strategy_name, &grid)
    }

    /// The full params object at internal coordinates `point`.
    pub(crate) fn params_at(&self, point: &[f64]) -> Map<String, Value> {
        let mut params = self.fixed.clone();
        for (d, &x) in self.dimensions.iter().zip(point) {
            params.insert(d.name().to_owned(), d.value_at(x));
        }
        params
    }

    /// Internal coordinates of a params object, if it lies in this space.
    pub(crate) fn point_of(&self, params: &Map<String, Value>) -> Option<Vec<f64>> {
        self.dimensions
            .iter()
            .map(|d| params.get(d.name()).and_then(|v| d.coordinate(v)))
            .collect()
    }

    /// Checks a point: its params against the strategy's schema, its order fields as a
    /// config checks them; returns it in normal form.
    pub fn validate(&self, point: &Map<String, Value>) -> Result<Map<String, Value>> {
        let mut orders = Orders::default();
        let params = split_point(point, &mut orders)?;
        let (_, mut normal) = strategy::validate_params(self.strategy, &params)?;
        let (orders, _) = orders.check()?;
        normal.extend(orders.entries().map(|(name, value)| (name.to_owned(), value)));
        Ok(normal)
    }
}

/// Sets a point's order fields on `orders` and returns the rest: the strategy's params.
fn split_point(point: &Map<String, Value>, orders: &mut Orders) -> Result<Map<String, Value>> {
    let mut params = Map::new();
    for (name, value) in point {
        if !orders.set(name, value)? {
            params.insert(name.clone(), value.clone());
        }
    }
    Ok(params)
}

/// The point of a config in any space of its strategy: its params and the order fields it
/// sets, by dotted name.
pub fn point_of_config(config: &BacktestConfig) -> Map<String, Value> {
    let mut point = config.params.clone();
    point.extend(config.orders.entries().map(|(name, value)| (name.to_owned(), value)));
    point
}

/// One dimension from a grid axis.
fn dimension(strategy_name: &str, name: &str, kind: ParamKind, axis: &Axis) -> Result<Dimension> {
    let bad = |message: String| Error::config(&format!("param_grids.{strategy_name}.{name}"), message);
    let dimension = match axis {
        Axis::Values(values) => match numeric_span(values) {
            Some((low, high)) => numeric(name, kind, low, high, 1, false),
            None if !values.is_empty() => Dimension::Choice {
                name: name.to_owned(),
                values: values.clone(),
            },
            None => return Err(bad("has no values".into())),
        },
        Axis::Range(Range::Int { min, max, step }) => {
            numeric(name, kind, *min as f64, *max as f64, (*step).max(1), false)
        }
        Axis::Range(Range::Float { min, max, .. }) => numeric(name, kind, *min, *max, 1, false),
        Axis::Range(Range::Loguniform { min, max, .. }) => numeric(name, kind, *min, *max, 1, true),
        Axis::Range(Range::Choice { values }) => match numeric_span(values) {
            Some((low, high)) => numeric(name, kind, low, high, 1, false),
            None => Dimension::Choice {
                name: name.to_owned(),
                values: values.clone(),
            },
        },
    };
    if let Dimension::Int { low, high, .. } = dimension
        && low > high
    {
        return Err(bad(format!("min {low} is above max {high}")));
    }
    if let Dimension::Float { low, high, log, .. } = dimension
        && (low.partial_cmp(&high) != Some(std::cmp::Ordering::Less) || (log && low <= 0.0))
    {
        return Err(bad(format!(
            "needs 0 < min < max for a log scale, or min < max; got [{low}, {high}]"
        )));
    }
    Ok(dimension)
}

fn numeric_span(values: &[Value]) -> Option<(f64, f64)> {
    let numbers: Option<Vec<f64>> = values.iter().map(Value::as_f64).collect();
    let numbers = numbers.filter(|n| !n.is_empty())?;
    let low = numbers.iter().copied().fold(f64::INFINITY, f64::min);
    let high = numbers.iter().copied().fold(f64::NEG_INFINITY, f64::max);
    Some((low, high))
}

fn numeric(name: &str, kind: ParamKind, low: f64, high: f64, step: i64, log: bool) -> Dimension {
    match kind {
        ParamKind::Int => Dimension::Int {
            name: name.to_owned(),
            low: low.ceil() as i64,
            high: high.floor() as i64,
            step,
        },
        // A range over a choice param: its values (a grid of a choice is a list).
        ParamKind::Float | ParamKind::Choice => Dimension::Float {
            name: name.to_owned(),
            low,
            high,
            log,
        },
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_predefined_sma_space_spans_its_grid() {
        let space = SearchSpace::predefined("sma").unwrap();
        assert_eq!(
            space.dimensions,
            vec![
                Dimension::Int {
                    name: "fast_period".into(),
                    low: 5,
                    high: 50,
                    step: 1
                },
                Dimension::Int {
                    name: "slow_period".into(),
                    low: 20,
                    high: 200,
                    step: 1
                },
            ]
        );
    }

    #[test]
    fn values_and_coordinates_round_trip() {
        let d = Dimension::Float {
            name: "x".into(),
            low: 0.01,
            high: 1.0,
            log: true,
        };
        let x = d.coordinate(&Value::from(0.1)).unwrap();
        assert!((d.value_at(x).as_f64().unwrap() - 0.1).abs() < 1e-12);
        let i = Dimension::Int {
            name: "n".into(),
            low: 10,
            high: 50,
            step: 5,
        };
        assert_eq!(i.value_at(22.4), Value::from(20));
        assert_eq!(i.value_at(52.6), Value::from(50));
        assert_eq!(i.coordinate(&Value::from(60)), None);
    }

    #[test]
    fn a_bad_range_is_named() {
        let grid: ParamGrid = serde_yaml_ng::from_str("fast_period: {type: int, min: 50, max: 5}").unwrap();
        let e = SearchSpace::from_grid("sma", &grid).unwrap_err().to_string();
        assert!(e.contains("param_grids.sma.fast_period"), "{e}");
    }
}
