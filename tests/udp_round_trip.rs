//! UDP: datagrams to and from any address, and to a connected peer.
mod util;

use std::io;

use crest::net::UdpSocket;
use util::{block_on_timeout, LIMIT};

#[test]
fn send_to_and_recv_from() -> io::Result<()> {
    block_on_timeout(LIMIT, async {
        let a = UdpSocket::bind("127.0.0.1:0").await?;
        let b = UdpSocket::bind("127.0.0.1:0").await?;
        let (a_addr, b_addr) = (a.local_addr()?, b.local_addr()?);

        // b waits before anything is sent.
        let echo = crest::spawn(async move {
            let mut buf = [0; 1500];
            for _ in 0..3 {
                let (n, from) = b.recv_from(&mut buf).await?;
                b.send_to(&buf[..n], from).await?;
            }
            io::Result::Ok(b)
        });
        let mut buf = [0; 1500];
        for msg in [&b"ping"[..], b"", &[0xab; 1400]] {
            assert_eq!(a.send_to(msg, b_addr).await?, msg.len());
            let (n, from) = a.recv_from(&mut buf).await?;
            assert_eq!((&buf[..n], from), (msg, b_addr));
        }
        let b = echo.await.expect("echo panicked")?;

        // Datagram boundaries hold, and peek_from does not consume.
        a.send_to(b"one", b_addr).await?;
        a.send_to(b"two", b_addr).await?;
        let (n, from) = b.peek_from(&mut buf).await?;
        assert_eq!((&buf[..n], from), (&b"one"[..], a_addr));
        assert_eq!(b.recv_from(&mut buf).await?, (3, a_addr));
        assert_eq!(&buf[..3], b"one");
        assert_eq!(b.recv_from(&mut buf).await?, (3, a_addr));
        assert_eq!(&buf[..3], b"two");
        let err = b.try_recv_from(&mut buf).unwrap_err();
        assert_eq!(err.kind(), io::ErrorKind::WouldBlock);
        Ok(())
    })
}

#[test]
fn connected_send_and_recv() -> io::Result<()> {
    block_on_timeout(LIMIT, async {
        let a = UdpSocket::bind("127.0.0.1:0").await?;
        let b = UdpSocket::bind("127.0.0.1:0").await?;
        assert_eq!(a.peer_addr().unwrap_err().kind(), io::ErrorKind::NotConnected);
        a.connect(b.local_addr()?).await?;
        b.connect(a.local_addr()?).await?;
        assert_eq!(a.peer_addr()?, b.local_addr()?);
        a.send(b"hello").await?;
        let mut buf = [0; 16];
        let n = b.recv(&mut buf).await?;
        assert_eq!(&buf[..n], b"hello");
        b.send(b"world").await?;
        let n = a.recv(&mut buf).await?;
        assert_eq!(&buf[..n], b"world");
        Ok(())
    })
}
