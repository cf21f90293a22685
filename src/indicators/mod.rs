//! Indicators computed exactly as TA-Lib computes them (same seeding, same order of
//! floating-point operations), returned as full-length series with `NaN` before the
//! first value, so index `i` always means candle `i`. One indicator per file.

mod ad;
mod aroon;
mod atr;
mod bbands;
mod cache;
mod cci;
mod dema;
mod dmi;
mod ema;
mod kama;
mod linearreg;
mod macd;
mod mfi;
mod mom;
mod obv;
mod roc;
mod rolling;
mod rsi;
mod sar;
mod series;
mod sma;
mod stddev;
mod stoch;
mod tema;
mod trange;
mod trima;
mod vwap;
mod willr;
mod wma;

pub use ad::ad;
pub use aroon::{Aroon, aroon};
pub use atr::{atr, natr};
pub use bbands::{Bbands, bbands};
pub use cache::{CandleColumns, Column, ColumnKey, DEFAULT_CACHE_BYTES, Held, IndicatorKey, Indicators, MacdSeries};
pub use cci::cci;
pub use dema::dema;
pub use dmi::{adx, minus_di, plus_di};
pub use ema::ema;
pub use kama::kama;
pub use linearreg::linearreg;
pub use macd::{Macd, macd};
pub use mfi::mfi;
pub use mom::mom;
pub use obv::obv;
pub use roc::roc;
pub use rolling::{highest, lowest, sum};
pub use rsi::rsi;
pub use sar::sar;
pub use series::{ExactValues, Series};
pub use sma::sma;
pub use stddev::stddev;
pub use stoch::{Stoch, stoch};
pub use tema::tema;
pub use trange::trange;
pub use trima::trima;
pub use vwap::vwap;
pub use willr::willr;
pub use wma::wma;

/// `indicator` over `values` from their first number on, `NaN` before: what TA-Lib's Python
/// wrapper does with a leading `NaN` run, so an indicator over an indicator
/// (`sma(rsi(close, 14), 5)`) starts where its input does.
pub fn from_first_value(values: &[f64], indicator: impl FnOnce(&[f64]) -> Vec<f64>) -> Vec<f64> {
    let start = values.iter().position(|v| !v.is_nan()).unwrap_or(values.len());
    if start == 0 {
        return indicator(values);
    }
    let mut out = vec![f64::NAN; start];
    out.extend(indicator(&values[start..]));
    out
}
