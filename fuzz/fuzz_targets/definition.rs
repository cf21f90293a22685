#![no_main]

use btlab::indicators::Indicators;
use libfuzzer_sys::fuzz_target;

// Any text as a strategy definition: an error with a line and column, or a definition
// that runs its defaults on a small market, without a panic, a hang or a stack overflow.
fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else { return };
    match btlab::lang::compile(text) {
        Err(diagnostics) => assert!(diagnostics.iter().all(|d| d.line >= 1 && d.column >= 1)),
        Ok(_) => {
            let Ok(defined) = btlab::lang::define(text) else { return };
            let closes: Vec<f64> = (0..200).map(|i| 100.0 + (f64::from(i) * 0.3).sin() * 5.0).collect();
            let indicators = Indicators::new(closes);
            let strategy: &dyn btlab::strategy::Strategy = defined;
            let defaults = btlab::strategy::default_params(strategy);
            if let Ok((values, _)) = btlab::strategy::validate_params(strategy, &defaults) {
                let mut out = vec![0; indicators.len()];
                strategy.targets(&values, &indicators, true, &mut out);
            }
        }
    }
});
