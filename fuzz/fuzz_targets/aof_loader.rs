//! The append-only file loader on any bytes: batches and their checksums scanned, and every
//! record that passes run into a keyspace, as start-up loads the file. Never panics.
#![no_main]
use libfuzzer_sys::fuzz_target;
#[path = "../scratch.rs"]
mod scratch;

fuzz_target!(|data: &[u8]| {
    let sh = scratch::shared();
    let mut replayer = ringdis::cmd::Replayer::new(sh);
    let _ = ringdis::aof::replay::apply(data, |args| replayer.run(args));
    drop(replayer);
    let _ = ringdis::aof::format::scan(data, |_| {});
});
