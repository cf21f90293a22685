//! The embedded default market `DEMO-BTC`: a seeded synthetic series with volatility
//! clustering (GARCH(1,1)) and trending regimes (a Markov chain of bull, bear and sideways
//! drifts), so that every face can run with no file and no network.
//!
//! Deterministic on every target: a ChaCha8 stream and `libm`'s math, never the platform's.
//! The series starts at [`ORIGIN_MS`] and the candle at a given time is the same whatever
//! range is asked for.

use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;

use crate::candles::{Candle, Candles};
use crate::error::{Error, Result};
use crate::timeframe::Timeframe;

pub const SYMBOL: &str = "DEMO-BTC";
pub const DEFAULT_SEED: u64 = 42;
/// 2024-01-01T00:00:00Z.
pub const ORIGIN_MS: i64 = 1_704_067_200_000;
/// The series covers ten years from the origin.
pub const END_MS: i64 = ORIGIN_MS + 10 * 365 * 86_400_000;

const START_PRICE: f64 = 42_000.0;
const ANNUAL_VOLATILITY: f64 = 0.60;
const GARCH_ALPHA: f64 = 0.08;
const GARCH_BETA: f64 = 0.90;
/// Annual drifts of the bull, sideways and bear regimes.
const REGIME_DRIFT: [f64; 3] = [0.9, 0.0, -0.7];
const REGIME_DAYS: f64 = 30.0;

/// Candles of `timeframe` with `start <= open_time < end`, clipped to the series' span.
pub fn generate(timeframe: Timeframe, start: i64, end: i64, seed: u64) -> Result<Candles> {
    let (start, end) = (start.max(ORIGIN_MS), end.min(END_MS));
    if start >= end {
        return Err(Error::Config {
            field: "range".into(),
            message: format!(
                "{SYMBOL} covers {} to {}",
                crate::time::format_ms(ORIGIN_MS),
                crate::time::format_ms(END_MS)
            ),
        });
    }
    let step = timeframe.millis();
    let minutes_per_year = 365.0 * 24.0 * 60.0;
    let bar_fraction = timeframe.minutes() as f64 / minutes_per_year;
    let long_run_variance = ANNUAL_VOLATILITY * ANNUAL_VOLATILITY * bar_fraction;
    let omega = long_run_variance * (1.0 - GARCH_ALPHA - GARCH_BETA);
    let switch_probability = (timeframe.minutes() as f64 / (REGIME_DAYS * 1440.0)).min(0.5);

    let mut rng = ChaCha8Rng::seed_from_u64(seed ^ (timeframe.minutes() as u64) << 32);
    let mut variance = long_run_variance;
    let mut shock = 0.0;
    let mut regime = 1usize;
    let mut close = START_PRICE;
    let first = (start - ORIGIN_MS).div_euclid(step) + i64::from((start - ORIGIN_MS).rem_euclid(step) != 0);
    let mut out = Candles::with_capacity(((end - start) / step).max(0) as usize + 1);
    let mut k = 0i64;
    loop {
        let open_time = ORIGIN_MS + k * step;
        if open_time >= end {
            break;
        }
        variance = omega + GARCH_ALPHA * shock * shock + GARCH_BETA * variance;
        if rng.random::<f64>() < switch_probability {
            regime = rng.random_range(0..3);
        }
        let sigma = libm::sqrt(variance);
        shock = sigma * normal(&mut rng);
        let drift = REGIME_DRIFT[regime] * bar_fraction - 0.5 * variance;
        let open = close;
        close = round_cents(open * libm::exp(drift + shock));
        let wick_high = libm::fabs(normal(&mut rng)) * sigma * 0.6;
        let wick_low = libm::fabs(normal(&mut rng)) * sigma * 0.6;
        let high = round_cents(open.max(close) * libm::exp(wick_high)).max(open.max(close));
        let low = round_cents(open.min(close) * libm::exp(-wick_low)).min(open.min(close));
        let activity = 1.0 + 40.0 * libm::fabs(shock);
        let volume = (libm::exp(0.4 * normal(&mut rng)) * 50.0 * timeframe.minutes() as f64 / 15.0 * activity * 1e5)
            .round()
            / 1e5;
        if k >= first {
            out.push(Candle {
                open_time,
                open,
                high,
                low,
                close,
                volume,
            });
        }
        k += 1;
    }
    Ok(out)
}

fn round_cents(price: f64) -> f64 {
    (price * 100.0).round() / 100.0
}

/// A standard normal draw (Box–Muller), with `libm` so every target gets the same bits.
fn normal(rng: &mut ChaCha8Rng) -> f64 {
    let u1 = 1.0 - rng.random::<f64>();
    let u2 = rng.random::<f64>();
    libm::sqrt(-2.0 * libm::log(u1)) * libm::cos(std::f64::consts::TAU * u2)
}

#[cfg(test)]
mod tests {
    use super::*;

    const DAY: i64 = 86_400_000;

    #[test]
    fn deterministic_valid_and_range_independent() {
        let a = generate(Timeframe::H1, ORIGIN_MS, ORIGIN_MS + 30 * DAY, 7).unwrap();
        let b = generate(Timeframe::H1, ORIGIN_MS, ORIGIN_MS + 30 * DAY, 7).unwrap();
        assert_eq!(a, b);
        assert_eq!(a.len(), 30 * 24);
        a.validate(|i| format!("candle {i}")).unwrap();
        let later = generate(Timeframe::H1, ORIGIN_MS + 10 * DAY, ORIGIN_MS + 30 * DAY, 7).unwrap();
        assert_eq!(later, a.range(ORIGIN_MS + 10 * DAY, ORIGIN_MS + 30 * DAY));
        let other_seed = generate(Timeframe::H1, ORIGIN_MS, ORIGIN_MS + 30 * DAY, 8).unwrap();
        assert_ne!(a.close, other_seed.close);
        assert!(generate(Timeframe::H1, 0, ORIGIN_MS, 7).is_err());
    }

    #[test]
    fn volatility_is_realistic_and_clusters() {
        let c = generate(Timeframe::H1, ORIGIN_MS, ORIGIN_MS + 720 * DAY, DEFAULT_SEED).unwrap();
        let r: Vec<f64> = c.close.windows(2).map(|w| (w[1] / w[0]).ln()).collect();
        let mean = r.iter().sum::<f64>() / r.len() as f64;
        let var = r.iter().map(|x| (x - mean).powi(2)).sum::<f64>() / r.len() as f64;
        let annual = (var * 24.0 * 365.0).sqrt();
        assert!((0.4..0.9).contains(&annual), "annual volatility {annual}");
        // Clustering: squared returns are autocorrelated, plain returns much less.
        let sq: Vec<f64> = r.iter().map(|x| (x - mean).powi(2)).collect();
        let autocorr = |x: &[f64]| {
            let m = x.iter().sum::<f64>() / x.len() as f64;
            let num: f64 = x.windows(2).map(|w| (w[0] - m) * (w[1] - m)).sum();
            let den: f64 = x.iter().map(|v| (v - m).powi(2)).sum();
            num / den
        };
        assert!(autocorr(&sq) > 0.05, "squared-return autocorrelation {}", autocorr(&sq));
        assert!(autocorr(&r).abs() < autocorr(&sq));
    }
}
