//! `config/strategy_profiles.yaml`: promoted configs by profile name, each with its earlier
//! versions. Edited as text, one profile's block at a time, so the comments and the other
//! profiles of a hand-kept file stay exactly as they were; every edit is re-read and
//! checked before a face writes it.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};

use crate::error::{Error, Result};

/// One promoted config: the seed's fields, plus what re-runs it exactly.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Profile {
    pub promoted_at: String,
    pub experiment_id: i64,
    pub config_hash: String,
    pub strategy: String,
    pub symbol: String,
    pub timeframe: String,
    pub params: Map<String, Value>,
    pub performance: Map<String, Value>,
    pub validation_criteria: Map<String, Value>,
    pub data_fingerprint: String,
    pub start: String,
    pub end: String,
    pub initial_capital: f64,
    pub fee_bps: f64,
    pub slippage_bps: f64,
    pub allow_short: bool,
    /// A defined strategy's definition, as written: the profile re-runs from itself alone.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub definition: Option<String>,
    /// The order fields the config set (stops, sizing, leverage), flat as in a config.
    #[serde(flatten)]
    pub orders: crate::orders::Orders,
    /// Set when a rollback brought this version back.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub restored_at: Option<String>,
}

impl Profile {
    /// The config this profile promoted, rebuilt from the profile alone (its definition is
    /// compiled again when it has one): on the same candles it has the same `config_hash`.
    pub fn config(&self) -> Result<crate::BacktestConfig> {
        let definition = match &self.definition {
            Some(source) => Some(crate::lang::define(source)?.hash().to_owned()),
            None => None,
        };
        let time = |field: &str, text: &str| {
            crate::Timestamp::parse(text).map_err(|e| Error::Profile(format!("{field}: {e}")))
        };
        Ok(crate::BacktestConfig {
            symbol: self.symbol.clone(),
            timeframe: self.timeframe.parse()?,
            start: time("start", &self.start)?,
            end: time("end", &self.end)?,
            strategy: self.strategy.clone(),
            definition,
            params: self.params.clone(),
            initial_capital: self.initial_capital,
            fee_bps: self.fee_bps,
            slippage_bps: self.slippage_bps,
            allow_short: self.allow_short,
            orders: self.orders.clone(),
        })
    }
}

/// A profile: its current version and every earlier one, newest first.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ProfileEntry {
    #[serde(flatten)]
    pub current: Profile,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub history: Vec<Profile>,
}

impl ProfileEntry {
    /// `profile` becomes current; the version it replaces heads the history.
    pub fn promote(previous: Option<ProfileEntry>, profile: Profile) -> ProfileEntry {
        let history = match previous {
            Some(entry) => std::iter::once(entry.current).chain(entry.history).collect(),
            None => Vec::new(),
        };
        ProfileEntry {
            current: profile,
            history,
        }
    }

    /// The previous version comes back; the one it replaces is kept at the head of the
    /// history, so a rollback is itself undone by another.
    pub fn rollback(self, now: &str) -> Result<ProfileEntry> {
        let mut history = self.history;
        if history.is_empty() {
            return Err(Error::Profile(format!(
                "profile has a single version (promoted {}): nothing to roll back to",
                self.current.promoted_at
            )));
        }
        let mut restored = history.remove(0);
        restored.restored_at = Some(now.to_owned());
        history.insert(0, self.current);
        Ok(ProfileEntry {
            current: restored,
            history,
        })
    }
}

pub type Profiles = BTreeMap<String, ProfileEntry>;

/// Profile names are plain YAML keys, so a block is found by its first line.
pub fn check_name(name: &str) -> Result<()> {
    let ok = !name.is_empty()
        && name.len() <= 64
        && name.chars().all(|c| c.is_ascii_alphanumeric() || c == '_' || c == '-')
        && name.chars().next().is_some_and(|c| c.is_ascii_alphabetic());
    if ok {
        Ok(())
    } else {
        Err(Error::Profile(format!(
            "profile name `{name}` must start with a letter and hold only letters, digits, `_` and `-`"
        )))
    }
}

/// Reads a profiles file (an empty or comment-only file has none).
pub fn parse(text: &str) -> Result<Profiles> {
    let value: serde_yaml_ng::Value =
        serde_yaml_ng::from_str(text).map_err(|e| Error::Profile(format!("not a profiles file: {e}")))?;
    if value.is_null() {
        return Ok(Profiles::new());
    }
    serde_yaml_ng::from_value(value).map_err(|e| Error::Profile(format!("not a profiles file: {e}")))
}

/// The file's text with profile `name` set to `entry`: its block replaced in place, or
/// appended. Every other line is kept byte for byte; the result is re-read to prove that
/// only that profile changed.
pub fn upsert(text: &str, name: &str, entry: &ProfileEntry) -> Result<String> {
    check_name(name)?;
    let before = parse(text)?;
    let mut block = serde_yaml_ng::to_string(&BTreeMap::from([(name, entry)]))
        .map_err(|e| Error::Profile(format!("cannot write profile `{name}`: {e}")))?;
    if !block.ends_with('\n') {
        block.push('\n');
    }
    let lines: Vec<&str> = text.split_inclusive('\n').collect();
    let header = format!("{name}:");
    let start = lines
        .iter()
        .position(|l| l.trim_end() == header || l.starts_with(&format!("{header} ")));
    let edited = match start {
        Some(start) => {
            // The block runs over its indented lines; blank and comment lines after its
            // last indented line belong to what follows.
            let mut end = start + 1;
            let mut last_content = start;
            while end < lines.len() {
                let line = lines[end];
                let indented = line.starts_with(' ') || line.starts_with('\t');
                let blank_or_comment = line.trim().is_empty() || line.trim_start().starts_with('#');
                if indented && !blank_or_comment {
                    last_content = end;
                } else if !blank_or_comment {
                    break;
                }
                end += 1;
            }
            let mut out: String = lines[..start].concat();
            out.push_str(&block);
            out.push_str(&lines[last_content + 1..].concat());
            out
        }
        None => {
            let mut out = text.to_owned();
            if !out.is_empty() && !out.ends_with('\n') {
                out.push('\n');
            }
            if !out.trim().is_empty() {
                out.push('\n');
            }
            out.push_str(&block);
            out
        }
    };
    let after = parse(&edited)?;
    let mut expected = before;
    expected.insert(name.to_owned(), entry.clone());
    if after != expected {
        return Err(Error::Profile(format!(
            "editing profile `{name}` in place would change other content of the file; left it as it was"
        )));
    }
    Ok(edited)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn profile(hash: &str, sharpe: f64) -> Profile {
        let mut params = Map::new();
        params.insert("fast_period".into(), Value::from(20));
        params.insert("slow_period".into(), Value::from(50));
        let mut performance = Map::new();
        performance.insert("sharpe_ratio".into(), Value::from(sharpe));
        Profile {
            promoted_at: "2026-11-26T10:00:00Z".into(),
            experiment_id: 42,
            config_hash: hash.into(),
            strategy: "sma".into(),
            symbol: "BTCUSDT".into(),
            timeframe: "15m".into(),
            params,
            performance,
            validation_criteria: Map::new(),
            data_fingerprint: "f".repeat(16),
            start: "2025-01-01T00:00:00Z".into(),
            end: "2025-06-01T00:00:00Z".into(),
            initial_capital: 10_000.0,
            fee_bps: 10.0,
            slippage_bps: 0.0,
            allow_short: false,
            definition: None,
            restored_at: None,
            orders: Default::default(),
        }
    }

    const HAND_KEPT: &str = "# Strategy profiles: promoted by `btlab promote`.\n\
        # Keep this comment.\n\
        \n\
        swing:\n  promoted_at: '2025-01-01T00:00:00Z'\n  experiment_id: 1\n  config_hash: aaaa\n  strategy: rsi\n  \
        symbol: ETHUSDT\n  timeframe: 1h\n  params: {period: 14, oversold: 30, overbought: 70}  # tuned by hand\n  \
        performance: {}\n  validation_criteria: {}\n  data_fingerprint: x\n  start: '2025-01-01'\n  end: '2025-02-01'\n  \
        initial_capital: 10000.0\n  fee_bps: 10.0\n  slippage_bps: 0.0\n  allow_short: false\n\
        \n\
        # The scalper follows.\n";

    #[test]
    fn adding_a_profile_keeps_every_other_byte() {
        let entry = ProfileEntry::promote(None, profile("bbbb", 1.5));
        let text = upsert(HAND_KEPT, "scalp", &entry).unwrap();
        assert!(text.starts_with(HAND_KEPT), "{text}");
        assert_eq!(parse(&text).unwrap()["scalp"], entry);
        assert_eq!(parse(&text).unwrap().len(), 2);
    }

    #[test]
    fn replacing_a_profile_keeps_the_comments_around_it_and_its_history() {
        let first = upsert(HAND_KEPT, "scalp", &ProfileEntry::promote(None, profile("bbbb", 1.5))).unwrap();
        let previous = parse(&first).unwrap().remove("scalp");
        let second = ProfileEntry::promote(previous, profile("cccc", 2.0));
        let text = upsert(&first, "scalp", &second).unwrap();
        assert!(text.contains("# Keep this comment.\n") && text.contains("# tuned by hand"));
        let scalp = &parse(&text).unwrap()["scalp"];
        assert_eq!(scalp.current.config_hash, "cccc");
        assert_eq!(scalp.history.len(), 1);
        assert_eq!(scalp.history[0].config_hash, "bbbb");
        // replacing swing too, in the middle of the file, leaves scalp and the comments
        let swing = ProfileEntry::promote(parse(&text).unwrap().remove("swing"), profile("dddd", 0.5));
        let text = upsert(&text, "swing", &swing).unwrap();
        assert!(
            text.starts_with("# Strategy profiles: promoted by `btlab promote`.\n# Keep this comment.\n\nswing:\n")
        );
        assert!(text.contains("\n# The scalper follows.\n"));
        assert_eq!(&parse(&text).unwrap()["scalp"], scalp);
    }

    #[test]
    fn rollback_restores_the_previous_version_and_keeps_the_replaced_one() {
        let entry = ProfileEntry::promote(
            Some(ProfileEntry::promote(None, profile("old1", 1.0))),
            profile("new2", 2.0),
        );
        let back = entry.clone().rollback("2026-11-27T00:00:00Z").unwrap();
        assert_eq!(back.current.config_hash, "old1");
        assert_eq!(back.current.restored_at.as_deref(), Some("2026-11-27T00:00:00Z"));
        assert_eq!(back.history[0].config_hash, "new2");
        let forth = back.rollback("later").unwrap();
        assert_eq!(forth.current.config_hash, "new2");
        assert!(
            ProfileEntry::promote(None, profile("only", 1.0))
                .rollback("now")
                .is_err()
        );
    }

    #[test]
    fn bad_names_and_files_are_refused() {
        assert!(check_name("scalp-2").is_ok());
        for bad in ["", "2fast", "a b", "x:y", "ünïcode"] {
            assert!(check_name(bad).is_err(), "{bad}");
        }
        assert!(parse("scalp: [1, 2").is_err());
        assert!(
            parse("scalp: 3")
                .unwrap_err()
                .to_string()
                .contains("not a profiles file")
        );
        assert!(parse("# nothing yet\n").unwrap().is_empty());
    }
}
