//! [`Sleep`]: the future behind [`sleep`] and [`sleep_until`], carrying its own timer entry.

use std::fmt;
use std::future::Future;
use std::pin::Pin;
use std::sync::Arc;
use std::task::{Context, Poll};
use std::time::{Duration, Instant};

use pin_project_lite::pin_project;

use crate::driver;
use crate::driver::timer::{Entry, Registered};
use crate::runtime::scheduler::context;

/// Waits until `duration` has elapsed.
///
/// The sleep starts when `sleep` is called, not when the future is first polled. Deadlines
/// are kept to the nanosecond; how close to it the task wakes depends on the kernel (see
/// the runtime builder's `timer_slack` and `precise_timeouts`). A sleep never completes
/// before its deadline. `sleep(Duration::MAX)` is a sleep that never ends in practice.
///
/// ```
/// use std::time::{Duration, Instant};
///
/// crest::block_on(async {
///     let start = Instant::now();
///     crest::time::sleep(Duration::from_micros(200)).await;
///     assert!(start.elapsed() >= Duration::from_micros(200));
/// });
/// ```
///
/// # Panics
/// Outside a crest runtime: a timer belongs to the runtime it is created in. Polling the
/// `Sleep` after that runtime has shut down panics too (it could never complete).
pub fn sleep(duration: Duration) -> Sleep {
    let handle = context::current_driver();
    let now = handle.clock.now();
    let deadline = now.checked_add(duration).unwrap_or_else(|| far_future(now));
    Sleep::new(handle, deadline)
}

/// Waits until `deadline`. A deadline in the past completes at the first poll.
///
/// ```
/// use std::time::{Duration, Instant};
///
/// crest::block_on(async {
///     let deadline = Instant::now() + Duration::from_millis(1);
///     crest::time::sleep_until(deadline).await;
///     assert!(Instant::now() >= deadline);
/// });
/// ```
///
/// # Panics
/// Outside a crest runtime.
pub fn sleep_until(deadline: Instant) -> Sleep {
    Sleep::new(context::current_driver(), deadline)
}

/// An instant that no timer reaches in practice (about 30 years out), for durations that
/// overflow `Instant`.
pub(crate) fn far_future(now: Instant) -> Instant {
    now + Duration::from_secs(86_400 * 365 * 30)
}

pin_project! {
    /// A future that completes at its deadline; made by [`sleep`] and [`sleep_until`].
    ///
    /// It is registered with the runtime's timers when first polled, and dropping it
    /// removes it from them at once (its waker is let go then, not at the deadline).
    /// `Sleep` is `!Unpin` because the timers point into it: to poll it by hand, pin it
    /// (`std::pin::pin!`, or `Box::pin` to keep it in a struct).
    ///
    /// ```
    /// use std::time::{Duration, Instant};
    ///
    /// crest::block_on(async {
    ///     let sleep = crest::time::sleep(Duration::from_secs(3600));
    ///     let mut sleep = std::pin::pin!(sleep);
    ///     // Changed our mind: wake in 1ms instead.
    ///     sleep.as_mut().reset(Instant::now() + Duration::from_millis(1));
    ///     sleep.as_mut().await;
    ///     assert!(sleep.is_elapsed());
    /// });
    /// ```
    #[must_use = "futures do nothing unless you `.await` or poll them"]
    pub struct Sleep {
        handle: Arc<driver::Handle>,
        deadline: Instant,
        // True from the first `register` until a `deregister` (or a reset that leaves the
        // entry unlinked): the timers may hold a pointer to `entry`, or have fired it.
        // While false, the entry is unlinked and its fired flag is clear.
        registered: bool,
        #[pin]
        entry: Entry,
    }

    impl PinnedDrop for Sleep {
        fn drop(this: Pin<&mut Self>) {
            let this = this.project();
            // A fired entry is unlinked and the driver is done with it (`Entry::is_fired`):
            // no need for the lock.
            if *this.registered && !this.entry.is_fired() {
                this.handle.timers.deregister(this.entry.as_ref());
            }
        }
    }
}

impl Sleep {
    pub(crate) fn new(handle: Arc<driver::Handle>, deadline: Instant) -> Sleep {
        Sleep { handle, deadline, registered: false, entry: Entry::new() }
    }

    /// Its runtime's clock (`time::now()` without the thread-local lookup).
    pub(crate) fn clock_now(&self) -> Instant {
        self.handle.clock.now()
    }

    /// The instant at which this sleep completes.
    pub fn deadline(&self) -> Instant {
        self.deadline
    }

    /// True when the deadline has passed (whether or not the sleep was polled since).
    pub fn is_elapsed(&self) -> bool {
        self.entry.is_fired() || self.handle.clock.now() >= self.deadline
    }

    /// Moves the deadline, earlier or later, whether or not the sleep has completed: the
    /// future is pending again until the new deadline. A task already waiting on it is
    /// woken at the new deadline without polling it again (at once when it has passed).
    pub fn reset(self: Pin<&mut Self>, deadline: Instant) {
        let this = self.project();
        *this.deadline = deadline;
        if !*this.registered {
            return;
        }
        match this.handle.timers.reset(this.entry.as_ref(), deadline) {
            Registered::Armed { unpark } => {
                if unpark {
                    this.handle.unpark();
                }
            }
            Registered::Fired | Registered::Shutdown => *this.registered = false,
        }
    }
}

impl Future for Sleep {
    type Output = ();

    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<()> {
        let this = self.project();
        let entry = this.entry.as_ref();
        if *this.registered && entry.is_fired() {
            return Poll::Ready(());
        }
        // The clock, not only the driver, decides: a deadline that passed before the first
        // poll (an interval's first tick, a busy task) or while the driver had not yet
        // processed it completes now rather than one driver turn later.
        if this.handle.clock.now() >= *this.deadline {
            if *this.registered {
                this.handle.timers.deregister(entry);
                *this.registered = false;
            }
            return Poll::Ready(());
        }
        match this.handle.timers.register(entry, *this.deadline, cx.waker()) {
            Registered::Armed { unpark } => {
                *this.registered = true;
                if unpark {
                    this.handle.unpark();
                }
                Poll::Pending
            }
            Registered::Fired => Poll::Ready(()),
            // Nobody would ever fire it: a clear panic beats a hang (tokio panics too).
            Registered::Shutdown => panic!(
                "a crest::time::Sleep was polled after its runtime shut down: timers only fire \
                 while the runtime that created them runs; await them inside it"
            ),
        }
    }
}

impl fmt::Debug for Sleep {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Sleep")
            .field("deadline", &self.deadline)
            .field("registered", &self.registered)
            .finish()
    }
}
