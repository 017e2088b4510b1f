//! `CrestExecutor`: hyper's `Executor`, spawning onto the current crest runtime.
//!
//! Owns nothing; it must not block or keep the `JoinHandle` (hyper's background tasks are
//! detached: they end with their connection).

use std::future::Future;

/// Runs the tasks hyper spawns (one per HTTP/2 stream, and client connection tasks) with
/// [`crest::spawn`].
///
/// ```no_run
/// use crest_hyper::{CrestExecutor, CrestIo};
///
/// # async fn f() -> Result<(), Box<dyn std::error::Error>> {
/// let stream = crest::net::TcpStream::connect("127.0.0.1:3000").await?;
/// let (mut sender, conn) =
///     hyper::client::conn::http2::handshake::<_, _, http_body_util::Empty<hyper::body::Bytes>>(
///         CrestExecutor,
///         CrestIo::new(stream),
///     )
///     .await?;
/// crest::spawn(conn);
/// let response = sender.send_request(hyper::Request::new(http_body_util::Empty::new())).await?;
/// # let _ = response; Ok(()) }
/// ```
///
/// # Panics
/// `execute` panics outside a crest runtime, as `crest::spawn` does.
#[derive(Clone, Copy, Default, Debug)]
pub struct CrestExecutor;

impl<F> hyper::rt::Executor<F> for CrestExecutor
where
    F: Future + Send + 'static,
    F::Output: Send + 'static,
{
    fn execute(&self, fut: F) {
        // Dropping the JoinHandle detaches the task.
        drop(crest::spawn(fut));
    }
}
