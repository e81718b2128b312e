//! Every error string a client can see, in one place, with Redis 7.0's exact wording,
//! and the separate I/O fault type for the server's own failures.

use std::fmt;

/// An error reply to a command. The connection stays open after it.
/// `Display` renders the text after the leading `-` of a RESP error line.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum CmdError {
    #[error("WRONGTYPE Operation against a key holding the wrong kind of value")]
    WrongType,
    #[error("ERR syntax error")]
    Syntax,
    #[error("ERR value is not an integer or out of range")]
    NotInteger,
    #[error("ERR value is not a valid float")]
    NotFloat,
    #[error("ERR hash value is not an integer")]
    HashNotInteger,
    #[error("ERR hash value is not a float")]
    HashNotFloat,
    #[error("ERR increment or decrement would overflow")]
    Overflow,
    #[error("ERR increment would produce NaN or Infinity")]
    NanOrInfinity,
    #[error("ERR value is NaN or Infinity")]
    ValueNanOrInfinity,
    #[error("ERR invalid expire time in '{0}' command")]
    InvalidExpire(&'static str),
    #[error("ERR no such key")]
    NoSuchKey,
    #[error("ERR DB index is out of range")]
    DbIndexOutOfRange,
    #[error("ERR string exceeds maximum allowed size (proto-max-bulk-len)")]
    StringTooLong,
    #[error("ERR offset is out of range")]
    OffsetOutOfRange,
    #[error("ERR invalid cursor")]
    InvalidCursor,
    #[error("ERR value is out of range, must be positive")]
    NotPositive,
    #[error("ERR wrong number of arguments for '{0}' command")]
    WrongArity(String),
    #[error("ERR unknown command '{name}', with args beginning with: {args}")]
    UnknownCommand { name: String, args: String },
    #[error("ERR unknown subcommand '{sub}'. Try {cmd} HELP.")]
    UnknownSubcommand { sub: String, cmd: String },
    #[error("ERR unknown subcommand or wrong number of arguments for '{sub}'. Try {cmd} HELP.")]
    SubcommandSyntax { sub: String, cmd: String },
    #[error("ERR NX and XX, GT or LT options at the same time are not compatible")]
    NxXxGtLt,
    #[error("ERR GT and LT options at the same time are not compatible")]
    GtLt,
    #[error("NOPROTO unsupported protocol version")]
    NoProto,
    #[error("ERR Client names cannot contain spaces, newlines or special characters.")]
    BadClientName,
    #[error("ERR No such client")]
    NoSuchClient,
    #[error("ERR Unknown option or number of arguments for CONFIG SET - '{0}'")]
    ConfigSetUnknown(String),
    #[error("ERR CONFIG SET failed (possibly related to argument '{0}') - {1}")]
    ConfigSetFailed(String, String),
    #[error("ERR Errors trying to SHUTDOWN. Check logs.")]
    ShutdownFailed,
    #[error("EXECABORT Transaction discarded because of previous errors.")]
    ExecAbort,
    #[error("ERR Command not allowed inside a transaction")]
    NotInMulti,
    #[error("ERR timeout is not an integer or out of range")]
    TimeoutNotInt,
    #[error("ERR timeout is negative")]
    TimeoutNegative,
    /// An error reply of the caller's own text (DEBUG ERROR).
    #[error("{0}")]
    Verbatim(String),
    #[error("ERR MODULE command not allowed. If the enable-module-command option is set to \"local\", you can run it from a local connection, otherwise you need to set this option in the configuration file, and then restart the server.")]
    ModuleCommandNotAllowed,
    #[error("MISCONF Errors writing to the AOF file: {0}")]
    MisconfAof(String),
    #[error("READONLY You can't write against a read only replica.")]
    ReadOnlyReplica,
    #[error("NOREPLICAS Not enough good replicas to write.")]
    NoReplicas,
    #[error("MASTERDOWN Link with MASTER is down and replica-serve-stale-data is set to 'no'.")]
    MasterDown,
    #[error("ERR WAIT cannot be used with replica instances. Please also note that since Redis 4.0 if a replica is configured to be writable (which is not the default) writes to replicas are just local and are not propagated.")]
    WaitOnReplica,
    #[error("ERR Unrecognized REPLCONF option: {0}")]
    ReplconfOption(String),
    #[error("NOMASTERLINK Can't SYNC while not connected with my master")]
    NoMasterLink,
    #[error("ERR Background append only file rewriting already in progress")]
    RewriteInProgress,
    #[error("ERR Background save already in progress")]
    SaveInProgress,
    /// SAVE or BGSAVE failed (the reason is in the log, as Redis answers).
    #[error("ERR")]
    SaveFailed,
    #[error("ERR Errors trying to SHUTDOWN. Check logs.")]
    ShutdownSaveFailed,
    #[error("ERR DEBUG command not allowed. If the enable-debug-command option is set to \"local\", you can run it from a local connection, otherwise you need to set this option in the configuration file, and then restart the server.")]
    DebugNotAllowed,
    #[error("WRONGPASS invalid username-password pair or user is disabled.")]
    WrongPass,
    #[error("NOAUTH Authentication required.")]
    NoAuth,
    #[error("NOAUTH HELLO must be called with the client already authenticated, otherwise the HELLO AUTH <user> <pass> option can be used to authenticate the client and select the RESP protocol version at the same time")]
    HelloNoAuth,
    #[error("ERR AUTH <password> called without any password configured for the default user. Are you sure your configuration is correct?")]
    AuthWithoutPassword,
    #[error("WRONGTYPE Key is not a valid HyperLogLog string value.")]
    NotHll,
    #[error("INVALIDOBJ Corrupted HLL object detected")]
    HllCorrupt,
    #[error("NOSCRIPT No matching script. Please use EVAL.")]
    NoScript,
    #[error("NOTBUSY No scripts in execution right now.")]
    NotBusy,
    #[error("ERR This instance has cluster support disabled")]
    ClusterDisabled,
    /// A script's reply nests deeper than it may be converted (a table that holds itself).
    #[error("ERR reached lua stack limit")]
    LuaStackLimit,
    #[error(
        "BUSY Redis is busy running a script. You can only call SCRIPT KILL or SHUTDOWN NOSAVE."
    )]
    BusyEval,
    #[error(
        "BUSY Redis is busy running a script. You can only call FUNCTION KILL or SHUTDOWN NOSAVE."
    )]
    BusyFunction,
    #[error("UNKILLABLE Sorry the script already executed write commands against the dataset. You can either wait the script termination or kill the server in a hard way using the SHUTDOWN NOSAVE command.")]
    Unkillable,
    #[error("ERR Function not found")]
    FunctionNotFound,
    #[error("OOM command not allowed when used memory > 'maxmemory'.")]
    Oom,
    #[error("NOPERM this user has no permissions to run the '{0}' command")]
    NoPermCommand(String),
    #[error("NOPERM this user has no permissions to access one of the keys used as arguments")]
    NoPermKey,
    #[error("NOPERM this user has no permissions to access one of the channels used as arguments")]
    NoPermChannel,
    /// A queued command the user's rules no longer allow when EXEC runs it (the reason).
    #[error("NOPERM ACLs rules changed between the moment the transaction was accumulated and the EXEC call. This command is no longer allowed for the following reason: {0}")]
    NoPermInExec(&'static str),
    #[error("ERR The user executing the script can't run this command or subcommand")]
    ScriptNoPermCommand,
    #[error("ERR The user executing the script can't access at least one of the keys mentioned in the command arguments")]
    ScriptNoPermKey,
    #[error(
        "ERR The user executing the script can't publish to the channel mentioned in the command"
    )]
    ScriptNoPermChannel,
    /// ACL SETUSER: the modifier, and what is wrong with it.
    #[error("ERR Error in ACL SETUSER modifier '{0}': {1}")]
    AclModifier(String, &'static str),
    #[error("ERR Unmatched parenthesis in acl selector starting at '{0}'.")]
    AclUnmatched(String),
    #[error("ERR Usernames can't contain spaces or null characters")]
    AclBadUsername,
    #[error("ERR The 'default' user cannot be removed")]
    AclDeleteDefault,
    #[error("ERR Unknown category '{0}'")]
    AclUnknownCategory(String),
    #[error("ERR ACL GENPASS argument must be the number of bits for the output password, a positive number up to 4096")]
    AclGenpassBits,
    #[error("ERR This Redis instance is not configured to use an ACL file. You may want to specify users via the ACL SETUSER command and then issue a CONFIG REWRITE (assuming you have a Redis configuration file set) in order to store users in the Redis configuration.")]
    AclNoFile,
    #[error("ERR There was an error trying to save the ACLs. Please check the server logs for more information")]
    AclSaveFailed,
    #[error("BUSYKEY Target key name already exists.")]
    BusyKey,
    #[error("ERR DUMP payload version or checksum are wrong")]
    BadDumpPayload,
    #[error("ERR Bad data format")]
    BadDataFormat,
    /// Any other `ERR ...` message Redis words per call site.
    #[error("ERR {0}")]
    Other(String),
}

/// `Result` for command handlers and keyspace operations.
pub type CmdResult<T = ()> = Result<T, CmdError>;

impl CmdError {
    /// The wrong-arity error names the command as the client typed it, lower-cased like Redis.
    pub fn arity(name: &[u8]) -> Self {
        CmdError::WrongArity(String::from_utf8_lossy(name).to_ascii_lowercase())
    }

    /// Unknown command: Redis quotes the name (128 bytes at most) and the first arguments, the
    /// argument list cut at 128 characters.
    pub fn unknown_command(name: &[u8], args: &[&[u8]]) -> Self {
        let mut list = String::new();
        for a in args {
            if list.len() >= 128 {
                break;
            }
            let room = 128 - list.len();
            list.push('\'');
            list.push_str(&sanitize(&a[..a.len().min(room)]));
            list.push_str("' ");
        }
        CmdError::UnknownCommand {
            name: sanitize(&name[..name.len().min(128)]),
            args: list,
        }
    }

    /// Wrong arity of a container's subcommand: Redis names it `container|sub`, lower-cased.
    pub fn sub_arity(container: &str, sub: &[u8]) -> Self {
        CmdError::WrongArity(format!(
            "{container}|{}",
            String::from_utf8_lossy(&sub.to_ascii_lowercase())
        ))
    }

    /// A subcommand given arguments it does not take (Redis's addReplySubcommandSyntaxError):
    /// the subcommand as typed, the container upper-cased.
    pub fn subcommand_syntax(container: &[u8], sub: &[u8]) -> Self {
        CmdError::SubcommandSyntax {
            sub: sanitize(sub),
            cmd: String::from_utf8_lossy(container).to_ascii_uppercase(),
        }
    }

    pub fn unknown_subcommand(sub: &[u8], cmd: &str) -> Self {
        CmdError::UnknownSubcommand {
            sub: sanitize(sub),
            cmd: cmd.to_string(),
        }
    }
}

/// Error text must stay on one RESP line: Redis replaces CR/LF with spaces.
fn sanitize(b: &[u8]) -> String {
    String::from_utf8_lossy(b).replace(['\r', '\n'], " ")
}

/// A protocol violation: the server replies `-ERR Protocol error: ...` and closes the connection.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ProtocolError {
    InvalidMultibulkLength,
    InvalidBulkLength,
    TooBigMbulkCount,
    TooBigBulkCount,
    TooBigInline,
    UnbalancedQuotes,
    ExpectedDollar(u8),
}

impl fmt::Display for ProtocolError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("ERR Protocol error: ")?;
        match self {
            ProtocolError::InvalidMultibulkLength => f.write_str("invalid multibulk length"),
            ProtocolError::InvalidBulkLength => f.write_str("invalid bulk length"),
            ProtocolError::TooBigMbulkCount => f.write_str("too big mbulk count string"),
            ProtocolError::TooBigBulkCount => f.write_str("too big bulk count string"),
            ProtocolError::TooBigInline => f.write_str("too big inline request"),
            ProtocolError::UnbalancedQuotes => f.write_str("unbalanced quotes in request"),
            ProtocolError::ExpectedDollar(c) => write!(f, "expected '$', got '{}'", *c as char),
        }
    }
}

impl std::error::Error for ProtocolError {}

/// Failures of the server itself (sockets, io_uring, pinning), never shown to clients as replies.
#[derive(Debug, thiserror::Error)]
pub enum ServerError {
    #[error("io_uring is not available ({0}). Check `sysctl kernel.io_uring_disabled` (must be 0) and, in a container, that the seccomp profile allows io_uring_setup.")]
    IoUringUnavailable(String),
    #[error("could not bind {addr}: address already in use. Stop the other server or pick another --port.")]
    PortInUse { addr: String },
    #[error("could not bind {addr}: {source}")]
    Bind {
        addr: String,
        source: std::io::Error,
    },
    #[error("could not pin executor {thread} to core {core}: {reason}. Run with --no-pin, or allow this process those cores (cgroup cpuset, taskset).")]
    Pinning {
        thread: usize,
        core: usize,
        reason: String,
    },
    #[error("executor failed: {0}")]
    Executor(String),
    #[error("configuration file {0}")]
    Config(String),
    #[error("{0}")]
    Limits(String),
    #[error("the append-only file {path} is damaged at byte offset {offset} ({reason}). Check it with `ringdis-aof-check {path}`; `ringdis-aof-check --fix {path}` cuts it at that offset (what follows is lost).")]
    AofCorrupt {
        path: String,
        offset: u64,
        reason: String,
    },
    /// A file that is not an append-only file ringdis can read, from its first byte on.
    #[error(
        "the append-only file {path} is {kind}, not an append-only file ringdis reads: {advice}"
    )]
    AofForeign {
        path: String,
        kind: &'static str,
        advice: &'static str,
    },
    #[error("the append-only file {path} selects database {db}, but there are only {databases}: start with a larger --databases")]
    AofDatabases {
        path: String,
        db: String,
        databases: usize,
    },
    #[error("cannot use the append-only file {path}: {source}. Check --dir and --appendfilename, and the permissions of the directory.")]
    AofIo {
        path: String,
        source: std::io::Error,
    },
    #[error("Redis's AOF manifest {path} cannot be followed: {reason}")]
    AofManifest { path: String, reason: String },
    #[error("Fatal error loading the DB: {0}. Exiting. (Check it with `ringdis-rdb-check`; start with --appendonly yes, or another --dbfilename, to start without it.)")]
    Rdb(String),
    #[error(transparent)]
    Io(#[from] std::io::Error),
}
