//! The sweep loop, shared by `btlab sweep` and the benchmarks.
//!
//! Each chunk of configs is hashed, what the store already holds is skipped, the rest run
//! in parallel and land in one transaction. A killed sweep loses at most the chunk in
//! flight, and re-running it resumes where it stopped.

use std::panic::{AssertUnwindSafe, catch_unwind};
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::{SystemTime, UNIX_EPOCH};

use anyhow::Result;
use btlab::store::{CURVE_POINTS, Sql, Store};
use btlab::{BacktestConfig, BacktestResult, Detail, Market, ValidConfig, config_hash};
use rayon::ThreadPool;
use rayon::prelude::*;
use serde_json::Value;

pub struct Options<'a> {
    /// Configs per chunk: run in parallel, stored in one transaction.
    pub chunk_size: usize,
    /// Set (by a Ctrl-C handler) to stop after the chunk in flight.
    pub stop: &'a AtomicBool,
    /// Stop at the first failing config instead of logging it and going on.
    pub stop_on_error: bool,
}

/// What a sweep did, so far or in all.
#[derive(Debug, Default, Clone)]
pub struct Outcome {
    pub stored: usize,
    pub skipped: usize,
    pub failed: usize,
    pub interrupted: bool,
    /// The failure that stopped a `stop_on_error` sweep: its config and message.
    pub stopped_by: Option<(Value, String)>,
}

/// What one config of a chunk became before running.
enum Prepared {
    Run(ValidConfig, String),
    Failed {
        hash: Option<String>,
        config: Value,
        message: String,
    },
}

pub fn now_ms() -> i64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |d| d.as_millis() as i64)
}

/// Runs `configs` on `market` into `store`, chunk by chunk, calling `progress` after each.
pub fn run_chunks<D: Sql>(
    market: &Market,
    mut configs: impl Iterator<Item = btlab::Result<BacktestConfig>>,
    store: &mut Store<D>,
    pool: &ThreadPool,
    options: &Options,
    mut progress: impl FnMut(&Outcome),
) -> Result<Outcome> {
    let fingerprint = market.fingerprint().to_owned();
    let mut outcome = Outcome::default();
    loop {
        let chunk: Vec<BacktestConfig> = configs
            .by_ref()
            .take(options.chunk_size.max(1))
            .collect::<btlab::Result<_>>()?;
        if chunk.is_empty() {
            break;
        }
        let prepared: Vec<Prepared> = chunk
            .into_iter()
            .map(|config| match config.validate() {
                Ok(valid) => {
                    let hash = valid.hash(&fingerprint);
                    Prepared::Run(valid, hash)
                }
                Err(e) => Prepared::Failed {
                    hash: Some(config_hash(&config, &fingerprint)),
                    config: serde_json::to_value(&config).unwrap_or(Value::Null),
                    message: e.to_string(),
                },
            })
            .collect();
        let hashes: Vec<String> = prepared
            .iter()
            .filter_map(|p| match p {
                Prepared::Run(_, hash) => Some(hash.clone()),
                Prepared::Failed { hash, .. } => hash.clone(),
            })
            .collect();
        let known = store.known_hashes(&hashes)?;
        let (mut to_run, mut failures) = (Vec::new(), Vec::new());
        for p in prepared {
            match p {
                Prepared::Run(_, ref hash)
                | Prepared::Failed {
                    hash: Some(ref hash), ..
                } if known.contains(hash) => outcome.skipped += 1,
                Prepared::Run(valid, _) => to_run.push(valid),
                Prepared::Failed { hash, config, message } => failures.push((hash, config, message)),
            }
        }
        market.prepare(&to_run);
        let runs: Vec<std::result::Result<BacktestResult, String>> = pool.install(|| {
            to_run
                .par_iter()
                .map_init(Vec::new, |scratch, valid| {
                    // An engine bug in one config is logged like a bad config; the sweep goes on.
                    catch_unwind(AssertUnwindSafe(|| {
                        market.run(valid, Detail::summary(CURVE_POINTS), scratch)
                    }))
                    .map_err(|panic| {
                        let text = panic
                            .downcast_ref::<String>()
                            .cloned()
                            .or_else(|| panic.downcast_ref::<&str>().map(|s| (*s).to_owned()));
                        format!("engine panic: {}", text.unwrap_or_default())
                    })
                })
                .collect()
        });
        let mut results = Vec::with_capacity(runs.len());
        for (run, valid) in runs.into_iter().zip(&to_run) {
            match run {
                Ok(result) => results.push(result),
                Err(message) => failures.push((
                    Some(valid.hash(&fingerprint)),
                    serde_json::to_value(&valid.config).unwrap_or(Value::Null),
                    message,
                )),
            }
        }
        let now = now_ms();
        outcome.stored += store.insert(&results, now)?;
        store.insert_errors(&failures, now)?;
        outcome.failed += failures.len();
        progress(&outcome);
        if options.stop_on_error
            && let Some((_, config, message)) = failures.into_iter().next()
        {
            outcome.stopped_by = Some((config, message));
            break;
        }
        if options.stop.load(Ordering::SeqCst) {
            outcome.interrupted = true;
            break;
        }
    }
    Ok(outcome)
}
