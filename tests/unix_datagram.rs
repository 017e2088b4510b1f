//! `UnixDatagram`: pairs, bound and unbound sockets, `send_to`/`recv_from`, `connect`.
mod util;

use std::io;

use crest::net::UnixDatagram;

#[test]
fn a_pair_exchanges_whole_datagrams() {
    util::block_on_timeout(util::LIMIT, async {
        let (a, b) = UnixDatagram::pair()?;
        // The receiver waits first: the wakeup comes from the driver.
        let reader = crest::spawn(async move {
            let mut buf = [0u8; 64];
            let n = b.recv(&mut buf).await?;
            let first = buf[..n].to_vec();
            let n = b.recv(&mut buf).await?;
            io::Result::Ok((first, buf[..n].to_vec()))
        });
        crest::task::yield_now().await;
        assert_eq!(a.send(b"one").await?, 3);
        assert_eq!(a.send(b"second").await?, 6);
        let (first, second) = reader.await??;
        assert_eq!((first.as_slice(), second.as_slice()), (&b"one"[..], &b"second"[..]));
        io::Result::Ok(())
    })
    .unwrap();
}

#[test]
fn bound_and_unbound_sockets_use_send_to_recv_from_and_connect() {
    util::block_on_timeout(util::LIMIT, async {
        let server_path = util::net::socket_path("dgram-server");
        let client_path = util::net::socket_path("dgram-client");
        let server = UnixDatagram::bind(&server_path)?;

        // An unbound sender: its address is unnamed.
        let anonymous = UnixDatagram::unbound()?;
        anonymous.send_to(b"hi", &server_path).await?;
        let mut buf = [0u8; 16];
        let (n, from) = server.recv_from(&mut buf).await?;
        assert_eq!(&buf[..n], b"hi");
        assert!(from.is_unnamed());

        // A bound client can be answered at its path.
        let client = UnixDatagram::bind(&client_path)?;
        client.connect(&server_path)?;
        assert_eq!(client.peer_addr()?.as_pathname(), Some(server_path.as_path()));
        client.send(b"ping").await?;
        let (n, from) = server.recv_from(&mut buf).await?;
        assert_eq!(&buf[..n], b"ping");
        assert_eq!(from.as_pathname(), Some(client_path.as_path()));
        server.send_to(b"pong", from.as_pathname().unwrap()).await?;
        let n = client.recv(&mut buf).await?;
        assert_eq!(&buf[..n], b"pong");

        // Nobody bound: an error, not a hang.
        let missing = util::net::socket_path("dgram-missing");
        assert!(anonymous.send_to(b"x", &missing).await.is_err());
        let _ = std::fs::remove_file(&server_path);
        let _ = std::fs::remove_file(&client_path);
        io::Result::Ok(())
    })
    .unwrap();
}
