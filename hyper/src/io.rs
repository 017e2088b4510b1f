//! `CrestIo<T>`: hyper's `Read` and `Write` over a futures-io stream.
//!
//! Owns the stream and the choice of read path (`read_path.rs`); must not buffer: every
//! call goes to the stream.

use std::io;
use std::io::IoSlice;
use std::pin::Pin;
use std::task::{Context, Poll};

use futures_io::{AsyncRead, AsyncWrite};
use hyper::rt::ReadBufCursor;

use crate::read_path::ReadPath;

/// A crest stream (any futures-io `AsyncRead + AsyncWrite + Unpin`) as hyper's I/O.
///
/// ```
/// use crest::io::AsyncWriteExt;
/// use crest::net::UnixStream;
/// use crest_hyper::CrestIo;
/// use http_body_util::{BodyExt, Empty};
/// use hyper::body::Bytes;
///
/// crest::block_on(async {
///     let (client, mut server) = UnixStream::pair()?;
///     crest::spawn(async move {
///         let mut req = [0; 1024];
///         let _ = crest::io::AsyncReadExt::read(&mut server, &mut req).await;
///         server.write_all(b"HTTP/1.1 200 OK\r\ncontent-length: 2\r\n\r\nhi").await
///     });
///     let (mut sender, conn) = hyper::client::conn::http1::handshake(CrestIo::new(client))
///         .await
///         .map_err(std::io::Error::other)?;
///     crest::spawn(conn);
///     let request = hyper::Request::builder().uri("/").body(Empty::<Bytes>::new()).unwrap();
///     let response = sender.send_request(request).await.map_err(std::io::Error::other)?;
///     let body = response.into_body().collect().await.map_err(std::io::Error::other)?;
///     assert_eq!(body.to_bytes(), "hi");
///     std::io::Result::Ok(())
/// })?;
/// # std::io::Result::Ok(())
/// ```
///
/// # Reads
/// For `crest::net::TcpStream` and `crest::net::UnixStream`, reads go straight into
/// hyper's uninitialised buffer (their `poll_read_uninit`). Any other stream — a TLS
/// stream, a `tcp::OwnedReadHalf` joined with something, a user's type — gets a zeroed
/// buffer first, as futures-io's `poll_read` takes `&mut [u8]` and handing it
/// uninitialised memory would be undefined behaviour. That memset costs one pass over
/// the part of hyper's buffer offered (8 KiB at first, more for large bodies).
///
/// # Writes
/// [`is_write_vectored`](hyper::rt::Write::is_write_vectored) is `true`, so hyper queues
/// a response's head and body chunks instead of copying them into one buffer, and
/// `poll_write_vectored` forwards to the stream's. crest's streams send them with one
/// `sendmsg`. A stream whose `poll_write_vectored` is futures-io's default writes one
/// buffer per call: still correct, one more call per buffer.
#[derive(Debug)]
pub struct CrestIo<T> {
    io: T,
    path: ReadPath,
}

impl<T> CrestIo<T> {
    /// Wraps a stream.
    pub fn new(io: T) -> CrestIo<T> {
        CrestIo { io, path: ReadPath::of::<T>() }
    }

    /// The stream.
    pub fn inner(&self) -> &T {
        &self.io
    }

    /// The stream, mutably (reading or writing it directly bypasses hyper's buffers).
    pub fn inner_mut(&mut self) -> &mut T {
        &mut self.io
    }

    /// Gives the stream back.
    pub fn into_inner(self) -> T {
        self.io
    }
}

impl<T> hyper::rt::Read for CrestIo<T>
where
    T: AsyncRead + AsyncWrite + Unpin,
{
    fn poll_read(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        mut buf: ReadBufCursor<'_>,
    ) -> Poll<io::Result<()>> {
        let this = self.get_mut();
        let n = match this.path {
            ReadPath::Tcp | ReadPath::Unix => {
                // SAFETY: the slice is only written by `recv` (through `poll_read_uninit`),
                // never de-initialised, and `advance` below covers only the bytes it
                // reports written.
                let dst = unsafe { buf.as_mut() };
                let res = match this.path {
                    // SAFETY: `ReadPath::Tcp` is chosen only when `T` is `TcpStream`
                    // (read_path.rs), so this is a cast to `T` itself.
                    ReadPath::Tcp => unsafe { &*(&this.io as *const T).cast::<crest::net::TcpStream>() }
                        .poll_read_uninit(cx, dst),
                    // SAFETY: as above, with `UnixStream`.
                    _ => unsafe { &*(&this.io as *const T).cast::<crest::net::UnixStream>() }
                        .poll_read_uninit(cx, dst),
                };
                match res {
                    Poll::Ready(Ok(n)) => n,
                    Poll::Ready(Err(e)) => return Poll::Ready(Err(e)),
                    Poll::Pending => return Poll::Pending,
                }
            }
            ReadPath::Zeroed => {
                let dst = buf.initialize_unfilled();
                match Pin::new(&mut this.io).poll_read(cx, dst) {
                    Poll::Ready(Ok(n)) => n,
                    Poll::Ready(Err(e)) => return Poll::Ready(Err(e)),
                    Poll::Pending => return Poll::Pending,
                }
            }
        };
        // SAFETY: the read wrote (and so initialised) the first `n` bytes of the unfilled
        // part: `recv`'s count, or futures-io's `Ok(n)` into an initialised slice.
        unsafe { buf.advance(n) };
        Poll::Ready(Ok(()))
    }
}

impl<T> hyper::rt::Write for CrestIo<T>
where
    T: AsyncRead + AsyncWrite + Unpin,
{
    fn poll_write(self: Pin<&mut Self>, cx: &mut Context<'_>, buf: &[u8]) -> Poll<io::Result<usize>> {
        Pin::new(&mut self.get_mut().io).poll_write(cx, buf)
    }

    fn poll_flush(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        Pin::new(&mut self.get_mut().io).poll_flush(cx)
    }

    fn poll_shutdown(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        Pin::new(&mut self.get_mut().io).poll_close(cx)
    }

    fn is_write_vectored(&self) -> bool {
        true
    }

    fn poll_write_vectored(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        bufs: &[IoSlice<'_>],
    ) -> Poll<io::Result<usize>> {
        Pin::new(&mut self.get_mut().io).poll_write_vectored(cx, bufs)
    }
}

#[cfg(test)]
mod tests {
    use std::future::poll_fn;
    use std::mem::MaybeUninit;

    use hyper::rt::{Read, ReadBuf};

    use super::*;

    /// A reader that checks it was handed zeroed memory, then writes `abc`.
    struct ChecksZeroed;

    impl AsyncRead for ChecksZeroed {
        fn poll_read(self: Pin<&mut Self>, _: &mut Context<'_>, buf: &mut [u8]) -> Poll<io::Result<usize>> {
            assert!(buf.iter().all(|&b| b == 0), "the generic path hands over zeroed memory");
            buf[..3].copy_from_slice(b"abc");
            Poll::Ready(Ok(3))
        }
    }

    impl AsyncWrite for ChecksZeroed {
        fn poll_write(self: Pin<&mut Self>, _: &mut Context<'_>, buf: &[u8]) -> Poll<io::Result<usize>> {
            Poll::Ready(Ok(buf.len()))
        }
        fn poll_flush(self: Pin<&mut Self>, _: &mut Context<'_>) -> Poll<io::Result<()>> {
            Poll::Ready(Ok(()))
        }
        fn poll_close(self: Pin<&mut Self>, _: &mut Context<'_>) -> Poll<io::Result<()>> {
            Poll::Ready(Ok(()))
        }
    }

    async fn read_once<T: AsyncRead + AsyncWrite + Unpin>(io: &mut CrestIo<T>) -> io::Result<Vec<u8>> {
        let mut raw = [MaybeUninit::<u8>::uninit(); 64];
        let mut buf = ReadBuf::uninit(&mut raw);
        poll_fn(|cx| Pin::new(&mut *io).poll_read(cx, buf.unfilled())).await?;
        Ok(buf.filled().to_vec())
    }

    #[test]
    fn any_other_stream_reads_into_zeroed_memory() -> io::Result<()> {
        let mut io = CrestIo::new(ChecksZeroed);
        assert_eq!(io.path, ReadPath::Zeroed);
        assert_eq!(crest::block_on(read_once(&mut io))?, b"abc");
        Ok(())
    }

    #[test]
    fn crest_streams_read_into_uninitialised_memory() -> io::Result<()> {
        crest::block_on(async {
            let (mut a, b) = crest::net::UnixStream::pair()?;
            let mut io = CrestIo::new(b);
            assert_eq!(io.path, ReadPath::Unix);
            crest::io::AsyncWriteExt::write_all(&mut a, b"hello").await?;
            assert_eq!(read_once(&mut io).await?, b"hello");
            drop(a);
            assert_eq!(read_once(&mut io).await?, b"", "EOF fills nothing");

            let listener = crest::net::TcpListener::bind("127.0.0.1:0").await?;
            let mut client = crest::net::TcpStream::connect(listener.local_addr()?).await?;
            let mut io = CrestIo::new(listener.accept().await?.0);
            assert_eq!(io.path, ReadPath::Tcp);
            crest::io::AsyncWriteExt::write_all(&mut client, b"over tcp").await?;
            assert_eq!(read_once(&mut io).await?, b"over tcp");
            Ok(())
        })
    }
}
