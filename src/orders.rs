//! Orders and risk (spec: ENGINE.md, "Orders and risk"): the optional config fields, their
//! checks, and the names by which a sweep or an optimizer varies them (`stop_loss.pct`).
//!
//! Every field is absent by default and then absent from the canonical config, so the hash
//! of a config without them is the hash it always had.

use serde::{Deserialize, Serialize};
use serde_json::Value;

use crate::error::{Error, Result, readable};
use crate::strategy::ParamKind;

/// A stop, take-profit or trailing distance as written: `{"pct": 0.02}`, `{"atr": 14,
/// "mult": 2}` or, for a take-profit, `{"rr": 2}`.
#[derive(Debug, Clone, Copy, Default, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Level {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub pct: Option<f64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub atr: Option<u32>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub mult: Option<f64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub rr: Option<f64>,
}

/// The order and risk fields of a config, as written (flattened into it).
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct Orders {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub stop_loss: Option<Level>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub take_profit: Option<Level>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub trailing_stop: Option<Level>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub max_bars: Option<u32>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub size: Option<f64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub risk_pct: Option<f64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub leverage: Option<f64>,
}

/// A checked distance from the entry fill.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum Distance {
    /// A fraction of the entry fill price.
    Pct(f64),
    /// `mult` x ATR(`period`) at the signal candle.
    Atr { period: usize, mult: f64 },
    /// A take-profit at `rr` times the stop-loss distance.
    RiskReward(f64),
}

/// The checked fields the execution loop follows.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Rules {
    pub stop_loss: Option<Distance>,
    pub take_profit: Option<Distance>,
    pub trailing_stop: Option<Distance>,
    pub max_bars: Option<u32>,
    /// The fraction of equity an entry commits (with `risk_pct`, the most it may).
    pub size: f64,
    pub risk_pct: Option<f64>,
    pub leverage: f64,
}

impl Rules {
    pub const NONE: Rules = Rules {
        stop_loss: None,
        take_profit: None,
        trailing_stop: None,
        max_bars: None,
        size: 1.0,
        risk_pct: None,
        leverage: 1.0,
    };

    /// No order rule set: every entry all in, exits by the signal only.
    pub fn is_plain(&self) -> bool {
        !self.has_levels()
            && self.max_bars.is_none()
            && self.risk_pct.is_none()
            && self.size == 1.0
            && self.leverage == 1.0
    }

    /// Whether any level is watched inside candles.
    pub fn has_levels(&self) -> bool {
        self.stop_loss.is_some() || self.take_profit.is_some() || self.trailing_stop.is_some()
    }

    /// The ATR periods the levels read, for a sweep to compute up front.
    pub fn atr_periods(&self) -> impl Iterator<Item = usize> {
        [self.stop_loss, self.take_profit, self.trailing_stop]
            .into_iter()
            .filter_map(|d| match d {
                Some(Distance::Atr { period, .. }) => Some(period),
                _ => None,
            })
    }
}

/// Above this, a leverage is a typo (Binance's largest is 125).
pub const MAX_LEVERAGE: f64 = 125.0;
/// The longest ATR period and the largest multiple of it.
const MAX_ATR_PERIOD: u32 = 1000;
const MAX_MULT: f64 = 100.0;

fn bad(field: &str, message: String) -> Error {
    Error::config(field, message)
}

fn fraction(field: &str, value: f64, max: f64) -> Result<f64> {
    if value.is_finite() && value > 0.0 && value <= max {
        Ok(value)
    } else {
        Err(bad(
            field,
            format!("must be a fraction in (0, {max}] (0.02 = 2%), got {}", readable(value)),
        ))
    }
}

impl Level {
    /// `field` is the level's name; `max_pct` the largest fraction it may be away.
    fn check(&self, field: &str, max_pct: f64, allow_rr: bool) -> Result<Distance> {
        let forms = if allow_rr {
            "`pct`, or `atr` and `mult`, or `rr`"
        } else {
            "`pct`, or `atr` and `mult`"
        };
        let Level { pct, atr, mult, rr } = *self;
        match (pct, atr, mult, rr) {
            (Some(pct), None, None, None) => Ok(Distance::Pct(fraction(&format!("{field}.pct"), pct, max_pct)?)),
            (None, Some(period), Some(mult), None) => {
                if !(1..=MAX_ATR_PERIOD).contains(&period) {
                    return Err(bad(
                        &format!("{field}.atr"),
                        format!("must be an ATR period in [1, {MAX_ATR_PERIOD}], got {period}"),
                    ));
                }
                if !(mult.is_finite() && mult > 0.0 && mult <= MAX_MULT) {
                    return Err(bad(
                        &format!("{field}.mult"),
                        format!(
                            "must be a multiple of the ATR in (0, {MAX_MULT}], got {}",
                            readable(mult)
                        ),
                    ));
                }
                Ok(Distance::Atr {
                    period: period as usize,
                    mult,
                })
            }
            (None, None, None, Some(rr)) if allow_rr => {
                if !(rr.is_finite() && rr > 0.0 && rr <= MAX_MULT) {
                    return Err(bad(
                        &format!("{field}.rr"),
                        format!(
                            "must be a reward-to-risk ratio in (0, {MAX_MULT}], got {}",
                            readable(rr)
                        ),
                    ));
                }
                Ok(Distance::RiskReward(rr))
            }
            (None, Some(_), None, None) => Err(bad(&format!("{field}.mult"), "is needed beside `atr`".into())),
            (None, None, Some(_), None) => Err(bad(&format!("{field}.atr"), "is needed beside `mult`".into())),
            (None, None, None, None) => Err(bad(field, format!("is empty: give {forms}"))),
            _ => Err(bad(field, format!("give one of {forms}, not several"))),
        }
    }
}

impl Orders {
    /// Checks every field, naming the one at fault, and the whole normalized: a size or
    /// leverage of exactly 1 is the default and leaves the config (and its hash) as if
    /// unset.
    pub fn check(&self) -> Result<(Orders, Rules)> {
        let stop_loss = self.stop_loss.map(|l| l.check("stop_loss", 0.99, false)).transpose()?;
        let take_profit = self
            .take_profit
            .map(|l| l.check("take_profit", 100.0, true))
            .transpose()?;
        let trailing_stop = self
            .trailing_stop
            .map(|l| l.check("trailing_stop", 0.99, false))
            .transpose()?;
        if matches!(take_profit, Some(Distance::RiskReward(_))) && stop_loss.is_none() {
            return Err(bad(
                "take_profit.rr",
                "needs a `stop_loss` to measure the risk by".into(),
            ));
        }
        if let Some(bars) = self.max_bars
            && bars == 0
        {
            return Err(bad("max_bars", "must be at least 1 candle, got 0".into()));
        }
        let size = self.size.map(|s| fraction("size", s, 1.0)).transpose()?;
        let risk_pct = self.risk_pct.map(|r| fraction("risk_pct", r, 1.0)).transpose()?;
        if risk_pct.is_some() {
            if stop_loss.is_none() {
                return Err(bad(
                    "risk_pct",
                    "needs a `stop_loss`: the size is what that stop would lose".into(),
                ));
            }
            if size.is_some() {
                return Err(bad(
                    "risk_pct",
                    "sizes the entry instead of `size`; give one of them".into(),
                ));
            }
        }
        let leverage = match self.leverage {
            Some(l) if !(l.is_finite() && (1.0..=MAX_LEVERAGE).contains(&l)) => {
                return Err(bad(
                    "leverage",
                    format!("must be in [1, {MAX_LEVERAGE}], got {}", readable(l)),
                ));
            }
            l => l,
        };
        let normal = Orders {
            size: size.filter(|&s| s != 1.0),
            leverage: leverage.filter(|&l| l != 1.0),
            ..self.clone()
        };
        let rules = Rules {
            stop_loss,
            take_profit,
            trailing_stop,
            max_bars: self.max_bars,
            size: size.unwrap_or(1.0),
            risk_pct,
            leverage: leverage.unwrap_or(1.0),
        };
        Ok((normal, rules))
    }

    /// Sets the field a sweep axis or an optimizer dimension names (`stop_loss.pct`,
    /// `max_bars`, ...) to `value`. `Ok(false)` when `name` is not an order field.
    pub fn set(&mut self, name: &str, value: &Value) -> Result<bool> {
        let number = || {
            value
                .as_f64()
                .ok_or_else(|| bad(name, format!("expected a number, got {value}")))
        };
        let whole = || {
            value
                .as_u64()
                .or_else(|| {
                    value
                        .as_f64()
                        .filter(|v| v.fract() == 0.0 && *v >= 0.0)
                        .map(|v| v as u64)
                })
                .and_then(|v| u32::try_from(v).ok())
                .ok_or_else(|| bad(name, format!("expected a whole number, got {value}")))
        };
        let (group, key) = name.split_once('.').unwrap_or((name, ""));
        let level = match group {
            "stop_loss" => &mut self.stop_loss,
            "take_profit" => &mut self.take_profit,
            "trailing_stop" => &mut self.trailing_stop,
            "max_bars" if key.is_empty() => {
                self.max_bars = Some(whole()?);
                return Ok(true);
            }
            "size" | "risk_pct" | "leverage" if key.is_empty() => {
                let slot = match group {
                    "size" => &mut self.size,
                    "risk_pct" => &mut self.risk_pct,
                    _ => &mut self.leverage,
                };
                *slot = Some(number()?);
                return Ok(true);
            }
            _ => return Ok(false),
        };
        let level = level.get_or_insert_with(Level::default);
        match key {
            "pct" => level.pct = Some(number()?),
            "atr" => level.atr = Some(whole()?),
            "mult" => level.mult = Some(number()?),
            "rr" if group == "take_profit" => level.rr = Some(number()?),
            _ => {
                return Err(bad(
                    name,
                    format!(
                        "`{group}` has the fields pct, atr and mult{}",
                        if group == "take_profit" { " and rr" } else { "" }
                    ),
                ));
            }
        }
        Ok(true)
    }

    /// The value of the field `name` names, as [`Orders::set`] reads names.
    pub fn get(&self, name: &str) -> Option<f64> {
        let (group, key) = name.split_once('.').unwrap_or((name, ""));
        let level = match group {
            "stop_loss" => self.stop_loss,
            "take_profit" => self.take_profit,
            "trailing_stop" => self.trailing_stop,
            "max_bars" => return self.max_bars.map(f64::from),
            "size" => return self.size,
            "risk_pct" => return self.risk_pct,
            "leverage" => return self.leverage,
            _ => return None,
        }?;
        match key {
            "pct" => level.pct,
            "atr" => level.atr.map(f64::from),
            "mult" => level.mult,
            "rr" => level.rr,
            _ => None,
        }
    }

    /// Every field set, by dotted name, as a sweep axis or an optimizer point holds it.
    pub fn entries(&self) -> impl Iterator<Item = (&'static str, Value)> + '_ {
        FIELDS.iter().filter_map(|&name| {
            let value = self.get(name)?;
            Some((
                name,
                if is_whole(name) {
                    Value::from(value as u64)
                } else {
                    Value::from(value)
                },
            ))
        })
    }

    pub fn is_empty(&self) -> bool {
        *self == Orders::default()
    }
}

/// Every name a sweep axis or an optimizer dimension may vary an order field by.
pub const FIELDS: [&str; 14] = [
    "stop_loss.pct",
    "stop_loss.atr",
    "stop_loss.mult",
    "take_profit.pct",
    "take_profit.atr",
    "take_profit.mult",
    "take_profit.rr",
    "trailing_stop.pct",
    "trailing_stop.atr",
    "trailing_stop.mult",
    "max_bars",
    "size",
    "risk_pct",
    "leverage",
];

/// The order field `name` names: `None` when it is not one (a strategy's parameter), an
/// error when it looks like one but is not (`stop_loss.percent`).
pub fn field(name: &str) -> Option<Result<&'static str>> {
    if let Some(known) = FIELDS.iter().find(|f| **f == name) {
        return Some(Ok(known));
    }
    let group = name.split_once('.').map_or(name, |(group, _)| group);
    FIELDS.iter().any(|f| f.starts_with(&format!("{group}."))).then(|| {
        Err(bad(
            name,
            format!("is not an order field (they are: {})", FIELDS.join(", ")),
        ))
    })
}

/// Whether `name` is an order field's, whole numbers only (`max_bars`, an ATR period).
pub fn is_whole(name: &str) -> bool {
    name == "max_bars" || name.ends_with(".atr")
}

/// The kind of value an order field's sweep axis or optimizer dimension holds.
pub fn param_kind(name: &str) -> ParamKind {
    if is_whole(name) {
        ParamKind::Int
    } else {
        ParamKind::Float
    }
}

/// Parses a distance as the CLI writes it: `2%` (or `0.02`) for a fraction, `atr14x2` for
/// 2 x ATR(14), and for a take-profit `rr2`.
pub fn parse_level(field: &str, text: &str) -> Result<Level> {
    let text = text.trim();
    let number = |s: &str| -> Result<f64> {
        s.trim()
            .parse::<f64>()
            .map_err(|_| bad(field, format!("`{text}` is not `2%`, `0.02`, `atr14x2` or `rr2`")))
    };
    let level = if let Some(pct) = text.strip_suffix('%') {
        Level {
            pct: Some(number(pct)? / 100.0),
            ..Level::default()
        }
    } else if let Some(rest) = text.strip_prefix("atr") {
        let (period, mult) = rest.split_once('x').ok_or_else(|| {
            bad(
                field,
                format!("`{text}`: an ATR distance reads `atr14x2` (2 x ATR(14))"),
            )
        })?;
        Level {
            atr: Some(
                period
                    .parse()
                    .map_err(|_| bad(field, format!("`{text}`: `{period}` is not an ATR period")))?,
            ),
            mult: Some(number(mult)?),
            ..Level::default()
        }
    } else if let Some(rr) = text.strip_prefix("rr") {
        Level {
            rr: Some(number(rr)?),
            ..Level::default()
        }
    } else {
        Level {
            pct: Some(number(text)?),
            ..Level::default()
        }
    };
    Ok(level)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn orders(json: &str) -> Result<Orders> {
        let orders: Orders = serde_json::from_str(json).map_err(|e| Error::config("orders", e.to_string()))?;
        orders.check().map(|(o, _)| o)
    }

    fn message(json: &str) -> String {
        orders(json).unwrap_err().to_string()
    }

    #[test]
    fn each_bad_field_is_named() {
        for (json, expected) in [
            (
                r#"{"stop_loss":{"pct":-0.01}}"#,
                "`stop_loss.pct`: must be a fraction in (0, 0.99]",
            ),
            (r#"{"stop_loss":{"pct":0}}"#, "`stop_loss.pct`: must be a fraction"),
            (r#"{"take_profit":{"pct":0}}"#, "`take_profit.pct`: must be a fraction"),
            (
                r#"{"trailing_stop":{"atr":14}}"#,
                "`trailing_stop.mult`: is needed beside `atr`",
            ),
            (
                r#"{"stop_loss":{"atr":0,"mult":2}}"#,
                "`stop_loss.atr`: must be an ATR period",
            ),
            (
                r#"{"stop_loss":{"atr":14,"mult":-1}}"#,
                "`stop_loss.mult`: must be a multiple",
            ),
            (
                r#"{"stop_loss":{"rr":2}}"#,
                "`stop_loss`: give one of `pct`, or `atr` and `mult`, not several",
            ),
            (r#"{"stop_loss":{}}"#, "`stop_loss`: is empty"),
            (r#"{"take_profit":{"rr":2}}"#, "`take_profit.rr`: needs a `stop_loss`"),
            (r#"{"size":1.5}"#, "`size`: must be a fraction in (0, 1]"),
            (r#"{"size":0}"#, "`size`: must be a fraction"),
            (r#"{"leverage":0.5}"#, "`leverage`: must be in [1, 125], got 0.5"),
            (r#"{"leverage":1000}"#, "`leverage`: must be in [1, 125], got 1000"),
            (r#"{"risk_pct":0.01}"#, "`risk_pct`: needs a `stop_loss`"),
            (r#"{"max_bars":0}"#, "`max_bars`: must be at least 1"),
        ] {
            let got = message(json);
            assert!(got.contains(expected), "{json}: {got}");
        }
        let unknown = serde_json::from_str::<Orders>(r#"{"stop_loss":{"pct":0.01,"percent":2}}"#).unwrap_err();
        assert!(unknown.to_string().contains("unknown field `percent`"), "{unknown}");
    }

    #[test]
    fn defaults_written_out_normalize_away() {
        assert_eq!(orders(r#"{"size":1,"leverage":1}"#).unwrap(), Orders::default());
        let set = orders(r#"{"size":0.5,"leverage":2}"#).unwrap();
        assert_eq!((set.size, set.leverage), (Some(0.5), Some(2.0)));
    }

    #[test]
    fn axis_names_set_and_get_fields() {
        let mut o = Orders::default();
        for (name, value) in [
            ("stop_loss.pct", 0.02),
            ("take_profit.rr", 2.0),
            ("trailing_stop.atr", 14.0),
            ("max_bars", 12.0),
        ] {
            assert!(o.set(name, &Value::from(value)).unwrap(), "{name}");
            assert_eq!(o.get(name), Some(value), "{name}");
        }
        assert!(!o.set("fast_period", &Value::from(3)).unwrap());
        assert!(
            o.set("stop_loss.rr", &Value::from(2))
                .unwrap_err()
                .to_string()
                .contains("`stop_loss.rr`")
        );
        assert_eq!(field("leverage").unwrap().unwrap(), "leverage");
        assert!(field("fast_period").is_none());
        let err = field("stop_loss.percent").unwrap().unwrap_err().to_string();
        assert!(err.contains("`stop_loss.percent`: is not an order field"), "{err}");
        for name in FIELDS {
            assert!(Orders::default().set(name, &Value::from(2)).unwrap(), "{name}");
        }
    }

    #[test]
    fn cli_distances() {
        assert_eq!(parse_level("stop_loss", "2%").unwrap().pct, Some(0.02));
        assert_eq!(parse_level("stop_loss", "0.03").unwrap().pct, Some(0.03));
        let atr = parse_level("trailing_stop", "atr14x2.5").unwrap();
        assert_eq!((atr.atr, atr.mult), (Some(14), Some(2.5)));
        assert_eq!(parse_level("take_profit", "rr2").unwrap().rr, Some(2.0));
        assert!(
            parse_level("stop_loss", "two")
                .unwrap_err()
                .to_string()
                .contains("`stop_loss`")
        );
    }
}
