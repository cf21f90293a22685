use super::{Constraint, ParamSpec, ParamValues, Strategy};
use crate::indicators::{IndicatorKey, Indicators};

/// RSI mean reversion, stateful: from flat, long below `oversold` (short above
/// `overbought` when shorts are allowed); a long exits above `overbought`, a short covers
/// below `oversold`. An exit is followed on the same candle by the entry rule from flat, so
/// with shorts allowed an overbought long reverses to short (and an oversold short to long).
pub(super) struct RsiReversion;

const PERIOD: usize = 0;
const OVERSOLD: usize = 1;
const OVERBOUGHT: usize = 2;

impl Strategy for RsiReversion {
    fn name(&self) -> &'static str {
        "rsi"
    }

    fn description(&self) -> &'static str {
        "RSI mean reversion: long when RSI < oversold, exit when RSI > overbought (shorts mirrored)"
    }

    fn params(&self) -> &'static [ParamSpec] {
        const PARAMS: [ParamSpec; 3] = [
            ParamSpec::period("period", 14.0, 2.0, "RSI period"),
            ParamSpec::level("oversold", 30.0, "enter long below this RSI"),
            ParamSpec::level("overbought", 70.0, "exit long (or enter short) above this RSI"),
        ];
        &PARAMS
    }

    fn constraints(&self) -> &'static [Constraint] {
        const CONSTRAINTS: [Constraint; 1] = [Constraint::less("oversold", "overbought")];
        &CONSTRAINTS
    }

    fn indicators(&self, p: &ParamValues) -> Vec<IndicatorKey> {
        vec![IndicatorKey::Rsi(p.period(PERIOD))]
    }

    fn targets(&self, p: &ParamValues, ind: &Indicators, allow_short: bool, out: &mut [i8]) {
        let rsi = ind.rsi(p.period(PERIOD));
        let (oversold, overbought) = (p.get(OVERSOLD), p.get(OVERBOUGHT));
        let mut position = 0i8;
        for (target, &r) in out.iter_mut().zip(rsi.iter()) {
            // NaN compares false everywhere: no value yet keeps the position at 0.
            if (position == 1 && r > overbought) || (position == -1 && r < oversold) {
                position = 0;
            }
            if position == 0 {
                if r < oversold {
                    position = 1;
                } else if allow_short && r > overbought {
                    position = -1;
                }
            }
            *target = position;
        }
    }
}
