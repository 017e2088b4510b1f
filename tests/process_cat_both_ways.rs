//! 20 MB through `cat` in both directions at once: the writer and the reader run
//! concurrently, so neither pipe's 64 KiB buffer can deadlock them, and every byte comes
//! back in order.

mod util;

use std::process::Stdio;

use crest::io::{AsyncReadExt, AsyncWriteExt};
use crest::process::Command;

const LEN: usize = 20 * 1024 * 1024;

fn pattern() -> Vec<u8> {
    (0..LEN).map(|i| (i % 251) as u8).collect()
}

#[test]
fn twenty_megabytes_through_cat() {
    util::block_on_timeout(util::LIMIT, async {
        let mut child = Command::new("cat").stdin(Stdio::piped()).stdout(Stdio::piped()).spawn().unwrap();
        let mut stdin = child.stdin.take().unwrap();
        let mut stdout = child.stdout.take().unwrap();
        let writer = crest::spawn(async move {
            stdin.write_all(&pattern()).await.unwrap();
            // Dropping stdin gives cat its EOF.
        });
        // A fixed buffer: `read_to_end` zero-fills its spare capacity on every read, which
        // is slow for 20 MB in a debug build.
        let mut back = Vec::with_capacity(LEN);
        let mut buf = vec![0u8; 64 * 1024];
        loop {
            let n = stdout.read(&mut buf).await.unwrap();
            if n == 0 {
                break;
            }
            back.extend_from_slice(&buf[..n]);
        }
        writer.await.unwrap();
        assert!(back == pattern(), "cat gave back {} bytes, not the same 20 MB", back.len());
        assert!(child.wait().await.unwrap().success());
    });
}
