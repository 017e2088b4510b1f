//! The hyper peer of the hyper load benchmark: `serve_hyper (crest|tokio|plain) WORKERS`
//! serves one hyper service, HTTP/1.1 and HTTP/2 through hyper-util's auto builder, on a
//! multi-thread runtime with WORKERS workers:
//!
//! * `crest`: `crest_hyper::serve` (`CrestIo`: reads into hyper's uninitialised buffer,
//!   vectored writes);
//! * `tokio`: hyper-util's `TokioIo`, `TokioExecutor` and `TokioTimer`, on tokio;
//! * `plain`: crest's sockets through a smol-hyper-style wrapper (`PlainIo` below): every
//!   read zero-fills hyper's buffer first, and writes are not vectored, so hyper copies each
//!   response into one buffer. The same accept loop as `serve`, without its drain.
//!
//! The service: `GET /large` answers 64 KiB; a request with a body (`POST`) has it read to
//! the end, then answered like any other request, with `Hello, World!`.

#[path = "../proto.rs"]
mod proto;

use std::convert::Infallible;
use std::io;
use std::pin::Pin;
use std::task::{Context, Poll};

use crest_hyper::{CrestExecutor, CrestTimer};
use http_body_util::{BodyExt, Full};
use hyper::body::{Bytes, Incoming};
use hyper::{Request, Response};
use hyper_util::server::conn::auto;

static LARGE: [u8; 64 << 10] = [b'x'; 64 << 10];

async fn service(req: Request<Incoming>) -> Result<Response<Full<Bytes>>, Infallible> {
    if req.uri().path() == "/large" {
        return Ok(Response::new(Full::new(Bytes::from_static(&LARGE))));
    }
    // Read any body to the end (the upload case); a broken one still gets an answer.
    let _ = req.into_body().collect().await;
    Ok(Response::new(Full::new(Bytes::from_static(b"Hello, World!"))))
}

/// A smol-hyper-style adapter: zero-fills the unfilled part of hyper's buffer before every
/// read, and does not write vectored.
struct PlainIo(crest::net::TcpStream);

impl hyper::rt::Read for PlainIo {
    fn poll_read(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        mut buf: hyper::rt::ReadBufCursor<'_>,
    ) -> Poll<io::Result<()>> {
        let dst = buf.initialize_unfilled();
        let n = match futures_io::AsyncRead::poll_read(Pin::new(&mut self.get_mut().0), cx, dst) {
            Poll::Ready(Ok(n)) => n,
            Poll::Ready(Err(e)) => return Poll::Ready(Err(e)),
            Poll::Pending => return Poll::Pending,
        };
        // SAFETY: the first `n` bytes of the unfilled part were initialised (zeroed) above,
        // then written by the read.
        unsafe { buf.advance(n) };
        Poll::Ready(Ok(()))
    }
}

impl hyper::rt::Write for PlainIo {
    fn poll_write(self: Pin<&mut Self>, cx: &mut Context<'_>, buf: &[u8]) -> Poll<io::Result<usize>> {
        futures_io::AsyncWrite::poll_write(Pin::new(&mut self.get_mut().0), cx, buf)
    }
    fn poll_flush(self: Pin<&mut Self>, _: &mut Context<'_>) -> Poll<io::Result<()>> {
        Poll::Ready(Ok(()))
    }
    fn poll_shutdown(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        futures_io::AsyncWrite::poll_close(Pin::new(&mut self.get_mut().0), cx)
    }
}

fn builder<E: Clone>(
    executor: E,
    timer: impl hyper::rt::Timer + Clone + Send + Sync + 'static,
) -> auto::Builder<E> {
    let mut builder = auto::Builder::new(executor);
    builder.http1().timer(timer.clone());
    builder.http2().timer(timer);
    builder
}

fn main() -> io::Result<()> {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let (which, workers) = match &args[..] {
        [which, workers] => (which.clone(), workers.parse::<usize>().ok().filter(|&w| w > 0)),
        _ => (String::new(), None),
    };
    let Some(workers) = workers else {
        eprintln!("usage: serve_hyper (crest|tokio|plain) WORKERS");
        std::process::exit(2);
    };
    proto::raise_nofile()?;
    let std_listener = proto::listener(0)?;
    let addr = std_listener.local_addr()?;
    match which.as_str() {
        "crest" => {
            let rt = crest::runtime::Builder::new_multi_thread().worker_threads(workers).build()?;
            rt.block_on(async move {
                let listener = crest::net::TcpListener::from_std(std_listener)?;
                proto::announce(addr);
                let serve =
                    crest_hyper::serve(listener, hyper::service::service_fn(service), std::future::pending());
                crest::spawn(serve).await.map_err(io::Error::other)?
            })
        }
        "plain" => {
            let rt = crest::runtime::Builder::new_multi_thread().worker_threads(workers).build()?;
            rt.block_on(async move {
                let listener = crest::net::TcpListener::from_std(std_listener)?;
                proto::announce(addr);
                let accept = crest::spawn(async move {
                    let builder = builder(CrestExecutor, CrestTimer);
                    loop {
                        let (stream, _) = match listener.accept().await {
                            Ok(accepted) => accepted,
                            Err(e) if proto::is_disconnect(&e) => continue,
                            Err(e) => return Err::<(), io::Error>(e),
                        };
                        stream.set_nodelay(true)?;
                        let conn = builder
                            .serve_connection(PlainIo(stream), hyper::service::service_fn(service))
                            .into_owned();
                        crest::spawn(async move {
                            let _ = conn.await;
                        });
                    }
                });
                accept.await.map_err(io::Error::other)?
            })
        }
        "tokio" => {
            use hyper_util::rt::{TokioExecutor, TokioIo, TokioTimer};
            std_listener.set_nonblocking(true)?;
            let rt =
                tokio::runtime::Builder::new_multi_thread().worker_threads(workers).enable_all().build()?;
            rt.block_on(async move {
                let listener = tokio::net::TcpListener::from_std(std_listener)?;
                proto::announce(addr);
                let accept = tokio::spawn(async move {
                    let builder = builder(TokioExecutor::new(), TokioTimer::new());
                    loop {
                        let (stream, _) = match listener.accept().await {
                            Ok(accepted) => accepted,
                            Err(e) if proto::is_disconnect(&e) => continue,
                            Err(e) => return Err::<(), io::Error>(e),
                        };
                        stream.set_nodelay(true)?;
                        let conn = builder
                            .serve_connection(TokioIo::new(stream), hyper::service::service_fn(service))
                            .into_owned();
                        tokio::spawn(async move {
                            let _ = conn.await;
                        });
                    }
                });
                accept.await.map_err(io::Error::other)?
            })
        }
        other => {
            eprintln!("serve_hyper: no server named {other:?}");
            std::process::exit(2);
        }
    }
}
