//! ringdis: a Redis-compatible in-memory server, thread-per-core on glommio (io_uring).
//!
//! Layout: [`resp`] parses requests and encodes replies, [`cmd`] holds the command table and the
//! handlers, [`keyspace`] the sharded data, [`aof`] the append-only file, [`server`] the
//! executors and connections.

pub mod aof;
pub mod cmd;
pub mod config;
pub mod error;
pub mod keyspace;
pub mod resp;
pub mod server;

pub use config::Config;
pub use server::{run, start, Server};
