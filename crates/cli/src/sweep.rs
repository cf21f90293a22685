//! `btlab sweep`: a generator spec run on all cores into the store (see `runner`), with a
//! progress bar; Ctrl-C finishes the chunk in flight, stores it, and stops.

use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::Instant;

use anyhow::{Context, Result, bail};
use btlab::plan::ChunkOutcome;
use btlab::search::{SweepSpec, parse_grids};
use btlab::store::Sql as _;
use btlab::{Market, Timeframe, Timestamp, synthetic};
use btlab_cli::runner::{Executor, Options, Outcome, Remote, run_chunks};
use btlab_cli::sqlite::open_store;
use clap::Args;
use serde_json::Map;

use crate::DataArgs;

#[derive(Args)]
pub(crate) struct SweepArgs {
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
    #[arg(allow_negative_numbers = true, long)]
    n_samples: Option<u64>,
    #[arg(allow_negative_numbers = true, long)]
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
    #[arg(allow_negative_numbers = true, long, default_value_t = 1000)]
    chunk: usize,
    /// Worker threads (default: all cores).
    #[arg(allow_negative_numbers = true, long)]
    threads: Option<usize>,
    /// Print the counts and the first configs; run nothing.
    #[arg(long)]
    dry_run: bool,
    /// Stop at the first failing config instead of logging it and going on.
    #[arg(long)]
    stop_on_error: bool,
    /// Keep each config's daily returns (for `btlab experiments pbo` and the deflated
    /// Sharpe ratio); about 4 bytes per config per day.
    #[arg(long)]
    keep_returns: bool,
    /// Run the backtests on an edge worker (`/batch-backtest` at this base URL), in
    /// concurrent requests; results are stored exactly as local runs.
    #[arg(long)]
    remote: Option<String>,
}

/// Each market's one-market spec with its candles, loaded before anything runs so a missing
/// file stops the sweep before its first config.
fn load_markets(spec: &SweepSpec, data: &DataArgs) -> Result<Vec<(SweepSpec, Market)>> {
    let markets = spec.markets()?;
    if markets.len() > 1 && data.data.is_some() {
        bail!(
            "--data names one candle file; a sweep over {} markets finds each market's file in --data-dir",
            markets.len()
        );
    }
    let source = data.source();
    markets
        .iter()
        .map(|id| {
            let one = spec.for_market(id);
            let series = source
                .load(&one.symbol, one.timeframe, one.start.0, one.end.0)
                .with_context(|| format!("market {id}"))?;
            let market = Market::for_range(&series, one.timeframe, one.start.0, one.end.0)
                .with_context(|| format!("market {id}"))?;
            Ok((one, market))
        })
        .collect()
}

/// Sweeps above this many configs defer the store's metric indexes to their end.
const BULK_CONFIGS: u64 = 10_000;

/// Page cache 16 MiB (the index build's sorter is bounded by it too), a checkpoint every
/// 64 MiB of WAL.
const BULK_PRAGMAS: &str = "PRAGMA cache_size = -16384; PRAGMA wal_autocheckpoint = 16384;";

fn build_spec(args: &SweepArgs) -> Result<SweepSpec> {
    // Flags go into the spec before it is read: they complete it as well as override it.
    let mut flags = Map::new();
    if let Some(symbol) = &args.symbol {
        flags.insert("symbol".into(), symbol.as_str().into());
    }
    if let Some(tf) = args.timeframe {
        flags.insert("timeframe".into(), tf.as_str().into());
    }
    for (field, flag, value) in [("start", "--start", &args.start), ("end", "--end", &args.end)] {
        if let Some(text) = value {
            let time = Timestamp::parse(text).context(flag)?;
            flags.insert(field.into(), time.0.into());
        }
    }
    if !args.strategies.is_empty() {
        flags.insert("strategies".into(), args.strategies.clone().into());
    }
    if let Some(search) = &args.search {
        match search.as_str() {
            "grid" | "random" => flags.insert("search".into(), search.as_str().into()),
            other => bail!("--search must be `grid` or `random`, not `{other}`"),
        };
    }
    if let Some(n) = args.n_samples {
        flags.insert("n_samples".into(), n.into());
    }
    if let Some(seed) = args.seed {
        flags.insert("seed".into(), seed.into());
    }
    let mut spec = match &args.spec {
        Some(path) => {
            let text = crate::files::read_text(path, crate::files::SPEC_LIMIT)?;
            let mut spec =
                SweepSpec::from_yaml_with(&text, &flags).with_context(|| format!("in {}", path.display()))?;
            crate::definitions::read_spec_files(&mut spec, path.parent().unwrap_or(Path::new(".")))?;
            spec
        }
        None => SweepSpec::from_yaml_with(
            &format!(
                "{{symbol: {}, timeframe: 15m, start: 2025-01-01, end: 2025-11-01, strategies: [sma]}}",
                synthetic::SYMBOL
            ),
            &flags,
        )?,
    };
    if let Some(path) = &args.grids {
        let text = crate::files::read_text(path, crate::files::SPEC_LIMIT)?;
        let grids = parse_grids(&text).with_context(|| format!("in {}", path.display()))?;
        for (strategy, grid) in grids {
            spec.param_grids.entry(strategy).or_insert(grid);
        }
    }
    Ok(spec)
}

pub(crate) fn run_sweep(args: SweepArgs) -> Result<()> {
    let spec = build_spec(&args)?;
    let before = spec.size_before_constraints()?;
    let after = spec.size()? as u64;
    if args.dry_run {
        let markets = spec.markets()?;
        let on = match markets.as_slice() {
            [_] => String::new(),
            many => format!(
                " over {} markets ({})",
                many.len(),
                many.iter().map(ToString::to_string).collect::<Vec<_>>().join(", ")
            ),
        };
        say!("{before} combinations, {after} after constraints{on}");
        for config in spec.configs()?.take(10) {
            say!("{}", serde_json::to_string(&config?)?);
        }
        return Ok(());
    }
    if after == 0 {
        bail!("the sweep has no config to run ({before} combinations, none passes the constraints)");
    }
    let markets = load_markets(&spec, &args.data)?;
    let mut store = open_store(&args.db)?;
    let pool = rayon::ThreadPoolBuilder::new()
        .num_threads(args.threads.unwrap_or(0))
        .build()?;

    let stop = Arc::new(AtomicBool::new(false));
    {
        let stop = Arc::clone(&stop);
        ctrlc::set_handler(move || stop.store(true, Ordering::SeqCst)).context("installing the Ctrl-C handler")?;
    }
    let bar = crate::output::progress(after, "configs");

    let started = Instant::now();
    // A big sweep builds the metric indexes once at its end rather than row by row.
    let bulk = after > BULK_CONFIGS;
    if bulk {
        store.defer_indexes()?;
        // The config_hash index takes random inserts: a small page cache keeps memory flat
        // (the OS caches the file anyway), and rarer checkpoints write each index page
        // back once per many chunks rather than once per chunk.
        store
            .driver()
            .execute_batch(BULK_PRAGMAS)
            .map_err(|e| anyhow::anyhow!("{}: {e}", args.db.display()))?;
    }
    anyhow::ensure!(
        !(args.keep_returns && args.remote.is_some()),
        "--keep-returns runs locally: drop --remote"
    );
    let remote = args.remote.as_deref().map(Remote::new);
    let executor = match &remote {
        Some(remote) => Executor::Remote(remote),
        None => Executor::Local(&pool),
    };
    // One market at a time: its candles and indicators are made once for all its configs.
    let mut outcome = Outcome::default();
    let mut kept_sweeps = Vec::new();
    let mut done_before = 0;
    for (one, market) in &markets {
        let keep_returns = if args.keep_returns {
            let spec_json = btlab::to_canonical_json(&serde_json::to_value(one)?);
            let sweep_id = store.open_sweep(&spec_json, market.fingerprint(), btlab_cli::runner::now_ms())?;
            kept_sweeps.push((sweep_id, format!("{}@{}", one.symbol, one.timeframe)));
            Some(sweep_id)
        } else {
            None
        };
        let of_market = run_chunks(
            market,
            one.configs()?,
            &mut store,
            &executor,
            &Options {
                chunk_size: args.chunk,
                stop: &stop,
                stop_on_error: args.stop_on_error,
                keep_returns,
            },
            |o| {
                let mut c = outcome.counts;
                c += o.counts;
                bar.set_position((done_before + o.counts.taken()) as u64);
                bar.set_message(format!(
                    "{} new, {} already stored, {} failed",
                    c.stored, c.already_stored, c.failed
                ));
            },
        )?;
        done_before += of_market.counts.taken();
        outcome.counts += of_market.counts;
        outcome.interrupted = of_market.interrupted;
        outcome.stopped_by = of_market.stopped_by;
        if outcome.interrupted || outcome.stopped_by.is_some() {
            break;
        }
    }
    if bulk {
        bar.set_message("building the indexes");
        store.build_indexes()?;
    }
    let ChunkOutcome {
        stored,
        already_stored: skipped,
        failed,
    } = outcome.counts;
    if let Some((config, message)) = &outcome.stopped_by {
        bar.abandon();
        bail!("config {config} failed: {message} (stopped: --stop-on-error)");
    }
    if outcome.interrupted {
        bar.abandon();
        note!("interrupted: everything finished so far is stored; run the same sweep again to resume");
    }
    bar.finish_and_clear();
    let seconds = started.elapsed().as_secs_f64();
    say!(
        "{after} configs ({before} combinations): {stored} stored, {skipped} already stored, {failed} failed \
         in {seconds:.2}s ({:.0} configs/s) -> {}",
        (stored + failed) as f64 / seconds.max(1e-3),
        args.db.display()
    );
    if stored == 0 && failed == 0 && skipped > 0 {
        say!("nothing new: every config of this sweep is already stored");
    }
    let several = kept_sweeps.len() > 1;
    for (sweep_id, market) in kept_sweeps {
        let of = if several { format!(" ({market})") } else { String::new() };
        say!("sweep {sweep_id}{of}: daily returns kept (`btlab experiments pbo --sweep {sweep_id}`)");
    }
    if failed > 0 && stored == 0 && skipped == 0 {
        bail!(
            "every config failed ({failed} of {after}; `btlab experiments errors --db {}` lists why)",
            args.db.display()
        );
    }
    Ok(())
}
