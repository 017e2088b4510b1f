//! `sleep(d)` and `sleep_until(t)` never complete early (sub-millisecond ones included).
//!
//! The check lives in `time_util`, so that `time_fallback.rs` runs it on the fallback too.

mod time_util;

#[test]
fn sleep_lasts_at_least_its_duration() -> std::io::Result<()> {
    time_util::on(true, time_util::sleep_lasts_at_least_its_duration)
}
