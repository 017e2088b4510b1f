//! Half-close: the client shuts its write side down, the server reads EOF and still
//! replies, and the client reads the reply.
mod util;

use std::io;
use std::net::Shutdown;

use crest::io::{AsyncReadExt, AsyncWriteExt};
use crest::net::{TcpListener, TcpStream};
use util::{block_on_timeout, LIMIT};

async fn server_replies_after_eof(listener: TcpListener) -> io::Result<()> {
    let (mut stream, _) = listener.accept().await?;
    let mut request = Vec::new();
    stream.read_to_end(&mut request).await?;
    assert_eq!(request, b"request");
    stream.write_all(b"reply to ").await?;
    stream.write_all(&request).await?;
    Ok(())
}

#[test]
fn shutdown_write_then_read_the_reply() -> io::Result<()> {
    block_on_timeout(LIMIT, async {
        let listener = TcpListener::bind("127.0.0.1:0").await?;
        let mut client = TcpStream::connect(listener.local_addr()?).await?;
        let server = crest::spawn(server_replies_after_eof(listener));
        client.write_all(b"request").await?;
        client.shutdown(Shutdown::Write)?;
        let mut reply = Vec::new();
        client.read_to_end(&mut reply).await?;
        assert_eq!(reply, b"reply to request");
        server.await.expect("server panicked")
    })
}

#[test]
fn close_is_a_half_close() -> io::Result<()> {
    block_on_timeout(LIMIT, async {
        let listener = TcpListener::bind("127.0.0.1:0").await?;
        let client = TcpStream::connect(listener.local_addr()?).await?;
        let server = crest::spawn(server_replies_after_eof(listener));
        let (mut rd, mut wr) = client.into_split();
        wr.write_all(b"request").await?;
        wr.close().await?;
        let mut reply = Vec::new();
        rd.read_to_end(&mut reply).await?;
        assert_eq!(reply, b"reply to request");
        server.await.expect("server panicked")
    })
}
