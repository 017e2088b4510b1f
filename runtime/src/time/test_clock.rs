//! The public face of the test clock: `pause`, `resume`, `advance`, `now`.
//!
//! Checks that the caller is on a current-thread runtime, then hands the work to the
//! driver's `Clock` (`driver/timer/clock.rs`); `advance` fires the timers it passes itself.

use std::time::{Duration, Instant};

use crate::runtime::scheduler;
use crate::runtime::scheduler::context;

/// The runtime's clock: `Instant::now()`, unless the clock is paused (or was moved ahead by
/// [`advance`]). Outside a runtime, `Instant::now()`.
///
/// ```
/// crest::block_on(async {
///     let before = crest::time::now();
///     crest::time::sleep(std::time::Duration::from_millis(1)).await;
///     assert!(crest::time::now() > before);
/// });
/// ```
pub fn now() -> Instant {
    match context::try_current() {
        Some(handle) => handle.driver().clock.now(),
        None => Instant::now(),
    }
}

fn current_thread_driver(what: &str) -> std::sync::Arc<crate::driver::Handle> {
    match context::try_current() {
        Some(handle @ scheduler::Handle::CurrentThread(_)) => handle.driver().clone(),
        Some(scheduler::Handle::MultiThread(_)) => panic!(
            "crest::time::{what} works on current-thread runtimes only (the test clock is \
             tokio's test-util): use #[crest::test] (current-thread by default), \
             crest::block_on, or Builder::new_current_thread()"
        ),
        None => panic!(
            "crest::time::{what} called outside a crest runtime: call it inside \
             #[crest::test] or crest::block_on"
        ),
    }
}

/// Stops the runtime's clock: [`now`] stands still, and every timer measures against it.
/// When every task is idle, the clock jumps to the next timer at once, so a test of an
/// hour-long timeout takes microseconds.
///
/// ```
/// use std::time::Duration;
///
/// crest::block_on(async {
///     crest::time::pause();
///     let start = std::time::Instant::now();
///     crest::time::sleep(Duration::from_secs(3600)).await; // jumps at once
///     assert!(start.elapsed() < Duration::from_secs(60));
/// });
/// ```
///
/// # Panics
/// Outside a current-thread runtime (`#[crest::test]`, `crest::block_on`,
/// `Builder::new_current_thread`), or when the clock is already paused.
#[track_caller]
pub fn pause() {
    current_thread_driver("pause").clock.pause();
}

/// Lets a paused clock run again, from where it stands.
///
/// # Panics
/// Outside a current-thread runtime, or when the clock is not paused.
#[track_caller]
pub fn resume() {
    current_thread_driver("resume").clock.resume();
}

/// Moves a paused clock forward by `d` and wakes every timer whose deadline is at or
/// before the new [`now`]; then yields, so that the woken tasks run before this returns.
///
/// ```
/// use std::time::Duration;
///
/// crest::block_on(async {
///     crest::time::pause();
///     let start = crest::time::now();
///     crest::time::advance(Duration::from_secs(5)).await;
///     assert_eq!(crest::time::now() - start, Duration::from_secs(5));
/// });
/// ```
///
/// # Panics
/// Outside a current-thread runtime, or when the clock is not paused.
pub async fn advance(d: Duration) {
    let driver = current_thread_driver("advance");
    let now = driver.clock.advance(d);
    driver.timers.process(now);
    crate::task::yield_now().await;
}
