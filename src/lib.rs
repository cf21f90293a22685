//! btlab's core: candles, TA-Lib-exact indicators, strategies, execution and metrics.
//!
//! Pure computation, no I/O: no file, no clock, no network, no threads of its own. Every
//! input arrives as an argument, so every rule of the engine is tested by `cargo test`, and
//! the same code runs natively, in the browser's workers and on the edge.

pub mod across_markets;
pub mod candles;
mod canonical;
mod close_index;
pub mod config;
pub mod engine;
pub mod error;
pub mod indicators;
pub mod lang;
pub mod metrics;
pub mod optimize;
pub mod orders;
pub mod overfit;
pub mod parse;
pub mod plan;
pub mod profiles;
pub mod promotion;
pub mod report;
pub mod robustness;
mod scan;
pub mod search;
pub mod store;
pub mod strategy;
pub mod synthetic;
pub mod time;
pub mod timeframe;

pub use candles::{Candle, Candles, Gap};
pub use canonical::to_canonical_json;
pub use config::{BacktestConfig, ValidConfig, config_hash};
pub use engine::{BacktestResult, Detail, EquityPoint, Market, Side, Trade, prepare_series, run_backtest, run_batch};
pub use error::{Error, Result};
pub use metrics::Metrics;
pub use parse::parse_candles;
pub use time::Timestamp;
pub use timeframe::Timeframe;
