//! Redis Cluster's commands on a server that is not a cluster node, answered as a standalone
//! redis-server answers them: clients probe with CLUSTER INFO (or send READONLY) to learn which
//! kind of server they talk to, and they expect this error, not an unknown command.

use super::{Action, Ctx};
use crate::error::{CmdError, CmdResult};
use crate::resp::Args;

/// CLUSTER's subcommands, ASKING, READONLY and READWRITE.
pub fn disabled(_ctx: &mut Ctx, _args: Args) -> CmdResult<Action> {
    Err(CmdError::ClusterDisabled)
}
