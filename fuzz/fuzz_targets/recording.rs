//! Fuzzes the recording reader, and what replay and `authlab report` do with what it read.
#![no_main]

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let Ok(recording) = authlab::recording::Recording::read_from(data) else { return };
    let _ = recording.duration_s();
    let _ = recording.truncated();
    let _ = recording.summary().to_json_pretty();
    let _ = recording.header().scenario.parsed();
    for strategy in recording.strategies() {
        let _ = recording.aggregate(strategy, f64::NEG_INFINITY, f64::INFINITY);
        let _ = recording.aggregate(strategy, 0.0, recording.duration_s() / 2.0);
    }
});
