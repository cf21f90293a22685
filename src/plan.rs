//! The sweep loop's decisions, once for every face (sans-I/O): what of a chunk of configs
//! to run, what the store already holds, what failed validation; then, given the runs,
//! what becomes a row, an error or a skip. The faces only run the configs (rayon, the
//! page's workers, an edge worker) and make the store durable (SQLite, IndexedDB).
//!
//! A chunk's life: [`Store::plan_chunk`] -> run [`ChunkPlan::to_run`] (each with
//! [`Market::run_for_sweep`] on the face's threads or workers, or remotely, checked by
//! [`check_remote_hashes`]) ->
//! [`Store::record_chunk`]. Every config taken ends in exactly one count of
//! [`ChunkOutcome`]. A face whose runner is another thread or process (the page's
//! workers) sends the runs back as [`pack_runs`]' bytes, the plan's configs beside them.

use std::collections::HashSet;

use serde::{Deserialize, Serialize};
use serde_json::Value;

use crate::config::{BacktestConfig, ValidConfig, config_hash};
use crate::engine::{BacktestResult, Detail, Market};
use crate::error::{Error, Result};
use crate::metrics::Metrics;
use crate::overfit::run_keeping_returns;
use crate::store::{CURVE_POINTS, PeriodReturns, Sql, Store, pack_curve, unpack_curve};

/// A config that cannot run or did not: its hash (when it has one), the config as JSON,
/// and why.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Failure {
    pub config_hash: Option<String>,
    pub config: Value,
    pub error: String,
}

/// One config's run: its result as a sweep stores it, with its daily returns when kept;
/// or why it failed (the failure's own hash is not read: the plan's is).
pub type Run = std::result::Result<(BacktestResult, Option<PeriodReturns>), Failure>;

/// What to do with one chunk.
#[derive(Debug)]
pub struct ChunkPlan {
    /// The configs to run, in order.
    pub to_run: Vec<ValidConfig>,
    /// The `config_hash` of each config to run.
    pub hashes: Vec<String>,
    /// Configs the store holds already (as experiments or as errors): not run again.
    pub already_stored: usize,
    /// Configs refused by validation, to be recorded as errors.
    pub refused: Vec<Failure>,
    /// When the sweep keeps returns, its members: every valid config's hash, stored or
    /// not (empty otherwise: nothing reads them, and the page would carry them across).
    pub members: Vec<String>,
}

/// What a chunk (or a whole sweep) did; the three counts add up to the configs taken.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct ChunkOutcome {
    pub stored: usize,
    pub already_stored: usize,
    pub failed: usize,
}

impl std::ops::AddAssign for ChunkOutcome {
    fn add_assign(&mut self, other: Self) {
        self.stored += other.stored;
        self.already_stored += other.already_stored;
        self.failed += other.failed;
    }
}

impl ChunkOutcome {
    pub fn taken(&self) -> usize {
        self.stored + self.already_stored + self.failed
    }
}

impl<D: Sql> Store<D> {
    /// Plans a chunk of a sweep on data of `fingerprint`: each config is validated and
    /// hashed, and what the store holds is skipped. With `keep_returns`, a stored config
    /// without its daily returns runs again for them (its row stays as it is).
    pub fn plan_chunk(
        &mut self,
        chunk: Vec<BacktestConfig>,
        fingerprint: &str,
        keep_returns: bool,
    ) -> Result<ChunkPlan> {
        let checked: Vec<(String, std::result::Result<ValidConfig, Failure>)> = chunk
            .into_iter()
            .map(|config| match config.validate() {
                Ok(valid) => (valid.hash(fingerprint), Ok(valid)),
                Err(e) => {
                    let hash = config_hash(&config, fingerprint);
                    let failure = Failure {
                        config_hash: Some(hash.clone()),
                        config: serde_json::to_value(&config).unwrap_or(Value::Null),
                        error: e.to_string(),
                    };
                    (hash, Err(failure))
                }
            })
            .collect();
        let hashes: Vec<String> = checked.iter().map(|(hash, _)| hash.clone()).collect();
        let mut known = self.known_hashes(&hashes)?;
        if keep_returns {
            let with_returns = self.with_returns(&hashes)?;
            let runnable: HashSet<&str> = checked
                .iter()
                .filter(|(_, c)| c.is_ok())
                .map(|(hash, _)| hash.as_str())
                .collect();
            known.retain(|hash| with_returns.contains(hash) || !runnable.contains(hash.as_str()));
        }
        let mut plan = ChunkPlan {
            to_run: Vec::new(),
            hashes: Vec::new(),
            already_stored: 0,
            refused: Vec::new(),
            members: Vec::new(),
        };
        for (hash, checked) in checked {
            if keep_returns && checked.is_ok() {
                plan.members.push(hash.clone());
            }
            match checked {
                _ if known.contains(&hash) => plan.already_stored += 1,
                Ok(valid) => {
                    plan.to_run.push(valid);
                    plan.hashes.push(hash);
                }
                Err(failure) => plan.refused.push(failure),
            }
        }
        Ok(plan)
    }

    /// Records what a planned chunk's runs gave (`runs[i]` for `hashes[i]`): results as
    /// experiments, failures and refusals as errors, and with `sweep` the members and
    /// their returns. Applying the same chunk twice changes nothing the second time.
    pub fn record_chunk(
        &mut self,
        hashes: &[String],
        runs: Vec<Run>,
        refused: &[Failure],
        sweep: Option<(i64, &[String])>,
        created_at: i64,
    ) -> Result<ChunkOutcome> {
        let mut results = Vec::with_capacity(runs.len());
        let mut kept = Vec::new();
        let mut failures: Vec<(Option<String>, Value, String)> = refused
            .iter()
            .map(|f| (f.config_hash.clone(), f.config.clone(), f.error.clone()))
            .collect();
        for (run, hash) in runs.into_iter().zip(hashes) {
            match run {
                Ok((result, returns)) => {
                    if let Some(returns) = returns {
                        kept.push((result.config_hash.clone(), returns));
                    }
                    results.push(result);
                }
                Err(f) => failures.push((Some(hash.clone()), f.config, f.error)),
            }
        }
        let inserted = self.insert(&results, created_at)?;
        self.insert_errors(&failures, created_at)?;
        if let Some((sweep_id, members)) = sweep {
            self.insert_sweep_returns(sweep_id, members, &kept)?;
        }
        Ok(ChunkOutcome {
            stored: inserted.stored,
            already_stored: inserted.already_stored,
            failed: inserted.failed + failures.len(),
        })
    }
}

impl Market {
    /// One config of a sweep: a short curve and no trade list, with every candle's
    /// equity turned into daily returns when `keep_returns`.
    pub fn run_for_sweep(
        &self,
        valid: &ValidConfig,
        keep_returns: bool,
        scratch: &mut Vec<i8>,
    ) -> (BacktestResult, Option<PeriodReturns>) {
        if keep_returns {
            let (result, kept) = run_keeping_returns(self, valid, CURVE_POINTS, scratch);
            (result, Some(kept))
        } else {
            (self.run(valid, Detail::summary(CURVE_POINTS), scratch), None)
        }
    }
}

/// A result that ran elsewhere (an edge worker) must carry the hash its config has here:
/// the same config on the same candles has the same hash, so another one means the
/// runner read other candles. Checked before anything of the chunk is stored.
pub fn check_remote_hashes<'a>(
    expected: &[String],
    results: impl IntoIterator<Item = Option<&'a BacktestResult>>,
) -> std::result::Result<(), String> {
    for (result, hash) in results.into_iter().zip(expected) {
        if let Some(result) = result
            && result.config_hash != *hash
        {
            return Err(format!(
                "a result came back with config_hash {} for a config hashed {hash} here: it ran on other candles \
                 (fingerprint {}); nothing of it was stored",
                result.config_hash, result.data_fingerprint
            ));
        }
    }
    Ok(())
}

/// The layout of [`pack_runs`]' bytes, their first byte. Bump it when a field of
/// [`PackedRun`] (or of what it holds: metrics, curve points, returns) changes, and keep
/// reading the old one: packed runs wait in the page's IndexedDB log across upgrades.
const PACKED_RUNS_V1: u8 = 1;

/// One run as it crosses from a runner to the recorder: its result without the config (the
/// plan holds it) and without trades (a sweep keeps none).
#[derive(Serialize, Deserialize)]
enum PackedRun {
    Ran {
        config_hash: String,
        data_fingerprint: String,
        candles: u64,
        first_candle: i64,
        last_candle: i64,
        /// Boxed: the same bytes, a smaller enum.
        metrics: Box<Metrics>,
        /// As the store keeps it ([`pack_curve`]): half the bytes of the points, and no
        /// packing again when recorded.
        #[serde(with = "serde_bytes")]
        curve: Vec<u8>,
        returns: Option<PeriodReturns>,
    },
    Failed {
        error: String,
    },
}

/// A chunk's runs as compact bytes (postcard, a version byte first): a third of their
/// JSON, copied across threads and into IndexedDB as one buffer and read back without
/// parsing text. [`unpack_runs`] joins them to their configs again.
pub fn pack_runs(runs: Vec<Run>) -> Vec<u8> {
    let packed: Vec<PackedRun> = runs
        .into_iter()
        .map(|run| match run {
            Ok((r, returns)) => PackedRun::Ran {
                config_hash: r.config_hash,
                data_fingerprint: r.data_fingerprint,
                candles: r.candles as u64,
                first_candle: r.first_candle,
                last_candle: r.last_candle,
                metrics: Box::new(r.metrics),
                curve: pack_curve(&r.equity_curve),
                returns,
            },
            Err(failure) => PackedRun::Failed { error: failure.error },
        })
        .collect();
    let mut bytes = vec![PACKED_RUNS_V1];
    // Serializing owned plain data into a Vec cannot fail.
    bytes.extend(postcard::to_allocvec(&packed).expect("packing runs"));
    bytes
}

/// The runs of [`pack_runs`]' bytes, each joined to its config (`configs[i]` ran as run
/// `i`). A run's hash is checked against its plan by [`check_remote_hashes`], as any
/// result from elsewhere.
pub fn unpack_runs(bytes: &[u8], configs: Vec<BacktestConfig>) -> Result<Vec<Run>> {
    let bad = |message: String| Error::Data {
        location: "packed runs".into(),
        message,
    };
    let packed: Vec<PackedRun> = match bytes.split_first() {
        Some((&PACKED_RUNS_V1, rest)) => postcard::from_bytes(rest).map_err(|e| bad(e.to_string()))?,
        Some((version, _)) => {
            return Err(bad(format!(
                "layout {version} is not one this btlab reads ({PACKED_RUNS_V1})"
            )));
        }
        None => return Err(bad("empty".into())),
    };
    if packed.len() != configs.len() {
        return Err(bad(format!("{} runs for {} configs", packed.len(), configs.len())));
    }
    packed
        .into_iter()
        .zip(configs)
        .map(|(run, config)| match run {
            PackedRun::Ran {
                config_hash,
                data_fingerprint,
                candles,
                first_candle,
                last_candle,
                metrics,
                curve,
                returns,
            } => Ok(Ok((
                BacktestResult {
                    config_hash,
                    data_fingerprint,
                    config,
                    candles: candles as usize,
                    first_candle,
                    last_candle,
                    metrics: *metrics,
                    equity_curve: unpack_curve(&curve).ok_or_else(|| bad("a curve that is not one".into()))?,
                    buy_hold_curve: Vec::new(),
                    trades: Vec::new(),
                },
                returns,
            ))),
            PackedRun::Failed { error } => Ok(Err(Failure {
                config_hash: None,
                config: serde_json::to_value(&config).unwrap_or(Value::Null),
                error,
            })),
        })
        .collect()
}
