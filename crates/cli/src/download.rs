//! `btlab data download`: closed candles from Binance's public klines API (or a server
//! speaking it), 1,000 a request, into `{out}/{SYMBOL}-{tf}.csv`, as freqtrade's
//! `download-data` does. The file itself is only ever replaced whole: the download grows a
//! hidden `.{SYMBOL}-{tf}.csv.part` beside it, a page at a time, and renames it over the
//! file when done. A run that stops (an error, Ctrl-C, SIGKILL) leaves the part to resume
//! from; a second run fetches only what is missing, checking that the server still gives
//! the candle the file ends on.

use std::fs::{File, OpenOptions};
use std::io::Write;
use std::path::{Path, PathBuf};
use std::time::Duration;

use anyhow::{Context, Result, bail};
use btlab::parse::parse_candles_from;
use btlab::time::{format_ms, parse_instant_ms};
use btlab::{Candle, Candles, Timeframe};
use serde_json::Value;

use crate::http::{self, LongWait, Retries};

const BINANCE: &str = "https://api.binance.com";
/// Binance's most klines per request.
const PAGE: usize = 1000;
/// A page of 1,000 klines is about 200 KB.
const REPLY_LIMIT: u64 = 8 << 20;
const HEADER: &str = "open_time,open,high,low,close,volume\n";

#[derive(clap::Args)]
pub(crate) struct DownloadArgs {
    /// The market, as Binance names it (ETHUSDT).
    #[arg(long)]
    symbol: String,
    #[arg(long)]
    timeframe: Timeframe,
    /// The first candle's open time (a date, a date-time or epoch milliseconds).
    #[arg(long)]
    start: String,
    /// Up to this open time, excluded (default: now; a candle still forming is never kept).
    #[arg(long)]
    end: Option<String>,
    /// The API's root: Binance's, or a mirror or test server speaking it.
    #[arg(long, default_value = BINANCE)]
    base_url: String,
    /// The folder of the candle file.
    #[arg(long, default_value = "data")]
    out: PathBuf,
    /// Tries after the first for one request that fails in a way worth another try.
    #[arg(long, default_value_t = 5)]
    retries: u32,
    /// The first wait before another try, doubled each time (a `Retry-After` wins).
    #[arg(long, default_value_t = 1000)]
    backoff_ms: u64,
    /// Seconds one request may take.
    #[arg(long, default_value_t = 30)]
    timeout: u64,
}

/// A candle as the file keeps it, numbers in their shortest exact form: the same candles
/// give the same bytes.
fn line(c: &Candle) -> String {
    format!(
        "{},{},{},{},{},{}\n",
        c.open_time, c.open, c.high, c.low, c.close, c.volume
    )
}

struct Client {
    agent: ureq::Agent,
    url: String,
    symbol: String,
    timeframe: Timeframe,
    retries: Retries,
}

impl Client {
    /// The closed klines opening in `[from, to]`, at most [`PAGE`], each checked.
    fn page(&self, from: i64, to: i64, now: i64) -> Result<Vec<Candle>> {
        let request = format!(
            "{}?symbol={}&interval={}&startTime={from}&endTime={to}&limit={PAGE}",
            self.url, self.symbol, self.timeframe
        );
        let text = self
            .retries
            .run(
                || http::read_reply(self.agent.get(&request).call(), REPLY_LIMIT, "--timeout"),
                |message, wait| note!("  {message}; retrying in {:.1}s", wait.as_secs_f64()),
            )
            .with_context(|| format!("GET {request}"))?;
        let candles = parse_page(&text, from, to, self.timeframe).with_context(|| format!("GET {request}"))?;
        let step = self.timeframe.millis();
        Ok(candles.iter().take_while(|c| c.open_time + step <= now).collect())
    }
}

/// A klines reply: `[[open_time, "open", "high", "low", "close", "volume", ...], ...]`, each
/// row at the timeframe's boundaries, within the range asked, valid candles in order.
fn parse_page(text: &str, from: i64, to: i64, timeframe: Timeframe) -> Result<Candles> {
    let value: Value =
        serde_json::from_str(text).with_context(|| format!("the reply is not JSON: {}", http::excerpt(text)))?;
    let Value::Array(klines) = value else {
        bail!("the reply is not a list of klines: {}", http::excerpt(text));
    };
    let mut rows = Vec::with_capacity(klines.len());
    for (i, kline) in klines.iter().enumerate() {
        let fields = kline.as_array().filter(|f| f.len() >= 6);
        let Some(fields) = fields else {
            bail!(
                "kline {i} is not a list of at least 6 fields: {}",
                http::excerpt(&kline.to_string())
            );
        };
        let Some(open_time) = fields[0].as_i64() else {
            bail!("kline {i}: the open time {} is not an integer", fields[0]);
        };
        if open_time % timeframe.millis() != 0 || !(from..=to).contains(&open_time) {
            bail!(
                "kline {i} opens at {}, not a {timeframe} boundary in the range asked",
                format_ms(open_time)
            );
        }
        let mut values = [0.0; 5];
        for (k, name) in ["open", "high", "low", "close", "volume"].iter().enumerate() {
            let field = &fields[k + 1];
            let number = match field {
                Value::String(s) => s.parse::<f64>().ok(),
                Value::Number(n) => n.as_f64(),
                _ => None,
            };
            values[k] = number
                .filter(|x| x.is_finite())
                .with_context(|| format!("kline {i}: the {name} {field} is not a number"))?;
        }
        let [open, high, low, close, volume] = values;
        rows.push(Candle {
            open_time,
            open,
            high,
            low,
            close,
            volume,
        });
    }
    // The spec's data rules, strictly increasing open times among them.
    Ok(Candles::from_rows(rows, |i| format!("kline {i}"))?)
}

/// The candles a file or part holds, checked.
fn read_candles(path: &Path) -> Result<Candles> {
    let file = File::open(path).with_context(|| format!("opening {}", path.display()))?;
    parse_candles_from(std::io::BufReader::new(file)).with_context(|| format!("in {}", path.display()))
}

/// `candles` read from `path`, refused unless they are of `timeframe`.
fn of_timeframe(candles: Candles, path: &Path, timeframe: Timeframe) -> Result<Candles> {
    let own = candles.detect_timeframe();
    let step = timeframe.millis();
    if own.is_some_and(|tf| tf != timeframe) || candles.open_time.iter().any(|t| t % step != 0) {
        let what = own.map_or("candles off the boundaries".to_owned(), |tf| format!("{tf} candles"));
        bail!(
            "{} holds {what}, not {timeframe} ones; nothing was changed",
            path.display()
        );
    }
    Ok(candles)
}

/// The part file to grow and the candles it holds: the one a stopped run left (cut back
/// to its last whole line), else a copy of the file, else a new one with only the header.
fn open_part(target: &Path, part: &Path, timeframe: Timeframe) -> Result<Candles> {
    if part.exists() {
        let bytes = std::fs::read(part).with_context(|| format!("reading {}", part.display()))?;
        let whole = bytes.iter().rposition(|&b| b == b'\n').map_or(0, |i| i + 1);
        if whole <= HEADER.len() {
            std::fs::write(part, HEADER)?;
            return Ok(Candles::with_capacity(0));
        }
        if whole < bytes.len() {
            OpenOptions::new().write(true).open(part)?.set_len(whole as u64)?;
        }
        note!("resuming the download kept in {}", part.display());
        let candles = read_candles(part)
            .with_context(|| format!("delete {} to download again from the start", part.display()))?;
        return of_timeframe(candles, part, timeframe);
    }
    if target.exists() {
        // A file that is not candles of this timeframe is refused, never extended; one in
        // another layout of columns is rewritten in this one.
        let candles = of_timeframe(read_candles(target)?, target, timeframe)?;
        write_part(part, candles.iter())?;
        return Ok(candles);
    }
    std::fs::write(part, HEADER).with_context(|| format!("writing {}", part.display()))?;
    Ok(Candles::with_capacity(0))
}

/// A part holding the header and `candles`, flushed to disk.
fn write_part(part: &Path, candles: impl Iterator<Item = Candle>) -> Result<()> {
    let mut text = HEADER.to_owned();
    text.extend(candles.map(|c| line(&c)));
    let mut file = File::create(part).with_context(|| format!("writing {}", part.display()))?;
    file.write_all(text.as_bytes())?;
    file.sync_data()?;
    Ok(())
}

/// Appends and flushes to disk, so a page written is a page kept.
fn append(part: &Path, rows: &[Candle]) -> Result<()> {
    let text: String = rows.iter().map(line).collect();
    let mut file = OpenOptions::new()
        .append(true)
        .open(part)
        .with_context(|| format!("opening {}", part.display()))?;
    file.write_all(text.as_bytes())?;
    file.sync_data()?;
    Ok(())
}

/// Fetches `[from, end)` page by page into `sink`, `from` a kline the caller may check.
fn fetch(
    client: &Client,
    mut from: i64,
    end: i64,
    now: i64,
    bar: &indicatif::ProgressBar,
    mut sink: impl FnMut(&[Candle]) -> Result<()>,
) -> Result<()> {
    let step = client.timeframe.millis();
    while from < end {
        let rows = client.page(from, end - 1, now)?;
        let Some(last) = rows.last() else { break };
        from = last.open_time + step;
        bar.inc(rows.len() as u64);
        sink(&rows)?;
        if rows.len() < PAGE {
            break;
        }
    }
    Ok(())
}

pub(crate) fn run(args: DownloadArgs) -> Result<()> {
    let symbol = args.symbol.trim().to_ascii_uppercase();
    if symbol.is_empty() || symbol.len() > 20 || !symbol.chars().all(|c| c.is_ascii_alphanumeric()) {
        bail!(
            "--symbol `{}` is not a market name (letters and digits, as ETHUSDT)",
            args.symbol
        );
    }
    let instant = |flag: &str, text: &str| {
        parse_instant_ms(text)
            .with_context(|| format!("--{flag} `{text}` is not a date, an ISO-8601 date-time or epoch milliseconds"))
    };
    let now = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| d.as_millis() as i64);
    let start = instant("start", &args.start)?;
    let end = match &args.end {
        Some(text) => instant("end", text)?,
        None => now,
    };
    if start >= end {
        bail!("--start {} is not before --end {}", format_ms(start), format_ms(end));
    }
    let timeframe = args.timeframe;
    let step = timeframe.millis();
    let start = start.div_euclid(step) * step + if start % step == 0 { 0 } else { step };
    let client = Client {
        agent: ureq::Agent::config_builder()
            .timeout_global(Some(Duration::from_secs(args.timeout)))
            .http_status_as_error(false)
            .build()
            .into(),
        url: format!("{}/api/v3/klines", args.base_url.trim_end_matches('/')),
        symbol: symbol.clone(),
        timeframe,
        retries: Retries {
            retries: args.retries,
            backoff: Duration::from_millis(args.backoff_ms),
            max_wait: Duration::from_secs(120),
            long_wait: LongWait::GiveUp,
        },
    };
    std::fs::create_dir_all(&args.out).with_context(|| format!("creating the folder {}", args.out.display()))?;
    let target = args.out.join(format!("{symbol}-{timeframe}.csv"));
    let part = args.out.join(format!(".{symbol}-{timeframe}.csv.part"));
    let had = open_part(&target, &part, timeframe)?;

    let bar = crate::output::progress(
        ((end - start) / step).saturating_sub(had.len() as i64) as u64,
        "candles",
    );
    let mut added = 0usize;
    let check_overlap = |row: &Candle, kept: Candle, which: &str| -> Result<()> {
        if *row != kept {
            bail!(
                "the server's candle at {} differs from the {which} one of {} (server `{}`, file `{}`); nothing was changed",
                format_ms(kept.open_time),
                target.display(),
                line(row).trim_end(),
                line(&kept).trim_end()
            );
        }
        Ok(())
    };
    if had.is_empty() {
        fetch(&client, start, end, now, &bar, |rows| {
            added += rows.len();
            append(&part, rows)
        })?;
    } else {
        let (first, last) = (had.get(0), had.get(had.len() - 1));
        if start < first.open_time {
            // Earlier candles go before the file's: fetched up to its first one (which
            // must agree), then written with the file's rows after them, as a new part.
            let mut head: Vec<Candle> = Vec::new();
            fetch(&client, start, first.open_time + step, now, &bar, |rows| {
                head.extend_from_slice(rows);
                Ok(())
            })?;
            match head.pop() {
                Some(row) if row.open_time == first.open_time => check_overlap(&row, first, "first")?,
                _ => bail!(
                    "the server has no candle at {}, where {} begins; nothing was changed",
                    format_ms(first.open_time),
                    target.display()
                ),
            }
            added += head.len();
            let rebuilt = part.with_extension("part.new");
            write_part(&rebuilt, head.into_iter().chain(had.iter()))?;
            std::fs::rename(&rebuilt, &part)?;
        }
        if last.open_time + step < end {
            let mut checked = false;
            fetch(&client, last.open_time, end, now, &bar, |rows| {
                let rows = if checked {
                    rows
                } else {
                    checked = true;
                    match rows.first() {
                        Some(row) if row.open_time == last.open_time => check_overlap(row, last, "last")?,
                        _ => bail!(
                            "the server has no candle at {}, where {} ends; nothing was changed",
                            format_ms(last.open_time),
                            target.display()
                        ),
                    }
                    &rows[1..]
                };
                added += rows.len();
                append(&part, rows)
            })?;
        }
    }
    bar.finish_and_clear();
    let candles = read_candles(&part)?;
    if candles.is_empty() {
        std::fs::remove_file(&part)?;
        bail!(
            "the server has no closed {symbol} {timeframe} candles from {} to {}",
            format_ms(start),
            format_ms(end)
        );
    }
    std::fs::rename(&part, &target).with_context(|| format!("renaming {} to {}", part.display(), target.display()))?;
    let gaps = candles.gaps(timeframe);
    say!(
        "{}: {added} new candles; {} in all, {} .. {}, {} gap(s)",
        target.display(),
        candles.len(),
        format_ms(candles.open_time[0]),
        format_ms(candles.open_time[candles.len() - 1]),
        gaps.len()
    );
    Ok(())
}
