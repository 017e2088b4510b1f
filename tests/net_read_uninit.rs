//! `poll_read_uninit` (TCP and Unix) reads a large transfer in full into uninitialised
//! buffers, waits when nothing is queued, and reports EOF as `Ok(0)`.
mod util;

use std::future::poll_fn;
use std::io;
use std::mem::MaybeUninit;
use std::task::{Context, Poll};

use crest::io::AsyncWriteExt;
use crest::net::UnixStream;
use util::net::tcp_pair;
use util::{block_on_timeout, LIMIT};

const TOTAL: usize = 1 << 20;

fn pattern(i: usize) -> u8 {
    (i % 251) as u8
}

/// Reads until EOF with `read` (one of the streams' `poll_read_uninit`), through a fresh
/// uninitialised buffer each time, and checks every byte.
async fn read_all(
    mut read: impl FnMut(&mut Context<'_>, &mut [MaybeUninit<u8>]) -> Poll<io::Result<usize>>,
) -> io::Result<usize> {
    let mut got = 0;
    loop {
        let mut buf = vec![MaybeUninit::<u8>::uninit(); 7000];
        let n = poll_fn(|cx| read(cx, &mut buf)).await?;
        if n == 0 {
            return Ok(got);
        }
        for (i, b) in buf[..n].iter().enumerate() {
            // SAFETY: `poll_read_uninit` returned `n`: the first `n` bytes are initialised.
            assert_eq!(unsafe { b.assume_init() }, pattern(got + i));
        }
        got += n;
    }
}

async fn write_all(mut w: impl crest::io::AsyncWrite + Unpin) -> io::Result<()> {
    let data: Vec<u8> = (0..TOTAL).map(pattern).collect();
    for chunk in data.chunks(30_000) {
        w.write_all(chunk).await?;
        crest::task::yield_now().await;
    }
    w.close().await
}

#[test]
fn tcp_reads_a_megabyte_into_uninit_buffers() -> io::Result<()> {
    block_on_timeout(LIMIT, async {
        let (reader, writer) = tcp_pair().await?;
        let writer = crest::spawn(write_all(writer));
        let got = read_all(|cx, buf| reader.poll_read_uninit(cx, buf)).await?;
        writer.await.unwrap()?;
        assert_eq!(got, TOTAL);
        Ok(())
    })
}

#[test]
fn unix_reads_a_megabyte_into_uninit_buffers() -> io::Result<()> {
    block_on_timeout(LIMIT, async {
        let (reader, writer) = UnixStream::pair()?;
        let writer = crest::spawn(write_all(writer));
        let got = read_all(|cx, buf| reader.poll_read_uninit(cx, buf)).await?;
        writer.await.unwrap()?;
        assert_eq!(got, TOTAL);
        Ok(())
    })
}
