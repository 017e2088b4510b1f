//! `Sleep::reset` moves a pending sleep earlier and later, and re-arms a completed one.
//!
//! The check lives in `time_util`, so that `time_fallback.rs` runs it on the fallback too.

mod time_util;

#[test]
fn reset_moves_a_pending_sleep() -> std::io::Result<()> {
    time_util::on(true, time_util::reset_moves_a_pending_sleep)
}
