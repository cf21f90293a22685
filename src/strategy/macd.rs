use super::{Constraint, ParamSpec, ParamValues, Strategy, crossover};
use crate::indicators::{IndicatorKey, Indicators};

/// Long when the MACD line is above its signal line, short (or flat) when below.
pub(super) struct MacdCross;

const FAST: usize = 0;
const SLOW: usize = 1;
const SIGNAL: usize = 2;

impl Strategy for MacdCross {
    fn name(&self) -> &'static str {
        "macd"
    }

    fn description(&self) -> &'static str {
        "MACD crossover: long while the MACD line is above its signal line, short (or flat) while below"
    }

    fn params(&self) -> &'static [ParamSpec] {
        const PARAMS: [ParamSpec; 3] = [
            ParamSpec::period("fast_period", 12.0, 1.0, "fast EMA period"),
            ParamSpec::period("slow_period", 26.0, 1.0, "slow EMA period"),
            ParamSpec::period("signal_period", 9.0, 1.0, "signal EMA period"),
        ];
        &PARAMS
    }

    fn constraints(&self) -> &'static [Constraint] {
        const CONSTRAINTS: [Constraint; 1] = [Constraint::less("fast_period", "slow_period")];
        &CONSTRAINTS
    }

    fn indicators(&self, p: &ParamValues) -> Vec<IndicatorKey> {
        vec![IndicatorKey::Macd {
            fast: p.period(FAST),
            slow: p.period(SLOW),
            signal: p.period(SIGNAL),
        }]
    }

    fn targets(&self, p: &ParamValues, ind: &Indicators, _allow_short: bool, out: &mut [i8]) {
        let m = ind.macd(p.period(FAST), p.period(SLOW), p.period(SIGNAL));
        crossover(&m.line, &m.signal, out);
    }
}
