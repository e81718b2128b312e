//! Scripting (EVAL, EVALSHA, EVAL_RO, SCRIPT): redis-server 7.0.15's replies and errors for
//! the conversions, the sandbox, the redis library and the cjson, cmsgpack and struct libraries, in RESP2 and RESP3; a script runs alone
//! across executors (a read-modify-write of declared and undeclared keys stays exact); its
//! effects, not the EVAL, reach the AOF, in one batch as a transaction's, and survive a
//! restart.

mod common;
use common::{check_replies, q, Raw, TestServer};

fn eval(r: &mut Raw, script: &str, args: &[&str]) -> String {
    let mut a: Vec<&[u8]> = vec![b"EVAL", script.as_bytes()];
    a.extend(args.iter().map(|s| s.as_bytes()));
    String::from_utf8(r.cmd(&a)).unwrap()
}

fn send(r: &mut Raw, args: &[&str]) -> String {
    let a: Vec<&[u8]> = args.iter().map(|s| s.as_bytes()).collect();
    String::from_utf8(r.cmd(&a)).unwrap()
}

/// (script, args after the script, redis-server's reply)
const CASES: &[(&str, &[&str], &str)] = &[
    // Status and error texts stay one line: CR and LF become spaces in a status, and an
    // error_reply's message is trimmed of them at both ends (as Redis splits code and message).
    ("return redis.status_reply('a\\r\\nb')", &["0"], "+a  b\r\n"),
    ("return redis.error_reply('\\nx\\n')", &["0"], "-ERR x\r\n"),
    ("return redis.error_reply('-E \\r\\nx y\\n')", &["0"], "-E x y\r\n"),
    ("local t = redis.error_reply('A b\\n\\n') return t.err", &["0"], "$3\r\nA b\r\n"),
    ("return redis.setresp()", &["0"], "-ERR redis.setresp() requires one argument. script: 76da64e28014e7c9ad76db33c3918c53d81a3d7e, on @user_script:1.\r\n"),
    ("return redis.setresp('3')", &["0"], "$-1\r\n"),
    ("return {verbatim_string={format='txt', string='hi'}}", &["0"], "$2\r\nhi\r\n"),
    ("return {verbatim_string={format='txt'}}", &["0"], "*0\r\n"),
    ("return redis.pcall('xread','BLOCK',0,'streams','s','$')", &["0"], "-ERR xread command is not allowed with BLOCK option from scripts\r\n"),
    ("return redis.pcall('XREADGROUP','group','g','c','BLOCK','x','streams','s','>')", &["0"], "-ERR XREADGROUP command is not allowed with BLOCK option from scripts\r\n"),
    // The libraries' errors, as Redis's C libraries word them.
    ("return {pcall(function() return cjson.encode({[true]=1}) end)}", &["0"], "*2\r\n$-1\r\n$77\r\nuser_script:1: Cannot serialise boolean: table key must be a number or string\r\n"),
    ("return {pcall(function() return cmsgpack.unpack_one('\\1\\2', 5) end)}", &["0"], "*2\r\n$-1\r\n$58\r\nuser_script:1: Start offset 5 greater than input length 2.\r\n"),
    ("return {pcall(function() return struct.unpack('>I2', 'abcd', 0) end)}", &["0"], "*2\r\n$-1\r\n$72\r\nuser_script:1: bad argument #3 to 'unpack' (offset must be 1 or greater)\r\n"),
    ("return {pcall(function() return struct.unpack('>I2', 'abcd', -2) end)}", &["0"], "*2\r\n$-1\r\n$66\r\nuser_script:1: bad argument #2 to 'unpack' (data string too short)\r\n"),
    ("return {pcall(function() return struct.unpack('>I2', 'abcd', 6) end)}", &["0"], "*2\r\n$-1\r\n$66\r\nuser_script:1: bad argument #2 to 'unpack' (data string too short)\r\n"),
    // lua-cmsgpack has no bin types, reads a uint 64 as signed, returns no offset when it
    // decodes everything, and checks its arguments as luaL does.
    ("return {pcall(function() return cmsgpack.unpack('\\196\\1a') end)}", &["0"], "*2\r\n$-1\r\n$40\r\nuser_script:1: Bad data format in input.\r\n"),
    ("return cmsgpack.unpack('\\207\\255\\255\\255\\255\\255\\255\\255\\255')", &["0"], ":-1\r\n"),
    ("return {cmsgpack.unpack_limit('\\1\\2\\3', 0)}", &["0"], "*3\r\n:1\r\n:2\r\n:3\r\n"),
    ("return {cmsgpack.unpack_limit('\\1\\2\\3', 0, 1)}", &["0"], "*1\r\n:1\r\n"),
    ("return {pcall(function() return cmsgpack.unpack_limit('\\1\\2\\3', -1, 1) end)}", &["0"], "*2\r\n$-1\r\n$73\r\nuser_script:1: Invalid request to unpack with offset of 1 and limit of 3.\r\n"),
    ("return {pcall(function() return cmsgpack.unpack_limit('\\1') end)}", &["0"], "*2\r\n$-1\r\n$80\r\nuser_script:1: bad argument #2 to 'unpack_limit' (number expected, got no value)\r\n"),
    ("return {pcall(function() return cmsgpack.unpack(nil) end)}", &["0"], "*2\r\n$-1\r\n$69\r\nuser_script:1: bad argument #1 to 'unpack' (string expected, got nil)\r\n"),
    // Faults of Lua 5.1.5 that crashed the server (tools/vendor/lua-src/RINGDIS-PATCH.md):
    // unpack over a range wider than an int, and bytecode, which Redis's Lua never loads.
    ("return {unpack({1,2,3}, 0, 2147483647)}", &["0"], "-ERR user_script:1: too many results to unpack script: 99121f1bc192655f687c994215164fe212cd6e73, on @user_script:1.\r\n"),
    ("return {unpack({1,2,3}, -2147483648, -2)}", &["0"], "-ERR user_script:1: too many results to unpack script: 7663ebc0c35e4dc823801145cd7799b4c9614473, on @user_script:1.\r\n"),
    ("return {unpack({1,2,3}, -2147483648, 2147483647)}", &["0"], "-ERR user_script:1: too many results to unpack script: 061b0396a00f8e34ce62a535eab76ff431c0df68, on @user_script:1.\r\n"),
    ("return {unpack({1,2,3}, 2147483646, 2147483647)}", &["0"], "*0\r\n"),
    ("return #{unpack({1,2,3}, -2, 2)}", &["0"], ":5\r\n"),
    ("return loadstring(string.dump(function() return 1 end))()", &["0"], "-ERR user_script:1: attempt to call a nil value script: 5dcb142d767eb350dbcc8f0ae66433b0e227f5a2, on @user_script:1.\r\n"),
    ("local f, e = loadstring(string.dump(function() return 1 end)) return e", &["0"], "$53\r\n[string \"\u{1b}LuaQ\"]:1: unexpected symbol near 'char(27)'\r\n"),
    ("\u{1b}LuaQ", &["0"], "-ERR Error compiling script (new function): user_script:1: unexpected symbol near 'char(27)'\r\n"),
    // cmsgpack's nesting and value count end where Redis's Lua stack runs out (a nesting of
    // 100000 arrays overflowed the executor's own stack).
    ("local t = {cmsgpack.unpack(string.rep(string.char(0x91), 3999) .. string.char(1))} return #t", &["0"], ":1\r\n"),
    ("local t = {cmsgpack.unpack(string.rep(string.char(0x91), 4000) .. string.char(1))} return #t", &["0"], "-ERR user_script:1: stack overflow (in function mp_decode_to_lua_array) script: c46b9fe61a24aee5a452c49f68790af648dc8019, on @user_script:1.\r\n"),
    ("local t = {cmsgpack.unpack(string.rep(string.char(0x81, 1), 4000) .. string.char(1))} return #t", &["0"], "-ERR user_script:1: stack overflow (too many return values at once; use unpack_one or unpack_limit instead.) script: af288485708ca6940f43fbbb36c795a945b1d2d2, on @user_script:1.\r\n"),
    ("return #{cmsgpack.unpack(string.rep(string.char(0x91), 100000) .. string.char(1))}", &["0"], "-ERR user_script:1: stack overflow (in function mp_decode_to_lua_array) script: 38672bba192be3080aa1bf031a1e46aa6d29091e, on @user_script:1.\r\n"),
    ("return #{cmsgpack.unpack(string.rep(string.char(1), 8000))}", &["0"], "-ERR user_script:1: stack overflow (too many return values at once; use unpack_one or unpack_limit instead.) script: 882721d6031337fd44eabf37bd7aa99600b2bf3f, on @user_script:1.\r\n"),
    ("return select('#', cmsgpack.unpack(string.rep(string.char(1), 7900)))", &["0"], ":7900\r\n"),
    // Redis's pcall catches an error table as its text; xpcall's handler sees the table.
    ("local ok,e = pcall(redis.call,'incr','str') return {tostring(ok), e}", &["0"], "*2\r\n$5\r\nfalse\r\n$43\r\nERR value is not an integer or out of range\r\n"),
    ("local ok,e = pcall(redis.call,'incr','str') error(e, 0)", &["0"], "-ERR ERR value is not an integer or out of range script: 801589d57cd95d478db308244eb5c63875176b41, on @user_script:1.\r\n"),
    ("local ok,e = pcall(error, {err='X bad'}) return e", &["0"], "$5\r\nX bad\r\n"),
    ("local ok,e = pcall(error, {foo=1}) return type(e)", &["0"], "$5\r\ntable\r\n"),
    ("return {pcall()}", &["0"], "*2\r\n$-1\r\n$31\r\nattempt to call a boolean value\r\n"),
    ("return {pcall(function() return 1,2,3 end)}", &["0"], "*4\r\n:1\r\n:1\r\n:2\r\n:3\r\n"),
    ("return {xpcall(function() redis.call('incr','str') end, function(e) return type(e) end)}", &["0"], "*2\r\n$-1\r\n$5\r\ntable\r\n"),
    ("return redis.call('set','k',-0.0) and redis.call('get','k')", &["0"], "$2\r\n-0\r\n"),
    ("return redis.call('set','k',1e17) and redis.call('get','k')", &["0"], "$5\r\n1e+17\r\n"),
    ("return redis.call('incr','str')", &["0"], "-ERR value is not an integer or out of range script: 851ab5c4815573433b8c8eed0a889f947a2e885a, on @user_script:1.\r\n"),
    ("return redis.pcall('incr','str')", &["0"], "-ERR value is not an integer or out of range\r\n"),
    ("x = 5", &["0"], "-ERR user_script:1: Attempt to modify a readonly table script: 818a330663e3c3e78469660421595218e5ab5c48, on @user_script:1.\r\n"),
    ("return y", &["0"], "-ERR user_script:1: Script attempted to access nonexistent global variable 'y' script: e278681ed961e2fb52881313e5c90fdd93749940, on @user_script:1.\r\n"),
    ("return redis.call('nosuch')", &["0"], "-ERR Unknown Redis command called from script script: 206396248e12c6e742fd7296250433c8d7343b74, on @user_script:1.\r\n"),
    ("return redis.call()", &["0"], "-ERR Please specify at least one argument for this redis lib call script: 0a907e1429221a4d85516cab7fd219a82a9439d8, on @user_script:1.\r\n"),
    ("return 1.9", &["0"], ":1\r\n"),
    ("return -3.7", &["0"], ":-3\r\n"),
    ("return {1,2,nil,3}", &["0"], "*2\r\n:1\r\n:2\r\n"),
    ("return {err='My Error'}", &["0"], "-My Error\r\n"),
    ("return {ok='fine'}", &["0"], "+fine\r\n"),
    ("error('boom')", &["0"], "-ERR user_script:1: boom script: 82903a0434f1503e152f89c03c9acd881a0e8150, on @user_script:1.\r\n"),
    ("error({err='X bad'})", &["0"], "-X bad script: a5a023ffbb8ade2dd13a4f61866d09710cbfab7c, on @user_script:1.\r\n"),
    ("return redis.error_reply('E1 bad')", &["0"], "-E1 bad\r\n"),
    ("return redis.status_reply('S')", &["0"], "+S\r\n"),
    ("return redis.sha1hex('')", &["0"], "$40\r\nda39a3ee5e6b4b0d3255bfef95601890afd80709\r\n"),
    ("return os", &["0"], "-ERR user_script:1: Script attempted to access nonexistent global variable 'os' script: f03b5ad6e7d58786b6a5e879efbea4a4408f5c2f, on @user_script:1.\r\n"),
    ("return {1,'a',{2,3}}", &["0"], "*3\r\n:1\r\n$1\r\na\r\n*2\r\n:2\r\n:3\r\n"),
    ("redis.call('set','a')", &["0"], "-ERR Wrong number of args calling Redis command from script script: 02dbc71302b4762ff467beeff6adf4be7b0434aa, on @user_script:1.\r\n"),
    ("return redis.call('wait','z')", &["0"], "-ERR Wrong number of args calling Redis command from script script: 0ae65d03871a3ff4c3f867b7bb3b25f50ee85ad9, on @user_script:1.\r\n"),
    ("return redis.call('eval','return 1','0')", &["0"], "-ERR This Redis command is not allowed from script script: 1e5046f3a9119d3dc9cf5824428b6d9fedd305d2, on @user_script:1.\r\n"),
    ("return 'x' .. nil", &["0"], "-ERR user_script:1: attempt to concatenate a nil value script: 71c5242a1158ef24ab3c1a4ca18151dbb975097e, on @user_script:1.\r\n"),
    ("string.x = 1", &["0"], "-ERR user_script:1: Attempt to modify a readonly table script: c3eb0a2a15b3d4790b323c4104029c1ae425a769, on @user_script:1.\r\n"),
    ("rawset(_G,'a',1)", &["0"], "-ERR Attempt to modify a readonly table script: a1cbfb6b00d33f3232294dcc9ab503e3b919971b, on @user_script:1.\r\n"),
    ("local f = loadstring('return 1') return f()", &["0"], ":1\r\n"),
    ("return {1,2,3.5,'x',true,false}", &["0"], "*6\r\n:1\r\n:2\r\n:3\r\n$1\r\nx\r\n:1\r\n$-1\r\n"),
    ("return KEYS[1]..ARGV[1]", &["1", "kk", "aa"], "$4\r\nkkaa\r\n"),
    ("return redis.call('set','k',{})", &["0"], "-ERR Lua redis lib command arguments must be strings or integers script: 13debc89c40ddde9cfb986db6803b0750cf6fa19, on @user_script:1.\r\n"),
    ("return redis.setresp(4)", &["0"], "-ERR RESP version must be 2 or 3. script: 921c0a48021d97dfd5884aeea41875972c7804d9, on @user_script:1.\r\n"),
    ("return x(", &["0"], "-ERR Error compiling script (new function): user_script:1: unexpected symbol near '<eof>'\r\n"),
    ("return {double=1.5}", &["0"], "$3\r\n1.5\r\n"),
    ("return redis.call('hgetall','h')", &["0"], "*2\r\n$1\r\nf\r\n$1\r\nv\r\n"),
    ("redis.setresp(3) local r = redis.call('hgetall','h') return r['map']['f']", &["0"], "$1\r\nv\r\n"),
    ("redis.setresp(3) return redis.call('get','nokey') == nil", &["0"], ":1\r\n"),
    ("return redis.call('zscore','z','a')", &["0"], "$3\r\n1.5\r\n"),
    ("return {1, {err='inner'}}", &["0"], "*2\r\n:1\r\n-inner\r\n"),
    ("return 1", &["-1"], "-ERR Number of keys can't be negative\r\n"),
    ("return 1", &["3", "a"], "-ERR Number of keys can't be greater than number of args\r\n"),
    ("return 1", &["x"], "-ERR value is not an integer or out of range\r\n"),
    ("#!lua flags=no-writes\nreturn redis.call('set','a','b')", &["0"], "-ERR Write commands are not allowed from read-only scripts. script: 6acb400a50fe96e33eca4e0af6e9dcfb21193726, on @user_script:2.\r\n"),
    ("return {bit.band(7,3), bit.tobit(2^32+5), bit.bnot(0), bit.lshift(1,31), bit.rshift(-1,28), bit.arshift(-256,4)}", &["0"], "*6\r\n:3\r\n:5\r\n:-1\r\n:-2147483648\r\n:15\r\n:-16\r\n"),
    ("return {bit.rol(0x12345678,8), bit.bswap(0x12345678), bit.tohex(255), bit.tohex(-1,-4)}", &["0"], "*4\r\n:878082066\r\n:2018915346\r\n$8\r\n000000ff\r\n$4\r\nFFFF\r\n"),
    ("#!lua flags=bad\nreturn 1", &["0"], "-ERR Unexpected flag in script shebang: bad\r\n"),
    ("#!foo\nreturn 1", &["0"], "-ERR Unexpected engine in script shebang: #!foo\r\n"),
    // Number arguments as Redis 7.0 writes them ("%.17g").
    ("redis.call('set','n',0.1) redis.call('set','m',1e18) return {redis.call('get','n'), redis.call('get','m'), redis.call('incrby','i',7)}", &["0"], "*3\r\n$19\r\n0.10000000000000001\r\n$5\r\n1e+18\r\n:7\r\n"),
    // cjson, cmsgpack and struct, with their errors.
    ("return cjson.encode({1,2,3})", &["0"], "$7\r\n[1,2,3]\r\n"),
    ("return cjson.encode({a=1})", &["0"], "$7\r\n{\"a\":1}\r\n"),
    ("return cjson.encode({})", &["0"], "$2\r\n{}\r\n"),
    ("return cjson.encode({1,nil,3})", &["0"], "$10\r\n[1,null,3]\r\n"),
    ("return cjson.encode({[1]=1,[20]=2})", &["0"], "-ERR user_script:1: Cannot serialise table: excessively sparse array script: 17303987ac6a57263cac31c74212431dce49e99c, on @user_script:1.\r\n"),
    ("return cjson.encode('a/b\"c\\n\\1')", &["0"], "$17\r\n\"a\\/b\\\"c\\n\\u0001\"\r\n"),
    ("return cjson.encode(function() end)", &["0"], "-ERR user_script:1: Cannot serialise function: type not supported script: c6600573aa08cdf0af5da6e0ef682db69a3acc00, on @user_script:1.\r\n"),
    ("local t = cjson.decode('[1,2,{\"a\":null}]') return {t[1], t[2], type(t[3].a), tostring(t[3].a == cjson.null)}", &["0"], "*4\r\n:1\r\n:2\r\n$8\r\nuserdata\r\n$4\r\ntrue\r\n"),
    ("return cjson.decode('[1,2')", &["0"], "-ERR user_script:1: Expected comma or array end but found T_END at character 5 script: c107001b5ba2ff860ee2557f64da37c4767ef4bd, on @user_script:1.\r\n"),
    ("return cjson.decode('nul')", &["0"], "-ERR user_script:1: Expected value but found invalid token at character 1 script: 5586fdf8c512d9c8a68678c91a0de23617e84e25, on @user_script:1.\r\n"),
    ("return cjson.decode('\"abc')", &["0"], "-ERR user_script:1: Expected value but found unexpected end of string at character 5 script: 30d67c6fb8e066eef4796bfcc59cee500c381744, on @user_script:1.\r\n"),
    ("return pcall(cjson.decode, '{')", &["0"], "$-1\r\n"),
    ("return cjson.encode(cjson.decode('{\"k\":[1,2.5,\"x\",true,false]}'))", &["0"], "$28\r\n{\"k\":[1,2.5,\"x\",true,false]}\r\n"),
    ("return cmsgpack.pack(1,2,3)", &["0"], "$3\r\n\x01\x02\x03\r\n"),
    ("return {cmsgpack.unpack(cmsgpack.pack(1,'a',{1,2},{k='v'}))}", &["0"], "*4\r\n:1\r\n$1\r\na\r\n*2\r\n:1\r\n:2\r\n*0\r\n"),
    ("return cmsgpack.unpack('\\205')", &["0"], "-ERR user_script:1: Missing bytes in input. script: 79144aeb216f1ca3fa978037eb658eedc72dc864, on @user_script:1.\r\n"),
    ("return cmsgpack.unpack('\\193')", &["0"], "-ERR user_script:1: Bad data format in input. script: dc135bd7bc2955014f03280e151acf74360378e7, on @user_script:1.\r\n"),
    ("return {cmsgpack.unpack_one(cmsgpack.pack(1,2,3))}", &["0"], "*2\r\n:1\r\n:1\r\n"),
    ("return {cmsgpack.unpack_limit(cmsgpack.pack(1,2,3), 2)}", &["0"], "*3\r\n:2\r\n:1\r\n:2\r\n"),
    ("return cmsgpack.pack()", &["0"], "-ERR user_script:1: bad argument #0 to 'pack' (MessagePack pack needs input.) script: 6bc235afa55de88253e203cc5fe5844792e25209, on @user_script:1.\r\n"),
    ("return tostring(cmsgpack.unpack(cmsgpack.pack(1.5)))", &["0"], "$3\r\n1.5\r\n"),
    ("return struct.pack('>I2', 258)", &["0"], "$2\r\n\x01\x02\r\n"),
    ("return struct.pack('bBhHlLi', 1,2,3,4,5,6,7)", &["0"], "$26\r\n\x01\x02\x03\x00\x04\x00\x05\x00\x00\x00\x00\x00\x00\x00\x06\x00\x00\x00\x00\x00\x00\x00\x07\x00\x00\x00\r\n"),
    ("return struct.pack('!4 b i', 1, 2)", &["0"], "$8\r\n\x01\x00\x00\x00\x02\x00\x00\x00\r\n"),
    ("return struct.pack('c3 s', 'abcdef', 'xy')", &["0"], "$6\r\nabcxy\x00\r\n"),
    ("return {struct.unpack('>I2', 'ab')}", &["0"], "*2\r\n:24930\r\n:3\r\n"),
    ("return {struct.unpack('<i4', struct.pack('<i4', -2))}", &["0"], "*2\r\n:-2\r\n:5\r\n"),
    ("return {struct.unpack('s c2', 'hi\\0xyz')}", &["0"], "*3\r\n$2\r\nhi\r\n$2\r\nxy\r\n:6\r\n"),
    ("return {struct.unpack('i', 'ab')}", &["0"], "-ERR user_script:1: bad argument #2 to 'unpack' (data string too short) script: 4ea259654b1cfa6b1fc999f3ae72bb6f48d476f4, on @user_script:1.\r\n"),
    ("return {struct.unpack('I2', 'abcd', 3)}", &["0"], "*2\r\n:25699\r\n:5\r\n"),
    ("return struct.size('i h !4 d')", &["0"], ":16\r\n"),
    ("return struct.size('s')", &["0"], "-ERR user_script:1: bad argument #1 to 'size' (option 's' has no fixed size) script: a2a0525826ab7939ccd3f54427a862205642f28f, on @user_script:1.\r\n"),
    ("return struct.pack('i40', 1)", &["0"], "-ERR user_script:1: integral size 40 is larger than limit of 32 script: 652cabace7a9fdbd8e0c2489b1b804d19185ddc8, on @user_script:1.\r\n"),
    ("return struct.pack('!3', 1)", &["0"], "-ERR user_script:1: alignment 3 is not a power of 2 script: 015083070625e0c8535172e55b13a94acdf4c3c6, on @user_script:1.\r\n"),
    ("return struct.pack('i', 'x')", &["0"], "-ERR user_script:1: bad argument #2 to 'pack' (number expected, got string) script: 72d01f23645269179316b093775c7fa64478554a, on @user_script:1.\r\n"),    // The sandbox is Redis's read-only tables: the libraries themselves (pairs and rawget see
    // them), the string metatable as protected as the rest; errors of the libraries' C
    // functions as Lua strings, placed and named as luaL_error and luaL_argerror place them
    // (no position and '?' when pcall calls them directly); math.random as Redis's rand48;
    // redis.error_reply's codes; redis.acl_check_cmd.
    ("return rawget(_G, 'redis') == redis", &["1", "a", "b"], ":1\r\n"),
    ("return rawget(_G, 'nope')", &["1", "a", "b"], "$-1\r\n"),
    ("return type(getmetatable(_G).__index)", &["1", "a", "b"], "$8\r\nfunction\r\n"),
    ("return tostring(getmetatable(string) == nil and getmetatable(redis) == nil and getmetatable(cjson) == nil)", &["1", "a", "b"], "$4\r\ntrue\r\n"),
    ("return tostring(getmetatable('').__index == string)", &["1", "a", "b"], "$4\r\ntrue\r\n"),
    ("getmetatable('').x = 1", &["1", "a", "b"], "-ERR user_script:1: Attempt to modify a readonly table script: 5939f0f56971426c0d4e566316c092f3a89a501c, on @user_script:1.\r\n"),
    ("getmetatable('').__index = nil", &["1", "a", "b"], "-ERR user_script:1: Attempt to modify a readonly table script: d73a1dfb50411851ebe32e3e075eb37e35009eff, on @user_script:1.\r\n"),
    ("local n = 0 for _ in pairs(string) do n = n + 1 end return n", &["1", "a", "b"], ":15\r\n"),
    ("local n = 0 for _ in pairs(_G) do n = n + 1 end return n", &["1", "a", "b"], ":35\r\n"),
    ("local n = 0 for _ in pairs(redis) do n = n + 1 end return n", &["1", "a", "b"], ":23\r\n"),
    ("setmetatable(_G, nil)", &["1", "a", "b"], "-ERR Attempt to modify a readonly table script: 22fdd3b51da2d4bc6703d71d651cd782d8e5a35f, on @user_script:1.\r\n"),
    ("table.insert(redis, 1)", &["1", "a", "b"], "-ERR Attempt to modify a readonly table script: 153437512fbb40bf934091c90b83e1de3f0dda6c, on @user_script:1.\r\n"),
    ("redis.call = nil", &["1", "a", "b"], "-ERR user_script:1: Attempt to modify a readonly table script: 2786c35ed73d3860851cf52e0b5dfbbc0bdb4803, on @user_script:1.\r\n"),
    ("rawset(cjson, 'x', 1)", &["1", "a", "b"], "-ERR Attempt to modify a readonly table script: 72133cab515c26304bbc4d13c5486d358033c69e, on @user_script:1.\r\n"),
    ("KEYS[1] = 'z' setmetatable(KEYS, {}) return KEYS[1]", &["1", "a", "b"], "$1\r\nz\r\n"),
    ("return {pcall(cjson.decode, '{')}", &["1", "a", "b"], "*2\r\n$-1\r\n$57\r\nExpected object key string but found T_END at character 2\r\n"),
    ("return {pcall(function() return cjson.decode('{') end)}", &["1", "a", "b"], "*2\r\n$-1\r\n$72\r\nuser_script:1: Expected object key string but found T_END at character 2\r\n"),
    ("return {xpcall(function() return cjson.decode('{') end, function(e) return 'H:' .. tostring(e) end)}", &["1", "a", "b"], "*2\r\n$-1\r\n$74\r\nH:user_script:1: Expected object key string but found T_END at character 2\r\n"),
    ("return {pcall(cjson.decode)}", &["1", "a", "b"], "*2\r\n$-1\r\n$44\r\nbad argument #1 to '?' (expected 1 argument)\r\n"),
    ("return cjson.decode()", &["1", "a", "b"], "-ERR user_script:1: bad argument #1 to 'decode' (expected 1 argument) script: 5378278d59343caf5c3375a655dfea5e69ab8a74, on @user_script:1.\r\n"),
    ("return cjson.encode(1, 2)", &["1", "a", "b"], "-ERR user_script:1: bad argument #1 to 'encode' (expected 1 argument) script: e3a38cd8c1bb7de419304607b05108c80af53cbc, on @user_script:1.\r\n"),
    ("return cjson.decode({})", &["1", "a", "b"], "-ERR user_script:1: bad argument #1 to 'decode' (string expected, got table) script: 10c706d54b3ae7d2bcc169d647405abd961145fa, on @user_script:1.\r\n"),
    ("return {pcall(redis.setresp, 5)}", &["1", "a", "b"], "*2\r\n$-1\r\n$32\r\nERR RESP version must be 2 or 3.\r\n"),
    ("return {pcall(redis.log)}", &["1", "a", "b"], "*2\r\n$-1\r\n$47\r\nERR redis.log() requires two arguments or more.\r\n"),
    ("return {pcall(redis.sha1hex)}", &["1", "a", "b"], "*2\r\n$-1\r\n$29\r\nERR wrong number of arguments\r\n"),
    ("return redis.sha1hex({})", &["1", "a", "b"], "$40\r\nda39a3ee5e6b4b0d3255bfef95601890afd80709\r\n"),
    ("return {pcall(bit.band, 'x')}", &["1", "a", "b"], "*2\r\n$-1\r\n$52\r\nbad argument #1 to '?' (number expected, got string)\r\n"),
    ("return bit.band('x')", &["1", "a", "b"], "-ERR user_script:1: bad argument #1 to 'band' (number expected, got string) script: d35c9a1d4f4825ae2c0656c3cb8c9f397ca6d9b1, on @user_script:1.\r\n"),
    ("return {bit.band('7', 3)}", &["1", "a", "b"], "*1\r\n:3\r\n"),
    ("return bit.tohex(255, -4)", &["1", "a", "b"], "$4\r\n00FF\r\n"),
    ("return {pcall(struct.pack, 'q')}", &["1", "a", "b"], "*2\r\n$-1\r\n$50\r\nbad argument #1 to '?' (invalid format option 'q')\r\n"),
    ("return {pcall(redis.error_reply)}", &["1", "a", "b"], "*2\r\n:1\r\n-ERR wrong number or type of arguments\r\n"),
    ("return redis.error_reply('x')", &["1", "a", "b"], "-ERR x\r\n"),
    ("return redis.error_reply('-x')", &["1", "a", "b"], "-ERR x\r\n"),
    ("return redis.error_reply('MY thing')", &["1", "a", "b"], "-MY thing\r\n"),
    ("return redis.status_reply(5)", &["1", "a", "b"], "-ERR wrong number or type of arguments\r\n"),
    ("return {pcall(string.rep)}", &["1", "a", "b"], "*2\r\n$-1\r\n$54\r\nbad argument #1 to '?' (string expected, got no value)\r\n"),
    ("return ('x'):rep()", &["1", "a", "b"], "-ERR user_script:1: bad argument #1 to 'rep' (number expected, got no value) script: 34a8d07f686fb82df662606a4335db20b367f14a, on @user_script:1.\r\n"),
    ("return string.rep('ab', 3)", &["1", "a", "b"], "$6\r\nababab\r\n"),
    ("math.randomseed(7) return {math.random(1000000), math.random(100), math.random(5, 9)}", &["1", "a", "b"], "*3\r\n:266445\r\n:69\r\n:6\r\n"),
    ("math.randomseed(-5) return math.random(1000000)", &["1", "a", "b"], ":816817\r\n"),
    ("return math.random(0)", &["1", "a", "b"], "-ERR user_script:1: bad argument #1 to 'random' (interval is empty) script: 008bcb60f86ee36d26c67b641b46674578d9cba0, on @user_script:1.\r\n"),
    ("return math.random(5, 1)", &["1", "a", "b"], "-ERR user_script:1: bad argument #2 to 'random' (interval is empty) script: 1d8aa02a60cda8bed17d3a4d709a3e8508a63268, on @user_script:1.\r\n"),
    ("return math.random(1, 2, 3)", &["1", "a", "b"], "-ERR user_script:1: wrong number of arguments script: 07d2fd85ff1e5c39f9bd7d9163eddb0db34f2a7a, on @user_script:1.\r\n"),
    ("return redis.set_repl(99)", &["1", "a", "b"], "-ERR Invalid replication flags. Use REPL_AOF, REPL_REPLICA, REPL_ALL or REPL_NONE. script: fae934173b6296d6836d5d5f52e192640f8897d9, on @user_script:1.\r\n"),
    ("return {pcall(redis.set_repl)}", &["1", "a", "b"], "*2\r\n$-1\r\n$44\r\nERR redis.set_repl() requires two arguments.\r\n"),
    ("return redis.set_repl(redis.REPL_NONE)", &["1", "a", "b"], "$-1\r\n"),
    ("return redis.acl_check_cmd('get', 'k1')", &["1", "a", "b"], ":1\r\n"),
    ("return redis.acl_check_cmd('nosuch')", &["1", "a", "b"], "-ERR Invalid command passed to redis.acl_check_cmd() script: d2491587bab5149c93be0dce4426f7a06ba9e1a1, on @user_script:1.\r\n"),
    ("return {pcall(redis.acl_check_cmd, 'config', 'nosuch')}", &["1", "a", "b"], "*2\r\n$-1\r\n$51\r\nERR Invalid command passed to redis.acl_check_cmd()\r\n"),
    ("return redis.acl_check_cmd('get', {})", &["1", "a", "b"], "-ERR Lua redis lib command arguments must be strings or integers script: 0aa2b5d2ac0199e1e8b769b3db96e8cbb91645fa, on @user_script:1.\r\n"),
];

#[test]
fn replies_and_errors_as_redis() {
    let srv = TestServer::start(2);
    let mut r = srv.raw();
    check_replies(
        &mut r,
        &[
            ("SET str abc", "+OK\r\n"),
            ("HSET h f v", ":1\r\n"),
            ("ZADD z 1.5 a", ":1\r\n"),
        ],
    );
    for (script, args, want) in CASES {
        assert_eq!(eval(&mut r, script, args), *want, "{script}");
    }
    // RESP3: the script's own protocol decides booleans; the client's, nulls and doubles.
    r.cmd(&[b"HELLO", b"3"]);
    for (script, want) in [
        ("return true", ":1\r\n"),
        ("return false", "_\r\n"),
        ("return nil", "_\r\n"),
        ("redis.setresp(3) return true", "#t\r\n"),
        ("return {double=1.5}", ",1.5\r\n"),
        ("return {map={a=1}}", "%1\r\n$1\r\na\r\n:1\r\n"),
        ("return {set={a=true}}", "~1\r\n$1\r\na\r\n"),
        ("return {big_number='123'}", "(123\r\n"),
        (
            "return {verbatim_string={format='markdown', string='hi'}}",
            "=6\r\nmar:hi\r\n",
        ),
        (
            "return {verbatim_string={format='t', string='hi'}}",
            "=6\r\nt  :hi\r\n",
        ),
        (
            "redis.setresp(3) return redis.call('hgetall','h')",
            "%1\r\n$1\r\nf\r\n$1\r\nv\r\n",
        ),
        (
            "redis.setresp(3) local r = redis.call('zscore','z','a') return r['double']",
            ":1\r\n",
        ),
    ] {
        assert_eq!(eval(&mut r, script, &["0"]), want, "{script}");
    }
}

#[test]
fn acl_check_cmd_answers_for_the_script_s_user() {
    let srv = TestServer::start(1);
    let mut r = srv.raw();
    let rules = [
        "ACL", "SETUSER", "lim", "on", "nopass", "~k*", "+get", "+eval", "-set",
    ];
    assert_eq!(send(&mut r, &rules), "+OK\r\n");
    let check = "return {redis.acl_check_cmd('get', 'k1'), redis.acl_check_cmd('set', 'k1', 'v'), \
                 redis.acl_check_cmd('get', 'other')}";
    // redis-server 7.0.15's replies: true for the default user, the rules for `lim`.
    assert_eq!(eval(&mut r, check, &["0"]), "*3\r\n:1\r\n:1\r\n:1\r\n");
    assert_eq!(send(&mut r, &["AUTH", "lim", "x"]), "+OK\r\n");
    assert_eq!(eval(&mut r, check, &["0"]), "*3\r\n:1\r\n$-1\r\n$-1\r\n");
}

#[test]
fn script_cache_and_read_only_forms() {
    let srv = TestServer::start(2);
    let mut a = srv.raw();
    let mut b = srv.raw();
    let sha = "1fa00e76656cc152ad327c13fe365858fd7be306";
    assert_eq!(
        send(&mut a, &["SCRIPT", "LOAD", "return 42"]),
        format!("$40\r\n{sha}\r\n")
    );
    check_replies(
        &mut a,
        &[
            (
                "SCRIPT FLUSH x",
                "-ERR SCRIPT FLUSH only support SYNC|ASYNC option\r\n",
            ),
            (
                "SCRIPT KILL",
                "-NOTBUSY No scripts in execution right now.\r\n",
            ),
        ],
    );
    check_replies(
        &mut b,
        &[
            (&format!("EVALSHA {sha} 0"), ":42\r\n"),
            (&format!("EVALSHA {} 0", sha.to_uppercase()), ":42\r\n"),
            (&format!("SCRIPT EXISTS {sha} abc"), "*2\r\n:1\r\n:0\r\n"),
            (
                "EVALSHA nosuch 0",
                "-NOSCRIPT No matching script. Please use EVAL.\r\n",
            ),
            // As Redis: a name of the wrong length first, then numkeys, then the lookup.
            (
                "EVALSHA nosuch x",
                "-NOSCRIPT No matching script. Please use EVAL.\r\n",
            ),
            (
                "EVALSHA 0000000000000000000000000000000000000000 2 a",
                "-ERR Number of keys can't be greater than number of args\r\n",
            ),
            (
                "EVALSHA 0000000000000000000000000000000000000000 x",
                "-ERR value is not an integer or out of range\r\n",
            ),
        ],
    );
    assert_eq!(
        send(&mut b, &["EVAL_RO", "return redis.call('set','a','b')", "0"]),
        "-ERR Write commands are not allowed from read-only scripts. script: ff967d0ae0e68b4f9e360fa91c54598bc25ad9b6, on @user_script:1.\r\n"
    );
    assert_eq!(
        send(&mut b, &["EVAL_RO", "return redis.call('get','a')", "0"]),
        "$-1\r\n"
    );
    // EVAL caches a script only once its arguments, shebang and code are good, as Redis.
    for (script, numkeys) in [
        ("return 7", "-1"),
        ("#!lua flags=bad\nreturn 8", "0"),
        ("return x(", "0"),
    ] {
        assert!(send(&mut b, &["EVAL", script, numkeys]).starts_with('-'));
        let sha = sha1_smol::Sha1::from(script).digest().to_string();
        assert_eq!(
            send(&mut b, &["SCRIPT", "EXISTS", &sha]),
            "*1\r\n:0\r\n",
            "{script}"
        );
    }
    assert_eq!(send(&mut b, &["EVAL", "return 7", "0"]), ":7\r\n");
    let sha7 = sha1_smol::Sha1::from("return 7").digest().to_string();
    assert_eq!(send(&mut b, &["SCRIPT", "EXISTS", &sha7]), "*1\r\n:1\r\n");
    check_replies(
        &mut b,
        &[
            ("SCRIPT FLUSH ASYNC", "+OK\r\n"),
            (
                &format!("EVALSHA {sha} 0"),
                "-NOSCRIPT No matching script. Please use EVAL.\r\n",
            ),
        ],
    );
}

/// A script inside MULTI runs at EXEC; WATCH sees a script's writes; SELECT inside a script
/// stays inside it.
#[test]
fn scripts_in_transactions() {
    let srv = TestServer::start(2);
    let mut r = srv.raw();
    let incr = ["EVAL", "return redis.call('incr','cnt')", "0"];
    assert_eq!(send(&mut r, &["MULTI"]), "+OK\r\n");
    assert_eq!(send(&mut r, &incr), "+QUEUED\r\n");
    assert_eq!(send(&mut r, &incr), "+QUEUED\r\n");
    assert_eq!(send(&mut r, &["EXEC"]), "*2\r\n:1\r\n:2\r\n");
    let select = "redis.call('select','2') return redis.call('set','in2','x')";
    assert_eq!(eval(&mut r, select, &["0"]), "+OK\r\n");
    check_replies(
        &mut r,
        &[
            ("EXISTS in2", ":0\r\n"),
            ("SELECT 2", "+OK\r\n"),
            ("EXISTS in2", ":1\r\n"),
            ("SELECT 0", "+OK\r\n"),
            ("WATCH w", "+OK\r\n"),
        ],
    );
    let mut other = srv.raw();
    assert_eq!(
        eval(&mut other, "return redis.call('set','w','1')", &["0"]),
        "+OK\r\n"
    );
    check_replies(
        &mut r,
        &[
            ("MULTI", "+OK\r\n"),
            ("GET w", "+QUEUED\r\n"),
            ("EXEC", "*-1\r\n"),
        ],
    );
}

/// Scripts run alone: a read-modify-write from many clients on both executors stays exact,
/// on a declared key and on keys the script builds from ARGV (undeclared, as job-queue
/// libraries do).
#[test]
fn scripts_are_atomic_across_executors() {
    let srv = TestServer::start(2);
    let script = redis::Script::new(
        "local v = tonumber(redis.call('get', KEYS[1]) or '0') \
         local w = tonumber(redis.call('get', ARGV[1] .. ':n') or '0') \
         redis.call('set', KEYS[1], v + 1) \
         redis.call('set', ARGV[1] .. ':n', w + 1) \
         return v + 1",
    );
    let threads: Vec<_> = (0..8)
        .map(|_| {
            let url = srv.url();
            let script = script.clone();
            std::thread::spawn(move || {
                let mut c = common::connect(&url);
                for _ in 0..200 {
                    let _: i64 = script
                        .key("counter")
                        .arg("undeclared")
                        .invoke(&mut c)
                        .unwrap();
                }
            })
        })
        .collect();
    for t in threads {
        t.join().unwrap();
    }
    let mut c = srv.client();
    assert_eq!(q::<i64>(&mut c, &["GET", "counter"]), 1600);
    assert_eq!(q::<i64>(&mut c, &["GET", "undeclared:n"]), 1600);
}

/// Other clients' commands, each on a connection of its own (so on either executor), all
/// answered: what they say, in no particular order.
fn from_many(port: u16, n: usize, args: &'static [&'static str]) -> Vec<String> {
    let threads: Vec<_> = (0..n)
        .map(|_| std::thread::spawn(move || send(&mut Raw::connect(port), args)))
        .collect();
    threads.into_iter().map(|t| t.join().unwrap()).collect()
}

/// A pipeline of scripts runs its scripts under one taking of every executor's gate, which is
/// handed on before any other command of the batch: a blocking command after the scripts
/// blocks without holding it (pushes from other connections, on either executor, wake it),
/// and the replies come in order.
#[test]
fn a_pipeline_of_scripts_hands_the_gates_on_before_other_commands() {
    let srv = TestServer::start(2);
    let mut a = srv.raw();
    let incr = "return redis.call('incr', KEYS[1])";
    let mut batch = common::encode(&[b"EVAL", incr.as_bytes(), b"1", b"n"]).repeat(40);
    batch.extend(common::encode(&[b"GET", b"n"]));
    batch.extend(common::encode(&[b"EVAL", incr.as_bytes(), b"1", b"n"]));
    batch.extend(common::encode(&[b"BLPOP", b"q", b"0"]));
    a.send(&batch);
    for i in 1..=40 {
        assert_eq!(a.reply(), format!(":{i}\r\n").as_bytes());
    }
    assert_eq!(a.reply(), b"$2\r\n40\r\n");
    assert_eq!(a.reply(), b":41\r\n");
    let pushes = from_many(srv.port, 8, &["RPUSH", "q", "x"]);
    assert!(pushes.iter().all(|r| r.starts_with(':')), "{pushes:?}");
    assert_eq!(a.reply(), b"*2\r\n$1\r\nq\r\n$1\r\nx\r\n");
}

/// Scripts whose replies the client does not read yet: the connection waits for room to send
/// them without holding the gates, so every other client is served meanwhile.
#[test]
fn scripts_waiting_to_send_their_replies_do_not_hold_the_gates() {
    let srv = TestServer::start(2);
    let mut a = srv.raw();
    let big = "return string.rep('x', 100000)";
    a.send(&common::encode(&[b"EVAL", big.as_bytes(), b"0"]).repeat(100));
    // 10 MB of replies, unread: far more than the socket buffers hold.
    let others = from_many(srv.port, 8, &["SET", "k", "v"]);
    assert!(others.iter().all(|r| r == "+OK\r\n"), "{others:?}");
    let want = format!("$100000\r\n{}\r\n", "x".repeat(100000));
    for _ in 0..100 {
        assert_eq!(a.reply(), want.as_bytes());
    }
}

/// The AOF gets a script's effects (the commands it ran, SPOP's choice as the SREM it made),
/// several of them as one batch, never the EVAL; a restart replays them.
#[test]
fn effects_in_the_aof_survive_a_restart() {
    let mut srv = TestServer::start(2);
    let mut c = srv.client();
    let _: i64 = q(&mut c, &["SADD", "s", "a", "b", "c", "d"]);
    let popped: String = redis::cmd("EVAL")
        .arg("local m = redis.call('spop', KEYS[1]) redis.call('set', KEYS[2], m) redis.call('incr', 'n') return m")
        .arg(2)
        .arg("s")
        .arg("picked")
        .query(&mut c)
        .unwrap();
    let _: () = redis::cmd("EVAL")
        .arg("redis.call('set', 'solo', 'x')")
        .arg(0)
        .query(&mut c)
        .unwrap();
    let aof = std::fs::read(srv.dir.path().join("appendonly.aof")).unwrap();
    let text = String::from_utf8_lossy(&aof).to_ascii_uppercase();
    assert!(!text.contains("EVAL"), "{text}");
    // One batch of three records (the SPOP as its SREM, SET, INCR's effect): replayed whole
    // or not at all, as a transaction's.
    assert!(
        text.lines()
            .any(|l| l.starts_with("#B") && l.ends_with(" 00000003")),
        "{text}"
    );
    assert!(text.contains("SREM"), "{text}");
    let members: std::collections::BTreeSet<String> = q(&mut c, &["SMEMBERS", "s"]);
    drop(c);
    srv.restart();
    let mut c = srv.client();
    assert_eq!(q::<String>(&mut c, &["GET", "picked"]), popped);
    assert_eq!(
        q::<std::collections::BTreeSet<String>>(&mut c, &["SMEMBERS", "s"]),
        members
    );
    assert_eq!(q::<i64>(&mut c, &["GET", "n"]), 1);
    assert_eq!(q::<String>(&mut c, &["GET", "solo"]), "x");
}

/// A reply that nests without end (a table that holds itself) is cut with Redis's error where
/// Lua's stack runs out, at the same depth as in redis-server 7.0.15, and the server goes on.
#[test]
fn a_reply_that_nests_without_end_ends_with_an_error() {
    let srv = TestServer::start(1);
    let mut r = srv.raw();
    let limit = "-ERR reached lua stack limit\r\n";
    // Read as bytes up to `tail`: the test's own reply parser recurses once a level.
    let deep = |r: &mut Raw, script: &str, tail: &str| {
        r.send(&common::encode(&[b"EVAL", script.as_bytes(), b"0"]));
        let got = r.read_until(|b| b.ends_with(tail.as_bytes()));
        String::from_utf8(std::mem::take(got)).unwrap()
    };
    // Arrays of one element, each in the one before, the innermost the error.
    let reply = deep(
        &mut r,
        "local a = {} local b = {a} a[1] = b return a",
        limit,
    );
    let inner = reply.trim_start_matches("*1\r\n");
    assert_eq!(inner, limit);
    assert_eq!((reply.len() - inner.len()) / 4, 7995);
    // A set nests through its keys (three stack slots a level, as in Redis).
    let reply = deep(
        &mut r,
        "local a = {} a.set = {} a.set[a] = true return a",
        limit,
    );
    assert_eq!(reply.trim_start_matches("*1\r\n"), limit);
    assert_eq!(reply.matches("*1\r\n").count(), 2665);
    // A RESP3 map: where the stack runs out, its key and its value are each the error.
    assert!(send(&mut r, &["HELLO", "3"]).starts_with('%'));
    let both = format!("$1\r\nx\r\n%1\r\n{limit}{limit}");
    let reply = deep(
        &mut r,
        "redis.setresp(3) local a = {} a.map = {x = a} return a",
        &both,
    );
    assert_eq!(reply.matches("%1\r\n").count(), 2665);
    assert_eq!(send(&mut r, &["PING"]), "+PONG\r\n");
}

#[test]
fn a_script_s_memory_is_bounded() {
    let srv = TestServer::start(1);
    let mut r = srv.raw();
    // A table that grows without end stops at the interpreter's cap...
    let grow = eval(
        &mut r,
        "local t = {} for i = 1, 1e9 do t[i] = {i, i, i, i, i, i, i, i} end return #t",
        &["0"],
    );
    assert!(grow.contains("not enough memory"), "{grow}");
    // ...as does one string.rep asked for more than it.
    let rep = eval(&mut r, "return #string.rep('x', 1e10)", &["0"]);
    assert!(rep.contains("not enough memory"), "{rep}");
    assert_eq!(
        send(&mut r, &["RPUSH", "big", &"x".repeat(1000), "b", "c"]),
        ":3\r\n"
    );
    // Past half the cap (the cap armed: redis.call's replies are then pushed under a protected
    // call), redis.call and redis.pcall work as below it. Large strings get there quickly.
    let grow =
        "local t = {} for i = 1, 600 do t[i] = string.rep(string.format('%08d', i), 65536) end \
                for i = 1, 300000 do end ";
    let armed = eval(
        &mut r,
        &format!(
            "{grow} local n = 0 for i = 1, 100 do n = n + #redis.call('LRANGE', 'big', 0, -1) end \
             local ok, e = pcall(redis.call, 'INCR', 'big') \
             return {{n, redis.pcall('LPOP', 'nosuch'), e, collectgarbage('count') > 262144}}"
        ),
        &["0"],
    );
    assert_eq!(
        armed,
        "*4\r\n:300\r\n$-1\r\n$65\r\nWRONGTYPE Operation against a key holding the wrong kind of value\r\n:1\r\n"
    );
    // Replies that outgrow the cap fail as the rest does.
    let many: Vec<String> = (0..1000).map(|i| format!("member:{i:06}")).collect();
    let mut rpush = vec!["RPUSH", "many"];
    rpush.extend(many.iter().map(String::as_str));
    assert_eq!(send(&mut r, &rpush), ":1000\r\n");
    let reply = eval(
        &mut r,
        &format!("{grow} local u = {{}} for i = 1, 1e9 do u[i] = redis.pcall('LRANGE', 'many', 0, -1) end"),
        &["0"],
    );
    assert!(reply.contains("not enough memory"), "{reply}");
    // The interpreter goes on serving scripts.
    assert_eq!(
        eval(&mut r, "return #string.rep('ab', 3)", &["0"]),
        ":6\r\n"
    );
    assert_eq!(
        eval(
            &mut r,
            "local t = {} for i = 1, 1000 do t[i] = i end return #t",
            &["0"]
        ),
        ":1000\r\n"
    );
}

/// SCRIPT DEBUG: NO is answered as Redis answers it; YES and SYNC (Redis's Lua debugger) are
/// refused, since there is no debugger to enter.
#[test]
fn script_debug_no_is_the_one_mode() {
    let srv = TestServer::start(1);
    let mut r = srv.raw();
    assert_eq!(send(&mut r, &["SCRIPT", "DEBUG", "NO"]), "+OK\r\n");
    assert_eq!(
        send(&mut r, &["SCRIPT", "DEBUG", "foo"]),
        "-ERR Use SCRIPT DEBUG YES/SYNC/NO\r\n"
    );
    assert_eq!(
        send(&mut r, &["SCRIPT", "DEBUG"]),
        "-ERR wrong number of arguments for 'script|debug' command\r\n"
    );
    assert!(send(&mut r, &["SCRIPT", "DEBUG", "YES"]).starts_with("-ERR SCRIPT DEBUG YES"));
    assert!(send(&mut r, &["SCRIPT", "DEBUG", "SYNC"]).starts_with("-ERR SCRIPT DEBUG YES"));
    // As in Redis, not inside a transaction (its replies are still pending).
    assert_eq!(send(&mut r, &["MULTI"]), "+OK\r\n");
    assert_eq!(send(&mut r, &["SCRIPT", "DEBUG", "NO"]), "+QUEUED\r\n");
    assert_eq!(
        send(&mut r, &["EXEC"]),
        "*1\r\n-ERR SCRIPT DEBUG must be called outside a pipeline\r\n"
    );
    assert_eq!(eval(&mut r, "return 1", &["0"]), ":1\r\n");
}
