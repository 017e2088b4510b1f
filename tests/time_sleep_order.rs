//! Tasks sleeping 30, 10 and 20 ms finish in the order 10, 20, 30.
//!
//! The check lives in `time_util`, so that `time_fallback.rs` runs it on the fallback too.

mod time_util;

#[test]
fn sleeps_finish_in_deadline_order() -> std::io::Result<()> {
    time_util::on(true, time_util::sleeps_finish_in_deadline_order)
}
