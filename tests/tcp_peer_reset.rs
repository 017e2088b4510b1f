//! A peer that resets the connection (SO_LINGER 0) gives an error, not a hang.
mod util;

use std::io;
use std::time::Duration;

use crest::io::{AsyncReadExt, AsyncWriteExt};
use util::net::{is_peer_gone, tcp_pair};
use util::{block_on_timeout, LIMIT};

#[test]
fn a_waiting_reader_gets_connection_reset() -> io::Result<()> {
    block_on_timeout(LIMIT, async {
        let (client, server) = tcp_pair().await?;
        let reader = crest::spawn(async move {
            let mut buf = [0; 64];
            (&client).read(&mut buf).await
        });
        // Let the reader block first.
        crest::time::sleep(Duration::from_millis(20)).await;
        server.set_linger(Some(Duration::ZERO))?;
        assert_eq!(server.linger()?, Some(Duration::ZERO));
        drop(server);
        let err = reader.await.expect("reader panicked").unwrap_err();
        assert_eq!(err.kind(), io::ErrorKind::ConnectionReset, "{err}");
        Ok(())
    })
}

#[test]
fn a_write_after_a_reset_fails() -> io::Result<()> {
    block_on_timeout(LIMIT, async {
        let (mut client, server) = tcp_pair().await?;
        server.set_linger(Some(Duration::ZERO))?;
        drop(server);
        client.readable().await?;
        let err = client.write_all(b"anyone there?").await.unwrap_err();
        assert!(is_peer_gone(&err), "{err}");
        Ok(())
    })
}
