//! [`Timeout`]: a future raced against a [`Sleep`], and the [`Elapsed`] error it gives.

use std::error::Error;
use std::fmt;
use std::future::Future;
use std::pin::Pin;
use std::task::{Context, Poll};
use std::time::{Duration, Instant};

use pin_project_lite::pin_project;

use super::sleep::{far_future, sleep_until, Sleep};

/// Runs `future` for at most `duration`: `Ok` with its output if it completes first,
/// `Err(Elapsed)` otherwise (and `future` is dropped with the `Timeout`).
///
/// The future is polled before the timer is checked, so a future that is ready at once
/// gives its value even with a zero duration.
///
/// ```
/// use std::time::Duration;
/// use crest::time::{timeout, Elapsed};
///
/// crest::block_on(async {
///     let never = std::future::pending::<()>();
///     assert_eq!(timeout(Duration::from_millis(1), never).await, Err(Elapsed::new()));
///     assert_eq!(timeout(Duration::from_millis(1), async { 7 }).await, Ok(7));
/// });
/// ```
///
/// # Panics
/// Outside a crest runtime.
pub fn timeout<F: Future>(duration: Duration, future: F) -> Timeout<F> {
    let now = super::now();
    timeout_at(now.checked_add(duration).unwrap_or_else(|| far_future(now)), future)
}

/// Runs `future` until `deadline` at most; see [`timeout`].
///
/// # Panics
/// Outside a crest runtime.
pub fn timeout_at<F: Future>(deadline: Instant, future: F) -> Timeout<F> {
    Timeout { value: future, delay: sleep_until(deadline) }
}

pin_project! {
    /// The future returned by [`timeout`] and [`timeout_at`].
    #[must_use = "futures do nothing unless you `.await` or poll them"]
    #[derive(Debug)]
    pub struct Timeout<F> {
        #[pin]
        value: F,
        #[pin]
        delay: Sleep,
    }
}

impl<F> Timeout<F> {
    /// The inner future.
    pub fn get_ref(&self) -> &F {
        &self.value
    }

    /// The inner future, mutably.
    pub fn get_mut(&mut self) -> &mut F {
        &mut self.value
    }

    /// Drops the timer and returns the inner future.
    pub fn into_inner(self) -> F {
        self.value
    }

    /// The instant at which the timeout elapses.
    pub fn deadline(&self) -> Instant {
        self.delay.deadline()
    }
}

impl<F: Future> Future for Timeout<F> {
    type Output = Result<F::Output, Elapsed>;

    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Self::Output> {
        let this = self.project();
        if let Poll::Ready(v) = this.value.poll(cx) {
            return Poll::Ready(Ok(v));
        }
        this.delay.poll(cx).map(|()| Err(Elapsed::new()))
    }
}

/// The error of a [`Timeout`] whose deadline passed before its future completed.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct Elapsed(());

impl Elapsed {
    /// The (only) `Elapsed` value.
    pub const fn new() -> Elapsed {
        Elapsed(())
    }
}

impl fmt::Display for Elapsed {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("deadline has elapsed")
    }
}

impl Error for Elapsed {}

impl From<Elapsed> for std::io::Error {
    fn from(_: Elapsed) -> std::io::Error {
        std::io::ErrorKind::TimedOut.into()
    }
}
