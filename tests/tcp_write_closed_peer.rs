//! A write to a closed peer is an `Err` and the process lives: crest's sends pass
//! MSG_NOSIGNAL. This binary restores SIGPIPE's default action (Rust ignores it), so a send
//! without MSG_NOSIGNAL would kill it.
mod util;

use std::io::{self, IoSlice};
use std::time::Duration;

use crest::io::AsyncWriteExt;
use util::net::{is_peer_gone, restore_default_sigpipe, tcp_pair};
use util::{block_on_timeout, LIMIT};

#[test]
fn writes_to_a_closed_peer_are_errors() -> io::Result<()> {
    restore_default_sigpipe();
    block_on_timeout(LIMIT, async {
        let (mut client, server) = tcp_pair().await?;
        drop(server);
        // The first writes may still be accepted (the peer answers them with RST); keep
        // writing, each way crest can, until one fails.
        for i in 0.. {
            let res = match i % 3 {
                0 => client.write(&[7; 1024]).await,
                1 => client.write_vectored(&[IoSlice::new(&[7; 512]), IoSlice::new(&[8; 512])]).await,
                _ => match client.try_write(&[9; 1024]) {
                    Err(e) if e.kind() == io::ErrorKind::WouldBlock => Ok(0),
                    res => res,
                },
            };
            match res {
                Ok(_) => {
                    assert!(i < 1000, "writes to a closed peer kept succeeding");
                    crest::time::sleep(Duration::from_millis(2)).await;
                }
                Err(e) => {
                    assert!(is_peer_gone(&e), "unexpected error {e}");
                    break;
                }
            }
        }
        // And it stays an error.
        let err = client.write_all(b"still there?").await.unwrap_err();
        assert!(is_peer_gone(&err), "{err}");
        Ok(())
    })
}
