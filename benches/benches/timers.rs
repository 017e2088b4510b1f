//! Timers, crest and tokio side by side in one run (`cargo bench -p crest-benches --bench
//! timers`); both on a current-thread runtime, the same work, the same random durations.
//!
//! 1. **insert + cancel**: 1,000,000 sleeps of random lengths (1s..60s) created, polled once
//!    (which registers them) and dropped (which cancels them); ns per timer for each phase.
//! 2. **concurrent sleeps**: 100,000 tasks each sleeping a random 0..10ms; the wall time until
//!    all have completed (at least 10ms whatever the runtime).
//! 3. **precision**: how late `sleep(d)` completes, for d in {50µs, 200µs, 1ms, 10ms}: the
//!    median and 99th percentile of the overshoot. crest with `epoll_pwait2` (its default),
//!    crest forced onto the `epoll_wait` millisecond fallback, tokio, and the kernel's floor
//!    (a bare `epoll_pwait2` with the same timeout on the same thread).
//!
//! Ratios are crest / tokio: below 1 means crest takes less time (or overshoots less).
//! Each timing is the median of several rounds. `CREST_BENCH_QUICK=1` runs fewer rounds and
//! samples (a smoke test).

use std::future::Future;
use std::pin::Pin;
use std::sync::Arc;
use std::task::{Context, Wake, Waker};
use std::time::{Duration, Instant};

struct Noop;
impl Wake for Noop {
    fn wake(self: Arc<Self>) {}
}

fn quick() -> bool {
    std::env::var_os("CREST_BENCH_QUICK").is_some_and(|v| v != "0")
}

fn crest_rt(precise: bool) -> crest::runtime::Runtime {
    crest::runtime::Builder::new_current_thread().precise_timeouts(precise).build().expect("crest runtime")
}

fn tokio_rt() -> tokio::runtime::Runtime {
    tokio::runtime::Builder::new_current_thread().enable_time().build().expect("tokio runtime")
}

/// xorshift64: the same pseudo-random durations for both runtimes.
fn durations(n: usize, min: Duration, max: Duration, seed: u64) -> Vec<Duration> {
    let mut x = seed;
    let span = (max - min).as_nanos() as u64;
    (0..n)
        .map(|_| {
            x ^= x << 13;
            x ^= x >> 7;
            x ^= x << 17;
            min + Duration::from_nanos(x % span.max(1))
        })
        .collect()
}

fn median(v: &mut [Duration]) -> Duration {
    v.sort_unstable();
    v[v.len() / 2]
}

fn percentile(sorted: &[Duration], p: f64) -> Duration {
    let i = ((sorted.len() as f64 * p).ceil() as usize).clamp(1, sorted.len()) - 1;
    sorted[i]
}

fn ratio(a: Duration, b: Duration) -> String {
    if b.is_zero() {
        return "-".into();
    }
    format!("{:.2}", a.as_secs_f64() / b.as_secs_f64())
}

fn per(d: Duration, n: usize) -> Duration {
    d / n as u32
}

fn fmt(d: Duration) -> String {
    let ns = d.as_nanos();
    if ns < 10_000 {
        format!("{ns}ns")
    } else if ns < 10_000_000 {
        format!("{:.1}µs", ns as f64 / 1e3)
    } else {
        format!("{:.2}ms", ns as f64 / 1e6)
    }
}

/// Create, register (first poll) and cancel (drop) `ds.len()` sleeps; the three phases.
fn insert_cancel_round<S: Future>(ds: &[Duration], make: impl Fn(Duration) -> S) -> [Duration; 3] {
    let waker = Waker::from(Arc::new(Noop));
    let mut cx = Context::from_waker(&waker);
    let t = Instant::now();
    let mut sleeps: Vec<Pin<Box<S>>> = ds.iter().map(|&d| Box::pin(make(d))).collect();
    let create = t.elapsed();
    let t = Instant::now();
    for s in &mut sleeps {
        assert!(s.as_mut().poll(&mut cx).is_pending());
    }
    let insert = t.elapsed();
    let t = Instant::now();
    drop(sleeps);
    let cancel = t.elapsed();
    [create, insert, cancel]
}

fn insert_cancel() {
    let n = if quick() { 100_000 } else { 1_000_000 };
    let rounds = if quick() { 2 } else { 7 };
    let ds = durations(n, Duration::from_secs(1), Duration::from_secs(60), 0x9E37_79B9_7F4A_7C15);
    let crest = crest_rt(true);
    let tokio = tokio_rt();
    let mut c: [Vec<Duration>; 3] = Default::default();
    let mut t: [Vec<Duration>; 3] = Default::default();
    for _ in 0..rounds {
        let r = crest.block_on(async { insert_cancel_round(&ds, crest::time::sleep) });
        r.iter().zip(&mut c).for_each(|(d, v)| v.push(*d));
        let r = tokio.block_on(async { insert_cancel_round(&ds, tokio::time::sleep) });
        r.iter().zip(&mut t).for_each(|(d, v)| v.push(*d));
    }
    println!("## {n} timers inserted then cancelled (ns per timer, median of {rounds} rounds)\n");
    println!("| phase | crest | tokio | crest/tokio |");
    println!("| --- | ---: | ---: | ---: |");
    let mut ct = Duration::ZERO;
    let mut tt = Duration::ZERO;
    for (i, phase) in
        ["create (sleep() + Box::pin)", "insert (first poll)", "cancel (drop)"].iter().enumerate()
    {
        let (cm, tm) = (per(median(&mut c[i]), n), per(median(&mut t[i]), n));
        if i > 0 {
            ct += cm;
            tt += tm;
        }
        println!("| {phase} | {} | {} | {} |", fmt(cm), fmt(tm), ratio(cm, tm));
    }
    println!("| insert + cancel | {} | {} | {} |\n", fmt(ct), fmt(tt), ratio(ct, tt));
}

fn concurrent_sleeps() {
    let n = 100_000;
    let rounds = if quick() { 2 } else { 5 };
    let ds = durations(n, Duration::ZERO, Duration::from_millis(10), 0x2545_F491_4F6C_DD1D);
    let mut c = Vec::new();
    let mut t = Vec::new();
    for _ in 0..rounds {
        let rt = crest_rt(true);
        let ds2 = ds.clone();
        c.push(rt.block_on(async move {
            let start = Instant::now();
            let tasks: Vec<_> = ds2.into_iter().map(|d| crest::spawn(crest::time::sleep(d))).collect();
            for task in tasks {
                task.await.expect("task");
            }
            start.elapsed()
        }));
        let rt = tokio_rt();
        let ds2 = ds.clone();
        t.push(rt.block_on(async move {
            let start = Instant::now();
            let tasks: Vec<_> = ds2.into_iter().map(|d| tokio::spawn(tokio::time::sleep(d))).collect();
            for task in tasks {
                task.await.expect("task");
            }
            start.elapsed()
        }));
    }
    let (cm, tm) = (median(&mut c), median(&mut t));
    println!("## {n} concurrent sleeps (0..10ms) completing: wall time, median of {rounds} rounds\n");
    println!("| | crest | tokio | crest/tokio |");
    println!("| --- | ---: | ---: | ---: |");
    println!("| all complete after | {} | {} | {} |", fmt(cm), fmt(tm), ratio(cm, tm));
    let floor = Duration::from_millis(10);
    let (co, to) = (cm.saturating_sub(floor), tm.saturating_sub(floor));
    println!("| beyond the 10ms floor | {} | {} | {} |\n", fmt(co), fmt(to), ratio(co, to));
}

/// Overshoot samples of `sleep(d)`, sorted.
async fn overshoots<S: Future<Output = ()>>(
    d: Duration,
    n: usize,
    sleep: impl Fn(Duration) -> S,
) -> Vec<Duration> {
    let mut v = Vec::with_capacity(n);
    for _ in 0..n {
        let start = Instant::now();
        sleep(d).await;
        v.push(start.elapsed().saturating_sub(d));
    }
    v.sort_unstable();
    v
}

/// The kernel's own overshoot: a bare `epoll_pwait2` (or `epoll_wait`) with timeout `d` on
/// an empty epoll instance, through `crest::sys::epoll`. Run inside a crest runtime so that
/// the thread has the runtime's timer slack. No runtime can beat this floor.
fn kernel_floor(d: Duration, n: usize, precise: bool) -> Vec<Duration> {
    let mut epoll = crest::sys::epoll::Epoll::new().expect("epoll");
    epoll.set_precise_timeouts(precise);
    let mut events = Vec::with_capacity(1);
    let mut v: Vec<Duration> = (0..n)
        .map(|_| {
            let start = Instant::now();
            epoll.wait(&mut events, Some(d)).expect("epoll_wait");
            start.elapsed().saturating_sub(d)
        })
        .collect();
    v.sort_unstable();
    v
}

fn precision() {
    let cases: [(Duration, usize); 4] = [
        (Duration::from_micros(50), 2_000),
        (Duration::from_micros(200), 2_000),
        (Duration::from_millis(1), 500),
        (Duration::from_millis(10), 100),
    ];
    let div = if quick() { 10 } else { 1 };
    let crest = crest_rt(true);
    let fallback = crest_rt(false);
    let tokio = tokio_rt();
    println!("## precision: overshoot of sleep(d) (how late it completes)\n");
    println!("kernel floor: a bare epoll_pwait2(d) on the same thread, same timer slack.\n");
    println!("| d | samples | crest median | crest p99 | tokio median | tokio p99 | median crest/tokio | p99 crest/tokio | crest fallback median | fallback p99 | kernel floor median | floor p99 |");
    println!("| ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |");
    for (d, n) in cases {
        let n = n / div;
        let c = crest.block_on(overshoots(d, n, crest::time::sleep));
        let t = tokio.block_on(overshoots(d, n, tokio::time::sleep));
        let f = fallback.block_on(overshoots(d, n, crest::time::sleep));
        let k = crest.block_on(async { kernel_floor(d, n, true) });
        let (km, kp) = (percentile(&k, 0.5), percentile(&k, 0.99));
        let (cm, cp) = (percentile(&c, 0.5), percentile(&c, 0.99));
        let (tm, tp) = (percentile(&t, 0.5), percentile(&t, 0.99));
        let (fm, fp) = (percentile(&f, 0.5), percentile(&f, 0.99));
        println!(
            "| {} | {n} | {} | {} | {} | {} | {} | {} | {} | {} | {} | {} |",
            fmt(d),
            fmt(cm),
            fmt(cp),
            fmt(tm),
            fmt(tp),
            ratio(cm, tm),
            ratio(cp, tp),
            fmt(fm),
            fmt(fp),
            fmt(km),
            fmt(kp)
        );
    }
    println!();
}

fn main() {
    // `cargo bench` passes `--bench`; a filter argument picks one benchmark.
    let filter: Vec<String> = std::env::args().skip(1).filter(|a| !a.starts_with("--")).collect();
    let want = |name: &str| filter.is_empty() || filter.iter().any(|f| name.contains(f.as_str()));
    if want("insert_cancel") {
        insert_cancel();
    }
    if want("concurrent") {
        concurrent_sleeps();
    }
    if want("precision") {
        precision();
    }
}
