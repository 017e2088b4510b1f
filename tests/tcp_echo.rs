//! A TCP echo round trip over loopback, with plain and vectored writes.
mod util;

use std::io::{self, IoSlice};

use crest::io::{AsyncReadExt, AsyncWriteExt};
use crest::net::TcpStream;
use util::net::echo_server;
use util::{block_on_timeout, LIMIT};

#[test]
fn echo_round_trip() -> io::Result<()> {
    block_on_timeout(LIMIT, async {
        let (addr, _server) = echo_server().await?;
        let mut client = TcpStream::connect(addr).await?;
        assert_eq!(client.peer_addr()?, addr);
        for msg in [&b"hello"[..], b"", b"a somewhat longer message\n", &[0xff; 3000]] {
            client.write_all(msg).await?;
            let mut back = vec![0; msg.len()];
            client.read_exact(&mut back).await?;
            assert_eq!(back, msg);
        }
        client.close().await?;
        let mut rest = Vec::new();
        client.read_to_end(&mut rest).await?;
        assert!(rest.is_empty(), "the server echoes nothing more after EOF");
        Ok(())
    })
}

#[test]
fn vectored_writes_send_every_buffer_in_order() -> io::Result<()> {
    block_on_timeout(LIMIT, async {
        let (addr, _server) = echo_server().await?;
        let mut client = TcpStream::connect(addr).await?;
        let parts: [&[u8]; 4] = [b"one ", b"", b"two ", b"three"];
        let slices: Vec<IoSlice<'_>> = parts.iter().map(|p| IoSlice::new(p)).collect();
        let n = client.write_vectored(&slices).await?;
        let sent: Vec<u8> = parts.concat();
        // A small vectored write fits the socket buffer whole; finish it anyway if not.
        client.write_all(&sent[n..]).await?;
        let mut back = vec![0; sent.len()];
        client.read_exact(&mut back).await?;
        assert_eq!(back, sent);

        // Through `&TcpStream` and `try_write_vectored` too.
        let mut by_ref = &client;
        by_ref.write_vectored(&[IoSlice::new(b"x"), IoSlice::new(b"y")]).await?;
        client.writable().await?;
        let n = client.try_write_vectored(&[IoSlice::new(b"z")])?;
        assert_eq!(n, 1);
        let mut back = [0; 3];
        (&client).read_exact(&mut back).await?;
        assert_eq!(&back, b"xyz");
        Ok(())
    })
}
