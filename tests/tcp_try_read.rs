//! `try_read` on an empty socket is WouldBlock; after `readable`, it reads until drained.
mod util;

use std::io;

use crest::io::AsyncWriteExt;
use util::net::tcp_pair;
use util::{block_on_timeout, LIMIT};

#[test]
fn try_read_on_an_empty_socket_would_block() -> io::Result<()> {
    block_on_timeout(LIMIT, async {
        let (client, mut server) = tcp_pair().await?;
        let mut buf = [0; 64];
        let err = client.try_read(&mut buf).unwrap_err();
        assert_eq!(err.kind(), io::ErrorKind::WouldBlock);

        server.write_all(b"data").await?;
        let mut got = Vec::new();
        // The readiness contract: wait, then read until WouldBlock.
        while got.len() < 4 {
            client.readable().await?;
            loop {
                match client.try_read(&mut buf) {
                    Ok(0) => panic!("unexpected EOF"),
                    Ok(n) => got.extend_from_slice(&buf[..n]),
                    Err(e) if e.kind() == io::ErrorKind::WouldBlock => break,
                    Err(e) => return Err(e),
                }
            }
        }
        assert_eq!(got, b"data");
        let err = client.try_read(&mut buf).unwrap_err();
        assert_eq!(err.kind(), io::ErrorKind::WouldBlock, "drained again");

        drop(server);
        client.readable().await?;
        assert_eq!(client.try_read(&mut buf)?, 0, "EOF once the peer closed");
        Ok(())
    })
}

#[test]
fn try_write_writes_what_fits() -> io::Result<()> {
    block_on_timeout(LIMIT, async {
        let (client, _server) = tcp_pair().await?;
        client.writable().await?;
        assert_eq!(client.try_write(b"abc")?, 3);
        // Fill the send and receive buffers until the kernel says WouldBlock.
        let chunk = vec![0; 1 << 16];
        let mut total = 0usize;
        loop {
            match client.try_write(&chunk) {
                Ok(n) => total += n,
                Err(e) if e.kind() == io::ErrorKind::WouldBlock => break,
                Err(e) => return Err(e),
            }
            assert!(total < 1 << 30, "a socket buffer never filled up");
        }
        assert!(total > 0);
        Ok(())
    })
}
