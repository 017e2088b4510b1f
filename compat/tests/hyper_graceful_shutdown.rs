//! When `serve`'s shutdown future completes, it stops accepting (a new connect is
//! refused), lets a request in flight finish (its client gets the full answer), closes an
//! idle keep-alive connection, and returns only after the last connection has ended.
mod util;

use std::convert::Infallible;
use std::io;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::time::Duration;

use crest_hyper::CrestIo;
use http_body_util::{BodyExt, Empty, Full};
use hyper::body::{Bytes, Incoming};
use hyper::{Request, Response};
use util::block_on_multi;

async fn get(
    sender: &mut hyper::client::conn::http1::SendRequest<Empty<Bytes>>,
    path: &str,
) -> io::Result<Bytes> {
    let request = Request::get(path).header("host", "localhost").body(Empty::new()).unwrap();
    let response = sender.send_request(request).await.map_err(io::Error::other)?;
    assert_eq!(response.status(), 200);
    Ok(response.into_body().collect().await.map_err(io::Error::other)?.to_bytes())
}

#[test]
fn shutdown_finishes_the_request_in_flight_then_returns() -> io::Result<()> {
    block_on_multi(async {
        let listener = crest::net::TcpListener::bind("127.0.0.1:0").await?;
        let addr = listener.local_addr()?;
        let handler_done = Arc::new(AtomicBool::new(false));
        let done = handler_done.clone();
        let service = hyper::service::service_fn(move |req: Request<Incoming>| {
            let done = done.clone();
            async move {
                if req.uri().path() == "/slow" {
                    crest::time::sleep(Duration::from_millis(300)).await;
                    done.store(true, Ordering::SeqCst);
                }
                Ok::<_, Infallible>(Response::new(Full::new(Bytes::from_static(b"done"))))
            }
        });
        let (stop, stopped) = async_channel::bounded::<()>(1);
        let flag = handler_done.clone();
        let server = crest::spawn(async move {
            let res = crest_hyper::serve(listener, service, async move {
                let _ = stopped.recv().await;
            })
            .await;
            assert!(flag.load(Ordering::SeqCst), "serve returned before the slow request finished");
            res
        });

        // An idle keep-alive connection: one request answered, then nothing.
        let idle = crest::net::TcpStream::connect(addr).await?;
        let (mut idle_sender, idle_conn) =
            hyper::client::conn::http1::handshake(CrestIo::new(idle)).await.map_err(io::Error::other)?;
        let idle_conn = crest::spawn(idle_conn);
        assert_eq!(get(&mut idle_sender, "/").await?, "done");

        // A request in flight when the shutdown starts.
        let busy = crest::net::TcpStream::connect(addr).await?;
        let (mut busy_sender, busy_conn) =
            hyper::client::conn::http1::handshake(CrestIo::new(busy)).await.map_err(io::Error::other)?;
        crest::spawn(busy_conn);
        let slow = crest::spawn(async move { get(&mut busy_sender, "/slow").await });
        crest::time::sleep(Duration::from_millis(50)).await;
        stop.send(()).await.expect("serve listens for the shutdown");

        assert_eq!(slow.await.expect("the slow request task")?, "done");
        server.await.expect("the serve task")?;
        assert!(handler_done.load(Ordering::SeqCst));
        // The idle connection was closed by the server, so its client connection ends.
        idle_conn.await.expect("the idle connection task").map_err(io::Error::other)?;
        let err = crest::net::TcpStream::connect(addr).await.expect_err("the listener is closed");
        assert_eq!(err.kind(), io::ErrorKind::ConnectionRefused);
        Ok(())
    })
}
