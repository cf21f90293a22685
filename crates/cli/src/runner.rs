//! Where a sweep's configs run natively, shared by `btlab sweep`, `btlab optimize` and the
//! benchmarks. The core's plan (`btlab::plan`) decides each chunk: what the store already
//! holds is skipped, the rest run here in parallel (or on an edge worker) and land in one
//! transaction. A killed sweep loses at most the chunk in
//! flight, and re-running it resumes where it stopped.

use std::panic::{AssertUnwindSafe, catch_unwind};
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::{SystemTime, UNIX_EPOCH};

use anyhow::Result;
use btlab::plan::{ChunkOutcome, Failure, Run, check_remote_hashes};
use btlab::store::{Sql, Store};
use btlab::{BacktestConfig, BacktestResult, Market, ValidConfig};
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
    pub counts: ChunkOutcome,
    pub interrupted: bool,
    /// The failure that stopped a `stop_on_error` sweep: its config and message.
    pub stopped_by: Option<(Value, String)>,
}

fn run_local(market: &Market, to_run: &[ValidConfig], pool: &ThreadPool, keep_returns: bool) -> Vec<Run> {
    let _held = market.prepare(to_run);
    pool.install(|| {
        to_run
            .par_iter()
            .map_init(Vec::new, |scratch, valid| {
                // An engine bug in one config is logged like a bad config; the sweep goes on.
                catch_unwind(AssertUnwindSafe(|| market.run_for_sweep(valid, keep_returns, scratch))).map_err(|panic| {
                    let text = panic
                        .downcast_ref::<String>()
                        .cloned()
                        .or_else(|| panic.downcast_ref::<&str>().map(|s| (*s).to_owned()));
                    failure(valid, format!("engine panic: {}", text.unwrap_or_default()))
                })
            })
            .collect()
    })
}

fn failure(valid: &ValidConfig, error: String) -> Failure {
    Failure {
        config_hash: None,
        config: serde_json::to_value(&valid.config).unwrap_or(Value::Null),
        error,
    }
}

pub fn now_ms() -> i64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |d| d.as_millis() as i64)
}

/// Runs `configs` on `market` into `store`, chunk by chunk, calling `progress` after each:
/// the core plans and records each chunk; this decides only where its configs run.
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
        let plan = store.plan_chunk(chunk, &fingerprint, options.keep_returns.is_some())?;
        let runs: Vec<Run> = match executor {
            Executor::Local(pool) => run_local(market, &plan.to_run, pool, options.keep_returns.is_some()),
            Executor::Remote(_) if options.keep_returns.is_some() => {
                anyhow::bail!("--keep-returns needs every candle's equity: run the sweep locally")
            }
            Executor::Remote(remote) => {
                let runs = remote.run(&plan.to_run)?;
                check_remote_hashes(&plan.hashes, runs.iter().map(|run| run.as_ref().ok()))
                    .map_err(|e| anyhow::anyhow!("the edge at {}: {e}", remote.base_url))?;
                runs.into_iter()
                    .zip(&plan.to_run)
                    .map(|(run, valid)| run.map(|result| (result, None)).map_err(|e| failure(valid, e)))
                    .collect()
            }
        };
        // Kept only when it could stop the sweep: the records take the runs.
        let first_failure = options
            .stop_on_error
            .then(|| {
                plan.refused
                    .first()
                    .or_else(|| runs.iter().find_map(|run| run.as_ref().err()))
            })
            .flatten()
            .map(|f| (f.config.clone(), f.error.clone()));
        let sweep = options.keep_returns.map(|id| (id, plan.members.as_slice()));
        outcome.counts += store.record_chunk(&plan.hashes, runs, &plan.refused, sweep, now_ms())?;
        outcome.counts.already_stored += plan.already_stored;
        progress(&outcome);
        if let Some(first) = first_failure {
            outcome.stopped_by = Some(first);
            break;
        }
        if options.stop.load(Ordering::SeqCst) {
            outcome.interrupted = true;
            break;
        }
    }
    Ok(outcome)
}
