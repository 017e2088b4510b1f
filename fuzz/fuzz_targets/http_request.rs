//! http_hello's request handling: the input, cut into reads at the bytes the fuzzer
//! chose, must never panic, and every answer must start a response.
#![no_main]

#[allow(dead_code)]
#[path = "../../examples/http_hello/proto.rs"]
mod proto;

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    // The first byte picks the read size, so that splits are explored too.
    let Some((&split, data)) = data.split_first() else { return };
    let step = usize::from(split).max(1);
    let mut input = proto::Input::new();
    let mut out = Vec::new();
    for chunk in data.chunks(step) {
        let mut rest = chunk;
        while !rest.is_empty() {
            let spare = input.spare();
            let n = spare.len().min(rest.len());
            spare[..n].copy_from_slice(&rest[..n]);
            input.filled(n);
            rest = &rest[n..];
            if input.answer(&mut out) {
                assert!(out.starts_with(b"HTTP/1.1 "));
                return;
            }
        }
    }
    assert!(out.is_empty() || out.starts_with(b"HTTP/1.1 "));
});
