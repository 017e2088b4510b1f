//! Unix domain stream sockets: listener round trip, pairs, split halves, and writes to a
//! closed peer (with SIGPIPE's default action restored, so a missing MSG_NOSIGNAL kills
//! the binary).
mod util;

use std::io;

use crest::io::{AsyncReadExt, AsyncWriteExt};
use crest::net::{UnixListener, UnixStream};
use util::net::{is_peer_gone, restore_default_sigpipe, socket_path};
use util::{block_on_timeout, LIMIT};

#[test]
fn listener_round_trip() -> io::Result<()> {
    let path = socket_path("round-trip");
    let p = path.clone();
    let res = block_on_timeout(LIMIT, async move {
        let listener = UnixListener::bind(&p)?;
        assert_eq!(listener.local_addr()?.as_pathname(), Some(p.as_path()));
        let server = crest::spawn(async move {
            let (mut stream, addr) = listener.accept().await?;
            assert!(addr.is_unnamed(), "the client did not bind");
            let mut buf = vec![0; 4096];
            loop {
                let n = stream.read(&mut buf).await?;
                if n == 0 {
                    return io::Result::Ok(());
                }
                stream.write_all(&buf[..n]).await?;
            }
        });
        let mut client = UnixStream::connect(&p).await?;
        assert_eq!(client.peer_addr()?.as_pathname(), Some(p.as_path()));
        for msg in [&b"hello"[..], &[42; 10_000]] {
            client.write_all(msg).await?;
            let mut back = vec![0; msg.len()];
            client.read_exact(&mut back).await?;
            assert_eq!(back, msg);
        }
        client.close().await?;
        let mut rest = Vec::new();
        client.read_to_end(&mut rest).await?;
        assert!(rest.is_empty());
        server.await.expect("server panicked")
    });
    let _ = std::fs::remove_file(&path);
    res
}

#[test]
fn connect_to_a_missing_path_fails() -> io::Result<()> {
    block_on_timeout(LIMIT, async {
        let err = UnixStream::connect(socket_path("missing")).await.unwrap_err();
        assert_eq!(err.kind(), io::ErrorKind::NotFound, "{err}");
        Ok(())
    })
}

#[test]
fn pair_round_trip_and_split() -> io::Result<()> {
    block_on_timeout(LIMIT, async {
        let (mut a, b) = UnixStream::pair()?;
        a.write_all(b"ping").await?;
        let (mut rd, mut wr) = b.into_split();
        let mut buf = [0; 4];
        rd.read_exact(&mut buf).await?;
        assert_eq!(&buf, b"ping");
        let reader = crest::spawn(async move {
            let mut buf = [0; 4];
            rd.read_exact(&mut buf).await?;
            io::Result::Ok((rd, buf))
        });
        let mut buf = [0; 4];
        wr.write_all(b"pong").await?;
        a.read_exact(&mut buf).await?;
        assert_eq!(&buf, b"pong");
        a.write_all(b"back").await?;
        let (rd, got) = reader.await.expect("reader panicked")?;
        assert_eq!(&got, b"back");
        let b = rd.reunite(wr).expect("halves of one stream reunite");
        let err = b.try_read(&mut buf).unwrap_err();
        assert_eq!(err.kind(), io::ErrorKind::WouldBlock);
        Ok(())
    })
}

#[test]
fn writes_to_a_closed_peer_are_errors() -> io::Result<()> {
    restore_default_sigpipe();
    block_on_timeout(LIMIT, async {
        let (mut a, b) = UnixStream::pair()?;
        drop(b);
        let err = a.write_all(b"anyone?").await.unwrap_err();
        assert!(is_peer_gone(&err), "{err}");
        let err = a.try_write(b"anyone?").unwrap_err();
        assert!(is_peer_gone(&err), "{err}");
        Ok(())
    })
}
