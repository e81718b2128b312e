//! Command-line flags (Redis-style `--name value`) and the settings CONFIG GET/SET expose.

use clap::Parser;
use std::net::IpAddr;

#[derive(Debug, Clone, Parser)]
#[command(
    name = "ringdis",
    version,
    about = "A Redis-compatible in-memory server, thread-per-core on io_uring"
)]
pub struct Config {
    /// TCP port to listen on (0 picks a free port).
    #[arg(long, default_value_t = 6969)]
    pub port: u16,

    /// Address to bind.
    #[arg(long, default_value = "127.0.0.1")]
    pub bind: IpAddr,

    /// Executor threads, each pinned to a core with its own listener (default: cores available).
    #[arg(long, value_parser = clap::value_parser!(u16).range(1..=1024))]
    pub threads: Option<u16>,

    /// Number of databases (SELECT 0..N-1).
    #[arg(long, default_value_t = 16, value_parser = clap::value_parser!(u32).range(1..=1_000_000))]
    pub databases: u32,

    /// Maximum number of connected clients.
    #[arg(long, default_value_t = 10_000)]
    pub maxclients: u64,

    /// Largest bulk string a request may carry, in bytes.
    #[arg(long = "proto-max-bulk-len", default_value_t = 512 * 1024 * 1024, value_parser = clap::value_parser!(i64).range(1024..=512 * 1024 * 1024))]
    pub proto_max_bulk_len: i64,

    /// Active expiry cycles per second.
    #[arg(long, default_value_t = 10, value_parser = clap::value_parser!(u32).range(1..=500))]
    pub hz: u32,

    /// Do not pin executors to cores (for shared machines and containers that refuse pinning).
    #[arg(long)]
    pub no_pin: bool,
}

impl Default for Config {
    fn default() -> Self {
        Config::parse_from(["ringdis"])
    }
}

impl Config {
    /// Executors to start: the flag, or the cores this process may run on.
    pub fn thread_count(&self) -> usize {
        match self.threads {
            Some(n) => n as usize,
            None => core_affinity::get_core_ids().map_or(1, |c| c.len().max(1)),
        }
    }
}
