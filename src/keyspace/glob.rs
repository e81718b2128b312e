//! Redis-style glob matching (`KEYS`, `SCAN MATCH`, `CONFIG GET`): `*`, `?`, `[abc]`, `[^a-z]`, `\x`.

/// Whether `s` matches `pat`; `nocase` folds ASCII case like Redis's `stringmatchlen(..., 1)`.
pub fn matches(pat: &[u8], s: &[u8], nocase: bool) -> bool {
    let eq = |a: u8, b: u8| {
        if nocase {
            a.eq_ignore_ascii_case(&b)
        } else {
            a == b
        }
    };
    let (mut p, mut i) = (0usize, 0usize);
    // Position to resume from after the last `*`: (pattern index after it, string index it covers up to).
    let mut star: Option<(usize, usize)> = None;
    loop {
        if p < pat.len() {
            match pat[p] {
                b'*' => {
                    while p < pat.len() && pat[p] == b'*' {
                        p += 1;
                    }
                    if p == pat.len() {
                        return true;
                    }
                    star = Some((p, i));
                    continue;
                }
                b'?' if i < s.len() => {
                    p += 1;
                    i += 1;
                    continue;
                }
                b'[' if i < s.len() => {
                    let (hit, next) = class(pat, p, s[i], nocase);
                    if hit {
                        p = next;
                        i += 1;
                        continue;
                    }
                }
                b'\\' if p + 1 < pat.len() && i < s.len() && eq(pat[p + 1], s[i]) => {
                    p += 2;
                    i += 1;
                    continue;
                }
                // A trailing backslash matches itself.
                b'\\' if p + 1 == pat.len() && i < s.len() && s[i] == b'\\' => {
                    p += 1;
                    i += 1;
                    continue;
                }
                c if i < s.len() && !matches!(c, b'?' | b'[' | b'\\') && eq(c, s[i]) => {
                    p += 1;
                    i += 1;
                    continue;
                }
                _ => {}
            }
        } else if i == s.len() {
            return true;
        }
        // Mismatch: let the last `*` swallow one more byte, or fail.
        match star {
            Some((sp, si)) if si < s.len() => {
                star = Some((sp, si + 1));
                p = sp;
                i = si + 1;
            }
            _ => return false,
        }
    }
}

/// Matches byte `c` against the class starting at `pat[p] == b'['`; returns (matched, index after `]`).
fn class(pat: &[u8], mut p: usize, c: u8, nocase: bool) -> (bool, usize) {
    p += 1;
    let not = p < pat.len() && pat[p] == b'^';
    if not {
        p += 1;
    }
    let fold = |x: u8| if nocase { x.to_ascii_lowercase() } else { x };
    let c = fold(c);
    let mut hit = false;
    loop {
        if p >= pat.len() {
            // Unterminated class: Redis treats the end of pattern as the closing bracket.
            return (hit != not, p);
        }
        if pat[p] == b']' {
            return (hit != not, p + 1);
        }
        if pat[p] == b'\\' && p + 1 < pat.len() {
            if fold(pat[p + 1]) == c {
                hit = true;
            }
            p += 2;
        } else if p + 2 < pat.len() && pat[p + 1] == b'-' {
            let (mut a, mut b) = (fold(pat[p]), fold(pat[p + 2]));
            if a > b {
                std::mem::swap(&mut a, &mut b);
            }
            if c >= a && c <= b {
                hit = true;
            }
            p += 3;
        } else {
            if fold(pat[p]) == c {
                hit = true;
            }
            p += 1;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::matches;

    #[test]
    fn globs() {
        let m = |p: &str, s: &str| matches(p.as_bytes(), s.as_bytes(), false);
        assert!(m("*", "anything"));
        assert!(m("h?llo", "hello"));
        assert!(m("h*llo", "heeeello"));
        assert!(m("h[ae]llo", "hallo"));
        assert!(!m("h[ae]llo", "hillo"));
        assert!(m("h[^e]llo", "hallo"));
        assert!(!m("h[^e]llo", "hello"));
        assert!(m("h[a-b]llo", "hbllo"));
        assert!(m("user:*:name", "user:42:name"));
        assert!(!m("user:*:name", "user:42:mail"));
        assert!(m("a\\*b", "a*b"));
        assert!(!m("a\\*b", "axb"));
        assert!(m("*a*b*", "xxaxxbxx"));
        assert!(!m("?", ""));
        assert!(m("", ""));
        assert!(!m("", "a"));
        assert!(matches(b"MAXMEM*", b"maxmemory", true));
    }
}
