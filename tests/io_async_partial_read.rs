//! The edge-triggered partial-read case: a reader that takes small bites never stalls.
mod util;

use std::io;
use std::os::unix::net::UnixStream;

use crest::io::{Async, AsyncReadExt, AsyncWriteExt};

const TOTAL: usize = 256 * 1024;

fn pattern(i: usize) -> u8 {
    (i * 31 % 251) as u8
}

fn read_in_chunks(chunk: usize) -> io::Result<()> {
    util::block_on_timeout(util::LIMIT, async move {
        let (a, b) = UnixStream::pair()?;
        let (mut reader, mut writer) = (Async::new(a)?, Async::new(b)?);
        let data: Vec<u8> = (0..TOTAL).map(pattern).collect();
        let producer = crest::spawn(async move {
            writer.write_all(&data).await?;
            writer.flush().await?;
            io::Result::Ok(())
        });
        let mut got = Vec::with_capacity(TOTAL);
        let mut buf = vec![0; chunk];
        while got.len() < TOTAL {
            let n = reader.read(&mut buf).await?;
            assert!(n > 0, "EOF before all bytes arrived");
            got.extend_from_slice(&buf[..n]);
        }
        producer.await??;
        assert_eq!(got.len(), TOTAL);
        assert!(got.iter().enumerate().all(|(i, b)| *b == pattern(i)), "bytes arrived intact and in order");
        Ok(())
    })
}

#[test]
fn one_byte_chunks() -> io::Result<()> {
    read_in_chunks(1)
}

#[test]
fn seven_byte_chunks() -> io::Result<()> {
    read_in_chunks(7)
}

#[test]
fn page_chunks() -> io::Result<()> {
    read_in_chunks(4096)
}

#[test]
fn peer_writes_from_another_thread() -> io::Result<()> {
    // The writer is a plain blocking thread: every edge comes from outside the runtime.
    util::block_on_timeout(util::LIMIT, async {
        let (a, b) = UnixStream::pair()?;
        let mut reader = Async::new(a)?;
        let writer = std::thread::spawn(move || {
            let data: Vec<u8> = (0..TOTAL).map(pattern).collect();
            for piece in data.chunks(1000) {
                io::Write::write_all(&mut &b, piece)?;
            }
            io::Result::Ok(())
        });
        let mut got = Vec::new();
        reader.read_to_end(&mut got).await?;
        writer.join().unwrap()?;
        assert_eq!(got.len(), TOTAL);
        Ok(())
    })
}
