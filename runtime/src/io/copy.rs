//! `copy` and `copy_bidirectional`: move bytes from readers to writers until EOF.
//!
//! One `CopyBuffer` per direction (a heap buffer allocated once) holds bytes read and not
//! yet written; it reads only when the buffer is empty, so a slow writer holds the reader
//! back. `copy_bidirectional` runs two of them in one future and, when a direction reaches
//! EOF, closes the writer of that direction (`poll_close`: for sockets, a write shutdown),
//! as tokio does. Owns no I/O object and makes no syscall itself.

use std::future::poll_fn;
use std::io;
use std::pin::Pin;
use std::task::{ready, Context, Poll};

use futures_io::{AsyncRead, AsyncWrite};

/// Per direction: large enough that a bulk transfer moves in few syscalls.
const BUF_SIZE: usize = 16 * 1024;

/// Copies everything `reader` gives until EOF into `writer`, flushes it, and returns the
/// number of bytes copied. The writer is not closed.
///
/// ```
/// crest::block_on(async {
///     let mut reader: &[u8] = b"hello";
///     let mut writer: Vec<u8> = Vec::new();
///     let n = crest::io::copy(&mut reader, &mut futures_lite::io::Cursor::new(&mut writer)).await?;
///     assert_eq!(n, 5);
///     assert_eq!(writer, b"hello");
///     std::io::Result::Ok(())
/// })
/// .unwrap();
/// ```
///
/// # Errors
/// The first error of a read, write or flush.
pub async fn copy<R, W>(reader: &mut R, writer: &mut W) -> io::Result<u64>
where
    R: AsyncRead + Unpin + ?Sized,
    W: AsyncWrite + Unpin + ?Sized,
{
    let mut buf = CopyBuffer::new();
    poll_fn(|cx| buf.poll_copy(cx, Pin::new(&mut *reader), Pin::new(&mut *writer))).await
}

/// Copies `a` to `b` and `b` to `a` at once, until both directions reach EOF. When one
/// direction reaches EOF, the writer of that direction is closed (for a socket: its write
/// half is shut down, a half-close), and the other direction goes on. Returns the bytes
/// copied from `a` to `b` and from `b` to `a`.
///
/// ```no_run
/// use crest::net::{TcpListener, TcpStream};
///
/// # async fn proxy() -> std::io::Result<()> {
/// let listener = TcpListener::bind("127.0.0.1:7000").await?;
/// loop {
///     let (mut client, _) = listener.accept().await?;
///     crest::spawn(async move {
///         let mut server = TcpStream::connect("127.0.0.1:7878").await?;
///         crest::io::copy_bidirectional(&mut client, &mut server).await
///     });
/// }
/// # }
/// ```
///
/// # Errors
/// The first error in either direction; the other direction stops then too.
pub async fn copy_bidirectional<A, B>(a: &mut A, b: &mut B) -> io::Result<(u64, u64)>
where
    A: AsyncRead + AsyncWrite + Unpin + ?Sized,
    B: AsyncRead + AsyncWrite + Unpin + ?Sized,
{
    let mut a_to_b = Direction::Copying(CopyBuffer::new());
    let mut b_to_a = Direction::Copying(CopyBuffer::new());
    poll_fn(|cx| {
        let ab = a_to_b.poll(cx, &mut *a, &mut *b)?;
        let ba = b_to_a.poll(cx, &mut *b, &mut *a)?;
        match (ab, ba) {
            (Poll::Ready(ab), Poll::Ready(ba)) => Poll::Ready(Ok((ab, ba))),
            _ => Poll::Pending,
        }
    })
    .await
}

/// One direction of `copy_bidirectional`.
enum Direction {
    Copying(CopyBuffer),
    /// EOF reached and flushed; closing the writer.
    Closing(u64),
    Done(u64),
}

impl Direction {
    fn poll<R, W>(&mut self, cx: &mut Context<'_>, reader: &mut R, writer: &mut W) -> Poll<io::Result<u64>>
    where
        R: AsyncRead + Unpin + ?Sized,
        W: AsyncWrite + Unpin + ?Sized,
    {
        loop {
            match self {
                Direction::Copying(buf) => {
                    let n = ready!(buf.poll_copy(cx, Pin::new(&mut *reader), Pin::new(&mut *writer)))?;
                    *self = Direction::Closing(n);
                }
                Direction::Closing(n) => {
                    ready!(Pin::new(&mut *writer).poll_close(cx))?;
                    *self = Direction::Done(*n);
                }
                Direction::Done(n) => return Poll::Ready(Ok(*n)),
            }
        }
    }
}

/// Bytes read and not yet written, and how far the copy has gone.
struct CopyBuffer {
    buf: Box<[u8]>,
    /// `buf[pos..cap]` waits to be written.
    pos: usize,
    cap: usize,
    eof: bool,
    total: u64,
}

impl CopyBuffer {
    fn new() -> CopyBuffer {
        CopyBuffer { buf: vec![0; BUF_SIZE].into_boxed_slice(), pos: 0, cap: 0, eof: false, total: 0 }
    }

    /// Copies until EOF and flushes; the total.
    fn poll_copy<R, W>(
        &mut self,
        cx: &mut Context<'_>,
        mut reader: Pin<&mut R>,
        mut writer: Pin<&mut W>,
    ) -> Poll<io::Result<u64>>
    where
        R: AsyncRead + ?Sized,
        W: AsyncWrite + ?Sized,
    {
        loop {
            if self.pos == self.cap && !self.eof {
                let n = ready!(reader.as_mut().poll_read(cx, &mut self.buf))?;
                if n == 0 {
                    self.eof = true;
                } else {
                    self.pos = 0;
                    self.cap = n;
                }
            }
            while self.pos < self.cap {
                let n = ready!(writer.as_mut().poll_write(cx, &self.buf[self.pos..self.cap]))?;
                if n == 0 {
                    return Poll::Ready(Err(io::Error::new(
                        io::ErrorKind::WriteZero,
                        "the writer accepted no bytes",
                    )));
                }
                self.pos += n;
                self.total += n as u64;
            }
            if self.eof {
                ready!(writer.as_mut().poll_flush(cx))?;
                return Poll::Ready(Ok(self.total));
            }
        }
    }
}
