//! `CrestTimer`: hyper's `Timer` on crest's timers (header-read timeouts, HTTP/2
//! keep-alive pings).
//!
//! Owns the boxed sleep hyper holds; must not block.

use std::future::Future;
use std::pin::Pin;
use std::task::{Context, Poll};
use std::time::{Duration, Instant};

/// hyper's timer on crest's sub-millisecond timers.
///
/// [`reset`](hyper::rt::Timer::reset) moves the existing sleep to its new deadline in
/// place (crest's `Sleep::reset`), so the HTTP/1 header-read timeout that hyper re-arms
/// for every request allocates nothing after the first.
///
/// ```
/// use std::time::Duration;
/// use hyper::rt::Timer;
///
/// crest::block_on(async {
///     let start = std::time::Instant::now();
///     crest_hyper::CrestTimer.sleep(Duration::from_millis(2)).await;
///     assert!(start.elapsed() >= Duration::from_millis(2));
/// });
/// ```
#[derive(Clone, Copy, Default, Debug)]
pub struct CrestTimer;

/// The sleep handed to hyper: crest's `Sleep`, which is `Send + Sync`.
struct CrestSleep(crest::time::Sleep);

impl CrestSleep {
    fn inner(self: Pin<&mut Self>) -> Pin<&mut crest::time::Sleep> {
        // SAFETY: structural pinning of the only field: `CrestSleep` never moves it out,
        // has no `Drop`, and is `Unpin` only if `Sleep` is.
        unsafe { self.map_unchecked_mut(|s| &mut s.0) }
    }
}

impl Future for CrestSleep {
    type Output = ();

    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<()> {
        self.inner().poll(cx)
    }
}

impl hyper::rt::Sleep for CrestSleep {}

impl hyper::rt::Timer for CrestTimer {
    fn sleep(&self, duration: Duration) -> Pin<Box<dyn hyper::rt::Sleep>> {
        Box::pin(CrestSleep(crest::time::sleep(duration)))
    }

    fn sleep_until(&self, deadline: Instant) -> Pin<Box<dyn hyper::rt::Sleep>> {
        Box::pin(CrestSleep(crest::time::sleep_until(deadline)))
    }

    /// The runtime's clock, so that hyper's deadlines and crest's timers agree on a paused
    /// (test) clock too.
    fn now(&self) -> Instant {
        crest::time::now()
    }

    fn reset(&self, sleep: &mut Pin<Box<dyn hyper::rt::Sleep>>, new_deadline: Instant) {
        match sleep.as_mut().downcast_mut_pin::<CrestSleep>() {
            Some(ours) => ours.inner().reset(new_deadline),
            None => *sleep = self.sleep_until(new_deadline),
        }
    }
}

#[cfg(test)]
mod tests {
    use std::time::Duration;

    use hyper::rt::Timer;

    use super::CrestTimer;

    #[crest::test(start_paused = true)]
    async fn now_is_the_runtime_clock() {
        let before = CrestTimer.now();
        crest::time::advance(Duration::from_secs(3600)).await;
        assert_eq!(CrestTimer.now(), crest::time::now());
        assert_eq!(CrestTimer.now() - before, Duration::from_secs(3600));
    }
}
