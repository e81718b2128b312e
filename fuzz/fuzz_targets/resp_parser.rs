//! The RESP parser on any bytes, whole and cut at every tenth point (it resumes across reads):
//! it never panics, and a request parses to the same arguments however it was split.
#![no_main]
use libfuzzer_sys::fuzz_target;
use ringdis::resp::{Frame, Parser};

/// Every command in `data`, as the parser hands them out reading `chunks` in turn.
fn commands(chunks: &[&[u8]]) -> (Vec<Vec<Vec<u8>>>, bool) {
    let mut p = Parser::new();
    p.max_bulk_len = 1 << 20;
    let mut buf: Vec<u8> = Vec::new();
    let mut start = 0;
    let mut out = Vec::new();
    for c in chunks {
        buf.extend_from_slice(c);
        loop {
            let data = &buf[start..];
            match p.parse(data) {
                Ok(Some(Frame::Command { consumed, inline })) => {
                    let src: &[u8] = if inline { &p.inline_buf } else { data };
                    out.push(p.args.iter().map(|r| src[r.clone()].to_vec()).collect());
                    start += consumed;
                }
                Ok(Some(Frame::Empty { consumed })) => start += consumed,
                Ok(None) => break,
                Err(_) => return (out, true),
            }
        }
    }
    (out, false)
}

fuzz_target!(|data: &[u8]| {
    let whole = commands(&[data]);
    let step = (data.len() / 10).max(1);
    let mut cut = step;
    while cut < data.len() {
        let split = commands(&[&data[..cut], &data[cut..]]);
        if !whole.1 && !split.1 {
            assert_eq!(whole.0, split.0, "cut at {cut}");
        }
        cut += step;
    }
});
