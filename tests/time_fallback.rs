//! The forced fallback path passes the same timer tests: every check of the other
//! `time_*.rs` files, on a runtime built with `precise_timeouts(false)`, whose driver waits
//! with `epoll_wait` and a timeout rounded *up* to the millisecond instead of
//! `epoll_pwait2`. Timers are coarser there, never early, and still all fire.

mod time_util;

use time_util::on;

const PRECISE: bool = false;

#[test]
fn sleep_lasts_at_least_its_duration() -> std::io::Result<()> {
    on(PRECISE, time_util::sleep_lasts_at_least_its_duration)
}

#[test]
fn timeout_elapses_or_gives_the_value() -> std::io::Result<()> {
    on(PRECISE, time_util::timeout_elapses_or_gives_the_value)
}

#[test]
fn interval_ticks_a_period_apart() -> std::io::Result<()> {
    on(PRECISE, time_util::interval_ticks_a_period_apart)
}

#[test]
fn interval_missed_ticks() -> std::io::Result<()> {
    on(PRECISE, time_util::interval_missed_ticks)
}

#[test]
fn sleeps_finish_in_deadline_order() -> std::io::Result<()> {
    on(PRECISE, time_util::sleeps_finish_in_deadline_order)
}

#[test]
fn many_sleeps_all_complete() -> std::io::Result<()> {
    on(PRECISE, time_util::many_sleeps_all_complete)
}

#[test]
fn dropping_a_sleep_cancels_it() -> std::io::Result<()> {
    on(PRECISE, time_util::dropping_a_sleep_cancels_it)
}

#[test]
fn reset_moves_a_pending_sleep() -> std::io::Result<()> {
    on(PRECISE, time_util::reset_moves_a_pending_sleep)
}

#[test]
fn sleep_from_another_thread_wakes_the_driver() -> std::io::Result<()> {
    on(PRECISE, time_util::sleep_from_another_thread_wakes_the_driver)
}
