//! `peek` waits for data and does not consume it.
mod util;

use std::io;

use crest::io::{AsyncReadExt, AsyncWriteExt};
use util::net::tcp_pair;
use util::{block_on_timeout, LIMIT};

#[test]
fn peek_does_not_consume() -> io::Result<()> {
    block_on_timeout(LIMIT, async {
        let (mut client, mut server) = tcp_pair().await?;
        // The peek starts before the data is there: it must wait, not fail.
        let writer = crest::spawn(async move {
            crest::task::yield_now().await;
            server.write_all(b"hello").await?;
            io::Result::Ok(server)
        });
        let mut buf = [0; 5];
        let mut n = 0;
        while n < 5 {
            n = client.peek(&mut buf).await?;
            assert_eq!(&buf[..n], &b"hello"[..n]);
        }
        let mut again = [0; 5];
        assert_eq!(client.peek(&mut again).await?, 5, "a second peek sees the same bytes");
        assert_eq!(&again, b"hello");
        let mut read = [0; 5];
        client.read_exact(&mut read).await?;
        assert_eq!(&read, b"hello");
        assert_eq!(
            client.try_read(&mut read).unwrap_err().kind(),
            io::ErrorKind::WouldBlock,
            "everything peeked was read once"
        );
        let server = writer.await.expect("writer panicked")?;
        drop(server);
        assert_eq!(client.peek(&mut buf).await?, 0, "peek at EOF is 0");
        Ok(())
    })
}
