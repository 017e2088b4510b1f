//! The timer checks, each one behaviour, shared by the `tests/time_*.rs` files: each file
//! runs its check on a default current-thread runtime, and `time_fallback.rs` runs all of
//! them again with `precise_timeouts(false)` (the `epoll_wait` millisecond fallback).
//!
//! No check asserts a tight timing: only lower bounds ("not before the deadline") and
//! orderings. Every check runs under a watchdog thread (`util::with_timeout`) that does not
//! depend on crest's timers, so a lost wakeup fails instead of hanging.
#![allow(dead_code)]

use std::future::Future;
use std::io;
use std::pin::pin;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::task::{Context, Poll, Wake, Waker};
use std::time::{Duration, Instant};

use crest::time::{
    debug_pending_timers, interval, interval_at, sleep, sleep_until, timeout, Elapsed, MissedTickBehavior,
};
use futures_lite::future::poll_once;

#[path = "../util/mod.rs"]
pub mod util;

/// How long any one check may take before the watchdog fails it.
pub const LIMIT: Duration = Duration::from_secs(60);

/// Runs `check` on a fresh current-thread runtime (`precise`: epoll_pwait2, or the forced
/// epoll_wait fallback) under the watchdog.
pub fn on<F>(precise: bool, check: impl FnOnce() -> F + Send + 'static) -> io::Result<()>
where
    F: Future<Output = io::Result<()>>,
{
    util::with_timeout(LIMIT, move || {
        let rt = crest::runtime::Builder::new_current_thread().precise_timeouts(precise).build()?;
        rt.block_on(check())
    })
}

fn fail(msg: String) -> io::Error {
    io::Error::other(msg)
}

macro_rules! ensure {
    ($cond:expr, $($fmt:tt)+) => {
        if !$cond {
            return Err(fail(format!($($fmt)+)));
        }
    };
}

/// `sleep(d)` and `sleep_until(t)` never complete early (sub-millisecond ones included).
pub async fn sleep_lasts_at_least_its_duration() -> io::Result<()> {
    for d in [Duration::from_millis(50), Duration::from_micros(200), Duration::from_millis(1), Duration::ZERO]
    {
        let start = Instant::now();
        sleep(d).await;
        let took = start.elapsed();
        ensure!(took >= d, "sleep({d:?}) took only {took:?}");
    }
    let deadline = Instant::now() + Duration::from_millis(20);
    sleep_until(deadline).await;
    ensure!(Instant::now() >= deadline, "sleep_until woke before its deadline");
    sleep_until(Instant::now() - Duration::from_millis(5)).await; // in the past: completes
    Ok(())
}

/// `timeout` of a pending future gives `Elapsed` (not before the deadline); of a ready
/// one, or one that finishes in time, its value.
pub async fn timeout_elapses_or_gives_the_value() -> io::Result<()> {
    let start = Instant::now();
    let r = timeout(Duration::from_millis(20), std::future::pending::<()>()).await;
    ensure!(r == Err(Elapsed::new()), "a pending future gave {r:?}");
    ensure!(start.elapsed() >= Duration::from_millis(20), "Elapsed came early: {:?}", start.elapsed());
    ensure!(r.unwrap_err().to_string() == "deadline has elapsed", "Display");

    ensure!(timeout(Duration::from_secs(10), async { 7 }).await == Ok(7), "a ready future");
    ensure!(timeout(Duration::ZERO, async { 8 }).await == Ok(8), "ready beats a zero timeout");
    let later = async {
        sleep(Duration::from_millis(5)).await;
        9
    };
    ensure!(timeout(Duration::from_secs(10), later).await == Ok(9), "a future that finishes in time");
    ensure!(debug_pending_timers() == 0, "a finished timeout left {} timers", debug_pending_timers());
    Ok(())
}

/// `interval`'s first tick completes at once; later ticks are scheduled a period apart and
/// never complete before their instant.
pub async fn interval_ticks_a_period_apart() -> io::Result<()> {
    let period = Duration::from_millis(10);
    let start = Instant::now();
    let mut ticks = interval_at(start, period);
    let first = poll_once(ticks.tick()).await;
    ensure!(first == Some(start), "the first tick did not complete at once: {first:?}");
    for k in 1..=5u32 {
        let at = ticks.tick().await;
        ensure!(at == start + period * k, "tick {k} scheduled at {:?}", at - start);
        ensure!(Instant::now() >= at, "tick {k} completed before its instant");
    }
    // `interval` starts now.
    let mut ticks = interval(Duration::from_micros(300));
    let a = poll_once(ticks.tick()).await.ok_or_else(|| fail("interval's first tick waited".into()))?;
    let b = ticks.tick().await;
    ensure!(b - a == Duration::from_micros(300), "sub-ms period: {:?}", b - a);
    Ok(())
}

/// What an interval does after missing ticks: Burst catches up at once, Delay restarts from
/// now, Skip keeps the schedule and drops the missed ticks.
pub async fn interval_missed_ticks() -> io::Result<()> {
    let period = Duration::from_millis(10);
    let block = Duration::from_millis(35);
    for behavior in [MissedTickBehavior::Burst, MissedTickBehavior::Delay, MissedTickBehavior::Skip] {
        let start = Instant::now();
        let mut ticks = interval_at(start, period);
        ticks.set_missed_tick_behavior(behavior);
        ensure!(ticks.missed_tick_behavior() == behavior, "setter");
        ticks.tick().await; // at `start`
        std::thread::sleep(block); // miss the ticks at 10, 20 and 30
        let woke = Instant::now();
        let t1 = ticks.tick().await; // the tick due at 10, late
        ensure!(t1 == start + period, "{behavior:?}: the late tick is reported at its schedule");
        let t2 = ticks.tick().await;
        match behavior {
            MissedTickBehavior::Burst => {
                ensure!(t2 == start + 2 * period, "Burst: {:?}", t2 - start);
                let t3 = ticks.tick().await;
                ensure!(t3 == start + 3 * period, "Burst: {:?}", t3 - start);
            }
            MissedTickBehavior::Delay => {
                ensure!(t2 >= woke + period, "Delay: next tick {:?} after waking", t2 - woke);
                ensure!(Instant::now() >= t2, "Delay: early");
            }
            MissedTickBehavior::Skip => {
                ensure!(t2 > woke, "Skip: a missed tick was not skipped");
                let n = (t2 - start).as_nanos() / period.as_nanos();
                ensure!(t2 == start + period * n as u32, "Skip: off the schedule: {:?}", t2 - start);
                ensure!(Instant::now() >= t2, "Skip: early");
            }
        }
    }
    Ok(())
}

/// Tasks sleeping 30, 10 and 20 ms finish in the order 10, 20, 30.
pub async fn sleeps_finish_in_deadline_order() -> io::Result<()> {
    let order = Arc::new(Mutex::new(Vec::new()));
    let tasks: Vec<_> = [30u64, 10, 20]
        .into_iter()
        .map(|ms| {
            let order = order.clone();
            crest::spawn(async move {
                sleep(Duration::from_millis(ms)).await;
                order.lock().unwrap().push(ms);
            })
        })
        .collect();
    for t in tasks {
        t.await.map_err(|e| fail(format!("task failed: {e}")))?;
    }
    let order = order.lock().unwrap().clone();
    ensure!(order == [10, 20, 30], "finished in the order {order:?}");
    Ok(())
}

/// 100,000 tasks sleeping random lengths up to 100ms all complete, none early, and the
/// timers are empty afterwards.
pub async fn many_sleeps_all_complete() -> io::Result<()> {
    const N: usize = 100_000;
    let done = Arc::new(AtomicUsize::new(0));
    let early = Arc::new(AtomicUsize::new(0));
    let mut rng = 0x2545_F491_4F6C_DD1D_u64;
    let tasks: Vec<_> = (0..N)
        .map(|_| {
            rng ^= rng << 13;
            rng ^= rng >> 7;
            rng ^= rng << 17;
            let d = Duration::from_nanos(rng % 100_000_000);
            let (done, early) = (done.clone(), early.clone());
            crest::spawn(async move {
                let start = Instant::now();
                sleep(d).await;
                if start.elapsed() < d {
                    early.fetch_add(1, Ordering::Relaxed);
                }
                done.fetch_add(1, Ordering::Relaxed);
            })
        })
        .collect();
    for t in tasks {
        t.await.map_err(|e| fail(format!("task failed: {e}")))?;
    }
    ensure!(done.load(Ordering::Relaxed) == N, "only {} of {N} completed", done.load(Ordering::Relaxed));
    ensure!(early.load(Ordering::Relaxed) == 0, "{} sleeps completed early", early.load(Ordering::Relaxed));
    ensure!(debug_pending_timers() == 0, "{} timers left behind", debug_pending_timers());
    Ok(())
}

/// A waker that counts how many copies of it exist, to see when the timers let go of it.
struct CountingWaker;
impl Wake for CountingWaker {
    fn wake(self: Arc<Self>) {}
}

/// Dropping a `Sleep` (polled, or pending inside a `Timeout`, or never polled) removes it
/// from the timers at once, and the timers let go of its waker then.
pub async fn dropping_a_sleep_cancels_it() -> io::Result<()> {
    ensure!(debug_pending_timers() == 0, "timers not empty at start");
    drop(sleep(Duration::from_secs(3600))); // never polled: never registered
    ensure!(debug_pending_timers() == 0, "an unpolled sleep was registered");
    let counter = Arc::new(CountingWaker);
    let waker = Waker::from(counter.clone());
    let mut cx = Context::from_waker(&waker);
    {
        let mut s = pin!(sleep(Duration::from_secs(3600)));
        ensure!(s.as_mut().poll(&mut cx) == Poll::Pending, "a one-hour sleep completed");
        ensure!(debug_pending_timers() == 1, "a polled sleep is not in the timers");
        ensure!(Arc::strong_count(&counter) == 3, "the timers should hold one waker copy");
    }
    ensure!(debug_pending_timers() == 0, "a dropped sleep stayed in the timers");
    ensure!(Arc::strong_count(&counter) == 2, "the dropped sleep's waker was kept");

    // Many at once, dropped in a scrambled order.
    let mut sleeps: Vec<_> = (0..1_000u64)
        .map(|i| Box::pin(sleep(Duration::from_secs(1) + Duration::from_micros(i * 7_919 % 5_000_000))))
        .collect();
    for s in &mut sleeps {
        ensure!(s.as_mut().poll(&mut cx) == Poll::Pending, "completed early");
    }
    ensure!(debug_pending_timers() == 1_000, "{} of 1000 registered", debug_pending_timers());
    let mut i = 0;
    while !sleeps.is_empty() {
        i = (i + 7919) % sleeps.len();
        drop(sleeps.swap_remove(i));
    }
    ensure!(debug_pending_timers() == 0, "{} left after dropping all", debug_pending_timers());

    // A timeout whose future wins drops its sleep with it.
    let r = timeout(Duration::from_secs(3600), sleep(Duration::from_millis(1))).await;
    ensure!(r.is_ok(), "the inner sleep should win");
    ensure!(debug_pending_timers() == 0, "the timeout's sleep stayed");
    ensure!(Arc::strong_count(&counter) == 2, "a waker leaked");
    Ok(())
}

/// `Sleep::reset` moves a pending sleep earlier and later, and re-arms a completed one.
pub async fn reset_moves_a_pending_sleep() -> io::Result<()> {
    // Earlier: a one-hour sleep, polled (registered), moved to 20ms from now.
    let start = Instant::now();
    let mut s = pin!(sleep(Duration::from_secs(3600)));
    ensure!(poll_once(s.as_mut()).await.is_none(), "a one-hour sleep completed");
    let new = start + Duration::from_millis(20);
    s.as_mut().reset(new);
    ensure!(s.deadline() == new, "deadline() after reset");
    s.as_mut().await;
    ensure!(Instant::now() >= new, "completed before the new deadline");
    ensure!(s.is_elapsed(), "is_elapsed after completion");

    // Later: a 10ms sleep moved to 60ms.
    let start = Instant::now();
    let mut s = pin!(sleep(Duration::from_millis(10)));
    ensure!(poll_once(s.as_mut()).await.is_none(), "a 10ms sleep completed at once");
    s.as_mut().reset(start + Duration::from_millis(60));
    ensure!(!s.is_elapsed(), "is_elapsed before the deadline");
    s.as_mut().await;
    let took = start.elapsed();
    ensure!(took >= Duration::from_millis(60), "completed at the old deadline: {took:?}");

    // A completed sleep, reset, is pending again until its new deadline.
    let again = Instant::now() + Duration::from_millis(15);
    s.as_mut().reset(again);
    ensure!(poll_once(s.as_mut()).await.is_none(), "a reset sleep stayed complete");
    s.as_mut().await;
    ensure!(Instant::now() >= again, "re-armed sleep completed early");

    // Reset into the past: completes.
    s.as_mut().reset(Instant::now() - Duration::from_millis(1));
    s.as_mut().await;
    // Reset of a never-polled sleep only moves its deadline.
    let mut s = pin!(sleep(Duration::from_secs(3600)));
    let soon = Instant::now() + Duration::from_millis(5);
    s.as_mut().reset(soon);
    s.as_mut().await;
    ensure!(Instant::now() >= soon, "never-polled reset sleep completed early");
    ensure!(debug_pending_timers() == 0, "{} timers left behind", debug_pending_timers());
    Ok(())
}

/// A sleep created in the runtime but polled on a thread outside it (by a plain executor)
/// while the runtime's own thread is parked in the driver with no timer: registering must
/// interrupt that wait, or the sleep would never fire.
pub async fn sleep_from_another_thread_wakes_the_driver() -> io::Result<()> {
    let s = sleep(Duration::from_millis(30));
    let start = Instant::now();
    let outside = std::thread::spawn(move || {
        futures_lite::future::block_on(s);
        start.elapsed()
    });
    // This thread drives the runtime meanwhile, parked with no timer of its own.
    let took = crest::task::spawn_blocking(move || outside.join())
        .await
        .map_err(|e| fail(format!("spawn_blocking: {e}")))?
        .map_err(|_| fail("the outside thread panicked".into()))?;
    ensure!(took >= Duration::from_millis(30), "slept only {took:?}");
    Ok(())
}
