//! Instants as UTC epoch milliseconds, written and read as ISO-8601. The core never reads
//! a clock: every instant comes from the data or the config.

use std::fmt;

use chrono::{DateTime, NaiveDate, NaiveDateTime, SecondsFormat, Utc};
use serde::{Deserialize, Deserializer, Serialize, Serializer};

use crate::error::{Error, Result};

/// A UTC instant in epoch milliseconds. Serialized as ISO-8601 UTC (`2025-01-01T00:00:00Z`),
/// which is also its canonical form for the config hash; parsed from a date, a date-time
/// (with `Z`, an offset, or none meaning UTC) or an integer of epoch milliseconds.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Timestamp(pub i64);

impl Timestamp {
    pub fn parse(text: &str) -> Result<Self> {
        parse_instant_ms(text).map(Self).ok_or_else(|| {
            Error::config(
                "time",
                format!("`{text}` is not a date, an ISO-8601 date-time or epoch milliseconds"),
            )
        })
    }
}

impl fmt::Display for Timestamp {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&format_ms(self.0))
    }
}

/// ISO-8601 UTC with milliseconds only when they are not zero.
pub fn format_ms(ms: i64) -> String {
    match DateTime::<Utc>::from_timestamp_millis(ms) {
        Some(t) if ms % 1000 == 0 => t.to_rfc3339_opts(SecondsFormat::Secs, true),
        Some(t) => t.to_rfc3339_opts(SecondsFormat::Millis, true),
        None => ms.to_string(),
    }
}

/// Parses `2025-01-01`, `2025-01-01T00:00:00Z`, `2025-01-01 00:00:00`, offsets, or integer
/// epoch milliseconds.
pub fn parse_instant_ms(text: &str) -> Option<i64> {
    let text = text.trim();
    if let Ok(ms) = text.parse::<i64>() {
        return Some(ms);
    }
    if let Ok(t) = DateTime::parse_from_rfc3339(text) {
        return Some(t.timestamp_millis());
    }
    for pattern in [
        "%Y-%m-%dT%H:%M:%S%.f",
        "%Y-%m-%d %H:%M:%S%.f",
        "%Y-%m-%dT%H:%M",
        "%Y-%m-%d %H:%M",
    ] {
        if let Ok(t) = NaiveDateTime::parse_from_str(text, pattern) {
            return Some(t.and_utc().timestamp_millis());
        }
    }
    NaiveDate::parse_from_str(text, "%Y-%m-%d")
        .ok()
        .and_then(|d| d.and_hms_opt(0, 0, 0))
        .map(|t| t.and_utc().timestamp_millis())
}

impl Serialize for Timestamp {
    fn serialize<S: Serializer>(&self, serializer: S) -> std::result::Result<S::Ok, S::Error> {
        serializer.serialize_str(&format_ms(self.0))
    }
}

impl<'de> Deserialize<'de> for Timestamp {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> std::result::Result<Self, D::Error> {
        #[derive(Deserialize)]
        #[serde(untagged)]
        enum Raw {
            Ms(i64),
            Text(String),
        }
        match Raw::deserialize(deserializer)? {
            Raw::Ms(ms) => Ok(Self(ms)),
            Raw::Text(text) => parse_instant_ms(&text).map(Self).ok_or_else(|| {
                serde::de::Error::custom(format!(
                    "`{text}` is not a date, an ISO-8601 date-time or epoch milliseconds"
                ))
            }),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn dates_and_date_times_parse_as_utc() {
        assert_eq!(parse_instant_ms("2025-01-01"), Some(1_735_689_600_000));
        assert_eq!(parse_instant_ms("2025-01-01T00:00:00Z"), Some(1_735_689_600_000));
        assert_eq!(parse_instant_ms("2025-01-01T01:00:00+01:00"), Some(1_735_689_600_000));
        assert_eq!(parse_instant_ms("2025-01-01 00:15:00"), Some(1_735_690_500_000));
        assert_eq!(parse_instant_ms("1735689600000"), Some(1_735_689_600_000));
        assert_eq!(parse_instant_ms("2025-13-01"), None);
        assert_eq!(parse_instant_ms("soon"), None);
    }

    #[test]
    fn formats_round_trip() {
        assert_eq!(format_ms(1_735_689_600_000), "2025-01-01T00:00:00Z");
        assert_eq!(format_ms(1_735_689_600_123), "2025-01-01T00:00:00.123Z");
        for ms in [0, 1_735_689_600_000, 1_735_689_600_123] {
            assert_eq!(parse_instant_ms(&format_ms(ms)), Some(ms));
        }
    }
}
