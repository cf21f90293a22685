//! btlab's wasm face, the whole of it: the engine for web workers and the edge worker
//! ([`Engine`]), candle parsing and the demo market ([`parse_candles`], [`demo_candles`]),
//! sweep generation ([`Sweep`]), the experiment store on sql.js ([`WebStore`]), and the edge
//! worker's HTTP API (`edge`).
//!
//! Everything is the core's; this file converts values (serde-wasm-bindgen both ways,
//! candles as `Float64Array` columns) and turns errors into readable JS `Error`s.

pub mod edge;
mod sqljs;

use btlab::metrics::{Metric, MetricInfo};
use btlab::optimize::nsga2::{self, MultiTrial, ParetoLoop};
use btlab::optimize::{OptimizerLoop, Sampler, SearchSpace, Trial, trials_of};
use btlab::overfit::walk_forward::{WalkForwardSpec, WindowResult, run_window, stitch};
use btlab::overfit::{experiment_deflated_sharpe, sweep_overfitting};
use btlab::plan::{Failure, Run, check_remote_hashes, pack_runs, unpack_runs};
use btlab::robustness::{self, MonteCarloOptions};
use btlab::search::{Configs, ParamGrid, SweepSpec, predefined_grids};
use btlab::store::{Experiment, Filter, PeriodReturns, Store};
use btlab::strategy::catalog;
use btlab::{BacktestConfig, BacktestResult, Candles, Detail, Market, Timeframe, ValidConfig, config_hash, synthetic};
use js_sys::{Error, Float64Array, Object, Reflect, Uint8Array};
use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};
use wasm_bindgen::prelude::*;

pub use sqljs::Database;
use sqljs::SqlJs;

#[wasm_bindgen(typescript_custom_section)]
const TYPES: &'static str = r#"
export interface CandleColumns {
    open_time: Float64Array; open: Float64Array; high: Float64Array;
    low: Float64Array; close: Float64Array; volume: Float64Array;
}
export interface DatasetInfo {
    candles: number; first: number; last: number; timeframe: string | null;
    gaps: number; missing: number; fingerprint: string;
}
"#;

fn into_error<E: std::fmt::Display>(err: E) -> Error {
    Error::new(&err.to_string())
}

/// Serializes maps as plain objects (not `Map`s), so results read like their JSON.
fn to_js<T: Serialize>(value: &T) -> Result<JsValue, Error> {
    value
        .serialize(&serde_wasm_bindgen::Serializer::json_compatible())
        .map_err(into_error)
}

/// The error names the field at fault (`trial_sharpes: ...`): serde-wasm-bindgen's own
/// message can be a bare JavaScript `TypeError`.
fn from_js<T: for<'de> Deserialize<'de>>(value: JsValue) -> Result<T, Error> {
    serde_path_to_error::deserialize(serde_wasm_bindgen::Deserializer::from(value)).map_err(into_error)
}

/// [`from_js`] for the JSON text a user wrote (a grid, a walk-forward spec): the error
/// names the field at fault. The chunks and outcomes the page's own code writes are parsed
/// plainly: they are large and on the sweep's path.
fn from_json<T: for<'de> Deserialize<'de>>(text: &str) -> Result<T, Error> {
    serde_path_to_error::deserialize(&mut serde_json::Deserializer::from_str(text)).map_err(into_error)
}

fn column(columns: &JsValue, name: &str) -> Result<Vec<f64>, Error> {
    let value = Reflect::get(columns, &JsValue::from_str(name))?;
    value
        .dyn_into::<Float64Array>()
        .map(|a| a.to_vec())
        .map_err(|_| Error::new(&format!("candles: `{name}` must be a Float64Array")))
}

fn candles_from_columns(columns: &JsValue) -> Result<Candles, Error> {
    let open_time = column(columns, "open_time")?;
    let candles = Candles {
        open_time: open_time.iter().map(|&t| t as i64).collect(),
        open: column(columns, "open")?,
        high: column(columns, "high")?,
        low: column(columns, "low")?,
        close: column(columns, "close")?,
        volume: column(columns, "volume")?,
    };
    let n = candles.open_time.len();
    if [
        &candles.open,
        &candles.high,
        &candles.low,
        &candles.close,
        &candles.volume,
    ]
    .iter()
    .any(|c| c.len() != n)
    {
        return Err(Error::new("candles: the columns differ in length"));
    }
    candles.validate(|i| format!("candle {}", i + 1)).map_err(into_error)?;
    Ok(candles)
}

fn columns_of(candles: &Candles) -> Result<JsValue, Error> {
    let out = Object::new();
    let times: Vec<f64> = candles.open_time.iter().map(|&t| t as f64).collect();
    for (name, values) in [
        ("open_time", &times),
        ("open", &candles.open),
        ("high", &candles.high),
        ("low", &candles.low),
        ("close", &candles.close),
        ("volume", &candles.volume),
    ] {
        Reflect::set(&out, &JsValue::from_str(name), &Float64Array::from(values.as_slice()))?;
    }
    Ok(out.into())
}

/// Parses a candle file in any of the spec's formats into columns; errors name the row.
#[wasm_bindgen(js_name = parseCandles)]
pub fn parse_candles(bytes: &[u8]) -> Result<JsValue, Error> {
    let candles = btlab::parse_candles(bytes).map_err(into_error)?;
    columns_of(&candles)
}

/// The embedded synthetic market `DEMO-BTC` at `timeframe` over `[start, end)`.
#[wasm_bindgen(js_name = demoCandles)]
pub fn demo_candles(timeframe: &str, start: f64, end: f64, seed: u64) -> Result<JsValue, Error> {
    let tf: Timeframe = timeframe.parse().map_err(into_error)?;
    columns_of(&synthetic::generate(tf, start as i64, end as i64, seed).map_err(into_error)?)
}

#[wasm_bindgen(js_name = demoSymbol)]
pub fn demo_symbol() -> String {
    synthetic::SYMBOL.to_owned()
}

#[derive(Serialize)]
struct DatasetInfo {
    candles: usize,
    first: i64,
    last: i64,
    timeframe: Option<String>,
    gaps: usize,
    missing: i64,
    fingerprint: String,
}

/// Range, timeframe, gaps and fingerprint of a series, for the datasets list.
#[wasm_bindgen(js_name = datasetInfo)]
pub fn dataset_info(columns: JsValue) -> Result<JsValue, Error> {
    let candles = candles_from_columns(&columns)?;
    let timeframe = candles.detect_timeframe();
    let gaps = timeframe.map(|tf| candles.gaps(tf)).unwrap_or_default();
    to_js(&DatasetInfo {
        candles: candles.len(),
        first: candles.open_time.first().copied().unwrap_or(0),
        last: candles.open_time.last().copied().unwrap_or(0),
        timeframe: timeframe.map(|tf| tf.to_string()),
        gaps: gaps.len(),
        missing: gaps.iter().map(|g| g.missing).sum(),
        fingerprint: candles.fingerprint(),
    })
}

/// The fingerprint of the candles a config over `[start, end)` at `timeframe` runs on (the
/// series resampled when it is of a smaller timeframe): what its `config_hash` covers.
#[wasm_bindgen(js_name = marketFingerprint)]
pub fn market_fingerprint(columns: JsValue, timeframe: &str, start: f64, end: f64) -> Result<String, Error> {
    let tf: Timeframe = timeframe.parse().map_err(into_error)?;
    let series = candles_from_columns(&columns)?.at_timeframe(tf).map_err(into_error)?;
    Ok(series
        .window(start as i64, end as i64)
        .map_err(into_error)?
        .fingerprint())
}

/// The timeframes, in order, with their length (`{name, millis}`): the page's lists of
/// them and the download's candle counts.
#[wasm_bindgen]
pub fn timeframes() -> Result<JsValue, Error> {
    #[derive(Serialize)]
    struct Info {
        name: &'static str,
        millis: i64,
    }
    to_js(&Timeframe::ALL.map(|tf| Info {
        name: tf.as_str(),
        millis: tf.millis(),
    }))
}

/// The metrics every list of them shows (`{name, higher_is_better, format}`), in order.
#[wasm_bindgen]
pub fn metrics() -> Result<JsValue, Error> {
    to_js(&Metric::ALL.map(MetricInfo::from))
}

/// The order fields a sweep axis or an optimizer dimension may vary (`{name, whole}`), in
/// the core's order.
#[wasm_bindgen(js_name = orderFields)]
pub fn order_fields() -> Result<JsValue, Error> {
    #[derive(Serialize)]
    struct Info {
        name: &'static str,
        whole: bool,
    }
    to_js(&btlab::orders::FIELDS.map(|name| Info {
        name,
        whole: btlab::orders::is_whole(name),
    }))
}

/// Names, descriptions and parameter schemas of the strategies.
#[wasm_bindgen]
pub fn strategies() -> Result<JsValue, Error> {
    to_js(&catalog())
}

/// What the editor shows of a definition as it is typed: its errors at their lines and
/// columns, or (when it compiles) its name, hash, parameter schema and constraints. Checked
/// by the same compiler that runs it; nothing is kept.
#[derive(Serialize)]
struct CheckedDefinition {
    ok: bool,
    diagnostics: Vec<btlab::lang::Diagnostic>,
    strategy: Option<Value>,
}

#[wasm_bindgen(js_name = checkDefinition)]
pub fn check_definition(source: &str) -> Result<JsValue, Error> {
    let checked = match btlab::lang::compile(source) {
        Ok(definition) => CheckedDefinition {
            ok: true,
            diagnostics: Vec::new(),
            strategy: Some(definition.catalog_entry()),
        },
        Err(diagnostics) => CheckedDefinition {
            ok: false,
            diagnostics,
            strategy: None,
        },
    };
    to_js(&checked)
}

/// Compiles and keeps a definition in this wasm instance (the main thread's or a
/// worker's), so configs naming its hash run; returns its catalog entry. An error names
/// the line and column.
#[wasm_bindgen(js_name = defineStrategy)]
pub fn define_strategy(source: &str) -> Result<JsValue, Error> {
    let defined = btlab::lang::define(source).map_err(into_error)?;
    to_js(&btlab::strategy::StrategyInfo::from(
        defined as &dyn btlab::strategy::Strategy,
    ))
}

/// Monte Carlo of a result's trades (`BacktestResult.trades`): shuffles and bootstraps,
/// seeded (`options`: `{runs, seed, ruin_drawdown, sample_paths}`, each optional), the
/// same figures as `btlab experiments montecarlo`.
#[wasm_bindgen(js_name = monteCarlo)]
pub fn monte_carlo(trades: JsValue, options: JsValue) -> Result<JsValue, Error> {
    let trades: Vec<btlab::Trade> = from_js(trades)?;
    let options: MonteCarloOptions = if options.is_undefined() || options.is_null() {
        MonteCarloOptions::default()
    } else {
        from_js(options)?
    };
    to_js(&robustness::monte_carlo(&robustness::trade_returns(&trades), &options).map_err(into_error)?)
}

/// The stability of each grid point (`points`: one value per axis each) given its metric
/// value (NaN where there is none): the core's plateau scores, as `btlab experiments top
/// --robust` ranks by them.
#[wasm_bindgen(js_name = plateauScores)]
pub fn plateau_scores(points: JsValue, values: Vec<f64>, metric: &str, tolerance: f64) -> Result<JsValue, Error> {
    let points: Vec<Vec<Value>> = from_js(points)?;
    let metric: Metric = metric.parse().map_err(into_error)?;
    let values: Vec<Option<f64>> = values.into_iter().map(|v| (!v.is_nan()).then_some(v)).collect();
    to_js(&robustness::stability(&points, &values, metric, tolerance).map_err(into_error)?)
}

/// The definitions shipped in `strategies/` (the examples, then the built-ins written as
/// definitions): `{file, source}`.
#[wasm_bindgen(js_name = exampleDefinitions)]
pub fn example_definitions() -> Result<JsValue, Error> {
    let examples: Vec<_> = btlab::lang::EXAMPLES
        .iter()
        .map(|(file, source)| serde_json::json!({"file": file, "source": source}))
        .collect();
    to_js(&examples)
}

/// The predefined grids of `config/param_grids.yaml`.
#[wasm_bindgen(js_name = predefinedGrids)]
pub fn predefined_grids_js() -> Result<JsValue, Error> {
    to_js(&predefined_grids())
}

/// The hash a config has on data of that fingerprint (the config as given, unvalidated).
#[wasm_bindgen(js_name = configHash)]
pub fn config_hash_js(config: JsValue, fingerprint: &str) -> Result<String, Error> {
    let config: BacktestConfig = from_js(config)?;
    Ok(match config.validate() {
        Ok(valid) => valid.hash(fingerprint),
        Err(_) => config_hash(&config, fingerprint),
    })
}

/// One worker's engine: a candle series, loaded once, and a market per range it is asked
/// about (each with its indicator cache, shared by every config over that range).
#[wasm_bindgen]
pub struct Engine {
    series: Candles,
    markets: Vec<((Timeframe, i64, i64), Market)>,
    scratch: Vec<i8>,
}

#[wasm_bindgen]
impl Engine {
    /// `columns`: the candles as `Float64Array`s (see `CandleColumns`).
    #[wasm_bindgen(constructor)]
    pub fn new(columns: JsValue) -> Result<Engine, Error> {
        Ok(Engine {
            series: candles_from_columns(&columns)?,
            markets: Vec::new(),
            scratch: Vec::new(),
        })
    }

    fn market(&mut self, config: &BacktestConfig) -> btlab::Result<&Market> {
        let key = (config.timeframe, config.start.0, config.end.0);
        let index = match self.markets.iter().position(|(k, _)| *k == key) {
            Some(i) => i,
            None => {
                let series = self.series.at_timeframe(config.timeframe)?;
                // Keep a few ranges: a worker serves one sweep at a time.
                if self.markets.len() >= 4 {
                    self.markets.remove(0);
                }
                self.markets.push((key, Market::for_config(&series, config)?));
                self.markets.len() - 1
            }
        };
        Ok(&self.markets[index].1)
    }

    /// A config from the page, valid or refused with the reason as a JS error.
    fn checked(config: JsValue) -> Result<ValidConfig, Error> {
        Self::check(from_js(config)?).map_err(|failed| Error::new(&failed.error))
    }

    /// A config from JSON, validated once: the config to run, or why it cannot.
    fn check(config: Value) -> Result<ValidConfig, Failure> {
        let failed = |config: Value, error: String| Failure {
            config_hash: None,
            config,
            error,
        };
        match serde_json::from_value::<BacktestConfig>(config.clone()) {
            Err(e) => Err(failed(config, format!("config: {e}"))),
            Ok(c) => c.validate().map_err(|e| failed(config, e.to_string())),
        }
    }

    /// `run` on the market of `valid`'s range.
    fn run_one(
        &mut self,
        valid: &ValidConfig,
        run: impl FnOnce(&Market, &mut Vec<i8>) -> (BacktestResult, Option<PeriodReturns>),
    ) -> Run {
        let mut scratch = std::mem::take(&mut self.scratch);
        let outcome = match self.market(&valid.config) {
            Ok(market) => Ok(run(market, &mut scratch)),
            Err(e) => Err(Failure {
                config_hash: None,
                config: serde_json::to_value(&valid.config).unwrap_or(Value::Null),
                error: e.to_string(),
            }),
        };
        self.scratch = scratch;
        outcome
    }

    /// Runs a chunk of configs for a sweep (short curve, no trade list): a JSON array of
    /// configs in (a planned chunk's `to_run`), each one's run out in its place, with its
    /// daily returns when `keep_returns`, as `pack_runs`' bytes: one buffer the worker
    /// transfers, the log keeps and `WebStore.recordPacked` reads without parsing text.
    #[wasm_bindgen(js_name = runChunk)]
    pub fn run_chunk(&mut self, configs_json: &str, keep_returns: bool) -> Result<Vec<u8>, Error> {
        let configs: Vec<Value> = serde_json::from_str(configs_json).map_err(into_error)?;
        let checked: Vec<Result<ValidConfig, Failure>> = configs.into_iter().map(Self::check).collect();
        // Compute the chunk's indicators together before running it, held until it is done.
        let valid: Vec<&ValidConfig> = checked.iter().flatten().collect();
        let _held = valid.first().and_then(|first| {
            let range = first.config.clone();
            let market = self.market(&range).ok()?;
            Some(
                market.prepare(
                    valid
                        .iter()
                        .copied()
                        .filter(|v| v.config.start == range.start && v.config.end == range.end),
                ),
            )
        });
        let runs: Vec<Run> = checked
            .into_iter()
            .map(|c| {
                c.and_then(|valid| {
                    self.run_one(&valid, |market, scratch| {
                        market.run_for_sweep(&valid, keep_returns, scratch)
                    })
                })
            })
            .collect();
        Ok(pack_runs(runs))
    }

    /// One config with every equity point and every trade, for the detail view.
    #[wasm_bindgen(js_name = runDetail)]
    pub fn run_detail(&mut self, config: JsValue) -> Result<JsValue, Error> {
        let valid = Self::checked(config)?;
        let run = self.run_one(&valid, |market, scratch| {
            (market.run(&valid, Detail::FULL, scratch), None)
        });
        match run {
            Ok((result, _)) => to_js(&result),
            Err(failed) => Err(Error::new(&failed.error)),
        }
    }
}

#[wasm_bindgen]
impl Engine {
    /// One walk-forward window (`spec_json`: `{sweep, walk_forward}`): its choice on the
    /// train candles and its test run, as JSON. Workers take windows in parallel; the page
    /// stitches them with `walkForwardStitch`.
    #[wasm_bindgen(js_name = walkWindow)]
    pub fn walk_window(&mut self, spec_json: &str, index: usize) -> Result<String, Error> {
        let spec: WalkForwardSpec = from_json(spec_json)?;
        let windows = spec.windows().map_err(into_error)?;
        let window = windows
            .get(index)
            .ok_or_else(|| Error::new(&format!("no window {index} (the walk has {})", windows.len())))?;
        let series = self.series.at_timeframe(spec.sweep.timeframe).map_err(into_error)?;
        let result = run_window(&spec, &series, window).map_err(into_error)?;
        serde_json::to_string(&result).map_err(into_error)
    }

    /// The deflated Sharpe ratio of `config` re-run on these candles, deflated by the
    /// stored Sharpe ratios of its group (`WebStore.trialSharpes`): what every face shows.
    #[wasm_bindgen(js_name = deflatedSharpe)]
    pub fn deflated_sharpe(&mut self, config: JsValue, trial_sharpes: Vec<f64>) -> Result<JsValue, Error> {
        let valid = Self::checked(config)?;
        let market = self.market(&valid.config).map_err(into_error)?;
        to_js(&experiment_deflated_sharpe(market, &valid, trial_sharpes))
    }

    /// The self-contained HTML report of `config` on these candles, with what the store
    /// knows of it (`WebStore.evidence`): the bytes `btlab report` writes.
    pub fn report(&mut self, config: JsValue, evidence: JsValue) -> Result<String, Error> {
        let evidence: btlab::report::Evidence = from_js(evidence)?;
        let valid = Self::checked(config)?;
        let market = self.market(&valid.config).map_err(into_error)?;
        Ok(btlab::report::experiment_report(market, &valid, &evidence))
    }
}

/// The optimizer loop of `btlab optimize`, seed for seed (the core's `OptimizerLoop`):
/// each iteration's configs from the store's history, then the best, the trajectory and
/// whether it converged once they are stored.
#[wasm_bindgen]
pub struct Optimizer {
    inner: OptimizerLoop,
    template: BacktestConfig,
    fingerprint: String,
}

#[wasm_bindgen]
impl Optimizer {
    /// A loop for `template`'s market, range, costs and strategy on data of `fingerprint`,
    /// over the span of `grid_json` (the strategy's param grid).
    #[wasm_bindgen(constructor)]
    #[allow(clippy::too_many_arguments)]
    pub fn new(
        store: &mut WebStore,
        template: JsValue,
        fingerprint: &str,
        grid_json: &str,
        target: &str,
        sampler: &str,
        seed: u64,
        batch: usize,
        convergence: f64,
        patience: usize,
    ) -> Result<Optimizer, Error> {
        let (template, space) = search_space(template, grid_json)?;
        let sampler: Sampler = sampler.parse().map_err(into_error)?;
        let target: Metric = target.parse().map_err(into_error)?;
        let history = store.trials(&template, fingerprint, target)?;
        let inner = OptimizerLoop::new(space, target, sampler, seed, batch, convergence, patience, &history);
        Ok(Optimizer {
            inner,
            template,
            fingerprint: fingerprint.to_owned(),
        })
    }

    /// The next iteration's configs as a JSON array (`[]` when the space is exhausted):
    /// one chunk for `WebStore.planChunk`, as a sweep's.
    pub fn next(&self, store: &mut WebStore) -> Result<String, Error> {
        let history = store.trials(&self.template, &self.fingerprint, self.inner.target)?;
        configs_json(
            &self.inner.space,
            &self.template,
            &self.inner.next(&history, Vec::new()),
        )
    }

    /// After the iteration's configs are stored: its step (`{iteration, evaluated, best,
    /// gain, converged}`).
    pub fn observe(&mut self, store: &mut WebStore) -> Result<JsValue, Error> {
        let history = store.trials(&self.template, &self.fingerprint, self.inner.target)?;
        to_js(&self.inner.observe(&history))
    }
}

/// An optimizer's template and the space it searches: the span of `grid_json` (the
/// strategy's param grid), the template's order fields fixed.
fn search_space(template: JsValue, grid_json: &str) -> Result<(BacktestConfig, SearchSpace), Error> {
    let template: BacktestConfig = from_js(template)?;
    let grid: ParamGrid = from_json(grid_json)?;
    let space = SearchSpace::from_grid(&template.strategy, &grid)
        .map_err(into_error)?
        .fixing_orders_of(&template);
    Ok((template, space))
}

/// An optimizer's points as the configs of one chunk (JSON, as `WebStore.planChunk` takes).
fn configs_json(
    space: &SearchSpace,
    template: &BacktestConfig,
    points: &[Map<String, Value>],
) -> Result<String, Error> {
    let configs = points
        .iter()
        .map(|point| space.config(template, point))
        .collect::<btlab::Result<Vec<BacktestConfig>>>()
        .map_err(into_error)?;
    serde_json::to_string(&configs).map_err(into_error)
}

/// The NSGA-II loop of `btlab optimize --targets`, seed for seed (the core's
/// `ParetoLoop`): a generation of configs from the store's history, then the front's size
/// and hypervolume once they are stored.
#[wasm_bindgen]
pub struct ParetoOptimizer {
    inner: ParetoLoop,
    template: BacktestConfig,
    fingerprint: String,
}

#[wasm_bindgen]
impl ParetoOptimizer {
    /// A loop for `template`'s market, range, costs and strategy on data of `fingerprint`,
    /// over the span of `grid_json`, on `targets` (`a,b[,c,d]`).
    #[wasm_bindgen(constructor)]
    pub fn new(
        template: JsValue,
        fingerprint: &str,
        grid_json: &str,
        targets: &str,
        seed: u64,
        population: usize,
    ) -> Result<ParetoOptimizer, Error> {
        let (template, space) = search_space(template, grid_json)?;
        let targets = robustness::objectives(targets).map_err(into_error)?;
        let inner = ParetoLoop::new(space, targets, seed, population).map_err(into_error)?;
        Ok(ParetoOptimizer {
            inner,
            template,
            fingerprint: fingerprint.to_owned(),
        })
    }

    /// The next generation's configs as a JSON array (`[]` when the space is exhausted).
    pub fn next(&self, store: &mut WebStore) -> Result<String, Error> {
        let (_, trials) = self.history(store)?;
        configs_json(&self.inner.space, &self.template, &self.inner.next(&trials))
    }

    /// After the generation's configs are stored: `{generation, evaluated, front,
    /// hypervolume}`.
    pub fn observe(&mut self, store: &mut WebStore) -> Result<JsValue, Error> {
        let (_, trials) = self.history(store)?;
        to_js(&self.inner.observe(&trials))
    }

    /// The stored experiments on the Pareto front, best first by the first target.
    pub fn front(&self, store: &mut WebStore) -> Result<JsValue, Error> {
        let (history, trials) = self.history(store)?;
        let front: Vec<&Experiment> = nsga2::front_of(&trials).into_iter().map(|i| &history[i]).collect();
        to_js(&front)
    }

    fn history(&self, store: &mut WebStore) -> Result<(Vec<Experiment>, Vec<MultiTrial>), Error> {
        let history = store
            .store
            .history(&self.template, &self.fingerprint)
            .map_err(into_error)?;
        let trials = nsga2::multi_trials_of(&history, &self.inner.targets);
        Ok((history, trials))
    }
}

/// The windows of a walk-forward spec (`{sweep, walk_forward}` JSON), validated.
#[wasm_bindgen(js_name = walkForwardWindows)]
pub fn walk_forward_windows(spec_json: &str) -> Result<JsValue, Error> {
    let spec: WalkForwardSpec = from_json(spec_json)?;
    to_js(&spec.windows().map_err(into_error)?)
}

/// The stitched report of a walk's window results (the JSON strings of `walkWindow`).
#[wasm_bindgen(js_name = walkForwardStitch)]
pub fn walk_forward_stitch(spec_json: &str, window_results: Vec<String>) -> Result<JsValue, Error> {
    let spec: WalkForwardSpec = from_json(spec_json)?;
    let results = window_results
        .iter()
        .map(|r| serde_json::from_str::<WindowResult>(r))
        .collect::<Result<Vec<_>, _>>()
        .map_err(into_error)?;
    to_js(&stitch(&spec, &results))
}

/// A sweep's configs, generated lazily; the page pulls them chunk by chunk.
#[wasm_bindgen]
pub struct Sweep {
    configs: Configs,
    before: f64,
    after: f64,
}

#[wasm_bindgen]
impl Sweep {
    /// `spec`: a sweep spec object (as `btlab sweep` reads from YAML).
    #[wasm_bindgen(constructor)]
    pub fn new(spec: JsValue) -> Result<Sweep, Error> {
        let spec: SweepSpec = from_js(spec)?;
        // The page runs a sweep on the dataset it holds: one market per `Sweep`.
        let markets = spec.markets().map_err(into_error)?;
        if markets.len() > 1 {
            return Err(into_error(format!(
                "a sweep in the page runs on one dataset; this spec names {} markets (make one Sweep per market)",
                markets.len()
            )));
        }
        let before = spec.size_before_constraints().map_err(into_error)? as f64;
        let after = spec.size().map_err(into_error)? as f64;
        Ok(Sweep {
            configs: spec.configs().map_err(into_error)?,
            before,
            after,
        })
    }

    /// Combinations before constraints.
    #[wasm_bindgen(getter, js_name = sizeBeforeConstraints)]
    pub fn size_before_constraints(&self) -> f64 {
        self.before
    }

    /// Configs after constraints: the progress bar's length.
    #[wasm_bindgen(getter)]
    pub fn size(&self) -> f64 {
        self.after
    }

    /// Up to `n` next configs, as a JSON array (`[]` at the end): `WebStore.planChunk`
    /// validates, hashes and plans them (`WebStore.planNext` takes them straight from here).
    #[wasm_bindgen(js_name = nextChunk)]
    pub fn next_chunk(&mut self, n: usize) -> Result<String, Error> {
        serde_json::to_string(&self.take(n)?).map_err(into_error)
    }
}

impl Sweep {
    fn take(&mut self, n: usize) -> Result<Vec<BacktestConfig>, Error> {
        self.configs
            .by_ref()
            .take(n)
            .collect::<btlab::Result<_>>()
            .map_err(into_error)
    }
}

fn filter(value: JsValue) -> Result<Filter, Error> {
    if value.is_null() || value.is_undefined() {
        return Ok(Filter::default());
    }
    from_js(value)
}

/// The experiment store of the page: the core's schema and queries on a sql.js database.
#[wasm_bindgen]
pub struct WebStore {
    store: Store<SqlJs>,
}

/// An edge worker's outcome of one config, as `/batch-backtest` answers it.
#[derive(Deserialize)]
struct OutcomeIn {
    result: Option<BacktestResult>,
    returns: Option<PeriodReturns>,
    error: Option<String>,
    config: Option<Value>,
}

impl WebStore {
    fn plan(&mut self, chunk: Vec<BacktestConfig>, fingerprint: &str, keep_returns: bool) -> Result<JsValue, Error> {
        let plan = self
            .store
            .plan_chunk(chunk, fingerprint, keep_returns)
            .map_err(into_error)?;
        let configs: Vec<&BacktestConfig> = plan.to_run.iter().map(|v| &v.config).collect();
        to_js(&PlanOut {
            to_run: serde_json::to_string(&configs).map_err(into_error)?,
            hashes: plan.hashes,
            already_stored: plan.already_stored,
            refused: plan.refused,
            members: plan.members,
        })
    }

    fn record_runs(
        &mut self,
        runs: Vec<Run>,
        hashes: &[String],
        refused: JsValue,
        sweep_id: Option<f64>,
        members: &[String],
        created_at: f64,
    ) -> Result<Vec<u32>, Error> {
        let refused: Vec<Failure> = from_js(refused)?;
        if runs.len() != hashes.len() {
            return Err(Error::new(&format!(
                "{} outcomes for {} configs",
                runs.len(),
                hashes.len()
            )));
        }
        check_remote_hashes(
            hashes,
            runs.iter().map(|run| run.as_ref().ok().map(|(result, _)| result)),
        )
        .map_err(|e| Error::new(&e))?;
        let sweep = sweep_id.map(|id| (id as i64, members));
        let counts = self
            .store
            .record_chunk(hashes, runs, &refused, sweep, created_at as i64)
            .map_err(into_error)?;
        Ok(vec![
            counts.stored as u32,
            counts.already_stored as u32,
            counts.failed as u32,
        ])
    }

    /// The optimizer's history for `config`'s market, range, costs and strategy on data of
    /// `fingerprint`, oldest first, as trials of `target`.
    fn trials(&mut self, config: &BacktestConfig, fingerprint: &str, target: Metric) -> Result<Vec<Trial>, Error> {
        let history = self.store.history(config, fingerprint).map_err(into_error)?;
        Ok(trials_of(&history, target))
    }
}

/// A planned chunk as the page holds it: the configs to run as one JSON string (what the
/// workers take), their hashes, and the rest of the core's plan.
#[derive(Serialize)]
struct PlanOut {
    to_run: String,
    hashes: Vec<String>,
    already_stored: usize,
    refused: Vec<Failure>,
    members: Vec<String>,
}

#[wasm_bindgen]
impl WebStore {
    /// Opens `db` (a sql.js `Database`), bringing its schema up to date.
    #[wasm_bindgen(constructor)]
    pub fn new(db: Database) -> Result<WebStore, Error> {
        // The rollback journal in SQLite's own memory, not a file in sql.js's JS file
        // system (a JS call per page written): durability is the IndexedDB log's.
        let driver = SqlJs::new(db).map_err(|e| Error::new(&e))?;
        Ok(WebStore {
            store: Store::open(driver).map_err(into_error)?,
        })
    }

    /// Every definition the store keeps (`{hash, name, source}`): the page hands them to its
    /// workers, so any stored experiment re-runs.
    pub fn definitions(&mut self) -> Result<JsValue, Error> {
        let rows: Vec<_> = self
            .store
            .definitions()
            .map_err(into_error)?
            .into_iter()
            .map(|(hash, name, source)| serde_json::json!({"hash": hash, "name": name, "source": source}))
            .collect();
        to_js(&rows)
    }

    /// The core's plan of a sweep chunk (`Sweep.nextChunk`'s JSON) on data of
    /// `fingerprint`: what to run, what is stored already, what validation refused.
    #[wasm_bindgen(js_name = planChunk)]
    pub fn plan_chunk(&mut self, chunk_json: &str, fingerprint: &str, keep_returns: bool) -> Result<JsValue, Error> {
        let chunk: Vec<BacktestConfig> = serde_json::from_str(chunk_json).map_err(into_error)?;
        self.plan(chunk, fingerprint, keep_returns)
    }

    /// [`Self::plan_chunk`] of `sweep`'s next `n` configs, taken from it here (no JSON of
    /// them crosses into JavaScript and back); `null` once the sweep has none left.
    #[wasm_bindgen(js_name = planNext)]
    pub fn plan_next(
        &mut self,
        sweep: &mut Sweep,
        n: usize,
        fingerprint: &str,
        keep_returns: bool,
    ) -> Result<JsValue, Error> {
        let chunk = sweep.take(n)?;
        if chunk.is_empty() {
            return Ok(JsValue::NULL);
        }
        self.plan(chunk, fingerprint, keep_returns)
    }

    /// Records a planned chunk's outcomes as an edge worker returns them (the JSON of its
    /// results, `outcomes[i]` for `hashes[i]`), the configs `refused` before running,
    /// and with `sweep_id` the sweep's `members` and their returns. A result hashed
    /// otherwise than here is refused before anything is stored. Returns
    /// `[stored, already stored, failed]`.
    #[wasm_bindgen(js_name = recordChunk)]
    pub fn record_chunk(
        &mut self,
        outcomes_json: &str,
        hashes: Vec<String>,
        refused: JsValue,
        sweep_id: Option<f64>,
        members: Vec<String>,
        created_at: f64,
    ) -> Result<Vec<u32>, Error> {
        let outcomes: Vec<OutcomeIn> = serde_json::from_str(outcomes_json).map_err(into_error)?;
        let runs: Vec<Run> = outcomes
            .into_iter()
            .map(|o| match o.result {
                Some(result) => Ok((result, o.returns)),
                None => Err(Failure {
                    config_hash: None,
                    config: o.config.unwrap_or(Value::Null),
                    error: o.error.unwrap_or_default(),
                }),
            })
            .collect();
        self.record_runs(runs, &hashes, refused, sweep_id, &members, created_at)
    }

    /// [`Self::record_chunk`] for the page's own workers: `packed` is `Engine.runChunk`'s
    /// bytes, run from `configs_json` (the plan's `to_run`).
    #[wasm_bindgen(js_name = recordPacked)]
    #[allow(clippy::too_many_arguments)]
    pub fn record_packed(
        &mut self,
        configs_json: &str,
        packed: &[u8],
        hashes: Vec<String>,
        refused: JsValue,
        sweep_id: Option<f64>,
        members: Vec<String>,
        created_at: f64,
    ) -> Result<Vec<u32>, Error> {
        let configs: Vec<BacktestConfig> = serde_json::from_str(configs_json).map_err(into_error)?;
        let runs = unpack_runs(packed, configs).map_err(into_error)?;
        self.record_runs(runs, &hashes, refused, sweep_id, &members, created_at)
    }

    pub fn top(&mut self, metric: &str, n: usize, filter_args: JsValue) -> Result<JsValue, Error> {
        let metric: Metric = metric.parse().map_err(into_error)?;
        to_js(
            &self
                .store
                .top(metric, n, &filter(filter_args)?)
                .map_err(into_error)?
                .experiments,
        )
    }

    /// The `n` experiments of the filter with the best stability score of `metric` within
    /// their grid (`btlab experiments top --robust`), each with its `stability`.
    #[wasm_bindgen(js_name = robustTop)]
    pub fn robust_top(
        &mut self,
        metric: &str,
        n: usize,
        filter_args: JsValue,
        tolerance: f64,
    ) -> Result<JsValue, Error> {
        let metric: Metric = metric.parse().map_err(into_error)?;
        to_js(
            &self
                .store
                .robust_top(&filter(filter_args)?, metric, n, tolerance)
                .map_err(into_error)?,
        )
    }

    /// The filter's experiments on the Pareto front of `objectives` (metric names), best
    /// first by the first (what `btlab experiments pareto` lists).
    pub fn pareto(&mut self, filter_args: JsValue, objectives: &str) -> Result<JsValue, Error> {
        let objectives = robustness::objectives(objectives).map_err(into_error)?;
        to_js(
            &self
                .store
                .pareto(&filter(filter_args)?, &objectives)
                .map_err(into_error)?,
        )
    }

    /// The configs of the filter's experiments across the markets each ran on, ranked by
    /// their worst market's `metric` (what `btlab experiments markets` prints); only
    /// configs on at least `min_markets` markets (default: the most any config ran on).
    #[wasm_bindgen(js_name = acrossMarkets)]
    pub fn across_markets(
        &mut self,
        filter_args: JsValue,
        metric: &str,
        min_markets: Option<usize>,
    ) -> Result<JsValue, Error> {
        let metric: Metric = metric.parse().map_err(into_error)?;
        to_js(
            &self
                .store
                .across_markets(&filter(filter_args)?, metric, min_markets)
                .map_err(into_error)?,
        )
    }

    pub fn list(&mut self, filter_args: JsValue, sort: &str, limit: usize, offset: usize) -> Result<JsValue, Error> {
        let sort: Metric = sort.parse().map_err(into_error)?;
        to_js(
            &self
                .store
                .list(&filter(filter_args)?, sort, limit, offset)
                .map_err(into_error)?
                .experiments,
        )
    }

    pub fn count(&mut self, filter_args: JsValue) -> Result<f64, Error> {
        Ok(self.store.count(&filter(filter_args)?).map_err(into_error)? as f64)
    }

    /// An experiment by `#id` or `config_hash` prefix.
    pub fn get(&mut self, name: &str) -> Result<JsValue, Error> {
        to_js(&self.store.get(name).map_err(into_error)?)
    }

    /// What a report shows of an experiment beyond its run (`Engine.report`'s evidence).
    pub fn evidence(&mut self, name: &str) -> Result<JsValue, Error> {
        let e = self.store.get(name).map_err(into_error)?;
        to_js(&self.store.evidence(&e).map_err(into_error)?)
    }

    pub fn errors(&mut self, limit: usize) -> Result<JsValue, Error> {
        to_js(&self.store.errors(limit).map_err(into_error)?)
    }

    pub fn summary(&mut self) -> Result<JsValue, Error> {
        to_js(&self.store.summary().map_err(into_error)?)
    }

    /// Merges another database (an imported `.sqlite` file, opened by sql.js) into this
    /// one by `config_hash`: `{experiments: new ones, unreadable: [rows left out]}`.
    #[wasm_bindgen(js_name = mergeDatabase)]
    pub fn merge_database(&mut self, other: Database, created_at: f64) -> Result<JsValue, Error> {
        let mut other = WebStore::new(other)?;
        to_js(
            &self
                .store
                .merge_from(&mut other.store, created_at as i64)
                .map_err(into_error)?,
        )
    }

    /// Merges experiments exported as JSON (`btlab experiments export`, or the page's).
    #[wasm_bindgen(js_name = importExperiments)]
    pub fn import_experiments(&mut self, experiments: JsValue, created_at: f64) -> Result<usize, Error> {
        let experiments: Vec<Experiment> = from_js(experiments)?;
        let results: Vec<BacktestResult> = experiments.into_iter().map(Into::into).collect();
        Ok(self
            .store
            .insert(&results, created_at as i64)
            .map_err(into_error)?
            .stored)
    }

    /// The sweep of this spec (canonical JSON) on data of `fingerprint`, created on first
    /// use; the same spec gives the same sweep.
    #[wasm_bindgen(js_name = openSweep)]
    pub fn open_sweep(&mut self, spec_json: &str, fingerprint: &str, created_at: f64) -> Result<f64, Error> {
        let spec: Value = serde_json::from_str(spec_json).map_err(into_error)?;
        let canonical = btlab::to_canonical_json(&spec);
        Ok(self
            .store
            .open_sweep(&canonical, fingerprint, created_at as i64)
            .map_err(into_error)? as f64)
    }

    /// The sweeps that kept their returns.
    pub fn sweeps(&mut self) -> Result<JsValue, Error> {
        to_js(&self.store.sweeps().map_err(into_error)?)
    }

    /// PBO, its logit histogram and the deflated Sharpe of the sweep's best.
    pub fn overfitting(&mut self, sweep_id: f64, blocks: usize) -> Result<JsValue, Error> {
        let kept = self.store.sweep_returns(sweep_id as i64).map_err(into_error)?;
        to_js(&sweep_overfitting(&kept, blocks).map_err(into_error)?)
    }

    /// The stored Sharpe ratios of a symbol/timeframe/strategy group: the trials a winner
    /// among them is deflated by.
    #[wasm_bindgen(js_name = trialSharpes)]
    pub fn trial_sharpes(&mut self, symbol: &str, timeframe: &str, strategy: &str) -> Result<Vec<f64>, Error> {
        self.store
            .trial_sharpes(symbol, timeframe, strategy)
            .map_err(into_error)
    }

    /// The whole database as SQLite file bytes (`btlab experiments --db` opens them).
    #[wasm_bindgen(js_name = exportBytes)]
    pub fn export_bytes(&mut self) -> Uint8Array {
        self.store.driver().export_bytes()
    }
}
