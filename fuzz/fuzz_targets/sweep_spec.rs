#![no_main]

use btlab::search::SweepSpec;
use libfuzzer_sys::fuzz_target;
use serde_json::{Map, Value};

// Any text as a sweep spec, read alone and completed by a flag as `btlab sweep` does: an
// error, or a spec whose count and first configs come without a panic or a hang.
fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else { return };
    let mut flags = Map::new();
    flags.insert("symbol".into(), Value::from("BTCUSDT"));
    for spec in [SweepSpec::from_yaml(text), SweepSpec::from_yaml_with(text, &flags)] {
        let Ok(spec) = spec else { continue };
        if spec.size().is_ok()
            && let Ok(configs) = spec.configs()
        {
            for config in configs.take(50).flatten() {
                let _ = config.validate();
            }
        }
    }
});
