//! Every function of the language (spec: "Functions" and "Indicators"): its arguments,
//! its outputs, and how it computes them over the market's columns.

use crate::indicators as ta;

/// What one argument must be.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum ArgKind {
    /// A number series (any expression of numbers).
    Series,
    /// An integer known before the run (a literal or an int param), within bounds.
    Period { min: f64, max: f64 },
    /// A number known before the run (a literal or a param), within bounds.
    Number { min: f64, max: f64 },
}

/// TA-Lib's upper bound on every period.
pub const MAX_PERIOD: f64 = 100_000.0;

const fn period(min: f64) -> ArgKind {
    ArgKind::Period { min, max: MAX_PERIOD }
}

/// The candle columns an indicator reads besides its series input.
pub struct Candles<'a> {
    pub high: &'a [f64],
    pub low: &'a [f64],
    pub close: &'a [f64],
    pub volume: &'a [f64],
}

type Compute = fn(input: &[f64], candles: &Candles<'_>, args: &[f64]) -> Vec<Vec<f64>>;

/// An indicator: computed once per market and arguments, cached, read by every config.
pub struct Indicator {
    pub name: &'static str,
    /// Whether the first argument is a series (`sma(x, n)`) or the candles are (`atr(n)`).
    pub takes_series: bool,
    /// The arguments after the series, if any.
    pub args: &'static [(&'static str, ArgKind)],
    /// Names of the outputs when there are several (`macd(...).line`).
    pub fields: &'static [&'static str],
    pub compute: Compute,
    /// A moving average: a `choice` param of these names may be called.
    pub moving_average: bool,
}

fn one(v: Vec<f64>) -> Vec<Vec<f64>> {
    vec![v]
}

fn p(args: &[f64], i: usize) -> usize {
    args[i] as usize
}

/// An indicator of one series and a period (`average`: a moving average, which a `choice`
/// param may name).
macro_rules! over_series {
    ($name:literal, $f:path, $min:expr) => {
        over_series!($name, $f, $min, false)
    };
    ($name:literal, $f:path, $min:expr, $average:expr) => {
        Indicator {
            name: $name,
            takes_series: true,
            args: &[("period", period($min))],
            fields: &[],
            compute: |x, _, a| one(ta::from_first_value(x, |x| $f(x, p(a, 0)))),
            moving_average: $average,
        }
    };
}

macro_rules! average {
    ($name:literal, $f:path, $min:expr) => {
        over_series!($name, $f, $min, true)
    };
}

macro_rules! over_candles {
    ($name:literal, $f:path, $min:expr) => {
        Indicator {
            name: $name,
            takes_series: false,
            args: &[("period", period($min))],
            fields: &[],
            compute: |_, c, a| one($f(c.high, c.low, c.close, p(a, 0))),
            moving_average: false,
        }
    };
}

/// The indicators, as the spec lists them. Periods take TA-Lib's bounds, except that the
/// simple, exponential and weighted averages (and MACD's) accept 1, as the built-in
/// strategies do (the average of one value is the value).
pub static INDICATORS: &[Indicator] = &[
    average!("sma", ta::sma, 1.0),
    average!("ema", ta::ema, 1.0),
    average!("wma", ta::wma, 1.0),
    average!("dema", ta::dema, 2.0),
    average!("tema", ta::tema, 2.0),
    average!("trima", ta::trima, 2.0),
    average!("kama", ta::kama, 2.0),
    over_series!("rsi", ta::rsi, 2.0),
    over_series!("stddev", ta::stddev, 2.0),
    over_series!("roc", ta::roc, 1.0),
    over_series!("mom", ta::mom, 1.0),
    over_series!("linearreg", ta::linearreg, 2.0),
    Indicator {
        name: "macd",
        takes_series: true,
        args: &[("fast", period(1.0)), ("slow", period(1.0)), ("signal", period(1.0))],
        fields: &["line", "signal", "hist"],
        compute: |x, _, a| {
            fields_from_first_value(x, |x| {
                let m = ta::macd(x, p(a, 0), p(a, 1), p(a, 2));
                vec![m.line, m.signal, m.histogram]
            })
        },
        moving_average: false,
    },
    Indicator {
        name: "bbands",
        takes_series: true,
        args: &[("period", period(2.0)), ("k", ArgKind::Number { min: 0.0, max: 1e6 })],
        fields: &["upper", "middle", "lower"],
        compute: |x, _, a| {
            fields_from_first_value(x, |x| {
                let b = ta::bbands(x, p(a, 0), a[1]);
                vec![b.upper, b.middle, b.lower]
            })
        },
        moving_average: false,
    },
    over_candles!("atr", ta::atr, 1.0),
    over_candles!("natr", ta::natr, 1.0),
    Indicator {
        name: "trange",
        takes_series: false,
        args: &[],
        fields: &[],
        compute: |_, c, _| one(ta::trange(c.high, c.low, c.close)),
        moving_average: false,
    },
    over_candles!("adx", ta::adx, 2.0),
    over_candles!("plus_di", ta::plus_di, 1.0),
    over_candles!("minus_di", ta::minus_di, 1.0),
    over_candles!("cci", ta::cci, 2.0),
    over_candles!("willr", ta::willr, 2.0),
    Indicator {
        name: "mfi",
        takes_series: false,
        args: &[("period", period(2.0))],
        fields: &[],
        compute: |_, c, a| one(ta::mfi(c.high, c.low, c.close, c.volume, p(a, 0))),
        moving_average: false,
    },
    Indicator {
        name: "obv",
        takes_series: false,
        args: &[],
        fields: &[],
        compute: |_, c, _| one(ta::obv(c.close, c.volume)),
        moving_average: false,
    },
    Indicator {
        name: "ad",
        takes_series: false,
        args: &[],
        fields: &[],
        compute: |_, c, _| one(ta::ad(c.high, c.low, c.close, c.volume)),
        moving_average: false,
    },
    Indicator {
        name: "stoch",
        takes_series: false,
        args: &[("k", period(1.0)), ("slow_k", period(1.0)), ("slow_d", period(1.0))],
        fields: &["k", "d"],
        compute: |_, c, a| {
            let s = ta::stoch(c.high, c.low, c.close, p(a, 0), p(a, 1), p(a, 2));
            vec![s.k, s.d]
        },
        moving_average: false,
    },
    Indicator {
        name: "aroon",
        takes_series: false,
        args: &[("period", period(2.0))],
        fields: &["up", "down"],
        compute: |_, c, a| {
            let r = ta::aroon(c.high, c.low, p(a, 0));
            vec![r.up, r.down]
        },
        moving_average: false,
    },
    Indicator {
        name: "sar",
        takes_series: false,
        args: &[
            ("acceleration", ArgKind::Number { min: 0.0, max: 1e6 }),
            ("maximum", ArgKind::Number { min: 0.0, max: 1e6 }),
        ],
        fields: &[],
        compute: |_, c, a| one(ta::sar(c.high, c.low, a[0], a[1])),
        moving_average: false,
    },
    Indicator {
        name: "vwap",
        takes_series: false,
        args: &[("period", period(1.0))],
        fields: &[],
        compute: |_, c, a| one(ta::vwap(c.high, c.low, c.close, c.volume, p(a, 0))),
        moving_average: false,
    },
    Indicator {
        name: "highest",
        takes_series: true,
        args: &[("period", period(1.0))],
        fields: &[],
        compute: |x, _, a| one(ta::highest(x, p(a, 0))),
        moving_average: false,
    },
    Indicator {
        name: "lowest",
        takes_series: true,
        args: &[("period", period(1.0))],
        fields: &[],
        compute: |x, _, a| one(ta::lowest(x, p(a, 0))),
        moving_average: false,
    },
    Indicator {
        name: "sum",
        takes_series: true,
        args: &[("period", period(1.0))],
        fields: &[],
        compute: |x, _, a| one(ta::from_first_value(x, |x| ta::sum(x, p(a, 0)))),
        moving_average: false,
    },
];

/// [`ta::from_first_value`] for an indicator of several outputs.
fn fields_from_first_value(values: &[f64], indicator: impl FnOnce(&[f64]) -> Vec<Vec<f64>>) -> Vec<Vec<f64>> {
    let start = values.iter().position(|v| !v.is_nan()).unwrap_or(values.len());
    indicator(&values[start..])
        .into_iter()
        .map(|field| {
            let mut column = vec![f64::NAN; start];
            column.extend(field);
            column
        })
        .collect()
}

pub fn indicator(name: &str) -> Option<&'static Indicator> {
    INDICATORS.iter().find(|i| i.name == name)
}

/// The functions that are not indicators: computed per config, element by element.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Function {
    Abs,
    Sign,
    Sqrt,
    Log,
    Exp,
    Round,
    Floor,
    Ceil,
    Min,
    Max,
    Pow,
    If,
    Crossover,
    Crossunder,
    Change,
}

pub const FUNCTIONS: &[(&str, Function)] = &[
    ("abs", Function::Abs),
    ("sign", Function::Sign),
    ("sqrt", Function::Sqrt),
    ("log", Function::Log),
    ("exp", Function::Exp),
    ("round", Function::Round),
    ("floor", Function::Floor),
    ("ceil", Function::Ceil),
    ("min", Function::Min),
    ("max", Function::Max),
    ("pow", Function::Pow),
    ("if", Function::If),
    ("crossover", Function::Crossover),
    ("crossunder", Function::Crossunder),
    ("change", Function::Change),
];

pub fn function(name: &str) -> Option<Function> {
    FUNCTIONS.iter().find(|(n, _)| *n == name).map(|(_, f)| *f)
}

impl Function {
    pub fn name(self) -> &'static str {
        FUNCTIONS.iter().find(|(_, f)| *f == self).map_or("?", |(n, _)| n)
    }

    /// A one-argument math function of a number.
    pub fn unary(self, x: f64) -> f64 {
        match self {
            Function::Abs => x.abs(),
            // NaN stays NaN; 0 is 0 (`f64::signum` would give 1 for +0).
            Function::Sign => {
                if x > 0.0 {
                    1.0
                } else if x < 0.0 {
                    -1.0
                } else {
                    x * 0.0
                }
            }
            Function::Sqrt => libm::sqrt(x),
            Function::Log => libm::log(x),
            Function::Exp => libm::exp(x),
            Function::Round => libm::round(x),
            Function::Floor => libm::floor(x),
            Function::Ceil => libm::ceil(x),
            _ => f64::NAN,
        }
    }

    /// A two-argument math function; NaN in, NaN out.
    pub fn binary(self, a: f64, b: f64) -> f64 {
        match self {
            _ if a.is_nan() || b.is_nan() => f64::NAN,
            Function::Min => a.min(b),
            Function::Max => a.max(b),
            Function::Pow => libm::pow(a, b),
            _ => f64::NAN,
        }
    }
}

/// Every name a call may use, for "did you mean".
pub fn all_names() -> impl Iterator<Item = &'static str> {
    INDICATORS
        .iter()
        .map(|i| i.name)
        .chain(FUNCTIONS.iter().map(|(n, _)| *n))
}
