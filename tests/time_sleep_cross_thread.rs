//! A sleep created in the runtime but polled on a thread outside it (by a plain executor)
//! while the runtime's own thread is parked in the driver with no timer: registering must
//! interrupt that wait, or the sleep would never fire.
//!
//! The check lives in `time_util`, so that `time_fallback.rs` runs it on the fallback too.

mod time_util;

#[test]
fn sleep_from_another_thread_wakes_the_driver() -> std::io::Result<()> {
    time_util::on(true, time_util::sleep_from_another_thread_wakes_the_driver)
}
