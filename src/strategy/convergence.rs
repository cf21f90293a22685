use super::{Constraint, Gap, ParamSpec, ParamValues, Strategy};
use crate::indicators::{IndicatorKey, Indicators};

/// Three votes, SMA cross, MACD cross and RSI extremes; acts when `threshold` of them agree.
pub(super) struct Convergence;

const FAST: usize = 0;
const SLOW: usize = 1;
const RSI_PERIOD: usize = 2;
const OVERSOLD: usize = 3;
const OVERBOUGHT: usize = 4;
const MACD_FAST: usize = 5;
const MACD_SLOW: usize = 6;
const MACD_SIGNAL: usize = 7;
const THRESHOLD: usize = 8;

fn sign(x: f64) -> i8 {
    (x > 0.0) as i8 - (x < 0.0) as i8
}

impl Strategy for Convergence {
    fn name(&self) -> &'static str {
        "convergence"
    }

    fn description(&self) -> &'static str {
        "Votes of SMA cross, MACD cross and RSI extremes: long when the score >= threshold, short when <= -threshold"
    }

    fn params(&self) -> &'static [ParamSpec] {
        const PARAMS: [ParamSpec; 9] = [
            ParamSpec::period("fast_period", 20.0, 1.0, "fast SMA period"),
            ParamSpec::period("slow_period", 50.0, 1.0, "slow SMA period"),
            ParamSpec::period("rsi_period", 14.0, 2.0, "RSI period"),
            ParamSpec::level("oversold", 30.0, "RSI below this votes long"),
            ParamSpec::level("overbought", 70.0, "RSI above this votes short"),
            ParamSpec::period("macd_fast", 12.0, 1.0, "MACD fast EMA period"),
            ParamSpec::period("macd_slow", 26.0, 1.0, "MACD slow EMA period"),
            ParamSpec::period("macd_signal", 9.0, 1.0, "MACD signal EMA period"),
            ParamSpec {
                name: "threshold",
                kind: super::ParamKind::Int,
                default: 2.0,
                min: 1.0,
                max: 3.0,
                exclusive: false,
                description: "votes needed to act",
                choices: &[],
            },
        ];
        &PARAMS
    }

    fn constraints(&self) -> &'static [Constraint] {
        const CONSTRAINTS: [Constraint; 3] = [
            Constraint::less("fast_period", "slow_period"),
            Constraint::less("oversold", "overbought"),
            Constraint::less("macd_fast", "macd_slow"),
        ];
        &CONSTRAINTS
    }

    fn indicators(&self, p: &ParamValues) -> Vec<IndicatorKey> {
        vec![
            IndicatorKey::Sma(p.period(FAST)),
            IndicatorKey::Sma(p.period(SLOW)),
            IndicatorKey::Rsi(p.period(RSI_PERIOD)),
            IndicatorKey::Macd {
                fast: p.period(MACD_FAST),
                slow: p.period(MACD_SLOW),
                signal: p.period(MACD_SIGNAL),
            },
        ]
    }

    fn targets(&self, p: &ParamValues, ind: &Indicators, _allow_short: bool, out: &mut [i8]) {
        let (fast, slow) = (ind.sma(p.period(FAST)), ind.sma(p.period(SLOW)));
        let rsi = ind.rsi(p.period(RSI_PERIOD));
        let macd = ind.macd(p.period(MACD_FAST), p.period(MACD_SLOW), p.period(MACD_SIGNAL));
        let (oversold, overbought) = (p.get(OVERSOLD), p.get(OVERBOUGHT));
        let threshold = p.get(THRESHOLD) as i8;
        let mut sma_gap = Gap::new(&fast, &slow);
        let mut previous = 0i8;
        for i in 0..out.len() {
            let (r, h) = (rsi[i], macd.histogram[i]);
            let sma_vote = match r.is_nan() || h.is_nan() {
                true => None,
                false => sma_gap.sign(i),
            };
            out[i] = match sma_vote {
                None => 0,
                Some(sma_vote) => {
                    let rsi_vote = (r < oversold) as i8 - (r > overbought) as i8;
                    let score = sma_vote + sign(h) + rsi_vote;
                    if score >= threshold {
                        1
                    } else if score <= -threshold {
                        -1
                    } else {
                        previous
                    }
                }
            };
            previous = out[i];
        }
    }
}
