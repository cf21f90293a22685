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
        match find_file(symbol, timeframe) {
            Some(file) => load_file(&file, timeframe),
            None => bail!(
                "no candles for {symbol} {timeframe}: pass --data FILE, put {symbol}-{timeframe}.csv in ./data/, or use the embedded {}",
                synthetic::SYMBOL
            ),
        }
    }
}

/// Reads and checks a candle file as it streams: memory holds the candles, not the file,
/// and a file over [`files::CANDLE_LIMIT`] is refused before a byte is read.
pub(crate) fn load_file(path: &Path, timeframe: Timeframe) -> Result<Candles> {
    let reader = files::open_bounded(path, files::CANDLE_LIMIT)?;
    let candles = parse_candles_from(reader).with_context(|| format!("in {}", path.display()))?;
    let data_timeframe = candles
        .own_timeframe()
        .with_context(|| format!("in {}", path.display()))?;
    btlab::prepare_series(&candles, data_timeframe, timeframe).with_context(|| format!("in {}", path.display()))
}

/// The first `{dir}/{SYMBOL}-{tf}*.csv` for the timeframe or one that resamples to it.
fn find_file(symbol: &str, timeframe: Timeframe) -> Option<PathBuf> {
    let candidates = Timeframe::ALL
        .into_iter()
        .rev()
        .filter(|tf| tf.millis() <= timeframe.millis() && timeframe.millis() % tf.millis() == 0);
    for tf in candidates {
        for dir in DATA_DIRS {
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
