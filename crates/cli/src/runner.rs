//! The sweep loop, shared by `btlab sweep` and the benchmarks.
//!
//! Each chunk of configs is hashed, what the store already holds is skipped, the rest run
//! in parallel and land in one transaction. A killed sweep loses at most the chunk in
//! flight, and re-running it resumes where it stopped.

use std::panic::{AssertUnwindSafe, catch_unwind};
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::{SystemTime, UNIX_EPOCH};

use anyhow::Result;
use btlab::overfit::run_keeping_returns;
use btlab::store::{CURVE_POINTS, PeriodReturns, Sql, Store};
use btlab::{BacktestConfig, BacktestResult, Detail, Market, ValidConfig, config_hash};
use rayon::ThreadPool;
use rayon::prelude::*;
use serde_json::Value;

/// Where the backtests of a sweep run.
pub enum Executor<'a> {
    /// On this machine's cores.
    Local(&'a ThreadPool),
    /// On an edge worker's `/batch-backtest` (`btlab sweep --remote URL`).
    Remote(&'a Remote),
}

/// An edge worker, sent sub-chunks of a chunk concurrently.
pub struct Remote {
    pub base_url: String,
    /// Configs per request.
    pub batch: usize,
    /// Requests in flight.
    pub concurrency: usize,
    agent: ureq::Agent,
}

impl Remote {
    pub fn new(base_url: &str) -> Self {
        let config = ureq::Agent::config_builder()
            .timeout_global(Some(std::time::Duration::from_secs(120)))
            .http_status_as_error(false)
            .build();
        Remote {
            base_url: base_url.trim_end_matches('/').to_owned(),
            batch: 100,
            concurrency: 8,
            agent: config.into(),
        }
    }

    /// One request: the outcomes of `configs`, in order.
    fn batch(&self, configs: &[ValidConfig]) -> Result<Vec<std::result::Result<BacktestResult, String>>> {
        let url = format!("{}/batch-backtest", self.base_url);
        let body = serde_json::json!({ "configs": configs.iter().map(|v| &v.config).collect::<Vec<_>>() });
        let mut response = self
            .agent
            .post(&url)
            .send_json(&body)
            .map_err(|e| anyhow::anyhow!("{url}: {e}"))?;
        let status = response.status();
        let text = response
            .body_mut()
            .with_config()
            .limit(256 << 20)
            .read_to_string()
            .map_err(|e| anyhow::anyhow!("{url}: {e}"))?;
        anyhow::ensure!(status.is_success(), "{url} answered {status}: {text}");
        #[derive(serde::Deserialize)]
        struct Outcome {
            result: Option<BacktestResult>,
            error: Option<String>,
        }
        #[derive(serde::Deserialize)]
        struct Reply {
            results: Vec<Outcome>,
        }
        let reply: Reply = serde_json::from_str(&text).map_err(|e| anyhow::anyhow!("{url}: unreadable reply: {e}"))?;
        anyhow::ensure!(
            reply.results.len() == configs.len(),
            "{url}: {} outcomes for {} configs",
            reply.results.len(),
            configs.len()
        );
        Ok(reply
            .results
            .into_iter()
            .map(|o| o.result.ok_or_else(|| o.error.unwrap_or_default()))
            .collect())
    }

    fn run(&self, configs: &[ValidConfig]) -> Result<Vec<std::result::Result<BacktestResult, String>>> {
        let parts: Vec<&[ValidConfig]> = configs.chunks(self.batch.max(1)).collect();
        let mut outcomes = Vec::with_capacity(configs.len());
        for wave in parts.chunks(self.concurrency.max(1)) {
            let replies: Vec<Result<_>> = std::thread::scope(|scope| {
                let handles: Vec<_> = wave.iter().map(|part| scope.spawn(|| self.batch(part))).collect();
                handles
                    .into_iter()
                    .map(|h| {
                        h.join()
                            .unwrap_or_else(|_| Err(anyhow::anyhow!("request thread panicked")))
                    })
                    .collect()
            });
            for reply in replies {
                outcomes.extend(reply?);
            }
        }
        Ok(outcomes)
    }
}

pub struct Options<'a> {
    /// Configs per chunk: run in parallel, stored in one transaction.
    pub chunk_size: usize,
    /// Set (by a Ctrl-C handler) to stop after the chunk in flight.
    pub stop: &'a AtomicBool,
    /// Stop at the first failing config instead of logging it and going on.
    pub stop_on_error: bool,
    /// Keep each config's daily returns as a member of this sweep (`--keep-returns`).
    pub keep_returns: Option<i64>,
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

/// One config's run: its result as stored, and its daily returns when kept.
type Run = std::result::Result<(BacktestResult, Option<PeriodReturns>), String>;

fn run_local(market: &Market, to_run: &[ValidConfig], pool: &ThreadPool, keep_returns: bool) -> Vec<Run> {
    let _held = market.prepare(to_run);
    pool.install(|| {
        to_run
            .par_iter()
            .map_init(Vec::new, |scratch, valid| {
                // An engine bug in one config is logged like a bad config; the sweep goes on.
                catch_unwind(AssertUnwindSafe(|| {
                    if keep_returns {
                        let (result, kept) = run_keeping_returns(market, valid, CURVE_POINTS, scratch);
                        (result, Some(kept))
                    } else {
                        (market.run(valid, Detail::summary(CURVE_POINTS), scratch), None)
                    }
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
    })
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
    executor: &Executor,
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
        let mut known = store.known_hashes(&hashes)?;
        if options.keep_returns.is_some() {
            // A stored config without its returns runs again for them (its row stays as is).
            let with_returns = store.with_returns(&hashes)?;
            let runnable: std::collections::HashSet<&str> = prepared
                .iter()
                .filter_map(|p| match p {
                    Prepared::Run(_, hash) => Some(hash.as_str()),
                    Prepared::Failed { .. } => None,
                })
                .collect();
            known.retain(|hash| with_returns.contains(hash) || !runnable.contains(hash.as_str()));
        }
        let (mut to_run, mut failures) = (Vec::new(), Vec::new());
        let mut members = Vec::new();
        for p in prepared {
            if let Prepared::Run(_, hash) = &p {
                members.push(hash.clone());
            }
            match p {
                Prepared::Run(_, ref hash)
                | Prepared::Failed {
                    hash: Some(ref hash), ..
                } if known.contains(hash) => outcome.skipped += 1,
                Prepared::Run(valid, _) => to_run.push(valid),
                Prepared::Failed { hash, config, message } => failures.push((hash, config, message)),
            }
        }
        let runs: Vec<Run> = match executor {
            Executor::Local(pool) => run_local(market, &to_run, pool, options.keep_returns.is_some()),
            Executor::Remote(_) if options.keep_returns.is_some() => {
                anyhow::bail!("--keep-returns needs every candle's equity: run the sweep locally")
            }
            Executor::Remote(remote) => {
                let runs = remote.run(&to_run)?;
                // The same config on the same candles has the same hash; a different one
                // means the edge read other candles than this machine did.
                for (run, valid) in runs.iter().zip(&to_run) {
                    if let Ok(result) = run {
                        let local = valid.hash(&fingerprint);
                        anyhow::ensure!(
                            result.config_hash == local,
                            "the edge returned config_hash {} for a config hashed {local} here: its candles \
                             (fingerprint {}) differ from this machine's ({fingerprint})",
                            result.config_hash,
                            result.data_fingerprint
                        );
                    }
                }
                runs.into_iter().map(|run| run.map(|result| (result, None))).collect()
            }
        };
        let mut results = Vec::with_capacity(runs.len());
        let mut kept = Vec::new();
        for (run, valid) in runs.into_iter().zip(&to_run) {
            match run {
                Ok((result, returns)) => {
                    if let Some(returns) = returns {
                        kept.push((result.config_hash.clone(), returns));
                    }
                    results.push(result);
                }
                Err(message) => failures.push((
                    Some(valid.hash(&fingerprint)),
                    serde_json::to_value(&valid.config).unwrap_or(Value::Null),
                    message,
                )),
            }
        }
        let now = now_ms();
        let inserted = store.insert(&results, now)?;
        // Every config taken is counted once: a result another writer stored meanwhile
        // (or a duplicate in the chunk) is already stored, an unstorable one failed.
        outcome.stored += inserted.stored;
        outcome.skipped += inserted.already_stored;
        outcome.failed += inserted.failed;
        store.insert_errors(&failures, now)?;
        if let Some(sweep_id) = options.keep_returns {
            store.insert_sweep_returns(sweep_id, &members, &kept)?;
        }
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
