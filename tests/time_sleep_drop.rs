//! Dropping a `Sleep` (polled, or pending inside a `Timeout`, or never polled) removes it
//! from the timers at once, and the timers let go of its waker then.
//!
//! The check lives in `time_util`, so that `time_fallback.rs` runs it on the fallback too.

mod time_util;

#[test]
fn dropping_a_sleep_cancels_it() -> std::io::Result<()> {
    time_util::on(true, time_util::dropping_a_sleep_cancels_it)
}
