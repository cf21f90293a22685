//! The three candle formats of the spec, detected from the bytes themselves:
//! - Binance kline CSV: 12 columns, no header, open time in ms or µs (2025+ spot files);
//! - Binance REST `/api/v3/klines` JSON: an array of arrays, prices as strings;
//! - headed CSV `open_time,open,high,low,close,volume`, time as ms or ISO-8601.
//!
//! Every row error names its line (CSV) or its position (JSON).

use std::io::{BufRead, BufReader, Read};

use serde_json::Value;

use crate::candles::{Candle, Candles};
use crate::error::{Error, Result};
use crate::time::parse_instant_ms;

/// Epoch values at or above this are microseconds: in ms it would be the year 5138.
const MICROS_THRESHOLD: i64 = 100_000_000_000_000;

/// Which of the accepted formats a payload is in.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum CandleFormat {
    BinanceCsv,
    BinanceJson,
    HeadedCsv,
}

/// The longest line a candle file may have: a kline row is about 130 bytes. A file
/// without line breaks (a binary or sparse file) is refused at this point, not read whole.
pub const MAX_LINE: usize = 64 << 10;

/// Detects the format and parses, validating every row.
pub fn parse_candles(bytes: &[u8]) -> Result<Candles> {
    parse_candles_from(bytes)
}

/// Detects the format from the first bytes and parses as it reads: CSV row by row (memory
/// is the candles, not the file), JSON whole.
pub fn parse_candles_from(reader: impl Read) -> Result<Candles> {
    let mut reader = BufReader::with_capacity(1 << 16, reader);
    let head = reader.fill_buf().map_err(|e| Error::Format(e.to_string()))?;
    let format = detect_format(head)?;
    parse_reader_as(format, reader)
}

/// Parses `bytes` as the given format, whatever they look like.
pub fn parse_as(format: CandleFormat, bytes: &[u8]) -> Result<Candles> {
    parse_reader_as(format, BufReader::new(bytes))
}

fn parse_reader_as<R: Read>(format: CandleFormat, mut reader: BufReader<R>) -> Result<Candles> {
    if reader.fill_buf().is_ok_and(|b| b.starts_with(BOM)) {
        reader.consume(BOM.len());
    }
    match format {
        CandleFormat::BinanceJson => {
            let mut bytes = Vec::new();
            reader
                .read_to_end(&mut bytes)
                .map_err(|e| Error::Format(e.to_string()))?;
            parse_binance_json(&bytes)
        }
        CandleFormat::BinanceCsv => parse_binance_csv(csv_reader(reader, false)),
        CandleFormat::HeadedCsv => parse_headed_csv(csv_reader(reader, true)),
    }
}

/// The format of a payload, from its first bytes.
pub fn detect_format(head: &[u8]) -> Result<CandleFormat> {
    let text = head.strip_prefix(BOM).unwrap_or(head);
    if let Some(at) = text.iter().position(|&b| b == 0) {
        return Err(Error::Format(format!(
            "binary data (a NUL byte at offset {at}), not candle text"
        )));
    }
    let first = text.iter().position(|b| !b.is_ascii_whitespace()).map(|i| text[i]);
    match first {
        None => Err(Error::Format("the input is empty".into())),
        Some(b'[') => Ok(CandleFormat::BinanceJson),
        Some(b) if b.is_ascii_digit() => Ok(CandleFormat::BinanceCsv),
        Some(_) => Ok(CandleFormat::HeadedCsv),
    }
}

const BOM: &[u8] = b"\xEF\xBB\xBF";

/// Fails a read once a line runs past [`MAX_LINE`] bytes, naming the line.
struct LineCapped<R> {
    inner: R,
    line: u64,
    since_break: usize,
}

impl<R: Read> Read for LineCapped<R> {
    fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
        let n = self.inner.read(buf)?;
        for &b in &buf[..n] {
            if b == b'\n' {
                self.line += 1;
                self.since_break = 0;
            } else {
                self.since_break += 1;
                if self.since_break > MAX_LINE {
                    return Err(std::io::Error::other(format!(
                        "line {} is longer than {MAX_LINE} bytes: not candle data",
                        self.line
                    )));
                }
            }
        }
        Ok(n)
    }
}

fn csv_reader<R: Read>(reader: R, has_headers: bool) -> csv::Reader<LineCapped<R>> {
    csv::ReaderBuilder::new()
        .has_headers(has_headers)
        .flexible(true)
        .trim(csv::Trim::All)
        .from_reader(LineCapped {
            inner: reader,
            line: 1,
            since_break: 0,
        })
}

fn line_of(record: &csv::StringRecord) -> String {
    record
        .position()
        .map_or_else(|| "a row".to_owned(), |p| format!("line {}", p.line()))
}

fn number(field: &str, name: &str, location: &str) -> Result<f64> {
    field
        .parse::<f64>()
        .map_err(|_| Error::data(location, format!("{name} `{field}` is not a number")))
}

fn epoch_ms(field: &str, location: &str) -> Result<i64> {
    let parsed = field.parse::<i64>().ok().or_else(|| {
        // `1.7356896e12` or `1735689600000.0`, as some tools write integers.
        field
            .parse::<f64>()
            .ok()
            .filter(|v| v.fract() == 0.0 && v.abs() < 9e18)
            .map(|v| v as i64)
    });
    match parsed {
        Some(t) if t >= MICROS_THRESHOLD => Ok(t / 1000),
        Some(t) => Ok(t),
        None => parse_instant_ms(field).ok_or_else(|| {
            Error::data(
                location,
                format!("open_time `{field}` is neither epoch milliseconds nor an ISO-8601 time"),
            )
        }),
    }
}

fn read_error(e: csv::Error) -> Error {
    match (e.position(), e.kind()) {
        (_, csv::ErrorKind::Io(io)) => Error::Format(io.to_string()),
        (Some(p), _) => Error::data(format!("line {}", p.line()), e.to_string()),
        (None, _) => Error::data("input", e.to_string()),
    }
}

/// Lines in CSV errors are counted from 1, including the header line if there is one.
fn validate_rows(rows: Vec<(String, Candle)>) -> Result<Candles> {
    let (locations, candles): (Vec<String>, Vec<Candle>) = rows.into_iter().unzip();
    if candles.is_empty() {
        return Err(Error::Format("no candles in the input".into()));
    }
    Candles::from_rows(candles, |i| locations[i].clone())
}

fn parse_binance_csv<R: Read>(mut reader: csv::Reader<R>) -> Result<Candles> {
    let mut rows = Vec::new();
    for record in reader.records() {
        let record = record.map_err(read_error)?;
        let location = line_of(&record);
        if record.iter().all(str::is_empty) {
            continue;
        }
        if record.len() != 12 {
            return Err(Error::data(
                location,
                format!("expected the 12 columns of a Binance kline row, found {}", record.len()),
            ));
        }
        rows.push((
            location.clone(),
            candle_from_fields(&record, [0, 1, 2, 3, 4, 5], &location)?,
        ));
    }
    validate_rows(rows)
}

fn candle_from_fields(record: &csv::StringRecord, columns: [usize; 6], location: &str) -> Result<Candle> {
    let field = |k: usize| record.get(columns[k]).unwrap_or("");
    Ok(Candle {
        open_time: epoch_ms(field(0), location)?,
        open: number(field(1), "open", location)?,
        high: number(field(2), "high", location)?,
        low: number(field(3), "low", location)?,
        close: number(field(4), "close", location)?,
        volume: number(field(5), "volume", location)?,
    })
}

const HEADED_COLUMNS: [&str; 6] = ["open_time", "open", "high", "low", "close", "volume"];

fn parse_headed_csv<R: Read>(mut reader: csv::Reader<R>) -> Result<Candles> {
    let header = reader.headers().map_err(read_error)?.clone();
    let find = |name: &str| {
        header.iter().position(|h| {
            let h = h.to_ascii_lowercase();
            h == name || (name == "open_time" && matches!(h.as_str(), "time" | "timestamp" | "date" | "datetime"))
        })
    };
    let mut columns = [0usize; 6];
    for (k, name) in HEADED_COLUMNS.iter().enumerate() {
        columns[k] = find(name).ok_or_else(|| {
            Error::data(
                "line 1",
                format!(
                    "the header has no `{name}` column (expected {})",
                    HEADED_COLUMNS.join(",")
                ),
            )
        })?;
    }
    let mut rows = Vec::new();
    for record in reader.records() {
        let record = record.map_err(read_error)?;
        if record.iter().all(str::is_empty) {
            continue;
        }
        let location = line_of(&record);
        if record.len() < header.len() {
            return Err(Error::data(
                location,
                format!("expected {} columns, found {}", header.len(), record.len()),
            ));
        }
        rows.push((location.clone(), candle_from_fields(&record, columns, &location)?));
    }
    validate_rows(rows)
}

fn parse_binance_json(bytes: &[u8]) -> Result<Candles> {
    let value: Value = serde_json::from_slice(bytes).map_err(|e| {
        Error::data(
            format!("line {}, column {}", e.line(), e.column()),
            format!("invalid JSON: {e}"),
        )
    })?;
    let Value::Array(items) = value else {
        return Err(Error::Format("klines JSON must be an array of arrays".into()));
    };
    let mut rows = Vec::with_capacity(items.len());
    for (i, item) in items.iter().enumerate() {
        let location = format!("kline {}", i + 1);
        let Some(fields) = item.as_array().filter(|f| f.len() >= 6) else {
            return Err(Error::data(
                location,
                "expected an array of at least 6 fields [open_time, open, high, low, close, volume, ...]",
            ));
        };
        let text = |k: usize| match &fields[k] {
            Value::String(s) => s.clone(),
            other => other.to_string(),
        };
        let candle = Candle {
            open_time: epoch_ms(&text(0), &location)?,
            open: number(&text(1), "open", &location)?,
            high: number(&text(2), "high", &location)?,
            low: number(&text(3), "low", &location)?,
            close: number(&text(4), "close", &location)?,
            volume: number(&text(5), "volume", &location)?,
        };
        rows.push((location, candle));
    }
    validate_rows(rows)
}

#[cfg(test)]
mod tests {
    use super::*;

    const KLINE: &str = "1735689600000,93576.00,93702.15,93489.03,93656.18,175.85,1735690499999,1.6e7,100,80.0,7.4e6,0\n\
                         1735690500000,93656.19,93898.05,93614.95,93761.90,95.41,1735691399999,8.9e6,90,40.0,3.7e6,0\n";

    #[test]
    fn the_three_formats_give_the_same_candles() {
        let csv = parse_candles(KLINE.as_bytes()).unwrap();
        let micros =
            KLINE
                .replacen("1735689600000,", "1735689600000000,", 1)
                .replacen("1735690500000,", "1735690500000000,", 1);
        let json = r#"[[1735689600000,"93576.00","93702.15","93489.03","93656.18","175.85",1735690499999,"1.6e7",100,"80.0","7.4e6","0"],
                        [1735690500000,"93656.19","93898.05","93614.95","93761.90","95.41",1735691399999,"8.9e6",90,"40.0","3.7e6","0"]]"#;
        let headed = "open_time,open,high,low,close,volume\n2025-01-01T00:00:00Z,93576.00,93702.15,93489.03,93656.18,175.85\n1735690500000,93656.19,93898.05,93614.95,93761.90,95.41\n";
        for other in [
            parse_candles(micros.as_bytes()),
            parse_candles(json.as_bytes()),
            parse_candles(headed.as_bytes()),
        ] {
            assert_eq!(other.unwrap(), csv);
        }
        assert_eq!(csv.open_time, vec![1_735_689_600_000, 1_735_690_500_000]);
        assert_eq!(csv.close, vec![93656.18, 93761.90]);
    }

    #[test]
    fn bad_rows_are_named_by_line() {
        let cases = [
            (
                "open_time,open,high,low,close,volume\n0,1,2,0.5,1.5,1\n60000,1,abc,0.5,1.5,1\n",
                "line 3: high `abc` is not a number",
            ),
            (
                "open_time,open,high,low,close,volume\n0,1,2,0.5,1.5,1\n60000,1,NaN,0.5,1.5,1\n",
                "line 3: high is NaN, not a finite number",
            ),
            (
                "open_time,open,high,low,close,volume\n0,1,0.9,0.5,1.5,1\n",
                "line 2: high 0.9 is below max(open, close) 1.5",
            ),
            (
                "open,high,low,close,volume\n1,2,0.5,1.5,1\n",
                "line 1: the header has no `open_time` column",
            ),
            (
                "0,1,2,0.5,1.5,1\n",
                "line 1: expected the 12 columns of a Binance kline row, found 6",
            ),
            ("[[0,\"1\",\"2\"]]", "kline 1: expected an array of at least 6 fields"),
            (
                "[[0,\"1\",\"2\",\"0.5\",\"1.5\",\"x\"]]",
                "kline 1: volume `x` is not a number",
            ),
            ("[[0,1,2", "line 1, column 7: invalid JSON"),
            ("", "unrecognised candle data: the input is empty"),
            (
                "open_time,open,high,low,close,volume\n",
                "unrecognised candle data: no candles in the input",
            ),
        ];
        for (input, expected) in cases {
            let err = parse_candles(input.as_bytes()).unwrap_err().to_string();
            assert!(err.starts_with(expected), "{input:?}: got {err:?}, want {expected:?}");
        }
        let dup = "open_time,open,high,low,close,volume\n0,1,2,0.5,1.5,1\n0,1,2,0.5,1.5,1\n";
        let err = parse_candles(dup.as_bytes()).unwrap_err().to_string();
        assert!(err.starts_with("line 3: duplicate open_time 0"), "{err}");
    }
}
