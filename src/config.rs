//! What a backtest is asked to do, its validation and its identity (`config_hash`).

use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};
use sha2::{Digest, Sha256};

use crate::candles::hex;
use crate::canonical::to_canonical_json;
use crate::error::{Error, Result, readable};
use crate::orders::{Level, Orders, Rules};
use crate::strategy::{self, ParamValues, Strategy};
use crate::time::Timestamp;
use crate::timeframe::Timeframe;

pub const DEFAULT_CAPITAL: f64 = 10_000.0;
pub const DEFAULT_FEE_BPS: f64 = 10.0;
/// The largest starting capital: a trillion, so equity times any accepted price stays
/// finite (see [`crate::candles::MAX_PRICE`]).
pub const MAX_CAPITAL: f64 = 1e12;
/// The largest fee or slippage, per side: 10%.
pub const MAX_BPS: f64 = 1000.0;

/// The cost fields' bounds, checked wherever a config or a sweep spec is validated,
/// before anything runs.
pub fn check_costs(initial_capital: f64, fee_bps: f64, slippage_bps: f64) -> Result<()> {
    if !(initial_capital.is_finite() && initial_capital > 0.0 && initial_capital <= MAX_CAPITAL) {
        return Err(Error::config(
            "initial_capital",
            format!(
                "must be a positive number of at most {MAX_CAPITAL:e}, got {}",
                readable(initial_capital)
            ),
        ));
    }
    for (field, bps) in [("fee_bps", fee_bps), ("slippage_bps", slippage_bps)] {
        if !(bps.is_finite() && (0.0..=MAX_BPS).contains(&bps)) {
            return Err(Error::config(
                field,
                format!("must be in [0, {MAX_BPS}] basis points, got {}", readable(bps)),
            ));
        }
    }
    Ok(())
}

/// One backtest: the seed's fields plus costs, shorting and the order fields. Unknown
/// fields are refused so a typo never becomes a silent default.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(from = "WrittenConfig")]
pub struct BacktestConfig {
    pub symbol: String,
    pub timeframe: Timeframe,
    pub start: Timestamp,
    pub end: Timestamp,
    pub strategy: String,
    /// A defined strategy's definition hash (spec: STRATEGY.md, "Identity"); absent for a
    /// built-in, so every built-in config keeps its hash.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub definition: Option<String>,
    pub params: Map<String, Value>,
    #[serde(default = "default_capital")]
    pub initial_capital: f64,
    #[serde(default = "default_fee_bps")]
    pub fee_bps: f64,
    #[serde(default)]
    pub slippage_bps: f64,
    #[serde(default)]
    pub allow_short: bool,
    /// Stops, take-profit, time exit, sizing and leverage, written flat beside the others.
    #[serde(flatten)]
    pub orders: Orders,
}

/// A config as written: the same fields, the order fields flat among them. serde refuses
/// unknown fields only on a struct without a flattened one, hence this twin.
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct WrittenConfig {
    symbol: String,
    timeframe: Timeframe,
    start: Timestamp,
    end: Timestamp,
    strategy: String,
    #[serde(default)]
    definition: Option<String>,
    params: Map<String, Value>,
    #[serde(default = "default_capital")]
    initial_capital: f64,
    #[serde(default = "default_fee_bps")]
    fee_bps: f64,
    #[serde(default)]
    slippage_bps: f64,
    #[serde(default)]
    allow_short: bool,
    #[serde(default)]
    stop_loss: Option<Level>,
    #[serde(default)]
    take_profit: Option<Level>,
    #[serde(default)]
    trailing_stop: Option<Level>,
    #[serde(default)]
    max_bars: Option<u32>,
    #[serde(default)]
    size: Option<f64>,
    #[serde(default)]
    risk_pct: Option<f64>,
    #[serde(default)]
    leverage: Option<f64>,
}

impl From<WrittenConfig> for BacktestConfig {
    fn from(w: WrittenConfig) -> Self {
        BacktestConfig {
            symbol: w.symbol,
            timeframe: w.timeframe,
            start: w.start,
            end: w.end,
            strategy: w.strategy,
            definition: w.definition,
            params: w.params,
            initial_capital: w.initial_capital,
            fee_bps: w.fee_bps,
            slippage_bps: w.slippage_bps,
            allow_short: w.allow_short,
            orders: Orders {
                stop_loss: w.stop_loss,
                take_profit: w.take_profit,
                trailing_stop: w.trailing_stop,
                max_bars: w.max_bars,
                size: w.size,
                risk_pct: w.risk_pct,
                leverage: w.leverage,
            },
        }
    }
}

pub(crate) fn default_capital() -> f64 {
    DEFAULT_CAPITAL
}

pub(crate) fn default_fee_bps() -> f64 {
    DEFAULT_FEE_BPS
}

/// A config that passed every check, with its strategy resolved and params normalized.
#[derive(Clone)]
pub struct ValidConfig {
    pub config: BacktestConfig,
    pub strategy: &'static dyn Strategy,
    pub params: ParamValues,
    pub rules: Rules,
}

impl std::fmt::Debug for ValidConfig {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ValidConfig")
            .field("config", &self.config)
            .field("strategy", &self.strategy.name())
            .finish()
    }
}

impl BacktestConfig {
    /// Parses a config from JSON, naming the field at fault.
    pub fn from_json(json: &str) -> Result<Self> {
        serde_json::from_str(json).map_err(|e| Error::config("config", e.to_string()))
    }

    pub fn validate(&self) -> Result<ValidConfig> {
        if self.symbol.trim().is_empty() {
            return Err(Error::config("symbol", "must not be empty"));
        }
        if self.start >= self.end {
            return Err(Error::EmptyRange {
                start: self.start.to_string(),
                end: self.end.to_string(),
            });
        }
        check_costs(self.initial_capital, self.fee_bps, self.slippage_bps)?;
        let strategy = strategy::resolve(&self.strategy, self.definition.as_deref())?;
        let (params, normal) = strategy::validate_params(strategy, &self.params)?;
        strategy
            .check_timeframe(self.timeframe)
            .map_err(|message| Error::config("timeframe", message))?;
        let (orders, rules) = self.orders.check()?;
        Ok(ValidConfig {
            config: BacktestConfig {
                params: normal,
                orders,
                ..self.clone()
            },
            strategy,
            params,
            rules,
        })
    }
}

/// The configs of a batch file: a JSON array of configs, or `{"configs": [...]}`. The
/// file's shape is checked as a whole; each config is read on its own, so one bad config
/// is reported in its place (`config 3: ...`) and the others still run.
pub fn batch_configs(json: &str) -> Result<Vec<Result<BacktestConfig>>> {
    let shape = || Error::config("configs", "expected an array of configs or {\"configs\": [...]}");
    let value: Value = serde_json::from_str(json).map_err(|e| Error::config("configs", format!("not JSON: {e}")))?;
    let items = match value {
        Value::Array(items) => items,
        Value::Object(mut map) => match map.remove("configs") {
            Some(Value::Array(items)) => items,
            _ => return Err(shape()),
        },
        _ => return Err(shape()),
    };
    Ok(items
        .into_iter()
        .enumerate()
        .map(|(i, item)| {
            serde_json::from_value(item).map_err(|e| Error::config(&format!("configs[{i}]"), e.to_string()))
        })
        .collect())
}

impl ValidConfig {
    /// SHA-256 (hex) of the canonical JSON of the config plus `data_fingerprint`.
    pub fn hash(&self, data_fingerprint: &str) -> String {
        config_hash(&self.config, data_fingerprint)
    }
}

/// The canonical JSON that the hash covers: every config field and the data fingerprint.
pub fn canonical_config(config: &BacktestConfig, data_fingerprint: &str) -> String {
    let mut value = serde_json::to_value(config).unwrap_or(Value::Null);
    if let Value::Object(map) = &mut value {
        map.insert("data_fingerprint".into(), Value::String(data_fingerprint.to_owned()));
    }
    to_canonical_json(&value)
}

pub fn config_hash(config: &BacktestConfig, data_fingerprint: &str) -> String {
    hex(&Sha256::digest(canonical_config(config, data_fingerprint).as_bytes()))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn config(json: &str) -> BacktestConfig {
        BacktestConfig::from_json(json).unwrap()
    }

    const BASE: &str = r#"{"symbol":"BTCUSDT","timeframe":"15m","start":"2025-01-01","end":"2025-02-01","strategy":"sma","params":{"fast_period":20,"slow_period":50}}"#;

    #[test]
    fn canonical_form_is_sorted_with_iso_times() {
        let valid = config(BASE).validate().unwrap();
        assert_eq!(
            canonical_config(&valid.config, "ab"),
            r#"{"allow_short":false,"data_fingerprint":"ab","end":"2025-02-01T00:00:00Z","fee_bps":10,"initial_capital":10000,"params":{"fast_period":20,"slow_period":50},"slippage_bps":0,"start":"2025-01-01T00:00:00Z","strategy":"sma","symbol":"BTCUSDT","timeframe":"15m"}"#
        );
        // Python's hashlib.sha256 of the line above.
        assert_eq!(
            valid.hash("ab"),
            "cd052b25c60b003c2c34769ed1fe0360f2c252ba07411b29f747e9b563a92b51"
        );
    }

    #[test]
    fn same_config_written_differently_has_one_hash() {
        let a = config(BASE).validate().unwrap();
        let b = config(r#"{"params":{"slow_period":50.0,"fast_period":20},"strategy":"sma","end":"2025-02-01T00:00:00Z","start":1735689600000,"timeframe":"15m","symbol":"BTCUSDT","fee_bps":10.0,"initial_capital":1e4}"#)
            .validate()
            .unwrap();
        assert_eq!(a.hash("f"), b.hash("f"));
        assert_ne!(a.hash("f"), a.hash("g"));
        let c = config(&BASE.replace("\"slow_period\":50", "\"slow_period\":51"))
            .validate()
            .unwrap();
        assert_ne!(a.hash("f"), c.hash("f"));
    }

    #[test]
    fn bad_fields_are_named() {
        let err = BacktestConfig::from_json(&BASE.replace("\"symbol\"", "\"sym\""))
            .unwrap_err()
            .to_string();
        assert!(err.contains("unknown field `sym`"), "{err}");
        let err = BacktestConfig::from_json(&BASE.replace("15m", "7m"))
            .unwrap_err()
            .to_string();
        assert!(err.contains("unknown timeframe `7m`"), "{err}");
        let err = config(&BASE.replace("2025-02-01", "2025-01-01"))
            .validate()
            .unwrap_err();
        assert!(matches!(err, Error::EmptyRange { .. }), "{err}");
        let err = config(&BASE.replace("}}", "},\"fee_bps\":-1}"))
            .validate()
            .unwrap_err()
            .to_string();
        assert_eq!(err, "config field `fee_bps`: must be in [0, 1000] basis points, got -1");
        let err = config(&BASE.replace("}}", "},\"initial_capital\":0}"))
            .validate()
            .unwrap_err()
            .to_string();
        assert_eq!(
            err,
            "config field `initial_capital`: must be a positive number of at most 1e12, got 0"
        );
        for (field, value) in [
            ("initial_capital", "1.7e308"),
            ("fee_bps", "1001"),
            ("slippage_bps", "5000"),
        ] {
            let err = config(&BASE.replace("}}", &format!("}},\"{field}\":{value}}}")))
                .validate()
                .unwrap_err()
                .to_string();
            assert!(err.starts_with(&format!("config field `{field}`: must be")), "{err}");
        }
    }
}
