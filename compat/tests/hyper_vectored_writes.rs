//! `CrestIo` tells hyper it writes vectored, so hyper sends a response's head and body as
//! separate buffers of one `poll_write_vectored` (crest's `sendmsg`) instead of copying
//! them into one buffer: over a stream that counts its calls, a 64 KiB response goes out
//! through vectored writes of several buffers, never through plain `poll_write`.
mod util;

use std::convert::Infallible;
use std::io::{self, IoSlice, IoSliceMut};
use std::pin::Pin;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;
use std::task::{Context, Poll};

use crest::net::TcpStream;
use crest_hyper::CrestIo;
use futures_io::{AsyncRead, AsyncWrite};
use http_body_util::{BodyExt, Empty, Full};
use hyper::body::{Bytes, Incoming};
use hyper::{Request, Response};
use util::block_on;

#[derive(Default)]
struct Counts {
    plain: AtomicUsize,
    vectored_multi: AtomicUsize,
}

/// A `TcpStream` that counts how it is written to.
struct Counting(TcpStream, Arc<Counts>);

impl AsyncRead for Counting {
    fn poll_read(mut self: Pin<&mut Self>, cx: &mut Context<'_>, buf: &mut [u8]) -> Poll<io::Result<usize>> {
        Pin::new(&mut self.0).poll_read(cx, buf)
    }

    fn poll_read_vectored(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        bufs: &mut [IoSliceMut<'_>],
    ) -> Poll<io::Result<usize>> {
        Pin::new(&mut self.0).poll_read_vectored(cx, bufs)
    }
}

impl AsyncWrite for Counting {
    fn poll_write(mut self: Pin<&mut Self>, cx: &mut Context<'_>, buf: &[u8]) -> Poll<io::Result<usize>> {
        self.1.plain.fetch_add(1, Ordering::Relaxed);
        Pin::new(&mut self.0).poll_write(cx, buf)
    }

    fn poll_write_vectored(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        bufs: &[IoSlice<'_>],
    ) -> Poll<io::Result<usize>> {
        if bufs.iter().filter(|b| !b.is_empty()).count() > 1 {
            self.1.vectored_multi.fetch_add(1, Ordering::Relaxed);
        }
        Pin::new(&mut self.0).poll_write_vectored(cx, bufs)
    }

    fn poll_flush(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        Pin::new(&mut self.0).poll_flush(cx)
    }

    fn poll_close(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        Pin::new(&mut self.0).poll_close(cx)
    }
}

#[test]
fn a_response_goes_out_as_vectored_writes() -> io::Result<()> {
    block_on(async {
        let listener = crest::net::TcpListener::bind("127.0.0.1:0").await?;
        let addr = listener.local_addr()?;
        let counts = Arc::new(Counts::default());
        let server_counts = counts.clone();
        let server = crest::spawn(async move {
            let (tcp, _) = listener.accept().await?;
            let service = hyper::service::service_fn(|_: Request<Incoming>| async {
                Ok::<_, Infallible>(Response::new(Full::new(Bytes::from(vec![b'x'; 64 << 10]))))
            });
            hyper::server::conn::http1::Builder::new()
                .serve_connection(CrestIo::new(Counting(tcp, server_counts)), service)
                .await
                .map_err(io::Error::other)
        });

        let tcp = TcpStream::connect(addr).await?;
        let (mut sender, conn) =
            hyper::client::conn::http1::handshake(CrestIo::new(tcp)).await.map_err(io::Error::other)?;
        crest::spawn(conn);
        for _ in 0..3 {
            let request = Request::get("/").header("host", "localhost").body(Empty::<Bytes>::new()).unwrap();
            let response = sender.send_request(request).await.map_err(io::Error::other)?;
            let body = response.into_body().collect().await.map_err(io::Error::other)?.to_bytes();
            assert_eq!(body.len(), 64 << 10);
        }
        drop(sender);
        server.await.expect("the server task")?;
        assert_eq!(counts.plain.load(Ordering::Relaxed), 0, "no plain writes");
        assert!(
            counts.vectored_multi.load(Ordering::Relaxed) >= 3,
            "head and body in one vectored write per response"
        );
        io::Result::Ok(())
    })
}
