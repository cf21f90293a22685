//! A candle series in columns (one `Vec` per field), so indicators and the execution loop
//! read contiguous `f64`s. Every series that leaves this module has passed [`Candles::validate`].

use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};

use crate::error::{Error, Result, readable};
use crate::time::format_ms;
use crate::timeframe::Timeframe;

/// The smallest price a candle may have: below any listed pair's, far enough above zero
/// that a position of [`crate::config::MAX_CAPITAL`] in it stays finite.
pub const MIN_PRICE: f64 = 1e-12;
/// The largest price a candle may have: far above any traded asset's (in any quote
/// currency), far enough below `f64::MAX` that equity, fees and sums stay finite.
pub const MAX_PRICE: f64 = 1e12;
/// The largest volume a candle may have; resampling sums volumes, so it leaves room.
pub const MAX_VOLUME: f64 = 1e20;

/// One candle, as the parsers read it and as JSON carries it.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct Candle {
    pub open_time: i64,
    pub open: f64,
    pub high: f64,
    pub low: f64,
    pub close: f64,
    pub volume: f64,
}

/// A series sorted by strictly increasing `open_time`.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Candles {
    pub open_time: Vec<i64>,
    pub open: Vec<f64>,
    pub high: Vec<f64>,
    pub low: Vec<f64>,
    pub close: Vec<f64>,
    pub volume: Vec<f64>,
}

/// Candles missing between two consecutive candles of a series.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct Gap {
    /// `open_time` of the last candle before the gap.
    pub after: i64,
    /// `open_time` of the first candle after the gap.
    pub before: i64,
    pub missing: i64,
}

impl Candles {
    pub fn with_capacity(n: usize) -> Self {
        Self {
            open_time: Vec::with_capacity(n),
            open: Vec::with_capacity(n),
            high: Vec::with_capacity(n),
            low: Vec::with_capacity(n),
            close: Vec::with_capacity(n),
            volume: Vec::with_capacity(n),
        }
    }

    pub fn len(&self) -> usize {
        self.open_time.len()
    }

    pub fn is_empty(&self) -> bool {
        self.open_time.is_empty()
    }

    pub fn push(&mut self, c: Candle) {
        self.open_time.push(c.open_time);
        self.open.push(c.open);
        self.high.push(c.high);
        self.low.push(c.low);
        self.close.push(c.close);
        self.volume.push(c.volume);
    }

    pub fn get(&self, i: usize) -> Candle {
        Candle {
            open_time: self.open_time[i],
            open: self.open[i],
            high: self.high[i],
            low: self.low[i],
            close: self.close[i],
            volume: self.volume[i],
        }
    }

    pub fn iter(&self) -> impl ExactSizeIterator<Item = Candle> + '_ {
        (0..self.len()).map(|i| self.get(i))
    }

    /// Builds a validated series from rows. `locate(i)` names row `i` in errors
    /// (`line 7` for a file, `candle 3` for a JSON array).
    pub fn from_rows(rows: Vec<Candle>, locate: impl Fn(usize) -> String) -> Result<Self> {
        let mut candles = Self::with_capacity(rows.len());
        for c in rows {
            candles.push(c);
        }
        candles.validate(locate)?;
        Ok(candles)
    }

    /// The spec's data rules: finite positive prices no larger than [`MAX_PRICE`], finite
    /// non-negative volumes no larger than [`MAX_VOLUME`], `low <= min(open, close)`,
    /// `high >= max(open, close)`, strictly increasing `open_time`. A zero price would make
    /// every return after it infinite or NaN, and a price near `f64::MAX` overflows the
    /// first sum: both are refused here, with the row, rather than run.
    pub fn validate(&self, locate: impl Fn(usize) -> String) -> Result<()> {
        for i in 0..self.len() {
            let c = self.get(i);
            for (name, value) in [("open", c.open), ("high", c.high), ("low", c.low), ("close", c.close)] {
                if !value.is_finite() {
                    return Err(Error::data(
                        locate(i),
                        format!("{name} is {value}, not a finite number"),
                    ));
                }
                if value <= 0.0 {
                    return Err(Error::data(
                        locate(i),
                        format!("{name} is {value}: prices must be positive"),
                    ));
                }
                if value < MIN_PRICE {
                    return Err(Error::data(
                        locate(i),
                        format!(
                            "{name} is {}, below the smallest accepted price {MIN_PRICE:e}",
                            readable(value)
                        ),
                    ));
                }
                if value > MAX_PRICE {
                    return Err(Error::data(
                        locate(i),
                        format!(
                            "{name} is {}, above the largest accepted price {MAX_PRICE:e}",
                            readable(value)
                        ),
                    ));
                }
            }
            if !c.volume.is_finite() {
                return Err(Error::data(
                    locate(i),
                    format!("volume is {}, not a finite number", c.volume),
                ));
            }
            if c.volume < 0.0 {
                return Err(Error::data(locate(i), format!("volume is negative ({})", c.volume)));
            }
            if c.volume > MAX_VOLUME {
                return Err(Error::data(
                    locate(i),
                    format!(
                        "volume is {}, above the largest accepted volume {MAX_VOLUME:e}",
                        readable(c.volume)
                    ),
                ));
            }
            if c.high < c.open.max(c.close) {
                return Err(Error::data(
                    locate(i),
                    format!("high {} is below max(open, close) {}", c.high, c.open.max(c.close)),
                ));
            }
            if c.low > c.open.min(c.close) {
                return Err(Error::data(
                    locate(i),
                    format!("low {} is above min(open, close) {}", c.low, c.open.min(c.close)),
                ));
            }
            if i > 0 {
                let previous = self.open_time[i - 1];
                if c.open_time == previous {
                    return Err(Error::data(
                        locate(i),
                        format!(
                            "duplicate open_time {} ({}), same as {}",
                            c.open_time,
                            format_ms(c.open_time),
                            locate(i - 1)
                        ),
                    ));
                }
                if c.open_time < previous {
                    return Err(Error::data(
                        locate(i),
                        format!(
                            "open_time {} ({}) is before the previous row's {} ({}); rows must be sorted",
                            c.open_time,
                            format_ms(c.open_time),
                            previous,
                            format_ms(previous)
                        ),
                    ));
                }
            }
        }
        Ok(())
    }

    /// The timeframe whose interval is the smallest step between consecutive candles.
    pub fn detect_timeframe(&self) -> Option<Timeframe> {
        let step = self.open_time.windows(2).map(|w| w[1] - w[0]).min()?;
        Timeframe::from_millis(step)
    }

    /// The series' own timeframe, or why it has none: the smallest step between two
    /// candles must be one of the timeframes. Steps a thousand times too small are open
    /// times in seconds, and the message says so.
    pub fn own_timeframe(&self) -> Result<Timeframe> {
        if let Some(tf) = self.detect_timeframe() {
            return Ok(tf);
        }
        let Some(&[from, to]) = self.open_time.windows(2).min_by_key(|w| w[1] - w[0]) else {
            return Err(Error::Timeframe(
                "one candle has no timeframe: give at least two".into(),
            ));
        };
        let step = to - from;
        let first = self.open_time[0];
        let units = if Timeframe::from_millis(step.saturating_mul(1000)).is_some() {
            format!(
                " These look like epoch seconds ({first} read as milliseconds is {}): \
                 write them in milliseconds (times 1000), microseconds or ISO-8601.",
                format_ms(first)
            )
        } else {
            " Open times are read as epoch milliseconds (microseconds from 1e14 up) or ISO-8601.".to_owned()
        };
        Err(Error::Timeframe(format!(
            "cannot tell the timeframe: the smallest step between two candles is {step} ms \
             (from {from} to {to}), which is none of 1m 3m 5m 15m 30m 1h 2h 4h 6h 8h 12h 1d.{units}"
        )))
    }

    /// Every place where candles of `timeframe` are missing. Gaps are reported, never filled.
    pub fn gaps(&self, timeframe: Timeframe) -> Vec<Gap> {
        let step = timeframe.millis();
        self.open_time
            .windows(2)
            .filter(|w| w[1] - w[0] > step)
            .map(|w| Gap {
                after: w[0],
                before: w[1],
                missing: (w[1] - w[0]) / step - 1,
            })
            .collect()
    }

    /// The candles with `start <= open_time < end`.
    pub fn range(&self, start: i64, end: i64) -> Candles {
        let from = self.open_time.partition_point(|&t| t < start);
        let to = self.open_time.partition_point(|&t| t < end).max(from);
        Candles {
            open_time: self.open_time[from..to].to_vec(),
            open: self.open[from..to].to_vec(),
            high: self.high[from..to].to_vec(),
            low: self.low[from..to].to_vec(),
            close: self.close[from..to].to_vec(),
            volume: self.volume[from..to].to_vec(),
        }
    }

    /// The series at `timeframe`: itself, or resampled from its own smaller timeframe.
    pub fn at_timeframe(&self, timeframe: Timeframe) -> Result<Candles> {
        match self.detect_timeframe() {
            Some(own) => self.resample(own, timeframe),
            None => Ok(self.clone()),
        }
    }

    /// The candles of `[start, end)`, refusing a range that holds none.
    pub fn window(&self, start: i64, end: i64) -> Result<Candles> {
        let candles = self.range(start, end);
        if candles.is_empty() {
            return Err(Error::EmptyRange {
                start: format_ms(start),
                end: format_ms(end),
            });
        }
        Ok(candles)
    }

    /// Resamples `from` candles to the larger `to`: first open, max high, min low, last close,
    /// summed volume, buckets aligned to the UTC epoch. Empty buckets stay gaps.
    pub fn resample(&self, from: Timeframe, to: Timeframe) -> Result<Candles> {
        if from == to {
            return Ok(self.clone());
        }
        if to.millis() < from.millis() || to.millis() % from.millis() != 0 {
            return Err(Error::Timeframe(format!("{from} candles cannot be resampled to {to}")));
        }
        let bucket_ms = to.millis();
        let mut out = Candles::with_capacity(self.len() / (to.millis() / from.millis()) as usize + 1);
        for c in self.iter() {
            let bucket = c.open_time.div_euclid(bucket_ms) * bucket_ms;
            match out.open_time.last() {
                Some(&last) if last == bucket => {
                    let j = out.len() - 1;
                    out.high[j] = out.high[j].max(c.high);
                    out.low[j] = out.low[j].min(c.low);
                    out.close[j] = c.close;
                    out.volume[j] += c.volume;
                }
                _ => out.push(Candle { open_time: bucket, ..c }),
            }
        }
        Ok(out)
    }

    /// SHA-256 (hex) of the series: for each candle, `open_time` as i64 and the five
    /// prices and volume as f64 bit patterns, all little-endian. Same candles, same hash,
    /// on every target.
    pub fn fingerprint(&self) -> String {
        let mut hasher = Sha256::new();
        let mut row = [0u8; 48];
        for c in self.iter() {
            row[0..8].copy_from_slice(&c.open_time.to_le_bytes());
            for (k, v) in [c.open, c.high, c.low, c.close, c.volume].into_iter().enumerate() {
                row[8 + 8 * k..16 + 8 * k].copy_from_slice(&v.to_bits().to_le_bytes());
            }
            hasher.update(row);
        }
        hex(&hasher.finalize())
    }
}

pub(crate) fn hex(bytes: &[u8]) -> String {
    const DIGITS: &[u8; 16] = b"0123456789abcdef";
    bytes
        .iter()
        .flat_map(|b| [DIGITS[usize::from(b >> 4)], DIGITS[usize::from(b & 15)]])
        .map(char::from)
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn candle(t: i64, o: f64, h: f64, l: f64, c: f64) -> Candle {
        Candle {
            open_time: t,
            open: o,
            high: h,
            low: l,
            close: c,
            volume: 1.0,
        }
    }

    fn row(i: usize) -> String {
        format!("row {}", i + 1)
    }

    #[test]
    fn each_bad_row_is_named_prices_positive_and_bounded_volumes_finite() {
        let cases = [
            (
                candle(0, 1.0, 0.5, 0.4, 0.9),
                "row 1: high 0.5 is below max(open, close) 1",
            ),
            (
                candle(0, 1.0, 2.0, 1.5, 1.2),
                "row 1: low 1.5 is above min(open, close) 1",
            ),
            (
                candle(0, f64::NAN, 2.0, 0.5, 1.2),
                "row 1: open is NaN, not a finite number",
            ),
            (
                candle(0, -1.0, 2.0, -2.0, 1.2),
                "row 1: open is -1: prices must be positive",
            ),
            (
                candle(0, 1.0, 2.0, 0.0, 1.5),
                "row 1: low is 0: prices must be positive",
            ),
            (
                candle(0, 1e308, 1e308, 1e308, 1e308),
                "row 1: open is 1e308, above the largest accepted price 1e12",
            ),
            (
                candle(0, 1e-13, 1e-13, 1e-13, 1e-13),
                "row 1: open is 1e-13, below the smallest accepted price 1e-12",
            ),
            (
                Candle {
                    volume: f64::INFINITY,
                    ..candle(0, 1.0, 2.0, 0.5, 1.5)
                },
                "row 1: volume is inf, not a finite number",
            ),
            (
                Candle {
                    volume: 1e21,
                    ..candle(0, 1.0, 2.0, 0.5, 1.5)
                },
                "row 1: volume is 1e21, above the largest accepted volume 1e20",
            ),
        ];
        for (c, expected) in cases {
            let err = Candles::from_rows(vec![c], row).unwrap_err();
            assert_eq!(err.to_string(), expected);
        }
        let ok = candle(0, 1.0, 2.0, 0.5, 1.5);
        let dup = Candles::from_rows(vec![ok, ok], row).unwrap_err().to_string();
        assert!(dup.starts_with("row 2: duplicate open_time 0"), "{dup}");
        let back = Candles::from_rows(vec![Candle { open_time: 5, ..ok }, ok], row)
            .unwrap_err()
            .to_string();
        assert!(back.starts_with("row 2: open_time 0"), "{back}");
        assert!(back.contains("before the previous row's 5"), "{back}");
    }

    #[test]
    fn a_candle_without_trades_is_real_data() {
        let zero_volume = Candle {
            volume: 0.0,
            ..candle(0, 1.0, 2.0, 0.5, 1.5)
        };
        assert!(
            Candles::from_rows(vec![zero_volume], row).is_ok(),
            "a candle without trades is real data"
        );
    }

    #[test]
    fn a_series_without_a_timeframe_says_what_its_times_look_like() {
        let at = |times: &[i64]| {
            let rows = times.iter().map(|&t| candle(t, 1.0, 1.0, 1.0, 1.0)).collect();
            Candles::from_rows(rows, row).unwrap().own_timeframe()
        };
        let seconds = at(&[1_735_689_600, 1_735_690_500]).unwrap_err().to_string();
        assert!(
            seconds.contains("smallest step between two candles is 900 ms"),
            "{seconds}"
        );
        assert!(seconds.contains("look like epoch seconds"), "{seconds}");
        assert!(seconds.contains("1970-01-21"), "{seconds}");
        let odd = at(&[0, 7_000]).unwrap_err().to_string();
        assert!(
            odd.contains("is 7000 ms") && odd.contains("read as epoch milliseconds"),
            "{odd}"
        );
        assert_eq!(at(&[0, 900_000]).unwrap(), Timeframe::M15);
    }

    #[test]
    fn range_is_half_open() {
        let rows = (0..10).map(|i| candle(i * 60_000, 1.0, 1.0, 1.0, 1.0)).collect();
        let c = Candles::from_rows(rows, row).unwrap();
        let r = c.range(2 * 60_000, 5 * 60_000);
        assert_eq!(r.open_time, vec![120_000, 180_000, 240_000]);
        assert!(c.range(5 * 60_000, 2 * 60_000).is_empty());
        assert_eq!(c.range(i64::MIN, i64::MAX).len(), 10);
    }

    #[test]
    fn gaps_are_reported_not_filled() {
        let times = [0, 1, 2, 5, 6, 9];
        let rows = times.iter().map(|&t| candle(t * 60_000, 1.0, 1.0, 1.0, 1.0)).collect();
        let c = Candles::from_rows(rows, row).unwrap();
        assert_eq!(c.detect_timeframe(), Some(Timeframe::M1));
        let gaps = c.gaps(Timeframe::M1);
        assert_eq!(gaps.len(), 2);
        assert_eq!((gaps[0].missing, gaps[1].missing), (2, 2));
        assert_eq!(c.len(), 6);
    }

    #[test]
    fn resample_aggregates_aligned_buckets() {
        // 5 one-minute candles starting at minute 3: buckets [0,5) and [5,10).
        let rows = (3..8)
            .map(|m| Candle {
                open_time: m * 60_000,
                open: m as f64,
                high: m as f64 + 1.0,
                low: m as f64 - 1.0,
                close: m as f64 + 0.5,
                volume: 2.0,
            })
            .collect();
        let c = Candles::from_rows(rows, row).unwrap();
        let r = c.resample(Timeframe::M1, Timeframe::M5).unwrap();
        assert_eq!(r.open_time, vec![0, 300_000]);
        assert_eq!(r.open, vec![3.0, 5.0]);
        assert_eq!(r.high, vec![5.0, 8.0]);
        assert_eq!(r.low, vec![2.0, 4.0]);
        assert_eq!(r.close, vec![4.5, 7.5]);
        assert_eq!(r.volume, vec![4.0, 6.0]);
        assert!(c.resample(Timeframe::M5, Timeframe::M1).is_err());
        assert!(c.resample(Timeframe::M3, Timeframe::M5).is_err());
    }

    #[test]
    fn fingerprint_changes_with_any_field() {
        let base = Candles::from_rows(vec![candle(0, 1.0, 2.0, 0.5, 1.5)], row).unwrap();
        let mut other = base.clone();
        other.volume[0] = 1.5;
        assert_eq!(base.fingerprint().len(), 64);
        assert_ne!(base.fingerprint(), other.fingerprint());
        assert_eq!(base.fingerprint(), base.clone().fingerprint());
    }
}
