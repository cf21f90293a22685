//! Binance's candle intervals.

use std::{fmt, str::FromStr};

use serde::{Deserialize, Serialize};

use crate::error::Error;

#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
pub enum Timeframe {
    M1,
    M3,
    M5,
    M15,
    M30,
    H1,
    H2,
    H4,
    H6,
    H8,
    H12,
    D1,
}

impl Timeframe {
    pub const ALL: [Timeframe; 12] = [
        Self::M1,
        Self::M3,
        Self::M5,
        Self::M15,
        Self::M30,
        Self::H1,
        Self::H2,
        Self::H4,
        Self::H6,
        Self::H8,
        Self::H12,
        Self::D1,
    ];

    pub const fn minutes(self) -> i64 {
        match self {
            Self::M1 => 1,
            Self::M3 => 3,
            Self::M5 => 5,
            Self::M15 => 15,
            Self::M30 => 30,
            Self::H1 => 60,
            Self::H2 => 120,
            Self::H4 => 240,
            Self::H6 => 360,
            Self::H8 => 480,
            Self::H12 => 720,
            Self::D1 => 1440,
        }
    }

    pub const fn millis(self) -> i64 {
        self.minutes() * 60_000
    }

    /// `365*24*60 / minutes`: the annualization factor of the Sharpe ratio.
    pub fn bars_per_year(self) -> f64 {
        (365 * 24 * 60) as f64 / self.minutes() as f64
    }

    pub const fn as_str(self) -> &'static str {
        match self {
            Self::M1 => "1m",
            Self::M3 => "3m",
            Self::M5 => "5m",
            Self::M15 => "15m",
            Self::M30 => "30m",
            Self::H1 => "1h",
            Self::H2 => "2h",
            Self::H4 => "4h",
            Self::H6 => "6h",
            Self::H8 => "8h",
            Self::H12 => "12h",
            Self::D1 => "1d",
        }
    }

    pub fn from_millis(ms: i64) -> Option<Self> {
        Self::ALL.into_iter().find(|tf| tf.millis() == ms)
    }
}

impl fmt::Display for Timeframe {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl FromStr for Timeframe {
    type Err = Error;
    fn from_str(s: &str) -> Result<Self, Error> {
        Self::ALL
            .into_iter()
            .find(|tf| tf.as_str() == s)
            .ok_or_else(|| Error::UnknownTimeframe(s.to_owned()))
    }
}

impl TryFrom<String> for Timeframe {
    type Error = Error;
    fn try_from(s: String) -> Result<Self, Error> {
        s.parse()
    }
}

impl From<Timeframe> for String {
    fn from(tf: Timeframe) -> String {
        tf.as_str().to_owned()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_round_trip_and_unknown_is_refused() {
        for tf in Timeframe::ALL {
            assert_eq!(tf.as_str().parse::<Timeframe>().unwrap(), tf);
            assert_eq!(Timeframe::from_millis(tf.millis()), Some(tf));
        }
        assert_eq!("15m".parse::<Timeframe>().unwrap().bars_per_year(), 35_040.0);
        assert!(matches!("7m".parse::<Timeframe>(), Err(Error::UnknownTimeframe(s)) if s == "7m"));
    }
}
