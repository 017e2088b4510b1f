//! What an interval does after missing ticks: Burst catches up at once, Delay restarts from
//! now, Skip keeps the schedule and drops the missed ticks.
//!
//! The check lives in `time_util`, so that `time_fallback.rs` runs it on the fallback too.

mod time_util;

#[test]
fn interval_missed_ticks() -> std::io::Result<()> {
    time_util::on(true, time_util::interval_missed_ticks)
}
