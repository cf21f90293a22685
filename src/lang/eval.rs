//! Running a checked program: each op becomes one column (or a scalar, when it depends on
//! no candle), computed in order; indicators come from the market's cache, keyed by their
//! canonical text with the params bound, so a series two rules, configs or threads use is
//! computed once per market. The position rules then walk the four bool columns.

use std::sync::Arc;

use super::check::{Arg, Callee, Op, Price};
use super::functions::{self, ArgKind, Candles, Function, Indicator};
use super::syntax::BinaryOp;
use super::Definition;
use crate::indicators::{Column, Indicators};

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

fn children(op: &Op) -> Vec<usize> {
    match op {
        Op::Number(_) | Op::Bool(_) | Op::Param(_) | Op::Price(_) => vec![],
        Op::Neg(a) | Op::Not(a) | Op::Shift(a, _) | Op::Field(a, _) => vec![*a],
        Op::Binary(_, a, b) => vec![*a, *b],
        Op::Apply(_, args) => args.clone(),
        Op::Indicator { input, .. } => input.iter().copied().collect(),
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
            return Err((bound.param, format!("{value} is outside the {function}'s bounds [{min}, {max}]")));
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
    Mask(Arc<Vec<bool>>),
}

impl Val {
    fn series(&self) -> &[f64] {
        match self {
            Val::Series(c, k) => &c[*k],
            _ => unreachable!("the checker gave this op a number series"),
        }
    }
}

fn series(v: Vec<f64>) -> Val {
    Val::Series(Arc::new(vec![v]), 0)
}

fn number(x: f64) -> String {
    ryu_js::Buffer::new().format(x).to_owned()
}

/// Writes the target of every candle (spec: "Positions").
pub(super) fn targets(definition: &Definition, values: &[f64], indicators: &Indicators, allow_short: bool, out: &mut [i8]) {
    let vals = compute(definition, values, indicators);
    let rule = |id: Option<usize>| id.map(|i| vals[i].clone().expect("rules are computed"));
    let r = &definition.rules;
    walk(
        [rule(Some(r.long_entry)), rule(r.long_exit), rule(r.short_entry), rule(r.short_exit)],
        allow_short,
        out,
    );
}

/// The value of op `id` at every candle (bools as 1 and 0), for [`super::evaluate`].
pub(super) fn column(definition: &Definition, id: usize, values: &[f64], indicators: &Indicators) -> Vec<f64> {
    let vals = compute(definition, values, indicators);
    let n = indicators.len();
    match vals[id].as_ref().expect("the op is needed") {
        Val::Bool(b) => vec![f64::from(u8::from(*b)); n],
        Val::Mask(m) => m.iter().map(|&b| f64::from(u8::from(b))).collect(),
        other => materialize(other, n),
    }
}

/// Every needed op's value, in order (children before parents).
fn compute(definition: &Definition, values: &[f64], indicators: &Indicators) -> Vec<Option<Val>> {
    let program = &definition.program;
    let n = indicators.len();
    let mut vals: Vec<Option<Val>> = vec![None; program.ops.len()];
    let mut keys: Vec<String> = vec![String::new(); program.ops.len()];
    for id in 0..program.ops.len() {
        if !definition.needed[id] {
            continue;
        }
        let op = &program.ops[id];
        if definition.keyed[id] {
            keys[id] = key(definition, op, values, &keys);
        }
        let get = |i: usize| vals[i].as_ref().expect("children are computed first");
        let value = match op {
            Op::Number(x) => Val::Num(*x),
            Op::Bool(b) => Val::Bool(*b),
            Op::Param(p) => Val::Num(values[*p]),
            Op::Price(price) => Val::Series(indicators.column(price.name(), || vec![price_column(*price, indicators)]), 0),
            Op::Neg(a) => map_num(get(*a), n, |x| -x),
            Op::Not(a) => match get(*a) {
                Val::Bool(b) => Val::Bool(!b),
                Val::Mask(m) => Val::Mask(Arc::new(m.iter().map(|b| !b).collect())),
                _ => unreachable!(),
            },
            Op::Binary(op, a, b) => binary(*op, get(*a), get(*b), n),
            Op::Apply(function, args) => apply(*function, &args.iter().map(|&a| get(a)).collect::<Vec<_>>(), n),
            Op::Shift(a, by) => shift(get(*a), arg(*by, values) as usize, n),
            Op::Field(a, k) => match get(*a) {
                Val::Fields(c) => Val::Series(Arc::clone(c), *k),
                _ => unreachable!(),
            },
            Op::Indicator { callee, input, args } => {
                let indicator = resolve(definition, *callee, values);
                let args: Vec<f64> = args.iter().map(|&a| arg(a, values)).collect();
                let input = input.map(|i| get(i).clone());
                let column = indicators.column(&keys[id], || {
                    let input = input.map(|v| materialize(&v, n));
                    let candles = indicators.candles();
                    let candles = Candles {
                        high: &candles.high,
                        low: &candles.low,
                        close: indicators.close(),
                        volume: &candles.volume,
                    };
                    (indicator.compute)(input.as_deref().unwrap_or(&[]), &candles, &args)
                });
                if indicator.fields.is_empty() { Val::Series(column, 0) } else { Val::Fields(column) }
            }
        };
        vals[id] = Some(value);
    }
    vals
}

/// The canonical text of an op with the params bound: `ema(close, 12)`.
fn key(definition: &Definition, op: &Op, values: &[f64], keys: &[String]) -> String {
    match op {
        Op::Number(x) => number(*x),
        Op::Bool(b) => b.to_string(),
        Op::Param(p) => number(values[*p]),
        Op::Price(price) => price.name().to_owned(),
        Op::Neg(a) => format!("(-{})", keys[*a]),
        Op::Not(a) => format!("(not {})", keys[*a]),
        Op::Binary(op, a, b) => format!("({} {} {})", keys[*a], op.symbol(), keys[*b]),
        Op::Apply(f, args) => format!("{}({})", f.name(), args.iter().map(|&a| keys[a].as_str()).collect::<Vec<_>>().join(", ")),
        Op::Shift(a, by) => format!("{}[{}]", keys[*a], number(arg(*by, values))),
        Op::Field(a, k) => format!("{}.{k}", keys[*a]),
        Op::Indicator { callee, input, args } => {
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
        Price::Open => c.open.to_vec(),
        Price::High => c.high.to_vec(),
        Price::Low => c.low.to_vec(),
        Price::Close => close.to_vec(),
        Price::Volume => c.volume.to_vec(),
        Price::Hl2 => (0..n).map(|i| (c.high[i] + c.low[i]) / 2.0).collect(),
        Price::Hlc3 => (0..n).map(|i| (c.high[i] + c.low[i] + close[i]) / 3.0).collect(),
        Price::Ohlc4 => (0..n).map(|i| (c.open[i] + c.high[i] + c.low[i] + close[i]) / 4.0).collect(),
        Price::Hour => c.open_time.iter().map(|t| (t.rem_euclid(86_400_000) / 3_600_000) as f64).collect(),
        // 1970-01-01 was a Thursday (3, with Monday 0).
        Price::Weekday => c.open_time.iter().map(|t| ((t.div_euclid(86_400_000) + 3).rem_euclid(7)) as f64).collect(),
    }
}

/// A number series of `n` values, broadcast from a number if need be.
fn materialize(v: &Val, n: usize) -> Vec<f64> {
    match v {
        Val::Num(x) => vec![*x; n],
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

fn bools(v: &Val) -> Operand<'_, bool> {
    match v {
        Val::Bool(b) => Operand::One(*b),
        Val::Mask(m) => Operand::Each(m),
        _ => unreachable!("the checker gave this op a bool"),
    }
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
    let number = |f: fn(f64, f64) -> f64| match scalar {
        true => Val::Num(f(numbers(a).at(0), numbers(b).at(0))),
        false => series(each(numbers(a), numbers(b), n, f)),
    };
    // Comparisons with NaN are false, as IEEE has them (`!=` too: "no value" is not unequal).
    let compare = |f: fn(f64, f64) -> bool| match scalar {
        true => Val::Bool(f(numbers(a).at(0), numbers(b).at(0))),
        false => Val::Mask(Arc::new(each(numbers(a), numbers(b), n, f))),
    };
    let logic = |f: fn(bool, bool) -> bool| match scalar {
        true => Val::Bool(f(bools(a).at(0), bools(b).at(0))),
        false => Val::Mask(Arc::new(each(bools(a), bools(b), n, f))),
    };
    let bool_operands = matches!(a, Val::Bool(_) | Val::Mask(_));
    match op {
        BinaryOp::Add => number(|x, y| x + y),
        BinaryOp::Sub => number(|x, y| x - y),
        BinaryOp::Mul => number(|x, y| x * y),
        BinaryOp::Div => number(|x, y| x / y),
        BinaryOp::Rem => number(|x, y| x % y),
        BinaryOp::Lt => compare(|x, y| x < y),
        BinaryOp::Le => compare(|x, y| x <= y),
        BinaryOp::Gt => compare(|x, y| x > y),
        BinaryOp::Ge => compare(|x, y| x >= y),
        BinaryOp::Eq if bool_operands => logic(|x, y| x == y),
        BinaryOp::Ne if bool_operands => logic(|x, y| x != y),
        BinaryOp::Eq => compare(|x, y| x == y),
        BinaryOp::Ne => compare(|x, y| !x.is_nan() && !y.is_nan() && x != y),
        BinaryOp::And => logic(|x, y| x && y),
        BinaryOp::Or => logic(|x, y| x || y),
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
                    Val::Mask(Arc::new((0..n).map(|i| if c.at(i) { a.at(i) } else { b.at(i) }).collect()))
                }
                _ => {
                    let (a, b) = (numbers(a), numbers(b));
                    series((0..n).map(|i| if c.at(i) { a.at(i) } else { b.at(i) }).collect())
                }
            }
        }
        Function::Crossover | Function::Crossunder => {
            let (a, b) = (numbers(args[0]), numbers(args[1]));
            let up = function == Function::Crossover;
            let crossed = |i: usize| {
                let (now_a, now_b, was_a, was_b) = (a.at(i), b.at(i), a.at(i - 1), b.at(i - 1));
                if up { now_a > now_b && was_a <= was_b } else { now_a < now_b && was_a >= was_b }
            };
            Val::Mask(Arc::new((0..n).map(|i| i > 0 && crossed(i)).collect()))
        }
        Function::Min | Function::Max | Function::Pow => {
            if is_scalar(args[0]) && is_scalar(args[1]) {
                return Val::Num(function.binary(numbers(args[0]).at(0), numbers(args[1]).at(0)));
            }
            series(each(numbers(args[0]), numbers(args[1]), n, |x, y| function.binary(x, y)))
        }
        _ => map_num(args[0], n, |x| function.unary(x)),
    }
}

/// `x[by]`: the value `by` candles back, none before candle `by`.
fn shift(v: &Val, by: usize, n: usize) -> Val {
    let by = by.min(n);
    match v {
        Val::Bool(b) => Val::Mask(Arc::new((0..n).map(|i| i >= by && *b).collect())),
        Val::Mask(m) => {
            let mut out = vec![false; by];
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

/// The position rules over the rule columns, candle by candle (the only loop with state).
fn walk(rules: [Option<Val>; 4], allow_short: bool, out: &mut [i8]) {
    fn rule(v: &Option<Val>) -> Operand<'_, bool> {
        match v {
            None => Operand::One(false),
            Some(v) => bools(v),
        }
    }
    let [long_entry, long_exit, short_entry, short_exit] = [&rules[0], &rules[1], &rules[2], &rules[3]].map(rule);
    let mut pos: i8 = 0;
    for (i, target) in out.iter_mut().enumerate() {
        if pos == 1 && long_exit.at(i) || pos == -1 && short_exit.at(i) {
            pos = 0;
        }
        if pos == 0 {
            if long_entry.at(i) {
                pos = 1;
            } else if allow_short && short_entry.at(i) {
                pos = -1;
            }
        }
        *target = pos;
    }
}
