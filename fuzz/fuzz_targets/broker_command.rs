//! broker's line reader and command parser on the fuzzer's bytes.
#![no_main]

#[allow(dead_code)]
#[path = "../../examples/broker/proto.rs"]
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
            match proto::parse(&line) {
                Ok(proto::Command::Sub(t) | proto::Command::Unsub(t) | proto::Command::Pub(t, _)) => {
                    assert!(!t.is_empty() && t.len() <= proto::MAX_TOPIC);
                }
                Err(why) => assert!(!why.contains('\n')),
            }
        }
    });
});
