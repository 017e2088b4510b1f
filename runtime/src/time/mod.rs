//! Timers: [`sleep`], [`timeout`] and [`interval`], to the nanosecond.
//!
//! This module owns the futures users hold ([`Sleep`], [`Timeout`], [`Interval`]) and the
//! test clock ([`pause`], [`resume`], [`advance`], [`now`]). The structure the driver
//! consults around each wait (`Timers`, a hierarchical timing wheel) lives below, in
//! `driver/timer/`, with its design notes (`driver/timer/DESIGN.md`). Each `Sleep` carries
//! its own wheel entry, so a timer costs no allocation; inserting and cancelling one is
//! O(1); dropping a `Sleep` unlinks it at once.
//!
//! Deadlines are kept exactly: the wheel's finest slots are one nanosecond wide. How close
//! to its deadline a task wakes is up to the driver's wait, which sleeps until the
//! earliest deadline with `epoll_pwait2` (nanoseconds; Linux 5.11+) or, as a fallback,
//! `epoll_wait` with the timeout rounded *up* to the millisecond. A timer never fires
//! before its deadline.
//!
//! What this module does not do: wait, or touch the wheel except through the driver's
//! handle. The driver calls `Timers::next_deadline` before it waits and `Timers::process`
//! after.
//!
//! ```
//! use std::time::Duration;
//! use crest::time::{interval, sleep, timeout};
//!
//! crest::block_on(async {
//!     sleep(Duration::from_micros(100)).await;
//!     let slow = sleep(Duration::from_secs(60));
//!     assert!(timeout(Duration::from_millis(1), slow).await.is_err());
//!     let mut ticks = interval(Duration::from_micros(500));
//!     ticks.tick().await; // the first tick completes at once
//!     ticks.tick().await;
//! });
//! ```

mod interval;
mod sleep;
mod test_clock;
mod timeout;

pub use interval::{interval, interval_at, Interval, MissedTickBehavior};
pub use sleep::{sleep, sleep_until, Sleep};
pub use std::time::Instant;
pub use test_clock::{advance, now, pause, resume};
pub use timeout::{timeout, timeout_at, Elapsed, Timeout};

/// How many timers the current runtime holds: sleeps that were polled and neither
/// completed nor dropped. A test hook (not part of the API): tests use it to show that a
/// dropped `Sleep` leaves nothing behind.
///
/// # Panics
/// Outside a crest runtime.
#[doc(hidden)]
pub fn debug_pending_timers() -> usize {
    crate::runtime::scheduler::context::current_driver().timers.len()
}

#[cfg(test)]
mod tests {
    fn assert_send_sync<T: Send + Sync>() {}

    #[test]
    fn public_types_are_send_and_sync() {
        assert_send_sync::<super::Sleep>();
        assert_send_sync::<super::Timeout<std::future::Ready<()>>>();
        assert_send_sync::<super::Interval>();
        assert_send_sync::<super::Elapsed>();
        assert_send_sync::<crate::driver::timer::Timers>();
    }
}
