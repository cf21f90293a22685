//! Parameter search: grid (the Cartesian product of the axes) and seeded random search,
//! over axes of kind `int {min, max, step}`, `float {min, max}`, `choice [..]` and
//! `loguniform {min, max}`.
//!
//! Both stream: a grid is counted by multiplying its axis sizes and walked like an
//! odometer without building the product; a random config is drawn straight from the axes.
//! Constraints (`fast_period < slow_period`) drop combinations before they run.

use std::collections::BTreeMap;

use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;
use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};

use crate::config::{BacktestConfig, DEFAULT_CAPITAL, DEFAULT_FEE_BPS, default_capital, default_fee_bps};
use crate::error::{Error, Result};
use crate::orders::{self, Orders};
use crate::strategy::{self, Comparison, Constraint, ParamKind, Strategy, Term};
use crate::time::Timestamp;
use crate::timeframe::Timeframe;

/// The grids shipped in `config/param_grids.yaml`, embedded so every face has them.
pub const PREDEFINED_GRIDS_YAML: &str = include_str!("../config/param_grids.yaml");

/// One parameter's axis: a list of values, or a range of a kind.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(untagged)]
pub enum Axis {
    Values(Vec<Value>),
    Range(Range),
}

/// By hand rather than untagged, so that a bad axis says what an axis is (and a bad range
/// what is wrong with it) instead of "did not match any variant".
impl<'de> Deserialize<'de> for Axis {
    fn deserialize<D: serde::Deserializer<'de>>(deserializer: D) -> std::result::Result<Self, D::Error> {
        use serde::de::Error as _;
        match Value::deserialize(deserializer)? {
            Value::Array(values) => Ok(Axis::Values(values)),
            range @ Value::Object(_) => Range::deserialize(range).map(Axis::Range).map_err(D::Error::custom),
            other => Err(D::Error::custom(format!(
                "an axis is a list of values or a range such as {{type: int, min: 5, max: 50}}, not {other}"
            ))),
        }
    }
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "type", rename_all = "lowercase", deny_unknown_fields)]
pub enum Range {
    /// `min, min + step, ..., <= max`.
    Int {
        min: i64,
        max: i64,
        #[serde(default = "one")]
        step: i64,
    },
    /// Uniform in `[min, max]` for random search; a grid needs `num` evenly spaced points.
    Float { min: f64, max: f64, num: Option<u32> },
    /// The seed's kind: a list of values to choose from.
    Choice { values: Vec<Value> },
    /// `ln x` uniform in `[ln min, ln max]`; a grid needs `num` log-spaced points.
    Loguniform { min: f64, max: f64, num: Option<u32> },
}

fn one() -> i64 {
    1
}

/// Axes by parameter name; a parameter with no axis keeps its default.
pub type ParamGrid = BTreeMap<String, Axis>;

/// Grids by strategy name, as `config/param_grids.yaml` holds them.
pub type ParamGrids = BTreeMap<String, ParamGrid>;

pub fn predefined_grids() -> ParamGrids {
    parse_grids(PREDEFINED_GRIDS_YAML).expect("config/param_grids.yaml is valid (tested)")
}

/// Parses grids from YAML (or JSON, which is YAML).
pub fn parse_grids(text: &str) -> Result<ParamGrids> {
    serde_yaml_ng::from_str(text).map_err(|e| Error::Search(format!("param grids: {e}")))
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, Default)]
#[serde(rename_all = "lowercase")]
pub enum SearchType {
    #[default]
    Grid,
    Random,
}

/// A whole sweep, as a file (`btlab sweep spec.yaml`), a share link or the page's form
/// describe it. Strategies without a grid here use the predefined one.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SweepSpec {
    /// The market, or the first of several (`symbols`, `timeframes`, `markets`).
    pub symbol: String,
    pub timeframe: Timeframe,
    /// A sweep across markets: every config on each of `symbols` x `timeframes` (an
    /// empty one stands for `symbol` / `timeframe`)...
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub symbols: Vec<String>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub timeframes: Vec<Timeframe>,
    /// ...or on exactly these (`[BTCUSDT@1h, DOGEUSDT@15m]`), for sets no product makes.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub markets: Vec<MarketId>,
    pub start: Timestamp,
    pub end: Timestamp,
    #[serde(default)]
    pub strategies: Vec<String>,
    /// Strategy definitions (the language's YAML texts): each is swept with the others.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub definitions: Vec<String>,
    /// Definition files, which the face reads into `definitions` (the core reads no file).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub strategy_files: Vec<String>,
    #[serde(default)]
    pub param_grids: ParamGrids,
    #[serde(default)]
    pub search: SearchType,
    /// Random search: configs drawn per strategy.
    #[serde(default = "default_samples")]
    pub n_samples: u64,
    #[serde(default)]
    pub seed: u64,
    #[serde(default = "default_capital")]
    pub initial_capital: f64,
    #[serde(default = "default_fee_bps")]
    pub fee_bps: f64,
    #[serde(default)]
    pub slippage_bps: f64,
    #[serde(default)]
    pub allow_short: bool,
    /// Order fields every config of the sweep gets (`orders: {stop_loss: {pct: 0.02}}`);
    /// a grid varies one by its dotted name (`stop_loss.pct: [0.01, 0.02]`).
    #[serde(default, skip_serializing_if = "Orders::is_empty")]
    pub orders: Orders,
}

fn default_samples() -> u64 {
    100
}

/// One market of a sweep: a symbol at a timeframe, written `BTCUSDT@1h`.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
pub struct MarketId {
    pub symbol: String,
    pub timeframe: Timeframe,
}

impl std::fmt::Display for MarketId {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}@{}", self.symbol, self.timeframe)
    }
}

impl std::str::FromStr for MarketId {
    type Err = Error;

    fn from_str(text: &str) -> Result<Self> {
        let (symbol, timeframe) = text
            .split_once('@')
            .ok_or_else(|| Error::Search(format!("market `{text}`: write SYMBOL@TIMEFRAME, e.g. BTCUSDT@1h")))?;
        if symbol.trim().is_empty() {
            return Err(Error::Search(format!("market `{text}`: the symbol is empty")));
        }
        Ok(Self {
            symbol: symbol.trim().to_owned(),
            timeframe: timeframe.trim().parse()?,
        })
    }
}

impl TryFrom<String> for MarketId {
    type Error = Error;

    fn try_from(text: String) -> Result<Self> {
        text.parse()
    }
}

impl From<MarketId> for String {
    fn from(market: MarketId) -> String {
        market.to_string()
    }
}

/// Fills a spec's missing `symbol` / `timeframe` with its first market's, and drops the
/// market lists a face's flag replaces (`--symbol ETHUSDT` sweeps ETHUSDT, not `symbols`).
/// Whether it changed the fields.
fn settle_markets(fields: &mut Map<String, Value>, overrides: &Map<String, Value>) -> bool {
    let mut changed = false;
    let first_market = fields
        .get("markets")
        .and_then(|m| m.get(0))
        .and_then(Value::as_str)
        .and_then(|m| m.parse::<MarketId>().ok());
    for (field, list) in [("symbol", "symbols"), ("timeframe", "timeframes")] {
        if !fields.contains_key(field) {
            let first = fields.get(list).and_then(|l| l.get(0)).cloned().or_else(|| {
                first_market.as_ref().map(|m| match field {
                    "symbol" => Value::from(m.symbol.as_str()),
                    _ => Value::from(m.timeframe.as_str()),
                })
            });
            if let Some(first) = first {
                fields.insert(field.to_owned(), first);
                changed = true;
            }
        }
        if overrides.contains_key(field) {
            changed |= fields.remove(list).is_some();
            changed |= fields.remove("markets").is_some();
        }
    }
    changed
}

impl SweepSpec {
    pub fn from_yaml(text: &str) -> Result<Self> {
        Self::from_yaml_with(text, &Map::new())
    }

    /// The spec of `text` with `overrides` (a face's flags, by field name) put over its
    /// fields before it is read, so flags complete a spec as well as change it: a spec
    /// without `symbol` is whole with `--symbol`.
    pub fn from_yaml_with(text: &str, overrides: &Map<String, Value>) -> Result<Self> {
        let bad = |e: &dyn std::fmt::Display| Error::Search(format!("sweep spec: {e}"));
        let mut fields: Value = serde_yaml_ng::from_str(text).map_err(|e| bad(&e))?;
        if fields.is_null() {
            fields = Value::Object(Map::new());
        }
        let Value::Object(map) = &mut fields else {
            return Err(Error::Search("sweep spec: expected a mapping of fields".into()));
        };
        map.extend(overrides.iter().map(|(k, v)| (k.clone(), v.clone())));
        let settled = settle_markets(map, overrides);
        let spec: Self = if overrides.is_empty() && !settled {
            // Read directly, so an error keeps its line and column.
            serde_yaml_ng::from_str(text).map_err(|e| bad(&e))?
        } else {
            serde_json::from_value(fields).map_err(|e| bad(&e))?
        };
        spec.markets()?;
        Ok(spec)
    }

    /// The markets the sweep runs on, in order: `markets`, or `symbols` x `timeframes`
    /// (symbol-major), or the one market of `symbol` and `timeframe`.
    pub fn markets(&self) -> Result<Vec<MarketId>> {
        let markets = if self.markets.is_empty() {
            let symbols = if self.symbols.is_empty() {
                std::slice::from_ref(&self.symbol)
            } else {
                &self.symbols
            };
            let timeframes = if self.timeframes.is_empty() {
                std::slice::from_ref(&self.timeframe)
            } else {
                &self.timeframes
            };
            symbols
                .iter()
                .flat_map(|symbol| {
                    timeframes.iter().map(|&timeframe| MarketId {
                        symbol: symbol.clone(),
                        timeframe,
                    })
                })
                .collect()
        } else {
            if !self.symbols.is_empty() || !self.timeframes.is_empty() {
                return Err(Error::Search(
                    "sweep spec: give `markets` or `symbols` / `timeframes`, not both".into(),
                ));
            }
            self.markets.clone()
        };
        let first = &markets[0];
        if first.symbol != self.symbol || first.timeframe != self.timeframe {
            return Err(Error::Search(format!(
                "sweep spec: `symbol: {}` / `timeframe: {}` is not the first market of the list ({first}); \
                 leave them out or put that market first",
                self.symbol, self.timeframe
            )));
        }
        for (i, market) in markets.iter().enumerate() {
            if markets[..i].contains(market) {
                return Err(Error::Search(format!("sweep spec: market {market} is listed twice")));
            }
        }
        Ok(markets)
    }

    /// This sweep on one of its markets only.
    pub fn for_market(&self, market: &MarketId) -> SweepSpec {
        SweepSpec {
            symbol: market.symbol.clone(),
            timeframe: market.timeframe,
            symbols: Vec::new(),
            timeframes: Vec::new(),
            markets: Vec::new(),
            ..self.clone()
        }
    }

    /// The sweep's configs, generated lazily in a fixed order: every config of the first
    /// market, then the same configs on the next one (random search draws the same points
    /// on each market, so a config can be compared across them).
    pub fn configs(&self) -> Result<Configs> {
        let mut markets = Vec::new();
        for market in self.markets()?.iter().rev() {
            let spec = self.for_market(market);
            let parts = spec.market_parts()?;
            markets.push((spec, parts));
        }
        Ok(Configs { markets, current: 0 })
    }

    /// The generators of a one-market spec, one per strategy.
    fn market_parts(&self) -> Result<Vec<(Space, Cursor)>> {
        // Every face asks for the configs (or their count) first: a bad cost is refused
        // before anything runs.
        crate::config::check_costs(self.initial_capital, self.fee_bps, self.slippage_bps)?;
        if let Some(file) = self.strategy_files.first() {
            return Err(Error::Search(format!(
                "strategy_files ({file}, ...) must be read into `definitions` by the face running the sweep"
            )));
        }
        // Parsed only when a strategy has no grid of its own.
        let mut predefined: Option<ParamGrids> = None;
        let mut strategies: Vec<&'static dyn Strategy> = Vec::new();
        for name in &self.strategies {
            strategies.push(strategy::find(name)?);
        }
        for text in &self.definitions {
            let defined: &'static dyn Strategy = crate::lang::define(text)?;
            // A definition named in `strategies` too: this one, in that place.
            match strategies.iter().position(|s| s.name() == defined.name()) {
                Some(i) => strategies[i] = defined,
                None => strategies.push(defined),
            }
        }
        let empty = ParamGrid::new();
        let mut parts = Vec::with_capacity(strategies.len());
        for strategy in strategies {
            let name = strategy.name();
            let grid = match self.param_grids.get(name) {
                Some(grid) => grid,
                None if strategy.definition().is_some() && strategy.params().is_empty() => &empty,
                None => predefined
                    .get_or_insert_with(predefined_grids)
                    .get(name)
                    .ok_or_else(|| {
                        Error::Search(format!("no param grid for `{name}` (give one in param_grids.{name})"))
                    })?,
            };
            let space = Space::new(strategy, grid, self.search)?;
            space.check_orders(&self.orders)?;
            let cursor = match self.search {
                SearchType::Grid => Cursor::Grid(vec![0; space.axes.len()], space.size() == 0),
                SearchType::Random => Cursor::Random {
                    // Each strategy draws from its own stream, so adding one changes no other.
                    rng: Box::new(ChaCha8Rng::seed_from_u64(self.seed ^ fnv1a(name.as_bytes()))),
                    left: self.n_samples,
                },
            };
            parts.push((space, cursor));
        }
        Ok(parts)
    }

    /// Combinations before constraints, over all markets: the product of the axis sizes
    /// for a grid, `n_samples` per strategy for random search.
    pub fn size_before_constraints(&self) -> Result<u128> {
        self.total(|space| Ok(space.size()))
    }

    /// Configs the sweep runs, over all markets: for a grid, the combinations its
    /// constraints allow, counted arithmetically (no combination is visited); `n_samples`
    /// per strategy for random search.
    pub fn size(&self) -> Result<u128> {
        self.total(Space::allowed_count)
    }

    fn total(&self, grid_size: impl Fn(&Space) -> Result<u128>) -> Result<u128> {
        let markets = self.markets()?.len() as u128;
        let per_market: u128 = self
            .market_parts()?
            .iter()
            .map(|(space, _)| match self.search {
                SearchType::Grid => grid_size(space),
                SearchType::Random => Ok(u128::from(self.n_samples)),
            })
            .sum::<Result<u128>>()?;
        Ok(per_market * markets)
    }

    /// One config of this sweep: `strategy` with `params` over the spec's market and costs.
    pub(crate) fn config(&self, strategy: &dyn Strategy, params: Map<String, Value>) -> BacktestConfig {
        BacktestConfig {
            symbol: self.symbol.clone(),
            timeframe: self.timeframe,
            start: self.start,
            end: self.end,
            strategy: strategy.name().to_owned(),
            definition: strategy.definition().map(str::to_owned),
            params,
            initial_capital: self.initial_capital,
            fee_bps: self.fee_bps,
            slippage_bps: self.slippage_bps,
            allow_short: self.allow_short,
            orders: self.orders.clone(),
        }
    }
}

/// The seed's `generate_configs`, as one call.
#[allow(clippy::too_many_arguments)]
pub fn generate_configs(
    symbol: &str,
    timeframe: Timeframe,
    start: Timestamp,
    end: Timestamp,
    strategies: &[&str],
    param_grids: ParamGrids,
    search: SearchType,
    n_samples: u64,
    seed: u64,
) -> Result<Configs> {
    SweepSpec {
        symbol: symbol.to_owned(),
        timeframe,
        symbols: Vec::new(),
        timeframes: Vec::new(),
        markets: Vec::new(),
        start,
        end,
        strategies: strategies.iter().map(|s| (*s).to_owned()).collect(),
        definitions: Vec::new(),
        strategy_files: Vec::new(),
        param_grids,
        search,
        n_samples,
        seed,
        initial_capital: DEFAULT_CAPITAL,
        fee_bps: DEFAULT_FEE_BPS,
        slippage_bps: 0.0,
        allow_short: false,
        orders: Orders::default(),
    }
    .configs()
}

/// An axis's points: listed, or an integer range computed point by point (a grid of
/// 10^8 combinations costs no more to start than one of 10^3).
#[derive(Debug, Clone)]
enum Points {
    Listed(Vec<Value>),
    Ints { min: i64, step: i64, len: usize },
}

impl Points {
    fn len(&self) -> usize {
        match self {
            Points::Listed(values) => values.len(),
            Points::Ints { len, .. } => *len,
        }
    }

    fn get(&self, i: usize) -> Value {
        match self {
            Points::Listed(values) => values[i].clone(),
            Points::Ints { min, step, .. } => Value::from(min + step * i as i64),
        }
    }

    /// The numeric points, sorted, and how many are not numbers.
    fn sorted_numbers(&self) -> (Vec<f64>, u128) {
        let mut numbers: Vec<f64> = match self {
            Points::Listed(values) => values.iter().filter_map(Value::as_f64).collect(),
            Points::Ints { min, step, len } => (0..*len).map(|i| (min + step * i as i64) as f64).collect(),
        };
        numbers.sort_by(f64::total_cmp);
        let others = (self.len() - numbers.len()) as u128;
        (numbers, others)
    }
}

/// One strategy's axes in schema order, each as its list of values (a parameter without
/// an axis is a one-value axis at its default).
struct Space {
    strategy: &'static dyn Strategy,
    axes: Vec<(&'static str, ParamKind, Points)>,
    ranges: Vec<Option<Range>>,
    /// The axes before this are the strategy's parameters; the rest vary order fields.
    params: usize,
    constraints: &'static [Constraint],
}

impl Space {
    fn new(strategy: &'static dyn Strategy, grid: &ParamGrid, search: SearchType) -> Result<Self> {
        let specs = strategy.params();
        let mut order_axes = Vec::new();
        for name in grid.keys() {
            if let Some(field) = orders::field(name) {
                order_axes.push(field?);
            }
        }
        if let Some(unknown) = grid
            .keys()
            .find(|k| !specs.iter().any(|s| s.name == k.as_str()) && orders::field(k).is_none())
        {
            let known: Vec<_> = specs.iter().map(|s| s.name).collect();
            return Err(Error::Search(format!(
                "`{}` has no parameter `{unknown}` (its parameters: {})",
                strategy.name(),
                known.join(", ")
            )));
        }
        let mut axes = Vec::with_capacity(specs.len());
        let mut ranges = Vec::with_capacity(specs.len());
        for spec in specs {
            let at = |message: String| Error::Search(format!("{}.{}: {message}", strategy.name(), spec.name));
            let (values, range) = match grid.get(spec.name) {
                None => (Points::Listed(vec![spec.default_value()]), None),
                Some(Axis::Values(values) | Axis::Range(Range::Choice { values })) => {
                    (Points::Listed(values.clone()), None)
                }
                Some(Axis::Range(range)) => (range.grid_values(search).map_err(at)?, Some(range.clone())),
            };
            if values.len() == 0 {
                return Err(at("the axis has no values".into()));
            }
            axes.push((spec.name, spec.kind, values));
            ranges.push(range);
        }
        let params = axes.len();
        for name in order_axes {
            let at = |message: String| Error::Search(format!("{}.{name}: {message}", strategy.name()));
            let kind = orders::param_kind(name);
            let (values, range) = match &grid[name] {
                Axis::Values(values) | Axis::Range(Range::Choice { values }) => (Points::Listed(values.clone()), None),
                Axis::Range(range) => (range.grid_values(search).map_err(at)?, Some(range.clone())),
            };
            if values.len() == 0 {
                return Err(at("the axis has no values".into()));
            }
            axes.push((name, kind, values));
            ranges.push(range);
        }
        Ok(Self {
            strategy,
            axes,
            ranges,
            params,
            constraints: strategy.constraints(),
        })
    }

    /// Refuses order fields that cannot hold together before anything runs: each value of
    /// each order axis (an integer range's ends) with the spec's fixed fields and the other
    /// axes at their first value.
    fn check_orders(&self, fixed: &Orders) -> Result<()> {
        let axes = &self.axes[self.params..];
        let mut first = fixed.clone();
        for (name, _, points) in axes {
            first.set(name, &points.get(0))?;
        }
        first.check()?;
        for (name, _, points) in axes {
            let checked = match points {
                Points::Listed(values) => 0..values.len(),
                Points::Ints { len, .. } => len - 1..*len,
            };
            for i in checked {
                let mut orders = first.clone();
                orders.set(name, &points.get(i))?;
                orders.check()?;
            }
        }
        Ok(())
    }

    fn size(&self) -> u128 {
        self.axes.iter().map(|(_, _, v)| v.len() as u128).product()
    }

    fn position(&self, name: &str) -> usize {
        self.axes
            .iter()
            .position(|a| a.0 == name)
            .expect("constraints name params")
    }

    /// Combinations the constraints allow, counted without visiting the grid where it can
    /// be: when every constraint is `a < b` between two axes and none shares an axis (all
    /// the built-ins' are), the count is the product of the free axes' sizes and, per
    /// constraint, the pairs `a < b` of its two axes (sorted and counted by binary search:
    /// O(n log n) per axis, whatever the grid's size). Otherwise the axes the constraints
    /// touch are walked (up to [`MAX_WALKED`] combinations; the rest multiply). Values that
    /// are not numbers pass, as `allowed` lets them.
    fn allowed_count(&self) -> Result<u128> {
        let tied: Vec<usize> = self
            .constraints
            .iter()
            .flat_map(Constraint::params)
            .map(|p| self.position(p))
            .collect();
        let mut touched = tied.clone();
        touched.sort_unstable();
        touched.dedup();
        let free: u128 = (0..self.axes.len())
            .filter(|i| !touched.contains(i))
            .map(|i| self.axes[i].2.len() as u128)
            .product();
        let pairwise = touched.len() == tied.len()
            && self
                .constraints
                .iter()
                .all(|c| c.op == Comparison::Lt && matches!((c.left, c.right), (Term::Param(_), Term::Param(_))));
        if !pairwise {
            return Ok(free * self.walk_touched(&touched)?);
        }
        let pairs: u128 = self
            .constraints
            .iter()
            .map(|c| {
                let [lesser, greater] = [c.left, c.right].map(|t| match t {
                    Term::Param(p) => self.position(p),
                    Term::Number(_) => unreachable!("pairwise constraints compare params"),
                });
                let numbers = |axis: usize| self.axes[axis].2.sorted_numbers();
                let (low, low_other) = numbers(lesser);
                let (high, high_other) = numbers(greater);
                let ordered: u128 = low
                    .iter()
                    .map(|&a| (high.len() - high.partition_point(|&b| b <= a)) as u128)
                    .sum();
                let (n_low, n_high) = (low.len() as u128 + low_other, high.len() as u128 + high_other);
                ordered + low_other * n_high + high_other * n_low - low_other * high_other
            })
            .product();
        Ok(free * pairs)
    }

    /// The allowed combinations of the `touched` axes, counted one by one.
    fn walk_touched(&self, touched: &[usize]) -> Result<u128> {
        let total: u128 = touched.iter().map(|&i| self.axes[i].2.len() as u128).product();
        if total > MAX_WALKED {
            return Err(Error::Search(format!(
                "`{}`: its constraints tie axes of {total} combinations, too many to count (at most {MAX_WALKED})",
                self.strategy.name()
            )));
        }
        let mut digits = vec![0usize; touched.len()];
        let mut count = 0;
        loop {
            let value_of = |name: &str| {
                let axis = self.position(name);
                let k = touched.iter().position(|&t| t == axis)?;
                self.axes[axis].2.get(digits[k]).as_f64()
            };
            count += u128::from(self.constraints.iter().all(|c| c.holds(value_of)));
            let mut k = touched.len();
            loop {
                if k == 0 {
                    return Ok(count);
                }
                k -= 1;
                digits[k] += 1;
                if digits[k] < self.axes[touched[k]].2.len() {
                    break;
                }
                digits[k] = 0;
            }
        }
    }

    fn allowed(&self, values: &[Value]) -> bool {
        // A non-number fails validation later, with its own message.
        self.constraints
            .iter()
            .all(|c| c.holds(|name| values[self.position(name)].as_f64()))
    }

    /// The config of one combination: the strategy's parameters, and the order axes set
    /// over the spec's order fields.
    fn config(&self, spec: &SweepSpec, values: Vec<Value>) -> Result<BacktestConfig> {
        let mut config = spec.config(self.strategy, Map::new());
        for (i, ((name, _, _), value)) in self.axes.iter().zip(values).enumerate() {
            if i < self.params {
                config.params.insert((*name).to_owned(), value);
            } else {
                config.orders.set(name, &value)?;
            }
        }
        Ok(config)
    }

    fn draw(&self, rng: &mut ChaCha8Rng) -> Vec<Value> {
        self.axes
            .iter()
            .zip(&self.ranges)
            .map(|((_, kind, values), range)| match range {
                Some(Range::Float { min, max, .. }) => Value::from(min + (max - min) * rng.random::<f64>()),
                Some(Range::Loguniform { min, max, .. }) => {
                    let (lo, hi) = (libm::log(*min), libm::log(*max));
                    let x = libm::exp(lo + (hi - lo) * rng.random::<f64>());
                    match kind {
                        ParamKind::Int => Value::from(libm::round(x) as i64),
                        _ => Value::from(x),
                    }
                }
                // Lists and int ranges: one of the axis values, uniformly.
                _ => values.get(rng.random_range(0..values.len() as u64) as usize),
            })
            .collect()
    }
}

impl Range {
    /// The axis's points for a grid (random search draws floats from the range itself).
    fn grid_values(&self, search: SearchType) -> Result<Points, String> {
        let need_num = |kind: &str| match search {
            SearchType::Grid => Err(format!("a {kind} axis in a grid needs `num` (how many points)")),
            SearchType::Random => Ok(Points::Listed(vec![Value::Null])),
        };
        match *self {
            Range::Int { min, max, step } => {
                if step < 1 {
                    return Err(format!("step must be >= 1, got {step}"));
                }
                if min > max {
                    return Err(format!("min {min} is above max {max}"));
                }
                Ok(Points::Ints {
                    min,
                    step,
                    len: ((max - min) / step + 1) as usize,
                })
            }
            Range::Float { min, max, num } => {
                check_bounds(min, max, false)?;
                match num {
                    None => need_num("float"),
                    Some(n) => Ok(Points::Listed(spaced(min, max, n, |t| min + (max - min) * t))),
                }
            }
            Range::Loguniform { min, max, num } => {
                check_bounds(min, max, true)?;
                let (lo, hi) = (libm::log(min), libm::log(max));
                match num {
                    None => need_num("loguniform"),
                    Some(n) => Ok(Points::Listed(spaced(min, max, n, |t| libm::exp(lo + (hi - lo) * t)))),
                }
            }
            Range::Choice { ref values } => Ok(Points::Listed(values.clone())),
        }
    }
}

fn check_bounds(min: f64, max: f64, positive: bool) -> Result<(), String> {
    if !(min.is_finite() && max.is_finite()) || min > max {
        return Err(format!("needs finite min <= max, got [{min}, {max}]"));
    }
    if positive && min <= 0.0 {
        return Err(format!("loguniform needs min > 0, got {min}"));
    }
    Ok(())
}

/// `n` points from `min` to `max` inclusive, `at(t)` for `t` in `[0, 1]`; the ends exact.
fn spaced(min: f64, max: f64, n: u32, at: impl Fn(f64) -> f64) -> Vec<Value> {
    (0..n)
        .map(|i| match i {
            0 => min,
            _ if i == n - 1 => max,
            _ => at(f64::from(i) / f64::from(n - 1)),
        })
        .map(Value::from)
        .collect()
}

/// FNV-1a: a fixed, platform-independent hash to derive a stream per strategy.
fn fnv1a(bytes: &[u8]) -> u64 {
    bytes.iter().fold(0xcbf2_9ce4_8422_2325, |h, &b| {
        (h ^ u64::from(b)).wrapping_mul(0x0100_0000_01b3)
    })
}

enum Cursor {
    /// The odometer's digits (last axis fastest) and whether it has run out.
    Grid(Vec<usize>, bool),
    Random {
        rng: Box<ChaCha8Rng>,
        left: u64,
    },
}

/// The configs of a sweep, one at a time: memory does not grow with the sweep's size.
pub struct Configs {
    /// Each market's one-market spec and generators, the current one last.
    markets: Vec<(SweepSpec, Vec<(Space, Cursor)>)>,
    /// The current market's generator running.
    current: usize,
}

/// The most combinations of constrained axes a grid's count walks.
const MAX_WALKED: u128 = 10_000_000;

/// Random search redraws a config that breaks a constraint; this many failures in a row
/// mean the axes cannot satisfy it.
const MAX_REDRAWS: u32 = 10_000;

impl Configs {
    /// The next config, `Err` once if random search cannot satisfy the constraints.
    fn next_config(&mut self) -> Option<Result<BacktestConfig>> {
        loop {
            let (spec, parts) = self.markets.last_mut()?;
            if let Some(config) = Self::next_of_market(spec, parts, &mut self.current) {
                return Some(config);
            }
            self.markets.pop();
            self.current = 0;
        }
    }

    fn next_of_market(
        spec: &SweepSpec,
        parts: &mut [(Space, Cursor)],
        current: &mut usize,
    ) -> Option<Result<BacktestConfig>> {
        while let Some((space, cursor)) = parts.get_mut(*current) {
            match cursor {
                Cursor::Grid(digits, done) => {
                    while !*done {
                        let values: Vec<Value> = digits.iter().zip(&space.axes).map(|(&d, a)| a.2.get(d)).collect();
                        let allowed = space.allowed(&values);
                        *done = !advance(digits, &space.axes);
                        if allowed {
                            return Some(space.config(spec, values));
                        }
                    }
                }
                Cursor::Random { rng, left } => {
                    if *left > 0 {
                        *left -= 1;
                        for _ in 0..MAX_REDRAWS {
                            let values = space.draw(rng);
                            if space.allowed(&values) {
                                return Some(space.config(spec, values));
                            }
                        }
                        *left = 0;
                        return Some(Err(Error::Search(format!(
                            "`{}`: {MAX_REDRAWS} random draws in a row broke its constraints; \
                             do the axes allow any valid combination?",
                            space.strategy.name()
                        ))));
                    }
                }
            }
            *current += 1;
        }
        None
    }
}

/// Moves the odometer one step; false when it wraps around (the grid is done).
fn advance(digits: &mut [usize], axes: &[(&str, ParamKind, Points)]) -> bool {
    for (digit, axis) in digits.iter_mut().zip(axes).rev() {
        *digit += 1;
        if *digit < axis.2.len() {
            return true;
        }
        *digit = 0;
    }
    false
}

impl Iterator for Configs {
    type Item = Result<BacktestConfig>;

    fn next(&mut self) -> Option<Self::Item> {
        self.next_config()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_bad_axis_says_what_an_axis_is_and_a_bad_range_what_is_wrong() {
        let error = |yaml: &str| serde_yaml_ng::from_str::<ParamGrid>(yaml).unwrap_err().to_string();
        let text = error("fast_period: x");
        assert!(
            text.contains("an axis is a list of values or a range") && text.contains("not \"x\""),
            "{text}"
        );
        let text = error("fast_period: {type: integer, min: 1, max: 5}");
        assert!(
            text.contains("unknown variant `integer`") && text.contains("int"),
            "{text}"
        );
        let text = error("fast_period: {type: int, min: 1}");
        assert!(text.contains("missing field `max`"), "{text}");
        let grid: ParamGrid = serde_yaml_ng::from_str("a: [1, 2]\nb: {type: int, min: 1, max: 3}").unwrap();
        assert_eq!(grid["a"], Axis::Values(vec![1.into(), 2.into()]));
        assert_eq!(
            grid["b"],
            Axis::Range(Range::Int {
                min: 1,
                max: 3,
                step: 1
            })
        );
    }

    fn spec(search: SearchType, grids: &str) -> SweepSpec {
        SweepSpec {
            symbol: "BTCUSDT".into(),
            timeframe: Timeframe::M15,
            symbols: Vec::new(),
            timeframes: Vec::new(),
            markets: Vec::new(),
            start: Timestamp::parse("2025-01-01").unwrap(),
            end: Timestamp::parse("2025-02-01").unwrap(),
            strategies: vec!["sma".into()],
            definitions: Vec::new(),
            strategy_files: Vec::new(),
            param_grids: parse_grids(grids).unwrap(),
            search,
            n_samples: 200,
            seed: 7,
            initial_capital: 10_000.0,
            fee_bps: 10.0,
            slippage_bps: 0.0,
            allow_short: false,
            orders: Orders::default(),
        }
    }

    fn collect(spec: &SweepSpec) -> Vec<BacktestConfig> {
        spec.configs().unwrap().map(Result::unwrap).collect()
    }

    #[test]
    fn a_grid_is_the_product_less_what_constraints_drop() {
        let s = spec(
            SearchType::Grid,
            "sma: {fast_period: {type: int, min: 5, max: 50, step: 5}, slow_period: [10, 20, 30, 40]}",
        );
        assert_eq!(s.size_before_constraints().unwrap(), 40);
        let configs = collect(&s);
        // fast in 5..=50 step 5 (10 values) x slow in {10,20,30,40}: pairs with fast < slow.
        let expected = [10, 20, 30, 40]
            .iter()
            .map(|slow| (5..=50).step_by(5).filter(|f| f < slow).count())
            .sum::<usize>();
        assert_eq!(configs.len(), expected);
        assert!(
            configs
                .iter()
                .all(|c| c.params["fast_period"].as_i64() < c.params["slow_period"].as_i64())
        );
        assert!(configs.iter().all(|c| c.validate().is_ok()));
    }

    proptest::proptest! {
        /// The closed-form count equals walking the grid, whatever the axes.
        #[test]
        fn the_count_after_constraints_matches_brute_force(
            fast in proptest::collection::vec(1i64..60, 1..12),
            slow in proptest::collection::vec(1i64..60, 1..12),
            oversold in proptest::collection::vec(1u32..99, 1..6),
            overbought in proptest::collection::vec(1u32..99, 1..6),
            threshold in proptest::collection::vec(1i64..4, 1..3),
        ) {
            let mut s = spec(SearchType::Grid, "{}");
            s.strategies = vec!["convergence".into()];
            let axis = |v: Vec<Value>| Axis::Values(v);
            let grid: ParamGrid = [
                ("fast_period", axis(fast.into_iter().map(Value::from).collect())),
                ("slow_period", axis(slow.into_iter().map(Value::from).collect())),
                ("oversold", axis(oversold.into_iter().map(|v| Value::from(f64::from(v))).collect())),
                ("overbought", axis(overbought.into_iter().map(|v| Value::from(f64::from(v))).collect())),
                ("threshold", axis(threshold.into_iter().map(Value::from).collect())),
            ]
            .into_iter()
            .map(|(k, v)| (k.to_owned(), v))
            .collect();
            s.param_grids.insert("convergence".into(), grid);
            proptest::prop_assert_eq!(s.size().unwrap(), s.configs().unwrap().count() as u128);
        }
    }

    #[test]
    fn a_grid_of_ten_to_the_eight_is_counted_and_walked_lazily() {
        let s = spec(
            SearchType::Grid,
            "sma: {fast_period: {type: int, min: 1, max: 10000}, slow_period: {type: int, min: 1, max: 10000}}",
        );
        assert_eq!(s.size_before_constraints().unwrap(), 100_000_000);
        // fast < slow: sum over slow of (slow - 1) = 10000 * 9999 / 2.
        assert_eq!(s.size().unwrap(), 49_995_000);
        let first: Vec<_> = s.configs().unwrap().take(1000).map(Result::unwrap).collect();
        assert_eq!(first.len(), 1000);
        assert_eq!(first[0].params["slow_period"], 2);
        assert_eq!(first[999].params["fast_period"], 1);
        let mut random = s.clone();
        random.search = SearchType::Random;
        random.n_samples = 1000;
        assert_eq!(random.configs().unwrap().count(), 1000);
    }

    #[test]
    fn random_search_is_reproducible_from_its_seed() {
        let grids =
            "sma: {fast_period: {type: int, min: 2, max: 100}, slow_period: {type: loguniform, min: 10, max: 1000}}";
        let a = collect(&spec(SearchType::Random, grids));
        let b = collect(&spec(SearchType::Random, grids));
        assert_eq!(a.len(), 200);
        assert_eq!(a, b);
        let mut other = spec(SearchType::Random, grids);
        other.seed = 8;
        assert_ne!(collect(&other), a);
    }

    #[test]
    fn loguniform_samples_are_in_range_and_log_uniform() {
        let grids = "rsi: {period: 14, overbought: 90, oversold: {type: loguniform, min: 1, max: 81}}";
        let grids = grids
            .replace("period: 14", "period: [14]")
            .replace("overbought: 90", "overbought: [90]");
        let mut s = spec(SearchType::Random, &grids);
        s.strategies = vec!["rsi".into()];
        s.n_samples = 8_000;
        let xs: Vec<f64> = collect(&s)
            .iter()
            .map(|c| c.params["oversold"].as_f64().unwrap())
            .collect();
        assert!(xs.iter().all(|&x| (1.0..=81.0).contains(&x)));
        // ln x / ln 81 is uniform on [0, 1]: four quartiles (x < 3, 9, 27, 81) of equal mass,
        // checked by a chi-squared test (3 degrees of freedom, p = 0.001 -> 16.27).
        let mut counts = [0f64; 4];
        for x in &xs {
            counts[((libm::log(*x) / libm::log(81.0)) * 4.0).min(3.0) as usize] += 1.0;
        }
        let expected = xs.len() as f64 / 4.0;
        let chi2: f64 = counts.iter().map(|c| (c - expected).powi(2) / expected).sum();
        assert!(chi2 < 16.27, "counts {counts:?}, chi2 {chi2}");
    }

    #[test]
    fn bad_axes_are_refused_with_their_name() {
        let err = |grids: &str| spec(SearchType::Grid, grids).configs().err().unwrap().to_string();
        assert!(err("sma: {fast: [1, 2]}").contains("`sma` has no parameter `fast`"));
        assert!(
            err("sma: {fast_period: {type: int, min: 9, max: 3}}").contains("sma.fast_period: min 9 is above max 3")
        );
        assert!(err("sma: {fast_period: {type: float, min: 1, max: 3}}").contains("needs `num`"));
        assert!(err("sma: {fast_period: []}").contains("no values"));
        let impossible = "sma: {fast_period: [50], slow_period: {type: int, min: 10, max: 20}}";
        let mut configs = spec(SearchType::Random, impossible).configs().unwrap();
        assert!(configs.next().unwrap().unwrap_err().to_string().contains("constraints"));
        assert!(configs.next().is_none());
    }

    #[test]
    fn the_predefined_grids_load_and_yield_valid_configs() {
        let grids = predefined_grids();
        for strategy in ["sma", "rsi", "macd", "convergence"] {
            assert!(grids.contains_key(strategy), "{strategy}");
            let mut s = spec(SearchType::Grid, "{}");
            s.strategies = vec![strategy.into()];
            let configs = collect(&s);
            assert!(!configs.is_empty());
            for c in &configs {
                c.validate().unwrap_or_else(|e| panic!("{strategy}: {e}"));
            }
        }
    }
}

#[cfg(test)]
mod spec_rules {
    use super::*;

    #[test]
    fn flags_complete_a_spec_before_it_is_read() {
        let partial = "{timeframe: 15m, start: 2025-01-01, end: 2025-02-01, strategies: [sma]}";
        let err = SweepSpec::from_yaml(partial).unwrap_err().to_string();
        assert!(err.contains("missing field `symbol`"), "{err}");
        let mut flags = Map::new();
        flags.insert("symbol".into(), "ETHUSDT".into());
        let spec = SweepSpec::from_yaml_with(partial, &flags).unwrap();
        assert_eq!(spec.symbol, "ETHUSDT");
        flags.insert("timeframe".into(), "1h".into());
        let spec = SweepSpec::from_yaml_with(&format!("{{symbol: BTCUSDT, {}", &partial[1..]), &flags).unwrap();
        assert_eq!((spec.symbol.as_str(), spec.timeframe), ("ETHUSDT", Timeframe::H1));
        // Even an empty file is a spec once the flags name what it lacks.
        let err = SweepSpec::from_yaml_with("", &flags).unwrap_err().to_string();
        assert!(err.contains("missing field `start`"), "{err}");
    }

    #[test]
    fn costs_are_bounded_before_any_config_is_made() {
        let base = "{symbol: X, timeframe: 15m, start: 2025-01-01, end: 2025-02-01, strategies: [sma]";
        for (field, value) in [
            ("initial_capital", "1.7e308"),
            ("initial_capital", "-100"),
            ("fee_bps", "20000"),
        ] {
            let spec = SweepSpec::from_yaml(&format!("{base}, {field}: {value}}}")).unwrap();
            let err = spec.size().unwrap_err().to_string();
            assert!(err.starts_with(&format!("config field `{field}`")), "{err}");
            assert!(spec.configs().is_err());
        }
    }

    const ACROSS: &str = "start: 2025-01-01, end: 2025-02-01, strategies: [sma], \
        param_grids: {sma: {fast_period: [5, 10], slow_period: [20, 30]}}, search: grid";

    fn collect(spec: &SweepSpec) -> Vec<BacktestConfig> {
        spec.configs().unwrap().map(Result::unwrap).collect()
    }

    fn markets_of(spec: &SweepSpec) -> Vec<String> {
        spec.markets().unwrap().iter().map(ToString::to_string).collect()
    }

    #[test]
    fn a_sweep_across_markets_runs_the_same_configs_on_each_market_in_turn() {
        let spec = SweepSpec::from_yaml(&format!(
            "{{symbols: [BTCUSDT, ETHUSDT], timeframes: [1h, 4h], {ACROSS}}}"
        ))
        .unwrap();
        assert_eq!((spec.symbol.as_str(), spec.timeframe), ("BTCUSDT", Timeframe::H1));
        assert_eq!(
            markets_of(&spec),
            ["BTCUSDT@1h", "BTCUSDT@4h", "ETHUSDT@1h", "ETHUSDT@4h"]
        );
        assert_eq!(spec.size().unwrap(), 16);
        assert_eq!(spec.size_before_constraints().unwrap(), 16);
        let configs = collect(&spec);
        assert_eq!(configs.len(), 16);
        let one = collect(&spec.for_market(&"BTCUSDT@1h".parse().unwrap()));
        for (i, chunk) in configs.chunks(4).enumerate() {
            let market = &spec.markets().unwrap()[i];
            for (config, alone) in chunk.iter().zip(&one) {
                assert_eq!((&config.symbol, config.timeframe), (&market.symbol, market.timeframe));
                assert_eq!(config.params, alone.params);
            }
        }
        // A random search draws the same points on every market.
        let random = SweepSpec::from_yaml(
            "{markets: [BTCUSDT@1h, DOGEUSDT@15m], start: 2025-01-01, end: 2025-02-01, strategies: [sma], \
             search: random, n_samples: 5, seed: 3, param_grids: {sma: {fast_period: {type: int, min: 2, max: 50}, \
             slow_period: {type: int, min: 60, max: 200}}}}",
        )
        .unwrap();
        let drawn = collect(&random);
        assert_eq!(drawn.len(), 10);
        assert_eq!(drawn[0].timeframe, Timeframe::H1);
        assert_eq!(drawn[5].symbol, "DOGEUSDT");
        for (a, b) in drawn[..5].iter().zip(&drawn[5..]) {
            assert_eq!(a.params, b.params);
        }
        // Written out and read back, a spec is the same sweep.
        let written = serde_yaml_ng::to_string(&random).unwrap();
        assert_eq!(SweepSpec::from_yaml(&written).unwrap(), random);
    }

    #[test]
    fn a_market_list_that_cannot_be_meant_is_refused_by_name() {
        for (fields, expected) in [
            (
                "markets: [BTCUSDT@1h], symbols: [ETHUSDT]",
                "give `markets` or `symbols`",
            ),
            ("markets: [BTCUSDT@1h, BTCUSDT@1h]", "BTCUSDT@1h is listed twice"),
            ("symbols: [BTCUSDT, BTCUSDT], timeframe: 1h", "listed twice"),
            ("markets: [BTCUSDT]", "write SYMBOL@TIMEFRAME"),
            ("markets: [BTCUSDT@2d]", "2d"),
            ("markets: ['@1h']", "the symbol is empty"),
            (
                "symbol: SOLUSDT, symbols: [BTCUSDT, ETHUSDT], timeframe: 1h",
                "not the first market",
            ),
        ] {
            let err = SweepSpec::from_yaml(&format!("{{{fields}, {ACROSS}}}"))
                .unwrap_err()
                .to_string();
            assert!(err.contains(expected), "{fields}: {err}");
        }
    }

    #[test]
    fn a_flag_naming_one_market_replaces_the_list_it_names() {
        let text = format!("{{symbols: [BTCUSDT, ETHUSDT], timeframes: [1h, 4h], {ACROSS}}}");
        let mut flags = Map::new();
        flags.insert("symbol".into(), "SOLUSDT".into());
        let spec = SweepSpec::from_yaml_with(&text, &flags).unwrap();
        assert_eq!(markets_of(&spec), ["SOLUSDT@1h", "SOLUSDT@4h"]);
        flags.clear();
        flags.insert("timeframe".into(), "1d".into());
        let spec = SweepSpec::from_yaml_with(&text, &flags).unwrap();
        assert_eq!(markets_of(&spec), ["BTCUSDT@1d", "ETHUSDT@1d"]);
    }
}
