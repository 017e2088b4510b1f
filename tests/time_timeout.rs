//! `timeout` of a pending future gives `Elapsed` (not before the deadline); of a ready
//! one, or one that finishes in time, its value.
//!
//! The check lives in `time_util`, so that `time_fallback.rs` runs it on the fallback too.

mod time_util;

#[test]
fn timeout_elapses_or_gives_the_value() -> std::io::Result<()> {
    time_util::on(true, time_util::timeout_elapses_or_gives_the_value)
}
