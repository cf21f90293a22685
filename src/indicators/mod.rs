//! Indicators computed exactly as TA-Lib computes them (same seeding, same order of
//! floating-point operations), returned as full-length series with `NaN` before the
//! first value, so index `i` always means candle `i`.

mod cache;
mod ema;
mod macd;
mod rsi;
mod series;
mod sma;

pub use cache::{DEFAULT_CACHE_BYTES, Held, IndicatorKey, Indicators, MacdSeries};
pub use ema::ema;
pub use macd::{Macd, macd};
pub use rsi::rsi;
pub use series::{ExactValues, Series};
pub use sma::sma;
