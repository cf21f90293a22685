//! The expression grammar (spec: "Expressions"), parsed with winnow into a tree whose every
//! node keeps its byte span in the expression's text, for messages at a line and column.

use std::cell::{Cell, RefCell};

use crate::strategy::Comparison;
use crate::timeframe::Timeframe;
use winnow::ascii::{digit0, digit1, multispace0};
use winnow::combinator::{alt, cut_err, delimited, opt, preceded, separated};
use winnow::error::{ContextError, ErrMode, ModalResult, StrContext, StrContextValue};
use winnow::prelude::*;
use winnow::stream::{LocatingSlice, Location};
use winnow::token::{literal, one_of, take_while};

/// Nesting deeper than this is refused (spec: "Identity and limits"), which also bounds the
/// parser's own recursion: a file of 64 KiB of parentheses cannot overflow a stack.
pub const MAX_DEPTH: usize = 64;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) struct Span {
    pub(super) start: usize,
    pub(super) end: usize,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum UnaryOp {
    Neg,
    Not,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum BinaryOp {
    Or,
    And,
    Lt,
    Le,
    Gt,
    Ge,
    Eq,
    Ne,
    Add,
    Sub,
    Mul,
    Div,
    Rem,
}

impl BinaryOp {
    pub(super) fn symbol(self) -> &'static str {
        match self {
            BinaryOp::Or => "or",
            BinaryOp::And => "and",
            BinaryOp::Lt => "<",
            BinaryOp::Le => "<=",
            BinaryOp::Gt => ">",
            BinaryOp::Ge => ">=",
            BinaryOp::Eq => "==",
            BinaryOp::Ne => "!=",
            BinaryOp::Add => "+",
            BinaryOp::Sub => "-",
            BinaryOp::Mul => "*",
            BinaryOp::Div => "/",
            BinaryOp::Rem => "%",
        }
    }

    /// The comparison this operator is, if it is one.
    pub(super) fn comparison(self) -> Option<Comparison> {
        Some(match self {
            BinaryOp::Lt => Comparison::Lt,
            BinaryOp::Le => Comparison::Le,
            BinaryOp::Gt => Comparison::Gt,
            BinaryOp::Ge => Comparison::Ge,
            BinaryOp::Eq => Comparison::Eq,
            BinaryOp::Ne => Comparison::Ne,
            _ => return None,
        })
    }

    pub(super) fn is_comparison(self) -> bool {
        self.comparison().is_some()
    }
}

#[derive(Debug, Clone, PartialEq)]
pub(super) enum Expr {
    Number(f64),
    Bool(bool),
    Name(String),
    Unary(UnaryOp, Box<Node>),
    Binary(BinaryOp, Box<Node>, Box<Node>),
    Call(String, Span, Vec<Node>),
    /// `x[n]`: `x`'s value `n` candles back.
    Index(Box<Node>, Box<Node>),
    /// `x.field` of a multi-output indicator.
    Field(Box<Node>, String),
    /// `x@4h`: `x` over the candles of a larger timeframe, as of the last one closed.
    At(Box<Node>, Timeframe),
}

#[derive(Debug, Clone, PartialEq)]
pub(super) struct Node {
    pub(super) expr: Expr,
    pub(super) span: Span,
}

impl Node {
    /// Nodes in this tree, itself included.
    pub(super) fn size(&self) -> usize {
        1 + match &self.expr {
            Expr::Number(_) | Expr::Bool(_) | Expr::Name(_) => 0,
            Expr::Unary(_, a) | Expr::Field(a, _) | Expr::At(a, _) => a.size(),
            Expr::Binary(_, a, b) | Expr::Index(a, b) => a.size() + b.size(),
            Expr::Call(_, _, args) => args.iter().map(Node::size).sum(),
        }
    }
}

/// A syntax error at a byte offset of the expression.
#[derive(Debug, Clone, PartialEq)]
pub(super) struct SyntaxError {
    pub(super) offset: usize,
    pub(super) message: String,
}

type Input<'a> = LocatingSlice<&'a str>;

/// Parses one expression (the whole text).
pub(super) fn parse_expression(text: &str) -> Result<Node, SyntaxError> {
    let parser = Grammar {
        depth: Cell::new(0),
        fatal: RefCell::new(None),
    };
    let mut input = LocatingSlice::new(text);
    let result = delimited(multispace0, |i: &mut Input<'_>| parser.or(i), multispace0).parse_next(&mut input);
    if let Some(fatal) = parser.fatal.into_inner() {
        return Err(fatal);
    }
    let offset = input.current_token_start();
    match result {
        Ok(node) if offset == text.len() => Ok(node),
        Ok(_) => Err(SyntaxError {
            offset,
            message: unexpected(&text[offset..], "an operator or the end of the expression"),
        }),
        Err(error) => {
            let expected = match error {
                ErrMode::Backtrack(e) | ErrMode::Cut(e) => expected_of(&e),
                ErrMode::Incomplete(_) => None,
            };
            Err(SyntaxError {
                offset,
                message: unexpected(&text[offset..], expected.unwrap_or("an expression")),
            })
        }
    }
}

fn expected_of(error: &ContextError) -> Option<&'static str> {
    error.context().find_map(|c| match c {
        StrContext::Expected(StrContextValue::Description(d)) => Some(*d),
        _ => None,
    })
}

fn unexpected(rest: &str, expected: &str) -> String {
    match rest.chars().next() {
        None => format!("unexpected end of the expression, expected {expected}"),
        Some(c) => {
            let token: String = if c.is_alphanumeric() || c == '_' {
                rest.chars().take_while(|c| c.is_alphanumeric() || *c == '_').collect()
            } else {
                c.to_string()
            };
            format!("unexpected `{token}`, expected {expected}")
        }
    }
}

const KEYWORDS: [&str; 5] = ["and", "or", "not", "true", "false"];

struct Grammar {
    depth: Cell<usize>,
    fatal: RefCell<Option<SyntaxError>>,
}

fn expected(what: &'static str) -> StrContext {
    StrContext::Expected(StrContextValue::Description(what))
}

fn identifier<'a>(input: &mut Input<'a>) -> ModalResult<&'a str> {
    (
        one_of(|c: char| c.is_ascii_alphabetic() || c == '_'),
        take_while(0.., |c: char| c.is_ascii_alphanumeric() || c == '_'),
    )
        .take()
        .parse_next(input)
}

/// A keyword, not the start of a longer name (`order` is a name, not `or` + `der`).
fn keyword<'a>(word: &'static str) -> impl FnMut(&mut Input<'a>) -> ModalResult<&'a str> {
    move |input: &mut Input<'a>| identifier.verify(|w: &str| w == word).parse_next(input)
}

fn number(input: &mut Input<'_>) -> ModalResult<f64> {
    (
        digit1,
        opt(('.', digit0)),
        opt((one_of(['e', 'E']), opt(one_of(['+', '-'])), cut_err(digit1))),
    )
        .take()
        .try_map(str::parse::<f64>)
        .parse_next(input)
}

fn spaced<'a, O>(
    inner: impl Parser<Input<'a>, O, ErrMode<ContextError>>,
) -> impl Parser<Input<'a>, O, ErrMode<ContextError>> {
    delimited(multispace0, inner, multispace0)
}

impl Grammar {
    /// Enters one nesting level; past [`MAX_DEPTH`] the parse stops with that message.
    fn nest<'a, T>(
        &self,
        input: &mut Input<'a>,
        inner: impl FnOnce(&mut Input<'a>) -> ModalResult<T>,
    ) -> ModalResult<T> {
        let depth = self.depth.get() + 1;
        if depth > MAX_DEPTH {
            self.fatal.borrow_mut().get_or_insert(SyntaxError {
                offset: input.current_token_start(),
                message: format!("the expression nests deeper than {MAX_DEPTH} levels"),
            });
            return Err(ErrMode::Cut(ContextError::new()));
        }
        self.depth.set(depth);
        let result = inner(input);
        self.depth.set(depth - 1);
        result
    }

    fn binary_level<'a>(
        &self,
        input: &mut Input<'a>,
        operators: &[(&'static str, BinaryOp)],
        next: impl Fn(&Self, &mut Input<'a>) -> ModalResult<Node>,
    ) -> ModalResult<Node> {
        let mut left = next(self, input)?;
        let mut compared = false;
        loop {
            let checkpoint = input.checkpoint();
            multispace0.parse_next(input)?;
            let op = operators.iter().find_map(|&(symbol, op)| {
                let matched = if symbol.chars().all(|c| c.is_ascii_alphabetic()) {
                    keyword(symbol).parse_next(input).is_ok()
                } else {
                    // `<` must not take the first half of `<=`.
                    let matched: ModalResult<&str> = literal(symbol).parse_next(input);
                    matched.is_ok() && !input.starts_with('=')
                };
                if !matched {
                    input.reset(&checkpoint);
                    multispace0::<_, ErrMode<ContextError>>.parse_next(input).ok();
                }
                matched.then_some(op)
            });
            let Some(op) = op else {
                input.reset(&checkpoint);
                return Ok(left);
            };
            multispace0.parse_next(input)?;
            let right = cut_err(|i: &mut Input<'a>| next(self, i))
                .context(expected("an operand"))
                .parse_next(input)?;
            // Only the comparison level has comparison operators: a second one in the same
            // loop is a chain (a parenthesized comparison is an operand, parsed below).
            if op.is_comparison() && compared {
                self.fatal.borrow_mut().get_or_insert(SyntaxError {
                    offset: right.span.start,
                    message: "comparisons do not chain: write `a < b and b < c`".into(),
                });
                return Err(ErrMode::Cut(ContextError::new()));
            }
            compared |= op.is_comparison();
            let span = Span {
                start: left.span.start,
                end: right.span.end,
            };
            left = Node {
                expr: Expr::Binary(op, Box::new(left), Box::new(right)),
                span,
            };
        }
    }

    fn or(&self, input: &mut Input<'_>) -> ModalResult<Node> {
        self.binary_level(input, &[("or", BinaryOp::Or)], Self::and)
    }

    fn and(&self, input: &mut Input<'_>) -> ModalResult<Node> {
        self.binary_level(input, &[("and", BinaryOp::And)], Self::not)
    }

    fn not(&self, input: &mut Input<'_>) -> ModalResult<Node> {
        let start = input.current_token_start();
        if opt(keyword("not")).parse_next(input)?.is_some() {
            return self.prefixed(input, start, UnaryOp::Not, Self::not);
        }
        self.comparison(input)
    }

    /// The operand of a prefix operator (parsed by `operand`, one level deeper) and the node.
    fn prefixed<'a>(
        &self,
        input: &mut Input<'a>,
        start: usize,
        op: UnaryOp,
        operand: impl Fn(&Self, &mut Input<'a>) -> ModalResult<Node>,
    ) -> ModalResult<Node> {
        multispace0.parse_next(input)?;
        let operand = self.nest(input, |i| {
            cut_err(|i: &mut Input<'a>| operand(self, i))
                .context(expected("an operand"))
                .parse_next(i)
        })?;
        let span = Span {
            start,
            end: operand.span.end,
        };
        Ok(Node {
            expr: Expr::Unary(op, Box::new(operand)),
            span,
        })
    }

    fn comparison(&self, input: &mut Input<'_>) -> ModalResult<Node> {
        const OPS: [(&str, BinaryOp); 6] = [
            ("<=", BinaryOp::Le),
            (">=", BinaryOp::Ge),
            ("==", BinaryOp::Eq),
            ("!=", BinaryOp::Ne),
            ("<", BinaryOp::Lt),
            (">", BinaryOp::Gt),
        ];
        self.binary_level(input, &OPS, Self::sum)
    }

    fn sum(&self, input: &mut Input<'_>) -> ModalResult<Node> {
        self.binary_level(input, &[("+", BinaryOp::Add), ("-", BinaryOp::Sub)], Self::product)
    }

    fn product(&self, input: &mut Input<'_>) -> ModalResult<Node> {
        self.binary_level(
            input,
            &[("*", BinaryOp::Mul), ("/", BinaryOp::Div), ("%", BinaryOp::Rem)],
            Self::negation,
        )
    }

    fn negation(&self, input: &mut Input<'_>) -> ModalResult<Node> {
        let start = input.current_token_start();
        if opt('-').parse_next(input)?.is_some() {
            return self.prefixed(input, start, UnaryOp::Neg, Self::negation);
        }
        self.postfix(input)
    }

    fn postfix(&self, input: &mut Input<'_>) -> ModalResult<Node> {
        let mut node = self.primary(input)?;
        loop {
            let checkpoint = input.checkpoint();
            multispace0.parse_next(input)?;
            if opt('[').parse_next(input)?.is_some() {
                let index = cut_err(spaced(|i: &mut Input<'_>| self.nest(i, |i| self.or(i))))
                    .context(expected("an index"))
                    .parse_next(input)?;
                cut_err(']').context(expected("`]`")).parse_next(input)?;
                let span = Span {
                    start: node.span.start,
                    end: input.current_token_start(),
                };
                node = Node {
                    expr: Expr::Index(Box::new(node), Box::new(index)),
                    span,
                };
            } else if opt('.').parse_next(input)?.is_some() {
                let field = cut_err(identifier)
                    .context(expected("a field name"))
                    .parse_next(input)?;
                let span = Span {
                    start: node.span.start,
                    end: input.current_token_start(),
                };
                node = Node {
                    expr: Expr::Field(Box::new(node), field.to_owned()),
                    span,
                };
            } else if opt('@').parse_next(input)?.is_some() {
                let at = input.current_token_start();
                let name = cut_err(take_while(1.., |c: char| c.is_ascii_alphanumeric()))
                    .context(expected("a timeframe (`4h`, `1d`, ...)"))
                    .parse_next(input)?;
                let Ok(timeframe) = name.parse::<Timeframe>() else {
                    let known: Vec<&str> = Timeframe::ALL.iter().map(|tf| tf.as_str()).collect();
                    self.fatal.borrow_mut().get_or_insert(SyntaxError {
                        offset: at,
                        message: format!("unknown timeframe `{name}` (one of {})", known.join(", ")),
                    });
                    return Err(ErrMode::Cut(ContextError::new()));
                };
                let span = Span {
                    start: node.span.start,
                    end: input.current_token_start(),
                };
                node = Node {
                    expr: Expr::At(Box::new(node), timeframe),
                    span,
                };
            } else {
                input.reset(&checkpoint);
                return Ok(node);
            }
        }
    }

    fn primary(&self, input: &mut Input<'_>) -> ModalResult<Node> {
        let start = input.current_token_start();
        let leaf = |expr: Expr, input: &Input<'_>| Node {
            expr,
            span: Span {
                start,
                end: input.current_token_start(),
            },
        };
        alt((
            |i: &mut Input<'_>| number.parse_next(i).map(|n| leaf(Expr::Number(n), i)),
            |i: &mut Input<'_>| self.name_or_call(i).map(|e| leaf(e, i)),
            // Parentheses leave no node of their own; the inner node keeps its span.
            |i: &mut Input<'_>| {
                preceded('(', |i: &mut Input<'_>| {
                    let inner = cut_err(spaced(|i: &mut Input<'_>| self.nest(i, |i| self.or(i))))
                        .context(expected("an expression"))
                        .parse_next(i)?;
                    cut_err(')').context(expected("`)`")).parse_next(i)?;
                    Ok(inner)
                })
                .parse_next(i)
            },
        ))
        .context(expected("an expression"))
        .parse_next(input)
    }

    fn name_or_call(&self, input: &mut Input<'_>) -> ModalResult<Expr> {
        let start = input.current_token_start();
        let name = identifier
            .verify(|w: &str| !["and", "or", "not"].contains(&w))
            .parse_next(input)?;
        let name_span = Span {
            start,
            end: input.current_token_start(),
        };
        match name {
            "true" => return Ok(Expr::Bool(true)),
            "false" => return Ok(Expr::Bool(false)),
            _ => {}
        }
        let checkpoint = input.checkpoint();
        multispace0.parse_next(input)?;
        if opt('(').parse_next(input)?.is_none() {
            input.reset(&checkpoint);
            return Ok(Expr::Name(name.to_owned()));
        }
        let args = self.nest(input, |i| {
            let args: Vec<Node> = spaced(separated(0.., spaced(|i: &mut Input<'_>| self.or(i)), ',')).parse_next(i)?;
            cut_err(')').context(expected("`,` or `)`")).parse_next(i)?;
            Ok(args)
        })?;
        Ok(Expr::Call(name.to_owned(), name_span, args))
    }
}

/// Whether `word` is reserved (not usable as a param or `let` name).
pub(super) fn is_keyword(word: &str) -> bool {
    KEYWORDS.contains(&word)
}
