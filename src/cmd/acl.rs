//! ACL, as Redis 7.0: the rules that change a user (ACL SETUSER, `user` lines, the ACL file),
//! how a user is described (ACL LIST, GETUSER), the check every client command goes through
//! before it runs, and the ACL commands. Users themselves are data in [`crate::shared::acl`];
//! commands are named there by their index in [`super::all`].

use super::spec::{Acl, KeyFlags, ACL_NAMES};
use super::{all, keys_of, lookup, Action, Command, Ctx, COMMANDS, OK};
use crate::error::{CmdError, CmdResult};
use crate::resp::Args;
use crate::shared::acl::{self as data, KeyPattern, LogEntry, Reason, Selector, User};
use crate::shared::auth::Auth;
use std::sync::atomic::Ordering;
use std::sync::{Arc, OnceLock};
use std::time::Instant;

/// What is wrong with one rule (Redis's texts for each errno it sets).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum RuleError {
    Unknown,
    Syntax,
    AfterAllKeys,
    AfterAllChannels,
    NoSuchPassword,
    BadHash,
    Duplicate,
    FirstArgOfSub,
}

impl RuleError {
    pub fn text(self) -> &'static str {
        match self {
            RuleError::Unknown => "Unknown command or category name in ACL",
            RuleError::Syntax => "Syntax error",
            RuleError::AfterAllKeys => "Adding a pattern after the * pattern (or the 'allkeys' flag) is not valid and does not have any effect. Try 'resetkeys' to start with an empty list of patterns",
            RuleError::AfterAllChannels => "Adding a pattern after the * pattern (or the 'allchannels' flag) is not valid and does not have any effect. Try 'resetchannels' to start with an empty list of channels",
            RuleError::NoSuchPassword => "The password you are trying to remove from the user does not exist",
            RuleError::BadHash => "The password hash must be exactly 64 characters and contain only lowercase hexadecimal characters",
            RuleError::Duplicate => "Duplicate user found. A user can only be defined once in config files",
            RuleError::FirstArgOfSub => "Allowing first-arg of a subcommand is not supported",
        }
    }
}

/// Per command index: its subcommands' indices, and its ACL categories.
struct Meta {
    children: Vec<Vec<usize>>,
    categories: Vec<Acl>,
}

fn meta() -> &'static Meta {
    static META: OnceLock<Meta> = OnceLock::new();
    META.get_or_init(|| {
        let cmds = all();
        assert!(
            cmds.len() <= data::WORDS * 64,
            "the ACL command bitmap is too small for the command table"
        );
        Meta {
            children: cmds
                .iter()
                .map(|c| {
                    c.subcommands
                        .iter()
                        .filter_map(|s| lookup(s.name.as_bytes()).map(|(i, _)| i))
                        .collect()
                })
                .collect(),
            categories: cmds.iter().map(|c| c.categories()).collect(),
        }
    })
}

/// Allows or denies a command, and all its subcommands with a container.
fn change(sel: &mut Selector, id: usize, on: bool) {
    sel.set(id, on);
    for &c in &meta().children[id] {
        sel.set(c, on);
    }
}

fn set_category(sel: &mut Selector, cat: Acl, on: bool) {
    for (id, cats) in meta().categories.iter().enumerate() {
        if cats.contains(cat) {
            change(sel, id, on);
        }
    }
}

fn all_commands(sel: &mut Selector, on: bool) {
    sel.bits = [if on { u64::MAX } else { 0 }; data::WORDS];
    sel.allcommands = on;
    sel.future = on;
    sel.firstargs.clear();
}

/// Applies one rule that belongs to a selector (commands, keys, channels).
pub fn apply_selector_rule(sel: &mut Selector, op: &[u8]) -> Result<(), RuleError> {
    let lower = op.to_ascii_lowercase();
    match lower.as_slice() {
        b"allkeys" => {
            sel.allkeys = true;
            sel.keys.clear();
            return Ok(());
        }
        b"resetkeys" => {
            sel.allkeys = false;
            sel.keys.clear();
            return Ok(());
        }
        b"allchannels" => {
            sel.allchannels = true;
            sel.channels.clear();
            return Ok(());
        }
        b"resetchannels" => {
            sel.allchannels = false;
            sel.channels.clear();
            return Ok(());
        }
        b"allcommands" | b"+@all" => {
            all_commands(sel, true);
            return Ok(());
        }
        b"nocommands" | b"-@all" => {
            all_commands(sel, false);
            return Ok(());
        }
        _ => {}
    }
    match op.first() {
        Some(b'~' | b'%') => {
            if sel.allkeys {
                return Err(RuleError::AfterAllKeys);
            }
            let (read, write, pattern) = if op[0] == b'%' {
                let (mut r, mut w) = (false, false);
                let mut i = 1;
                loop {
                    match op.get(i).map(u8::to_ascii_uppercase) {
                        Some(b'R') if !r => r = true,
                        Some(b'W') if !w => w = true,
                        Some(b'~') => break,
                        _ => return Err(RuleError::Syntax),
                    }
                    i += 1;
                }
                if !r && !w {
                    return Err(RuleError::Syntax);
                }
                (r, w, &op[i + 1..])
            } else {
                (true, true, &op[1..])
            };
            if pattern == b"*" && read && write {
                sel.allkeys = true;
                sel.keys.clear();
            } else if let Some(p) = sel.keys.iter_mut().find(|p| p.pattern == pattern) {
                p.read |= read;
                p.write |= write;
            } else {
                sel.keys.push(KeyPattern {
                    pattern: pattern.to_vec(),
                    read,
                    write,
                });
            }
            Ok(())
        }
        Some(b'&') => {
            if sel.allchannels {
                return Err(RuleError::AfterAllChannels);
            }
            let p = &op[1..];
            if p == b"*" {
                sel.allchannels = true;
                sel.channels.clear();
            } else if !sel.channels.iter().any(|c| c == p) {
                sel.channels.push(p.to_vec());
            }
            Ok(())
        }
        Some(b'+' | b'-') if op.get(1) == Some(&b'@') => {
            let cat = Acl::by_name(&op[2..]).ok_or(RuleError::Unknown)?;
            set_category(sel, cat, op[0] == b'+');
            Ok(())
        }
        Some(b'+') => {
            let name = &op[1..];
            let Some(bar) = name.iter().rposition(|&c| c == b'|') else {
                let (id, _) = lookup(name).ok_or(RuleError::Unknown)?;
                change(sel, id, true);
                return Ok(());
            };
            let (id, cmd) = lookup(&name[..bar]).ok_or(RuleError::Unknown)?;
            if cmd.name.contains('|') {
                return Err(RuleError::FirstArgOfSub);
            }
            let arg = &name[bar + 1..];
            if arg.is_empty() {
                return Err(RuleError::Syntax);
            }
            if cmd.subcommands.is_empty() {
                // Deprecated in Redis too, still honoured: `+select|0`.
                let arg = arg.to_ascii_lowercase();
                match sel.firstargs.iter_mut().find(|(c, _)| *c == id) {
                    Some((_, args)) if !args.contains(&arg) => args.push(arg),
                    Some(_) => {}
                    None => {
                        // Kept in command order, the order descriptions list them in.
                        let at = sel.firstargs.partition_point(|(c, _)| *c < id);
                        sel.firstargs.insert(at, (id, vec![arg]));
                    }
                }
            } else {
                let (sub, _) = lookup(name).ok_or(RuleError::Unknown)?;
                change(sel, sub, true);
            }
            Ok(())
        }
        Some(b'-') => {
            let (id, _) = lookup(&op[1..]).ok_or(RuleError::Unknown)?;
            change(sel, id, false);
            Ok(())
        }
        _ => Err(RuleError::Syntax),
    }
}

/// A new `(...)` selector's starting point: nothing, channels as acl-pubsub-default says.
fn new_selector(allchannels: bool) -> Selector {
    Selector {
        allchannels,
        ..Selector::default()
    }
}

/// Applies one rule to a user (`allchannels`: acl-pubsub-default).
pub fn apply_rule(u: &mut User, op: &[u8], allchannels: bool) -> Result<(), RuleError> {
    match op.to_ascii_lowercase().as_slice() {
        b"on" => u.enabled = true,
        b"off" => u.enabled = false,
        b"skip-sanitize-payload" => u.sanitize = Some(false),
        b"sanitize-payload" => u.sanitize = Some(true),
        b"nopass" => {
            u.nopass = true;
            u.passwords.clear();
        }
        b"resetpass" => {
            u.nopass = false;
            u.passwords.clear();
        }
        b"clearselectors" => u.selectors.truncate(1),
        b"reset" => {
            u.nopass = false;
            u.passwords.clear();
            u.selectors = vec![new_selector(allchannels)];
            u.enabled = false;
            u.sanitize = Some(true);
        }
        _ => {
            let mut add = |d: [u8; 32]| {
                if !u.passwords.contains(&d) {
                    u.passwords.push(d);
                }
                u.nopass = false;
            };
            match op.first() {
                Some(b'>') => add(data::digest(&op[1..])),
                Some(b'#') => add(data::parse_hex(&op[1..]).ok_or(RuleError::BadHash)?),
                Some(b'<' | b'!') => {
                    let d = if op[0] == b'<' {
                        data::digest(&op[1..])
                    } else {
                        data::parse_hex(&op[1..]).ok_or(RuleError::BadHash)?
                    };
                    let before = u.passwords.len();
                    u.passwords.retain(|p| *p != d);
                    if u.passwords.len() == before {
                        return Err(RuleError::NoSuchPassword);
                    }
                }
                Some(b'(') if op.len() > 1 && op.ends_with(b")") => {
                    let mut sel = new_selector(allchannels);
                    for r in op[1..op.len() - 1].split(|&c| c == b' ') {
                        if !r.is_empty() {
                            apply_selector_rule(&mut sel, r)?;
                        }
                    }
                    u.selectors.push(sel);
                }
                _ => apply_selector_rule(&mut u.selectors[0], op)?,
            }
        }
    }
    Ok(())
}

/// Joins the arguments of a `(...)` selector written as several (Redis's
/// ACLMergeSelectorArguments); Err: the argument that opened a selector never closed.
pub fn merge_selectors(args: &[&[u8]]) -> Result<Vec<Vec<u8>>, Vec<u8>> {
    let mut out = Vec::new();
    let mut open: Option<Vec<u8>> = None;
    for a in args {
        match open.as_mut() {
            Some(sel) => {
                sel.push(b' ');
                sel.extend_from_slice(a);
                if a.ends_with(b")") {
                    out.push(open.take().unwrap_or_default());
                }
            }
            None if a.first() == Some(&b'(') && !a.ends_with(b")") => open = Some(a.to_vec()),
            None => out.push(a.to_vec()),
        }
    }
    match open {
        Some(sel) => Err(sel.split(|&c| c == b' ').next().unwrap_or(b"").to_vec()),
        None => Ok(out),
    }
}

/// ACL SETUSER's work: `name` changed by `rules` (created if new), all or nothing.
pub fn set_user(auth: &Auth, name: &[u8], rules: &[&[u8]]) -> CmdResult<()> {
    if name.iter().any(|&c| c == b' ' || c == 0) {
        return Err(CmdError::AclBadUsername);
    }
    let allchannels = auth.allchannels_default.load(Ordering::Relaxed);
    let mut u = match auth.user(name) {
        Some(u) => (*u).clone(),
        None => User::new(auth.new_id(), &String::from_utf8_lossy(name), allchannels),
    };
    let merged = merge_selectors(rules)
        .map_err(|open| CmdError::AclUnmatched(String::from_utf8_lossy(&open).into_owned()))?;
    for op in &merged {
        apply_rule(&mut u, op, allchannels).map_err(|e| {
            CmdError::AclModifier(String::from_utf8_lossy(op).into_owned(), e.text())
        })?;
    }
    auth.put(u);
    Ok(())
}

/// A user built from a `user` line's rules (config file, ACL file), or the rule that failed.
pub fn user_from_rules(
    auth: &Auth,
    name: &str,
    rules: &[&[u8]],
) -> Result<User, (String, &'static str)> {
    let allchannels = auth.allchannels_default.load(Ordering::Relaxed);
    let mut u = User::new(auth.new_id(), name, allchannels);
    let merged = merge_selectors(rules).map_err(|open| {
        (
            String::from_utf8_lossy(&open).into_owned(),
            "Unmatched parenthesis in acl selector",
        )
    })?;
    for op in &merged {
        apply_rule(&mut u, op, allchannels)
            .map_err(|e| (String::from_utf8_lossy(op).into_owned(), e.text()))?;
    }
    Ok(u)
}

// ---- describing users ----

fn pattern_text(p: &KeyPattern) -> Vec<u8> {
    let prefix: &[u8] = match (p.read, p.write) {
        (true, false) => b"%R~",
        (false, true) => b"%W~",
        _ => b"~",
    };
    [prefix, &p.pattern].concat()
}

/// The command rules that rebuild `sel`'s commands: `+@all` or `-@all`, then the categories that
/// fit best, then single commands, as Redis 7.0 describes them.
pub fn command_rules(sel: &Selector) -> Vec<u8> {
    let m = meta();
    let cmds = all();
    let top = COMMANDS.len();
    let additive = !sel.future;
    let mut fake = Selector::default();
    all_commands(&mut fake, !additive);
    let mut rules: Vec<u8> = if additive { b"-@all " } else { b"+@all " }.to_vec();
    // Categories, the best fit first, judged by the top-level commands still to account for.
    let mut temp = sel.clone();
    let mut applied = [false; 32];
    loop {
        let mut best = None;
        let (mut mindiff, mut maxsame) = (usize::MAX, 0);
        for (j, &(cat, _)) in ACL_NAMES.iter().enumerate() {
            if applied[j] {
                continue;
            }
            let (mut on, mut off) = (0, 0);
            for id in 0..top {
                if m.categories[id].contains(cat) {
                    if temp.allows(id) {
                        on += 1;
                    } else {
                        off += 1;
                    }
                }
            }
            let (diff, same) = if additive { (off, on) } else { (on, off) };
            if same > diff && (diff < mindiff || (diff == mindiff && same > maxsame)) {
                best = Some(j);
                mindiff = diff;
                maxsame = same;
            }
        }
        let Some(j) = best else { break };
        let (cat, name) = ACL_NAMES[j];
        set_category(&mut fake, cat, additive);
        set_category(&mut temp, cat, !additive);
        rules.extend_from_slice(if additive { b"+@" } else { b"-@" });
        rules.extend_from_slice(name.as_bytes());
        rules.push(b' ');
        applied[j] = true;
    }
    // Then single commands, each container followed by its subcommands.
    let fix = |fake: &mut Selector, rules: &mut Vec<u8>, id: usize| {
        let want = sel.allows(id);
        if want != fake.allows(id) {
            rules.push(if want { b'+' } else { b'-' });
            rules.extend_from_slice(cmds[id].name.as_bytes());
            rules.push(b' ');
            change(fake, id, want);
        }
    };
    for (id, cmd) in cmds.iter().enumerate().take(top) {
        fix(&mut fake, &mut rules, id);
        if let Some((_, args)) = sel.firstargs.iter().find(|(c, _)| *c == id) {
            for a in args {
                rules.push(b'+');
                rules.extend_from_slice(cmd.name.as_bytes());
                rules.push(b'|');
                rules.extend_from_slice(a);
                rules.push(b' ');
            }
        }
    }
    for id in top..cmds.len() {
        fix(&mut fake, &mut rules, id);
    }
    rules.pop();
    rules
}

fn keys_text(sel: &Selector) -> Vec<u8> {
    if sel.allkeys {
        return b"~*".to_vec();
    }
    let texts: Vec<Vec<u8>> = sel.keys.iter().map(pattern_text).collect();
    texts.join(&b' ')
}

fn channels_text(sel: &Selector) -> Vec<u8> {
    if sel.allchannels {
        return b"&*".to_vec();
    }
    let texts: Vec<Vec<u8>> = sel
        .channels
        .iter()
        .map(|c| [b"&", &c[..]].concat())
        .collect();
    texts.join(&b' ')
}

fn describe_selector(sel: &Selector) -> Vec<u8> {
    let mut s = Vec::new();
    if sel.allkeys {
        s.extend_from_slice(b"~* ");
    } else {
        for p in &sel.keys {
            s.extend_from_slice(&pattern_text(p));
            s.push(b' ');
        }
    }
    if sel.allchannels {
        s.extend_from_slice(b"&* ");
    } else {
        s.extend_from_slice(b"resetchannels ");
        for c in &sel.channels {
            s.push(b'&');
            s.extend_from_slice(c);
            s.push(b' ');
        }
    }
    s.extend_from_slice(&command_rules(sel));
    s
}

fn flag_names(u: &User) -> Vec<&'static str> {
    let mut f = vec![if u.enabled { "on" } else { "off" }];
    if u.nopass {
        f.push("nopass");
    }
    match u.sanitize {
        Some(false) => f.push("skip-sanitize-payload"),
        Some(true) => f.push("sanitize-payload"),
        None => {}
    }
    f
}

/// A user as ACL LIST and the ACL file write it (without the leading `user name `); patterns
/// are written as they are, bytes and all.
pub fn describe(u: &User) -> Vec<u8> {
    let mut s = Vec::new();
    for f in flag_names(u) {
        s.extend_from_slice(f.as_bytes());
        s.push(b' ');
    }
    for p in &u.passwords {
        s.push(b'#');
        s.extend_from_slice(data::hex(p).as_bytes());
        s.push(b' ');
    }
    s.extend_from_slice(&describe_selector(&u.selectors[0]));
    for sel in &u.selectors[1..] {
        s.extend_from_slice(b" (");
        s.extend_from_slice(&describe_selector(sel));
        s.push(b')');
    }
    s
}

/// `user <name> <rules>`: one line of ACL LIST and of the ACL file.
pub fn user_line(u: &User) -> Vec<u8> {
    [b"user ", u.name.as_bytes(), b" ", &describe(u)].concat()
}

// ---- checking commands ----

/// Which arguments of a command are channels: from where, all of them or only the first, and
/// whether they are patterns (PSUBSCRIBE's, allowed only as written in the rules).
fn channel_args(name: &str) -> Option<(bool, bool)> {
    match name {
        "publish" | "spublish" => Some((false, false)),
        "subscribe" | "ssubscribe" => Some((true, false)),
        "psubscribe" => Some((true, true)),
        _ => None,
    }
}

/// A command's arguments as the check reads them: how many, and each by position.
pub struct Argv<'x, 'f> {
    pub len: usize,
    pub get: &'f dyn Fn(usize) -> &'x [u8],
}

/// The keys a command's arguments name, with what it does with each. The many commands with one
/// key at a fixed place take it straight from the key spec, without allocating.
fn keys_in(cmd: &Command, argv: &Argv) -> Vec<(usize, KeyFlags)> {
    match cmd.key_at {
        Some(pos) if pos < argv.len && !matches!(cmd.name, "set" | "bitfield") => {
            vec![(pos, cmd.keys[0].flags)]
        }
        _ => {
            let v: Vec<&[u8]> = (0..argv.len).map(argv.get).collect();
            keys_of(cmd, &v)
        }
    }
}

fn check_selector(
    sel: &Selector,
    cmd: &Command,
    id: usize,
    argv: &Argv,
    keys: &mut Option<Vec<(usize, KeyFlags)>>,
) -> Result<(), (Reason, usize)> {
    let allowed = sel.allows(id)
        || cmd.flags.contains(super::Flags::NO_AUTH)
        || (argv.len >= 2 && sel.allows_firstarg(id, (argv.get)(1)));
    if !allowed {
        return Err((Reason::Command, 0));
    }
    if !sel.allkeys && !cmd.keys.is_empty() {
        let keys = keys.get_or_insert_with(|| keys_in(cmd, argv));
        for &(pos, f) in keys.iter() {
            if f.contains(KeyFlags::NOT_KEY) {
                continue;
            }
            let read = f.contains(KeyFlags::ACCESS);
            let write = f.intersects(KeyFlags::INSERT | KeyFlags::DELETE | KeyFlags::UPDATE);
            if !sel.key_ok((argv.get)(pos), read, write) {
                return Err((Reason::Key, pos));
            }
        }
    }
    if !sel.allchannels {
        if let Some((every, pattern)) = channel_args(cmd.name) {
            let last = if every { argv.len } else { 2.min(argv.len) };
            for pos in 1..last {
                if !sel.channel_ok((argv.get)(pos), pattern) {
                    return Err((Reason::Channel, pos));
                }
            }
        }
    }
    Ok(())
}

/// Whether `user` may run `cmd` (index `id`) with `argv`: Ok, or why not and the argument at
/// fault. Every selector is tried; of their refusals the most telling is kept, as Redis keeps.
pub fn check(user: &User, cmd: &Command, id: usize, argv: &Argv) -> Result<(), (Reason, usize)> {
    let mut keys = None;
    let mut worst = (Reason::Command, 0);
    for sel in &user.selectors {
        match check_selector(sel, cmd, id, argv, &mut keys) {
            Ok(()) => return Ok(()),
            Err(e) if e.0 > worst.0 || (e.0 == worst.0 && e.1 > worst.1) => worst = e,
            Err(_) => {}
        }
    }
    Err(worst)
}

/// [`check`] for arguments in a slice.
pub fn check_slice(
    user: &User,
    cmd: &Command,
    id: usize,
    argv: &[&[u8]],
) -> Result<(), (Reason, usize)> {
    let get = |i: usize| argv[i];
    check(
        user,
        cmd,
        id,
        &Argv {
            len: argv.len(),
            get: &get,
        },
    )
}

/// Where a command was refused, as the ACL log names it.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum Context {
    /// A client's own command (or one queued in MULTI: "multi").
    #[default]
    Toplevel,
    /// A queued command, run by EXEC.
    Exec,
    /// A command a script runs.
    Lua,
}

/// The user a connection runs as, brought up to date with the registry: a changed user's new
/// rules, or none at all once it was deleted (its connections are closed then).
pub fn refresh(ctx: &mut Ctx) {
    let auth = &ctx.shared.auth;
    let epoch = auth.epoch();
    let name = ctx.client.handle.user.lock().clone();
    let current = auth.user(name.as_bytes());
    let user = match (&ctx.client.user, current) {
        (Some(old), Some(new)) if old.id == new.id => new,
        (None, Some(new)) => new,
        _ => Arc::new(User::new(0, &name, false)),
    };
    ctx.client.acl_all = user.unrestricted();
    ctx.client.user = Some(user);
    ctx.client.acl_epoch = epoch;
}

/// Makes `u` the connection's user (AUTH, HELLO AUTH, RESET).
pub fn become_user(ctx: &mut Ctx, u: Arc<User>) {
    *ctx.client.handle.user.lock() = Arc::from(u.name.as_str());
    ctx.client.acl_all = u.unrestricted();
    ctx.client.user = Some(u);
    ctx.client.acl_epoch = ctx.shared.auth.epoch();
}

/// The check before a client's command runs: Err with the reply when the user may not.
pub fn enforce(ctx: &mut Ctx, cmd: &Command, id: usize, args: &Args) -> Result<(), CmdError> {
    let Some(user) = ctx.client.user.clone() else {
        return Ok(());
    };
    let get = |i: usize| args.get(i);
    let argv = Argv {
        len: args.len(),
        get: &get,
    };
    let Err((reason, pos)) = check(&user, cmd, id, &argv) else {
        return Ok(());
    };
    let context = match ctx.client.acl_context {
        Context::Lua => "lua",
        Context::Exec => "multi",
        Context::Toplevel if ctx.client.multi.is_some() => "multi",
        Context::Toplevel => "toplevel",
    };
    let object = match reason {
        Reason::Command => cmd.name.as_bytes(),
        _ => args.get(pos),
    };
    log(ctx, reason, context, object, user.name.as_bytes());
    Err(match (ctx.client.acl_context, reason) {
        (Context::Lua, Reason::Command) => CmdError::ScriptNoPermCommand,
        (Context::Lua, Reason::Key) => CmdError::ScriptNoPermKey,
        (Context::Lua, _) => CmdError::ScriptNoPermChannel,
        (Context::Exec, Reason::Command) => {
            CmdError::NoPermInExec("no permission to execute the command or subcommand")
        }
        (Context::Exec, Reason::Key) => {
            CmdError::NoPermInExec("no permission to touch the specified keys")
        }
        (Context::Exec, _) => {
            CmdError::NoPermInExec("no permission to access one of the channels used as arguments")
        }
        (_, Reason::Command) => CmdError::NoPermCommand(cmd.name.to_string()),
        (_, Reason::Key) => CmdError::NoPermKey,
        (_, _) => CmdError::NoPermChannel,
    })
}

/// Adds an entry to the ACL log.
pub fn log(ctx: &Ctx, reason: Reason, context: &'static str, object: &[u8], username: &[u8]) {
    let h = &ctx.client.handle;
    let last = h.last_cmd.load(Ordering::Relaxed);
    let cmd_name = all().get(last).map_or("NULL", |c| c.name);
    let entry = LogEntry {
        count: 1,
        reason,
        context,
        object: object.to_vec(),
        username: username.to_vec(),
        at: Instant::now(),
        client_info: h.info_line(cmd_name),
    };
    let max = ctx.shared.auth.log_max.load(Ordering::Relaxed) as usize;
    ctx.shared.auth.log.lock().add(entry, max);
}

// ---- the ACL command ----

pub fn acl_help(ctx: &mut Ctx, _args: Args) -> CmdResult<Action> {
    super::help(
        ctx.out,
        "ACL",
        &[
            "CAT [<category>]",
            "    List all commands that belong to <category>, or all command categories",
            "    when no category is specified.",
            "DELUSER <username> [<username> ...]",
            "    Delete a list of users.",
            "DRYRUN <username> <command> [<arg> ...]",
            "    Returns whether the user can execute the given command without executing the command.",
            "GETUSER <username>",
            "    Get the user's details.",
            "GENPASS [<bits>]",
            "    Generate a secure 256-bit user password. The optional `bits` argument can",
            "    be used to specify a different size.",
            "LIST",
            "    Show users details in config file format.",
            "LOAD",
            "    Reload users from the ACL file.",
            "LOG [<count> | RESET]",
            "    Show the ACL log entries.",
            "SAVE",
            "    Save the current config to the ACL file.",
            "SETUSER <username> <attribute> [<attribute> ...]",
            "    Create or modify a user with the specified attributes.",
            "USERS",
            "    List all the registered usernames.",
            "WHOAMI",
            "    Return the current connection username.",
        ],
    );
    OK
}

pub fn acl_setuser(ctx: &mut Ctx, args: Args) -> CmdResult<Action> {
    let rules: Vec<&[u8]> = args.iter().skip(3).collect();
    set_user(&ctx.shared.auth, args.get(2), &rules)?;
    ctx.out.ok();
    OK
}

pub fn acl_getuser(ctx: &mut Ctx, args: Args) -> CmdResult<Action> {
    let Some(u) = ctx.shared.auth.user(args.get(2)) else {
        ctx.out.null();
        return OK;
    };
    let o = &mut *ctx.out;
    o.map(6);
    o.bulk(b"flags");
    let flags = flag_names(&u);
    o.set(flags.len());
    for f in flags {
        o.bulk(f.as_bytes());
    }
    o.bulk(b"passwords");
    o.array(u.passwords.len());
    for p in &u.passwords {
        o.bulk(data::hex(p).as_bytes());
    }
    let root = &u.selectors[0];
    o.bulk(b"commands");
    o.bulk(&command_rules(root));
    o.bulk(b"keys");
    o.bulk(&keys_text(root));
    o.bulk(b"channels");
    o.bulk(&channels_text(root));
    o.bulk(b"selectors");
    o.array(u.selectors.len() - 1);
    for sel in &u.selectors[1..] {
        o.map(3);
        o.bulk(b"commands");
        o.bulk(&command_rules(sel));
        o.bulk(b"keys");
        o.bulk(&keys_text(sel));
        o.bulk(b"channels");
        o.bulk(&channels_text(sel));
    }
    OK
}

pub fn acl_deluser(ctx: &mut Ctx, args: Args) -> CmdResult<Action> {
    if args.iter().skip(2).any(|n| n == b"default") {
        return Err(CmdError::AclDeleteDefault);
    }
    let mut deleted = 0;
    let mut close_me = false;
    for name in args.iter().skip(2) {
        let name = String::from_utf8_lossy(name).into_owned();
        if ctx.shared.auth.remove(&name) {
            deleted += 1;
            close_me |= kill_users(ctx, |n| n == name);
        }
    }
    ctx.out.int(deleted);
    Ok(if close_me {
        Action::Close
    } else {
        Action::Continue
    })
}

/// Closes the connections authenticated as the users `which` names; true if this connection is
/// one of them (it closes after its reply, as in Redis).
fn kill_users(ctx: &Ctx, which: impl Fn(&str) -> bool) -> bool {
    let me = ctx.client.handle.id;
    ctx.shared
        .clients
        .kill(|c| c.id != me && which(&c.user.lock()));
    which(&ctx.client.handle.user.lock())
}

pub fn acl_users(ctx: &mut Ctx, _args: Args) -> CmdResult<Action> {
    let users = ctx.shared.auth.users();
    ctx.out.array(users.len());
    for u in users {
        ctx.out.bulk(u.name.as_bytes());
    }
    OK
}

pub fn acl_list(ctx: &mut Ctx, _args: Args) -> CmdResult<Action> {
    let users = ctx.shared.auth.users();
    ctx.out.array(users.len());
    for u in users {
        ctx.out.bulk(&user_line(&u));
    }
    OK
}

pub fn acl_whoami(ctx: &mut Ctx, _args: Args) -> CmdResult<Action> {
    let name = ctx.client.handle.user.lock().clone();
    ctx.out.bulk(name.as_bytes());
    OK
}

pub fn acl_cat(ctx: &mut Ctx, args: Args) -> CmdResult<Action> {
    if args.len() > 3 {
        return Err(CmdError::subcommand_syntax(b"acl", args.get(1)));
    }
    if args.len() == 2 {
        ctx.out.array(ACL_NAMES.len());
        for (_, n) in ACL_NAMES {
            ctx.out.bulk(n.as_bytes());
        }
        return OK;
    }
    let cat = Acl::by_name(args.get(2)).ok_or_else(|| {
        CmdError::AclUnknownCategory(String::from_utf8_lossy(args.get(2)).into_owned())
    })?;
    let m = meta();
    let names: Vec<&str> = all()
        .iter()
        .enumerate()
        .filter(|(id, _)| m.categories[*id].contains(cat))
        .map(|(_, c)| c.name)
        .collect();
    ctx.out.array(names.len());
    for n in names {
        ctx.out.bulk(n.as_bytes());
    }
    OK
}

pub fn acl_genpass(ctx: &mut Ctx, args: Args) -> CmdResult<Action> {
    if args.len() > 3 {
        return Err(CmdError::subcommand_syntax(b"acl", args.get(1)));
    }
    let bits = if args.len() == 3 {
        super::int_arg(args.get(2)).map_err(|_| CmdError::AclGenpassBits)?
    } else {
        256
    };
    if !(1..=4096).contains(&bits) {
        return Err(CmdError::AclGenpassBits);
    }
    let chars = (bits as usize).div_ceil(4);
    let mut bytes = vec![0u8; chars.div_ceil(2)];
    rand::Rng::fill(&mut rand::rng(), &mut bytes[..]);
    let mut hex = String::with_capacity(bytes.len() * 2);
    for b in bytes {
        hex.push_str(&format!("{b:02x}"));
    }
    hex.truncate(chars);
    ctx.out.bulk(hex.as_bytes());
    OK
}

pub fn acl_log(ctx: &mut Ctx, args: Args) -> CmdResult<Action> {
    if args.len() > 3 {
        return Err(CmdError::subcommand_syntax(b"acl", args.get(1)));
    }
    let mut count = usize::MAX;
    if args.len() == 3 {
        if args.is(2, "reset") {
            ctx.shared.auth.log.lock().entries.clear();
            ctx.out.ok();
            return OK;
        }
        let n = super::int_arg(args.get(2))?;
        count = n.max(0) as usize;
    }
    let log = ctx.shared.auth.log.lock();
    let now = Instant::now();
    let n = log.entries.len().min(count);
    let o = &mut *ctx.out;
    o.array(n);
    for e in log.entries.iter().take(n) {
        o.map(7);
        o.bulk(b"count");
        o.int(e.count as i64);
        o.bulk(b"reason");
        o.bulk(e.reason.name().as_bytes());
        o.bulk(b"context");
        o.bulk(e.context.as_bytes());
        o.bulk(b"object");
        o.bulk(&e.object);
        o.bulk(b"username");
        o.bulk(&e.username);
        o.bulk(b"age-seconds");
        o.double(now.duration_since(e.at).as_secs_f64());
        o.bulk(b"client-info");
        o.bulk(e.client_info.as_bytes());
    }
    OK
}

pub fn acl_dryrun(ctx: &mut Ctx, args: Args) -> CmdResult<Action> {
    let Some(u) = ctx.shared.auth.user(args.get(2)) else {
        return Err(CmdError::Other(format!(
            "User '{}' not found",
            String::from_utf8_lossy(args.get(2))
        )));
    };
    let argv: Vec<&[u8]> = args.iter().skip(3).collect();
    let (id, cmd) = match super::resolve(&args.from(3)) {
        super::Resolved::Found(i, c) => (i, c),
        _ => {
            return Err(CmdError::Other(format!(
                "Command '{}' not found",
                String::from_utf8_lossy(argv[0])
            )))
        }
    };
    if !super::arity_ok(cmd.arity, argv.len()) {
        return Err(CmdError::arity(cmd.name.as_bytes()));
    }
    match check_slice(&u, cmd, id, &argv) {
        Ok(()) => ctx.out.ok(),
        Err((reason, pos)) => {
            let text = match reason {
                Reason::Command => format!(
                    "This user has no permissions to run the '{}' command",
                    cmd.name
                ),
                Reason::Key => format!(
                    "This user has no permissions to access the '{}' key",
                    String::from_utf8_lossy(argv[pos])
                ),
                _ => format!(
                    "This user has no permissions to access the '{}' channel",
                    String::from_utf8_lossy(argv[pos])
                ),
            };
            ctx.out.bulk(text.as_bytes());
        }
    }
    OK
}

/// The users an ACL file declares (with a default user: the file's, or a new one on nopass with
/// every permission), or the errors found, each with its line.
pub fn read_acl_file(auth: &Auth, path: &std::path::Path) -> Result<Vec<User>, String> {
    let text = std::fs::read(path)
        .map_err(|e| format!("Error loading ACLs, opening file '{}': {e}", path.display()))?;
    let mut users: Vec<User> = Vec::new();
    let mut errors = String::new();
    let file = path.display();
    for (i, line) in text.split(|&c| c == b'\n').enumerate() {
        let line = line.trim_ascii();
        if line.is_empty() || line.starts_with(b"#") {
            continue;
        }
        let Some(words) = crate::config::file::split_args(&String::from_utf8_lossy(line)) else {
            errors.push_str(&format!(
                "{file}:{}: unbalanced quotes in acl line. ",
                i + 1
            ));
            continue;
        };
        if words.first().map(String::as_str) != Some("user") || words.len() < 2 {
            errors.push_str(&format!(
                "{file}:{}: should start with user keyword. ",
                i + 1
            ));
            continue;
        }
        let name = &words[1];
        if users.iter().any(|u| &u.name == name) {
            errors.push_str(&format!(
                "{file}:{}: Duplicate user '{name}' found. ",
                i + 1
            ));
            continue;
        }
        let rules: Vec<&[u8]> = words[2..].iter().map(|w| w.as_bytes()).collect();
        match user_from_rules(auth, name, &rules) {
            Ok(u) => users.push(u),
            Err((op, why)) => errors.push_str(&format!(
                "{file}:{}: Error in applying operation '{op}': {why}. ",
                i + 1
            )),
        }
    }
    if !errors.is_empty() {
        return Err(errors.trim_end().to_string());
    }
    if !users.iter().any(|u| u.name == "default") {
        users.push(User::default_user(0));
    }
    Ok(users)
}

/// ACL LOAD's and start-up's work: the file's users replace all others; the default user keeps
/// its connections, every other user's are closed. True if this connection was one of those.
pub fn load_users(auth: &Auth, mut users: Vec<User>) {
    let default_id = auth.default_user().id;
    for u in &mut users {
        if u.name == "default" {
            u.id = default_id;
        }
    }
    auth.replace_all(users);
}

fn aclfile_param(sh: &crate::shared::Shared) -> String {
    sh.params.value("aclfile")
}

fn acl_file(ctx: &Ctx) -> CmdResult<std::path::PathBuf> {
    let f = aclfile_param(ctx.shared);
    if f.is_empty() {
        return Err(CmdError::AclNoFile);
    }
    Ok(std::path::PathBuf::from(f))
}

pub fn acl_load(ctx: &mut Ctx, _args: Args) -> CmdResult<Action> {
    let path = acl_file(ctx)?;
    let users = read_acl_file(&ctx.shared.auth, &path).map_err(CmdError::Other)?;
    load_users(&ctx.shared.auth, users);
    let close_me = kill_users(ctx, |n| n != "default");
    ctx.out.ok();
    Ok(if close_me {
        Action::Close
    } else {
        Action::Continue
    })
}

pub fn acl_save(ctx: &mut Ctx, _args: Args) -> CmdResult<Action> {
    let path = acl_file(ctx)?;
    let mut text = Vec::new();
    for u in ctx.shared.auth.users() {
        text.extend_from_slice(&user_line(&u));
        text.push(b'\n');
    }
    write_private(&path, &text).map_err(|e| {
        crate::warning!("saving the ACL file {}: {e}", path.display());
        CmdError::AclSaveFailed
    })?;
    ctx.out.ok();
    OK
}

/// Writes a file readable by its owner only (0600, whatever the umask), through a temporary
/// file renamed over it so a crash leaves the old one whole.
pub fn write_private(path: &std::path::Path, data: &[u8]) -> std::io::Result<()> {
    use std::io::Write;
    use std::os::unix::fs::{OpenOptionsExt, PermissionsExt};
    let tmp = path.with_extension(format!("tmp-{}", std::process::id()));
    let mut f = std::fs::OpenOptions::new()
        .write(true)
        .create(true)
        .truncate(true)
        .mode(0o600)
        .open(&tmp)?;
    f.set_permissions(std::fs::Permissions::from_mode(0o600))?;
    f.write_all(data)?;
    f.sync_all()?;
    std::fs::rename(&tmp, path)
}

/// Start-up: the `user` lines of the configuration file, or the ACL file; never both, as Redis.
pub fn load_at_start(sh: &crate::shared::Shared) -> Result<(), String> {
    let auth = &sh.auth;
    let aclfile = aclfile_param(sh);
    if !aclfile.is_empty() && !sh.config.file_users.is_empty() {
        return Err("Configuring Redis with users defined in redis.conf and at the same setting an ACL file path is invalid. This setup is very likely to lead to configuration errors and security holes, please define either an ACL file or declare users directly in your redis.conf, but not both.".into());
    }
    for (words, place) in &sh.config.file_users {
        let name = &words[0];
        if name != "default" && auth.user(name.as_bytes()).is_some() {
            return Err(format!(
                "{place}: Error in user declaration '{name}': {}",
                RuleError::Duplicate.text()
            ));
        }
        let rules: Vec<&[u8]> = words[1..].iter().map(|w| w.as_bytes()).collect();
        let mut u = user_from_rules(auth, name, &rules).map_err(|(op, why)| {
            format!("{place}: Error in user declaration '{name}': '{op}': {why}")
        })?;
        if name == "default" {
            u.id = auth.default_user().id;
        }
        auth.put(u);
    }
    if !aclfile.is_empty() {
        let users = read_acl_file(auth, std::path::Path::new(&aclfile))?;
        load_users(auth, users);
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn user(rules: &[&str]) -> User {
        let auth = Auth::new("", true);
        let r: Vec<&[u8]> = rules.iter().map(|s| s.as_bytes()).collect();
        user_from_rules(&auth, "u", &r).unwrap()
    }

    #[test]
    fn described_as_redis_describes_them() {
        let describe = |u: &User| String::from_utf8(describe(u)).unwrap();
        assert_eq!(describe(&user(&[])), "off resetchannels -@all");
        assert_eq!(describe(&User::default_user(1)), "on nopass ~* &* +@all");
        assert_eq!(
            describe(&user(&["on", "nopass", "~*", "&*", "+@all", "-get"])),
            "on nopass ~* &* +@all -get"
        );
        assert_eq!(
            describe(&user(&["-@all", "+@read", "-@dangerous", "+config|get"])),
            "off resetchannels -@all +@read -keys -sort_ro +config|get"
        );
        assert_eq!(
            describe(&user(&["%RW~a", "%W~b", "%R~a", "+client", "-client|kill"])),
            "off ~a %W~b resetchannels -@all +client -client|kill"
        );
        assert_eq!(
            describe(&user(&["(~x* +set)", "reset"])),
            "off sanitize-payload resetchannels -@all"
        );
        assert_eq!(
            describe(&user(&["+select|0", "(~x* +set)"])),
            "off resetchannels -@all +select|0 (~x* resetchannels -@all +set)"
        );
    }

    #[test]
    fn bad_rules_are_refused_with_redis_reasons() {
        let auth = Auth::new("", true);
        let err = |rules: &[&str]| {
            let r: Vec<&[u8]> = rules.iter().map(|s| s.as_bytes()).collect();
            user_from_rules(&auth, "u", &r).err().map(|e| e.1)
        };
        assert_eq!(err(&["+nosuch"]), Some(RuleError::Unknown.text()));
        assert_eq!(err(&["+config|nosuch"]), Some(RuleError::Unknown.text()));
        assert_eq!(err(&["-select|0"]), Some(RuleError::Unknown.text()));
        assert_eq!(err(&["+select|"]), Some(RuleError::Syntax.text()));
        assert_eq!(
            err(&["+acl|getuser|x"]),
            Some(RuleError::FirstArgOfSub.text())
        );
        assert_eq!(err(&["%X~a"]), Some(RuleError::Syntax.text()));
        assert_eq!(
            err(&["allkeys", "~b"]),
            Some(RuleError::AfterAllKeys.text())
        );
        assert_eq!(err(&["&*", "&b"]), Some(RuleError::AfterAllChannels.text()));
        assert_eq!(err(&["<nope"]), Some(RuleError::NoSuchPassword.text()));
        assert_eq!(err(&["#abc"]), Some(RuleError::BadHash.text()));
        assert_eq!(err(&["bogus"]), Some(RuleError::Syntax.text()));
        assert_eq!(merge_selectors(&[b"(+get", b"~x"]), Err(b"(+get".to_vec()));
    }

    #[test]
    fn checks_commands_keys_and_channels() {
        let u = user(&[
            "on",
            "~k*",
            "%R~r*",
            "&ch*",
            "+get",
            "+set",
            "+publish",
            "+select|0",
        ]);
        let run = |argv: &[&str]| {
            let argv: Vec<&[u8]> = argv.iter().map(|s| s.as_bytes()).collect();
            let (id, cmd) = lookup(argv[0]).unwrap();
            check_slice(&u, cmd, id, &argv)
        };
        assert_eq!(run(&["get", "k1"]), Ok(()));
        assert_eq!(run(&["get", "r1"]), Ok(()));
        assert_eq!(run(&["set", "r1", "v"]), Err((Reason::Key, 1)));
        assert_eq!(run(&["get", "x"]), Err((Reason::Key, 1)));
        assert_eq!(run(&["del", "k1"]), Err((Reason::Command, 0)));
        assert_eq!(run(&["publish", "ch1", "m"]), Ok(()));
        assert_eq!(run(&["publish", "zz", "m"]), Err((Reason::Channel, 1)));
        assert_eq!(run(&["select", "0"]), Ok(()));
        assert_eq!(run(&["select", "1"]), Err((Reason::Command, 0)));
        // A second selector lets more through; the first's refusal is not final.
        let u2 = user(&["on", "~k*", "+get", "(~x* +set)"]);
        let argv: Vec<&[u8]> = vec![b"set", b"x1", b"v"];
        let (id, cmd) = lookup(b"set").unwrap();
        assert_eq!(check_slice(&u2, cmd, id, &argv), Ok(()));
        let argv: Vec<&[u8]> = vec![b"set", b"k1", b"v"];
        assert_eq!(check_slice(&u2, cmd, id, &argv), Err((Reason::Key, 1)));
    }
}
