//! chat's line reader, nickname check and message parser on the fuzzer's bytes.
#![no_main]

#[allow(dead_code)]
#[path = "../../examples/chat/proto.rs"]
mod proto;

use futures_lite::future::block_on;
use futures_lite::io::BufReader;
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let mut reader = BufReader::with_capacity(64, data);
    let mut line = Vec::new();
    block_on(async {
        while let Ok(true) = proto::read_line(&mut reader, &mut line).await {
            assert!(line.len() <= proto::MAX_LINE);
            if let Ok(nick) = proto::valid_nick(&line) {
                assert!(!nick.is_empty() && nick.len() <= proto::MAX_NICK);
            }
            let _ = proto::parse_message(&line);
        }
    });
});
