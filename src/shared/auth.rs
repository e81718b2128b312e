//! Who may run commands: the ACL users (the default user's password is `requirepass`) and
//! protected mode. Users are kept as immutable values behind `Arc`s; a change replaces one and
//! bumps [`Auth::epoch`], which connections compare before each command (one load) to pick up
//! the new rules.

use super::acl::{Log, User};
use parking_lot::{Mutex, RwLock};
use std::collections::BTreeMap;
use std::net::IpAddr;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::Arc;

pub struct Auth {
    users: RwLock<BTreeMap<String, Arc<User>>>,
    epoch: AtomicU64,
    next_id: AtomicU64,
    /// Set while the default user needs AUTH (has a password, or is off): connections start
    /// unauthenticated.
    required: AtomicBool,
    /// The default user is nopass (protected mode's "no password").
    default_nopass: AtomicBool,
    /// requirepass as last set, which CONFIG GET answers with.
    requirepass: Mutex<String>,
    /// protected-mode.
    pub protected_mode: AtomicBool,
    /// acl-pubsub-default: whether new users start with every channel.
    pub allchannels_default: AtomicBool,
    pub log: Mutex<Log>,
    /// acllog-max-len.
    pub log_max: AtomicU64,
}

/// Why AUTH (or HELLO's AUTH) refused.
#[derive(Debug, PartialEq, Eq)]
pub enum Refused {
    /// AUTH with only a password while the default user has none.
    NoPasswordSet,
    /// No such user, disabled, or not its password.
    WrongPass,
}

impl Auth {
    pub fn new(requirepass: &str, protected_mode: bool) -> Auth {
        let a = Auth {
            users: RwLock::new(BTreeMap::new()),
            epoch: AtomicU64::new(1),
            next_id: AtomicU64::new(2),
            required: AtomicBool::new(false),
            default_nopass: AtomicBool::new(true),
            requirepass: Mutex::new(String::new()),
            protected_mode: AtomicBool::new(protected_mode),
            allchannels_default: AtomicBool::new(false),
            log: Mutex::new(Log::default()),
            log_max: AtomicU64::new(128),
        };
        a.put(User::default_user(1));
        a.set_password(requirepass);
        a
    }

    /// Whether a new connection must authenticate before its commands run.
    #[inline]
    pub fn required(&self) -> bool {
        self.required.load(Ordering::Relaxed)
    }

    /// Changes with every change to any user.
    #[inline]
    pub fn epoch(&self) -> u64 {
        self.epoch.load(Ordering::Acquire)
    }

    pub fn new_id(&self) -> u64 {
        self.next_id.fetch_add(1, Ordering::Relaxed)
    }

    pub fn user(&self, name: &[u8]) -> Option<Arc<User>> {
        let name = std::str::from_utf8(name).ok()?;
        self.users.read().get(name).cloned()
    }

    pub fn default_user(&self) -> Arc<User> {
        self.user(b"default")
            .expect("the default user always exists")
    }

    /// Every user, by name.
    pub fn users(&self) -> Vec<Arc<User>> {
        self.users.read().values().cloned().collect()
    }

    /// Adds or replaces a user.
    pub fn put(&self, u: User) {
        if u.name == "default" {
            self.required
                .store(!u.nopass || !u.enabled, Ordering::Relaxed);
            self.default_nopass.store(u.nopass, Ordering::Relaxed);
        }
        self.users.write().insert(u.name.clone(), Arc::new(u));
        self.epoch.fetch_add(1, Ordering::AcqRel);
    }

    /// Removes a user (never the default one); whether it existed.
    pub fn remove(&self, name: &str) -> bool {
        let gone = name != "default" && self.users.write().remove(name).is_some();
        if gone {
            self.epoch.fetch_add(1, Ordering::AcqRel);
        }
        gone
    }

    /// ACL LOAD: every user replaced by `users` (which has a default user).
    pub fn replace_all(&self, users: Vec<User>) {
        let default = users.iter().find(|u| u.name == "default").cloned();
        *self.users.write() = users
            .into_iter()
            .map(|u| (u.name.clone(), Arc::new(u)))
            .collect();
        if let Some(d) = default {
            self.put(d);
        }
    }

    /// requirepass: the default user's one password ("": nopass, any password is taken).
    pub fn set_password(&self, pass: &str) {
        let mut u = (*self.default_user()).clone();
        u.passwords.clear();
        u.nopass = pass.is_empty();
        if !pass.is_empty() {
            u.passwords.push(super::acl::digest(pass.as_bytes()));
        }
        *self.requirepass.lock() = pass.to_string();
        self.put(u);
    }

    /// requirepass as CONFIG GET shows it.
    pub fn password(&self) -> String {
        self.requirepass.lock().clone()
    }

    /// AUTH [user] pass: `user` None is AUTH with a password only (the default user).
    pub fn check(&self, user: Option<&[u8]>, pass: &[u8]) -> Result<Arc<User>, Refused> {
        let Some(u) = self.user(user.unwrap_or(b"default")) else {
            return Err(Refused::WrongPass);
        };
        if user.is_none() && u.nopass && u.enabled {
            return Err(Refused::NoPasswordSet);
        }
        if u.enabled && (u.nopass || u.password_ok(pass)) {
            Ok(u)
        } else {
            Err(Refused::WrongPass)
        }
    }

    /// Protected mode's rule: with protected-mode on and no password for the default user, only
    /// loopback clients may connect.
    pub fn denies(&self, peer: Option<IpAddr>) -> bool {
        denies(
            self.protected_mode.load(Ordering::Relaxed),
            !self.default_nopass.load(Ordering::Relaxed),
            peer,
        )
    }
}

/// See [`Auth::denies`]; `peer` None: not an IP connection (always allowed).
pub fn denies(protected_mode: bool, password_set: bool, peer: Option<IpAddr>) -> bool {
    let loopback = |ip: IpAddr| match ip {
        IpAddr::V4(v4) => v4.is_loopback(),
        IpAddr::V6(v6) => {
            v6.is_loopback() || v6.to_ipv4_mapped().is_some_and(|v4| v4.is_loopback())
        }
    };
    protected_mode && !password_set && peer.is_some_and(|ip| !loopback(ip))
}

/// What a client protected mode turns away reads before the connection closes (Redis's text).
pub const DENIED: &str = "-DENIED Redis is running in protected mode because protected mode is enabled and no password is set for the default user. In this mode connections are only accepted from the loopback interface. If you want to connect from external computers to Redis you may adopt one of the following solutions: 1) Just disable protected mode sending the command 'CONFIG SET protected-mode no' from the loopback interface by connecting to Redis from the same host the server is running, however MAKE SURE Redis is not publicly accessible from internet if you do so. Use CONFIG REWRITE to make this change permanent. 2) Alternatively you can just disable the protected mode by editing the Redis configuration file, and setting the protected mode option to 'no', and then restarting the server. 3) If you started the server manually just for testing, restart it with the '--protected-mode no' option. 4) Set up an authentication password for the default user. NOTE: You only need to do one of the above things in order for the server to start accepting connections from the outside.\r\n";

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn passwords_as_redis_checks_them() {
        let a = Auth::new("", true);
        assert!(!a.required());
        assert_eq!(a.check(None, b"x").err(), Some(Refused::NoPasswordSet));
        assert!(a.check(Some(b"default"), b"x").is_ok());
        assert_eq!(a.check(Some(b"bob"), b"x").err(), Some(Refused::WrongPass));
        a.set_password("s3cret");
        assert!(a.required());
        assert_eq!(a.password(), "s3cret");
        assert!(a.check(None, b"s3cret").is_ok());
        // User names are case-sensitive, as Redis's.
        assert!(a.check(Some(b"DEFAULT"), b"s3cret").is_err());
        assert_eq!(a.check(None, b"s3cre").err(), Some(Refused::WrongPass));
        assert_eq!(
            a.check(Some(b"bob"), b"s3cret").err(),
            Some(Refused::WrongPass)
        );
        a.set_password("");
        assert!(!a.required());
        assert_eq!(a.password(), "");
    }

    #[test]
    fn protected_mode_admits_only_loopback_without_a_password() {
        let ip = |s: &str| Some(s.parse::<IpAddr>().unwrap());
        for local in ["127.0.0.1", "127.1.2.3", "::1", "::ffff:127.0.0.1"] {
            assert!(!denies(true, false, ip(local)), "{local}");
        }
        for remote in ["10.0.0.5", "192.168.1.1", "2001:db8::1", "::ffff:10.0.0.1"] {
            assert!(denies(true, false, ip(remote)), "{remote}");
            // A password, or protected mode off, lets them in.
            assert!(!denies(true, true, ip(remote)));
            assert!(!denies(false, false, ip(remote)));
        }
        assert!(!denies(true, false, None));
    }
}
