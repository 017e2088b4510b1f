//! Bodies stream both ways through hyper on crest, over HTTP/1.1 and HTTP/2: an echo
//! service returns the request body as the response body, and the client sends its next
//! chunk only after the previous one came back (so neither side may buffer a whole body),
//! then sends the rest of 10 MB freely; every byte comes back in order.
mod util;

use std::convert::Infallible;
use std::future::Future;
use std::io;

use crest_hyper::{CrestExecutor, CrestIo};
use futures_lite::StreamExt;
use http_body_util::{BodyExt, StreamBody};
use hyper::body::{Bytes, Frame, Incoming};
use hyper::{Request, Response};
use util::{block_on_multi, Server};

const TOTAL: usize = 10 << 20;
const CHUNK: usize = 64 << 10;
/// Chunks sent in lock step (each waits for the previous one's echo).
const LOCK_STEP: usize = 16;

/// Boxed: hyper's HTTP/2 client wants an `Unpin` body, and a channel receiver is not.
type ChunkBody = StreamBody<futures_lite::stream::Boxed<Result<Frame<Bytes>, Infallible>>>;

fn pattern(i: usize) -> u8 {
    (i % 251) as u8
}

fn chunk(k: usize) -> Bytes {
    (k * CHUNK..((k + 1) * CHUNK).min(TOTAL)).map(pattern).collect::<Vec<u8>>().into()
}

fn start_echo() -> Server {
    Server::start(|listener, stop| {
        let echo = hyper::service::service_fn(|req: Request<Incoming>| async move {
            Ok::<_, Infallible>(Response::new(req.into_body()))
        });
        crest_hyper::serve(listener, echo, stop.wait())
    })
}

/// Streams the 10 MB body through `send` (one request) and checks the echo.
async fn stream_through<F, Fut>(send: F) -> io::Result<()>
where
    F: FnOnce(Request<ChunkBody>) -> Fut,
    Fut: Future<Output = hyper::Result<Response<Incoming>>>,
{
    let (tx, rx) = async_channel::bounded::<Bytes>(4);
    let mut tx = Some(tx);
    let frames = rx.map(|b| Ok::<_, Infallible>(Frame::data(b))).boxed();
    let request = Request::post("http://localhost/echo").body(StreamBody::new(frames)).unwrap();
    let chunks = TOTAL.div_ceil(CHUNK);
    tx.as_ref().unwrap().send(chunk(0)).await.expect("the body is read");
    let response = send(request).await.map_err(io::Error::other)?;
    assert_eq!(response.status(), 200);
    let mut body = response.into_body();
    let mut got = 0;
    let mut sent = 1;
    let mut free_sender = None;
    while let Some(frame) = body.frame().await {
        let frame = frame.map_err(io::Error::other)?;
        let Ok(data) = frame.into_data() else { continue };
        for (i, b) in data.iter().enumerate() {
            assert_eq!(*b, pattern(got + i), "byte {}", got + i);
        }
        got += data.len();
        if sent < LOCK_STEP && got == sent * CHUNK {
            tx.as_ref().unwrap().send(chunk(sent)).await.expect("the body is read");
            sent += 1;
        } else if sent == LOCK_STEP && free_sender.is_none() {
            // The sender moves to the task: the request body ends when it is done.
            let tx = tx.take().unwrap();
            free_sender = Some(crest::spawn(async move {
                for k in LOCK_STEP..chunks {
                    tx.send(chunk(k)).await.expect("the body is read");
                }
            }));
        }
    }
    free_sender.expect("the free part was sent").await.expect("the sender task");
    assert_eq!(got, TOTAL);
    Ok(())
}

#[test]
fn ten_megabytes_stream_both_ways_over_http1() -> io::Result<()> {
    let server = start_echo();
    let addr = server.addr;
    block_on_multi(async move {
        let stream = crest::net::TcpStream::connect(addr).await?;
        let (mut sender, conn) =
            hyper::client::conn::http1::handshake(CrestIo::new(stream)).await.map_err(io::Error::other)?;
        crest::spawn(conn);
        stream_through(|req| sender.send_request(req)).await
    })?;
    server.stop()
}

#[test]
fn ten_megabytes_stream_both_ways_over_http2() -> io::Result<()> {
    let server = start_echo();
    let addr = server.addr;
    block_on_multi(async move {
        let stream = crest::net::TcpStream::connect(addr).await?;
        let (mut sender, conn) = hyper::client::conn::http2::handshake(CrestExecutor, CrestIo::new(stream))
            .await
            .map_err(io::Error::other)?;
        crest::spawn(conn);
        stream_through(|req| sender.send_request(req)).await
    })?;
    server.stop()
}
