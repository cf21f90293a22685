//! `btlab experiments`: the viewer over a store written by `btlab sweep` or exported by the
//! browser. Every query is the core's; this file only draws.

use std::io::Write;
use std::path::{Path, PathBuf};

use anyhow::Result;
use btlab::metrics::Metric;
use btlab::store::{Experiment, Filter, Listing, Sql, Store, Threshold};
use btlab::time::format_ms;
use clap::{Args, Subcommand};

use crate::{DataArgs, files, output};
use btlab::overfit::{SweepOverfitting, experiment_deflated_sharpe, sweep_overfitting};
use btlab::robustness::{Bands, MonteCarlo, MonteCarloOptions, Resampled, monte_carlo, trade_returns};
use btlab_cli::sqlite::open_read_only;

#[derive(Args)]
pub(crate) struct ExperimentsArgs {
    /// The experiment database (a sweep's, or the browser's exported .sqlite file).
    #[arg(long, global = true, default_value = "data/experiments.sqlite")]
    db: PathBuf,
    #[command(subcommand)]
    command: ExperimentsCommand,
}

#[derive(Args, Clone)]
struct FilterArgs {
    #[arg(long)]
    symbol: Option<String>,
    #[arg(long)]
    timeframe: Option<String>,
    #[arg(long)]
    strategy: Option<String>,
    /// A bound on any stored metric, e.g. `sortino_ratio>=1` or `max_drawdown<=0.2`
    /// (repeatable).
    #[arg(long = "where", value_name = "METRIC>=X")]
    thresholds: Vec<String>,
}

impl FilterArgs {
    fn filter(&self) -> Result<Filter> {
        Ok(Filter {
            symbol: self.symbol.clone(),
            timeframe: self.timeframe.clone(),
            strategy: self.strategy.clone(),
            thresholds: self
                .thresholds
                .iter()
                .map(|t| t.parse::<Threshold>())
                .collect::<btlab::Result<_>>()?,
        })
    }
}

#[derive(Subcommand)]
enum ExperimentsCommand {
    /// The best experiments by a metric (lowest first for max_drawdown), and the deflated
    /// Sharpe ratio of the first (when its candles are at hand).
    Top {
        #[arg(default_value = "sharpe_ratio")]
        metric: String,
        #[arg(allow_negative_numbers = true, long, default_value_t = 10)]
        n: usize,
        /// Rank by stability instead: the metric's mean over each config and its grid
        /// neighbours (one step or less on every param and order field), so a config on a
        /// plateau beats a spike.
        #[arg(long)]
        robust: bool,
        /// With --robust: a neighbour is "within" when its value is this close (a fraction
        /// of the config's own).
        #[arg(allow_negative_numbers = true, long, default_value_t = 0.1, requires = "robust")]
        tolerance: f64,
        #[command(flatten)]
        filter: FilterArgs,
        #[command(flatten)]
        data: DataArgs,
        #[arg(long)]
        json: bool,
    },
    /// Counts and best figures per symbol, timeframe and strategy.
    Summary {
        #[arg(long)]
        json: bool,
    },
    /// A page of experiments, filtered and sorted.
    List {
        #[command(flatten)]
        filter: FilterArgs,
        #[arg(long, default_value = "sharpe_ratio")]
        sort: String,
        #[arg(allow_negative_numbers = true, long, default_value_t = 20)]
        limit: usize,
        #[arg(allow_negative_numbers = true, long, default_value_t = 0)]
        offset: usize,
        #[arg(long)]
        json: bool,
    },
    /// One experiment, by `#ID` or by a config_hash prefix, with its deflated Sharpe ratio.
    Show {
        experiment: String,
        #[command(flatten)]
        data: DataArgs,
        #[arg(long)]
        json: bool,
    },
    /// The experiments no other beats on every objective at once (the Pareto front), best
    /// first by the first objective.
    Pareto {
        /// Two to four metrics, e.g. `sharpe_ratio,max_drawdown[,total_trades]` (each in its
        /// own direction: a drawdown is better smaller).
        #[arg(long)]
        objectives: String,
        #[command(flatten)]
        filter: FilterArgs,
        #[arg(long)]
        json: bool,
    },
    /// Monte Carlo of one experiment's trades (re-run on its candles): the 5/50/95% bands
    /// of final return, max drawdown and longest losing streak over shuffles of their order
    /// and bootstraps with replacement, and how often a drawdown reached ruin.
    Montecarlo {
        experiment: String,
        #[arg(long, default_value_t = 1000)]
        runs: usize,
        #[arg(allow_negative_numbers = true, long, default_value_t = 1)]
        seed: u64,
        /// The drawdown that counts as ruin (0.5: half the peak lost).
        #[arg(long, default_value_t = 0.5)]
        ruin_drawdown: f64,
        #[command(flatten)]
        data: DataArgs,
        #[arg(long)]
        json: bool,
    },
    /// The sweeps that kept their daily returns (`btlab sweep --keep-returns`).
    Sweeps {
        #[arg(long)]
        json: bool,
    },
    /// The probability of backtest overfitting of a sweep (CSCV over its daily returns).
    Pbo {
        #[arg(allow_negative_numbers = true, long)]
        sweep: i64,
        /// Blocks the returns are cut into (even, at most 20).
        #[arg(allow_negative_numbers = true, long, default_value_t = btlab::overfit::pbo::DEFAULT_BLOCKS)]
        blocks: usize,
        #[arg(long)]
        json: bool,
    },
    /// Configs across the markets they ran on (a sweep with `symbols:` / `markets:`),
    /// ranked by their worst market's figure, then the median; with the markets where
    /// they beat buy and hold.
    Markets {
        /// The metric ranked by.
        #[arg(long, default_value = "sharpe_ratio")]
        by: String,
        /// Rank configs that ran on at least this many markets (default: as many as any
        /// config ran on).
        #[arg(allow_negative_numbers = true, long)]
        min_markets: Option<usize>,
        #[arg(allow_negative_numbers = true, long, default_value_t = 20)]
        limit: usize,
        #[command(flatten)]
        filter: FilterArgs,
        #[arg(long)]
        json: bool,
    },
    /// The configs that failed, latest first.
    Errors {
        #[arg(allow_negative_numbers = true, long, default_value_t = 10)]
        limit: usize,
        #[arg(long)]
        json: bool,
    },
    /// Every experiment (filtered) to a JSON file.
    Export {
        file: PathBuf,
        /// Replace the file if it exists (never the database itself).
        #[arg(long)]
        force: bool,
        #[command(flatten)]
        filter: FilterArgs,
    },
}

pub(crate) fn run_experiments(args: ExperimentsArgs) -> Result<()> {
    let mut store = open_read_only(&args.db)?;
    let mut out = std::io::stdout().lock();
    match args.command {
        ExperimentsCommand::Top {
            metric,
            n,
            robust: true,
            tolerance,
            filter,
            json,
            ..
        } => {
            let metric: Metric = metric.parse()?;
            let rows = store.robust_top(&filter.filter()?, metric, n, tolerance)?;
            if json {
                writeln!(out, "{}", serde_json::to_string_pretty(&rows)?)?;
            } else if rows.is_empty() {
                writeln!(out, "no experiments")?;
            } else {
                writeln!(out, "{}", robust_table(&rows, metric))?;
                writeln!(
                    out,
                    "by stability: the mean {metric} over each config and its grid neighbours; \
                     within: neighbours within {:.0}% of the config's own",
                    tolerance * 100.0
                )?;
            }
        }
        ExperimentsCommand::Top {
            metric,
            n,
            filter,
            data,
            json,
            ..
        } => {
            let rows = readable(store.top(metric.parse()?, n, &filter.filter()?)?);
            if json {
                writeln!(out, "{}", serde_json::to_string_pretty(&rows)?)?;
            } else if rows.is_empty() {
                writeln!(out, "no experiments")?;
            } else {
                writeln!(out, "{}", experiments_table(&rows))?;
                writeln!(out, "first row: {}", deflated_line(&mut store, &rows[0], &data))?;
            }
        }
        ExperimentsCommand::Sweeps { json } => {
            let rows = store.sweeps()?;
            if json {
                writeln!(out, "{}", serde_json::to_string_pretty(&rows)?)?;
            } else if rows.is_empty() {
                writeln!(out, "no sweep kept its returns (run `btlab sweep --keep-returns`)")?;
            } else {
                let mut table = output::table();
                table.set_header(["sweep", "configs", "with returns", "spec", "when"]);
                for r in rows {
                    table.add_row([
                        r.id.to_string(),
                        r.configs.to_string(),
                        r.with_returns.to_string(),
                        r.spec.chars().take(100).collect(),
                        format_ms(r.created_at),
                    ]);
                }
                writeln!(out, "{table}")?;
            }
        }
        ExperimentsCommand::Pbo { sweep, blocks, json } => {
            let report = sweep_overfitting(&store.sweep_returns(sweep)?, blocks)?;
            if json {
                writeln!(out, "{}", serde_json::to_string_pretty(&report)?)?;
            } else {
                print_overfitting(&mut out, &report)?;
            }
        }
        ExperimentsCommand::Summary { json } => {
            let summary = store.summary()?;
            if json {
                writeln!(out, "{}", serde_json::to_string_pretty(&summary)?)?;
            } else {
                let mut table = output::table();
                table.set_header([
                    "symbol",
                    "tf",
                    "strategy",
                    "experiments",
                    "profitable",
                    "mean sharpe",
                    "best sharpe",
                    "mean return",
                    "best return",
                ]);
                for g in &summary.groups {
                    table.add_row([
                        g.symbol.clone(),
                        g.timeframe.clone(),
                        g.strategy.clone(),
                        g.experiments.to_string(),
                        format!(
                            "{} ({:.0}%)",
                            g.profitable,
                            100.0 * g.profitable as f64 / g.experiments.max(1) as f64
                        ),
                        output::num(g.mean_sharpe),
                        output::num(g.best_sharpe),
                        output::pct(g.mean_return),
                        output::pct(g.best_return),
                    ]);
                }
                writeln!(out, "{table}")?;
                writeln!(out, "{} experiments, {} errors", summary.experiments, summary.errors)?;
            }
        }
        ExperimentsCommand::List {
            filter,
            sort,
            limit,
            offset,
            json,
        } => {
            let filter = filter.filter()?;
            let rows = readable(store.list(&filter, sort.parse()?, limit, offset)?);
            if json {
                writeln!(out, "{}", serde_json::to_string_pretty(&rows)?)?;
            } else {
                let total = store.count(&filter)?;
                if !rows.is_empty() {
                    writeln!(out, "{}", experiments_table(&rows))?;
                }
                let shown = if rows.is_empty() {
                    "none".to_owned()
                } else {
                    format!("{}-{}", offset + 1, offset + rows.len())
                };
                writeln!(out, "{shown} of {total} experiments, by {sort}")?;
            }
        }
        ExperimentsCommand::Show { experiment, data, json } => {
            let e = store.get(&experiment)?;
            let definition = match &e.config.definition {
                Some(hash) => store.definition(hash)?,
                None => None,
            };
            if json {
                let mut value = serde_json::to_value(&e)?;
                if let (Some(source), Some(map)) = (&definition, value.as_object_mut()) {
                    map.insert("definition_source".into(), source.as_str().into());
                }
                writeln!(out, "{}", serde_json::to_string_pretty(&value)?)?;
            } else {
                let c = &e.config;
                writeln!(out, "experiment #{}  config_hash {}", e.id, e.config_hash)?;
                writeln!(
                    out,
                    "{} {} {} {}  [{} .. {})  {} candles",
                    c.symbol,
                    c.timeframe,
                    c.strategy,
                    output::params(c),
                    c.start,
                    c.end,
                    e.candles
                )?;
                writeln!(
                    out,
                    "fees {} bps, slippage {} bps, shorts {}, data {}",
                    c.fee_bps,
                    c.slippage_bps,
                    if c.allow_short { "allowed" } else { "off" },
                    &e.data_fingerprint[..16.min(e.data_fingerprint.len())]
                )?;
                writeln!(out, "{}", output::metrics_table(&e.metrics, c.initial_capital))?;
                writeln!(out, "equity {}", output::sparkline(&e.equity_curve))?;
                writeln!(out, "{}", deflated_line(&mut store, &e, &data))?;
                writeln!(out, "stored {}", format_ms(e.created_at))?;
                if let Some(hash) = &e.config.definition {
                    writeln!(out, "definition {hash}:")?;
                    match &definition {
                        Some(source) => {
                            for line in source.lines() {
                                writeln!(out, "  {line}")?;
                            }
                        }
                        None => writeln!(out, "  (not in this database)")?,
                    }
                }
            }
        }
        ExperimentsCommand::Pareto {
            objectives,
            filter,
            json,
        } => {
            let objectives = btlab::robustness::objectives(&objectives)?;
            let front = store.pareto(&filter.filter()?, &objectives)?;
            if json {
                writeln!(out, "{}", serde_json::to_string_pretty(&front)?)?;
            } else if front.is_empty() {
                writeln!(out, "no experiments with every objective")?;
            } else {
                let mut table = output::table();
                let mut header = vec![
                    "id".to_owned(),
                    "symbol".into(),
                    "tf".into(),
                    "strategy".into(),
                    "params".into(),
                ];
                header.extend(objectives.iter().map(|m| m.name().to_owned()));
                table.set_header(header);
                for e in &front {
                    let c = &e.config;
                    let mut row = vec![
                        format!("#{}", e.id),
                        c.symbol.clone(),
                        c.timeframe.to_string(),
                        c.strategy.clone(),
                        output::params(c),
                    ];
                    row.extend(objectives.iter().map(|&m| output::shown(m, m.value(&e.metrics))));
                    table.add_row(row);
                }
                writeln!(out, "{table}")?;
                let names: Vec<&str> = objectives.iter().map(|m| m.name()).collect();
                writeln!(
                    out,
                    "{} experiments on the Pareto front of {}",
                    front.len(),
                    names.join(", ")
                )?;
            }
        }
        ExperimentsCommand::Montecarlo {
            experiment,
            runs,
            seed,
            ruin_drawdown,
            data,
            json,
        } => {
            let e = store.get(&experiment)?;
            let (market, valid) = crate::promote::experiment_market(&e, &data)?;
            let result = market.run(&valid, btlab::Detail::curve_at_most(2), &mut Vec::new());
            let options = MonteCarloOptions {
                runs,
                seed,
                ruin_drawdown,
                ..MonteCarloOptions::default()
            };
            let mc = monte_carlo(&trade_returns(&result.trades), &options)?;
            if json {
                let value = serde_json::json!({"experiment": e.id, "config_hash": e.config_hash, "monte_carlo": mc});
                writeln!(out, "{}", serde_json::to_string_pretty(&value)?)?;
            } else {
                print_monte_carlo(&mut out, &e, &mc)?;
            }
        }
        ExperimentsCommand::Markets {
            by,
            min_markets,
            limit,
            filter,
            json,
        } => {
            let metric: Metric = by.parse()?;
            let mut ranked = store.across_markets(&filter.filter()?, metric, min_markets)?;
            let total = ranked.len();
            ranked.truncate(limit);
            if json {
                writeln!(out, "{}", serde_json::to_string_pretty(&ranked)?)?;
            } else if ranked.is_empty() {
                writeln!(out, "no experiments")?;
            } else {
                writeln!(out, "{}", across_markets_table(&ranked, metric))?;
                writeln!(
                    out,
                    "{}-{} of {total} configs, by their worst {metric} across markets",
                    1,
                    ranked.len()
                )?;
            }
        }
        ExperimentsCommand::Errors { limit, json } => {
            let rows = store.errors(limit)?;
            if json {
                writeln!(out, "{}", serde_json::to_string_pretty(&rows)?)?;
            } else if rows.is_empty() {
                writeln!(out, "no errors")?;
            } else {
                let mut table = output::table();
                table.set_header(["id", "config", "error", "when"]);
                for r in rows {
                    table.add_row([
                        r.id.to_string(),
                        r.config.to_string(),
                        r.message,
                        format_ms(r.created_at),
                    ]);
                }
                writeln!(out, "{table}")?;
            }
        }
        ExperimentsCommand::Export { file, force, filter } => {
            let existing = files::Existing::RefuseUnless {
                force,
                protected: &args.db,
            };
            let written = export(&mut store, &filter.filter()?, &file, existing)?;
            writeln!(out, "exported {written} experiments to {}", file.display())?;
        }
    }
    Ok(())
}

/// One row per config: its worst and median figure, the markets beating buy and hold,
/// and its figure on each market (a column per market, in the order first stored).
fn across_markets_table(ranked: &[btlab::across_markets::ConfigAcrossMarkets], metric: Metric) -> comfy_table::Table {
    let mut markets: Vec<(String, String)> = Vec::new();
    for config in ranked {
        for m in &config.markets {
            let market = (m.symbol.clone(), m.timeframe.clone());
            if !markets.contains(&market) {
                markets.push(market);
            }
        }
    }
    let show = |v: Option<f64>| output::shown(metric, v);
    let mut table = output::table();
    let mut header = vec![
        "#".to_owned(),
        "strategy".into(),
        "params".into(),
        "worst".into(),
        "median".into(),
        "beat B&H".into(),
    ];
    header.extend(markets.iter().map(|(s, tf)| format!("{s} {tf}")));
    table.set_header(header);
    for (rank, config) in ranked.iter().enumerate() {
        let mut params = serde_json::Value::Object(config.params.clone()).to_string();
        if !config.orders.is_empty() {
            params.push(' ');
            params.push_str(&serde_json::Value::Object(config.orders.clone()).to_string());
        }
        let mut row = vec![
            (rank + 1).to_string(),
            config.strategy.clone(),
            params,
            show(config.worst),
            show(config.median),
            format!("{}/{}", config.beat_buy_hold, config.markets.len()),
        ];
        row.extend(markets.iter().map(|(symbol, timeframe)| {
            config
                .markets
                .iter()
                .find(|m| &m.symbol == symbol && &m.timeframe == timeframe)
                .map_or_else(String::new, |m| show(m.value))
        }));
        table.add_row(row);
    }
    table
}

/// The rows read; each unreadable one is named on stderr, and the rest go on.
fn readable(listing: Listing) -> Vec<Experiment> {
    for problem in &listing.unreadable {
        note!("skipped {problem}");
    }
    listing.experiments
}

/// The deflated Sharpe ratio of an experiment, or why it cannot be computed here.
fn deflated_line<D: Sql>(store: &mut Store<D>, e: &Experiment, data: &DataArgs) -> String {
    let c = &e.config;
    let figure = crate::promote::experiment_market(e, data).and_then(|(market, valid)| {
        let trials = store.trial_sharpes(&c.symbol, c.timeframe.as_str(), &c.strategy)?;
        Ok(experiment_deflated_sharpe(&market, &valid, trials))
    });
    match figure {
        Ok(Some(d)) => format!(
            "deflated Sharpe {:.4} (experiment #{}: best of {} {} {} {} trials, per-candle trial Sharpe variance {:.3e}, \
             skewness {:.2}, kurtosis {:.2}, {} returns)",
            d.probability,
            e.id,
            d.trials,
            c.symbol,
            c.timeframe,
            c.strategy,
            d.trial_sharpe_variance,
            d.skewness,
            d.kurtosis,
            d.observations
        ),
        Ok(None) => format!("deflated Sharpe of experiment #{}: n/a (its returns never vary)", e.id),
        Err(err) => format!("deflated Sharpe of experiment #{}: needs its candles ({err:#})", e.id),
    }
}

fn robust_table(rows: &[btlab::store::RobustExperiment], metric: Metric) -> comfy_table::Table {
    let show = |v: Option<f64>| output::shown(metric, v);
    let mut table = output::table();
    table.set_header([
        "id",
        "symbol",
        "tf",
        "strategy",
        "params",
        metric.name(),
        "stability",
        "neighbours",
        "mean",
        "worst",
        "within",
    ]);
    for r in rows {
        let (e, s) = (&r.experiment, &r.stability);
        let c = &e.config;
        table.add_row([
            format!("#{}", e.id),
            c.symbol.clone(),
            c.timeframe.to_string(),
            c.strategy.clone(),
            output::params(c),
            show(metric.value(&e.metrics)),
            show(s.score),
            s.neighbours.to_string(),
            show(s.neighbour_mean),
            show(s.neighbour_worst),
            s.share_within
                .map_or_else(|| "-".to_owned(), |w| format!("{:.0}%", w * 100.0)),
        ]);
    }
    table
}

fn print_monte_carlo(out: &mut impl Write, e: &Experiment, mc: &MonteCarlo) -> Result<()> {
    let o = &mc.options;
    writeln!(
        out,
        "experiment #{}: {} trades, {} shuffles and {} bootstraps (seed {})",
        e.id, mc.trades, o.runs, o.runs, o.seed
    )?;
    let mut table = output::table();
    table.set_header(["", "actual", "shuffle 5%", "50%", "95%", "bootstrap 5%", "50%", "95%"]);
    // (figure, its actual value, its bands, whether it is a fraction shown as a percent)
    type BandsOf = fn(&Resampled) -> Bands;
    let rows: [(&str, f64, BandsOf, bool); 3] = [
        ("final return", mc.actual.final_return, |r| r.final_return, true),
        ("max drawdown", mc.actual.max_drawdown, |r| r.max_drawdown, true),
        (
            "longest losing streak",
            f64::from(mc.actual.longest_losing_streak),
            |r| r.longest_losing_streak,
            false,
        ),
    ];
    for (name, actual, band, percent) in rows {
        let show = |x: f64| {
            if percent {
                format!("{:.2}%", x * 100.0)
            } else {
                format!("{x:.1}")
            }
        };
        let mut row = vec![name.to_owned(), show(actual)];
        for resampled in [&mc.shuffle, &mc.bootstrap] {
            let b = band(resampled);
            row.extend([show(b.p5), show(b.p50), show(b.p95)]);
        }
        table.add_row(row);
    }
    writeln!(out, "{table}")?;
    writeln!(
        out,
        "probability of a {:.0}% drawdown (ruin): {:.4} shuffled, {:.4} bootstrapped",
        o.ruin_drawdown * 100.0,
        mc.shuffle.ruin_probability,
        mc.bootstrap.ruin_probability
    )?;
    Ok(())
}

fn print_overfitting(out: &mut impl Write, r: &SweepOverfitting) -> Result<()> {
    let p = &r.pbo;
    writeln!(
        out,
        "sweep {}: {} configs x {} daily returns, {} blocks, {} combinations",
        r.sweep, p.configs, p.periods, p.blocks, p.combinations
    )?;
    writeln!(out, "PBO (probability of backtest overfitting): {:.4}", p.pbo)?;
    writeln!(
        out,
        "probability of loss out of sample:        {:.4}",
        p.probability_of_loss
    )?;
    match &r.deflated_sharpe {
        Some(d) => writeln!(
            out,
            "best in sample: experiment #{} (daily Sharpe {:.4}); deflated Sharpe {:.4} over the sweep's {} trials",
            r.best_experiment, r.best_daily_sharpe, d.probability, d.trials
        )?,
        None => writeln!(
            out,
            "best in sample: experiment #{} (returns never vary)",
            r.best_experiment
        )?,
    }
    writeln!(
        out,
        "logits (λ <= 0: the in-sample best ranked at or below the median out of sample):"
    )?;
    let most = r.histogram.iter().map(|b| b.2).max().unwrap_or(1).max(1);
    for (lo, hi, count) in &r.histogram {
        let bar = "#".repeat((count * 40).div_ceil(most));
        writeln!(out, "  [{lo:>6.2}, {hi:>6.2}) {count:>6} {bar}")?;
    }
    Ok(())
}

fn experiments_table(rows: &[Experiment]) -> comfy_table::Table {
    let mut table = output::table();
    table.set_header([
        "id", "hash", "symbol", "tf", "strategy", "params", "return", "sharpe", "max dd", "trades", "win rate",
    ]);
    for e in rows {
        let m = &e.metrics;
        table.add_row([
            format!("#{}", e.id),
            e.config_hash[..10].to_owned(),
            e.config.symbol.clone(),
            e.config.timeframe.to_string(),
            e.config.strategy.clone(),
            output::params(&e.config),
            output::pct(m.total_return),
            output::num(m.sharpe_ratio),
            output::pct(m.max_drawdown),
            m.total_trades.to_string(),
            output::pct(m.win_rate),
        ]);
    }
    table
}

/// Writes the experiments as a JSON array, page by page, to a temporary file renamed into
/// place at the end: an interrupted export never leaves a truncated file behind.
fn export<D: Sql>(store: &mut Store<D>, filter: &Filter, file: &Path, existing: files::Existing<'_>) -> Result<usize> {
    let (mut written, mut offset) = (0, 0);
    files::write_atomically(file, existing, |w| {
        write!(w, "[")?;
        const PAGE: usize = 5000;
        loop {
            let page = store.list(filter, Metric::SharpeRatio, PAGE, offset)?;
            offset += page.experiments.len() + page.unreadable.len();
            let last = page.experiments.len() + page.unreadable.len() < PAGE;
            for e in &readable(page) {
                if written > 0 {
                    write!(w, ",")?;
                }
                write!(w, "\n{}", serde_json::to_string(e)?)?;
                written += 1;
            }
            if last {
                break;
            }
        }
        writeln!(w, "\n]")?;
        Ok(())
    })?;
    Ok(written)
}
