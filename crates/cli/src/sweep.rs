//! `btlab sweep`: a generator spec run on all cores, chunk by chunk, into the store.
//!
//! Each chunk of configs is hashed, what the store already holds is skipped, the rest run
//! in parallel and land in one transaction. A killed sweep loses at most the chunk in
//! flight, and re-running it resumes where it stopped; Ctrl-C finishes the chunk in
//! flight, stores it, and stops.

use std::panic::{AssertUnwindSafe, catch_unwind};
use std::path::PathBuf;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::{Instant, SystemTime, UNIX_EPOCH};

use anyhow::{Context, Result, bail};
use btlab::search::{SearchType, SweepSpec, parse_grids};
use btlab::store::CURVE_POINTS;
use btlab::{
    BacktestConfig, BacktestResult, Detail, Market, Timeframe, Timestamp, ValidConfig, config_hash, synthetic,
};
use clap::Args;
use indicatif::{ProgressBar, ProgressStyle};
use rayon::prelude::*;
use serde_json::Value;

use crate::DataArgs;
use crate::sqlite::open_store;

#[derive(Args)]
pub struct SweepArgs {
    /// Sweep spec (YAML or JSON): symbol, timeframe, start, end, strategies, param_grids,
    /// search, n_samples, seed, costs. Flags override its fields.
    spec: Option<PathBuf>,
    #[arg(long)]
    symbol: Option<String>,
    #[arg(long)]
    timeframe: Option<Timeframe>,
    #[arg(long)]
    start: Option<String>,
    #[arg(long)]
    end: Option<String>,
    /// A strategy to sweep (repeatable); its grid comes from the spec, --grids or
    /// config/param_grids.yaml.
    #[arg(long = "strategy")]
    strategies: Vec<String>,
    /// `grid` (every combination) or `random` (n-samples seeded draws per strategy).
    #[arg(long)]
    search: Option<String>,
    #[arg(long)]
    n_samples: Option<u64>,
    #[arg(long)]
    seed: Option<u64>,
    /// Param grids file (YAML) to use instead of the predefined ones.
    #[arg(long)]
    grids: Option<PathBuf>,
    #[command(flatten)]
    data: DataArgs,
    /// The experiment database.
    #[arg(long, default_value = "data/experiments.sqlite")]
    db: PathBuf,
    /// Configs per chunk: run in parallel, stored in one transaction.
    #[arg(long, default_value_t = 1000)]
    chunk: usize,
    /// Worker threads (default: all cores).
    #[arg(long)]
    threads: Option<usize>,
    /// Print the counts and the first configs; run nothing.
    #[arg(long)]
    dry_run: bool,
    /// Stop at the first failing config instead of logging it and going on.
    #[arg(long)]
    stop_on_error: bool,
}

fn now_ms() -> i64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |d| d.as_millis() as i64)
}

fn build_spec(args: &SweepArgs) -> Result<SweepSpec> {
    let mut spec = match &args.spec {
        Some(path) => {
            let text = std::fs::read_to_string(path).with_context(|| format!("reading {}", path.display()))?;
            SweepSpec::from_yaml(&text).with_context(|| format!("in {}", path.display()))?
        }
        None => SweepSpec::from_yaml(&format!(
            "{{symbol: {}, timeframe: 15m, start: 2025-01-01, end: 2025-11-01, strategies: [sma]}}",
            synthetic::SYMBOL
        ))?,
    };
    if let Some(symbol) = &args.symbol {
        spec.symbol = symbol.clone();
    }
    if let Some(tf) = args.timeframe {
        spec.timeframe = tf;
    }
    if let Some(start) = &args.start {
        spec.start = Timestamp::parse(start).context("--start")?;
    }
    if let Some(end) = &args.end {
        spec.end = Timestamp::parse(end).context("--end")?;
    }
    if !args.strategies.is_empty() {
        spec.strategies = args.strategies.clone();
    }
    if let Some(search) = &args.search {
        spec.search = match search.as_str() {
            "grid" => SearchType::Grid,
            "random" => SearchType::Random,
            other => bail!("--search must be `grid` or `random`, not `{other}`"),
        };
    }
    if let Some(n) = args.n_samples {
        spec.n_samples = n;
    }
    if let Some(seed) = args.seed {
        spec.seed = seed;
    }
    if let Some(path) = &args.grids {
        let text = std::fs::read_to_string(path).with_context(|| format!("reading {}", path.display()))?;
        let grids = parse_grids(&text).with_context(|| format!("in {}", path.display()))?;
        for (strategy, grid) in grids {
            spec.param_grids.entry(strategy).or_insert(grid);
        }
    }
    Ok(spec)
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

pub fn run_sweep(args: SweepArgs) -> Result<()> {
    let spec = build_spec(&args)?;
    let before = spec.size_before_constraints()?;
    // Counting after constraints walks the generator (cheap: no backtest runs).
    let after = spec.configs()?.count() as u64;
    if args.dry_run {
        println!("{before} combinations, {after} after constraints");
        for config in spec.configs()?.take(10) {
            println!("{}", serde_json::to_string(&config?)?);
        }
        return Ok(());
    }
    if after == 0 {
        bail!("the sweep has no config to run ({before} combinations, none passes the constraints)");
    }
    let series = args
        .data
        .source()
        .load(&spec.symbol, spec.timeframe, spec.start.0, spec.end.0)?;
    let range = BacktestConfig {
        symbol: spec.symbol.clone(),
        timeframe: spec.timeframe,
        start: spec.start,
        end: spec.end,
        strategy: String::new(),
        params: Default::default(),
        initial_capital: spec.initial_capital,
        fee_bps: spec.fee_bps,
        slippage_bps: spec.slippage_bps,
        allow_short: spec.allow_short,
    };
    let market = Market::for_config(&series, &range)?;
    let fingerprint = market.fingerprint().to_owned();
    let mut store = open_store(&args.db)?;
    let pool = rayon::ThreadPoolBuilder::new()
        .num_threads(args.threads.unwrap_or(0))
        .build()?;

    let stop = Arc::new(AtomicBool::new(false));
    {
        let stop = Arc::clone(&stop);
        ctrlc::set_handler(move || stop.store(true, Ordering::SeqCst)).context("installing the Ctrl-C handler")?;
    }
    let bar = ProgressBar::new(after);
    bar.set_style(
        ProgressStyle::with_template("{bar:40} {pos}/{len} configs  {per_sec}  ETA {eta}  {msg}")
            .expect("a valid template"),
    );

    let started = Instant::now();
    let (mut stored, mut skipped, mut failed) = (0usize, 0usize, 0usize);
    let mut configs = spec.configs()?;
    let chunk_size = args.chunk.max(1);
    loop {
        let chunk: Vec<BacktestConfig> = configs.by_ref().take(chunk_size).collect::<btlab::Result<_>>()?;
        if chunk.is_empty() {
            break;
        }
        let chunk_len = chunk.len() as u64;
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
                } if known.contains(hash) => skipped += 1,
                Prepared::Run(valid, _) => to_run.push(valid),
                Prepared::Failed { hash, config, message } => failures.push((hash, config, message)),
            }
        }
        market.prepare(&to_run);
        let outcomes: Vec<std::result::Result<BacktestResult, String>> = pool.install(|| {
            to_run
                .par_iter()
                .map_init(Vec::new, |scratch, valid| {
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
        let mut results = Vec::with_capacity(outcomes.len());
        for (outcome, valid) in outcomes.into_iter().zip(&to_run) {
            match outcome {
                Ok(result) => results.push(result),
                Err(message) => failures.push((
                    Some(valid.hash(&fingerprint)),
                    serde_json::to_value(&valid.config).unwrap_or(Value::Null),
                    message,
                )),
            }
        }
        let now = now_ms();
        stored += store.insert(&results, now)?;
        store.insert_errors(&failures, now)?;
        failed += failures.len();
        bar.inc(chunk_len);
        bar.set_message(format!("{stored} new, {skipped} already stored, {failed} failed"));
        if let Some((_, config, message)) = failures.first().filter(|_| args.stop_on_error) {
            bar.abandon();
            bail!("config {config} failed: {message} (stopped: --stop-on-error)");
        }
        if stop.load(Ordering::SeqCst) {
            bar.abandon();
            eprintln!("interrupted: everything finished so far is stored; run the same sweep again to resume");
            break;
        }
    }
    bar.finish_and_clear();
    let seconds = started.elapsed().as_secs_f64();
    println!(
        "{after} configs ({before} combinations): {stored} stored, {skipped} already stored, {failed} failed \
         in {seconds:.2}s ({:.0} configs/s) -> {}",
        (stored + failed) as f64 / seconds.max(1e-9),
        args.db.display()
    );
    if stored == 0 && failed == 0 && skipped > 0 {
        println!("nothing new: every config of this sweep is already stored");
    }
    Ok(())
}
