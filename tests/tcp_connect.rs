//! Connecting: a closed port is ConnectionRefused, and every resolved address is tried in
//! turn, the last error winning.
mod util;

use std::io;
use std::net::SocketAddr;

use crest::net::{TcpListener, TcpStream};
use util::net::closed_port;
use util::{block_on_timeout, LIMIT};

#[test]
fn a_closed_port_is_connection_refused() -> io::Result<()> {
    block_on_timeout(LIMIT, async {
        let err = TcpStream::connect(closed_port()?).await.unwrap_err();
        assert_eq!(err.kind(), io::ErrorKind::ConnectionRefused, "{err}");
        Ok(())
    })
}

#[test]
fn every_address_is_tried_in_turn() -> io::Result<()> {
    block_on_timeout(LIMIT, async {
        let listener = TcpListener::bind("127.0.0.1:0").await?;
        let open = listener.local_addr()?;
        let (closed_a, closed_b) = (closed_port()?, closed_port()?);

        let stream = TcpStream::connect(&[closed_a, closed_b, open][..]).await?;
        assert_eq!(stream.peer_addr()?, open);

        let err = TcpStream::connect(&[closed_a, closed_b][..]).await.unwrap_err();
        assert_eq!(err.kind(), io::ErrorKind::ConnectionRefused, "{err}");

        let none: &[SocketAddr] = &[];
        let err = TcpStream::connect(none).await.unwrap_err();
        assert_eq!(err.kind(), io::ErrorKind::InvalidInput, "{err}");
        Ok(())
    })
}

#[test]
fn connect_by_name_resolves() -> io::Result<()> {
    block_on_timeout(LIMIT, async {
        let listener = TcpListener::bind("127.0.0.1:0").await?;
        let port = listener.local_addr()?.port();
        let stream = TcpStream::connect(("127.0.0.1", port)).await?;
        let (_, peer) = listener.accept().await?;
        assert_eq!(peer, stream.local_addr()?);
        Ok(())
    })
}
