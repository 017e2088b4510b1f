//! `io::copy` moves every byte and counts them; `io::copy_bidirectional` relays both ways
//! over TCP and passes each half-close on, like tokio.
mod util;

use std::io;

use crest::io::{AsyncReadExt, AsyncWriteExt};
use util::net::tcp_pair;

#[test]
fn copy_moves_a_large_transfer_and_counts_it() {
    util::block_on_timeout(util::LIMIT, async {
        let (mut a, mut b) = tcp_pair().await?;
        let (mut c, mut d) = tcp_pair().await?;
        const LEN: usize = 3 * 1024 * 1024 + 17;
        let writer = crest::spawn(async move {
            let data: Vec<u8> = (0..LEN).map(|i| (i * 7 % 251) as u8).collect();
            a.write_all(&data).await?;
            a.close().await?; // EOF for the copy
            io::Result::Ok(())
        });
        // b -> c: everything a wrote lands in d.
        let copier = crest::spawn(async move {
            let n = crest::io::copy(&mut b, &mut c).await?;
            io::Result::Ok(n)
        });
        let mut got = Vec::new();
        d.read_to_end(&mut got).await?; // ends when the copier drops c
        writer.await??;
        assert_eq!(copier.await??, LEN as u64);
        assert_eq!(got.len(), LEN);
        assert!(got.iter().enumerate().all(|(i, &x)| x == (i * 7 % 251) as u8));
        io::Result::Ok(())
    })
    .unwrap();
}

#[test]
fn copy_bidirectional_passes_each_half_close_on() {
    util::block_on_timeout(util::LIMIT, async {
        // client <-> (p1 | relay | p2) <-> server
        let (mut client, mut p1) = tcp_pair().await?;
        let (mut p2, mut server) = tcp_pair().await?;
        let relay = crest::spawn(async move { crest::io::copy_bidirectional(&mut p1, &mut p2).await });

        // The client says its piece and half-closes.
        client.write_all(b"request").await?;
        client.close().await?;
        let mut req = Vec::new();
        server.read_to_end(&mut req).await?; // EOF arrives: the relay shut p2's write half
        assert_eq!(req, b"request");

        // The other direction still works after the half-close.
        server.write_all(b"response after the client's EOF").await?;
        server.close().await?;
        let mut resp = Vec::new();
        client.read_to_end(&mut resp).await?;
        assert_eq!(resp, b"response after the client's EOF");

        let (up, down) = relay.await??;
        assert_eq!((up, down), (7, 31));
        io::Result::Ok(())
    })
    .unwrap();
}

#[test]
fn copy_bidirectional_futures_are_send() {
    fn send<T: Send>(_: &T) {}
    let mut a: &[u8] = b"";
    let mut b = futures_lite::io::Cursor::new(Vec::new());
    send(&crest::io::copy(&mut a, &mut b));
}
