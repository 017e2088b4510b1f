//! `serve`: the accept loop, one task per connection speaking HTTP/1.1 or HTTP/2 (hyper-
//! util's auto builder picks by the connection preface), and the graceful shutdown.
//!
//! Owns the listener until shutdown; must not hold a connection's errors against the
//! server (a client that goes away, or a service that panics, ends only its connection).

use std::error::Error as StdError;
use std::future::{poll_fn, Future};
use std::io;
use std::pin::pin;
use std::task::Poll;

use hyper::body::{Body, Incoming};
use hyper::service::Service;
use hyper::{Request, Response};
use hyper_util::server::conn::auto;

use crate::drain::Drain;
use crate::{CrestExecutor, CrestIo, CrestTimer};

/// Serves HTTP/1.1 and HTTP/2 (prior knowledge) with `service` on every connection
/// `listener` accepts, until `shutdown` completes. Then it stops accepting (the listener
/// is closed), lets each connection finish the requests in flight (hyper's graceful
/// shutdown: HTTP/1 closes after the current response, HTTP/2 sends `GOAWAY`), and
/// returns once every connection has ended.
///
/// Each connection runs in its own task (`crest::spawn`), so on a multi-thread runtime
/// connections spread over the workers. Accepted sockets get `TCP_NODELAY`.
///
/// ```
/// use std::convert::Infallible;
///
/// use http_body_util::Full;
/// use hyper::body::{Bytes, Incoming};
/// use hyper::{Request, Response};
///
/// crest::block_on(async {
///     let listener = crest::net::TcpListener::bind("127.0.0.1:0").await?;
///     let service = hyper::service::service_fn(|_: Request<Incoming>| async {
///         Ok::<_, Infallible>(Response::new(Full::new(Bytes::from("hello"))))
///     });
///     // Here the shutdown comes at once: serve stops without a request.
///     crest_hyper::serve(listener, service, async {}).await
/// })?;
/// # std::io::Result::Ok(())
/// ```
///
/// # Errors
/// An `accept` error other than a transient one (a connection reset while queued, or
/// running out of file descriptors, after which crest's listener backs off): for example
/// the runtime shutting down. The connections already accepted still drain first.
pub async fn serve<S, B>(
    listener: crest::net::TcpListener,
    service: S,
    shutdown: impl Future<Output = ()>,
) -> io::Result<()>
where
    S: Service<Request<Incoming>, Response = Response<B>> + Clone + Send + 'static,
    S::Future: Send + 'static,
    S::Error: Into<Box<dyn StdError + Send + Sync>>,
    B: Body + Send + 'static,
    B::Data: Send,
    B::Error: Into<Box<dyn StdError + Send + Sync>>,
{
    let mut builder = auto::Builder::new(CrestExecutor);
    builder.http1().timer(CrestTimer);
    builder.http2().timer(CrestTimer);
    let drain = Drain::new();
    let mut shutdown = pin!(shutdown);
    let result = loop {
        let mut accept = pin!(listener.accept());
        let accepted = poll_fn(|cx| match shutdown.as_mut().poll(cx) {
            Poll::Ready(()) => Poll::Ready(None),
            Poll::Pending => accept.as_mut().poll(cx).map(Some),
        })
        .await;
        let stream = match accepted {
            None => break Ok(()),
            Some(Ok((stream, _))) => stream,
            Some(Err(e)) if is_transient(&e) => continue,
            Some(Err(e)) => break Err(e),
        };
        // Small responses go out at once rather than wait for an ACK (Nagle); a failure
        // here only costs latency.
        let _ = stream.set_nodelay(true);
        let conn = builder.serve_connection(CrestIo::new(stream), service.clone()).into_owned();
        let mut watch = drain.watch();
        drop(crest::spawn(async move {
            let mut conn = pin!(conn);
            let mut shutting_down = false;
            // The connection's own error (peer gone, bad request, a panicking service's
            // reset) ends this connection only.
            let _ = poll_fn(|cx| {
                if !shutting_down && watch.poll_draining(cx).is_ready() {
                    shutting_down = true;
                    conn.as_mut().graceful_shutdown();
                }
                conn.as_mut().poll(cx)
            })
            .await;
            drop(watch);
        }));
    };
    drop(listener);
    drain.drain().await;
    result
}

/// Errors after which the listener is still fine: a connection reset while it waited in
/// the queue, or a resource shortage (crest's listener then backs off before the next try).
fn is_transient(e: &io::Error) -> bool {
    matches!(
        e.kind(),
        io::ErrorKind::ConnectionAborted | io::ErrorKind::ConnectionReset | io::ErrorKind::Interrupted
    ) || matches!(
        e.raw_os_error(),
        Some(libc::EMFILE | libc::ENFILE | libc::ENOBUFS | libc::ENOMEM | libc::EPROTO | libc::EPERM)
    )
}
