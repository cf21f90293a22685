//! The experiment store: one SQL schema and every query, written once against the small
//! [`Sql`] trait. Each face supplies the driver: rusqlite natively, sql.js in the browser.
//! The core still does no I/O; it only says what to ask.
//!
//! Rows stay compact: metrics as columns, params as canonical JSON, and the equity curve
//! downsampled to at most [`CURVE_POINTS`] points packed as `f32` (see [`pack_curve`]).
//! Trades are not stored: any experiment's full detail is one deterministic re-run away.

use std::collections::{HashMap, HashSet};

use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};

use crate::across_markets::{self, ConfigAcrossMarkets, MarketFigure};
use crate::canonical::to_canonical_json;
use crate::config::BacktestConfig;
use crate::engine::{BacktestResult, EquityPoint};
use crate::error::{Error, Result};
use crate::metrics::{Metric, Metrics};
use crate::orders::Orders;
use crate::robustness::{Stability, pareto_front, stability};
use crate::time::Timestamp;

/// A value crossing the driver boundary.
#[derive(Debug, Clone, PartialEq)]
pub enum SqlValue {
    Null,
    Int(i64),
    Real(f64),
    Text(String),
    Blob(Vec<u8>),
}

impl SqlValue {
    fn int(&self) -> Option<i64> {
        match *self {
            SqlValue::Int(v) => Some(v),
            SqlValue::Real(v) => Some(v as i64),
            _ => None,
        }
    }

    fn real(&self) -> Option<f64> {
        match *self {
            SqlValue::Int(v) => Some(v as f64),
            SqlValue::Real(v) => Some(v),
            _ => None,
        }
    }

    fn text(&self) -> Option<&str> {
        match self {
            SqlValue::Text(v) => Some(v),
            _ => None,
        }
    }
}

impl From<f64> for SqlValue {
    fn from(v: f64) -> Self {
        SqlValue::Real(v)
    }
}
impl From<i64> for SqlValue {
    fn from(v: i64) -> Self {
        SqlValue::Int(v)
    }
}
impl From<&str> for SqlValue {
    fn from(v: &str) -> Self {
        SqlValue::Text(v.to_owned())
    }
}
impl From<String> for SqlValue {
    fn from(v: String) -> Self {
        SqlValue::Text(v)
    }
}
impl<T: Into<SqlValue>> From<Option<T>> for SqlValue {
    fn from(v: Option<T>) -> Self {
        v.map_or(SqlValue::Null, Into::into)
    }
}

/// What a face's SQLite driver provides. Errors are the driver's message.
pub trait Sql {
    /// Several statements, no parameters, no rows.
    fn execute_batch(&mut self, sql: &str) -> Result<(), String>;
    /// One statement; returns the number of rows it changed.
    fn execute(&mut self, sql: &str, params: &[SqlValue]) -> Result<usize, String>;
    /// One statement's rows.
    fn query(&mut self, sql: &str, params: &[SqlValue]) -> Result<Vec<Vec<SqlValue>>, String>;
    /// One statement run once per row of `rows`; returns the rows each run changed. A
    /// driver whose every value is a call into another module (sql.js) binds the whole
    /// batch in one call instead.
    fn execute_each(&mut self, sql: &str, rows: &[Vec<SqlValue>]) -> Result<Vec<usize>, String> {
        rows.iter().map(|params| self.execute(sql, params)).collect()
    }
}

/// The schema, one migration per version; `PRAGMA user_version` holds the version a file
/// is at, and opening a file runs the migrations it lacks, in one transaction each.
const MIGRATIONS: &[&str] = &[
    r#"
CREATE TABLE experiments (
    id               INTEGER PRIMARY KEY,
    config_hash      TEXT NOT NULL UNIQUE,
    data_fingerprint TEXT NOT NULL,
    symbol           TEXT NOT NULL,
    timeframe        TEXT NOT NULL,
    strategy         TEXT NOT NULL,
    start_time       INTEGER NOT NULL,
    end_time         INTEGER NOT NULL,
    params           TEXT NOT NULL,
    initial_capital  REAL NOT NULL,
    fee_bps          REAL NOT NULL,
    slippage_bps     REAL NOT NULL,
    allow_short      INTEGER NOT NULL,
    candles          INTEGER NOT NULL,
    first_candle     INTEGER NOT NULL,
    last_candle      INTEGER NOT NULL,
    total_return      REAL NOT NULL,
    annualized_return REAL NOT NULL,
    sharpe_ratio      REAL NOT NULL,
    max_drawdown      REAL NOT NULL,
    total_trades      INTEGER NOT NULL,
    winning_trades    INTEGER NOT NULL,
    losing_trades     INTEGER NOT NULL,
    win_rate          REAL NOT NULL,
    profit_factor     REAL,
    avg_win           REAL NOT NULL,
    avg_loss          REAL NOT NULL,
    final_equity      REAL NOT NULL,
    equity_curve      BLOB NOT NULL,
    created_at        INTEGER NOT NULL
);

CREATE TABLE errors (
    id          INTEGER PRIMARY KEY,
    config_hash TEXT UNIQUE,
    config      TEXT NOT NULL,
    message     TEXT NOT NULL,
    created_at  INTEGER NOT NULL
);

-- Kept up to date by every insert, so `summary` reads a handful of rows, not them all.
CREATE TABLE summaries (
    symbol        TEXT NOT NULL,
    timeframe     TEXT NOT NULL,
    strategy      TEXT NOT NULL,
    experiments   INTEGER NOT NULL,
    profitable    INTEGER NOT NULL,
    sum_sharpe    REAL NOT NULL,
    sum_return    REAL NOT NULL,
    best_sharpe   REAL NOT NULL,
    best_return   REAL NOT NULL,
    PRIMARY KEY (symbol, timeframe, strategy)
);
"#,
    r#"
-- Sweeps run with --keep-returns: their configs, and each config's daily returns.
CREATE TABLE sweeps (
    id               INTEGER PRIMARY KEY,
    spec             TEXT NOT NULL,
    data_fingerprint TEXT NOT NULL,
    created_at       INTEGER NOT NULL,
    UNIQUE (spec, data_fingerprint)
);
CREATE TABLE sweep_members (
    sweep_id    INTEGER NOT NULL REFERENCES sweeps (id),
    config_hash TEXT NOT NULL,
    PRIMARY KEY (sweep_id, config_hash)
) WITHOUT ROWID;
-- Returns per period (f32, little-endian) from the period starting at first_period (ms).
-- A rowid table: its rows (a year of days is 1.5 KB) stay on their page, where a
-- WITHOUT ROWID table would spill each to an overflow page of its own.
CREATE TABLE period_returns (
    config_hash  TEXT PRIMARY KEY,
    period_ms    INTEGER NOT NULL,
    first_period INTEGER NOT NULL,
    returns      BLOB NOT NULL
);
"#,
    r#"
-- Strategy definitions (the language's files), each once, by the hash their configs
-- carry: every experiment re-runs from the database alone.
ALTER TABLE experiments ADD COLUMN definition TEXT;
CREATE TABLE definitions (
    hash   TEXT PRIMARY KEY,
    name   TEXT NOT NULL,
    source TEXT NOT NULL
);
"#,
    r#"
-- Orders and risk (the config's order fields as canonical JSON, NULL when it has none) and
-- the report's metrics, NULL in the rows stored before them.
ALTER TABLE experiments ADD COLUMN orders TEXT;
ALTER TABLE experiments ADD COLUMN sortino_ratio REAL;
ALTER TABLE experiments ADD COLUMN volatility_annualized REAL;
ALTER TABLE experiments ADD COLUMN calmar_ratio REAL;
ALTER TABLE experiments ADD COLUMN buy_hold_return REAL;
ALTER TABLE experiments ADD COLUMN excess_return REAL;
ALTER TABLE experiments ADD COLUMN beta REAL;
ALTER TABLE experiments ADD COLUMN alpha REAL;
ALTER TABLE experiments ADD COLUMN exposure REAL;
ALTER TABLE experiments ADD COLUMN avg_drawdown REAL;
ALTER TABLE experiments ADD COLUMN max_drawdown_duration_hours REAL;
ALTER TABLE experiments ADD COLUMN avg_drawdown_duration_hours REAL;
ALTER TABLE experiments ADD COLUMN best_trade REAL;
ALTER TABLE experiments ADD COLUMN worst_trade REAL;
ALTER TABLE experiments ADD COLUMN expectancy REAL;
ALTER TABLE experiments ADD COLUMN avg_trade_duration_hours REAL;
ALTER TABLE experiments ADD COLUMN max_trade_duration_hours REAL;
ALTER TABLE experiments ADD COLUMN max_consecutive_wins INTEGER;
ALTER TABLE experiments ADD COLUMN max_consecutive_losses INTEGER;
ALTER TABLE experiments ADD COLUMN sqn REAL;
ALTER TABLE experiments ADD COLUMN kelly REAL;
ALTER TABLE experiments ADD COLUMN equity_peak REAL;
"#,
];

pub const SCHEMA_VERSION: i64 = MIGRATIONS.len() as i64;

/// Page size of a new database file.
const PAGE_SIZE: u32 = 16_384;

/// The indexes behind the viewer's sorts and filters. Each costs a random insert per row,
/// so a big sweep drops them and builds them again at its end ([`Store::defer_indexes`]);
/// opening a store builds any that are missing (a killed big sweep leaves none behind).
const INDEXES: &str = "
CREATE INDEX IF NOT EXISTS experiments_by_sharpe ON experiments (sharpe_ratio);
CREATE INDEX IF NOT EXISTS experiments_by_return ON experiments (total_return);
CREATE INDEX IF NOT EXISTS experiments_by_annualized ON experiments (annualized_return);
CREATE INDEX IF NOT EXISTS experiments_by_drawdown ON experiments (max_drawdown);
CREATE INDEX IF NOT EXISTS experiments_by_group ON experiments (symbol, strategy, timeframe, sharpe_ratio);
";

/// Equity points kept per experiment.
pub const CURVE_POINTS: usize = 128;

/// An experiment with its stability within its grid (`top --robust`).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct RobustExperiment {
    #[serde(flatten)]
    pub experiment: Experiment,
    pub stability: Stability,
}

/// A stored config's axis values: its params, and its order fields by dotted name
/// (`stop_loss.pct`), from their canonical JSON columns.
fn axis_values(params: &SqlValue, orders: &SqlValue) -> Map<String, Value> {
    let object = |v: &SqlValue| -> Map<String, Value> {
        v.text().and_then(|t| serde_json::from_str(t).ok()).unwrap_or_default()
    };
    let mut values = object(params);
    for (field, value) in object(orders) {
        match value {
            Value::Object(inner) => values.extend(inner.into_iter().map(|(k, v)| (format!("{field}.{k}"), v))),
            other => {
                values.insert(field, other);
            }
        }
    }
    values
}

/// A stored experiment as every face shows it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Experiment {
    pub id: i64,
    pub config_hash: String,
    pub data_fingerprint: String,
    pub config: BacktestConfig,
    pub candles: i64,
    pub first_candle: i64,
    pub last_candle: i64,
    pub metrics: Metrics,
    pub equity_curve: Vec<EquityPoint>,
    pub created_at: i64,
}

impl From<Experiment> for BacktestResult {
    /// The result as stored: its curve downsampled, no trade list.
    fn from(e: Experiment) -> Self {
        BacktestResult {
            config_hash: e.config_hash,
            data_fingerprint: e.data_fingerprint,
            config: e.config,
            candles: e.candles as usize,
            first_candle: e.first_candle,
            last_candle: e.last_candle,
            metrics: e.metrics,
            equity_curve: e.equity_curve,
            buy_hold_curve: Vec::new(),
            trades: Vec::new(),
        }
    }
}

/// A config that failed, with its message.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ErrorRow {
    pub id: i64,
    pub config_hash: Option<String>,
    pub config: Value,
    pub message: String,
    pub created_at: i64,
}

/// A config's returns per period, as a sweep with `--keep-returns` stores them.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct PeriodReturns {
    pub period_ms: i64,
    pub first_period: i64,
    pub returns: Vec<f64>,
}

/// A sweep that kept returns.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct SweepRow {
    pub id: i64,
    pub spec: String,
    pub data_fingerprint: String,
    pub created_at: i64,
    pub configs: i64,
    pub with_returns: i64,
}

/// A sweep's members and their returns, aligned period by period.
#[derive(Debug, Clone)]
pub struct SweepReturns {
    pub sweep_id: i64,
    pub period_ms: i64,
    pub first_period: i64,
    pub experiments: Vec<Experiment>,
    pub returns: Vec<Vec<f64>>,
}

/// One (symbol, timeframe, strategy) group of the store.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct SummaryRow {
    pub symbol: String,
    pub timeframe: String,
    pub strategy: String,
    pub experiments: i64,
    pub profitable: i64,
    pub mean_sharpe: f64,
    pub mean_return: f64,
    pub best_sharpe: f64,
    pub best_return: f64,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Summary {
    pub experiments: i64,
    pub errors: i64,
    pub groups: Vec<SummaryRow>,
}

/// Which experiments a listing shows.
#[derive(Debug, Clone, Default, Deserialize)]
pub struct Filter {
    pub symbol: Option<String>,
    pub timeframe: Option<String>,
    pub strategy: Option<String>,
    /// Metric bounds, e.g. `sharpe_ratio >= 1` and `max_drawdown <= 0.2`.
    #[serde(default)]
    pub thresholds: Vec<Threshold>,
}

#[derive(Debug, Clone, Deserialize)]
pub struct Threshold {
    pub metric: Metric,
    pub min: Option<f64>,
    pub max: Option<f64>,
}

impl std::str::FromStr for Threshold {
    type Err = Error;

    /// `sortino_ratio>=1` or `max_drawdown<=0.2`, as the CLI's `--where` writes a bound.
    fn from_str(text: &str) -> Result<Self> {
        let bad = || {
            Error::config(
                "where",
                format!("expected METRIC>=NUMBER or METRIC<=NUMBER, got `{text}`"),
            )
        };
        let (metric, bound, at_least) = match (text.split_once(">="), text.split_once("<=")) {
            (Some((m, b)), None) => (m, b, true),
            (None, Some((m, b))) => (m, b, false),
            _ => return Err(bad()),
        };
        let metric: Metric = metric.trim().parse()?;
        let bound: f64 = bound
            .trim()
            .parse()
            .ok()
            .filter(|b: &f64| b.is_finite())
            .ok_or_else(bad)?;
        Ok(Threshold {
            metric,
            min: at_least.then_some(bound),
            max: (!at_least).then_some(bound),
        })
    }
}

impl Filter {
    fn clause(&self) -> Result<(String, Vec<SqlValue>)> {
        let mut terms = Vec::new();
        let mut params = Vec::new();
        for t in &self.thresholds {
            for (bound, op) in [(t.min, ">="), (t.max, "<=")] {
                if let Some(v) = bound {
                    // Only a metric's own column name reaches the SQL.
                    terms.push(format!("{} {op} ?", t.metric.name()));
                    params.push(SqlValue::Real(v));
                }
            }
        }
        for (column, value) in [
            ("symbol", &self.symbol),
            ("timeframe", &self.timeframe),
            ("strategy", &self.strategy),
        ] {
            if let Some(v) = value {
                terms.push(format!("{column} = ?"));
                params.push(SqlValue::from(v.as_str()));
            }
        }
        let clause = if terms.is_empty() {
            String::new()
        } else {
            format!("WHERE {}", terms.join(" AND "))
        };
        Ok((clause, params))
    }
}

/// The columns every schema version has, in the order [`experiment`] reads them.
const FIRST_COLUMNS: &str = "id, config_hash, data_fingerprint, symbol, timeframe, strategy, start_time, end_time, \
     params, initial_capital, fee_bps, slippage_bps, allow_short, candles, first_candle, last_candle, \
     total_return, annualized_return, sharpe_ratio, max_drawdown, total_trades, winning_trades, losing_trades, \
     win_rate, profit_factor, avg_win, avg_loss, final_equity, equity_curve, created_at";

/// The schema version that added `experiments.definition` and the `definitions` table.
const DEFINITIONS_VERSION: i64 = 3;
/// The schema version that added `experiments.orders` and the report's metric columns.
const REPORT_VERSION: i64 = 4;

/// An experiment's columns in a file of `version`, in the order [`experiment`] reads them:
/// a column the version lacks reads as NULL (an older file opened to read is not migrated).
fn columns(version: i64) -> String {
    let since = |v: i64, column: &str| {
        if version >= v {
            column.to_owned()
        } else {
            format!("NULL AS {column}")
        }
    };
    let mut columns = vec![
        FIRST_COLUMNS.to_owned(),
        since(DEFINITIONS_VERSION, "definition"),
        since(REPORT_VERSION, "orders"),
    ];
    columns.extend(
        Metric::ALL[Metric::REPORT_FROM..]
            .iter()
            .map(|m| since(REPORT_VERSION, m.name())),
    );
    columns.join(", ")
}

/// The columns an insert writes (every one but `id`), and its statement.
fn insert_statement() -> &'static str {
    static STATEMENT: std::sync::OnceLock<String> = std::sync::OnceLock::new();
    STATEMENT.get_or_init(|| {
        let all = columns(SCHEMA_VERSION);
        let names: Vec<&str> = all.split(", ").skip(1).map(str::trim).collect();
        format!(
            "INSERT INTO experiments ({}) VALUES ({}) ON CONFLICT (config_hash) DO NOTHING",
            names.join(", "),
            vec!["?"; names.len()].join(", ")
        )
    })
}

pub struct Store<D: Sql> {
    db: D,
    /// The schema version of the file: [`SCHEMA_VERSION`] once opened for writing.
    version: i64,
    /// What a query selects of an experiment, given the version.
    columns: String,
}

fn driver(message: String) -> Error {
    Error::Store(message)
}

fn user_version<D: Sql>(db: &mut D) -> Result<i64> {
    Ok(db
        .query("PRAGMA user_version", &[])
        .map_err(driver)?
        .first()
        .and_then(|row| row.first().and_then(SqlValue::int))
        .unwrap_or(0))
}

fn check_version(version: i64) -> Result<i64> {
    if version > SCHEMA_VERSION {
        return Err(Error::Store(format!(
            "the database is at schema version {version}, newer than this btlab's {SCHEMA_VERSION}; update btlab"
        )));
    }
    Ok(version)
}

impl<D: Sql> Store<D> {
    /// Opens a database, bringing its schema up to date. A file written by a newer btlab
    /// is refused rather than misread. Two writers opening one new file at once both
    /// succeed: the migrations run under `BEGIN IMMEDIATE` (one writer at a time), and the
    /// version is read again inside, so the second finds the work done.
    pub fn open(mut db: D) -> Result<Self> {
        let version = check_version(user_version(&mut db)?)?;
        if version == 0 {
            // Before the first table: an experiment row (about 1.35 KB with its curve) fits
            // 2 to a 4 KiB page but 12 to a 16 KiB one. A file with content keeps its size.
            db.execute_batch(&format!("PRAGMA page_size = {PAGE_SIZE}"))
                .map_err(driver)?;
        }
        if version < SCHEMA_VERSION {
            db.execute_batch("BEGIN IMMEDIATE")
                .map_err(|e| Error::Store(format!("locking the database to migrate it: {e}")))?;
            let migrated = user_version(&mut db).and_then(|version| {
                for (index, migration) in MIGRATIONS.iter().enumerate().skip(version as usize) {
                    let next = index + 1;
                    db.execute_batch(&format!("{migration}; PRAGMA user_version = {next};"))
                        .map_err(|e| Error::Store(format!("migrating the database to version {next}: {e}")))?;
                }
                db.execute_batch("COMMIT").map_err(driver)
            });
            if let Err(e) = migrated {
                let _ = db.execute_batch("ROLLBACK");
                return Err(e);
            }
        }
        db.execute_batch(INDEXES)
            .map_err(|e| Error::Store(format!("building the indexes: {e}")))?;
        let mut store = Self {
            db,
            version: SCHEMA_VERSION,
            columns: columns(SCHEMA_VERSION),
        };
        store.load_definitions()?;
        Ok(store)
    }

    fn columns(&self) -> &str {
        &self.columns
    }

    /// Gives the process every definition the store keeps, so its experiments re-run. One
    /// that does not compile here (written by a newer btlab) stays stored, unused.
    fn load_definitions(&mut self) -> Result<()> {
        if self.version < DEFINITIONS_VERSION {
            return Ok(());
        }
        let rows = self.db.query("SELECT source FROM definitions", &[]).map_err(driver)?;
        for row in rows {
            if let Some(source) = row[0].text() {
                let _ = crate::lang::define(source);
            }
        }
        Ok(())
    }

    /// Every stored definition: `(hash, name, source)`, by name.
    pub fn definitions(&mut self) -> Result<Vec<(String, String, String)>> {
        if self.version < DEFINITIONS_VERSION {
            return Ok(Vec::new());
        }
        let rows = self
            .db
            .query("SELECT hash, name, source FROM definitions ORDER BY name, hash", &[])
            .map_err(driver)?;
        Ok(rows
            .iter()
            .map(|r| {
                let text = |i: usize| r[i].text().unwrap_or_default().to_owned();
                (text(0), text(1), text(2))
            })
            .collect())
    }

    /// The source of a stored definition.
    pub fn definition(&mut self, hash: &str) -> Result<Option<String>> {
        if self.version < DEFINITIONS_VERSION {
            return Ok(None);
        }
        let rows = self
            .db
            .query("SELECT source FROM definitions WHERE hash = ?", &[hash.into()])
            .map_err(driver)?;
        Ok(rows.first().and_then(|r| r[0].text()).map(str::to_owned))
    }

    /// Opens a database to read it, writing nothing: no migration, no index. A file of an
    /// older version is read as it is (what it lacks reads as empty); an empty file is
    /// not a store.
    pub fn open_read_only(mut db: D) -> Result<Self> {
        let version = check_version(user_version(&mut db)?)?;
        if version == 0 {
            return Err(Error::Store(
                "this is not a btlab experiment database (it has no btlab schema; an empty file is not one)".into(),
            ));
        }
        let mut store = Self {
            db,
            version,
            columns: columns(version),
        };
        store.load_definitions()?;
        Ok(store)
    }

    /// Drops the metric indexes for a bulk load; [`Store::build_indexes`] (or the next
    /// open) builds them again, sorted in one pass instead of row by row.
    pub fn defer_indexes(&mut self) -> Result<()> {
        self.db
            .execute_batch(
                "DROP INDEX IF EXISTS experiments_by_sharpe; DROP INDEX IF EXISTS experiments_by_return; \
                 DROP INDEX IF EXISTS experiments_by_annualized; DROP INDEX IF EXISTS experiments_by_drawdown; \
                 DROP INDEX IF EXISTS experiments_by_group;",
            )
            .map_err(driver)
    }

    pub fn build_indexes(&mut self) -> Result<()> {
        self.db.execute_batch(INDEXES).map_err(driver)
    }

    pub fn driver(&mut self) -> &mut D {
        &mut self.db
    }

    pub fn into_driver(self) -> D {
        self.db
    }

    /// Stores results in one transaction. Each ends up counted once: stored, already
    /// stored (its `config_hash` is there, put by an earlier run, another writer or a
    /// duplicate in `results`), or failed and recorded in `errors` with the reason (a
    /// metric that is NaN or infinite cannot be a row: SQLite would bind it as NULL).
    pub fn insert(&mut self, results: &[BacktestResult], created_at: i64) -> Result<Inserted> {
        self.transaction(|db| {
            let mut report = Inserted::default();
            let mut kept: Vec<String> = Vec::new();
            let mut groups: Vec<((&str, &str, &str), SummaryGroup)> = Vec::new();
            let mut storable: Vec<&BacktestResult> = Vec::with_capacity(results.len());
            for r in results {
                match unstorable(r) {
                    Some(problem) => {
                        let config = serde_json::to_value(&r.config).unwrap_or(Value::Null);
                        insert_error(db, Some(&r.config_hash), &config, &problem, created_at)?;
                        report.failed += 1;
                    }
                    None => storable.push(r),
                }
            }
            let rows: Vec<Vec<SqlValue>> = storable.iter().map(|r| row_values(r, created_at)).collect();
            let changed = db.execute_each(insert_statement(), &rows)?;
            for (r, changed) in storable.into_iter().zip(changed) {
                if changed == 0 {
                    report.already_stored += 1;
                    continue;
                }
                report.stored += 1;
                if let Some(hash) = &r.config.definition
                    && !kept.contains(hash)
                {
                    keep_definition(db, hash)?;
                    kept.push(hash.clone());
                }
                let c = &r.config;
                let key = (c.symbol.as_str(), c.timeframe.as_str(), c.strategy.as_str());
                match groups.iter_mut().find(|(k, _)| *k == key) {
                    Some((_, group)) => group.add(&r.metrics),
                    None => groups.push((key, SummaryGroup::of(&r.metrics))),
                }
            }
            // One upsert per group, not per row: on sql.js each statement is many calls
            // across two wasm modules.
            for ((symbol, timeframe, strategy), g) in groups {
                db.execute(
                    "INSERT INTO summaries VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?) \
                     ON CONFLICT (symbol, timeframe, strategy) DO UPDATE SET \
                     experiments = experiments + excluded.experiments, profitable = profitable + excluded.profitable, \
                     sum_sharpe = sum_sharpe + excluded.sum_sharpe, sum_return = sum_return + excluded.sum_return, \
                     best_sharpe = max(best_sharpe, excluded.best_sharpe), \
                     best_return = max(best_return, excluded.best_return)",
                    &[
                        symbol.into(),
                        timeframe.into(),
                        strategy.into(),
                        g.experiments.into(),
                        g.profitable.into(),
                        g.sum_sharpe.into(),
                        g.sum_return.into(),
                        g.best_sharpe.into(),
                        g.best_return.into(),
                    ],
                )?;
            }
            Ok(report)
        })
    }

    /// Records configs that failed (a config already recorded is not recorded twice).
    pub fn insert_errors(&mut self, failures: &[(Option<String>, Value, String)], created_at: i64) -> Result<usize> {
        self.transaction(|db| {
            let mut inserted = 0;
            for (hash, config, message) in failures {
                inserted += insert_error(db, hash.as_deref(), config, message, created_at)?;
            }
            Ok(inserted)
        })
    }

    fn transaction<T>(&mut self, body: impl FnOnce(&mut D) -> Result<T, String>) -> Result<T> {
        self.db.execute_batch("BEGIN").map_err(driver)?;
        match body(&mut self.db) {
            Ok(value) => {
                self.db.execute_batch("COMMIT").map_err(driver)?;
                Ok(value)
            }
            Err(e) => {
                let _ = self.db.execute_batch("ROLLBACK");
                Err(Error::Store(e))
            }
        }
    }

    /// Copies into this store every experiment and error of `other` it lacks (by
    /// `config_hash`). Lossless: stored rows are copied as they are; a row of `other` that
    /// cannot be read is named in the answer, not copied, and stops nothing.
    pub fn merge_from<E: Sql>(&mut self, other: &mut Store<E>, created_at: i64) -> Result<Listing<usize>> {
        const PAGE: i64 = 2000;
        let mut after = 0;
        let mut merged = Listing {
            experiments: 0,
            unreadable: Vec::new(),
        };
        loop {
            let rows = other
                .db
                .query(
                    &format!(
                        "SELECT {} FROM experiments WHERE id > ? ORDER BY id LIMIT ?",
                        other.columns()
                    ),
                    &[after.into(), PAGE.into()],
                )
                .map_err(driver)?;
            let Some(last) = rows.last() else { break };
            after = last[0].int().unwrap_or(i64::MAX);
            let page = Listing::of(&rows);
            merged.unreadable.extend(page.unreadable);
            let results: Vec<BacktestResult> = page.experiments.into_iter().map(Into::into).collect();
            merged.experiments += self.insert(&results, created_at)?.stored;
        }
        let errors = other.errors(usize::MAX >> 1)?;
        let failures: Vec<_> = errors
            .into_iter()
            .map(|e| (e.config_hash, e.config, e.message))
            .collect();
        self.insert_errors(&failures, created_at)?;
        Ok(merged)
    }

    /// The sweep of this spec (canonical JSON) on these candles, created on first use: a
    /// re-run of the same sweep adds to the same one.
    pub fn open_sweep(&mut self, spec: &str, data_fingerprint: &str, created_at: i64) -> Result<i64> {
        self.db
            .execute(
                "INSERT INTO sweeps (spec, data_fingerprint, created_at) VALUES (?, ?, ?) \
                 ON CONFLICT (spec, data_fingerprint) DO NOTHING",
                &[spec.into(), data_fingerprint.into(), created_at.into()],
            )
            .map_err(driver)?;
        let rows = self
            .db
            .query(
                "SELECT id FROM sweeps WHERE spec = ? AND data_fingerprint = ?",
                &[spec.into(), data_fingerprint.into()],
            )
            .map_err(driver)?;
        rows.first()
            .and_then(|r| r[0].int())
            .ok_or_else(|| Error::Store("the sweep row vanished".into()))
    }

    /// Records configs as members of a sweep and the returns of those that ran, in one
    /// transaction.
    pub fn insert_sweep_returns(
        &mut self,
        sweep_id: i64,
        members: &[String],
        returns: &[(String, PeriodReturns)],
    ) -> Result<()> {
        self.transaction(|db| {
            for hash in members {
                db.execute(
                    "INSERT INTO sweep_members (sweep_id, config_hash) VALUES (?, ?) \
                     ON CONFLICT (sweep_id, config_hash) DO NOTHING",
                    &[sweep_id.into(), hash.as_str().into()],
                )?;
            }
            for (hash, r) in returns {
                let bytes: Vec<u8> = r.returns.iter().flat_map(|v| (*v as f32).to_le_bytes()).collect();
                db.execute(
                    "INSERT OR REPLACE INTO period_returns (config_hash, period_ms, first_period, returns) \
                     VALUES (?, ?, ?, ?)",
                    &[
                        hash.as_str().into(),
                        r.period_ms.into(),
                        r.first_period.into(),
                        SqlValue::Blob(bytes),
                    ],
                )?;
            }
            Ok(())
        })
    }

    /// Which of `hashes` have their period returns stored.
    pub fn with_returns(&mut self, hashes: &[String]) -> Result<HashSet<String>> {
        self.hashes_found(
            "SELECT config_hash FROM period_returns WHERE config_hash IN (SELECT value FROM json_each(?1))",
            hashes,
        )
    }

    /// The hashes `sql` selects, its `?1` bound to `hashes` as one JSON array: one value
    /// to bind however many they are (on sql.js each bound value is a call across two
    /// modules, and SQLite caps a statement's parameters).
    fn hashes_found(&mut self, sql: &str, hashes: &[String]) -> Result<HashSet<String>> {
        // A list of strings always serializes.
        let list = serde_json::to_string(hashes).expect("a list of strings as JSON");
        let rows = self.db.query(sql, &[SqlValue::Text(list)]).map_err(driver)?;
        Ok(rows
            .into_iter()
            .filter_map(|r| r[0].text().map(str::to_owned))
            .collect())
    }

    /// The sweeps that kept returns, newest first.
    pub fn sweeps(&mut self) -> Result<Vec<SweepRow>> {
        if self.version < 2 {
            return Ok(Vec::new()); // a file from before kept returns has none
        }
        let rows = self
            .db
            .query(
                "SELECT s.id, s.spec, s.data_fingerprint, s.created_at, \
                 (SELECT count(*) FROM sweep_members m WHERE m.sweep_id = s.id), \
                 (SELECT count(*) FROM sweep_members m JOIN period_returns r USING (config_hash) \
                  WHERE m.sweep_id = s.id) \
                 FROM sweeps s ORDER BY s.id DESC",
                &[],
            )
            .map_err(driver)?;
        Ok(rows
            .iter()
            .map(|r| SweepRow {
                id: r[0].int().unwrap_or(0),
                spec: r[1].text().unwrap_or_default().to_owned(),
                data_fingerprint: r[2].text().unwrap_or_default().to_owned(),
                created_at: r[3].int().unwrap_or(0),
                configs: r[4].int().unwrap_or(0),
                with_returns: r[5].int().unwrap_or(0),
            })
            .collect())
    }

    /// Every member of a sweep with its returns and its stored experiment, ordered by
    /// experiment id: the matrix PBO reads and the trials deflated Sharpe reads. Refused
    /// when a member lacks returns or the members' periods differ.
    pub fn sweep_returns(&mut self, sweep_id: i64) -> Result<SweepReturns> {
        let rows = self
            .db
            .query(
                &format!(
                    "SELECT r.period_ms, r.first_period, r.returns, {} FROM sweep_members m \
                     JOIN experiments e USING (config_hash) LEFT JOIN period_returns r USING (config_hash) \
                     WHERE m.sweep_id = ? ORDER BY e.id",
                    self.columns()
                        .split(", ")
                        .map(|c| format!("e.{c}"))
                        .collect::<Vec<_>>()
                        .join(", ")
                ),
                &[sweep_id.into()],
            )
            .map_err(driver)?;
        if rows.is_empty() {
            return Err(Error::Store(format!(
                "no sweep {sweep_id} with kept returns (`btlab experiments sweeps` lists them; run a sweep with --keep-returns)"
            )));
        }
        let mut out = SweepReturns {
            sweep_id,
            period_ms: 0,
            first_period: 0,
            experiments: Vec::with_capacity(rows.len()),
            returns: Vec::with_capacity(rows.len()),
        };
        for (i, row) in rows.iter().enumerate() {
            let experiment = experiment(&row[3..]).map_err(|e| named_row(&row[3..], e))?;
            let (Some(period_ms), Some(first), Some(SqlValue::Blob(bytes))) = (row[0].int(), row[1].int(), row.get(2))
            else {
                return Err(Error::Store(format!(
                    "experiment #{} of sweep {sweep_id} has no kept returns; run the sweep again with --keep-returns",
                    experiment.id
                )));
            };
            let returns: Vec<f64> = bytes
                .chunks_exact(4)
                .map(|b| f64::from(f32::from_le_bytes([b[0], b[1], b[2], b[3]])))
                .collect();
            if i == 0 {
                out.period_ms = period_ms;
                out.first_period = first;
            } else if (period_ms, first, returns.len()) != (out.period_ms, out.first_period, out.returns[0].len()) {
                return Err(Error::Store(format!(
                    "experiment #{} of sweep {sweep_id} covers other periods than experiment #{}",
                    experiment.id, out.experiments[0].id
                )));
            }
            out.experiments.push(experiment);
            out.returns.push(returns);
        }
        Ok(out)
    }

    /// Which of `hashes` are stored already, as experiments or as errors: what a resumed
    /// sweep skips.
    pub fn known_hashes(&mut self, hashes: &[String]) -> Result<HashSet<String>> {
        self.hashes_found(
            "SELECT config_hash FROM experiments WHERE config_hash IN (SELECT value FROM json_each(?1)) \
             UNION ALL SELECT config_hash FROM errors WHERE config_hash IN (SELECT value FROM json_each(?1))",
            hashes,
        )
    }

    /// The best `n` experiments by `metric` (lowest first for `max_drawdown`).
    pub fn top(&mut self, metric: Metric, n: usize, filter: &Filter) -> Result<Listing> {
        self.list(filter, metric, n, 0)
    }

    /// A page of experiments sorted by `sort` (best first), ties by id. A row that cannot
    /// be read is left out and named in [`Listing::unreadable`]; the others come through.
    pub fn list(&mut self, filter: &Filter, sort: Metric, limit: usize, offset: usize) -> Result<Listing> {
        let order = sort.best_first();
        let (clause, mut params) = filter.clause()?;
        // NULL profit factors (no loss at all) sort as the best.
        let nulls = if order == "DESC" { "NULLS FIRST" } else { "NULLS LAST" };
        let sql = format!(
            "SELECT {} FROM experiments {clause} ORDER BY {} {order} {nulls}, id LIMIT ? OFFSET ?",
            self.columns(),
            sort.name()
        );
        params.push((limit as i64).into());
        params.push((offset as i64).into());
        let rows = self.db.query(&sql, &params).map_err(driver)?;
        Ok(Listing::of(&rows))
    }

    pub fn count(&mut self, filter: &Filter) -> Result<i64> {
        let (clause, params) = filter.clause()?;
        let rows = self
            .db
            .query(&format!("SELECT count(*) FROM experiments {clause}"), &params)
            .map_err(driver)?;
        Ok(rows.first().and_then(|r| r[0].int()).unwrap_or(0))
    }

    /// An experiment named by `#ID` (its id in this store) or by a unique prefix of its
    /// `config_hash` (4+ hex digits; ids differ between stores, hashes do not). The two
    /// never overlap: `0094` is a hash prefix, `#94` an id, and a bare `94` is refused
    /// with both spellings rather than guessed.
    pub fn get(&mut self, name: &str) -> Result<Experiment> {
        let name = name.trim();
        let columns = self.columns();
        let rows = if let Some(id) = name.strip_prefix('#') {
            let id: i64 = id
                .parse()
                .map_err(|_| Error::Store(format!("`{name}`: an id is `#` and digits, e.g. #94")))?;
            self.db
                .query(&format!("SELECT {columns} FROM experiments WHERE id = ?"), &[id.into()])
        } else if name.len() >= 4 && name.bytes().all(|b| b.is_ascii_hexdigit()) {
            let prefix = name.to_ascii_lowercase();
            self.db.query(
                &format!("SELECT {columns} FROM experiments WHERE config_hash >= ? AND config_hash < ? LIMIT 2"),
                &[prefix.clone().into(), format!("{prefix}g").into()],
            )
        } else if !name.is_empty() && name.bytes().all(|b| b.is_ascii_digit()) {
            return Err(Error::Store(format!(
                "`{name}` is too short for a config_hash prefix (4+ hex digits); for the experiment with id \
                 {name} write `#{name}`"
            )));
        } else {
            return Err(Error::Store(format!(
                "`{name}` is neither an experiment id (`#` and digits, e.g. #94) nor a config_hash prefix (4+ hex digits)"
            )));
        }
        .map_err(driver)?;
        match rows.len() {
            0 => Err(Error::Store(format!("no experiment `{name}`"))),
            1 => experiment(&rows[0]).map_err(|e| named_row(&rows[0], e)),
            _ => Err(Error::Store(format!(
                "`{name}` matches several experiments; give more of the hash"
            ))),
        }
    }

    /// Every experiment of this config's market, range, costs and strategy, oldest first:
    /// what an optimizer has tried so far, whoever ran it.
    pub fn history(&mut self, config: &BacktestConfig, data_fingerprint: &str) -> Result<Vec<Experiment>> {
        let rows = self
            .db
            .query(
                &format!(
                    "SELECT {} FROM experiments WHERE data_fingerprint = ? AND strategy = ? AND start_time = ? \
                     AND end_time = ? AND initial_capital = ? AND fee_bps = ? AND slippage_bps = ? \
                     AND allow_short = ? AND definition IS ? ORDER BY id",
                    self.columns
                ),
                &[
                    data_fingerprint.into(),
                    config.strategy.as_str().into(),
                    config.start.0.into(),
                    config.end.0.into(),
                    config.initial_capital.into(),
                    config.fee_bps.into(),
                    config.slippage_bps.into(),
                    i64::from(config.allow_short).into(),
                    config.definition.as_deref().map_or(SqlValue::Null, Into::into),
                ],
            )
            .map_err(driver)?;
        // An unreadable row is not a config the optimizer can learn from.
        Ok(Listing::of(&rows).experiments)
    }

    /// The Sharpe ratios of every config tried for a symbol, timeframe and strategy: the
    /// trials a winner among them is deflated by.
    pub fn trial_sharpes(&mut self, symbol: &str, timeframe: &str, strategy: &str) -> Result<Vec<f64>> {
        let rows = self
            .db
            .query(
                "SELECT sharpe_ratio FROM experiments WHERE symbol = ? AND timeframe = ? AND strategy = ?",
                &[symbol.into(), timeframe.into(), strategy.into()],
            )
            .map_err(driver)?;
        Ok(rows.iter().filter_map(|r| r[0].real()).collect())
    }

    /// What a report shows of `e` beyond its run: when it was stored, its definition, the
    /// trials of its group, and the PBO of the latest sweep with kept returns that ran it.
    pub fn evidence(&mut self, e: &Experiment) -> Result<crate::report::Evidence> {
        use crate::report::{SweepEvidence, SweepPbo};
        let c = &e.config;
        let definition_source = match &c.definition {
            Some(hash) => self.definition(hash)?,
            None => None,
        };
        let sweep = if self.version < 2 {
            None
        } else {
            let rows = self
                .db
                .query(
                    "SELECT m.sweep_id, (SELECT count(*) FROM sweep_members n WHERE n.sweep_id = m.sweep_id) \
                     FROM sweep_members m JOIN period_returns r USING (config_hash) \
                     WHERE m.config_hash = ? ORDER BY m.sweep_id DESC LIMIT 1",
                    &[e.config_hash.as_str().into()],
                )
                .map_err(driver)?;
            match rows.first().map(|r| (r[0].int(), r[1].int())) {
                Some((Some(id), Some(configs))) => {
                    let pbo = self
                        .sweep_returns(id)
                        .and_then(|kept| crate::overfit::sweep_overfitting(&kept, crate::overfit::pbo::DEFAULT_BLOCKS))
                        .map(|o| SweepPbo {
                            pbo: o.pbo.pbo,
                            probability_of_loss: o.pbo.probability_of_loss,
                            combinations: o.pbo.combinations,
                        })
                        .map_err(|err| err.to_string());
                    Some(SweepEvidence {
                        id,
                        configs: configs as usize,
                        pbo,
                    })
                }
                _ => None,
            }
        };
        Ok(crate::report::Evidence {
            experiment: Some(e.id),
            stored_at: Some(e.created_at),
            definition_source,
            trial_sharpes: self.trial_sharpes(&c.symbol, c.timeframe.as_str(), &c.strategy)?,
            sweep,
        })
    }

    /// `column` where this store's schema has it (it came with schema `since`), else NULL:
    /// the queries read stores of every version.
    fn column_since(&self, column: &'static str, since: i64) -> &'static str {
        if self.version >= since { column } else { "NULL" }
    }

    /// A metric's column: NULL for the report's metrics in a store from before the report.
    fn metric_column(&self, metric: Metric) -> &'static str {
        if metric.is_report() {
            self.column_since(metric.name(), REPORT_VERSION)
        } else {
            metric.name()
        }
    }

    /// The `n` experiments of `filter` with the best stability score of `metric` (see
    /// [`stability`]), each scored within its grid: the experiments of one strategy,
    /// definition, market, range and costs, whose params and order fields are the axes.
    pub fn robust_top(
        &mut self,
        filter: &Filter,
        metric: Metric,
        n: usize,
        tolerance: f64,
    ) -> Result<Vec<RobustExperiment>> {
        let value = self.metric_column(metric);
        let orders = self.column_since("orders", REPORT_VERSION);
        let definition = self.column_since("definition", DEFINITIONS_VERSION);
        let (clause, params) = filter.clause()?;
        let sql = format!(
            "SELECT id, params, {orders}, {value}, strategy, {definition}, symbol, timeframe, start_time, end_time, \
             initial_capital, fee_bps, slippage_bps, allow_short FROM experiments {clause} ORDER BY id"
        );
        let rows = self.db.query(&sql, &params).map_err(driver)?;
        let mut groups: HashMap<String, Vec<usize>> = HashMap::new();
        for (i, r) in rows.iter().enumerate() {
            let key: Vec<String> = r[4..].iter().map(|v| format!("{v:?}")).collect();
            groups.entry(key.join("\u{1f}")).or_default().push(i);
        }
        let mut scored: Vec<(usize, Stability)> = Vec::with_capacity(rows.len());
        for members in groups.values() {
            // Each member's axis values by name: params, then order fields by dotted name.
            let named: Vec<Map<String, Value>> =
                members.iter().map(|&i| axis_values(&rows[i][1], &rows[i][2])).collect();
            let mut axes: Vec<&String> = named.iter().flat_map(|m| m.keys()).collect();
            axes.sort();
            axes.dedup();
            let points: Vec<Vec<Value>> = named
                .iter()
                .map(|m| axes.iter().map(|a| m.get(*a).cloned().unwrap_or(Value::Null)).collect())
                .collect();
            let values: Vec<Option<f64>> = members.iter().map(|&i| rows[i][3].real()).collect();
            let scores = stability(&points, &values, metric, tolerance)?;
            scored.extend(members.iter().copied().zip(scores));
        }
        let rank = |s: &Stability| s.score.map_or(f64::NEG_INFINITY, |v| metric.oriented(v));
        scored.retain(|(_, s)| s.score.is_some());
        scored.sort_by(|a, b| rank(&b.1).total_cmp(&rank(&a.1)).then(a.0.cmp(&b.0)));
        scored
            .into_iter()
            .take(n)
            .map(|(i, stability)| {
                let experiment = self.get(&format!("#{}", rows[i][0].int().unwrap_or_default()))?;
                Ok(RobustExperiment { experiment, stability })
            })
            .collect()
    }

    /// The experiments of `filter` on the Pareto front of `objectives` (see
    /// [`pareto_front`]), best first by the first objective; those with a null objective
    /// take no part.
    pub fn pareto(&mut self, filter: &Filter, objectives: &[Metric]) -> Result<Vec<Experiment>> {
        let columns: Vec<&str> = objectives.iter().map(|&m| self.metric_column(m)).collect();
        let (clause, params) = filter.clause()?;
        let sql = format!(
            "SELECT id, {} FROM experiments {clause} ORDER BY id",
            columns.join(", ")
        );
        let rows = self.db.query(&sql, &params).map_err(driver)?;
        let points: Vec<Vec<f64>> = rows
            .iter()
            .map(|r| {
                objectives
                    .iter()
                    .zip(&r[1..])
                    // A null profit factor is one without a loss: the best there is.
                    .map(|(m, v)| match v.real() {
                        Some(x) => m.oriented(x),
                        None if *m == Metric::ProfitFactor => f64::INFINITY,
                        None => f64::NAN,
                    })
                    .collect()
            })
            .collect();
        pareto_front(&points)
            .into_iter()
            .map(|i| self.get(&format!("#{}", rows[i][0].int().unwrap_or_default())))
            .collect()
    }

    /// The configs of `filter`'s experiments across the markets each ran on, ranked by
    /// `metric` (see [`across_markets::rank`]).
    pub fn across_markets(
        &mut self,
        filter: &Filter,
        metric: Metric,
        min_markets: Option<usize>,
    ) -> Result<Vec<ConfigAcrossMarkets>> {
        let definition = self.column_since("definition", DEFINITIONS_VERSION);
        let value = self.metric_column(metric);
        let (clause, params) = filter.clause()?;
        let sql = format!(
            "SELECT strategy, {definition}, params, {}, initial_capital, fee_bps, slippage_bps, allow_short, \
             start_time, end_time, symbol, timeframe, config_hash, {value}, total_return, {} \
             FROM experiments {clause} ORDER BY id",
            self.column_since("orders", REPORT_VERSION),
            self.column_since("buy_hold_return", REPORT_VERSION),
        );
        let rows = self.db.query(&sql, &params).map_err(driver)?;
        let object = |v: &SqlValue| -> Map<String, Value> {
            v.text().and_then(|t| serde_json::from_str(t).ok()).unwrap_or_default()
        };
        let text = |v: &SqlValue| v.text().unwrap_or_default().to_owned();
        let rows = rows
            .iter()
            .map(|r| {
                // Everything but the market (columns 10 and 11) makes the config.
                let key: Vec<String> = r[..10]
                    .iter()
                    .map(|v| match v {
                        SqlValue::Null => "null".to_owned(),
                        SqlValue::Int(i) => i.to_string(),
                        SqlValue::Real(f) => format!("{f:?}"),
                        SqlValue::Text(t) => t.clone(),
                        SqlValue::Blob(_) => String::new(),
                    })
                    .collect();
                across_markets::Row {
                    key: key.join("\u{1f}"),
                    strategy: text(&r[0]),
                    params: object(&r[2]),
                    orders: object(&r[3]),
                    figure: MarketFigure {
                        symbol: text(&r[10]),
                        timeframe: text(&r[11]),
                        config_hash: text(&r[12]),
                        value: r[13].real(),
                        total_return: r[14].real().unwrap_or(f64::NAN),
                        buy_hold_return: r[15].real(),
                    },
                }
            })
            .collect();
        Ok(across_markets::rank(rows, metric, min_markets))
    }

    /// The latest errors first.
    pub fn errors(&mut self, limit: usize) -> Result<Vec<ErrorRow>> {
        let rows = self
            .db
            .query(
                "SELECT id, config_hash, config, message, created_at FROM errors ORDER BY id DESC LIMIT ?",
                &[(limit as i64).into()],
            )
            .map_err(driver)?;
        rows.iter()
            .map(|r| {
                Ok(ErrorRow {
                    id: r[0].int().unwrap_or(0),
                    config_hash: r[1].text().map(str::to_owned),
                    config: serde_json::from_str(r[2].text().unwrap_or("null")).unwrap_or(Value::Null),
                    message: r[3].text().unwrap_or_default().to_owned(),
                    created_at: r[4].int().unwrap_or(0),
                })
            })
            .collect()
    }

    pub fn summary(&mut self) -> Result<Summary> {
        let rows = self
            .db
            .query(
                "SELECT symbol, timeframe, strategy, experiments, profitable, sum_sharpe, sum_return, best_sharpe, \
                 best_return FROM summaries ORDER BY symbol, timeframe, strategy",
                &[],
            )
            .map_err(driver)?;
        let groups: Vec<SummaryRow> = rows
            .iter()
            .map(|r| {
                let n = r[3].int().unwrap_or(0);
                let mean = |sum: Option<f64>| if n == 0 { 0.0 } else { sum.unwrap_or(0.0) / n as f64 };
                SummaryRow {
                    symbol: r[0].text().unwrap_or_default().to_owned(),
                    timeframe: r[1].text().unwrap_or_default().to_owned(),
                    strategy: r[2].text().unwrap_or_default().to_owned(),
                    experiments: n,
                    profitable: r[4].int().unwrap_or(0),
                    mean_sharpe: mean(r[5].real()),
                    mean_return: mean(r[6].real()),
                    best_sharpe: r[7].real().unwrap_or(0.0),
                    best_return: r[8].real().unwrap_or(0.0),
                }
            })
            .collect();
        let errors = self
            .db
            .query("SELECT count(*) FROM errors", &[])
            .map_err(driver)?
            .first()
            .and_then(|r| r[0].int())
            .unwrap_or(0);
        Ok(Summary {
            experiments: groups.iter().map(|g| g.experiments).sum(),
            errors,
            groups,
        })
    }
}

/// Experiments read from the store (or, for a merge, how many were new), and the rows
/// that could not be read, each named by its id and the column at fault.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Listing<T = Vec<Experiment>> {
    pub experiments: T,
    pub unreadable: Vec<String>,
}

impl Listing {
    fn of(rows: &[Vec<SqlValue>]) -> Self {
        let mut listing = Listing {
            experiments: Vec::with_capacity(rows.len()),
            unreadable: Vec::new(),
        };
        for row in rows {
            match experiment(row) {
                Ok(e) => listing.experiments.push(e),
                Err(e) => listing.unreadable.push(match named_row(row, e) {
                    Error::Store(message) => message,
                    other => other.to_string(),
                }),
            }
        }
        listing
    }
}

/// A row's decoding error, with the row's id.
fn named_row(row: &[SqlValue], e: Error) -> Error {
    let id = row
        .first()
        .and_then(SqlValue::int)
        .map_or_else(|| "?".to_owned(), |id| id.to_string());
    match e {
        Error::Store(message) => Error::Store(format!("experiment #{id}: {message}")),
        other => other,
    }
}

/// What [`Store::insert`] did with each result; the three add up to the results given.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize)]
pub struct Inserted {
    pub stored: usize,
    pub already_stored: usize,
    /// Recorded in `errors` instead, with the reason.
    pub failed: usize,
}

/// Why a result cannot be a row, if it cannot: each metric column and each curve point
/// must be a finite number.
fn unstorable(r: &BacktestResult) -> Option<String> {
    let m = &r.metrics;
    // A metric the spec leaves null is stored as NULL; any other must be finite.
    let undefined = Metric::ALL
        .into_iter()
        .find(|metric| metric.value(m).is_some_and(|v| !v.is_finite()));
    if let Some(metric) = undefined {
        return Some(format!(
            "metric `{metric}` is {}, not a finite number: the candles or costs give no usable result",
            metric.of(m)
        ));
    }
    r.equity_curve
        .iter()
        .find(|p| !(p.equity as f32).is_finite())
        .map(|p| format!("the equity at {} is {}, not a finite number", p.time, p.equity))
}

/// One `errors` row; a config already recorded stays as it was (returns 0).
fn insert_error<D: Sql>(
    db: &mut D,
    hash: Option<&str>,
    config: &Value,
    message: &str,
    created_at: i64,
) -> Result<usize, String> {
    db.execute(
        "INSERT INTO errors (config_hash, config, message, created_at) VALUES (?, ?, ?, ?) \
         ON CONFLICT (config_hash) DO NOTHING",
        &[
            hash.into(),
            to_canonical_json(config).into(),
            message.into(),
            created_at.into(),
        ],
    )
}

fn row_values(r: &BacktestResult, created_at: i64) -> Vec<SqlValue> {
    let c = &r.config;
    let m = &r.metrics;
    let mut values: Vec<SqlValue> = vec![
        r.config_hash.as_str().into(),
        r.data_fingerprint.as_str().into(),
        c.symbol.as_str().into(),
        c.timeframe.as_str().into(),
        c.strategy.as_str().into(),
        c.start.0.into(),
        c.end.0.into(),
        to_canonical_json(&Value::Object(c.params.clone())).into(),
        c.initial_capital.into(),
        c.fee_bps.into(),
        c.slippage_bps.into(),
        i64::from(c.allow_short).into(),
        (r.candles as i64).into(),
        r.first_candle.into(),
        r.last_candle.into(),
        m.total_return.into(),
        m.annualized_return.into(),
        m.sharpe_ratio.into(),
        m.max_drawdown.into(),
        i64::from(m.total_trades).into(),
        i64::from(m.winning_trades).into(),
        i64::from(m.losing_trades).into(),
        m.win_rate.into(),
        m.profit_factor.into(),
        m.avg_win.into(),
        m.avg_loss.into(),
        m.final_equity.into(),
        SqlValue::Blob(pack_curve(&r.equity_curve)),
        created_at.into(),
        c.definition.as_deref().map_or(SqlValue::Null, Into::into),
        if c.orders.is_empty() {
            SqlValue::Null
        } else {
            to_canonical_json(&serde_json::to_value(&c.orders).unwrap_or(Value::Null)).into()
        },
    ];
    values.extend(
        Metric::ALL[Metric::REPORT_FROM..]
            .iter()
            .map(|metric| metric.value(m).into()),
    );
    values
}

/// What one insert adds to a `summaries` row.
struct SummaryGroup {
    experiments: i64,
    profitable: i64,
    sum_sharpe: f64,
    sum_return: f64,
    best_sharpe: f64,
    best_return: f64,
}

impl SummaryGroup {
    fn of(m: &Metrics) -> Self {
        Self {
            experiments: 1,
            profitable: i64::from(m.total_return > 0.0),
            sum_sharpe: m.sharpe_ratio,
            sum_return: m.total_return,
            best_sharpe: m.sharpe_ratio,
            best_return: m.total_return,
        }
    }

    fn add(&mut self, m: &Metrics) {
        self.experiments += 1;
        self.profitable += i64::from(m.total_return > 0.0);
        self.sum_sharpe += m.sharpe_ratio;
        self.sum_return += m.total_return;
        self.best_sharpe = self.best_sharpe.max(m.sharpe_ratio);
        self.best_return = self.best_return.max(m.total_return);
    }
}

/// Stores the definition of `hash` (the process has it: its configs just ran).
fn keep_definition<D: Sql>(db: &mut D, hash: &str) -> Result<(), String> {
    let defined = crate::lang::defined(hash).ok_or_else(|| format!("definition {hash} is not loaded"))?;
    db.execute(
        "INSERT INTO definitions (hash, name, source) VALUES (?, ?, ?) ON CONFLICT (hash) DO NOTHING",
        &[
            hash.into(),
            defined.definition().name.as_str().into(),
            defined.source().into(),
        ],
    )?;
    Ok(())
}

fn experiment(r: &[SqlValue]) -> Result<Experiment> {
    let bad = |column: &str| Error::Store(format!("column `{column}` is missing or malformed"));
    let int = |i: usize, name: &str| r[i].int().ok_or_else(|| bad(name));
    let real = |i: usize, name: &str| r[i].real().ok_or_else(|| bad(name));
    let text = |i: usize, name: &str| r[i].text().map(str::to_owned).ok_or_else(|| bad(name));
    let params: Map<String, Value> = serde_json::from_str(&text(8, "params")?).map_err(|_| bad("params"))?;
    let total_return = real(16, "total_return")?;
    let count = |i: usize, name: &str| int(i, name).map(|v| v as u32);
    // The report's columns follow `orders`, in `Metric::ALL`'s order.
    let report = |k: usize| r.get(32 + k).and_then(SqlValue::real);
    let curve = match &r[28] {
        SqlValue::Blob(bytes) => unpack_curve(bytes).ok_or_else(|| bad("equity_curve"))?,
        _ => return Err(bad("equity_curve")),
    };
    Ok(Experiment {
        id: int(0, "id")?,
        config_hash: text(1, "config_hash")?,
        data_fingerprint: text(2, "data_fingerprint")?,
        config: BacktestConfig {
            symbol: text(3, "symbol")?,
            timeframe: text(4, "timeframe")?.parse().map_err(|_| bad("timeframe"))?,
            strategy: text(5, "strategy")?,
            start: Timestamp(int(6, "start_time")?),
            end: Timestamp(int(7, "end_time")?),
            params,
            initial_capital: real(9, "initial_capital")?,
            fee_bps: real(10, "fee_bps")?,
            slippage_bps: real(11, "slippage_bps")?,
            allow_short: int(12, "allow_short")? != 0,
            definition: r.get(30).and_then(SqlValue::text).map(str::to_owned),
            orders: match r.get(31).and_then(SqlValue::text) {
                Some(json) => serde_json::from_str(json).map_err(|_| bad("orders"))?,
                None => Orders::default(),
            },
        },
        candles: int(13, "candles")?,
        first_candle: int(14, "first_candle")?,
        last_candle: int(15, "last_candle")?,
        metrics: Metrics {
            total_return,
            total_return_pct: total_return * 100.0,
            annualized_return: real(17, "annualized_return")?,
            sharpe_ratio: real(18, "sharpe_ratio")?,
            max_drawdown: real(19, "max_drawdown")?,
            total_trades: count(20, "total_trades")?,
            winning_trades: count(21, "winning_trades")?,
            losing_trades: count(22, "losing_trades")?,
            win_rate: real(23, "win_rate")?,
            profit_factor: r[24].real(),
            avg_win: real(25, "avg_win")?,
            avg_loss: real(26, "avg_loss")?,
            final_equity: real(27, "final_equity")?,
            sortino_ratio: report(0),
            volatility_annualized: report(1),
            calmar_ratio: report(2),
            buy_hold_return: report(3),
            excess_return: report(4),
            beta: report(5),
            alpha: report(6),
            exposure: report(7),
            avg_drawdown: report(8),
            max_drawdown_duration_hours: report(9),
            avg_drawdown_duration_hours: report(10),
            best_trade: report(11),
            worst_trade: report(12),
            expectancy: report(13),
            avg_trade_duration_hours: report(14),
            max_trade_duration_hours: report(15),
            max_consecutive_wins: report(16).map(|v| v as u32),
            max_consecutive_losses: report(17).map(|v| v as u32),
            sqn: report(18),
            kelly: report(19),
            equity_peak: report(20),
        },
        equity_curve: curve,
        created_at: int(29, "created_at")?,
    })
}

/// Packs an equity curve: at most [`CURVE_POINTS`] evenly chosen points (first and last
/// kept), as a version byte, the first time (i64 ms), then per point the seconds since
/// it (u32) and the equity (f32), little-endian: at most 1,037 bytes.
pub fn pack_curve(curve: &[EquityPoint]) -> Vec<u8> {
    let picked: Vec<&EquityPoint> = if curve.len() <= CURVE_POINTS {
        curve.iter().collect()
    } else {
        let last = curve.len() - 1;
        (0..CURVE_POINTS)
            .map(|k| &curve[k * last / (CURVE_POINTS - 1)])
            .collect()
    };
    let first = picked.first().map_or(0, |p| p.time);
    let mut bytes = Vec::with_capacity(9 + 8 * picked.len());
    bytes.push(1u8);
    bytes.extend_from_slice(&first.to_le_bytes());
    for p in picked {
        let seconds = ((p.time - first) / 1000).clamp(0, i64::from(u32::MAX)) as u32;
        bytes.extend_from_slice(&seconds.to_le_bytes());
        bytes.extend_from_slice(&(p.equity as f32).to_le_bytes());
    }
    bytes
}

pub fn unpack_curve(bytes: &[u8]) -> Option<Vec<EquityPoint>> {
    let (&version, rest) = bytes.split_first()?;
    if version != 1 || rest.len() < 8 || (rest.len() - 8) % 8 != 0 {
        return None;
    }
    let first = i64::from_le_bytes(rest[..8].try_into().ok()?);
    Some(
        rest[8..]
            .chunks_exact(8)
            .map(|p| EquityPoint {
                time: first + 1000 * i64::from(u32::from_le_bytes(p[..4].try_into().unwrap())),
                equity: f64::from(f32::from_le_bytes(p[4..].try_into().unwrap())),
            })
            .collect(),
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn curves_pack_small_and_come_back() {
        let curve: Vec<EquityPoint> = (0..5000)
            .map(|i| EquityPoint {
                time: 1_700_000_000_000 + i * 900_000,
                equity: 10_000.0 + i as f64,
            })
            .collect();
        let bytes = pack_curve(&curve);
        assert_eq!(bytes.len(), 9 + 8 * CURVE_POINTS);
        let back = unpack_curve(&bytes).unwrap();
        assert_eq!(back.len(), CURVE_POINTS);
        assert_eq!(back[0], curve[0]);
        assert_eq!(back[CURVE_POINTS - 1], curve[4999]);
        assert!(unpack_curve(&[2, 0]).is_none());
        assert_eq!(unpack_curve(&pack_curve(&[])).unwrap(), vec![]);
    }
}
