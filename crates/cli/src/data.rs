//! Where candles come from, natively: a file named with `--data`, a file found in the data
//! folders by symbol and timeframe, or the embedded synthetic `DEMO-BTC` series.

use std::path::{Path, PathBuf};

use anyhow::{Context, Result, bail};
use btlab::parse::parse_candles_from;
use btlab::{Candles, Timeframe, synthetic};

use crate::files;

/// Folders searched for `{SYMBOL}-{timeframe}*.csv` when no `--data` is given.
const DATA_DIRS: [&str; 2] = ["data", "tests/data"];

#[derive(Debug, Clone)]
pub(crate) struct DataSource {
    pub file: Option<PathBuf>,
    /// The folder searched instead of [`DATA_DIRS`].
    pub dir: Option<PathBuf>,
    pub seed: u64,
}

impl DataSource {
    /// The series of `symbol` at `timeframe` covering `[start, end)` (the caller cuts the
    /// range), resampled from a smaller timeframe when that is what the file holds.
    pub(crate) fn load(&self, symbol: &str, timeframe: Timeframe, start: i64, end: i64) -> Result<Candles> {
        if let Some(file) = &self.file {
            return load_file(file, timeframe);
        }
        if symbol == synthetic::SYMBOL {
            return Ok(synthetic::generate(timeframe, start, end, self.seed)?);
        }
        let dirs: Vec<&Path> = match &self.dir {
            Some(dir) => vec![dir],
            None => DATA_DIRS.iter().map(Path::new).collect(),
        };
        match find_file(&dirs, symbol, timeframe) {
            Some(file) => load_file(&file, timeframe),
            None => bail!(
                "no candles for {symbol} {timeframe}: pass --data FILE, put {symbol}-{timeframe}.csv in {}, or use the embedded {}",
                dirs.iter()
                    .map(|d| d.display().to_string())
                    .collect::<Vec<_>>()
                    .join(" or "),
                synthetic::SYMBOL
            ),
        }
    }
}

/// Reads and checks a candle file as it streams: memory holds the candles, not the file,
/// and a file over [`files::CANDLE_LIMIT`] is refused before a byte is read.
pub(crate) fn load_file(path: &Path, timeframe: Timeframe) -> Result<Candles> {
    let (candles, data_timeframe) = read_file(path)?;
    btlab::prepare_series(&candles, data_timeframe, timeframe).with_context(|| format!("in {}", path.display()))
}

/// A candle file's candles, checked, and their own timeframe.
fn read_file(path: &Path) -> Result<(Candles, Timeframe)> {
    let reader = files::open_bounded(path, files::CANDLE_LIMIT)?;
    let candles = parse_candles_from(reader).with_context(|| format!("in {}", path.display()))?;
    let timeframe = candles
        .own_timeframe()
        .with_context(|| format!("in {}", path.display()))?;
    Ok((candles, timeframe))
}

/// The first `{dir}/{SYMBOL}-{tf}*.csv` for the timeframe or one that resamples to it.
fn find_file(dirs: &[&Path], symbol: &str, timeframe: Timeframe) -> Option<PathBuf> {
    let candidates = Timeframe::ALL
        .into_iter()
        .rev()
        .filter(|tf| tf.millis() <= timeframe.millis() && timeframe.millis() % tf.millis() == 0);
    for tf in candidates {
        for dir in dirs {
            let prefix = format!("{symbol}-{tf}");
            let Ok(entries) = std::fs::read_dir(dir) else { continue };
            let mut names: Vec<PathBuf> = entries
                .filter_map(|e| e.ok().map(|e| e.path()))
                .filter(|p| {
                    let name = p.file_name().and_then(|n| n.to_str()).unwrap_or("");
                    name.ends_with(".csv")
                        && (name == format!("{prefix}.csv") || name.starts_with(&format!("{prefix}-")))
                })
                .collect();
            names.sort();
            if let Some(found) = names.into_iter().next() {
                return Some(found);
            }
        }
    }
    None
}

/// `btlab data`: the candle files at hand, as freqtrade's `list-data` shows them.
#[derive(clap::Args)]
pub(crate) struct DataCommandArgs {
    #[command(subcommand)]
    command: DataCommand,
}

#[derive(clap::Subcommand)]
enum DataCommand {
    /// Every candle file (.csv, .json) in a folder: symbol, timeframe, range, rows, gaps and
    /// fingerprint; an unreadable one with its error.
    List {
        #[arg(long, default_value = "data")]
        dir: PathBuf,
        #[arg(long)]
        json: bool,
    },
    /// One candle file: its summary and every gap, or the row at fault.
    Check {
        file: PathBuf,
        #[arg(long)]
        json: bool,
    },
    /// Closed candles from Binance's public klines API into `{out}/{SYMBOL}-{tf}.csv`;
    /// run again, it fetches only what is missing.
    Download(crate::download::DownloadArgs),
}

/// What `data list` and `data check` say of one readable file.
#[derive(serde::Serialize)]
struct FileSummary {
    file: String,
    /// The file name up to its first `-` (`BTCUSDT-15m-2025.csv`: BTCUSDT).
    symbol: String,
    timeframe: Timeframe,
    first: String,
    last: String,
    rows: usize,
    gaps: usize,
    missing_candles: i64,
    fingerprint: String,
}

fn summarize(path: &Path) -> Result<(FileSummary, Vec<btlab::candles::Gap>)> {
    let (candles, timeframe) = read_file(path)?;
    let gaps = candles.gaps(timeframe);
    let name = path.file_name().and_then(|n| n.to_str()).unwrap_or_default();
    let summary = FileSummary {
        file: path.display().to_string(),
        symbol: name.split(['-', '.']).next().unwrap_or_default().to_owned(),
        timeframe,
        first: btlab::time::format_ms(candles.open_time[0]),
        last: btlab::time::format_ms(candles.open_time[candles.len() - 1]),
        rows: candles.len(),
        gaps: gaps.len(),
        missing_candles: gaps.iter().map(|g| g.missing).sum(),
        fingerprint: candles.fingerprint(),
    };
    Ok((summary, gaps))
}

pub(crate) fn run_data(args: DataCommandArgs) -> Result<()> {
    match args.command {
        DataCommand::Download(args) => crate::download::run(args)?,
        DataCommand::List { dir, json } => {
            let entries = std::fs::read_dir(&dir).with_context(|| format!("reading the folder {}", dir.display()))?;
            let mut paths: Vec<PathBuf> = entries
                .filter_map(|e| e.ok().map(|e| e.path()))
                .filter(|p| p.extension().is_some_and(|x| x == "csv" || x == "json"))
                .collect();
            paths.sort();
            let rows: Vec<std::result::Result<FileSummary, String>> = paths
                .iter()
                .map(|p| {
                    summarize(p)
                        .map(|(s, _)| s)
                        .map_err(|e| format!("{}: {e:#}", p.display()))
                })
                .collect();
            if json {
                let values: Vec<serde_json::Value> = rows
                    .iter()
                    .map(|r| match r {
                        Ok(s) => serde_json::to_value(s).unwrap_or_default(),
                        Err(e) => serde_json::json!({ "error": e }),
                    })
                    .collect();
                say!("{}", serde_json::to_string_pretty(&values)?);
                return Ok(());
            }
            let mut table = crate::output::table();
            table.set_header([
                "file",
                "symbol",
                "tf",
                "first",
                "last",
                "rows",
                "gaps (missing)",
                "fingerprint",
            ]);
            for row in &rows {
                match row {
                    Ok(s) => table.add_row([
                        s.file.clone(),
                        s.symbol.clone(),
                        s.timeframe.to_string(),
                        s.first.clone(),
                        s.last.clone(),
                        s.rows.to_string(),
                        format!("{} ({})", s.gaps, s.missing_candles),
                        s.fingerprint[..16].to_owned(),
                    ]),
                    Err(e) => table.add_row([e.clone()]),
                };
            }
            say!("{table}");
            if rows.is_empty() {
                note!("no candle files (.csv, .json) in {}", dir.display());
            }
        }
        DataCommand::Check { file, json } => {
            let (summary, gaps) = summarize(&file)?;
            if json {
                say!(
                    "{}",
                    serde_json::to_string_pretty(&serde_json::json!({ "summary": summary, "gaps": gaps }))?
                );
                return Ok(());
            }
            say!(
                "{}: {} {}, {} .. {}, {} rows, fingerprint {}",
                summary.file,
                summary.symbol,
                summary.timeframe,
                summary.first,
                summary.last,
                summary.rows,
                summary.fingerprint
            );
            if gaps.is_empty() {
                say!("no gaps");
            }
            for g in &gaps {
                say!(
                    "gap: {} missing candle(s) after {} (next {})",
                    g.missing,
                    btlab::time::format_ms(g.after),
                    btlab::time::format_ms(g.before)
                );
            }
        }
    }
    Ok(())
}
