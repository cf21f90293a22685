//! The strategy language (spec: `STRATEGY.md`): a definition file is read, its expressions
//! parsed and type-checked into one program of column operations, and run over the
//! market's shared indicator cache. A defined strategy is a [`Strategy`] like a built-in,
//! so every face runs it the same way.
//!
//! Definitions are content-addressed: [`define`] keeps each distinct definition once, for
//! the life of the process, under the SHA-256 of its canonical form, and a config names the
//! definition it runs by that hash. The core reads no file: each face hands the text over.

mod check;
mod eval;
mod file;
pub mod functions;
mod print;
mod syntax;

use std::collections::HashMap;
use std::sync::{Mutex, PoisonError};

use serde::Serialize;
use serde_json::{Map, Value, json};
use sha2::{Digest, Sha256};

use crate::candles::hex;
use crate::error::{Error, Result};
use crate::indicators::Indicators;
use crate::strategy::{self, Comparison, Constraint, ParamKind, ParamSpec, ParamValues, Strategy, Term};
use crate::timeframe::Timeframe;
use check::{Checker, Id, Op, Program, Ty};
use file::{RawDefinition, RawParam, Source, expression_text};
use syntax::{Expr, Node, UnaryOp, parse_expression};

pub use functions::MAX_PERIOD;
pub use syntax::MAX_DEPTH;

/// The definitions shipped in `strategies/`, embedded so every face offers them: the
/// examples, then the built-ins written as definitions.
pub const EXAMPLES: &[(&str, &str)] = &[
    ("ema_rsi.yaml", include_str!("../../strategies/ema_rsi.yaml")),
    (
        "bollinger_reversion.yaml",
        include_str!("../../strategies/bollinger_reversion.yaml"),
    ),
    (
        "donchian_breakout.yaml",
        include_str!("../../strategies/donchian_breakout.yaml"),
    ),
    ("stoch_adx.yaml", include_str!("../../strategies/stoch_adx.yaml")),
    (
        "keltner_breakout.yaml",
        include_str!("../../strategies/keltner_breakout.yaml"),
    ),
    ("sar_trend.yaml", include_str!("../../strategies/sar_trend.yaml")),
    ("vwap_session.yaml", include_str!("../../strategies/vwap_session.yaml")),
    ("htf_trend.yaml", include_str!("../../strategies/htf_trend.yaml")),
    (
        "builtins/sma_cross.yaml",
        include_str!("../../strategies/builtins/sma_cross.yaml"),
    ),
    (
        "builtins/rsi_reversion.yaml",
        include_str!("../../strategies/builtins/rsi_reversion.yaml"),
    ),
    (
        "builtins/macd_cross.yaml",
        include_str!("../../strategies/builtins/macd_cross.yaml"),
    ),
    (
        "builtins/convergence_votes.yaml",
        include_str!("../../strategies/builtins/convergence_votes.yaml"),
    ),
];

/// The largest definition file.
pub const MAX_FILE_BYTES: usize = 64 * 1024;
/// The most expression nodes in one definition.
pub const MAX_NODES: usize = 10_000;

/// An error at a line and column of the definition file (both 1-based).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Diagnostic {
    pub line: usize,
    pub column: usize,
    pub message: String,
}

impl std::fmt::Display for Diagnostic {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "line {}, column {}: {}", self.line, self.column, self.message)
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ParamType {
    Int,
    Float,
    Choice,
}

/// A param as the file declares it.
#[derive(Debug, Clone)]
pub struct ParamDecl {
    pub name: String,
    pub kind: ParamType,
    /// The default (a choice's: its index).
    pub default: f64,
    pub min: f64,
    pub max: f64,
    pub choices: Vec<String>,
    pub description: String,
}

#[derive(Debug, Clone)]
enum Side {
    Param(String),
    Number(f64),
}

/// The four position rules (spec: "Positions"); a missing one is never true.
#[derive(Debug, Clone, Copy)]
struct Rules {
    long_entry: Id,
    long_exit: Option<Id>,
    short_entry: Option<Id>,
    short_exit: Option<Id>,
}

/// A checked definition, ready to run.
pub struct Definition {
    pub name: String,
    pub description: String,
    pub params: Vec<ParamDecl>,
    constraints: Vec<(Side, Comparison, Side)>,
    program: Program,
    rules: Rules,
    /// The ops a run computes: those the rules reach.
    needed: Vec<bool>,
    /// The ops whose canonical text a run needs (indicators and their inputs: the cache keys).
    keyed: Vec<bool>,
    /// The canonical form (spec: "Identity") and its SHA-256 in hex.
    pub canonical: String,
    pub hash: String,
    /// The file as written, comments and all: what the store keeps and `show` prints.
    pub source: String,
}

impl std::fmt::Debug for Definition {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Definition")
            .field("name", &self.name)
            .field("hash", &self.hash)
            .finish()
    }
}

impl Definition {
    /// Whether every `@` timeframe it reads is a multiple of `timeframe` (resampled from
    /// the market's own candles, it can be no smaller than them).
    pub fn check_timeframe(&self, timeframe: Timeframe) -> Result<(), String> {
        match self
            .program
            .timeframes
            .iter()
            .find(|tf| tf.millis() < timeframe.millis() || tf.millis() % timeframe.millis() != 0)
        {
            Some(tf) => Err(format!(
                "`{}` reads `@{tf}`, which cannot be made from {timeframe} candles (run it on candles whose timeframe divides {tf})",
                self.name
            )),
            None => Ok(()),
        }
    }

    /// What `btlab strategies --json` shows of it (the shape of
    /// [`strategy::StrategyInfo`]), without keeping the definition.
    pub fn catalog_entry(&self) -> Value {
        let params: Vec<Value> = self
            .params
            .iter()
            .map(|p| {
                let kind = match p.kind {
                    ParamType::Int => "int",
                    ParamType::Float => "float",
                    ParamType::Choice => "choice",
                };
                let default = match p.kind {
                    ParamType::Int => json!(p.default as i64),
                    ParamType::Float => json!(p.default),
                    ParamType::Choice => json!(p.choices[p.default as usize]),
                };
                let mut spec = json!({"name": p.name, "type": kind, "default": default, "min": p.min, "max": p.max,
                    "exclusive": false, "description": p.description});
                if p.kind == ParamType::Choice {
                    spec["choices"] = json!(p.choices);
                }
                spec
            })
            .collect();
        let side = |s: &Side| match s {
            Side::Param(p) => p.clone(),
            Side::Number(n) => crate::error::readable(*n),
        };
        let constraints: Vec<String> = self
            .constraints
            .iter()
            .map(|(a, op, b)| format!("{} {} {}", side(a), op.symbol(), side(b)))
            .collect();
        json!({"name": self.name, "description": self.description, "params": params, "constraints": constraints,
            "definition": self.hash})
    }
}

/// Reads and checks a definition; every error with its line and column.
pub fn compile(source: &str) -> Result<Definition, Vec<Diagnostic>> {
    let text = Source { text: source };
    if source.len() > MAX_FILE_BYTES {
        return Err(vec![text.diagnostic(
            0,
            format!(
                "the file is {} bytes; a definition may have at most {MAX_FILE_BYTES}",
                source.len()
            ),
        )]);
    }
    let raw: RawDefinition = serde_yaml_ng::from_str(source).map_err(|e| {
        let (line, column) = e.location().map_or((1, 1), |l| (l.line(), l.column()));
        vec![Diagnostic {
            line,
            column,
            message: e.to_string().split(" at line ").next().unwrap_or_default().to_owned(),
        }]
    })?;
    Compiler { text, raw: &raw }.compile()
}

struct Compiler<'a> {
    text: Source<'a>,
    raw: &'a RawDefinition,
}

/// One expression of the file: where it is, its text and its tree.
struct Written {
    from: usize,
    text: String,
    node: Node,
}

impl Compiler<'_> {
    fn fail(&self, at: usize, message: impl Into<String>) -> Vec<Diagnostic> {
        vec![self.text.diagnostic(at, message)]
    }

    fn compile(&self) -> Result<Definition, Vec<Diagnostic>> {
        let raw = self.raw;
        let name_at = self.text.key(None, "name");
        if !valid_strategy_name(&raw.name) {
            return Err(self.fail(
                name_at,
                format!(
                    "the name `{}` must be a lower-case letter then up to 39 of a-z, 0-9, _",
                    raw.name
                ),
            ));
        }
        if strategy::REGISTRY.iter().any(|s| s.name() == raw.name) {
            return Err(self.fail(
                name_at,
                format!(
                    "`{}` is a built-in strategy; give the definition another name",
                    raw.name
                ),
            ));
        }
        let params = self.params()?;
        let let_names: Vec<String> = raw.lets.keys().map(yaml_key).collect();
        for (i, name) in let_names.iter().enumerate() {
            let at = self.text.key(Some("let"), name);
            self.check_new_name(name, "let", at)?;
            if params.iter().any(|p| &p.name == name) {
                return Err(self.fail(at, format!("`let {name}` has the name of a param")));
            }
            if let_names[..i].contains(name) {
                return Err(self.fail(at, format!("`{name}` is defined twice")));
            }
        }
        // Parse everything first: a syntax error anywhere is reported with the others.
        let mut diagnostics = Vec::new();
        let mut nodes = 0;
        let mut parse = |from: usize, value: &serde_yaml_ng::Value, what: &str| -> Option<Written> {
            let Some(text) = expression_text(value) else {
                diagnostics.push(
                    self.text
                        .diagnostic(from, format!("{what} must be an expression, as text")),
                );
                return None;
            };
            match parse_expression(&text) {
                Ok(node) => {
                    nodes += node.size();
                    Some(Written { from, text, node })
                }
                Err(e) => {
                    diagnostics.push(self.text.diagnostic(self.text.locate(from, &text, e.offset), e.message));
                    None
                }
            }
        };
        let mut constraint_from = self.text.key(None, "constraints");
        let mut constraints = Vec::new();
        for value in &raw.constraints {
            let written = parse(constraint_from, value, "a constraint");
            if let Some(w) = &written {
                constraint_from = self.text.locate(constraint_from, &w.text, w.text.len());
            }
            constraints.push(written);
        }
        let lets: Vec<_> = raw
            .lets
            .iter()
            .zip(&let_names)
            .map(|((_, v), name)| parse(self.text.key(Some("let"), name), v, &format!("`let {name}`")))
            .collect();
        let rule = |key: &str,
                    value: Option<&serde_yaml_ng::Value>,
                    parse: &mut dyn FnMut(usize, &serde_yaml_ng::Value, &str) -> Option<Written>| {
            value.map(|v| parse(self.text.key(None, key), v, &format!("`{key}`")))
        };
        let rules = [
            rule("long_entry", Some(&raw.long_entry), &mut parse),
            rule("long_exit", raw.long_exit.as_ref(), &mut parse),
            rule("short_entry", raw.short_entry.as_ref(), &mut parse),
            rule("short_exit", raw.short_exit.as_ref(), &mut parse),
        ];
        if !diagnostics.is_empty() {
            return Err(diagnostics);
        }
        if nodes > MAX_NODES {
            return Err(self.fail(
                0,
                format!("the definition has {nodes} expression nodes; at most {MAX_NODES} are allowed"),
            ));
        }
        let unwrap = |w: Option<Written>| w.expect("parse errors returned above");
        let constraints: Vec<Written> = constraints.into_iter().map(unwrap).collect();
        let lets: Vec<Written> = lets.into_iter().map(unwrap).collect();
        let [long_entry, long_exit, short_entry, short_exit] = rules.map(|r| r.map(unwrap));
        let long_entry = long_entry.expect("long_entry is required by the file's schema");

        let let_nodes: Vec<&Node> = lets.iter().map(|w| &w.node).collect();
        let checker = Checker {
            params: &params,
            all_lets: &let_names,
            defining: std::cell::Cell::new(None),
            let_nodes: &let_nodes,
            frame: std::cell::Cell::new(check::Frame::Base),
        };
        let mut program = Program::new();
        let locate = |w: &Written, e: check::Located| self.fail(self.text.locate(w.from, &w.text, e.offset), e.message);
        for (index, (name, written)) in let_names.iter().zip(&lets).enumerate() {
            checker.defining.set(Some(index));
            let id = checker
                .expression(&mut program, &written.node)
                .map_err(|e| locate(written, e))?;
            program.define_let(name, id);
        }
        checker.defining.set(None);
        let mut rule_id = |key: &str, written: &Written| -> Result<Id, Vec<Diagnostic>> {
            let id = checker
                .expression(&mut program, &written.node)
                .map_err(|e| locate(written, e))?;
            match program.types[id] {
                Ty::Bool => Ok(program.at_base(id)),
                other => Err(self.fail(
                    self.text.locate(written.from, &written.text, 0),
                    format!("`{key}` must be a bool (a condition), got {}", describe(other)),
                )),
            }
        };
        let rules = Rules {
            long_entry: rule_id("long_entry", &long_entry)?,
            long_exit: long_exit.as_ref().map(|w| rule_id("long_exit", w)).transpose()?,
            short_entry: short_entry.as_ref().map(|w| rule_id("short_entry", w)).transpose()?,
            short_exit: short_exit.as_ref().map(|w| rule_id("short_exit", w)).transpose()?,
        };
        let constraints = constraints
            .iter()
            .map(|w| self.constraint(w, &params))
            .collect::<Result<Vec<_>, _>>()?;

        let canonical = to_canonical(
            raw,
            &params,
            &constraints,
            &let_names,
            &lets,
            [
                ("long_entry", Some(&long_entry)),
                ("long_exit", long_exit.as_ref()),
                ("short_entry", short_entry.as_ref()),
                ("short_exit", short_exit.as_ref()),
            ],
        );
        let hash = hex(&Sha256::digest(canonical.as_bytes()));
        let (needed, keyed) = eval::reach(
            &program,
            [
                Some(rules.long_entry),
                rules.long_exit,
                rules.short_entry,
                rules.short_exit,
            ],
        );
        Ok(Definition {
            name: raw.name.clone(),
            description: raw.description.clone(),
            params,
            constraints,
            program,
            rules,
            needed,
            keyed,
            canonical,
            hash,
            source: self.text.text.to_owned(),
        })
    }

    fn check_new_name(&self, name: &str, what: &str, at: usize) -> Result<(), Vec<Diagnostic>> {
        let valid = name.chars().next().is_some_and(|c| c.is_ascii_alphabetic() || c == '_')
            && name.chars().all(|c| c.is_ascii_alphanumeric() || c == '_');
        let clash = if !valid {
            Some("is not a name (letters, digits and _, not starting with a digit)".to_owned())
        } else if syntax::is_keyword(name) {
            Some("is a keyword".to_owned())
        } else if check::PRICES.iter().any(|(p, _)| *p == name) {
            Some("is a price series".to_owned())
        } else if functions::all_names().any(|f| f == name) {
            Some("is a function".to_owned())
        } else {
            None
        };
        match clash {
            Some(why) => Err(self.fail(at, format!("{what} `{name}` {why}; choose another name"))),
            None => Ok(()),
        }
    }

    fn params(&self) -> Result<Vec<ParamDecl>, Vec<Diagnostic>> {
        let mut params: Vec<ParamDecl> = Vec::new();
        for (key, value) in &self.raw.params {
            let name = yaml_key(key);
            let at = self.text.key(Some("params"), &name);
            self.check_new_name(&name, "param", at)?;
            if params.iter().any(|p| p.name == name) {
                return Err(self.fail(at, format!("param `{name}` is declared twice")));
            }
            let raw: RawParam =
                serde_yaml_ng::from_value(value.clone()).map_err(|e| self.fail(at, format!("param `{name}`: {e}")))?;
            let bad = |message: String| self.fail(at, format!("param `{name}`: {message}"));
            let decl = match raw.kind.as_str() {
                "int" | "float" => {
                    let kind = if raw.kind == "int" {
                        ParamType::Int
                    } else {
                        ParamType::Float
                    };
                    let (Some(min), Some(max)) = (raw.min, raw.max) else {
                        return Err(bad("needs `min` and `max`".into()));
                    };
                    let default = raw
                        .default
                        .as_f64()
                        .ok_or_else(|| bad("`default` must be a number".into()))?;
                    let integer = |v: f64| kind == ParamType::Float || v.fract() == 0.0;
                    if ![min, max, default].iter().all(|v| v.is_finite() && integer(*v)) {
                        return Err(bad(format!(
                            "`default`, `min` and `max` must be finite {}",
                            if kind == ParamType::Int { "integers" } else { "numbers" }
                        )));
                    }
                    if !(min <= default && default <= max) {
                        return Err(bad(format!("needs min <= default <= max, got {min}, {default}, {max}")));
                    }
                    ParamDecl {
                        name,
                        kind,
                        default,
                        min,
                        max,
                        choices: Vec::new(),
                        description: raw.description,
                    }
                }
                "choice" => {
                    if raw.values.is_empty() {
                        return Err(bad("a choice needs `values`".into()));
                    }
                    if let Some(v) = raw
                        .values
                        .iter()
                        .find(|v| !functions::indicator(v).is_some_and(|i| i.moving_average))
                    {
                        let averages: Vec<&str> = functions::INDICATORS
                            .iter()
                            .filter(|i| i.moving_average)
                            .map(|i| i.name)
                            .collect();
                        return Err(bad(format!(
                            "`{v}` is not a moving average (choices are of: {})",
                            averages.join(", ")
                        )));
                    }
                    let default = raw
                        .default
                        .as_str()
                        .and_then(|d| raw.values.iter().position(|v| v == d));
                    let Some(default) = default else {
                        return Err(bad(format!(
                            "`default` must be one of its values ({})",
                            raw.values.join(", ")
                        )));
                    };
                    ParamDecl {
                        name,
                        kind: ParamType::Choice,
                        default: default as f64,
                        min: 0.0,
                        max: (raw.values.len() - 1) as f64,
                        choices: raw.values,
                        description: raw.description,
                    }
                }
                other => return Err(bad(format!("unknown type `{other}` (int, float or choice)"))),
            };
            params.push(decl);
        }
        Ok(params)
    }

    fn constraint(&self, written: &Written, params: &[ParamDecl]) -> Result<(Side, Comparison, Side), Vec<Diagnostic>> {
        let at = |offset: usize| self.text.locate(written.from, &written.text, offset);
        let Expr::Binary(op, a, b) = &written.node.expr else {
            return Err(self.fail(
                at(0),
                "a constraint compares two params, or a param and a number, as in `fast < slow`",
            ));
        };
        let Some(comparison) = op.comparison() else {
            return Err(self.fail(
                at(0),
                format!("a constraint is a comparison; `{}` is not one", op.symbol()),
            ));
        };
        let side = |node: &Node| -> Result<Side, Vec<Diagnostic>> {
            match &node.expr {
                Expr::Number(n) => Ok(Side::Number(*n)),
                Expr::Unary(UnaryOp::Neg, inner) if matches!(inner.expr, Expr::Number(_)) => match inner.expr {
                    Expr::Number(n) => Ok(Side::Number(-n)),
                    _ => unreachable!(),
                },
                Expr::Name(name) => match params.iter().find(|p| &p.name == name) {
                    Some(p) if p.kind != ParamType::Choice => Ok(Side::Param(name.clone())),
                    Some(_) => Err(self.fail(
                        at(node.span.start),
                        format!("`{name}` is a choice; constraints compare numbers"),
                    )),
                    None => Err(self.fail(
                        at(node.span.start),
                        format!(
                            "unknown param `{name}`{}",
                            check::suggest(name, params.iter().map(|p| p.name.as_str()))
                        ),
                    )),
                },
                _ => Err(self.fail(at(node.span.start), "a constraint compares params and numbers only")),
            }
        };
        Ok((side(a)?, comparison, side(b)?))
    }
}

fn describe(ty: Ty) -> &'static str {
    match ty {
        Ty::Number => "a number",
        Ty::Bool => "a bool",
        Ty::Fields(..) => "an indicator of several outputs (pick one with `.`)",
    }
}

fn valid_strategy_name(name: &str) -> bool {
    let mut chars = name.chars();
    chars.next().is_some_and(|c| c.is_ascii_lowercase())
        && name.len() <= 40
        && chars.all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '_')
}

fn yaml_key(key: &serde_yaml_ng::Value) -> String {
    expression_text(key).unwrap_or_else(|| format!("{key:?}"))
}

/// The canonical form: the parsed content as canonical JSON, every expression printed
/// canonically; a rule that is absent and one written `false` are the same.
fn to_canonical(
    raw: &RawDefinition,
    params: &[ParamDecl],
    constraints: &[(Side, Comparison, Side)],
    let_names: &[String],
    lets: &[Written],
    rules: [(&str, Option<&Written>); 4],
) -> String {
    let number = |v: f64| json!(v);
    let params: Map<String, Value> = params
        .iter()
        .map(|p| {
            let mut spec = Map::new();
            match p.kind {
                ParamType::Choice => {
                    spec.insert("type".into(), "choice".into());
                    spec.insert("default".into(), p.choices[p.default as usize].clone().into());
                    spec.insert("values".into(), p.choices.clone().into());
                }
                kind => {
                    spec.insert(
                        "type".into(),
                        if kind == ParamType::Int { "int" } else { "float" }.into(),
                    );
                    spec.insert("default".into(), number(p.default));
                    spec.insert("min".into(), number(p.min));
                    spec.insert("max".into(), number(p.max));
                }
            }
            if !p.description.is_empty() {
                spec.insert("description".into(), p.description.clone().into());
            }
            (p.name.clone(), Value::Object(spec))
        })
        .collect();
    let side = |s: &Side| match s {
        Side::Param(p) => p.clone(),
        Side::Number(n) => ryu_js::Buffer::new().format(*n).to_owned(),
    };
    let mut out = Map::new();
    out.insert("name".into(), raw.name.clone().into());
    out.insert("description".into(), raw.description.clone().into());
    out.insert("params".into(), Value::Object(params));
    out.insert(
        "constraints".into(),
        constraints
            .iter()
            .map(|(a, op, b)| format!("{} {} {}", side(a), op.symbol(), side(b)))
            .collect(),
    );
    out.insert(
        "let".into(),
        let_names
            .iter()
            .zip(lets)
            .map(|(name, w)| json!([name, print::canonical(&w.node)]))
            .collect(),
    );
    for (key, written) in rules {
        if let Some(text) = written.map(|w| print::canonical(&w.node)).filter(|t| t != "false") {
            out.insert(key.into(), text.into());
        }
    }
    crate::to_canonical_json(&Value::Object(out))
}

/// A definition kept for the process's life: a [`Strategy`] every face runs by name or hash.
pub struct Defined {
    definition: Definition,
    name: &'static str,
    description: &'static str,
    hash: &'static str,
    specs: &'static [ParamSpec],
    constraints: &'static [Constraint],
}

impl Defined {
    pub fn definition(&self) -> &Definition {
        &self.definition
    }

    pub fn hash(&self) -> &'static str {
        self.hash
    }

    pub fn source(&self) -> &str {
        &self.definition.source
    }
}

fn leak(s: &str) -> &'static str {
    Box::leak(s.to_owned().into_boxed_str())
}

impl From<Definition> for Defined {
    fn from(definition: Definition) -> Self {
        let specs: Vec<ParamSpec> = definition
            .params
            .iter()
            .map(|p| ParamSpec {
                name: leak(&p.name),
                kind: match p.kind {
                    ParamType::Int => ParamKind::Int,
                    ParamType::Float => ParamKind::Float,
                    ParamType::Choice => ParamKind::Choice,
                },
                default: p.default,
                min: p.min,
                max: p.max,
                exclusive: false,
                description: leak(&p.description),
                choices: Box::leak(p.choices.iter().map(|c| leak(c)).collect::<Vec<_>>().into_boxed_slice()),
            })
            .collect();
        let term = |s: &Side| match s {
            Side::Param(p) => Term::Param(leak(p)),
            Side::Number(n) => Term::Number(*n),
        };
        let constraints: Vec<Constraint> = definition
            .constraints
            .iter()
            .map(|(a, op, b)| Constraint {
                left: term(a),
                op: *op,
                right: term(b),
            })
            .collect();
        Self {
            name: leak(&definition.name),
            description: leak(&definition.description),
            hash: leak(&definition.hash),
            specs: Box::leak(specs.into_boxed_slice()),
            constraints: Box::leak(constraints.into_boxed_slice()),
            definition,
        }
    }
}

impl Strategy for Defined {
    fn name(&self) -> &'static str {
        self.name
    }

    fn description(&self) -> &'static str {
        self.description
    }

    fn params(&self) -> &'static [ParamSpec] {
        self.specs
    }

    fn constraints(&self) -> &'static [Constraint] {
        self.constraints
    }

    fn definition(&self) -> Option<&'static str> {
        Some(self.hash)
    }

    fn check_params(&self, values: &ParamValues) -> Result<(), (&'static str, String)> {
        eval::check_bounds(&self.definition, values.as_slice())
            .map_err(|(param, message)| (self.specs[param].name, message))
    }

    fn check_timeframe(&self, timeframe: Timeframe) -> Result<(), String> {
        self.definition.check_timeframe(timeframe)
    }

    fn targets(&self, params: &ParamValues, indicators: &Indicators, allow_short: bool, out: &mut [i8]) {
        eval::targets(&self.definition, params.as_slice(), indicators, allow_short, out);
    }

    fn indicators(&self, params: &ParamValues) -> Vec<crate::indicators::IndicatorKey> {
        // Its SMAs of the close; every other series is computed on demand, once per market.
        eval::prepared(&self.definition, params.as_slice())
    }
}

#[derive(Default)]
struct Registry {
    by_hash: HashMap<&'static str, &'static Defined>,
    /// The latest definition of each name, for faces that run a definition by name.
    by_name: HashMap<&'static str, &'static Defined>,
}

static REGISTRY: Mutex<Option<Registry>> = Mutex::new(None);

fn registry<T>(f: impl FnOnce(&mut Registry) -> T) -> T {
    let mut guard = REGISTRY.lock().unwrap_or_else(PoisonError::into_inner);
    f(guard.get_or_insert_with(Registry::default))
}

/// Compiles `source` and keeps it (once per distinct definition); it becomes the one
/// `strategy::find` returns for its name.
pub fn define(source: &str) -> Result<&'static Defined> {
    let definition = compile(source).map_err(|diagnostics| Error::Definition {
        name: name_in(source),
        diagnostics,
    })?;
    Ok(registry(|r| {
        let defined = match r.by_hash.get(definition.hash.as_str()) {
            Some(known) => *known,
            None => {
                let defined: &'static Defined = Box::leak(Box::new(Defined::from(definition)));
                r.by_hash.insert(defined.hash, defined);
                defined
            }
        };
        r.by_name.insert(defined.name, defined);
        defined
    }))
}

/// The definition of a hash, if this process has been given it.
pub fn defined(hash: &str) -> Option<&'static Defined> {
    registry(|r| r.by_hash.get(hash).copied())
}

/// The latest definition of a name.
pub fn defined_named(name: &str) -> Option<&'static Defined> {
    registry(|r| r.by_name.get(name).copied())
}

/// The values of one expression over a market's candles (bools as 1 and 0): what a chart
/// of an expression draws, and how the indicators are checked against TA-Lib.
pub fn evaluate(expression: &str, indicators: &Indicators) -> Result<Vec<f64>, Vec<Diagnostic>> {
    let quoted = expression.replace('\'', "''");
    let definition = compile(&format!(
        "name: expression\nlet:\n  x: '{quoted}'\nlong_entry: x == x\n"
    ))?;
    if let Err(message) = definition.check_timeframe(indicators.timeframe()) {
        return Err(vec![Diagnostic {
            line: 1,
            column: 1,
            message,
        }]);
    }
    let ops = &definition.program.ops;
    let rule = match ops[definition.rules.long_entry] {
        Op::Align(at, _) => at,
        _ => definition.rules.long_entry,
    };
    let Op::Binary(_, x, _) = ops[rule] else {
        unreachable!("long_entry is `x == x`")
    };
    Ok(eval::column(&definition, x, &[], indicators))
}

/// The name a definition gives itself, for messages about a file that does not compile.
fn name_in(source: &str) -> String {
    source
        .lines()
        .find_map(|l| l.strip_prefix("name:"))
        .map_or_else(|| "?".to_owned(), |n| n.trim().trim_matches(['"', '\'']).to_owned())
}

#[cfg(test)]
mod tests;
