//! Keyspace notifications delivered as pub/sub messages: `__keyspace@<db>__:<key>` carries the
//! event, `__keyevent@<db>__:<event>` the key, through the same registry and output limits as
//! PUBLISH, from whichever executor made the change (under its shard lock).

use super::limits::drop_over_output_limit;
use super::pubsub::Delivery;
use super::Shared;
use crate::keyspace::events::{class, Notify};
use std::sync::Weak;

/// Publishes notifications to the server's subscribers.
pub struct ToSubscribers(pub Weak<Shared>);

impl Notify for ToSubscribers {
    fn invalidate(&self, key: &[u8]) {
        if let Some(sh) = self.0.upgrade() {
            sh.tracking.invalidate(key);
        }
    }

    fn publish(&self, db: usize, _class: u32, event: &str, key: &[u8]) {
        let Some(sh) = self.0.upgrade() else {
            return;
        };
        let flags = sh
            .ks
            .events
            .flags
            .load(std::sync::atomic::Ordering::Relaxed);
        let cut = |h: &super::clients::ClientHandle| drop_over_output_limit(&sh, None, h);
        let d = Delivery {
            limit: sh.output_limits.get(super::clients::ClientClass::Pubsub),
            now_ms: crate::keyspace::now_ms(),
            cut: &cut,
        };
        if flags & class::KEYSPACE != 0 {
            let mut ch = format!("__keyspace@{db}__:").into_bytes();
            ch.extend_from_slice(key);
            sh.pubsub.publish(&ch, event.as_bytes(), &d);
        }
        if flags & class::KEYEVENT != 0 {
            let ch = format!("__keyevent@{db}__:{event}");
            sh.pubsub.publish(ch.as_bytes(), key, &d);
        }
    }
}
