//! `btlab`: the native face of the engine.

/// Writes a line to stdout. A closed pipe (`btlab ... | head`) is an error of kind
/// `BrokenPipe` that `main` ends on quietly; every command's output goes through here.
macro_rules! say {
    ($($arg:tt)*) => {
        $crate::output::say_line(format_args!($($arg)*))?
    };
}

/// Writes a line to stderr, ignoring failure: a closed or full stderr never panics.
macro_rules! note {
    ($($arg:tt)*) => {
        $crate::output::note_line(format_args!($($arg)*))
    };
}

mod data;
mod deepseek;
mod definitions;
mod download;
mod experiments;
mod files;
mod git;
mod http;
mod optimize;
mod output;
mod promote;
mod report;
mod sweep;
mod walkforward;

use std::path::PathBuf;
use std::process::ExitCode;

use anyhow::{Context, Result, bail};
use btlab::strategy::{self, catalog};
use btlab::time::format_ms;
use btlab::{BacktestConfig, Detail, Market, Timeframe, Timestamp, synthetic};
use clap::{Args, Parser, Subcommand};
use serde_json::{Map, Value, json};

use crate::data::DataSource;

#[derive(Parser)]
#[command(
    name = "btlab",
    version,
    about = "Backtest lab: runs, sweeps and experiments on the btlab engine"
)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Run one backtest and print its metrics.
    Run(RunArgs),
    /// Run every config of a JSON file (an array of configs, or {"configs": [...]}).
    Batch(BatchArgs),
    /// Run a parameter sweep (grid or random search) into the experiment database.
    Sweep(sweep::SweepArgs),
    /// View the experiment database: top, summary, list, show, errors, export.
    Experiments(experiments::ExperimentsArgs),
    /// Promote an experiment to a strategy profile (validated, atomic, optionally committed);
    /// also `promote list`, `promote show NAME`, `promote rollback NAME`.
    Promote(promote::PromoteArgs),
    /// The optimizer loop: DeepSeek with DEEPSEEK_API_KEY, seeded TPE without; every
    /// config it tries lands in the store.
    Optimize(optimize::OptimizeArgs),
    /// One experiment as a self-contained HTML file: config, metrics, equity beside buy and
    /// hold, drawdown, monthly returns, trades, Monte Carlo bands, trials and PBO.
    Report(report::ReportArgs),
    /// Walk-forward optimization of a sweep spec with a `walk_forward:` block.
    Walkforward(walkforward::WalkForwardArgs),
    /// The candle files at hand: `data list` (every file of a folder) and `data check FILE`.
    Data(data::DataCommandArgs),
    /// List the strategies with their parameter schemas.
    Strategies {
        #[arg(long)]
        json: bool,
    },
}

#[derive(Args)]
struct DataArgs {
    /// Candle file (Binance kline CSV, klines JSON or headed CSV); default: ./data or the embedded DEMO-BTC.
    #[arg(long)]
    data: Option<PathBuf>,
    /// Folder searched for `{SYMBOL}-{timeframe}*.csv` (default: ./data, then ./tests/data).
    #[arg(long)]
    data_dir: Option<PathBuf>,
    /// Seed of the embedded DEMO-BTC market.
    #[arg(allow_negative_numbers = true, long, default_value_t = synthetic::DEFAULT_SEED)]
    demo_seed: u64,
}

impl DataArgs {
    fn source(&self) -> DataSource {
        DataSource {
            file: self.data.clone(),
            dir: self.data_dir.clone(),
            seed: self.demo_seed,
        }
    }
}

/// What a backtest costs and may do, shared by every command that builds configs.
#[derive(Args)]
struct CostArgs {
    #[arg(allow_negative_numbers = true, long, default_value_t = btlab::config::DEFAULT_CAPITAL)]
    capital: f64,
    #[arg(allow_negative_numbers = true, long, default_value_t = btlab::config::DEFAULT_FEE_BPS)]
    fee_bps: f64,
    #[arg(allow_negative_numbers = true, long, default_value_t = 0.0)]
    slippage_bps: f64,
    #[arg(long)]
    allow_short: bool,
}

/// Stops, exits and sizing (ENGINE.md, "Orders and risk"); each is off unless given.
#[derive(Args, Default)]
pub(crate) struct OrderArgs {
    /// Stop-loss distance from the entry fill: `2%`, `0.02` or `atr14x2` (2 x ATR(14)).
    #[arg(long)]
    stop_loss: Option<String>,
    /// Take-profit distance: as the stop-loss, or `rr2` (twice the stop-loss distance).
    #[arg(long)]
    take_profit: Option<String>,
    /// Trailing stop distance from the best price since entry: `2%` or `atr14x2`.
    #[arg(long)]
    trailing_stop: Option<String>,
    /// Exit at the open after a position has been held this many candles.
    #[arg(long)]
    max_bars: Option<u32>,
    /// Fraction of equity an entry commits, in (0, 1].
    #[arg(long)]
    size: Option<f64>,
    /// Size each entry to lose this fraction of equity at the stop-loss (needs --stop-loss).
    #[arg(long)]
    risk_pct: Option<f64>,
    /// Notional = size x leverage x equity, in [1, 125]; liquidated at equity 0.
    #[arg(long)]
    leverage: Option<f64>,
}

impl OrderArgs {
    /// The order fields of these flags, unchecked (a config's validation checks them).
    pub(crate) fn orders(&self) -> Result<btlab::orders::Orders> {
        let level = |field: &str, text: &Option<String>| {
            text.as_deref()
                .map(|t| btlab::orders::parse_level(field, t))
                .transpose()
                .with_context(|| format!("--{}", field.replace('_', "-")))
        };
        Ok(btlab::orders::Orders {
            stop_loss: level("stop_loss", &self.stop_loss)?,
            take_profit: level("take_profit", &self.take_profit)?,
            trailing_stop: level("trailing_stop", &self.trailing_stop)?,
            max_bars: self.max_bars,
            size: self.size,
            risk_pct: self.risk_pct,
            leverage: self.leverage,
        })
    }
}

/// One backtest's market, range, strategy and costs, as `run` and `optimize` take them.
#[derive(Args)]
pub(crate) struct BacktestArgs {
    #[arg(long, default_value = synthetic::SYMBOL)]
    symbol: String,
    #[arg(long, default_value = "15m")]
    timeframe: Timeframe,
    /// A built-in, or a definition in ./strategies by its name [default: sma].
    #[arg(long)]
    strategy: Option<String>,
    /// A strategy definition file (the strategy language's YAML) to run.
    #[arg(long)]
    strategy_file: Option<PathBuf>,
    /// Start of the range (inclusive): a date, an ISO-8601 time or epoch ms.
    #[arg(long, default_value = "2025-01-01")]
    start: String,
    /// End of the range (exclusive).
    #[arg(long, default_value = "2025-11-01")]
    end: String,
    #[command(flatten)]
    costs: CostArgs,
    #[command(flatten)]
    orders: OrderArgs,
}

impl BacktestArgs {
    /// The strategy of `--strategy` / `--strategy-file`.
    pub(crate) fn strategy(&self) -> Result<&'static dyn strategy::Strategy> {
        definitions::resolve(self.strategy.as_deref(), self.strategy_file.as_deref())
    }

    /// The config of these flags with `params`, unvalidated.
    pub(crate) fn config(&self, params: Map<String, Value>) -> Result<BacktestConfig> {
        let strategy = self.strategy()?;
        Ok(BacktestConfig {
            symbol: self.symbol.clone(),
            timeframe: self.timeframe,
            start: Timestamp::parse(&self.start).context("--start")?,
            end: Timestamp::parse(&self.end).context("--end")?,
            strategy: strategy.name().to_owned(),
            definition: strategy.definition().map(str::to_owned),
            params,
            initial_capital: self.costs.capital,
            fee_bps: self.costs.fee_bps,
            slippage_bps: self.costs.slippage_bps,
            allow_short: self.costs.allow_short,
            orders: self.orders.orders()?,
        })
    }
}

#[derive(Args)]
struct RunArgs {
    #[command(flatten)]
    backtest: BacktestArgs,
    /// Strategy parameters as JSON; default: the strategy's defaults (printed).
    #[arg(long)]
    params: Option<String>,
    #[command(flatten)]
    data: DataArgs,
    /// Print the result as JSON (metrics keyed by the spec's names).
    #[arg(long)]
    json: bool,
    /// With --json: keep every point of the equity curve (default: at most 1000).
    #[arg(long)]
    full_curve: bool,
}

#[derive(Args)]
struct BatchArgs {
    file: PathBuf,
    #[command(flatten)]
    data: DataArgs,
    #[arg(long)]
    json: bool,
}

fn main() -> ExitCode {
    match run(Cli::parse()) {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) if output::is_closed_pipe(&e) => ExitCode::SUCCESS,
        Err(e) => {
            note!("error: {e:#}");
            ExitCode::FAILURE
        }
    }
}

fn run(cli: Cli) -> Result<()> {
    match cli.command {
        Command::Run(args) => run_one(args),
        Command::Batch(args) => run_batch_file(args),
        Command::Sweep(args) => sweep::run_sweep(args),
        Command::Experiments(args) => experiments::run_experiments(args),
        Command::Promote(args) => promote::run_promote(args),
        Command::Optimize(args) => optimize::run_optimize(args),
        Command::Report(args) => report::run_report(args),
        Command::Walkforward(args) => walkforward::run_walk_forward(args),
        Command::Data(args) => data::run_data(args),
        Command::Strategies { json } => list_strategies(json),
    }
}

fn run_one(args: RunArgs) -> Result<()> {
    let strategy = args.backtest.strategy()?;
    let params: Map<String, Value> = match &args.params {
        Some(text) => serde_json::from_str(text).context("--params must be a JSON object")?,
        None => {
            let defaults = strategy::default_params(strategy);
            if !args.json {
                say!("params: {} (the strategy's defaults)", Value::Object(defaults.clone()));
            }
            defaults
        }
    };
    let config = args.backtest.config(params)?;
    let valid = config.validate()?;
    let series = args
        .data
        .source()
        .load(&config.symbol, config.timeframe, config.start.0, config.end.0)?;
    let market = Market::for_config(&series, &valid.config)?;
    let detail = if args.full_curve || !args.json {
        Detail::FULL
    } else {
        Detail::curve_at_most(1000)
    };
    let result = market.run(&valid, detail, &mut Vec::new());
    if args.json {
        say!("{}", serde_json::to_string_pretty(&result)?);
        return Ok(());
    }
    let gaps = market.candles().gaps(config.timeframe);
    say!(
        "{} {} {} {}  {} candles {} .. {}{}",
        config.symbol,
        config.timeframe,
        config.strategy,
        output::params(&result.config),
        result.candles,
        format_ms(result.first_candle),
        format_ms(result.last_candle),
        if gaps.is_empty() {
            String::new()
        } else {
            format!(" ({} gaps)", gaps.len())
        }
    );
    say!(
        "{}",
        output::metrics_table(&result.metrics, result.config.initial_capital)
    );
    say!("config_hash {}", result.config_hash);
    Ok(())
}

/// Runs each config of the file; a bad config is reported in its place and the rest run.
fn run_batch_file(args: BatchArgs) -> Result<()> {
    let source = args.data.source();
    let text = files::read_text(&args.file, files::SPEC_LIMIT)?;
    let items = btlab::config::batch_configs(&text).with_context(|| format!("in {}", args.file.display()))?;
    let outcomes: Vec<Result<btlab::BacktestResult>> = items
        .into_iter()
        .map(|item| {
            let valid = item?.validate()?;
            let config = &valid.config;
            let series = source.load(&config.symbol, config.timeframe, config.start.0, config.end.0)?;
            let market = Market::for_config(&series, config)?;
            Ok(market.run(&valid, Detail::curve_at_most(200), &mut Vec::new()))
        })
        .collect();
    let failed = outcomes.iter().filter(|o| o.is_err()).count();
    if args.json {
        let out: Vec<Value> = outcomes
            .iter()
            .map(|o| match o {
                Ok(r) => json!({"ok": true, "result": r}),
                Err(e) => json!({"ok": false, "error": format!("{e:#}")}),
            })
            .collect();
        say!("{}", serde_json::to_string_pretty(&out)?);
        return all_failed(failed, outcomes.len());
    }
    let mut table = output::table();
    table.set_header([
        "#", "symbol", "tf", "strategy", "params", "return", "sharpe", "max dd", "trades", "error",
    ]);
    for (i, outcome) in outcomes.iter().enumerate() {
        let row = match outcome {
            Ok(r) => vec![
                (i + 1).to_string(),
                r.config.symbol.clone(),
                r.config.timeframe.to_string(),
                r.config.strategy.clone(),
                output::params(&r.config),
                output::pct(r.metrics.total_return),
                output::num(r.metrics.sharpe_ratio),
                output::pct(r.metrics.max_drawdown),
                r.metrics.total_trades.to_string(),
                String::new(),
            ],
            Err(e) => {
                let mut row = vec![(i + 1).to_string()];
                row.extend(std::iter::repeat_n(String::new(), 8));
                row.push(format!("{e:#}"));
                row
            }
        };
        table.add_row(row);
    }
    say!("{table}");
    say!(
        "{} configs: {} ran, {} failed",
        outcomes.len(),
        outcomes.len() - failed,
        failed
    );
    all_failed(failed, outcomes.len())
}

/// A batch or sweep in which nothing succeeded is a failure of the command.
pub(crate) fn all_failed(failed: usize, taken: usize) -> Result<()> {
    if taken == 0 {
        bail!("there was no config to run");
    }
    if failed == taken {
        bail!("every config failed ({failed} of {taken}); nothing ran to the end");
    }
    Ok(())
}

fn list_strategies(json: bool) -> Result<()> {
    let mut strategies = catalog();
    let (defined, broken) = definitions::folder();
    strategies.extend(
        defined
            .iter()
            .map(|(_, d)| strategy::StrategyInfo::from(*d as &dyn strategy::Strategy)),
    );
    for e in &broken {
        note!("{e}");
    }
    if json {
        say!("{}", serde_json::to_string_pretty(&strategies)?);
        return Ok(());
    }
    let mut table = output::table();
    table.set_header(["strategy", "description", "parameters (default, bounds)", "constraints"]);
    for s in strategies {
        let params = s
            .params
            .iter()
            .map(|p| match p.kind {
                strategy::ParamKind::Choice => {
                    format!("{} = {} of {}", p.name, p.default_value(), p.choices.join(", "))
                }
                _ => {
                    let (open, close) = if p.exclusive { ("(", ")") } else { ("[", "]") };
                    format!("{} = {} {open}{}, {}{close}", p.name, p.default, p.min, p.max)
                }
            })
            .collect::<Vec<_>>()
            .join("\n");
        let name = match s.definition {
            Some(hash) => format!("{}\n(defined, {})", s.name, &hash[..12]),
            None => s.name.to_owned(),
        };
        table.add_row([name, s.description.to_owned(), params, s.constraints.join("\n")]);
    }
    say!("{table}");
    Ok(())
}
