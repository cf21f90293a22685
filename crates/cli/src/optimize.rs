//! `btlab optimize`: the optimizer loop. Each iteration reads what the store holds for this
//! market and strategy, asks DeepSeek (with a key) or the seeded TPE (without) for the next
//! configs, validates them, runs and stores them, and stops early once the best target has
//! not improved by more than `--convergence` for `--patience` iterations.

use std::path::PathBuf;
use std::sync::atomic::AtomicBool;
use std::time::Duration;

use anyhow::{Context, Result, bail};
use btlab::Market;
use btlab::metrics::Metric;
use btlab::optimize::nsga2::{self, ParetoLoop, multi_trials_of};
use btlab::optimize::{OptimizerLoop, Sampler, SearchSpace, Trial, objective, params_key, trials_of};
use btlab::search::parse_grids;
use btlab::store::Experiment;
use btlab::strategy;
use btlab_cli::runner::{Executor, Options, run_chunks};
use btlab_cli::sqlite::open_store;
use clap::Args;
use serde_json::{Map, Value, json};

use crate::deepseek::{DeepSeek, Tried};
use crate::{BacktestArgs, DataArgs, output};

#[derive(Args)]
#[command(args_override_self = true)]
pub(crate) struct OptimizeArgs {
    #[command(flatten)]
    backtest: BacktestArgs,
    /// The metric to optimize (max_drawdown is minimized, the others maximized).
    #[arg(long, default_value = "sharpe_ratio")]
    target: String,
    /// Optimize 2 to 4 metrics at once with NSGA-II (seeded, no key needed): each
    /// iteration is a generation of --population configs; prints the Pareto front.
    #[arg(long, conflicts_with_all = ["target", "sampler"])]
    targets: Option<String>,
    /// With --targets: configs per generation (Optuna's default).
    #[arg(allow_negative_numbers = true, long, default_value_t = btlab::optimize::nsga2::POPULATION, requires = "targets")]
    population: usize,
    #[arg(allow_negative_numbers = true, long, default_value_t = 10)]
    iterations: usize,
    /// Configs asked for per iteration.
    #[arg(allow_negative_numbers = true, long, default_value_t = 8)]
    batch: usize,
    /// Stop when the best target improved by no more than this ...
    #[arg(allow_negative_numbers = true, long, default_value_t = 1e-3)]
    convergence: f64,
    /// ... for this many iterations in a row.
    #[arg(allow_negative_numbers = true, long, default_value_t = 3)]
    patience: usize,
    /// Seed of the no-key optimizer.
    #[arg(allow_negative_numbers = true, long, default_value_t = 0)]
    seed: u64,
    /// The no-key sampler: `tpe`, or `random` (the baseline it is measured against).
    #[arg(long, default_value = "tpe", value_parser = ["tpe", "random"])]
    sampler: String,
    /// Param grids file whose ranges span the search (default: config/param_grids.yaml).
    #[arg(long)]
    grids: Option<PathBuf>,
    /// DeepSeek model (with DEEPSEEK_API_KEY set).
    #[arg(long, default_value = "deepseek-chat")]
    model: String,
    /// Seconds before an API call is abandoned.
    #[arg(allow_negative_numbers = true, long, default_value_t = 60.0)]
    api_timeout: f64,
    /// Retries of an API call after a timeout, a 429 or a 5xx.
    #[arg(allow_negative_numbers = true, long, default_value_t = 3)]
    api_retries: u32,
    /// First retry delay in milliseconds (doubling each time, or the server's Retry-After).
    #[arg(allow_negative_numbers = true, long, default_value_t = 1000)]
    api_backoff_ms: u64,
    #[command(flatten)]
    data: DataArgs,
    #[arg(long, default_value = "data/experiments.sqlite")]
    db: PathBuf,
    /// Print the best experiment and the trajectory as JSON.
    #[arg(long)]
    json: bool,
}

pub(crate) fn run_optimize(args: OptimizeArgs) -> Result<()> {
    let target: Metric = args.target.parse().context("--target")?;
    let targets = args
        .targets
        .as_deref()
        .map(btlab::robustness::objectives)
        .transpose()
        .context("--targets")?;
    let strategy = args.backtest.strategy()?;
    let name = strategy.name();
    let template = args.backtest.config(strategy::default_params(strategy))?;
    let space = match &args.grids {
        Some(path) => {
            let text = crate::files::read_text(path, crate::files::SPEC_LIMIT)?;
            let grids = parse_grids(&text).with_context(|| format!("in {}", path.display()))?;
            let grid = grids
                .get(name)
                .with_context(|| format!("{} has no grid for `{name}`", path.display()))?;
            SearchSpace::from_grid(name, grid)?
        }
        None => SearchSpace::predefined(name)?,
    }
    .fixing_orders_of(&template);
    space.validate_template(&template)?;
    let pareto = targets
        .map(|targets| ParetoLoop::new(space.clone(), targets, args.seed, args.population))
        .transpose()?;
    let series = args
        .data
        .source()
        .load(&template.symbol, template.timeframe, template.start.0, template.end.0)?;
    let market = Market::for_config(&series, &template)?;
    let mut store = open_store(&args.db)?;
    let pool = rayon::ThreadPoolBuilder::new().build()?;
    if let Some(pareto) = pareto {
        return multi_objective(&args, pareto, &template, &market, &mut store, &pool);
    }
    let deepseek = DeepSeek::from_env(
        &args.model,
        Duration::from_secs_f64(args.api_timeout.max(0.001)),
        args.api_retries,
        Duration::from_millis(args.api_backoff_ms),
    );
    match &deepseek {
        Some(d) => note!("optimizer: DeepSeek `{}` (falls back to TPE on any failure)", d.model),
        None if args.sampler == "random" => note!("optimizer: random search (seed {})", args.seed),
        None => note!(
            "optimizer: no DEEPSEEK_API_KEY, heuristic mode: TPE (seed {}, {} random trials first)",
            args.seed,
            btlab::optimize::STARTUP_TRIALS
        ),
    }

    let stop = AtomicBool::new(false);
    let sampler: Sampler = args.sampler.parse()?;
    // The store's history is read once, then again after each iteration's configs land.
    let mut history = store.history(&template, market.fingerprint())?;
    let mut trials = trials_of(&history, target);
    let mut optimizer = OptimizerLoop::new(
        space,
        target,
        sampler,
        args.seed,
        args.batch,
        args.convergence,
        args.patience,
        &trials,
    );
    let mut sources: Vec<String> = Vec::new();
    for iteration in 1..=args.iterations {
        let (proposed, mut source) = match &deepseek {
            Some(api) => propose(api, &optimizer, &history, &trials, iteration),
            None => (Vec::new(), args.sampler.clone()),
        };
        let from_api = proposed.len();
        let params = optimizer.next(&trials, proposed);
        if params.is_empty() {
            note!("the search space has no untried config left");
            break;
        }
        if from_api > 0 && params.len() > from_api {
            source = format!("{source} + {} tpe", params.len() - from_api);
        }
        let space = &optimizer.space;
        let configs = params.into_iter().map(|point| space.config(&template, &point));
        let options = Options {
            chunk_size: args.batch.max(1),
            stop: &stop,
            stop_on_error: false,
            keep_returns: None,
        };
        let outcome = run_chunks(&market, configs, &mut store, &Executor::Local(&pool), &options, |_| {})?;
        history = store.history(&template, market.fingerprint())?;
        trials = trials_of(&history, target);
        let step = optimizer.observe(&trials);
        let leader = leader(&history, target);
        note!(
            "iteration {iteration}/{}: {} new ({source}{}), best {} {} ({}) {}",
            args.iterations,
            outcome.counts.stored,
            if outcome.counts.failed > 0 {
                format!(", {} failed", outcome.counts.failed)
            } else {
                String::new()
            },
            args.target,
            if step.best.is_finite() {
                format!("{:.4}", step.best)
            } else {
                "n/a".into()
            },
            step.gain.map_or_else(|| "first".into(), |g| format!("{g:+.4}")),
            leader.map(|e| output::params(&e.config)).unwrap_or_default()
        );
        sources.push(source);
        if step.converged {
            note!(
                "converged: no improvement above {} for {} iterations",
                args.convergence,
                args.patience
            );
            break;
        }
    }
    let trajectory: Vec<Reported> = optimizer
        .trajectory()
        .iter()
        .zip(&sources)
        .map(|(step, source)| Reported {
            iteration: step.iteration,
            source,
            evaluated: step.evaluated,
            best: step.best,
        })
        .collect();
    report(&history, &args, target, &trajectory)
}

/// `--targets`: the core's NSGA-II loop, a generation per iteration, then the Pareto
/// front of what the store holds for this market and strategy.
fn multi_objective(
    args: &OptimizeArgs,
    mut optimizer: ParetoLoop,
    template: &btlab::BacktestConfig,
    market: &Market,
    store: &mut btlab::store::Store<btlab_cli::sqlite::Sqlite>,
    pool: &rayon::ThreadPool,
) -> Result<()> {
    let targets = optimizer.targets.clone();
    let names: Vec<&str> = targets.iter().map(|t| t.name()).collect();
    note!(
        "optimizer: NSGA-II on {} (seed {}, population {})",
        names.join(", "),
        args.seed,
        args.population
    );
    let stop = AtomicBool::new(false);
    let mut history = store.history(template, market.fingerprint())?;
    for iteration in 1..=args.iterations {
        let params = optimizer.next(&multi_trials_of(&history, &targets));
        if params.is_empty() {
            note!("the search space has no untried config left");
            break;
        }
        let space = &optimizer.space;
        let configs = params.into_iter().map(|point| space.config(template, &point));
        let options = Options {
            chunk_size: args.population,
            stop: &stop,
            stop_on_error: false,
            keep_returns: None,
        };
        let outcome = run_chunks(market, configs, store, &Executor::Local(pool), &options, |_| {})?;
        history = store.history(template, market.fingerprint())?;
        let step = optimizer.observe(&multi_trials_of(&history, &targets));
        note!(
            "generation {iteration}/{}: {} new, {} on the front{}",
            args.iterations,
            outcome.counts.stored,
            step.front,
            step.hypervolume
                .map_or_else(String::new, |h| format!(", hypervolume {h:.4}"))
        );
    }
    if history.is_empty() {
        bail!("nothing was evaluated");
    }
    let front: Vec<&Experiment> = nsga2::front_of(&multi_trials_of(&history, &targets))
        .into_iter()
        .map(|i| &history[i])
        .collect();
    let trajectory = optimizer.trajectory();
    if args.json {
        say!(
            "{}",
            serde_json::to_string_pretty(
                &json!({"targets": names, "front": front, "trajectory": trajectory, "evaluated": history.len()})
            )?
        );
        return Ok(());
    }
    let mut table = output::table();
    let mut header = vec!["id".to_owned(), "params".into()];
    header.extend(names.iter().map(|n| (*n).to_owned()));
    table.set_header(header);
    for e in &front {
        let mut row = vec![format!("#{}", e.id), output::params(&e.config)];
        row.extend(targets.iter().map(|&m| output::shown(m, m.value(&e.metrics))));
        table.add_row(row);
    }
    say!("{table}");
    say!(
        "{} of {} configs on the Pareto front of {}",
        front.len(),
        history.len(),
        names.join(", ")
    );
    let mut growth = output::table();
    growth.set_header(["generation", "evaluated", "on the front", "hypervolume"]);
    for step in trajectory {
        growth.add_row([
            step.generation.to_string(),
            step.evaluated.to_string(),
            step.front.to_string(),
            step.hypervolume.map_or_else(|| "-".into(), |h| format!("{h:.4}")),
        ]);
    }
    say!("{growth}");
    Ok(())
}

/// DeepSeek's configs for the next iteration that pass validation and are untried, and
/// what proposed them; none (and "tpe fallback") when the API fails or gives nothing usable.
fn propose(
    api: &DeepSeek,
    optimizer: &OptimizerLoop,
    history: &[Experiment],
    trials: &[Trial],
    iteration: usize,
) -> (Vec<Map<String, Value>>, String) {
    // The trials are the history's, in its order: each experiment's point.
    let tried: Vec<Tried> = history
        .iter()
        .zip(trials)
        .map(|(e, t)| Tried {
            params: &t.params,
            metrics: &e.metrics,
        })
        .collect();
    let space = &optimizer.space;
    match api.propose(space, optimizer.target, &tried, optimizer.batch) {
        Ok(proposed) => {
            let mut seen: std::collections::HashSet<String> = trials.iter().map(|t| params_key(&t.params)).collect();
            let mut chosen = Vec::new();
            for params in proposed {
                let mut full = space.fixed.clone();
                full.extend(params);
                match space.validate(&full) {
                    Ok(normal) if seen.insert(params_key(&normal)) => chosen.push(normal),
                    Ok(normal) => note!(
                        "  deepseek proposed an already tried config: {}",
                        api.redact(&Value::Object(normal).to_string())
                    ),
                    Err(e) => note!("  deepseek proposed an invalid config: {}", api.redact(&e.to_string())),
                }
                if chosen.len() == optimizer.batch {
                    break;
                }
            }
            if chosen.is_empty() {
                note!("  deepseek gave no usable config: TPE for iteration {iteration}");
                return (chosen, "tpe fallback".into());
            }
            (chosen, "deepseek".into())
        }
        Err(e) => {
            note!("  deepseek failed ({e:#}): falling back to TPE for iteration {iteration}");
            (Vec::new(), "tpe fallback".into())
        }
    }
}

fn leader(history: &[Experiment], target: Metric) -> Option<&Experiment> {
    let mut leader: Option<(&Experiment, f64)> = None;
    for e in history {
        let v = objective(&e.metrics, target);
        if leader.is_none_or(|(_, best)| v > best) {
            leader = Some((e, v));
        }
    }
    leader.map(|(e, _)| e)
}

/// One iteration as reported: the core's step and what proposed its configs.
#[derive(serde::Serialize)]
struct Reported<'a> {
    iteration: usize,
    source: &'a str,
    evaluated: usize,
    best: f64,
}

fn report(history: &[Experiment], args: &OptimizeArgs, target: Metric, trajectory: &[Reported]) -> Result<()> {
    let Some(best) = leader(history, target) else {
        bail!("nothing was evaluated");
    };
    if args.json {
        say!(
            "{}",
            serde_json::to_string_pretty(&json!({"best": best, "trajectory": trajectory, "evaluated": history.len()}))?
        );
        return Ok(());
    }
    say!(
        "best of {} configs by {}: experiment #{} ({}) {}",
        history.len(),
        args.target,
        best.id,
        &best.config_hash[..12],
        output::params(&best.config)
    );
    say!("{}", output::metrics_table(&best.metrics, best.config.initial_capital));
    let mut table = output::table();
    table.set_header([
        "iteration",
        "proposed by",
        "evaluated",
        &format!("best {}", args.target),
    ]);
    for s in trajectory {
        table.add_row([
            s.iteration.to_string(),
            s.source.to_owned(),
            s.evaluated.to_string(),
            format!("{:.4}", s.best),
        ]);
    }
    say!("{table}");
    Ok(())
}
