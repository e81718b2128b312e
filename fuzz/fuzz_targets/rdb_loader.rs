//! The RDB loader and RESTORE's payload reader on any bytes (a dump.rdb or a DUMP payload is
//! input a client or an operator hands over): every key a load reads goes into a keyspace,
//! as start-up loads the file. Never panics.
#![no_main]
use libfuzzer_sys::fuzz_target;
#[path = "../scratch.rs"]
mod scratch;

fuzz_target!(|data: &[u8]| {
    let sh = scratch::shared();
    let mut replayer = ringdis::cmd::Replayer::new(sh);
    let _ = ringdis::rdb::load(data, 0, &mut replayer);
    drop(replayer);
    // The same bytes as a value body (RESTORE, after its checksum).
    if let Some(v) = ringdis::keyspace::rdbvalue::read(data) {
        let _ = v.commands(b"k", 512, |_| Ok::<(), ()>(()));
    }
});
