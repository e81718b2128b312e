//! The libraries Redis loads into scripts besides Lua's own: cjson (lua-cjson), cmsgpack
//! (lua-cmsgpack) and struct (Roberto Ierusalimschy's), with their formats, limits and error
//! texts.

use super::lua::number_text;
use mlua::{ffi, LightUserData, Lua, MultiValue, Table, Value, Variadic};
use std::ffi::c_int;

/// Results of the libraries' functions: their values, or the message of the error they raise
/// (given the caller's position, as `luaL_error` gives it).
fn ok(values: Vec<Value>) -> mlua::Result<MultiValue> {
    Ok(values.into_iter().collect())
}

fn fail(lua: &Lua, msg: &str) -> mlua::Result<MultiValue> {
    Err(super::lua::lib_error(lua, msg))
}

fn is_null(v: &Value) -> bool {
    matches!(v, Value::LightUserData(p) if p.0.is_null())
}

// ---------------------------------------------------------------------------------------------
// cjson

const JSON_MAX_DEPTH: usize = 1000;

pub fn cjson(lua: &Lua) -> mlua::Result<Table> {
    let raw = lua.create_table()?;
    raw.raw_set(
        "encode",
        lua.create_function(|lua, args: Variadic<Value>| {
            let [v] = &args[..] else {
                return fail(lua, "bad argument #1 to 'encode' (expected 1 argument)");
            };
            let mut out = Vec::new();
            match json_encode(v, &mut out, 0) {
                Ok(()) => ok(vec![Value::String(lua.create_string(&out)?)]),
                Err(e) => fail(lua, &e),
            }
        })?,
    )?;
    raw.raw_set(
        "decode",
        lua.create_function(|lua, args: Variadic<Value>| {
            let [v] = &args[..] else {
                return fail(lua, "bad argument #1 to 'decode' (expected 1 argument)");
            };
            // luaL_checklstring: a number reads as its text.
            let s = match v {
                Value::String(s) => s.clone(),
                Value::Integer(_) | Value::Number(_) => match lua.coerce_string(v.clone())? {
                    Some(s) => s,
                    None => return fail(lua, "bad argument #1 to 'decode' (string expected)"),
                },
                other => {
                    let got = other.type_name();
                    return fail(
                        lua,
                        &format!("bad argument #1 to 'decode' (string expected, got {got})"),
                    );
                }
            };
            let bytes = s.as_bytes();
            let mut p = JsonParser {
                lua,
                s: &bytes,
                at: 0,
            };
            match p.document() {
                Ok(v) => ok(vec![v]),
                Err(e) => fail(lua, &e),
            }
        })?,
    )?;
    // Settings: accepted, the defaults kept (Redis's scripts never change them in practice).
    for name in [
        "encode_keep_buffer",
        "encode_max_depth",
        "decode_max_depth",
        "encode_number_precision",
        "encode_sparse_array",
        "encode_invalid_numbers",
        "decode_invalid_numbers",
    ] {
        raw.raw_set(
            name,
            lua.create_function(|_, _: Variadic<Value>| ok(vec![]))?,
        )?;
    }
    raw.raw_set(
        "null",
        Value::LightUserData(LightUserData(std::ptr::null_mut())),
    )?;
    raw.raw_set("_NAME", "cjson")?;
    raw.raw_set("_VERSION", "2.1.0")?;
    let lib = raw;
    let new = lib.clone();
    lib.raw_set("new", lua.create_function(move |_, ()| Ok(new.clone()))?)?;
    Ok(lib)
}

fn json_string(s: &[u8], out: &mut Vec<u8>) {
    out.push(b'"');
    for &c in s {
        match c {
            b'"' => out.extend_from_slice(b"\\\""),
            b'\\' => out.extend_from_slice(b"\\\\"),
            b'/' => out.extend_from_slice(b"\\/"),
            b'\n' => out.extend_from_slice(b"\\n"),
            b'\r' => out.extend_from_slice(b"\\r"),
            b'\t' => out.extend_from_slice(b"\\t"),
            0x08 => out.extend_from_slice(b"\\b"),
            0x0c => out.extend_from_slice(b"\\f"),
            c if c < 0x20 || c == 0x7f => {
                out.extend_from_slice(format!("\\u{c:04x}").as_bytes());
            }
            c => out.push(c),
        }
    }
    out.push(b'"');
}

fn json_number(n: f64, out: &mut Vec<u8>) -> Result<(), String> {
    if !n.is_finite() {
        return Err("Cannot serialise number: must not be NaN or Inf".into());
    }
    out.extend_from_slice(number_text(n).as_bytes());
    Ok(())
}

fn type_name(v: &Value) -> &'static str {
    match v {
        Value::Function(_) => "function",
        Value::Thread(_) => "thread",
        Value::LightUserData(_) => "lightuserdata",
        _ => "userdata",
    }
}

/// lua-cjson's array test: every key a positive integer, and not too sparse (above 10
/// elements, at most half missing). Some(length) or None (an object).
fn json_array_len(t: &Table) -> Result<Option<usize>, String> {
    let (mut max, mut items) = (0usize, 0usize);
    for pair in t.pairs::<Value, Value>() {
        let (k, _) = pair.map_err(|e| e.to_string())?;
        let n = match k {
            Value::Integer(n) if n >= 1 => n as usize,
            Value::Number(n) if n >= 1.0 && n.fract() == 0.0 => n as usize,
            _ => return Ok(None),
        };
        max = max.max(n);
        items += 1;
    }
    if max > 10 && max > items * 2 {
        return Err("Cannot serialise table: excessively sparse array".into());
    }
    Ok(Some(max))
}

fn json_encode(v: &Value, out: &mut Vec<u8>, depth: usize) -> Result<(), String> {
    match v {
        Value::Nil => out.extend_from_slice(b"null"),
        v if is_null(v) => out.extend_from_slice(b"null"),
        Value::Boolean(b) => out.extend_from_slice(if *b { b"true" } else { b"false" }),
        Value::Integer(n) => json_number(*n as f64, out)?,
        Value::Number(n) => json_number(*n, out)?,
        Value::String(s) => json_string(&s.as_bytes(), out),
        Value::Table(t) => {
            let depth = depth + 1;
            if depth > JSON_MAX_DEPTH {
                return Err(format!("Cannot serialise, excessive nesting ({depth})"));
            }
            match json_array_len(t)? {
                Some(len) if len > 0 => {
                    out.push(b'[');
                    for i in 1..=len {
                        if i > 1 {
                            out.push(b',');
                        }
                        let item: Value = t.raw_get(i).map_err(|e| e.to_string())?;
                        json_encode(&item, out, depth)?;
                    }
                    out.push(b']');
                }
                _ => {
                    out.push(b'{');
                    let mut first = true;
                    for pair in t.pairs::<Value, Value>() {
                        let (k, item) = pair.map_err(|e| e.to_string())?;
                        if !first {
                            out.push(b',');
                        }
                        first = false;
                        match &k {
                            Value::String(s) => json_string(&s.as_bytes(), out),
                            Value::Integer(n) => {
                                out.push(b'"');
                                json_number(*n as f64, out)?;
                                out.push(b'"');
                            }
                            Value::Number(n) => {
                                out.push(b'"');
                                json_number(*n, out)?;
                                out.push(b'"');
                            }
                            _ => {
                                return Err(format!(
                                    "Cannot serialise {}: table key must be a number or string",
                                    k.type_name()
                                ))
                            }
                        }
                        out.push(b':');
                        json_encode(&item, out, depth)?;
                    }
                    out.push(b'}');
                }
            }
        }
        other => {
            return Err(format!(
                "Cannot serialise {}: type not supported",
                type_name(other)
            ))
        }
    }
    Ok(())
}

struct JsonParser<'l, 's> {
    lua: &'l Lua,
    s: &'s [u8],
    at: usize,
}

enum Tok {
    ObjBegin,
    ObjEnd,
    ArrBegin,
    ArrEnd,
    Str(Vec<u8>),
    Num(f64),
    Bool(bool),
    Null,
    Colon,
    Comma,
    End,
    Error(&'static str),
}

impl Tok {
    fn name(&self) -> &'static str {
        match self {
            Tok::ObjBegin => "T_OBJ_BEGIN",
            Tok::ObjEnd => "T_OBJ_END",
            Tok::ArrBegin => "T_ARR_BEGIN",
            Tok::ArrEnd => "T_ARR_END",
            Tok::Str(_) => "T_STRING",
            Tok::Num(_) => "T_NUMBER",
            Tok::Bool(_) => "T_BOOLEAN",
            Tok::Null => "T_NULL",
            Tok::Colon => "T_COLON",
            Tok::Comma => "T_COMMA",
            Tok::End => "T_END",
            Tok::Error(e) => e,
        }
    }
}

impl JsonParser<'_, '_> {
    /// The next token and the (1-based) character it starts at.
    fn next(&mut self) -> (Tok, usize) {
        while self.at < self.s.len() && matches!(self.s[self.at], b' ' | b'\t' | b'\n' | b'\r') {
            self.at += 1;
        }
        let start = self.at + 1;
        let Some(&c) = self.s.get(self.at) else {
            return (Tok::End, start);
        };
        let single = |t: Tok, p: &mut Self| {
            p.at += 1;
            (t, start)
        };
        match c {
            b'{' => single(Tok::ObjBegin, self),
            b'}' => single(Tok::ObjEnd, self),
            b'[' => single(Tok::ArrBegin, self),
            b']' => single(Tok::ArrEnd, self),
            b':' => single(Tok::Colon, self),
            b',' => single(Tok::Comma, self),
            b'"' => self.string(),
            b'-' | b'0'..=b'9' => (self.number(), start),
            _ => {
                for (word, tok) in [
                    (&b"true"[..], Tok::Bool(true)),
                    (b"false", Tok::Bool(false)),
                    (b"null", Tok::Null),
                ] {
                    if self.s[self.at..].starts_with(word) {
                        self.at += word.len();
                        return (tok, start);
                    }
                }
                // What lua-cjson calls an invalid JSON number (it decodes them by default):
                // a leading '+', inf, nan.
                let rest = &self.s[self.at..];
                let word = |w: &[u8]| rest.len() >= 3 && rest[..3].eq_ignore_ascii_case(w);
                if c == b'+' || word(b"inf") || word(b"nan") {
                    return (self.number(), start);
                }
                (Tok::Error("invalid token"), start)
            }
        }
    }

    /// A number as lua-cjson reads one: the longest prefix C's strtod takes (so `5-0` is the
    /// number 5 and then another token, and hex, inf and nan are numbers too).
    fn number(&mut self) -> Tok {
        match strtod_prefix(&self.s[self.at..]) {
            Some((n, len)) => {
                self.at += len;
                Tok::Num(n)
            }
            None => Tok::Error("invalid number"),
        }
    }

    fn hex4(&self, at: usize) -> Option<u32> {
        let h = self.s.get(at..at + 4)?;
        u32::from_str_radix(std::str::from_utf8(h).ok()?, 16).ok()
    }

    /// A string token, or the error found in it and where.
    fn string(&mut self) -> (Tok, usize) {
        let start = self.at + 1;
        let mut out = Vec::new();
        let mut i = self.at + 1;
        loop {
            let Some(&c) = self.s.get(i) else {
                return (Tok::Error("unexpected end of string"), i + 1);
            };
            match c {
                b'"' => break,
                b'\\' => {
                    let Some(&e) = self.s.get(i + 1) else {
                        return (Tok::Error("unexpected end of string"), i + 2);
                    };
                    let escape_at = i + 1;
                    i += 2;
                    match e {
                        b'"' | b'\\' | b'/' => out.push(e),
                        b'b' => out.push(0x08),
                        b'f' => out.push(0x0c),
                        b'n' => out.push(b'\n'),
                        b'r' => out.push(b'\r'),
                        b't' => out.push(b'\t'),
                        b'u' => {
                            let Some(mut cp) = self.hex4(i) else {
                                return (Tok::Error("invalid unicode escape code"), escape_at);
                            };
                            i += 4;
                            if (0xd800..0xdc00).contains(&cp) {
                                let low = (self.s.get(i) == Some(&b'\\')
                                    && self.s.get(i + 1) == Some(&b'u'))
                                .then(|| self.hex4(i + 2))
                                .flatten()
                                .filter(|l| (0xdc00..0xe000).contains(l));
                                let Some(low) = low else {
                                    return (Tok::Error("invalid unicode escape code"), escape_at);
                                };
                                cp = 0x10000 + ((cp - 0xd800) << 10) + (low - 0xdc00);
                                i += 6;
                            } else if (0xdc00..0xe000).contains(&cp) {
                                return (Tok::Error("invalid unicode escape code"), escape_at);
                            }
                            let ch = char::from_u32(cp).unwrap_or('\u{fffd}');
                            let mut buf = [0u8; 4];
                            out.extend_from_slice(ch.encode_utf8(&mut buf).as_bytes());
                        }
                        _ => return (Tok::Error("invalid escape code"), escape_at),
                    }
                    continue;
                }
                c => out.push(c),
            }
            i += 1;
        }
        self.at = i + 1;
        (Tok::Str(out), start)
    }

    fn expected(what: &str, tok: &Tok, at: usize) -> String {
        format!("Expected {what} but found {} at character {at}", tok.name())
    }

    fn document(&mut self) -> Result<Value, String> {
        let (tok, at) = self.next();
        let v = self.value(tok, at, 0)?;
        let (tok, at) = self.next();
        if !matches!(tok, Tok::End) {
            return Err(Self::expected("the end", &tok, at));
        }
        Ok(v)
    }

    fn value(&mut self, tok: Tok, at: usize, depth: usize) -> Result<Value, String> {
        let lua = self.lua;
        let e = |r: mlua::Result<Value>| r.map_err(|e| e.to_string());
        Ok(match tok {
            Tok::Str(s) => e(lua.create_string(&s).map(Value::String))?,
            Tok::Num(n) => Value::Number(n),
            Tok::Bool(b) => Value::Boolean(b),
            Tok::Null => Value::LightUserData(LightUserData(std::ptr::null_mut())),
            Tok::ObjBegin | Tok::ArrBegin => {
                let depth = depth + 1;
                if depth > JSON_MAX_DEPTH {
                    return Err(format!(
                        "Found too many nested data structures ({depth}) at character {at}"
                    ));
                }
                let t = lua.create_table().map_err(|e| e.to_string())?;
                if matches!(tok, Tok::ArrBegin) {
                    self.array(&t, depth)?;
                } else {
                    self.object(&t, depth)?;
                }
                Value::Table(t)
            }
            other => return Err(Self::expected("value", &other, at)),
        })
    }

    fn array(&mut self, t: &Table, depth: usize) -> Result<(), String> {
        let (mut tok, mut at) = self.next();
        if matches!(tok, Tok::ArrEnd) {
            return Ok(());
        }
        for i in 1.. {
            let v = self.value(tok, at, depth)?;
            t.raw_set(i, v).map_err(|e| e.to_string())?;
            let (sep, sat) = self.next();
            match sep {
                Tok::ArrEnd => return Ok(()),
                Tok::Comma => {}
                other => return Err(Self::expected("comma or array end", &other, sat)),
            }
            (tok, at) = self.next();
        }
        Ok(())
    }

    fn object(&mut self, t: &Table, depth: usize) -> Result<(), String> {
        let (mut tok, mut at) = self.next();
        if matches!(tok, Tok::ObjEnd) {
            return Ok(());
        }
        loop {
            let Tok::Str(key) = tok else {
                return Err(Self::expected("object key string", &tok, at));
            };
            let (colon, cat) = self.next();
            if !matches!(colon, Tok::Colon) {
                return Err(Self::expected("colon", &colon, cat));
            }
            let (vt, vat) = self.next();
            let v = self.value(vt, vat, depth)?;
            let k = self.lua.create_string(&key).map_err(|e| e.to_string())?;
            t.raw_set(k, v).map_err(|e| e.to_string())?;
            let (sep, sat) = self.next();
            match sep {
                Tok::ObjEnd => return Ok(()),
                Tok::Comma => {}
                other => return Err(Self::expected("comma or object end", &other, sat)),
            }
            (tok, at) = self.next();
        }
    }
}

/// The value and length of the longest prefix of `s` that C's strtod converts (C locale):
/// a sign, then decimal digits with a point and an exponent, hex digits (`0x`) with a binary
/// exponent, `inf`, `infinity` or `nan`; None when it converts nothing.
fn strtod_prefix(s: &[u8]) -> Option<(f64, usize)> {
    let mut at = usize::from(matches!(s.first(), Some(b'+' | b'-')));
    let negative = s.first() == Some(&b'-');
    let rest = &s[at..];
    let starts =
        |word: &[u8]| rest.len() >= word.len() && rest[..word.len()].eq_ignore_ascii_case(word);
    let sign = |v: f64| if negative { -v } else { v };
    if starts(b"infinity") {
        return Some((sign(f64::INFINITY), at + 8));
    }
    if starts(b"inf") {
        return Some((sign(f64::INFINITY), at + 3));
    }
    if starts(b"nan") {
        at += 3;
        // nan(n-char-sequence)
        if s.get(at) == Some(&b'(') {
            let close = s[at..]
                .iter()
                .position(|&c| !(c.is_ascii_alphanumeric() || c == b'_' || c == b'('));
            if let Some(i) = close.filter(|&i| s[at + i] == b')') {
                at += i + 1;
            }
        }
        return Some((f64::NAN, at));
    }
    let digits = |from: usize, hex: bool| {
        s[from..]
            .iter()
            .take_while(|c| {
                if hex {
                    c.is_ascii_hexdigit()
                } else {
                    c.is_ascii_digit()
                }
            })
            .count()
    };
    let hex = rest.len() > 2 && rest[0] == b'0' && (rest[1] | 0x20) == b'x';
    if hex {
        let begin = at + 2;
        let int = digits(begin, true);
        let mut end = begin + int;
        let mut frac = 0;
        if s.get(end) == Some(&b'.') {
            frac = digits(end + 1, true);
            end += 1 + frac;
        }
        if int + frac > 0 {
            let mut v = 0f64;
            for &c in s[begin..begin + int + usize::from(frac > 0) + frac].iter() {
                if let Some(d) = (c as char).to_digit(16) {
                    v = v * 16.0 + d as f64;
                }
            }
            let mut exp = -4 * frac as i32;
            if matches!(s.get(end), Some(b'p' | b'P')) {
                let sgn = usize::from(matches!(s.get(end + 1), Some(b'+' | b'-')));
                let n = digits(end + 1 + sgn, false);
                if n > 0 {
                    let text = std::str::from_utf8(&s[end + 1..end + 1 + sgn + n]).unwrap_or("0");
                    exp += text.parse::<i32>().unwrap_or(i32::MAX);
                    end += 1 + sgn + n;
                }
            }
            return Some((sign(v * 2f64.powi(exp)), end));
        }
        // "0x" with no digit: the 0 alone.
        return Some((sign(0.0), at + 1));
    }
    let int = digits(at, false);
    let mut end = at + int;
    let mut frac = 0;
    if s.get(end) == Some(&b'.') {
        frac = digits(end + 1, false);
        if int + frac > 0 {
            end += 1 + frac;
        }
    }
    if int + frac == 0 {
        return None;
    }
    if matches!(s.get(end), Some(b'e' | b'E')) {
        let sgn = usize::from(matches!(s.get(end + 1), Some(b'+' | b'-')));
        let n = digits(end + 1 + sgn, false);
        if n > 0 {
            end += 1 + sgn + n;
        }
    }
    let text = std::str::from_utf8(&s[..end]).ok()?;
    let text = text.strip_prefix('+').unwrap_or(text);
    let v = text.strip_suffix('.').unwrap_or(text).parse::<f64>().ok()?;
    Some((v, end))
}

// ---------------------------------------------------------------------------------------------
// cmsgpack

/// lua-cmsgpack's nesting limit: deeper tables are packed as nil.
const MSGPACK_MAX_NESTING: usize = 16;

pub fn cmsgpack(lua: &Lua) -> mlua::Result<Table> {
    let raw = lua.create_table()?;
    raw.raw_set(
        "pack",
        lua.create_function(|lua, args: Variadic<Value>| {
            if args.is_empty() {
                return fail(
                    lua,
                    "bad argument #0 to 'pack' (MessagePack pack needs input.)",
                );
            }
            let mut out = Vec::new();
            for v in args.iter() {
                mp_encode(v, &mut out, 0);
            }
            ok(vec![Value::String(lua.create_string(&out)?)])
        })?,
    )?;
    raw.raw_set(
        "unpack",
        lua.create_function(|lua, args: Variadic<Value>| {
            let s = mp_arg_str(lua, &args, "unpack")?;
            mp_unpack(lua, &s, 0, 0)
        })?,
    )?;
    raw.raw_set(
        "unpack_one",
        lua.create_function(|lua, args: Variadic<Value>| {
            let s = mp_arg_str(lua, &args, "unpack_one")?;
            let offset = mp_arg_int(lua, &args, 1, "unpack_one", Some(0))?;
            mp_unpack(lua, &s, 1, offset)
        })?,
    )?;
    raw.raw_set(
        "unpack_limit",
        lua.create_function(|lua, args: Variadic<Value>| {
            let s = mp_arg_str(lua, &args, "unpack_limit")?;
            let limit = mp_arg_int(lua, &args, 1, "unpack_limit", None)?;
            let offset = mp_arg_int(lua, &args, 2, "unpack_limit", Some(0))?;
            mp_unpack(lua, &s, limit, offset)
        })?,
    )?;
    raw.raw_set("_NAME", "cmsgpack")?;
    raw.raw_set("_VERSION", "lua-cmsgpack 0.4.0")?;
    raw.raw_set("_COPYRIGHT", "Copyright (C) 2012, Salvatore Sanfilippo")?;
    raw.raw_set("_DESCRIPTION", "MessagePack C implementation for Lua")?;
    Ok(raw)
}

fn mp_int(n: i64, out: &mut Vec<u8>) {
    if n >= 0 {
        let u = n as u64;
        if u < 128 {
            out.push(u as u8);
        } else if u <= 0xff {
            out.extend_from_slice(&[0xcc, u as u8]);
        } else if u <= 0xffff {
            out.push(0xcd);
            out.extend_from_slice(&(u as u16).to_be_bytes());
        } else if u <= 0xffff_ffff {
            out.push(0xce);
            out.extend_from_slice(&(u as u32).to_be_bytes());
        } else {
            out.push(0xcf);
            out.extend_from_slice(&u.to_be_bytes());
        }
    } else if n >= -32 {
        out.push(n as i8 as u8);
    } else if n >= -128 {
        out.extend_from_slice(&[0xd0, n as i8 as u8]);
    } else if n >= -32768 {
        out.push(0xd1);
        out.extend_from_slice(&(n as i16).to_be_bytes());
    } else if n >= -2147483648 {
        out.push(0xd2);
        out.extend_from_slice(&(n as i32).to_be_bytes());
    } else {
        out.push(0xd3);
        out.extend_from_slice(&n.to_be_bytes());
    }
}

fn mp_number(n: f64, out: &mut Vec<u8>) {
    // An integral value that fits an int64 goes as an integer, as lua-cmsgpack does.
    if n.fract() == 0.0 && (-9.223372036854776e18..9.223372036854776e18).contains(&n) {
        return mp_int(n as i64, out);
    }
    let f = n as f32;
    if f as f64 == n {
        out.push(0xca);
        out.extend_from_slice(&f.to_be_bytes());
    } else {
        out.push(0xcb);
        out.extend_from_slice(&n.to_be_bytes());
    }
}

fn mp_len(len: usize, small: (u8, usize), codes: [u8; 3], out: &mut Vec<u8>) {
    if len < small.1 {
        out.push(small.0 | len as u8);
    } else if codes[0] != 0 && len <= 0xff {
        out.extend_from_slice(&[codes[0], len as u8]);
    } else if len <= 0xffff {
        out.push(codes[1]);
        out.extend_from_slice(&(len as u16).to_be_bytes());
    } else {
        out.push(codes[2]);
        out.extend_from_slice(&(len as u32).to_be_bytes());
    }
}

fn mp_encode(v: &Value, out: &mut Vec<u8>, depth: usize) {
    match v {
        Value::Boolean(b) => out.push(if *b { 0xc3 } else { 0xc2 }),
        Value::Integer(n) => mp_int(*n, out),
        Value::Number(n) => mp_number(*n, out),
        Value::String(s) => {
            let b = s.as_bytes();
            mp_len(b.len(), (0xa0, 32), [0xd9, 0xda, 0xdb], out);
            out.extend_from_slice(&b);
        }
        Value::Table(t) if depth < MSGPACK_MAX_NESTING => {
            // An array when its keys are exactly 1..n (no holes), a map otherwise.
            let pairs: Vec<(Value, Value)> = t.pairs().filter_map(Result::ok).collect();
            let (mut max, mut count) = (0f64, 0usize);
            let mut array = true;
            for (k, _) in &pairs {
                let n = match k {
                    Value::Integer(n) => *n as f64,
                    Value::Number(n) => *n,
                    _ => {
                        array = false;
                        break;
                    }
                };
                if n <= 0.0 || n.fract() != 0.0 {
                    array = false;
                    break;
                }
                max = max.max(n);
                count += 1;
            }
            if array && max as usize == count {
                mp_len(count, (0x90, 16), [0, 0xdc, 0xdd], out);
                for i in 1..=count {
                    let item: Value = t.raw_get(i).unwrap_or(Value::Nil);
                    mp_encode(&item, out, depth + 1);
                }
            } else {
                mp_len(pairs.len(), (0x80, 16), [0, 0xde, 0xdf], out);
                for (k, item) in &pairs {
                    mp_encode(k, out, depth + 1);
                    mp_encode(item, out, depth + 1);
                }
            }
        }
        _ => out.push(0xc0),
    }
}

enum MpError {
    Missing,
    Bad,
    /// Nested past [`MP_MAX_DEPTH`]: Redis's text for where it ran out.
    Deep(&'static str),
}

/// The nesting at which Redis's cmsgpack runs out of Lua stack (two slots a level): it fails
/// there, and here it keeps the recursion within the executor thread's stack.
const MP_MAX_DEPTH: usize = 4000;

/// The most values one unpack returns (Lua's stack holds them all).
const MP_MAX_VALUES: usize = 7999;

/// Redis's texts for a nesting past [`MP_MAX_DEPTH`]: arrays check the stack, maps leave it to
/// the check before each top-level value.
const MP_DEEP_ARRAY: &str = "stack overflow (in function mp_decode_to_lua_array)";
const MP_TOO_MANY: &str =
    "stack overflow (too many return values at once; use unpack_one or unpack_limit instead.)";

fn mp_decode(lua: &Lua, s: &[u8], at: &mut usize, depth: usize) -> Result<Value, MpError> {
    let take = |at: &mut usize, n: usize| -> Result<&[u8], MpError> {
        let b = s.get(*at..*at + n).ok_or(MpError::Missing)?;
        *at += n;
        Ok(b)
    };
    let be = |b: &[u8]| b.iter().fold(0u64, |n, &x| (n << 8) | x as u64);
    let c = take(at, 1)?[0];
    let num = |n: f64| Ok(Value::Number(n));
    let string = |lua: &Lua, at: &mut usize, n: usize| -> Result<Value, MpError> {
        let b = take(at, n)?;
        lua.create_string(b)
            .map(Value::String)
            .map_err(|_| MpError::Bad)
    };
    let array = |lua: &Lua, at: &mut usize, n: usize| -> Result<Value, MpError> {
        if depth + 1 >= MP_MAX_DEPTH {
            return Err(MpError::Deep(MP_DEEP_ARRAY));
        }
        let t = lua.create_table().map_err(|_| MpError::Bad)?;
        for i in 1..=n {
            let v = mp_decode(lua, s, at, depth + 1)?;
            t.raw_set(i, v).map_err(|_| MpError::Bad)?;
        }
        Ok(Value::Table(t))
    };
    let map = |lua: &Lua, at: &mut usize, n: usize| -> Result<Value, MpError> {
        if depth + 1 >= MP_MAX_DEPTH {
            return Err(MpError::Deep(MP_TOO_MANY));
        }
        let t = lua.create_table().map_err(|_| MpError::Bad)?;
        for _ in 0..n {
            let k = mp_decode(lua, s, at, depth + 1)?;
            let v = mp_decode(lua, s, at, depth + 1)?;
            if !k.is_nil() {
                t.raw_set(k, v).map_err(|_| MpError::Bad)?;
            }
        }
        Ok(Value::Table(t))
    };
    match c {
        0x00..=0x7f => num(c as f64),
        0x80..=0x8f => map(lua, at, (c & 0x0f) as usize),
        0x90..=0x9f => array(lua, at, (c & 0x0f) as usize),
        0xa0..=0xbf => string(lua, at, (c & 0x1f) as usize),
        0xc0 => Ok(Value::Nil),
        0xc2 => Ok(Value::Boolean(false)),
        0xc3 => Ok(Value::Boolean(true)),
        0xca => num(f32::from_be_bytes(take(at, 4)?.try_into().unwrap()) as f64),
        0xcb => num(f64::from_be_bytes(take(at, 8)?.try_into().unwrap())),
        0xcc => num(take(at, 1)?[0] as f64),
        0xcd => num(be(take(at, 2)?) as f64),
        0xce => num(be(take(at, 4)?) as f64),
        // lua-cmsgpack reads it into a signed integer: past 2^63 it wraps to negative.
        0xcf => num(be(take(at, 8)?) as i64 as f64),
        0xd0 => num(take(at, 1)?[0] as i8 as f64),
        0xd1 => num(be(take(at, 2)?) as u16 as i16 as f64),
        0xd2 => num(be(take(at, 4)?) as u32 as i32 as f64),
        0xd3 => num(be(take(at, 8)?) as i64 as f64),
        // str, array and map with a length of 1, 2 or 4 bytes (lua-cmsgpack has no bin types:
        // they are bad data, like the ext types).
        0xd9..=0xdf => {
            let width = match c {
                0xd9 => 1,
                0xda | 0xdc | 0xde => 2,
                _ => 4,
            };
            let n = be(take(at, width)?) as usize;
            match c {
                0xdc | 0xdd => array(lua, at, n),
                0xde | 0xdf => map(lua, at, n),
                _ => string(lua, at, n),
            }
        }
        0xe0..=0xff => num(c as i8 as f64),
        _ => Err(MpError::Bad),
    }
}

/// luaL's name for an argument's type (`no value` when it is missing).
fn lual_type(v: Option<&Value>) -> &'static str {
    match v {
        None => "no value",
        Some(Value::Nil) => "nil",
        Some(Value::Boolean(_)) => "boolean",
        Some(Value::Table(_)) => "table",
        Some(Value::Function(_)) => "function",
        Some(Value::String(_)) => "string",
        Some(Value::Integer(_) | Value::Number(_)) => "number",
        Some(Value::Thread(_)) => "thread",
        Some(_) => "userdata",
    }
}

/// The input argument as luaL_checklstring takes it (a number is written as Lua writes it).
fn mp_arg_str(lua: &Lua, args: &[Value], f: &str) -> mlua::Result<Vec<u8>> {
    arg_bytes(args.first()).ok_or_else(|| {
        super::lua::lib_error(
            lua,
            &format!(
                "bad argument #1 to '{f}' (string expected, got {})",
                lual_type(args.first())
            ),
        )
    })
}

/// Argument `i` (0-based) as luaL_checkinteger (`default` None) or luaL_optinteger takes it.
fn mp_arg_int(
    lua: &Lua,
    args: &[Value],
    i: usize,
    f: &str,
    default: Option<i64>,
) -> mlua::Result<i64> {
    if let (Some(d), None | Some(Value::Nil)) = (default, args.get(i)) {
        return Ok(d);
    }
    match args.get(i).map(|v| lua.coerce_number(v.clone())) {
        Some(Ok(Some(n))) => Ok(n as i64),
        _ => Err(super::lua::lib_error(
            lua,
            &format!(
                "bad argument #{} to '{f}' (number expected, got {})",
                i + 1,
                lual_type(args.get(i))
            ),
        )),
    }
}

/// unpack, unpack_one and unpack_limit (the next offset first, -1 once the input is consumed,
/// unless everything is decoded).
fn mp_unpack(lua: &Lua, s: &[u8], limit: i64, offset: i64) -> mlua::Result<MultiValue> {
    // As lua-cmsgpack: with no limit and no offset everything is decoded and no offset
    // returned; otherwise at most `limit` values (0: none), after the next offset.
    let all = limit == 0 && offset == 0;
    if offset < 0 || limit < 0 {
        // Its text names the input's length where it means the limit.
        return fail(
            lua,
            &format!(
                "Invalid request to unpack with offset of {offset} and limit of {}.",
                s.len()
            ),
        );
    }
    if offset as usize > s.len() {
        return fail(
            lua,
            &format!(
                "Start offset {offset} greater than input length {}.",
                s.len()
            ),
        );
    }
    let mut at = offset as usize;
    let mut values = Vec::new();
    while at < s.len() && (all || (values.len() as i64) < limit) {
        // Where Redis's check for room before each value fails.
        if values.len() >= MP_MAX_VALUES {
            return fail(lua, MP_TOO_MANY);
        }
        match mp_decode(lua, s, &mut at, 0) {
            Ok(v) => values.push(v),
            Err(MpError::Missing) => return fail(lua, "Missing bytes in input."),
            Err(MpError::Bad) => return fail(lua, "Bad data format in input."),
            Err(MpError::Deep(text)) => return fail(lua, text),
        }
    }
    if !all {
        let next = if at >= s.len() { -1 } else { at as i64 };
        values.insert(0, Value::Integer(next));
    }
    ok(values)
}

// ---------------------------------------------------------------------------------------------
// struct

/// The largest integer size 'i'/'I' may ask for, and the default alignment limit of '!'.
const STRUCT_MAX_INT: usize = 32;
const STRUCT_MAX_ALIGN: usize = 8;

struct Format<'f> {
    /// The struct function reading the format (its name in argument errors).
    caller: &'static str,
    fmt: &'f [u8],
    at: usize,
    little: bool,
    align: usize,
    /// Hand an unknown option on with size 0 instead of failing (unpack, which, as Redis's
    /// struct, first checks that the data is long enough).
    defer_invalid: bool,
}

impl Format<'_> {
    fn new<'a>(fmt: &'a [u8], caller: &'static str) -> Format<'a> {
        Format {
            caller,
            fmt,
            at: 0,
            little: true,
            align: 1,
            defer_invalid: false,
        }
    }

    fn number(&mut self, default: usize) -> usize {
        let start = self.at;
        let mut n: usize = 0;
        while let Some(d) = self.fmt.get(self.at).filter(|c| c.is_ascii_digit()) {
            n = n.saturating_mul(10).saturating_add((d - b'0') as usize);
            self.at += 1;
        }
        if self.at == start {
            default
        } else {
            n
        }
    }

    /// The next option and its size; control options ('<', '>', '!', ' ') are applied and
    /// skipped. None at the end.
    fn next(&mut self) -> Result<Option<(u8, usize)>, String> {
        loop {
            let Some(&opt) = self.fmt.get(self.at) else {
                return Ok(None);
            };
            self.at += 1;
            let size = match opt {
                b'x' | b'b' | b'B' => 1,
                b'h' | b'H' => 2,
                b'l' | b'L' | b'T' | b'd' => 8,
                b'f' => 4,
                b'i' | b'I' => {
                    let n = self.number(4);
                    if n > STRUCT_MAX_INT {
                        return Err(format!(
                            "integral size {n} is larger than limit of {STRUCT_MAX_INT}"
                        ));
                    }
                    n
                }
                b'c' => self.number(1),
                b's' => 0,
                b' ' => continue,
                b'<' => {
                    self.little = true;
                    continue;
                }
                b'>' => {
                    self.little = false;
                    continue;
                }
                b'=' => {
                    self.little = cfg!(target_endian = "little");
                    continue;
                }
                b'!' => {
                    let a = self.number(STRUCT_MAX_ALIGN);
                    if !a.is_power_of_two() {
                        return Err(format!("alignment {a} is not a power of 2"));
                    }
                    self.align = a;
                    continue;
                }
                _ if self.defer_invalid => 0,
                other => return Err(self.invalid(other)),
            };
            return Ok(Some((opt, size)));
        }
    }

    fn invalid(&self, opt: u8) -> String {
        format!(
            "bad argument #1 to '{}' (invalid format option '{}')",
            self.caller, opt as char
        )
    }

    /// Padding before an option of `size` at offset `len`.
    fn padding(&self, len: usize, opt: u8, size: usize) -> usize {
        if size == 0 || opt == b'c' {
            return 0;
        }
        let size = size.min(self.align);
        (size - (len & (size - 1))) & (size - 1)
    }
}

fn arg_number(v: Option<&Value>) -> Option<f64> {
    match v? {
        Value::Integer(n) => Some(*n as f64),
        Value::Number(n) => Some(*n),
        Value::String(s) => std::str::from_utf8(&s.as_bytes()).ok()?.trim().parse().ok(),
        _ => None,
    }
}

fn arg_bytes(v: Option<&Value>) -> Option<Vec<u8>> {
    match v? {
        Value::String(s) => Some(s.as_bytes().to_vec()),
        Value::Integer(n) => Some(n.to_string().into_bytes()),
        Value::Number(n) => Some(number_text(*n).into_bytes()),
        _ => None,
    }
}

/// luaL_checknumber's / luaL_checkstring's complaint about argument `n` of struct.pack.
fn expected(what: &str, got: Option<&Value>, n: usize) -> String {
    let got = lual_type(got);
    format!("bad argument #{n} to 'pack' ({what} expected, got {got})")
}

fn struct_pack(args: &[Value]) -> Result<Vec<u8>, String> {
    let fmt = arg_bytes(args.first()).ok_or("bad argument #1 to 'pack' (string expected)")?;
    let mut f = Format::new(&fmt, "pack");
    let mut out = Vec::new();
    let mut arg = 1;
    while let Some((opt, size)) = f.next()? {
        let pad = f.padding(out.len(), opt, size);
        out.resize(out.len() + pad, 0);
        match opt {
            b'b' | b'B' | b'h' | b'H' | b'l' | b'L' | b'T' | b'i' | b'I' => {
                let n = arg_number(args.get(arg))
                    .ok_or_else(|| expected("number", args.get(arg), arg + 1))?;
                arg += 1;
                let v: u64 = if n < 0.0 { n as i64 as u64 } else { n as u64 };
                let fill = if n < 0.0 { 0xff } else { 0 };
                let mut bytes: Vec<u8> = (0..size)
                    .map(|i| if i < 8 { (v >> (8 * i)) as u8 } else { fill })
                    .collect();
                if !f.little {
                    bytes.reverse();
                }
                out.extend_from_slice(&bytes);
            }
            b'x' => out.push(0),
            b'f' | b'd' => {
                let n = arg_number(args.get(arg))
                    .ok_or_else(|| expected("number", args.get(arg), arg + 1))?;
                arg += 1;
                let mut bytes = if opt == b'f' {
                    (n as f32).to_le_bytes().to_vec()
                } else {
                    n.to_le_bytes().to_vec()
                };
                if !f.little {
                    bytes.reverse();
                }
                out.extend_from_slice(&bytes);
            }
            _ => {
                let s = arg_bytes(args.get(arg))
                    .ok_or_else(|| expected("string", args.get(arg), arg + 1))?;
                arg += 1;
                let size = if size == 0 { s.len() } else { size };
                if s.len() < size {
                    let n = arg + 1;
                    return Err(format!("bad argument #{n} to 'pack' (string too short)"));
                }
                out.extend_from_slice(&s[..size]);
                if opt == b's' {
                    out.push(0);
                }
            }
        }
    }
    Ok(out)
}

fn struct_unpack(lua: &Lua, args: &[Value]) -> Result<Vec<Value>, String> {
    let fmt = arg_bytes(args.first()).ok_or("bad argument #1 to 'unpack' (string expected)")?;
    let data = arg_bytes(args.get(1)).ok_or("bad argument #2 to 'unpack' (string expected)")?;
    let init = match args.get(2) {
        None | Some(Value::Nil) => 1.0,
        v => arg_number(v).ok_or("bad argument #3 to 'unpack' (number expected)")?,
    };
    // As Redis's struct takes it: an integer, 0 refused; a negative one becomes a huge
    // unsigned position, so reading anything there finds the data too short.
    let init = init as i64;
    if init == 0 {
        return Err("bad argument #3 to 'unpack' (offset must be 1 or greater)".into());
    }
    let mut pos = if init < 0 {
        usize::MAX / 4
    } else {
        (init - 1) as usize
    };
    let short = || "bad argument #2 to 'unpack' (data string too short)".to_string();
    let mut f = Format::new(&fmt, "unpack");
    f.defer_invalid = true;
    let mut out: Vec<Value> = Vec::new();
    let lstr = |b: &[u8]| {
        lua.create_string(b)
            .map(Value::String)
            .map_err(|e| e.to_string())
    };
    while let Some((opt, mut size)) = f.next()? {
        pos += f.padding(pos, opt, size);
        if pos + size > data.len() {
            return Err(short());
        }
        match opt {
            b'b' | b'B' | b'h' | b'H' | b'l' | b'L' | b'T' | b'i' | b'I' => {
                let mut bytes = data[pos..pos + size].to_vec();
                if !f.little {
                    bytes.reverse();
                }
                let mut v: u64 = 0;
                for (i, b) in bytes.iter().enumerate().take(8) {
                    v |= (*b as u64) << (8 * i);
                }
                let signed = opt.is_ascii_lowercase();
                let n = if signed && size > 0 && size < 8 {
                    let shift = 64 - 8 * size as u32;
                    (((v << shift) as i64) >> shift) as f64
                } else if signed {
                    v as i64 as f64
                } else {
                    v as f64
                };
                out.push(Value::Number(n));
            }
            b'x' => {}
            b'f' | b'd' => {
                let mut bytes = data[pos..pos + size].to_vec();
                if !f.little {
                    bytes.reverse();
                }
                let n = if opt == b'f' {
                    f32::from_le_bytes(bytes[..4].try_into().unwrap()) as f64
                } else {
                    f64::from_le_bytes(bytes[..8].try_into().unwrap())
                };
                out.push(Value::Number(n));
            }
            b'c' => {
                if size == 0 {
                    let Some(n) = out.pop().and_then(|v| arg_number(Some(&v))) else {
                        return Err("format 'c0' needs a previous size".into());
                    };
                    size = n as usize;
                    if pos + size > data.len() {
                        return Err(short());
                    }
                }
                out.push(lstr(&data[pos..pos + size])?);
            }
            b's' => {
                let Some(end) = memchr::memchr(0, &data[pos..]) else {
                    return Err("unfinished string in data".into());
                };
                out.push(lstr(&data[pos..pos + end])?);
                size = end + 1;
            }
            other => return Err(f.invalid(other)),
        }
        pos += size;
    }
    out.push(Value::Integer(pos as i64 + 1));
    Ok(out)
}

fn struct_size(args: &[Value]) -> Result<usize, String> {
    let fmt = arg_bytes(args.first()).ok_or("bad argument #1 to 'size' (string expected)")?;
    let mut f = Format::new(&fmt, "size");
    let mut total = 0;
    while let Some((opt, size)) = f.next()? {
        if opt == b's' || (opt == b'c' && size == 0) {
            let o = if opt == b's' { "s" } else { "c0" };
            return Err(format!(
                "bad argument #1 to 'size' (option '{o}' has no fixed size)"
            ));
        }
        total += f.padding(total, opt, size) + size;
    }
    Ok(total)
}

pub fn structlib(lua: &Lua) -> mlua::Result<Table> {
    let raw = lua.create_table()?;
    raw.raw_set(
        "pack",
        lua.create_function(|lua, args: Variadic<Value>| match struct_pack(&args) {
            Ok(b) => ok(vec![Value::String(lua.create_string(&b)?)]),
            Err(e) => fail(lua, &e),
        })?,
    )?;
    raw.raw_set(
        "unpack",
        lua.create_function(
            |lua, args: Variadic<Value>| match struct_unpack(lua, &args) {
                Ok(v) => ok(v),
                Err(e) => fail(lua, &e),
            },
        )?,
    )?;
    raw.raw_set(
        "size",
        lua.create_function(|lua, args: Variadic<Value>| match struct_size(&args) {
            Ok(n) => ok(vec![Value::Integer(n as i64)]),
            Err(e) => fail(lua, &e),
        })?,
    )?;
    Ok(raw)
}

// ---------------------------------------------------------------------------------------------
// math.random and math.randomseed, as Redis patches Lua's: its own rand48 generator (the same
// sequence on every platform, which math.randomseed restarts), not the C library's rand().

thread_local! {
    /// The generator's 48-bit state, first as rand48 leaves it unseeded.
    static RAND48: std::cell::Cell<u64> = const { std::cell::Cell::new(0x1234_ABCD_330E) };
}

fn lrand48() -> i32 {
    RAND48.with(|x| {
        let next = x.get().wrapping_mul(0x5_DEEC_E66D).wrapping_add(0xB) & ((1 << 48) - 1);
        x.set(next);
        (next >> 17) as i32
    })
}

/// math.random([m [, n]]).
///
/// # Safety
/// A Lua C function: Lua calls it, on a state with its arguments.
pub unsafe extern "C-unwind" fn math_random(l: *mut ffi::lua_State) -> c_int {
    let r = (lrand48() % i32::MAX) as f64 / i32::MAX as f64;
    match ffi::lua_gettop(l) {
        0 => ffi::lua_pushnumber(l, r),
        1 => {
            let u = ffi::luaL_checkinteger(l, 1) as c_int;
            if u < 1 {
                ffi::luaL_argerror(l, 1, c"interval is empty".as_ptr());
            }
            ffi::lua_pushnumber(l, (r * u as f64).floor() + 1.0);
        }
        2 => {
            let lo = ffi::luaL_checkinteger(l, 1) as c_int;
            let u = ffi::luaL_checkinteger(l, 2) as c_int;
            if lo > u {
                ffi::luaL_argerror(l, 2, c"interval is empty".as_ptr());
            }
            let span = u.wrapping_sub(lo).wrapping_add(1);
            ffi::lua_pushnumber(l, (r * span as f64).floor() + lo as f64);
        }
        _ => {
            ffi::luaL_where(l, 1);
            ffi::lua_pushstring(l, c"wrong number of arguments".as_ptr());
            ffi::lua_concat(l, 2);
            ffi::lua_error(l);
        }
    }
    1
}

/// math.randomseed(x): restarts the sequence, as rand48's srand48 does.
///
/// # Safety
/// A Lua C function: Lua calls it, on a state with its arguments.
pub unsafe extern "C-unwind" fn math_randomseed(l: *mut ffi::lua_State) -> c_int {
    let seed = ffi::luaL_checkinteger(l, 1) as c_int;
    RAND48.with(|x| x.set(((seed as u32 as u64) << 16) | 0x330E));
    0
}
