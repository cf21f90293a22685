//! Running a checked program: each op becomes one column (or a scalar, when it depends on
//! no candle), computed in order; indicators come from the market's cache, keyed by their
//! canonical text with the params bound, so a series two rules, configs or threads use is
//! computed once per market. The position rules then walk the four bool columns.

use std::sync::Arc;

use super::Definition;
use super::check::{Arg, Callee, Frame, Op, Price, children};
use super::functions::{self, ArgKind, Candles, Function, Indicator};
use super::syntax::BinaryOp;
use crate::indicators::{Column, ExactValues, IndicatorKey, Indicators, Series};
use crate::scan::{first_marked, first_zero};
use crate::strategy::Comparison;
use crate::timeframe::Timeframe;

/// The ops the rules reach, and those whose canonical text names a cached series.
pub(super) fn reach(program: &super::Program, rules: [Option<usize>; 4]) -> (Vec<bool>, Vec<bool>) {
    let n = program.ops.len();
    let (mut needed, mut keyed) = (vec![false; n], vec![false; n]);
    for root in rules.into_iter().flatten() {
        needed[root] = true;
    }
    // Children have lower ids than their parents: one pass from the top down.
    for id in (0..n).rev() {
        let is_indicator = matches!(program.ops[id], Op::Indicator { .. });
        if is_indicator {
            keyed[id] = true;
        }
        for child in children(&program.ops[id]) {
            needed[child] |= needed[id];
            keyed[child] |= keyed[id] && needed[id];
        }
    }
    (needed, keyed)
}

/// The market at each timeframe a program reads: its own candles, and the larger ones
/// resampled from them.
struct Frames<'a> {
    base: &'a Indicators,
    higher: Vec<(Timeframe, Arc<Indicators>)>,
}

impl<'a> Frames<'a> {
    fn of(program: &super::Program, base: &'a Indicators) -> Self {
        let higher = program
            .timeframes
            .iter()
            .filter(|&&tf| tf != base.timeframe())
            .map(|&tf| (tf, base.at_timeframe(tf)))
            .collect();
        Self { base, higher }
    }

    fn timeframe(&self, frame: Frame) -> Timeframe {
        match frame {
            Frame::At(tf) => tf,
            Frame::Any | Frame::Base => self.base.timeframe(),
        }
    }

    fn get(&self, frame: Frame) -> &Indicators {
        let tf = self.timeframe(frame);
        self.higher
            .iter()
            .find(|(t, _)| *t == tf)
            .map_or(self.base, |(_, indicators)| indicators)
    }

    /// `v`, a series at `from`, at each candle of `to`: its value as of the last candle
    /// closed then; none (NaN, false) before the first.
    fn align(&self, v: &Val, from: Frame, to: Frame) -> Val {
        let index = self.base.closed_index(self.timeframe(from), self.timeframe(to));
        let n = self.get(from).len();
        match v {
            Val::Num(_) | Val::Bool(_) => v.clone(),
            Val::Mask(m) => Val::Mask(Arc::new(
                index.iter().map(|&i| m.get(i as usize).copied().unwrap_or(0)).collect(),
            )),
            other => {
                let values = materialize(other, n);
                series(
                    index
                        .iter()
                        .map(|&i| values.get(i as usize).copied().unwrap_or(f64::NAN))
                        .collect(),
                )
            }
        }
    }
}

fn arg(a: Arg, values: &[f64]) -> f64 {
    match a {
        Arg::Number(n) => n,
        Arg::Param(p) => values[p],
    }
}

/// The indicator a callee is with these params (a called choice: the chosen average).
fn resolve(definition: &Definition, callee: Callee, values: &[f64]) -> &'static Indicator {
    match callee {
        Callee::Indicator(i) => i,
        Callee::Choice(param) => {
            let name = &definition.params[param].choices[values[param] as usize];
            functions::indicator(name).expect("choices are checked to be moving averages")
        }
    }
}

/// The per-config check of every period and number a param gives a function.
pub(super) fn check_bounds(definition: &Definition, values: &[f64]) -> Result<(), (usize, String)> {
    for bound in &definition.program.bounds {
        let value = values[bound.param];
        let (kind, function) = match bound.choice {
            Some(choice) => {
                let chosen = resolve(definition, Callee::Choice(choice), values);
                (chosen.args[0].1, format!("`{}` period", chosen.name))
            }
            None => (bound.kind, bound.function.clone()),
        };
        let (min, max) = match kind {
            ArgKind::Period { min, max } | ArgKind::Number { min, max } => (min, max),
            ArgKind::Series => continue,
        };
        if !(min..=max).contains(&value) {
            return Err((
                bound.param,
                format!("{value} is outside the {function}'s bounds [{min}, {max}]"),
            ));
        }
    }
    Ok(())
}

/// One op's value: a number or bool known before the run, or a column.
#[derive(Clone)]
enum Val {
    Num(f64),
    Bool(bool),
    /// Column `k` of a cached or computed set (`k` picks a multi-output indicator's field).
    Series(Arc<Column>, usize),
    /// All outputs of a multi-output indicator.
    Fields(Arc<Column>),
    /// A bool series as bytes, 1 for true and 0 for false (scanned sixteen at a time).
    Mask(Arc<Vec<i8>>),
    /// `sma(close, n)`, as the built-ins keep it (rounded values and rolling totals, four
    /// computed at a time by a sweep's prepare step): comparisons read it as it is, any
    /// other use first turns it into a [`Val::Series`].
    Sma(Arc<Series>),
}

impl Val {
    /// The values rounded to `f32`, when the series is a cached one.
    fn rounded(&self) -> Option<&[f32]> {
        match self {
            Val::Series(c, k) => c.rounded.get(*k).map(Vec::as_slice),
            Val::Sma(s) => Some(&s.rounded),
            _ => None,
        }
    }

    fn series(&self) -> &[f64] {
        match self {
            Val::Series(c, k) => &c.exact[*k],
            _ => unreachable!("the checker gave this op a number series"),
        }
    }
}

fn series(v: Vec<f64>) -> Val {
    Val::Series(Arc::new(Column::single(v)), 0)
}

fn number(x: f64) -> String {
    ryu_js::Buffer::new().format(x).to_owned()
}

/// Writes the target of every candle (spec: "Positions").
pub(super) fn targets(
    definition: &Definition,
    values: &[f64],
    indicators: &Indicators,
    allow_short: bool,
    out: &mut [i8],
) {
    let vals = compute(definition, values, indicators);
    let rule = |id: Option<usize>| id.map(|i| vals[i].clone().expect("rules are computed"));
    let r = &definition.rules;
    walk(
        [
            rule(Some(r.long_entry)),
            rule(r.long_exit),
            rule(r.short_entry),
            rule(r.short_exit),
        ],
        allow_short,
        out,
    );
}

/// The value of op `id` at every candle (bools as 1 and 0), for [`super::evaluate`].
pub(super) fn column(definition: &Definition, id: usize, values: &[f64], indicators: &Indicators) -> Vec<f64> {
    let vals = compute(definition, values, indicators);
    let n = indicators.len();
    let value = vals[id].as_ref().expect("the op is needed");
    let value = &Frames::of(&definition.program, indicators).align(value, definition.program.frames[id], Frame::Base);
    match value {
        Val::Bool(b) => vec![f64::from(u8::from(*b)); n],
        Val::Mask(m) => m.iter().map(|&b| f64::from(b)).collect(),
        other => materialize(other, n),
    }
}

/// Every needed op's value, in order (children before parents).
fn compute(definition: &Definition, values: &[f64], indicators: &Indicators) -> Vec<Option<Val>> {
    let program = &definition.program;
    let frames = Frames::of(program, indicators);
    let mut vals: Vec<Option<Val>> = vec![None; program.ops.len()];
    let mut keys: Vec<String> = vec![String::new(); program.ops.len()];
    let mut orders = Orders::default();
    for id in 0..program.ops.len() {
        if !definition.needed[id] {
            continue;
        }
        let op = &program.ops[id];
        let at = frames.get(program.frames[id]);
        let n = at.len();
        if definition.keyed[id] {
            keys[id] = key(definition, op, values, &keys);
        }
        // An SMA kept as the built-ins keep it has no exact slice: compared with a series
        // that has no rounded values (one config's own), it is made a plain series first.
        let operands: Vec<&Val> = children(op).iter().filter_map(|&c| vals[c].as_ref()).collect();
        let through_orders = compares(op)
            && operands.iter().all(|v| is_series(v))
            && (operands.iter().all(|v| v.rounded().is_some()) || !operands.iter().any(|v| matches!(v, Val::Sma(_))));
        if !through_orders {
            for child in children(op) {
                if let Some(Val::Sma(_)) = vals[child] {
                    let period =
                        simple_average(definition, &program.ops[child], values).expect("an Sma is an SMA of the close");
                    let column = indicators.column(&keys[child], || {
                        vec![crate::indicators::sma(indicators.close(), period)]
                    });
                    vals[child] = Some(Val::Series(column, 0));
                }
            }
        }
        let get = |i: usize| vals[i].as_ref().expect("children are computed first");
        let value = match op {
            Op::Number(x) => Val::Num(*x),
            Op::Bool(b) => Val::Bool(*b),
            Op::Param(p) => Val::Num(values[*p]),
            Op::Price(price, _) => Val::Series(at.column(price.name(), || vec![price_column(*price, at)]), 0),
            Op::Neg(a) => map_num(get(*a), n, |x| -x),
            Op::Not(a) => match get(*a) {
                Val::Bool(b) => Val::Bool(!b),
                Val::Mask(m) => Val::Mask(Arc::new(m.iter().map(|b| b ^ 1).collect())),
                _ => unreachable!(),
            },
            Op::Binary(op, a, b) => match op.comparison().map(Relation::Compare) {
                Some(relation) if is_series(get(*a)) && is_series(get(*b)) => {
                    orders.mask(relation, (*a, get(*a)), (*b, get(*b)))
                }
                _ => binary(*op, get(*a), get(*b), n),
            },
            Op::Apply(function @ (Function::Crossover | Function::Crossunder), args)
                if is_series(get(args[0])) && is_series(get(args[1])) =>
            {
                let relation = if *function == Function::Crossover {
                    Relation::CrossesOver
                } else {
                    Relation::CrossesUnder
                };
                orders.mask(relation, (args[0], get(args[0])), (args[1], get(args[1])))
            }
            Op::Apply(function, args) => apply(*function, &args.iter().map(|&a| get(a)).collect::<Vec<_>>(), n),
            Op::Shift(a, by) => shift(get(*a), arg(*by, values) as usize, n),
            Op::Field(a, k) => match get(*a) {
                Val::Fields(c) => Val::Series(Arc::clone(c), *k),
                _ => unreachable!(),
            },
            op @ Op::Indicator { .. } if simple_average(definition, op, values).is_some() => {
                let period = simple_average(definition, op, values).expect("checked in the guard");
                Val::Sma(indicators.sma(period))
            }
            Op::Align(a, to) => frames.align(get(*a), program.frames[*a], *to),
            Op::Indicator {
                callee, input, args, ..
            } => {
                let indicator = resolve(definition, *callee, values);
                let args: Vec<f64> = args.iter().map(|&a| arg(a, values)).collect();
                let input = input.map(|i| get(i).clone());
                let column = at.column(&keys[id], || {
                    let input = input.map(|v| materialize(&v, n));
                    let candles = at.candles();
                    let candles = Candles {
                        high: &candles.high,
                        low: &candles.low,
                        close: at.close(),
                        volume: &candles.volume,
                    };
                    (indicator.compute)(input.as_deref().unwrap_or(&[]), &candles, &args)
                });
                if indicator.fields.is_empty() {
                    Val::Series(column, 0)
                } else {
                    Val::Fields(column)
                }
            }
        };
        vals[id] = Some(value);
    }
    vals
}

/// Whether `op` reads two series operands through [`Orders`] (where a [`Val::Sma`] serves
/// as it is).
fn compares(op: &Op) -> bool {
    match op {
        Op::Binary(op, ..) => op.is_comparison(),
        Op::Apply(f, _) => matches!(f, Function::Crossover | Function::Crossunder),
        _ => false,
    }
}

/// The period of `sma(close, n)` (a called choice included), the one average the
/// built-ins' cache keeps.
fn simple_average(definition: &Definition, op: &Op, values: &[f64]) -> Option<usize> {
    let Op::Indicator {
        callee,
        input: Some(input),
        args,
        ..
    } = op
    else {
        return None;
    };
    let is_close = matches!(definition.program.ops[*input], Op::Price(Price::Close, Frame::Base));
    (is_close && resolve(definition, *callee, values).name == "sma").then(|| arg(args[0], values) as usize)
}

/// The built-in cache's series a run of these params reads: its SMAs of the close, so a
/// sweep computes them four at a time before it runs.
pub(super) fn prepared(definition: &Definition, values: &[f64]) -> Vec<IndicatorKey> {
    let mut keys: Vec<IndicatorKey> = (0..definition.program.ops.len())
        .filter(|&id| definition.needed[id])
        .filter_map(|id| simple_average(definition, &definition.program.ops[id], values))
        .map(IndicatorKey::Sma)
        .collect();
    keys.dedup();
    keys
}

/// The canonical text of an op with the params bound: `ema(close, 12)`.
fn key(definition: &Definition, op: &Op, values: &[f64], keys: &[String]) -> String {
    match op {
        Op::Number(x) => number(*x),
        Op::Bool(b) => b.to_string(),
        Op::Param(p) => number(values[*p]),
        Op::Price(price, _) => price.name().to_owned(),
        Op::Neg(a) => format!("(-{})", keys[*a]),
        Op::Not(a) => format!("(not {})", keys[*a]),
        Op::Binary(op, a, b) => format!("({} {} {})", keys[*a], op.symbol(), keys[*b]),
        Op::Apply(f, args) => format!(
            "{}({})",
            f.name(),
            args.iter().map(|&a| keys[a].as_str()).collect::<Vec<_>>().join(", ")
        ),
        Op::Shift(a, by) => format!("{}[{}]", keys[*a], number(arg(*by, values))),
        Op::Field(a, k) => format!("{}.{k}", keys[*a]),
        Op::Align(a, _) => match definition.program.frames[*a] {
            Frame::At(tf) => format!("{}@{tf}", keys[*a]),
            Frame::Any | Frame::Base => keys[*a].clone(),
        },
        Op::Indicator {
            callee, input, args, ..
        } => {
            let indicator = resolve(definition, *callee, values);
            let parts: Vec<String> = input
                .iter()
                .map(|&i| keys[i].clone())
                .chain(args.iter().map(|&a| number(arg(a, values))))
                .collect();
            format!("{}({})", indicator.name, parts.join(", "))
        }
    }
}

fn price_column(price: Price, indicators: &Indicators) -> Vec<f64> {
    let c = indicators.candles();
    let close = indicators.close();
    let n = close.len();
    match price {
        Price::Open => c.open.clone(),
        Price::High => c.high.clone(),
        Price::Low => c.low.clone(),
        Price::Close => close.to_vec(),
        Price::Volume => c.volume.clone(),
        Price::Hl2 => (0..n).map(|i| (c.high[i] + c.low[i]) / 2.0).collect(),
        Price::Hlc3 => (0..n).map(|i| (c.high[i] + c.low[i] + close[i]) / 3.0).collect(),
        Price::Ohlc4 => (0..n)
            .map(|i| (c.open[i] + c.high[i] + c.low[i] + close[i]) / 4.0)
            .collect(),
        Price::Hour => c
            .open_time
            .iter()
            .map(|t| (t.rem_euclid(86_400_000) / 3_600_000) as f64)
            .collect(),
        // 1970-01-01 was a Thursday (3, with Monday 0).
        Price::Weekday => c
            .open_time
            .iter()
            .map(|t| ((t.div_euclid(86_400_000) + 3).rem_euclid(7)) as f64)
            .collect(),
    }
}

/// A number series of `n` values, broadcast from a number if need be.
fn materialize(v: &Val, n: usize) -> Vec<f64> {
    match v {
        Val::Num(x) => vec![*x; n],
        Val::Sma(s) => {
            let mut exact = s.exact();
            (0..n).map(|i| exact.at(i)).collect()
        }
        other => other.series().to_vec(),
    }
}

fn map_num(v: &Val, _n: usize, f: impl Fn(f64) -> f64) -> Val {
    match v {
        Val::Num(x) => Val::Num(f(*x)),
        other => series(other.series().iter().map(|&x| f(x)).collect()),
    }
}

/// An operand of an element-wise operation: a value for every candle or one for all.
enum Operand<'a, T> {
    One(T),
    Each(&'a [T]),
}

impl<T: Copy> Operand<'_, T> {
    #[inline(always)]
    fn at(&self, i: usize) -> T {
        match self {
            Operand::One(x) => *x,
            Operand::Each(xs) => xs[i],
        }
    }
}

fn numbers(v: &Val) -> Operand<'_, f64> {
    match v {
        Val::Num(x) => Operand::One(*x),
        other => Operand::Each(other.series()),
    }
}

fn bools(v: &Val) -> Operand<'_, i8> {
    match v {
        Val::Bool(b) => Operand::One(i8::from(*b)),
        Val::Mask(m) => Operand::Each(m),
        _ => unreachable!("the checker gave this op a bool"),
    }
}

fn is_series(v: &Val) -> bool {
    matches!(v, Val::Series(..) | Val::Sma(_))
}

/// A series' exact values at the rare candles a comparison needs them.
enum Exact<'a> {
    Values(&'a [f64]),
    Replayed(ExactValues<'a>),
}

impl<'a> Exact<'a> {
    fn of(v: &'a Val) -> Self {
        match v {
            Val::Sma(s) => Exact::Replayed(s.exact()),
            other => Exact::Values(other.series()),
        }
    }

    fn at(&mut self, i: usize) -> f64 {
        match self {
            Exact::Values(v) => v[i],
            Exact::Replayed(r) => r.at(i),
        }
    }
}

/// How two series compare at each candle, as bits: one pass over their values serves
/// every comparison and crossover of the pair (`sma(f) > sma(s)` and `sma(f) < sma(s)`
/// read the two columns once, not twice: the columns are what a sweep waits for).
const BELOW: i8 = 1;
const ABOVE: i8 = 2;
const EQUAL: i8 = 4;

/// The orders of the series pairs compared so far in one run, by their ops' ids.
#[derive(Default)]
struct Orders(Vec<((usize, usize), Vec<i8>)>);

#[derive(Clone, Copy)]
enum Relation {
    Compare(Comparison),
    CrossesOver,
    CrossesUnder,
}

impl Relation {
    /// The same relation with its operands swapped (`b < a` is `a > b`; `b` crossing over
    /// `a` is `a` crossing under `b`).
    fn swapped(self) -> Self {
        match self {
            Relation::Compare(c) => Relation::Compare(match c {
                Comparison::Lt => Comparison::Gt,
                Comparison::Le => Comparison::Ge,
                Comparison::Gt => Comparison::Lt,
                Comparison::Ge => Comparison::Le,
                same => same,
            }),
            Relation::CrossesOver => Relation::CrossesUnder,
            Relation::CrossesUnder => Relation::CrossesOver,
        }
    }
}

impl Orders {
    fn mask(&mut self, relation: Relation, (a, va): (usize, &Val), (b, vb): (usize, &Val)) -> Val {
        let (key, relation) = if a <= b {
            ((a, b), relation)
        } else {
            ((b, a), relation.swapped())
        };
        let index = match self.0.iter().position(|(k, _)| *k == key) {
            Some(i) => i,
            None => {
                let (x, y) = if a <= b { (va, vb) } else { (vb, va) };
                self.0.push((key, order_of(x, y)));
                self.0.len() - 1
            }
        };
        let order = &self.0[index].1;
        let has = |bits: i8| -> Vec<i8> { order.iter().map(|&o| i8::from(o & bits != 0)).collect() };
        // A cross: the relation now, its opposite-or-equal on the candle before (no value
        // there is no cross).
        let crossed = |now: i8, before: i8| -> Vec<i8> {
            let mut out = vec![0; order.len()];
            if let Some(rest) = out.get_mut(1..) {
                for ((out, &today), &yesterday) in rest.iter_mut().zip(&order[1..]).zip(order.iter()) {
                    *out = i8::from((today & now != 0) & (yesterday & before != 0));
                }
            }
            out
        };
        Val::Mask(Arc::new(match relation {
            Relation::Compare(Comparison::Lt) => has(BELOW),
            Relation::Compare(Comparison::Le) => has(BELOW | EQUAL),
            Relation::Compare(Comparison::Gt) => has(ABOVE),
            Relation::Compare(Comparison::Ge) => has(ABOVE | EQUAL),
            Relation::Compare(Comparison::Eq) => has(EQUAL),
            Relation::Compare(Comparison::Ne) => has(BELOW | ABOVE),
            Relation::CrossesOver => crossed(ABOVE, BELOW | EQUAL),
            Relation::CrossesUnder => crossed(BELOW, ABOVE | EQUAL),
        }))
    }
}

/// The order of two series at each candle. From their rounded values where both have
/// them (a strict order there is the exact one), the exact values settling rounded ties.
fn order_of(x: &Val, y: &Val) -> Vec<i8> {
    let exact = |x: f64, y: f64| i8::from(x < y) | (i8::from(x > y) << 1) | (i8::from(x == y) << 2);
    let (Some(xr), Some(yr)) = (x.rounded(), y.rounded()) else {
        return x.series().iter().zip(y.series()).map(|(&x, &y)| exact(x, y)).collect();
    };
    let mut order: Vec<i8> = xr
        .iter()
        .zip(yr)
        .map(|(&x, &y)| i8::from(x < y) | (i8::from(x > y) << 1))
        .collect();
    let (mut xs, mut ys) = (Exact::of(x), Exact::of(y));
    let mut from = 0;
    while let Some(k) = first_zero(&order[from..]) {
        let i = from + k;
        order[i] = exact(xs.at(i), ys.at(i));
        from = i + 1;
    }
    order
}

fn is_scalar(v: &Val) -> bool {
    matches!(v, Val::Num(_) | Val::Bool(_))
}

/// `f` at every candle, each operand's own loop so that each one vectorizes.
fn each<A: Copy, B: Copy, T: Clone>(a: Operand<'_, A>, b: Operand<'_, B>, n: usize, f: impl Fn(A, B) -> T) -> Vec<T> {
    match (a, b) {
        (Operand::Each(a), Operand::Each(b)) => a[..n].iter().zip(&b[..n]).map(|(&x, &y)| f(x, y)).collect(),
        (Operand::Each(a), Operand::One(y)) => a[..n].iter().map(|&x| f(x, y)).collect(),
        (Operand::One(x), Operand::Each(b)) => b[..n].iter().map(|&y| f(x, y)).collect(),
        (Operand::One(x), Operand::One(y)) => vec![f(x, y); n],
    }
}

fn binary(op: BinaryOp, a: &Val, b: &Val, n: usize) -> Val {
    let scalar = is_scalar(a) && is_scalar(b);
    // A macro, not a function taking `fn(f64, f64) -> T`: each operation is its own loop,
    // inlined and vectorized, instead of a call through a pointer per candle.
    macro_rules! number {
        ($f:expr) => {
            match scalar {
                true => Val::Num($f(numbers(a).at(0), numbers(b).at(0))),
                false => series(each(numbers(a), numbers(b), n, $f)),
            }
        };
    }
    // Comparisons with NaN are false, as IEEE has them (`!=` too: "no value" is not unequal).
    macro_rules! compare {
        ($f:expr) => {
            match scalar {
                true => Val::Bool($f(numbers(a).at(0), numbers(b).at(0))),
                false => Val::Mask(Arc::new(each(numbers(a), numbers(b), n, |x, y| {
                    i8::from($f(x, y))
                }))),
            }
        };
    }
    macro_rules! logic {
        ($f:expr) => {
            match scalar {
                true => Val::Bool($f(bools(a).at(0), bools(b).at(0)) != 0),
                false => Val::Mask(Arc::new(each(bools(a), bools(b), n, $f))),
            }
        };
    }
    let bool_operands = matches!(a, Val::Bool(_) | Val::Mask(_));
    match op {
        BinaryOp::Add => number!(|x: f64, y: f64| x + y),
        BinaryOp::Sub => number!(|x: f64, y: f64| x - y),
        BinaryOp::Mul => number!(|x: f64, y: f64| x * y),
        BinaryOp::Div => number!(|x: f64, y: f64| x / y),
        BinaryOp::Rem => number!(|x: f64, y: f64| x % y),
        BinaryOp::Lt => compare!(|x: f64, y: f64| x < y),
        BinaryOp::Le => compare!(|x: f64, y: f64| x <= y),
        BinaryOp::Gt => compare!(|x: f64, y: f64| x > y),
        BinaryOp::Ge => compare!(|x: f64, y: f64| x >= y),
        BinaryOp::Eq if bool_operands => logic!(|x: i8, y: i8| i8::from(x == y)),
        BinaryOp::Ne if bool_operands => logic!(|x: i8, y: i8| i8::from(x != y)),
        BinaryOp::Eq => compare!(|x: f64, y: f64| x == y),
        BinaryOp::Ne => compare!(|x: f64, y: f64| !x.is_nan() && !y.is_nan() && x != y),
        BinaryOp::And => logic!(|x: i8, y: i8| x & y),
        BinaryOp::Or => logic!(|x: i8, y: i8| x | y),
    }
}

fn apply(function: Function, args: &[&Val], n: usize) -> Val {
    match function {
        Function::If => {
            let (c, a, b) = (args[0], args[1], args[2]);
            if let Val::Bool(c) = c {
                return if *c { a.clone() } else { b.clone() };
            }
            let c = bools(c);
            match a {
                Val::Bool(_) | Val::Mask(_) => {
                    let (a, b) = (bools(a), bools(b));
                    Val::Mask(Arc::new(
                        (0..n).map(|i| if c.at(i) != 0 { a.at(i) } else { b.at(i) }).collect(),
                    ))
                }
                _ => {
                    let (a, b) = (numbers(a), numbers(b));
                    series((0..n).map(|i| if c.at(i) != 0 { a.at(i) } else { b.at(i) }).collect())
                }
            }
        }
        Function::Crossover | Function::Crossunder => {
            let (a, b) = (numbers(args[0]), numbers(args[1]));
            let up = function == Function::Crossover;
            let crossed = |i: usize| {
                let (now_a, now_b, was_a, was_b) = (a.at(i), b.at(i), a.at(i - 1), b.at(i - 1));
                if up {
                    now_a > now_b && was_a <= was_b
                } else {
                    now_a < now_b && was_a >= was_b
                }
            };
            Val::Mask(Arc::new((0..n).map(|i| i8::from(i > 0 && crossed(i))).collect()))
        }
        Function::Min | Function::Max | Function::Pow => {
            if is_scalar(args[0]) && is_scalar(args[1]) {
                return Val::Num(function.binary(numbers(args[0]).at(0), numbers(args[1]).at(0)));
            }
            series(each(numbers(args[0]), numbers(args[1]), n, |x, y| {
                function.binary(x, y)
            }))
        }
        _ => map_num(args[0], n, |x| function.unary(x)),
    }
}

/// `x[by]`: the value `by` candles back, none before candle `by`.
fn shift(v: &Val, by: usize, n: usize) -> Val {
    let by = by.min(n);
    match v {
        Val::Bool(b) => Val::Mask(Arc::new((0..n).map(|i| i8::from(i >= by && *b)).collect())),
        Val::Mask(m) => {
            let mut out = vec![0; by];
            out.extend_from_slice(&m[..n - by]);
            Val::Mask(Arc::new(out))
        }
        other => {
            let values = materialize(other, n);
            let mut out = vec![f64::NAN; by];
            out.extend_from_slice(&values[..n - by]);
            series(out)
        }
    }
}

/// The position rules over the rule columns (spec: "Positions"). The position only
/// changes on a candle where a rule that matters in it holds, so the walk jumps from one
/// such candle to the next (found sixteen candles at a time) and fills the runs between:
/// the rules' columns are read once, not once per candle through a chain of dependent steps.
fn walk(rules: [Option<Val>; 4], allow_short: bool, out: &mut [i8]) {
    let n = out.len();
    let column = |v: &Option<Val>| -> Option<Arc<Vec<i8>>> {
        match v {
            None | Some(Val::Bool(false)) => None,
            Some(Val::Bool(true)) => Some(Arc::new(vec![1; n])),
            Some(Val::Mask(m)) => Some(Arc::clone(m)),
            Some(_) => unreachable!("rules are bools"),
        }
    };
    let [long_entry, long_exit, short_entry, short_exit] = [&rules[0], &rules[1], &rules[2], &rules[3]].map(column);
    let short_entry = if allow_short { short_entry } else { None };
    let mut cursors =
        [&long_entry, &long_exit, &short_entry, &short_exit].map(|c| Cursor::new(c.as_deref().map(|v| &v[..n])));
    let [le, lx, se, sx] = &mut cursors;
    let mut pos: i8 = 0;
    let mut i = 0;
    while i < n {
        let change = match pos {
            1 => lx.next(i),
            -1 => sx.next(i),
            _ => le.next(i).min(se.next(i)),
        }
        .min(n);
        out[i..change].fill(pos);
        if change == n {
            break;
        }
        if pos == 1 && lx.holds(change) || pos == -1 && sx.holds(change) {
            pos = 0;
        }
        if pos == 0 {
            if le.holds(change) {
                pos = 1;
            } else if se.holds(change) {
                pos = -1;
            }
        }
        out[change] = pos;
        i = change + 1;
    }
}

/// The next candle at or after a point where one rule holds, remembered: a later question
/// from a point before that candle has the same answer, so each column is scanned once.
struct Cursor<'a> {
    column: Option<&'a [i8]>,
    /// The first candle >= `from` where it holds (`usize::MAX`: none), once asked.
    found: Option<(usize, usize)>,
}

impl<'a> Cursor<'a> {
    fn new(column: Option<&'a [i8]>) -> Self {
        Self { column, found: None }
    }

    fn holds(&self, i: usize) -> bool {
        self.column.is_some_and(|c| c[i] != 0)
    }

    fn next(&mut self, from: usize) -> usize {
        let Some(column) = self.column else {
            return usize::MAX;
        };
        match self.found {
            Some((asked, at)) if asked <= from && from <= at => at,
            _ => {
                let at = first_marked(&column[from..], 0, |word| word).map_or(usize::MAX, |k| from + k);
                self.found = Some((from, at));
                at
            }
        }
    }
}
