//! `#[crest::test(start_paused = true)]`: the body starts with the clock paused, so a
//! day-long sleep finishes at once.
use std::time::{Duration, Instant};

#[crest::test(start_paused = true)]
async fn a_day_long_sleep_finishes_at_once() {
    let real = Instant::now();
    let start = crest::time::now();
    crest::time::sleep(Duration::from_secs(86_400)).await;
    assert_eq!(crest::time::now() - start, Duration::from_secs(86_400));
    assert!(real.elapsed() < Duration::from_secs(10));
}

#[crest::test(flavor = "current_thread", start_paused = true)]
async fn advance_works_from_the_first_line() {
    let start = crest::time::now();
    crest::time::advance(Duration::from_secs(2)).await;
    assert_eq!(crest::time::now() - start, Duration::from_secs(2));
}

#[crest::test(start_paused = false)]
async fn start_paused_false_leaves_the_clock_running() {
    let start = crest::time::now();
    std::thread::sleep(Duration::from_millis(2));
    assert!(crest::time::now() > start);
}
