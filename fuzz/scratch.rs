//! The keyspace the loader targets run into: one server state, without its AOF, made once per
//! process.

use std::sync::{Arc, OnceLock};

pub fn shared() -> &'static Arc<ringdis::shared::Shared> {
    static S: OnceLock<Arc<ringdis::shared::Shared>> = OnceLock::new();
    S.get_or_init(|| {
        ringdis::shared::Shared::new(ringdis::Config {
            appendonly: false,
            ..Default::default()
        })
    })
}
