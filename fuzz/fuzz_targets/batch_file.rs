#![no_main]

use btlab::config::batch_configs;
use libfuzzer_sys::fuzz_target;

// Any text as a `btlab batch` file: an error naming the file's shape, or one outcome per
// config, each validated without a panic.
fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else { return };
    if let Ok(items) = batch_configs(text) {
        for config in items.into_iter().flatten() {
            let _ = config.validate();
        }
    }
});
