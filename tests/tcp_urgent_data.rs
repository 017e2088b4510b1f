//! TCP urgent data ends a read early at the urgent mark, with data still queued behind it:
//! the short-read shortcut must not clear readiness then, or the reader would wait for an
//! edge that never comes.
mod util;

use std::io::Write;
use std::os::fd::AsRawFd;
use std::time::Duration;

use crest::io::AsyncReadExt;
use crest::net::TcpListener;

fn send_oob(stream: &std::net::TcpStream, byte: u8) -> std::io::Result<()> {
    // SAFETY: sends one byte from a live local on a socket we own.
    let n = unsafe { libc::send(stream.as_raw_fd(), (&byte as *const u8).cast(), 1, libc::MSG_OOB) };
    if n == 1 {
        Ok(())
    } else {
        Err(std::io::Error::last_os_error())
    }
}

#[test]
fn a_read_that_stops_at_the_urgent_mark_does_not_lose_the_rest() -> std::io::Result<()> {
    util::block_on_timeout(util::LIMIT, async {
        let listener = TcpListener::bind("127.0.0.1:0").await?;
        let addr = listener.local_addr()?;
        let mut peer = std::net::TcpStream::connect(addr)?;
        peer.set_nodelay(true)?;
        let (mut stream, _) = listener.accept().await?;
        // Everything is queued before the first read: normal data, an urgent byte, more
        // normal data. A read stops at the urgent mark after "AAAA".
        peer.write_all(b"AAAA")?;
        send_oob(&peer, b'!')?;
        peer.write_all(b"CCCC")?;
        std::thread::sleep(Duration::from_millis(50));
        let mut got = Vec::new();
        let mut buf = [0u8; 1024];
        while got.len() < 8 {
            let n = stream.read(&mut buf).await?;
            assert!(n > 0, "EOF before the data after the urgent mark");
            got.extend_from_slice(&buf[..n]);
        }
        assert_eq!(got, b"AAAACCCC");
        Ok(())
    })
}
