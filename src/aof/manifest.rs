//! Redis 7's AOF manifest (`appendonlydir/appendonly.aof.manifest`): which files make up the
//! append-only data and in what order. One line per file, `file NAME seq N type b|h|i` (base,
//! history, incremental; the keys in any order, NAME quoted when Redis had to).

/// One file the manifest names.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct File {
    pub name: String,
    pub seq: u64,
    pub base: bool,
}

/// The files to load, in order: the base file (if any), then the incremental ones by sequence.
/// History files (already folded into the base) are left out. Err: why the text is not a
/// manifest Redis would load.
pub fn parse(text: &str) -> Result<Vec<File>, String> {
    let mut base = None;
    let mut incr = Vec::new();
    for (n, line) in text.lines().enumerate() {
        let line = line.trim();
        if line.is_empty() || line.starts_with('#') {
            continue;
        }
        let at = |why: &str| format!("line {}: {why}", n + 1);
        let words = crate::config::file::split_args(line).ok_or_else(|| at("unbalanced quotes"))?;
        if words.len() % 2 != 0 {
            return Err(at("expected key value pairs"));
        }
        let (mut name, mut seq, mut kind) = (None, None, None);
        for kv in words.chunks(2) {
            match kv[0].as_str() {
                "file" => name = Some(kv[1].clone()),
                "seq" => seq = Some(kv[1].parse::<u64>().map_err(|_| at("bad seq"))?),
                "type" => kind = Some(kv[1].clone()),
                _ => {}
            }
        }
        let (Some(name), Some(seq), Some(kind)) = (name, seq, kind) else {
            return Err(at("a file line needs file, seq and type"));
        };
        if name.contains('/') {
            return Err(at("a file name with a path in it"));
        }
        let f = File {
            name,
            seq,
            base: kind == "b",
        };
        match kind.as_str() {
            "b" if base.is_some() => return Err(at("a second base file")),
            "b" => base = Some(f),
            "i" => incr.push(f),
            "h" => {}
            _ => return Err(at("unknown file type")),
        }
    }
    incr.sort_by_key(|f| f.seq);
    Ok(base.into_iter().chain(incr).collect())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn base_first_then_increments_by_sequence() {
        let text = "file appendonly.aof.2.incr.aof seq 2 type i\n\
                    file appendonly.aof.1.base.rdb seq 1 type b\n\
                    file appendonly.aof.1.incr.aof seq 1 type i\n\
                    file appendonly.aof.0.base.aof seq 0 type h\n";
        let got: Vec<String> = parse(text).unwrap().into_iter().map(|f| f.name).collect();
        assert_eq!(
            got,
            [
                "appendonly.aof.1.base.rdb",
                "appendonly.aof.1.incr.aof",
                "appendonly.aof.2.incr.aof"
            ]
        );
        let quoted = parse("file \"my file.aof\" seq 3 type i\n").unwrap();
        assert_eq!(quoted[0].name, "my file.aof");
        assert!(parse("file a seq x type i").is_err());
        assert!(parse("file a seq 1").is_err());
        assert!(parse("file ../a seq 1 type i").is_err());
    }
}
