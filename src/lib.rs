//! ringdis: a Redis-compatible in-memory server, thread-per-core on glommio (io_uring).
//!
//! Layout, each module using only those before it (tools/check_module_deps.py checks it):
//! [`log`] the server log; [`error`] the errors clients see; [`resp`] parses requests and encodes replies; [`config`]
//! the flags and settings; [`keyspace`] the sharded data (writes are recorded through its
//! `Journal` trait); [`aof`] the append-only file (it implements `Journal`; replay takes a
//! function that runs each record); [`shared`] the state all executors share (keyspace, file,
//! client and pub/sub registries, statistics); [`cmd`] the command table and the handlers;
//! [`server`] the executors, listeners and connections.

pub mod alloc;
pub mod aof;
pub mod cmd;
pub mod config;
pub mod error;
pub mod keyspace;
pub mod log;
pub mod rdb;
pub mod resp;
pub mod server;
pub mod shared;

pub use config::Config;
pub use server::{run, start, Server};
