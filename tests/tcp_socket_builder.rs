//! The `TcpSocket` builder: SO_REUSEPORT listeners sharing a port, a chosen backlog, buffer
//! sizes, and connecting from a bound socket.
mod util;

use std::io;

use crest::io::{AsyncReadExt, AsyncWriteExt};
use crest::net::{TcpListener, TcpSocket, TcpStream};
use util::{block_on_timeout, LIMIT};

#[test]
fn reuseport_listeners_share_a_port() -> io::Result<()> {
    block_on_timeout(LIMIT, async {
        let first = TcpSocket::new_v4()?;
        first.set_reuseport(true)?;
        assert!(first.reuseport()?);
        first.bind("127.0.0.1:0".parse().unwrap())?;
        let addr = first.local_addr()?;
        let first = first.listen(64)?;

        let second = TcpSocket::new_v4()?;
        second.set_reuseport(true)?;
        second.bind(addr)?;
        let second = second.listen(64)?;
        assert_eq!(second.local_addr()?, addr);

        // Without SO_REUSEPORT the port is taken.
        let third = TcpSocket::new_v4()?;
        let err = third.bind(addr).unwrap_err();
        assert_eq!(err.kind(), io::ErrorKind::AddrInUse);

        // Each connection reaches one of the two listeners.
        for _ in 0..8 {
            let _client = TcpStream::connect(addr).await?;
            futures_lite::future::or(async { first.accept().await.map(drop) }, async {
                second.accept().await.map(drop)
            })
            .await?;
        }
        Ok(())
    })
}

#[test]
fn options_and_connect_from_a_bound_socket() -> io::Result<()> {
    block_on_timeout(LIMIT, async {
        let listener = TcpListener::bind("127.0.0.1:0").await?;
        let socket = TcpSocket::new_v4()?;
        socket.set_reuseaddr(true)?;
        assert!(socket.reuseaddr()?);
        socket.set_send_buffer_size(64 * 1024)?;
        socket.set_recv_buffer_size(64 * 1024)?;
        // Linux doubles the value it is given.
        assert!(socket.send_buffer_size()? >= 64 * 1024);
        assert!(socket.recv_buffer_size()? >= 64 * 1024);
        socket.bind("127.0.0.1:0".parse().unwrap())?;
        let local = socket.local_addr()?;

        let mut client = socket.connect(listener.local_addr()?).await?;
        assert_eq!(client.local_addr()?, local);
        let (mut server, peer) = listener.accept().await?;
        assert_eq!(peer, local);
        client.set_nodelay(true)?;
        assert!(client.nodelay()?);
        client.write_all(b"hi").await?;
        let mut buf = [0; 2];
        server.read_exact(&mut buf).await?;
        assert_eq!(&buf, b"hi");
        Ok(())
    })
}

#[test]
fn listen_without_bind_picks_a_port() -> io::Result<()> {
    block_on_timeout(LIMIT, async {
        let listener = TcpSocket::new_v4()?.listen(8)?;
        assert_ne!(listener.local_addr()?.port(), 0);
        Ok(())
    })
}
