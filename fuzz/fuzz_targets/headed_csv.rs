#![no_main]

use btlab::parse::{CandleFormat, parse_as};
use libfuzzer_sys::fuzz_target;

// Any bytes: an error or a series that passes validation, never a panic.
fuzz_target!(|data: &[u8]| {
    if let Ok(candles) = parse_as(CandleFormat::HeadedCsv, data) {
        assert!(candles.validate(|i| i.to_string()).is_ok());
    }
});
