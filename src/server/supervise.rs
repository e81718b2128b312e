//! `supervised systemd` (or `auto` under systemd): readiness and stopping told to the service
//! manager through `$NOTIFY_SOCKET`, as sd_notify does (no libsystemd needed), so a
//! `Type=notify` unit (tools/ringdis.service) starts its dependants only once ringdis listens.

use crate::shared::Shared;
use std::os::unix::net::{SocketAddr, UnixDatagram};

/// Whether the settings ask for systemd's notifications and there is a socket to send them to.
pub fn wanted(sh: &Shared) -> bool {
    let mode = sh.params.value("supervised");
    let socket = std::env::var_os("NOTIFY_SOCKET").is_some();
    match mode.as_str() {
        "systemd" if !socket => {
            crate::warning!("systemd supervision requested or auto-detected, but NOTIFY_SOCKET environment variable not found!");
            false
        }
        "systemd" | "auto" if socket => {
            crate::notice!("Supervised by systemd. Please make sure you set appropriate values for TimeoutStartSec and TimeoutStopSec in your service unit.");
            true
        }
        "upstart" => {
            crate::warning!("upstart supervision is not supported by ringdis (use systemd)");
            false
        }
        _ => false,
    }
}

/// Sends one notification (`READY=1\n`...) to `$NOTIFY_SOCKET`; failures are logged.
pub fn notify(state: &str) {
    let Some(path) = std::env::var_os("NOTIFY_SOCKET") else {
        return;
    };
    let path = path.to_string_lossy().into_owned();
    let addr = match path.strip_prefix('@') {
        // An abstract socket (systemd's usual one).
        Some(name) => {
            use std::os::linux::net::SocketAddrExt;
            SocketAddr::from_abstract_name(name.as_bytes())
        }
        None => SocketAddr::from_pathname(&path),
    };
    let sent = addr.and_then(|a| UnixDatagram::unbound()?.send_to_addr(state.as_bytes(), &a));
    if let Err(e) = sent {
        crate::warning!("Can't send notification to systemd: {e}");
    }
}
