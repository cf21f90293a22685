use super::{Constraint, ParamSpec, ParamValues, Strategy, crossover};
use crate::indicators::{IndicatorKey, Indicators};

/// Long when the fast SMA is above the slow one, short (or flat) when below.
pub(super) struct SmaCross;

const FAST: usize = 0;
const SLOW: usize = 1;

impl Strategy for SmaCross {
    fn name(&self) -> &'static str {
        "sma"
    }

    fn description(&self) -> &'static str {
        "SMA crossover: long while SMA(fast) > SMA(slow), short (or flat) while below"
    }

    fn params(&self) -> &'static [ParamSpec] {
        const PARAMS: [ParamSpec; 2] = [
            ParamSpec::period("fast_period", 20.0, 1.0, "fast SMA period"),
            ParamSpec::period("slow_period", 50.0, 1.0, "slow SMA period"),
        ];
        &PARAMS
    }

    fn constraints(&self) -> &'static [Constraint] {
        const CONSTRAINTS: [Constraint; 1] = [Constraint::less("fast_period", "slow_period")];
        &CONSTRAINTS
    }

    fn indicators(&self, p: &ParamValues) -> Vec<IndicatorKey> {
        vec![IndicatorKey::Sma(p.period(FAST)), IndicatorKey::Sma(p.period(SLOW))]
    }

    fn targets(&self, p: &ParamValues, ind: &Indicators, _allow_short: bool, out: &mut [i8]) {
        let (fast, slow) = (ind.sma(p.period(FAST)), ind.sma(p.period(SLOW)));
        crossover(&fast, &slow, out);
    }
}
