//! Start-up arguments: `ringdis [/path/ringdis.conf] [--flag value ...]`. A configuration file's
//! directives become flags where ringdis has the flag (the command line's own flags, after
//! them, override them), and the other parameters of Redis 7.0's table are checked here and
//! applied at start-up as CONFIG SET applies them. A directive that is neither, or a bad value,
//! stops start-up with the file, line and reason, as Redis stops.

use super::params;
use crate::config::file::{self, Directive, FileError};
use crate::config::{Config, FileParam};
use clap::{CommandFactory, Parser};
use std::ffi::OsString;
use std::path::Path;

/// Why the arguments were refused.
#[derive(Debug)]
pub enum ArgsError {
    /// The command line's own flags (help and version included).
    Flags(clap::Error),
    File(FileError),
}

/// Parses the process's arguments, reading the configuration file when the first one names one.
pub fn parse(argv: Vec<OsString>) -> Result<Config, ArgsError> {
    let mut argv = argv;
    let file = argv
        .get(1)
        .filter(|a| !a.to_string_lossy().starts_with('-'))
        .cloned();
    let (flags, kept, users) = match &file {
        Some(path) => {
            argv.remove(1);
            from_file(Path::new(path))?
        }
        None => (Vec::new(), Vec::new(), Vec::new()),
    };
    let (argv, from_flags) = param_flags(argv)?;
    let mut kept = kept;
    kept.extend(from_flags);
    let mut all: Vec<OsString> = argv.iter().take(1).cloned().collect();
    all.extend(flags.into_iter().map(OsString::from));
    all.extend(argv.into_iter().skip(1));
    let mut config = Config::try_parse_from(all).map_err(ArgsError::Flags)?;
    config.config_file = file.map(|f| {
        let p = std::path::PathBuf::from(f);
        std::fs::canonicalize(&p).unwrap_or(p)
    });
    config.file_params = kept;
    config.file_users = users;
    Ok(config)
}

/// Redis's parameters given as flags (`--tls-port 6380`, as redis-server takes every one) where
/// ringdis has no flag of that name: taken out of `argv` and kept like a file's directives.
fn param_flags(argv: Vec<OsString>) -> Result<(Vec<OsString>, Vec<FileParam>), ArgsError> {
    let longs: Vec<String> = Config::command()
        .get_arguments()
        .filter_map(|a| a.get_long().map(str::to_string))
        .collect();
    let mut rest = Vec::with_capacity(argv.len());
    let mut kept = Vec::new();
    let mut i = 0;
    while i < argv.len() {
        let a = argv[i].to_string_lossy().into_owned();
        let name = a.strip_prefix("--").map(str::to_ascii_lowercase);
        let param = name
            .as_deref()
            .filter(|n| !longs.iter().any(|l| l == n))
            .and_then(params::find);
        match (param, argv.get(i + 1)) {
            (Some(p), Some(v)) if i > 0 => {
                let v = v.to_string_lossy().into_owned();
                let value = params::normalize(p.kind, &v).map_err(|reason| {
                    ArgsError::Flags(Config::command().error(
                        clap::error::ErrorKind::InvalidValue,
                        format!("--{} {v}: {reason}", p.name),
                    ))
                })?;
                kept.push(FileParam {
                    name: p.name.to_string(),
                    value,
                    place: "command line".into(),
                });
                i += 2;
            }
            _ => {
                rest.push(argv[i].clone());
                i += 1;
            }
        }
    }
    Ok((rest, kept))
}

/// The names of ringdis's flags that take a value (`--name value`).
fn value_flags() -> Vec<String> {
    Config::command()
        .get_arguments()
        .filter(|a| a.get_action().takes_values())
        .filter_map(|a| a.get_long().map(str::to_string))
        .collect()
}

/// A user's name and rules (a `user` line), and where it was set.
type FileUser = (Vec<String>, String);

/// What a configuration file holds: directives as flags, the parameters that are not flags, and
/// the `user` lines (whose rules are checked once the command table can be: see `cmd::acl`).
type FromFile = (Vec<String>, Vec<FileParam>, Vec<FileUser>);

fn from_file(path: &Path) -> Result<FromFile, ArgsError> {
    let directives = file::read(path).map_err(ArgsError::File)?;
    let mut flags = Vec::new();
    let mut kept = Vec::new();
    let mut users = Vec::new();
    let value_flags = value_flags();
    for d in &directives {
        let fail = |reason: String| {
            ArgsError::File(FileError {
                file: d.file.clone(),
                line: d.line,
                text: d.text.clone(),
                reason,
            })
        };
        let name = d.args[0].as_str();
        if d.args.len() < 2 {
            return Err(fail("Bad directive or wrong number of arguments".into()));
        }
        if name == "user" {
            users.push((
                d.args[1..].to_vec(),
                format!("{}:{}", d.file.display(), d.line),
            ));
            continue;
        }
        let value = directive_value(d);
        if value_flags.iter().any(|f| f == name) {
            // Checked alone, so that a bad value names its line.
            let flag = format!("--{name}");
            Config::try_parse_from(["ringdis", flag.as_str(), value.as_str()]).map_err(|e| {
                let msg = e.to_string();
                let first = msg.lines().next().unwrap_or("invalid value").to_string();
                fail(first.trim_start_matches("error: ").to_string())
            })?;
            flags.push(flag);
            flags.push(value);
            continue;
        }
        let Some(p) = params::find(name) else {
            return Err(fail("Bad directive or wrong number of arguments".into()));
        };
        // Several `save` lines make one list, as in Redis (`save ""` empties it).
        let value = match kept.iter().rposition(|k: &FileParam| k.name == "save") {
            Some(i) if p.name == "save" && !value.is_empty() => {
                let prev = kept.remove(i).value;
                format!("{prev} {value}").trim().to_string()
            }
            _ => value,
        };
        let value = params::normalize(p.kind, &value).map_err(fail)?;
        kept.push(FileParam {
            name: p.name.to_string(),
            value,
            place: format!("{}:{}", d.file.display(), d.line),
        });
    }
    Ok((flags, kept, users))
}

/// A directive's value as one string: its arguments joined by spaces (`save 3600 1 300 100`,
/// `client-output-buffer-limit normal 0 0 0`); for `bind`, the first address (ringdis listens
/// on one; Redis's `-` prefix, "optional address", dropped).
fn directive_value(d: &Directive) -> String {
    if d.args[0] == "bind" {
        let first = d.args[1].trim_start_matches('-');
        if d.args.len() > 2 {
            crate::notice!(
                "{}:{}: bind: listening on {first} only (ringdis binds one address)",
                d.file.display(),
                d.line
            );
        }
        return first.to_string();
    }
    d.args[1..].join(" ")
}

#[cfg(test)]
mod tests {
    use super::*;

    fn args(v: &[&str]) -> Vec<OsString> {
        v.iter().map(OsString::from).collect()
    }

    #[test]
    fn file_then_flags() {
        let d = tempfile::tempdir().unwrap();
        let f = d.path().join("r.conf");
        std::fs::write(
            &f,
            "port 7000\nmaxmemory 2mb\nmaxmemory-policy allkeys-lru\nbind 127.0.0.1 -::1\n\
             hash-max-listpack-entries 16\nsave 3600 1\nsave 300 100\nrequirepass \"p w\"\n",
        )
        .unwrap();
        let path = f.to_str().unwrap();
        let c = parse(args(&["ringdis", path, "--port", "7001"])).unwrap();
        assert_eq!(c.port, 7001);
        assert_eq!(c.maxmemory, 2 << 20);
        assert_eq!(c.requirepass, "p w");
        assert_eq!(c.bind.to_string(), "127.0.0.1");
        let kept: Vec<_> = c
            .file_params
            .iter()
            .map(|p| (p.name.as_str(), p.value.as_str()))
            .collect();
        assert_eq!(
            kept,
            [
                ("hash-max-listpack-entries", "16"),
                ("save", "3600 1 300 100")
            ]
        );
        assert!(c.config_file.is_some());

        std::fs::write(&f, "port 7000\n\nnosuch thing\n").unwrap();
        let Err(ArgsError::File(e)) = parse(args(&["ringdis", path])) else {
            panic!("accepted")
        };
        assert_eq!((e.line, e.text.as_str()), (3, "nosuch thing"));
        assert_eq!(e.reason, "Bad directive or wrong number of arguments");
        std::fs::write(&f, "maxmemory lots\n").unwrap();
        let Err(ArgsError::File(e)) = parse(args(&["ringdis", path])) else {
            panic!("accepted")
        };
        assert_eq!(e.line, 1);
        std::fs::write(&f, "hz many\n").unwrap();
        assert!(parse(args(&["ringdis", path])).is_err());
        std::fs::write(&f, "activerehashing maybe\n").unwrap();
        let Err(ArgsError::File(e)) = parse(args(&["ringdis", path])) else {
            panic!("accepted")
        };
        assert_eq!(e.reason, "argument must be 'yes' or 'no'");
    }
}
