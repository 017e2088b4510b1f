//! `interval`'s first tick completes at once; later ticks are scheduled a period apart and
//! never complete before their instant.
//!
//! The check lives in `time_util`, so that `time_fallback.rs` runs it on the fallback too.

mod time_util;

#[test]
fn interval_ticks_a_period_apart() -> std::io::Result<()> {
    time_util::on(true, time_util::interval_ticks_a_period_apart)
}
