//! Who may run commands: the default user's password (`requirepass`) and protected mode, as in
//! Redis 7.0 with only the default user. A password is kept as its SHA-256 (compared, never the
//! text) plus the text CONFIG GET requirepass answers with, as Redis answers.

use parking_lot::RwLock;
use sha2::{Digest, Sha256};
use std::net::IpAddr;
use std::sync::atomic::{AtomicBool, Ordering};

#[derive(Default)]
pub struct Auth {
    /// Set while the default user has a password: connections start unauthenticated.
    required: AtomicBool,
    password: RwLock<Option<(String, [u8; 32])>>,
    /// protected-mode.
    pub protected_mode: AtomicBool,
}

/// Why AUTH (or HELLO's AUTH) refused.
#[derive(Debug, PartialEq, Eq)]
pub enum Refused {
    /// AUTH with only a password while the default user has none.
    NoPasswordSet,
    /// No such user, or not its password.
    WrongPass,
}

fn digest(pass: &[u8]) -> [u8; 32] {
    Sha256::digest(pass).into()
}

impl Auth {
    pub fn new(requirepass: &str, protected_mode: bool) -> Auth {
        let a = Auth::default();
        a.set_password(requirepass);
        a.protected_mode.store(protected_mode, Ordering::Relaxed);
        a
    }

    /// Whether a new connection must authenticate before its commands run.
    #[inline]
    pub fn required(&self) -> bool {
        self.required.load(Ordering::Relaxed)
    }

    /// requirepass: the default user's one password ("" : none, any password is taken).
    pub fn set_password(&self, pass: &str) {
        let mut p = self.password.write();
        *p = (!pass.is_empty()).then(|| (pass.to_string(), digest(pass.as_bytes())));
        self.required.store(p.is_some(), Ordering::Relaxed);
    }

    /// requirepass as CONFIG GET shows it.
    pub fn password(&self) -> String {
        self.password
            .read()
            .as_ref()
            .map_or_else(String::new, |(t, _)| t.clone())
    }

    /// AUTH [user] pass: `user` None is AUTH with a password only.
    pub fn check(&self, user: Option<&[u8]>, pass: &[u8]) -> Result<(), Refused> {
        if user.is_some_and(|u| !u.eq_ignore_ascii_case(b"default")) {
            return Err(Refused::WrongPass);
        }
        match &*self.password.read() {
            None if user.is_none() => Err(Refused::NoPasswordSet),
            // The default user without a password (nopass) takes any.
            None => Ok(()),
            Some((_, want)) if *want == digest(pass) => Ok(()),
            Some(_) => Err(Refused::WrongPass),
        }
    }

    /// Protected mode's rule: with protected-mode on and no password for the default user, only
    /// loopback clients may connect.
    pub fn denies(&self, peer: Option<IpAddr>) -> bool {
        denies(
            self.protected_mode.load(Ordering::Relaxed),
            self.required(),
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
        assert_eq!(a.check(None, b"x"), Err(Refused::NoPasswordSet));
        assert_eq!(a.check(Some(b"default"), b"x"), Ok(()));
        assert_eq!(a.check(Some(b"bob"), b"x"), Err(Refused::WrongPass));
        a.set_password("s3cret");
        assert!(a.required());
        assert_eq!(a.password(), "s3cret");
        assert_eq!(a.check(None, b"s3cret"), Ok(()));
        assert_eq!(a.check(Some(b"DEFAULT"), b"s3cret"), Ok(()));
        assert_eq!(a.check(None, b"s3cre"), Err(Refused::WrongPass));
        assert_eq!(a.check(Some(b"bob"), b"s3cret"), Err(Refused::WrongPass));
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
