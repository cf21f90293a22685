//! Names, types and limits: turns the parsed expressions of a definition into one program
//! of column operations, shared subexpressions once (`sma(close, fast)` written four times
//! is one operation).

use std::collections::HashMap;

use super::functions::{self, ArgKind, Function, Indicator};
use super::syntax::{BinaryOp, Expr, Node, Span, UnaryOp};
use super::{ParamDecl, ParamType};
use crate::timeframe::Timeframe;

pub(super) type Id = usize;

/// A number known before the run: a literal or a param's value.
#[derive(Debug, Clone, Copy, PartialEq)]
pub(super) enum Arg {
    Number(f64),
    Param(usize),
}

/// The candle columns and the values derived from them alone.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub(super) enum Price {
    Open,
    High,
    Low,
    Close,
    Volume,
    Hl2,
    Hlc3,
    Ohlc4,
    Hour,
    Weekday,
}

pub(super) const PRICES: [(&str, Price); 10] = [
    ("open", Price::Open),
    ("high", Price::High),
    ("low", Price::Low),
    ("close", Price::Close),
    ("volume", Price::Volume),
    ("hl2", Price::Hl2),
    ("hlc3", Price::Hlc3),
    ("ohlc4", Price::Ohlc4),
    ("hour", Price::Hour),
    ("weekday", Price::Weekday),
];

impl Price {
    pub(super) fn name(self) -> &'static str {
        PRICES.iter().find(|(_, p)| *p == self).map_or("?", |(n, _)| n)
    }
}

#[derive(Clone, Copy)]
pub(super) enum Callee {
    Indicator(&'static Indicator),
    /// A `choice` param of moving-average names, called: `ma(close, fast)`.
    Choice(usize),
}

impl std::fmt::Debug for Callee {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Callee::Indicator(i) => write!(f, "{}", i.name),
            Callee::Choice(p) => write!(f, "choice#{p}"),
        }
    }
}

/// The candles an op's values are at: one value per candle of the market's own timeframe,
/// of a larger one (`close@4h`), or a value known before the run.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub(super) enum Frame {
    Any,
    Base,
    At(Timeframe),
}

impl Frame {
    /// Where two operands meet: the smaller timeframe, the market's own the smallest (a
    /// config may not read a timeframe below its own).
    fn meet(self, other: Frame) -> Frame {
        match (self, other) {
            (Frame::Any, f) | (f, Frame::Any) => f,
            (Frame::Base, _) | (_, Frame::Base) => Frame::Base,
            (Frame::At(a), Frame::At(b)) => Frame::At(a.min(b)),
        }
    }
}

#[derive(Debug, Clone)]
pub(super) enum Op {
    Number(f64),
    Bool(bool),
    /// An int or float param's value.
    Param(usize),
    Price(Price, Frame),
    Neg(Id),
    Not(Id),
    Binary(BinaryOp, Id, Id),
    Apply(Function, Vec<Id>),
    /// `x[n]`.
    Shift(Id, Arg),
    Indicator {
        callee: Callee,
        input: Option<Id>,
        args: Vec<Arg>,
        /// The candles an indicator without an input reads (`Any` for one with an input).
        candles: Frame,
    },
    /// One output of a multi-output indicator.
    Field(Id, usize),
    /// A series of a larger timeframe at each candle of a smaller one: its value as of the
    /// last candle of its own closed by then.
    Align(Id, Frame),
}

/// The ops whose values an op reads.
pub(super) fn children(op: &Op) -> Vec<Id> {
    match op {
        Op::Number(_) | Op::Bool(_) | Op::Param(_) | Op::Price(..) => vec![],
        Op::Neg(a) | Op::Not(a) | Op::Shift(a, _) | Op::Field(a, _) | Op::Align(a, _) => vec![*a],
        Op::Binary(_, a, b) => vec![*a, *b],
        Op::Apply(_, args) => args.clone(),
        Op::Indicator { input, .. } => input.iter().copied().collect(),
    }
}

fn children_mut(op: &mut Op) -> Vec<&mut Id> {
    match op {
        Op::Number(_) | Op::Bool(_) | Op::Param(_) | Op::Price(..) => vec![],
        Op::Neg(a) | Op::Not(a) | Op::Shift(a, _) | Op::Field(a, _) | Op::Align(a, _) => vec![a],
        Op::Binary(_, a, b) => vec![a, b],
        Op::Apply(_, args) => args.iter_mut().collect(),
        Op::Indicator { input, .. } => input.iter_mut().collect(),
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Ty {
    Number,
    Bool,
    /// A multi-output indicator, before `.field`.
    Fields(&'static str, &'static [&'static str]),
}

impl Ty {
    fn describe(self) -> String {
        match self {
            Ty::Number => "number".into(),
            Ty::Bool => "bool".into(),
            Ty::Fields(name, fields) => format!("the outputs of `{name}` (pick one: {})", dotted(fields)),
        }
    }
}

fn dotted(fields: &[&str]) -> String {
    fields.iter().map(|f| format!(".{f}")).collect::<Vec<_>>().join(", ")
}

/// A period or number argument checked when a config is validated (it names a param).
#[derive(Debug, Clone)]
pub(super) struct ParamBound {
    pub(super) param: usize,
    /// The function and argument, as a message names them: "`rsi` period".
    pub(super) function: String,
    /// The least and greatest values; `None` for a choice's average, whose bound is the
    /// chosen one's.
    pub(super) kind: ArgKind,
    /// For a called `choice` param: the param chosen, whose average decides the bound.
    pub(super) choice: Option<usize>,
}

/// An error at a byte offset of one expression's text.
#[derive(Debug, Clone, PartialEq)]
pub(super) struct Located {
    pub(super) offset: usize,
    pub(super) message: String,
}

fn at(span: Span, message: impl Into<String>) -> Located {
    Located {
        offset: span.start,
        message: message.into(),
    }
}

/// The program of one definition being built, expression by expression.
pub(super) struct Program {
    pub(super) ops: Vec<Op>,
    pub(super) types: Vec<Ty>,
    /// Whether an op's value depends on no candle (a literal, a param, arithmetic of them).
    pub(super) constant: Vec<bool>,
    pub(super) bounds: Vec<ParamBound>,
    pub(super) frames: Vec<Frame>,
    /// The larger timeframes the program reads, each once.
    pub(super) timeframes: Vec<Timeframe>,
    interned: HashMap<String, Id>,
    lets: Vec<(String, Id)>,
}

impl Program {
    pub(super) fn new() -> Self {
        Self {
            ops: Vec::new(),
            types: Vec::new(),
            constant: Vec::new(),
            bounds: Vec::new(),
            frames: Vec::new(),
            timeframes: Vec::new(),
            interned: HashMap::new(),
            lets: Vec::new(),
        }
    }

    pub(super) fn define_let(&mut self, name: &str, id: Id) {
        self.lets.push((name.to_owned(), id));
    }

    /// Adds an op (or finds the same one), its operands of other timeframes first brought
    /// to the one where they meet.
    fn push(&mut self, mut op: Op, ty: Ty, constant: bool) -> Id {
        let frame = match &op {
            Op::Price(_, frame) | Op::Align(_, frame) => *frame,
            Op::Indicator {
                input: None, candles, ..
            } => *candles,
            // `x[n]` of a constant has no value before candle n: a series of the candles.
            Op::Shift(a, _) => match self.frames[*a] {
                Frame::Any => Frame::Base,
                frame => frame,
            },
            op => children(op).iter().fold(Frame::Any, |f, &c| f.meet(self.frames[c])),
        };
        if !matches!(op, Op::Align(..)) {
            for child in children_mut(&mut op) {
                let from = self.frames[*child];
                if from != frame && from != Frame::Any {
                    let ty = self.types[*child];
                    *child = self.push(Op::Align(*child, frame), ty, false);
                }
            }
        }
        if let Frame::At(tf) = frame
            && !self.timeframes.contains(&tf)
        {
            self.timeframes.push(tf);
        }
        let key = format!("{op:?}");
        if let Some(&id) = self.interned.get(&key) {
            return id;
        }
        self.ops.push(op);
        self.types.push(ty);
        self.constant.push(constant);
        self.frames.push(frame);
        let id = self.ops.len() - 1;
        self.interned.insert(key, id);
        id
    }

    /// A rule's column at the market's own candles.
    pub(super) fn at_base(&mut self, id: Id) -> Id {
        match self.frames[id] {
            Frame::At(_) => {
                let (ty, constant) = (self.types[id], self.constant[id]);
                self.push(Op::Align(id, Frame::Base), ty, constant)
            }
            _ => id,
        }
    }
}

pub(super) struct Checker<'a> {
    pub(super) params: &'a [ParamDecl],
    /// Every `let` name, defined or not yet, to tell "used before its let" from "unknown".
    pub(super) all_lets: &'a [String],
    /// The `let` being checked, to name a cycle as one.
    pub(super) defining: std::cell::Cell<Option<usize>>,
    /// Each defined `let`'s expression, checked again inside an `@` (`trend@4h`).
    pub(super) let_nodes: &'a [&'a Node],
    /// The candles that names read here: the market's own, or those an enclosing `@` names.
    pub(super) frame: std::cell::Cell<Frame>,
}

impl Checker<'_> {
    pub(super) fn expression(&self, program: &mut Program, node: &Node) -> Result<Id, Located> {
        let id = match &node.expr {
            Expr::Number(n) => program.push(Op::Number(*n), Ty::Number, true),
            Expr::Bool(b) => program.push(Op::Bool(*b), Ty::Bool, true),
            Expr::Name(name) => self.name(program, name, node.span)?,
            Expr::Unary(op, operand) => {
                let a = self.expression(program, operand)?;
                let (want, make): (Ty, fn(Id) -> Op) = match op {
                    UnaryOp::Neg => (Ty::Number, Op::Neg),
                    UnaryOp::Not => (Ty::Bool, Op::Not),
                };
                let got = program.types[a];
                if got != want {
                    let symbol = if *op == UnaryOp::Neg { "-" } else { "not" };
                    return Err(at(
                        node.span,
                        format!("`{symbol}` needs a {}, got {}", want.describe(), got.describe()),
                    ));
                }
                let constant = program.constant[a];
                program.push(make(a), want, constant)
            }
            Expr::Binary(op, left, right) => {
                let (a, b) = (self.expression(program, left)?, self.expression(program, right)?);
                let (ta, tb) = (program.types[a], program.types[b]);
                let result = match op {
                    BinaryOp::And | BinaryOp::Or => (ta == Ty::Bool && tb == Ty::Bool).then_some(Ty::Bool),
                    BinaryOp::Eq | BinaryOp::Ne => {
                        (ta == tb && matches!(ta, Ty::Number | Ty::Bool)).then_some(Ty::Bool)
                    }
                    op if op.is_comparison() => (ta == Ty::Number && tb == Ty::Number).then_some(Ty::Bool),
                    _ => (ta == Ty::Number && tb == Ty::Number).then_some(Ty::Number),
                };
                let Some(ty) = result else {
                    let want = match op {
                        BinaryOp::And | BinaryOp::Or => "bools",
                        BinaryOp::Eq | BinaryOp::Ne => "two numbers or two bools",
                        _ => "numbers",
                    };
                    return Err(at(
                        node.span,
                        format!(
                            "`{}` needs {want} on both sides, got {} and {}",
                            op.symbol(),
                            ta.describe(),
                            tb.describe()
                        ),
                    ));
                };
                let constant = program.constant[a] && program.constant[b];
                program.push(Op::Binary(*op, a, b), ty, constant)
            }
            Expr::Call(name, name_span, args) => self.call(program, name, *name_span, args, node.span)?,
            Expr::Index(base, index) => {
                let x = self.expression(program, base)?;
                if let Ty::Fields(..) = program.types[x] {
                    return Err(at(
                        base.span,
                        format!("`[ ]` needs a series, got {}", program.types[x].describe()),
                    ));
                }
                let n = self.argument(
                    program,
                    index,
                    ArgKind::Period {
                        min: 0.0,
                        max: functions::MAX_PERIOD,
                    },
                    "`[ ]` offset",
                    None,
                )?;
                let (ty, constant) = (program.types[x], program.constant[x]);
                program.push(Op::Shift(x, n), ty, constant)
            }
            Expr::Field(base, field) => {
                let x = self.expression(program, base)?;
                let Ty::Fields(function, fields) = program.types[x] else {
                    return Err(at(
                        node.span,
                        format!(
                            "`.{field}` picks an output of an indicator with several; this is a {}",
                            program.types[x].describe()
                        ),
                    ));
                };
                let Some(k) = fields.iter().position(|f| f == field) else {
                    return Err(at(
                        node.span,
                        format!(
                            "`{function}` has no output `.{field}` (its outputs: {})",
                            dotted(fields)
                        ),
                    ));
                };
                program.push(Op::Field(x, k), Ty::Number, false)
            }
            // The innermost `@` decides: `(close@1d - close)@4h` reads 1d and 4h candles.
            Expr::At(inner, timeframe) => {
                let outer = self.frame.replace(Frame::At(*timeframe));
                let id = self.expression(program, inner);
                self.frame.set(outer);
                id?
            }
        };
        Ok(id)
    }

    fn name(&self, program: &mut Program, name: &str, span: Span) -> Result<Id, Located> {
        if let Some(index) = program.lets.iter().position(|(n, _)| n == name) {
            return match self.frame.get() {
                Frame::Base => Ok(program.lets[index].1),
                _ => self.expression(program, self.let_nodes[index]),
            };
        }
        if let Some(index) = self.params.iter().position(|p| p.name == name) {
            let param = &self.params[index];
            return match param.kind {
                ParamType::Choice => Err(at(
                    span,
                    format!("`{name}` is a choice of moving averages: call it, as in `{name}(close, 20)`"),
                )),
                _ => Ok(program.push(Op::Param(index), Ty::Number, true)),
            };
        }
        if let Some((_, price)) = PRICES.iter().find(|(n, _)| *n == name) {
            return Ok(program.push(Op::Price(*price, self.frame.get()), Ty::Number, false));
        }
        if self.defining.get().is_some_and(|i| self.all_lets[i] == name) {
            return Err(at(span, format!("`{name}` is defined in terms of itself (a cycle)")));
        }
        if self.all_lets.iter().any(|l| l == name) {
            return Err(at(
                span,
                format!("`{name}` is used before its `let` (a `let` may use only the ones above it)"),
            ));
        }
        if functions::indicator(name).is_some() || functions::function(name).is_some() {
            return Err(at(
                span,
                format!("`{name}` is a function: call it, as in `{name}(...)`"),
            ));
        }
        let known = program
            .lets
            .iter()
            .map(|(n, _)| n.as_str())
            .chain(self.params.iter().map(|p| p.name.as_str()))
            .chain(PRICES.iter().map(|(n, _)| *n));
        Err(at(span, format!("unknown name `{name}`{}", suggest(name, known))))
    }

    /// A period or number argument: a literal (checked now) or a param (checked per config).
    fn argument(
        &self,
        program: &Program,
        node: &Node,
        kind: ArgKind,
        what: &str,
        choice: Option<usize>,
    ) -> Result<Arg, Located> {
        let (min, max, integer) = match kind {
            ArgKind::Period { min, max } => (min, max, true),
            ArgKind::Number { min, max } => (min, max, false),
            ArgKind::Series => unreachable!("series arguments are expressions"),
        };
        let literal = match &node.expr {
            Expr::Number(n) => Some(*n),
            Expr::Unary(UnaryOp::Neg, inner) => match inner.expr {
                Expr::Number(n) => Some(-n),
                _ => None,
            },
            _ => None,
        };
        if let Some(n) = literal {
            if integer && n.fract() != 0.0 {
                return Err(at(node.span, format!("the {what} must be an integer, got {n}")));
            }
            if choice.is_none() && !(min..=max).contains(&n) {
                return Err(at(node.span, format!("the {what} must be in [{min}, {max}], got {n}")));
            }
            return Ok(Arg::Number(n));
        }
        if let Expr::Name(name) = &node.expr
            && let Some(index) = self.params.iter().position(|p| &p.name == name)
        {
            let param = &self.params[index];
            return match (param.kind, integer) {
                (ParamType::Choice, _) => Err(at(
                    node.span,
                    format!("the {what} must be a number, `{name}` is a choice"),
                )),
                (ParamType::Float, true) => Err(at(
                    node.span,
                    format!("the {what} must be an integer: `{name}` is a float param (make it `type: int`)"),
                )),
                _ => Ok(Arg::Param(index)),
            };
        }
        if let Expr::Name(name) = &node.expr
            && program.lets.iter().any(|(n, _)| n == name)
        {
            return Err(at(
                node.span,
                format!("the {what} must be a number or a param known before the run; `{name}` is a series"),
            ));
        }
        Err(at(
            node.span,
            format!("the {what} must be a number or a param known before the run"),
        ))
    }

    fn call(
        &self,
        program: &mut Program,
        name: &str,
        name_span: Span,
        args: &[Node],
        span: Span,
    ) -> Result<Id, Located> {
        let arity = |want: usize| {
            if args.len() == want {
                Ok(())
            } else {
                Err(at(
                    span,
                    format!(
                        "`{name}` takes {want} argument{}, got {}",
                        if want == 1 { "" } else { "s" },
                        args.len()
                    ),
                ))
            }
        };
        let series = |program: &mut Program, node: &Node, position: usize| -> Result<Id, Located> {
            let id = self.expression(program, node)?;
            if program.types[id] != Ty::Number {
                return Err(at(
                    node.span,
                    format!(
                        "argument {position} of `{name}` must be a number, got {}",
                        program.types[id].describe()
                    ),
                ));
            }
            Ok(id)
        };
        if let Some(function) = functions::function(name) {
            use Function::*;
            let (op, ty) = match function {
                Abs | Sign | Sqrt | Log | Exp | Round | Floor | Ceil => {
                    arity(1)?;
                    (Op::Apply(function, vec![series(program, &args[0], 1)?]), Ty::Number)
                }
                Min | Max | Pow => {
                    arity(2)?;
                    let a = series(program, &args[0], 1)?;
                    (Op::Apply(function, vec![a, series(program, &args[1], 2)?]), Ty::Number)
                }
                Crossover | Crossunder => {
                    arity(2)?;
                    let a = series(program, &args[0], 1)?;
                    (Op::Apply(function, vec![a, series(program, &args[1], 2)?]), Ty::Bool)
                }
                If => {
                    arity(3)?;
                    let c = self.expression(program, &args[0])?;
                    if program.types[c] != Ty::Bool {
                        return Err(at(
                            args[0].span,
                            format!(
                                "the condition of `if` must be a bool, got {}",
                                program.types[c].describe()
                            ),
                        ));
                    }
                    let (a, b) = (self.expression(program, &args[1])?, self.expression(program, &args[2])?);
                    let (ta, tb) = (program.types[a], program.types[b]);
                    if ta != tb || !matches!(ta, Ty::Number | Ty::Bool) {
                        return Err(at(
                            span,
                            format!(
                                "both branches of `if` must be numbers or both bools, got {} and {}",
                                ta.describe(),
                                tb.describe()
                            ),
                        ));
                    }
                    (Op::Apply(If, vec![c, a, b]), ta)
                }
                Change => {
                    arity(2)?;
                    let x = series(program, &args[0], 1)?;
                    let n = self.argument(
                        program,
                        &args[1],
                        ArgKind::Period {
                            min: 1.0,
                            max: functions::MAX_PERIOD,
                        },
                        "`change` period",
                        None,
                    )?;
                    self.bound(
                        program,
                        n,
                        "`change` period",
                        ArgKind::Period {
                            min: 1.0,
                            max: functions::MAX_PERIOD,
                        },
                        None,
                    );
                    let constant = program.constant[x];
                    let shifted = program.push(Op::Shift(x, n), Ty::Number, constant);
                    (Op::Binary(BinaryOp::Sub, x, shifted), Ty::Number)
                }
            };
            let constant = match &op {
                Op::Apply(_, ids) => ids.iter().all(|&i| program.constant[i]),
                Op::Binary(_, a, b) => program.constant[*a] && program.constant[*b],
                _ => false,
            };
            return Ok(program.push(op, ty, constant));
        }
        let (callee, indicator, choice) = if let Some(indicator) = functions::indicator(name) {
            (Callee::Indicator(indicator), indicator, None)
        } else if let Some(index) = self
            .params
            .iter()
            .position(|p| p.name == name && p.kind == ParamType::Choice)
        {
            let ema = functions::indicator("ema").expect("ema is an indicator");
            (Callee::Choice(index), ema, Some(index))
        } else {
            let choices = self.params.iter().filter(|p| p.kind == ParamType::Choice);
            let mut known: Vec<&str> = choices.map(|p| p.name.as_str()).collect();
            for function in functions::all_names() {
                known.push(function);
            }
            return Err(at(
                name_span,
                format!("unknown function `{name}`{}", suggest(name, known.into_iter())),
            ));
        };
        let expected = usize::from(indicator.takes_series) + indicator.args.len();
        arity(expected)?;
        let input = match indicator.takes_series {
            true => Some(series(program, &args[0], 1)?),
            false => None,
        };
        let mut values = Vec::with_capacity(indicator.args.len());
        for (k, (arg_name, kind)) in indicator.args.iter().enumerate() {
            let node = &args[usize::from(indicator.takes_series) + k];
            let what = format!("`{name}` {arg_name}");
            let arg = self.argument(program, node, *kind, &what, choice)?;
            self.bound(program, arg, &what, *kind, choice);
            values.push(arg);
        }
        let ty = match indicator.fields {
            [] => Ty::Number,
            fields => Ty::Fields(indicator.name, fields),
        };
        Ok(program.push(
            Op::Indicator {
                callee,
                input,
                args: values,
                candles: if input.is_some() { Frame::Any } else { self.frame.get() },
            },
            ty,
            false,
        ))
    }

    /// Records a param argument's bound, checked when a config is validated.
    fn bound(&self, program: &mut Program, arg: Arg, what: &str, kind: ArgKind, choice: Option<usize>) {
        if let Arg::Param(param) = arg {
            program.bounds.push(ParamBound {
                param,
                function: what.to_owned(),
                kind,
                choice,
            });
        }
    }
}

/// " (did you mean `x`?)" for the nearest known name, when one is near.
pub(super) fn suggest<'a>(name: &str, known: impl Iterator<Item = &'a str>) -> String {
    known
        .map(|k| (strsim::damerau_levenshtein(name, k), k))
        .filter(|(distance, k)| *distance <= 2.max(k.len() / 3) && *distance < k.len().max(name.len()))
        .min_by_key(|(distance, _)| *distance)
        .map_or_else(String::new, |(_, k)| format!(" (did you mean `{k}`?)"))
}
