//! Fuzzes the scenario parser: any text is a scenario or an error that can say where it is.
#![no_main]

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else { return };
    if let Err(error) = authlab::scenario::parse_scenario(text, "fuzz.toml") {
        // What `authlab check` and the app's library show of an error.
        let _ = error.to_string();
        let _ = error.message();
        if let Some((line, column)) = error.position() {
            assert!(line >= 1 && column >= 1, "positions count from 1: {line}:{column}");
        }
    }
});
