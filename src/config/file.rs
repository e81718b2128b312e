//! A configuration file in redis.conf's syntax: one directive per line, its arguments split as
//! Redis splits them (spaces; "double quotes" with C escapes, 'single quotes' with \' only),
//! blank lines and lines starting with `#` skipped, `include PATH` read in place. What each
//! directive means is decided by the caller (`shared::conffile`), which knows the parameters.

use std::path::{Path, PathBuf};

/// One directive: where it stands, and its words (the name first, lowercased).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Directive {
    pub file: PathBuf,
    pub line: usize,
    /// The line as written (for error messages).
    pub text: String,
    pub args: Vec<String>,
}

/// Why a file could not be read; shown as Redis shows a fatal configuration error.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FileError {
    pub file: PathBuf,
    pub line: usize,
    pub text: String,
    pub reason: String,
}

impl std::fmt::Display for FileError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        if self.line == 0 {
            return write!(f, "{}", self.reason);
        }
        write!(
            f,
            "*** FATAL CONFIG FILE ERROR ***\nReading the configuration file {}, at line {}\n>>> '{}'\n{}",
            self.file.display(),
            self.line,
            self.text,
            self.reason
        )
    }
}

/// How deep `include` may nest (a file including itself would never end).
const MAX_INCLUDE_DEPTH: usize = 16;

/// Reads `path` and the files it includes, in order.
pub fn read(path: &Path) -> Result<Vec<Directive>, FileError> {
    let mut out = Vec::new();
    read_into(path, 0, &mut out)?;
    Ok(out)
}

fn read_into(path: &Path, depth: usize, out: &mut Vec<Directive>) -> Result<(), FileError> {
    let text = std::fs::read_to_string(path).map_err(|e| FileError {
        file: path.to_path_buf(),
        line: 0,
        text: String::new(),
        reason: format!(
            "Fatal error, can't open config file '{}': {}",
            path.display(),
            std::io::Error::from(e.kind())
        ),
    })?;
    for (i, raw) in text.lines().enumerate() {
        let line = raw.trim_matches([' ', '\t', '\r', '\n']);
        if line.is_empty() || line.starts_with('#') {
            continue;
        }
        let err = |reason: &str| FileError {
            file: path.to_path_buf(),
            line: i + 1,
            text: line.to_string(),
            reason: reason.to_string(),
        };
        let mut args =
            split_args(line).ok_or_else(|| err("Unbalanced quotes in configuration line"))?;
        if args.is_empty() {
            continue;
        }
        args[0] = args[0].to_ascii_lowercase();
        if args[0] == "include" {
            if args.len() != 2 {
                return Err(err("Bad directive or wrong number of arguments"));
            }
            if depth >= MAX_INCLUDE_DEPTH {
                return Err(err("Too many nested includes"));
            }
            let inc = PathBuf::from(&args[1]);
            let inc = if inc.is_relative() {
                path.parent().unwrap_or(Path::new(".")).join(inc)
            } else {
                inc
            };
            read_into(&inc, depth + 1, out)?;
            continue;
        }
        out.push(Directive {
            file: path.to_path_buf(),
            line: i + 1,
            text: line.to_string(),
            args,
        });
    }
    Ok(())
}

/// Splits a line as Redis's sdssplitargs does; None for unbalanced quotes (or a closing quote
/// not followed by a space).
pub fn split_args(line: &str) -> Option<Vec<String>> {
    let b = line.as_bytes();
    let mut i = 0;
    let mut out = Vec::new();
    loop {
        while i < b.len() && b[i].is_ascii_whitespace() {
            i += 1;
        }
        if i >= b.len() {
            return Some(out);
        }
        let mut cur = Vec::new();
        let (mut inq, mut insq) = (false, false);
        loop {
            if inq {
                if i >= b.len() {
                    return None;
                }
                if b[i] == b'\\'
                    && i + 3 < b.len()
                    && b[i + 1] == b'x'
                    && b[i + 2].is_ascii_hexdigit()
                    && b[i + 3].is_ascii_hexdigit()
                {
                    let hex = std::str::from_utf8(&b[i + 2..i + 4]).ok()?;
                    cur.push(u8::from_str_radix(hex, 16).ok()?);
                    i += 4;
                    continue;
                } else if b[i] == b'\\' && i + 1 < b.len() {
                    cur.push(match b[i + 1] {
                        b'n' => b'\n',
                        b'r' => b'\r',
                        b't' => b'\t',
                        b'b' => 8,
                        b'a' => 7,
                        c => c,
                    });
                    i += 2;
                    continue;
                } else if b[i] == b'"' {
                    i = after_closing_quote(b, i)?;
                    break;
                }
                cur.push(b[i]);
                i += 1;
            } else if insq {
                if i >= b.len() {
                    return None;
                }
                if b[i] == b'\\' && i + 1 < b.len() && b[i + 1] == b'\'' {
                    cur.push(b'\'');
                    i += 2;
                    continue;
                } else if b[i] == b'\'' {
                    i = after_closing_quote(b, i)?;
                    break;
                }
                cur.push(b[i]);
                i += 1;
            } else {
                if i >= b.len() || b[i].is_ascii_whitespace() {
                    break;
                }
                match b[i] {
                    b'"' => inq = true,
                    b'\'' => insq = true,
                    c => cur.push(c),
                }
                i += 1;
            }
        }
        out.push(String::from_utf8_lossy(&cur).into_owned());
    }
}

/// Where the word goes on after its closing quote at `i`; None unless the quote ends the word
/// (Redis refuses `"a"b`).
fn after_closing_quote(b: &[u8], i: usize) -> Option<usize> {
    match b.get(i + 1) {
        Some(c) if !c.is_ascii_whitespace() => None,
        _ => Some(i + 1),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn splits_as_redis() {
        let s = |l: &str| split_args(l);
        assert_eq!(s("port 6379"), Some(vec!["port".into(), "6379".into()]));
        assert_eq!(s("save \"\""), Some(vec!["save".into(), "".into()]));
        assert_eq!(
            s("requirepass \"a b\\x41\\n\""),
            Some(vec!["requirepass".into(), "a bA\n".into()])
        );
        assert_eq!(s("x 'it\\'s'"), Some(vec!["x".into(), "it's".into()]));
        assert_eq!(s("x \"open"), None);
        assert_eq!(s("x \"a\"b"), None);
        assert_eq!(s("  a   b  "), Some(vec!["a".into(), "b".into()]));
    }

    #[test]
    fn reads_includes_in_place_and_reports_lines() {
        let d = tempfile::tempdir().unwrap();
        let main = d.path().join("main.conf");
        std::fs::write(d.path().join("inc.conf"), "maxmemory 1mb\n").unwrap();
        std::fs::write(
            &main,
            "# comment\n\nPort 7000\ninclude inc.conf\n  appendonly   no  \n",
        )
        .unwrap();
        let got = read(&main).unwrap();
        let names: Vec<_> = got.iter().map(|d| (d.args[0].as_str(), d.line)).collect();
        assert_eq!(names, [("port", 3), ("maxmemory", 1), ("appendonly", 5)]);
        std::fs::write(&main, "port 1\nbad \"quote\n").unwrap();
        let e = read(&main).unwrap_err();
        assert_eq!((e.line, e.text.as_str()), (2, "bad \"quote"));
        std::fs::write(&main, "include main.conf\n").unwrap();
        assert_eq!(read(&main).unwrap_err().reason, "Too many nested includes");
    }
}
