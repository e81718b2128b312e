//! ACL rules on any words: a user built from them (all or nothing), described as ACL LIST
//! describes it, rebuilt from that description to the same permissions, and asked whether it
//! may run a command made of the remaining words. Never panics.
#![no_main]
use libfuzzer_sys::fuzz_target;
use ringdis::cmd::acl::{check_slice, describe, user_from_rules};
use ringdis::shared::auth::Auth;

fuzz_target!(|data: &[u8]| {
    let auth = Auth::new("", true);
    let mut parts = data.splitn(2, |&c| c == b'\n');
    let rules: Vec<&[u8]> = parts
        .next()
        .unwrap_or_default()
        .split(|&c| c == b' ')
        .filter(|w| !w.is_empty())
        .take(32)
        .collect();
    let Ok(u) = user_from_rules(&auth, "fuzz", &rules) else {
        return;
    };
    // Descriptions do not quote (Redis's neither): a pattern or first argument holding a
    // parenthesis reads back as a selector's edge, so only the others must round trip.
    let paren = |b: &[u8]| b.contains(&b'(') || b.contains(&b')');
    let plain = u.selectors.iter().all(|s| {
        s.keys.iter().all(|k| !paren(&k.pattern))
            && s.channels.iter().all(|c| !paren(c))
            && s.firstargs.iter().all(|(_, a)| a.iter().all(|x| !paren(x)))
    });
    let text = describe(&u);
    let words: Vec<&[u8]> = text.split(|&c| c == b' ').collect();
    if let (true, Ok(again)) = (plain, user_from_rules(&auth, "fuzz", &words)) {
        // The description keeps the permissions (passwords are kept as digests).
        assert_eq!(
            again.selectors,
            u.selectors,
            "{}",
            String::from_utf8_lossy(&text)
        );
        assert_eq!(describe(&again), text);
    }
    let argv: Vec<&[u8]> = parts
        .next()
        .unwrap_or_default()
        .split(|&c| c == b' ')
        .take(16)
        .collect();
    if let Some(name) = argv.first() {
        if let Some((id, cmd)) = ringdis::cmd::lookup(name) {
            if ringdis::cmd::arity_ok(cmd.arity, argv.len()) {
                let _ = check_slice(&u, cmd, id, &argv);
            }
        }
    }
});
