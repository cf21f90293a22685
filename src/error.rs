//! One error type for every rule of the engine. Each variant names what is wrong and
//! where, so every face (CLI, browser, edge) can show it to the user as it is.

/// Everything the core can refuse.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum Error {
    /// A candle file or payload that cannot be read, or a row that breaks a rule.
    #[error("{location}: {message}")]
    Data { location: String, message: String },
    /// Input that is not in any of the accepted candle formats.
    #[error("unrecognised candle data: {0}")]
    Format(String),
    #[error("unknown strategy `{name}` (known: {known})")]
    UnknownStrategy { name: String, known: String },
    /// A config naming a definition this process was not given.
    #[error(
        "strategy `{name}`: definition {hash} is not loaded (give its file, e.g. --strategy-file, or the store it ran from)"
    )]
    UnknownDefinition { name: String, hash: String },
    #[error("strategy `{strategy}`, parameter `{param}`: {message}")]
    Param {
        strategy: String,
        param: String,
        message: String,
    },
    /// A config field with a bad value (the field is named in the message).
    #[error("config field `{field}`: {message}")]
    Config { field: String, message: String },
    #[error("no candles in the range [{start}, {end})")]
    EmptyRange { start: String, end: String },
    #[error("unknown timeframe `{0}` (one of 1m 3m 5m 15m 30m 1h 2h 4h 6h 8h 12h 1d)")]
    UnknownTimeframe(String),
    /// Data of one timeframe asked for as another it cannot become.
    #[error("timeframe: {0}")]
    Timeframe(String),
    /// A search-space description that cannot be expanded.
    #[error("search space: {0}")]
    Search(String),
    /// The experiment store refused a request, or its driver failed.
    #[error("experiment store: {0}")]
    Store(String),
    /// A strategy definition that does not compile: each error at its line and column.
    #[error("definition `{name}`: {}", summary(diagnostics))]
    Definition {
        name: String,
        diagnostics: Vec<crate::lang::Diagnostic>,
    },
    /// A robustness check (Monte Carlo, plateaus, Pareto fronts) given input it cannot use.
    #[error("{0}")]
    Robustness(String),
    /// A strategy profile could not be read, found or written.
    #[error("profiles: {0}")]
    Profile(String),
}

impl Error {
    pub(crate) fn data(location: impl Into<String>, message: impl Into<String>) -> Self {
        Self::Data {
            location: location.into(),
            message: message.into(),
        }
    }

    pub(crate) fn config(field: &str, message: impl Into<String>) -> Self {
        Self::Config {
            field: field.to_owned(),
            message: message.into(),
        }
    }
}

fn summary(diagnostics: &[crate::lang::Diagnostic]) -> String {
    match diagnostics {
        [] => "does not compile".into(),
        [one] => one.to_string(),
        [first, rest @ ..] => format!("{first} (and {} more)", rest.len()),
    }
}

pub type Result<T, E = Error> = std::result::Result<T, E>;

/// A number as a person reads it in a message: `1e308`, not 309 digits.
pub(crate) fn readable(x: f64) -> String {
    if x != 0.0 && !(1e-6..1e15).contains(&x.abs()) {
        format!("{x:e}")
    } else {
        x.to_string()
    }
}
