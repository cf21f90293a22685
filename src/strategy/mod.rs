//! Strategies turn indicator series into a target position per candle. A new strategy is
//! one file implementing [`Strategy`] plus one line in [`REGISTRY`]; its parameters are
//! validated here from its schema, so no strategy parses input itself.

mod convergence;
mod macd;
mod rsi;
mod sma;

use serde::Serialize;
use serde_json::{Map, Value};

use crate::error::{Error, Result};
use crate::indicators::{ExactValues, IndicatorKey, Indicators, Series};
use crate::scan::first_zero;

/// Every strategy the engine knows, in the order `btlab strategies` lists them.
pub static REGISTRY: &[&dyn Strategy] = &[
    &sma::SmaCross,
    &rsi::RsiReversion,
    &macd::MacdCross,
    &convergence::Convergence,
];

pub trait Strategy: Sync {
    fn name(&self) -> &'static str;
    fn description(&self) -> &'static str;
    fn params(&self) -> &'static [ParamSpec];
    /// Comparisons between parameters (and numbers) every config must satisfy.
    fn constraints(&self) -> &'static [Constraint] {
        &[]
    }
    /// A defined strategy's identity: the SHA-256 of its definition's canonical form (spec:
    /// STRATEGY.md, "Identity"), which its configs carry. `None` for a built-in.
    fn definition(&self) -> Option<&'static str> {
        None
    }
    /// Writes the target (-1, 0, +1) of every candle. `out[i]` may use data up to and
    /// including candle `i`, never after; 0 until the indicators it needs have values.
    /// The engine turns -1 into 0 when shorts are not allowed.
    fn targets(&self, params: &ParamValues, indicators: &Indicators, allow_short: bool, out: &mut [i8]);
    /// Checks of the params beyond their schema (a defined strategy's periods against the
    /// bounds of the functions they feed): the parameter at fault and the message.
    fn check_params(&self, _values: &ParamValues) -> Result<(), (&'static str, String)> {
        Ok(())
    }
    /// Whether it can run on candles of `timeframe` (a defined strategy reading `close@4h`
    /// needs candles whose timeframe divides 4h).
    fn check_timeframe(&self, _timeframe: crate::timeframe::Timeframe) -> Result<(), String> {
        Ok(())
    }
    /// The indicator series `targets` reads with these params, so a sweep can compute
    /// them together before running (a test checks it names exactly those).
    fn indicators(&self, params: &ParamValues) -> Vec<IndicatorKey>;
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum ParamKind {
    Int,
    Float,
    /// One of `choices` (a defined strategy's moving-average names); its value is the index.
    Choice,
}

/// One parameter: its type, default and hard bounds (inclusive unless `exclusive`).
/// Serialized with `default` as a params value (a choice's: its name).
#[derive(Debug, Clone, Copy)]
pub struct ParamSpec {
    pub name: &'static str,
    pub kind: ParamKind,
    pub default: f64,
    pub min: f64,
    pub max: f64,
    pub exclusive: bool,
    pub description: &'static str,
    /// A `Choice` parameter's values, in order (`default` is an index); empty otherwise.
    pub choices: &'static [&'static str],
}

impl Serialize for ParamSpec {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> std::result::Result<S::Ok, S::Error> {
        use serde::ser::SerializeMap;
        let mut map = serializer.serialize_map(None)?;
        map.serialize_entry("name", self.name)?;
        map.serialize_entry("type", &self.kind)?;
        map.serialize_entry("default", &self.default_value())?;
        map.serialize_entry("min", &self.min)?;
        map.serialize_entry("max", &self.max)?;
        map.serialize_entry("exclusive", &self.exclusive)?;
        map.serialize_entry("description", self.description)?;
        if !self.choices.is_empty() {
            map.serialize_entry("choices", self.choices)?;
        }
        map.end()
    }
}

impl ParamSpec {
    const fn period(name: &'static str, default: f64, min: f64, description: &'static str) -> Self {
        Self {
            name,
            kind: ParamKind::Int,
            default,
            min,
            max: 100_000.0,
            exclusive: false,
            description,
            choices: &[],
        }
    }

    const fn level(name: &'static str, default: f64, description: &'static str) -> Self {
        Self {
            name,
            kind: ParamKind::Float,
            default,
            min: 0.0,
            max: 100.0,
            exclusive: true,
            description,
            choices: &[],
        }
    }

    /// The default as a params value: an integer, a number, or the chosen name.
    pub fn default_value(&self) -> Value {
        match self.kind {
            ParamKind::Int => Value::from(self.default as i64),
            ParamKind::Float => Value::from(self.default),
            ParamKind::Choice => Value::from(self.choices.get(self.default as usize).copied().unwrap_or_default()),
        }
    }

    fn bounds_text(&self) -> String {
        let (open, close) = if self.exclusive { ("(", ")") } else { ("[", "]") };
        format!("{open}{}, {}{close}", self.min, self.max)
    }

    fn in_bounds(&self, v: f64) -> bool {
        if self.exclusive {
            self.min < v && v < self.max
        } else {
            self.min <= v && v <= self.max
        }
    }
}

/// One side of a constraint.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum Term {
    Param(&'static str),
    Number(f64),
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Comparison {
    Lt,
    Le,
    Gt,
    Ge,
    Eq,
    Ne,
}

impl Comparison {
    pub fn symbol(self) -> &'static str {
        match self {
            Comparison::Lt => "<",
            Comparison::Le => "<=",
            Comparison::Gt => ">",
            Comparison::Ge => ">=",
            Comparison::Eq => "==",
            Comparison::Ne => "!=",
        }
    }

    pub fn holds(self, a: f64, b: f64) -> bool {
        match self {
            Comparison::Lt => a < b,
            Comparison::Le => a <= b,
            Comparison::Gt => a > b,
            Comparison::Ge => a >= b,
            Comparison::Eq => a == b,
            Comparison::Ne => a != b,
        }
    }
}

/// `left op right` must hold between parameters (or a parameter and a number).
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Constraint {
    pub left: Term,
    pub op: Comparison,
    pub right: Term,
}

impl Constraint {
    /// `lesser < greater`, the built-ins' only kind.
    pub const fn less(lesser: &'static str, greater: &'static str) -> Self {
        Self {
            left: Term::Param(lesser),
            op: Comparison::Lt,
            right: Term::Param(greater),
        }
    }

    /// The parameters it compares.
    pub fn params(&self) -> impl Iterator<Item = &'static str> {
        [self.left, self.right].into_iter().filter_map(|t| match t {
            Term::Param(p) => Some(p),
            Term::Number(_) => None,
        })
    }

    /// Whether it holds for `value_of` each parameter; a side with no number (not a
    /// numeric parameter) passes, as validation reports it with its own message.
    pub fn holds(&self, value_of: impl Fn(&str) -> Option<f64>) -> bool {
        let side = |t: Term| match t {
            Term::Param(p) => value_of(p),
            Term::Number(n) => Some(n),
        };
        match (side(self.left), side(self.right)) {
            (Some(a), Some(b)) => self.op.holds(a, b),
            _ => true,
        }
    }
}

impl std::fmt::Display for Constraint {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let side = |t: Term| match t {
            Term::Param(p) => p.to_owned(),
            Term::Number(n) => crate::error::readable(n),
        };
        write!(f, "{} {} {}", side(self.left), self.op.symbol(), side(self.right))
    }
}

/// Validated parameter values in schema order: strategies read them by position.
#[derive(Debug, Clone, PartialEq)]
pub struct ParamValues(Vec<f64>);

impl ParamValues {
    pub fn get(&self, index: usize) -> f64 {
        self.0[index]
    }

    /// An integer parameter as a period or count (validated to be >= 1).
    pub fn period(&self, index: usize) -> usize {
        self.0[index] as usize
    }

    pub fn as_slice(&self) -> &[f64] {
        &self.0
    }
}

/// A built-in by name.
pub fn builtin(name: &str) -> Result<&'static dyn Strategy> {
    REGISTRY
        .iter()
        .copied()
        .find(|s| s.name() == name)
        .ok_or_else(|| Error::UnknownStrategy {
            name: name.to_owned(),
            known: REGISTRY.iter().map(|s| s.name()).collect::<Vec<_>>().join(", "),
        })
}

/// A built-in, or the latest definition given this process under `name` (see [`crate::lang::define`]).
pub fn find(name: &str) -> Result<&'static dyn Strategy> {
    builtin(name).or_else(|e| match crate::lang::defined_named(name) {
        Some(defined) => Ok(defined as &'static dyn Strategy),
        None => Err(e),
    })
}

/// The strategy a config names: its definition when it carries one's hash, else a built-in.
pub fn resolve(name: &str, definition: Option<&str>) -> Result<&'static dyn Strategy> {
    let Some(hash) = definition else {
        return builtin(name);
    };
    let defined = crate::lang::defined(hash).ok_or_else(|| Error::UnknownDefinition {
        name: name.to_owned(),
        hash: hash.to_owned(),
    })?;
    if defined.name() != name {
        return Err(Error::config(
            "strategy",
            format!(
                "`{name}` does not match the name `{}` of definition {hash}",
                defined.name()
            ),
        ));
    }
    Ok(defined)
}

/// Checks `params` against the strategy's schema: every parameter present, no unknown
/// one, the right type, within bounds, constraints held. Returns the values and the
/// params in normal form (integers as integers), which is what the config hash covers.
pub fn validate_params(
    strategy: &dyn Strategy,
    params: &Map<String, Value>,
) -> Result<(ParamValues, Map<String, Value>)> {
    let fail = |param: &str, message: String| Error::Param {
        strategy: strategy.name().to_owned(),
        param: param.to_owned(),
        message,
    };
    let specs = strategy.params();
    if let Some(unknown) = params.keys().find(|k| !specs.iter().any(|s| s.name == k.as_str())) {
        let expected = specs.iter().map(|s| s.name).collect::<Vec<_>>().join(", ");
        return Err(fail(unknown, format!("unknown parameter (expected: {expected})")));
    }
    let mut values = Vec::with_capacity(specs.len());
    let mut normal = Map::new();
    for spec in specs {
        if spec.kind == ParamKind::Choice {
            let raw = params.get(spec.name);
            let index = raw
                .and_then(Value::as_str)
                .and_then(|v| spec.choices.iter().position(|c| *c == v));
            let Some(index) = index else {
                let got = raw.map_or_else(|| "nothing".to_owned(), Value::to_string);
                return Err(fail(
                    spec.name,
                    format!("expected one of {}, got {got}", spec.choices.join(", ")),
                ));
            };
            normal.insert(spec.name.to_owned(), Value::from(spec.choices[index]));
            values.push(index as f64);
            continue;
        }
        let type_name = match spec.kind {
            ParamKind::Int => "an integer",
            _ => "a number",
        };
        let raw = params.get(spec.name).ok_or_else(|| {
            fail(
                spec.name,
                format!("missing (expected {type_name} in {})", spec.bounds_text()),
            )
        })?;
        let value = raw
            .as_f64()
            .filter(|v| v.is_finite() && (spec.kind == ParamKind::Float || v.fract() == 0.0))
            .ok_or_else(|| fail(spec.name, format!("expected {type_name}, got {raw}")))?;
        if !spec.in_bounds(value) {
            return Err(fail(spec.name, format!("{value} is outside {}", spec.bounds_text())));
        }
        let json = match spec.kind {
            ParamKind::Int => Value::from(value as i64),
            _ => Value::from(value),
        };
        normal.insert(spec.name.to_owned(), json);
        values.push(value);
    }
    let value_of = |name: &str| {
        let i = specs.iter().position(|s| s.name == name)?;
        (specs[i].kind != ParamKind::Choice).then(|| values[i])
    };
    for rule in strategy.constraints() {
        if !rule.holds(value_of) {
            let named = |t: Term| match t {
                Term::Param(p) => format!("{p} ({})", value_of(p).map_or_else(String::new, crate::error::readable)),
                Term::Number(n) => crate::error::readable(n),
            };
            let param = rule.params().next().unwrap_or(strategy.name());
            let message = match rule.op {
                Comparison::Lt => format!("{} must be less than {}", named(rule.left), named(rule.right)),
                op => format!("{} must be {} {}", named(rule.left), op.symbol(), named(rule.right)),
            };
            return Err(fail(param, message));
        }
    }
    let values = ParamValues(values);
    strategy
        .check_params(&values)
        .map_err(|(param, message)| fail(param, message))?;
    Ok((values, normal))
}

/// The defaults of a strategy as a params object.
pub fn default_params(strategy: &dyn Strategy) -> Map<String, Value> {
    strategy
        .params()
        .iter()
        .map(|s| (s.name.to_owned(), s.default_value()))
        .collect()
}

/// What `btlab strategies --json`, `GET /strategies` and the page show of a strategy.
#[derive(Debug, Clone, Serialize)]
pub struct StrategyInfo {
    pub name: &'static str,
    pub description: &'static str,
    pub params: &'static [ParamSpec],
    pub constraints: Vec<String>,
    /// A defined strategy's definition hash.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub definition: Option<&'static str>,
}

impl From<&dyn Strategy> for StrategyInfo {
    fn from(s: &dyn Strategy) -> Self {
        Self {
            name: s.name(),
            description: s.description(),
            params: s.params(),
            constraints: s.constraints().iter().map(ToString::to_string).collect(),
            definition: s.definition(),
        }
    }
}

pub fn catalog() -> Vec<StrategyInfo> {
    REGISTRY.iter().map(|&s| StrategyInfo::from(s)).collect()
}

/// The crossover rule shared by `sma` and `macd`: +1 while `above(i) > below(i)`, -1 while
/// below, the previous target on a tie, and 0 until both series have values (`NaN`).
///
/// Two passes so the first vectorizes: signs of the rounded values (0 for a tie or `NaN`),
/// then the rare rounded ties after the warm-up are settled by the exact values, or take
/// the previous target when those tie too.
fn crossover(above: &Series, below: &Series, out: &mut [i8]) {
    signs(&above.rounded, &below.rounded, out);
    let warm_up = above
        .rounded
        .iter()
        .zip(&below.rounded)
        .position(|(a, b)| !a.is_nan() && !b.is_nan())
        .unwrap_or(out.len());
    let mut gap = Gap::new(above, below);
    let mut i = warm_up;
    while let Some(offset) = first_zero(&out[i..]) {
        let tie = i + offset;
        out[tie] = match gap.exact_sign(tie) {
            Some(sign) if sign != 0 => sign,
            _ if tie > warm_up => out[tie - 1],
            _ => 0,
        };
        i = tie + 1;
    }
}

/// The sign of `above[i] - below[i]`, read from the rounded values and, where those tie,
/// from the exact ones.
struct Gap<'a> {
    above: &'a Series,
    below: &'a Series,
    above_exact: ExactValues<'a>,
    below_exact: ExactValues<'a>,
}

impl<'a> Gap<'a> {
    fn new(above: &'a Series, below: &'a Series) -> Self {
        Self {
            above,
            below,
            above_exact: above.exact(),
            below_exact: below.exact(),
        }
    }

    /// `None` while either series has no value yet.
    #[inline]
    fn sign(&mut self, i: usize) -> Option<i8> {
        let (a, b) = (self.above.rounded[i], self.below.rounded[i]);
        if a > b {
            Some(1)
        } else if a < b {
            Some(-1)
        } else {
            self.exact_sign(i)
        }
    }

    fn exact_sign(&mut self, i: usize) -> Option<i8> {
        let (a, b) = (self.above_exact.at(i), self.below_exact.at(i));
        (!a.is_nan() && !b.is_nan()).then_some((a > b) as i8 - (a < b) as i8)
    }
}

/// `out[i]` = the sign of `above[i] - below[i]`, 0 for a tie or `NaN`. On x86-64 it runs
/// with AVX2 where the CPU has it (detected once at run time): the loop is the same, the
/// compiler only gets wider registers, so every CPU gets the same bits. There it also asks
/// for the series 4 KiB ahead of the comparisons: a sweep reads hundreds of series, each
/// once per config, from caches far enough that waiting for them is most of the time.
fn signs(above: &[f32], below: &[f32], out: &mut [i8]) {
    #[inline(always)]
    fn portable(above: &[f32], below: &[f32], out: &mut [i8]) {
        for ((target, a), b) in out.iter_mut().zip(above).zip(below) {
            *target = (a > b) as i8 - (a < b) as i8;
        }
    }
    #[cfg(target_arch = "x86_64")]
    {
        #[target_feature(enable = "avx2")]
        fn avx2(above: &[f32], below: &[f32], out: &mut [i8]) {
            use std::arch::x86_64::{_MM_HINT_T0, _mm_prefetch};
            // In values: four cache lines per chunk; prefetches reach 1,024 values ahead.
            const CHUNK: usize = 64;
            const AHEAD: usize = 1024;
            let len = above.len().min(below.len());
            let chunks = out.chunks_mut(CHUNK).zip(above.chunks(CHUNK)).zip(below.chunks(CHUNK));
            for (start, ((out, above_chunk), below_chunk)) in (0..).step_by(CHUNK).zip(chunks) {
                for line in (start + AHEAD..len.min(start + AHEAD + CHUNK)).step_by(16) {
                    _mm_prefetch::<_MM_HINT_T0>(above[line..].as_ptr().cast());
                    _mm_prefetch::<_MM_HINT_T0>(below[line..].as_ptr().cast());
                }
                portable(above_chunk, below_chunk, out);
            }
        }
        if std::arch::is_x86_feature_detected!("avx2") {
            // SAFETY: the CPU was just found to have AVX2.
            return unsafe { avx2(above, below, out) };
        }
    }
    portable(above, below, out);
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    fn check(name: &str, params: Value) -> Result<(ParamValues, Map<String, Value>)> {
        validate_params(find(name).unwrap(), params.as_object().unwrap())
    }

    #[test]
    fn valid_params_are_normalized() {
        let (values, normal) = check("sma", json!({"fast_period": 20.0, "slow_period": 50})).unwrap();
        assert_eq!(values.as_slice(), &[20.0, 50.0]);
        assert_eq!(Value::Object(normal), json!({"fast_period": 20, "slow_period": 50}));
        for s in REGISTRY {
            assert!(
                validate_params(*s, &default_params(*s)).is_ok(),
                "{} defaults",
                s.name()
            );
        }
    }

    #[test]
    fn each_bad_param_is_named() {
        let cases = [
            (
                "sma",
                json!({"fast_period": 50, "slow_period": 20}),
                "strategy `sma`, parameter `fast_period`: fast_period (50) must be less than slow_period (20)",
            ),
            (
                "sma",
                json!({"fast_period": 20}),
                "strategy `sma`, parameter `slow_period`: missing (expected an integer in [1, 100000])",
            ),
            (
                "sma",
                json!({"fast_period": 20, "slow_period": 50, "fats": 1}),
                "strategy `sma`, parameter `fats`: unknown parameter (expected: fast_period, slow_period)",
            ),
            (
                "sma",
                json!({"fast_period": "20", "slow_period": 50}),
                "strategy `sma`, parameter `fast_period`: expected an integer, got \"20\"",
            ),
            (
                "sma",
                json!({"fast_period": 2.5, "slow_period": 50}),
                "strategy `sma`, parameter `fast_period`: expected an integer, got 2.5",
            ),
            (
                "sma",
                json!({"fast_period": 0, "slow_period": 50}),
                "strategy `sma`, parameter `fast_period`: 0 is outside [1, 100000]",
            ),
            (
                "rsi",
                json!({"period": 14, "oversold": 0, "overbought": 70}),
                "strategy `rsi`, parameter `oversold`: 0 is outside (0, 100)",
            ),
            (
                "rsi",
                json!({"period": 1, "oversold": 30, "overbought": 70}),
                "strategy `rsi`, parameter `period`: 1 is outside [2, 100000]",
            ),
            (
                "rsi",
                json!({"period": 14, "oversold": 70, "overbought": 30}),
                "strategy `rsi`, parameter `oversold`: oversold (70) must be less than overbought (30)",
            ),
            (
                "macd",
                json!({"fast_period": 12, "slow_period": 26, "signal_period": 0}),
                "strategy `macd`, parameter `signal_period`: 0 is outside [1, 100000]",
            ),
            (
                "convergence",
                json!({}),
                "strategy `convergence`, parameter `fast_period`: missing",
            ),
        ];
        for (name, params, expected) in cases {
            let err = check(name, params).unwrap_err().to_string();
            assert!(err.starts_with(expected), "got {err:?}, want {expected:?}");
        }
        let err = find("smma").err().unwrap().to_string();
        assert_eq!(err, "unknown strategy `smma` (known: sma, rsi, macd, convergence)");
    }

    #[test]
    fn crossover_keeps_previous_on_ties_and_waits_for_values() {
        let nan = f64::NAN;
        let above = [
            nan, nan, 1.0, 2.0, 2.0, 2.0, 0.0, 1.0, 1.0, 1.0, 1.0, 1.0, 1.0, 1.0, 1.0, 1.0, 5.0,
        ];
        let below = [
            nan, 0.0, 1.0, 1.0, 2.0, 2.0, 1.0, 1.0, 1.0, 1.0, 1.0, 1.0, 1.0, 1.0, 1.0, 1.0, 1.0,
        ];
        let mut out = [9i8; 17];
        crossover(&Series::from(above.to_vec()), &Series::from(below.to_vec()), &mut out);
        // A tie on the first value has no previous target: 0.
        assert_eq!(out, [0, 0, 0, 1, 1, 1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, 1]);
        let mut empty: [i8; 0] = [];
        crossover(&Series::from(vec![]), &Series::from(vec![]), &mut empty);
    }

    #[test]
    fn each_strategy_names_exactly_the_indicators_it_reads() {
        let close: Vec<f64> = (0..300).map(|i| 100.0 + (f64::from(i) * 0.2).sin() * 5.0).collect();
        for strategy in REGISTRY {
            let (params, _) = validate_params(*strategy, &default_params(*strategy)).unwrap();
            let indicators = Indicators::new(close.clone());
            let keys = strategy.indicators(&params);
            indicators.prepare(keys.iter().copied());
            let prepared = indicators.computed();
            assert_eq!(prepared, keys.len(), "{}", strategy.name());
            strategy.targets(&params, &indicators, true, &mut vec![0; close.len()]);
            assert_eq!(
                indicators.computed(),
                prepared,
                "{} read an unnamed series",
                strategy.name()
            );
        }
    }

    #[test]
    fn crossover_orders_values_that_round_to_the_same_f32_exactly() {
        let one = 1.0f64;
        let above = Series::from(vec![one, one + 1e-12, one - 1e-12, one, 2.0]);
        let below = Series::from(vec![0.5, one, one, one, 1.0 + 1e-12]);
        assert_eq!(above.rounded[1], below.rounded[1]);
        let mut out = [0i8; 5];
        crossover(&above, &below, &mut out);
        assert_eq!(out, [1, 1, -1, -1, 1]);
    }

    #[test]
    fn signs_of_any_length_are_the_plain_comparison() {
        for len in [0usize, 1, 63, 64, 65, 1023, 1024, 1025, 1090, 3000] {
            // Ties, NaN and both orders, at every offset from a chunk boundary.
            let above: Vec<f32> = (0..len).map(|i| [1.0, 2.0, f32::NAN, 3.0, 2.0][i % 5]).collect();
            let below: Vec<f32> = (0..len)
                .map(|i| [2.0, 2.0, 1.0, 1.0, f32::NAN, 2.0, 0.5][i % 7])
                .collect();
            let mut out = vec![9i8; len];
            signs(&above, &below, &mut out);
            let plain: Vec<i8> = above
                .iter()
                .zip(&below)
                .map(|(a, b)| (a > b) as i8 - (a < b) as i8)
                .collect();
            assert_eq!(out, plain, "length {len}");
        }
    }

    #[test]
    fn crossover_settles_rounded_ties_of_kept_smas_from_their_replayed_values() {
        let (up, down) = (1.0 + 2e-12, 1.0 - 2e-12);
        let close: std::sync::Arc<[f64]> = vec![1.0, up, down, 1.0, 3.0].into();
        let [one, two] = Series::smas(&close, [1, 2]);
        // SMA(1) is the close, SMA(2) the mean of two: equal in f32 at candles 1 to 3.
        assert_eq!(one.rounded[1..4], two.rounded[1..4]);
        let mut out = [9i8; 5];
        crossover(&one, &two, &mut out);
        // 1: 1+2e-12 over 1+1e-12; 2: 1-2e-12 under 1; 3: 1 over 1-1e-12 (the exact means).
        assert_eq!(out, [0, 1, -1, 1, 1]);
    }
}
