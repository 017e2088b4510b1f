//! 100,000 tasks sleeping random lengths up to 100ms all complete, none early, and the
//! timers are empty afterwards.
//!
//! The check lives in `time_util`, so that `time_fallback.rs` runs it on the fallback too.

mod time_util;

#[test]
fn many_sleeps_all_complete() -> std::io::Result<()> {
    time_util::on(true, time_util::many_sleeps_all_complete)
}
