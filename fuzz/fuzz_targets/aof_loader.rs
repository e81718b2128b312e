//! The append-only file loader on any bytes: batches and their checksums scanned, and every
//! record that passes run into a keyspace, as start-up loads the file. Never panics.
#![no_main]
use libfuzzer_sys::fuzz_target;
use std::sync::{Arc, OnceLock};

fn shared() -> &'static Arc<ringdis::shared::Shared> {
    static S: OnceLock<Arc<ringdis::shared::Shared>> = OnceLock::new();
    S.get_or_init(|| {
        ringdis::shared::Shared::new(ringdis::Config {
            appendonly: false,
            ..Default::default()
        })
    })
}

fuzz_target!(|data: &[u8]| {
    let sh = shared();
    let mut replayer = ringdis::cmd::Replayer::new(sh);
    let _ = ringdis::aof::replay::apply(data, |args| replayer.run(args));
    drop(replayer);
    let _ = ringdis::aof::format::scan(data, |_| {});
});
