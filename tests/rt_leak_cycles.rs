//! Creating and dropping runtimes leaks nothing: 1,000 runtimes of each flavor, each with
//! a TCP connection, timers (one fired, one still pending at the drop), a task parked on a
//! socket read at the drop, and blocking tasks, leave the process's open descriptors
//! (`/proc/self/fd`), threads (`/proc/self/task`), heap in use (glibc's `mallinfo2`) and
//! RSS where they were.
//!
//! Tolerances, measured after 50 warm-up cycles (which let malloc make its per-thread
//! arenas and crest fill its per-thread task-cell cache, both bounded):
//! * descriptors and threads: exact (waiting up to 2 s for exiting threads to go);
//! * heap in use: 256 KiB over 1,000 runtimes, i.e. under 300 bytes a runtime: any leaked
//!   task cell, timer entry, readiness, socket buffer or driver (an event buffer alone is
//!   12 KiB) exceeds it, while allocator noise (free-list fragmentation in bins that
//!   mallinfo2 counts as in use) stays within it;
//! * RSS: 16 MiB, as a backstop for memory malloc does not see (thread stacks are mmap'd
//!   and unmapped at join, so a leaked thread shows in the thread count first).
//!
//! Under AddressSanitizer only descriptors and threads are checked (LeakSanitizer checks
//! memory at exit). Its own test binary: it counts the process's threads and descriptors, which other
//! tests running in the same process would disturb.
mod util;

use std::io;
use std::time::{Duration, Instant};

use crest::io::{AsyncReadExt, AsyncWriteExt};
use crest::net::{TcpListener, TcpStream};
use crest::runtime::{Builder, Runtime};

const CYCLES: usize = 1_000;
const WARM_UP: usize = 50;

#[derive(Debug, Clone, Copy, PartialEq)]
struct Usage {
    fds: usize,
    threads: usize,
    heap: usize,
    rss: usize,
}

fn threads() -> usize {
    std::fs::read_dir("/proc/self/task").map(|d| d.count()).unwrap_or(0)
}

fn rss() -> usize {
    let statm = std::fs::read_to_string("/proc/self/statm").unwrap_or_default();
    let pages: usize = statm.split_whitespace().nth(1).and_then(|p| p.parse().ok()).unwrap_or(0);
    pages * 4096
}

fn heap() -> usize {
    // SAFETY: mallinfo2 takes nothing and returns a struct by value.
    let info = unsafe { libc::mallinfo2() };
    info.uordblks + info.hblkhd
}

fn usage() -> Usage {
    Usage { fds: util::open_fds(), threads: threads(), heap: heap(), rss: rss() }
}

/// One runtime's life: a connection both ways, timers, blocking tasks, and tasks still
/// waiting (on a socket, on a timer) when it is dropped.
fn cycle(rt: Runtime) -> io::Result<()> {
    rt.block_on(async {
        let listener = TcpListener::bind("127.0.0.1:0").await?;
        let addr = listener.local_addr()?;
        let client = crest::spawn(async move {
            let mut stream = TcpStream::connect(addr).await?;
            stream.write_all(b"ping").await?;
            let mut buf = [0; 4];
            stream.read_exact(&mut buf).await?;
            io::Result::Ok(buf)
        });
        let (mut server, _) = listener.accept().await?;
        let mut buf = [0; 4];
        server.read_exact(&mut buf).await?;
        server.write_all(&buf).await?;
        assert_eq!(&client.await.expect("client task")?, b"ping");

        crest::time::sleep(Duration::from_micros(200)).await;
        let sum = crest::task::spawn_blocking(|| (1..=10u32).sum::<u32>()).await.expect("blocking task");
        assert_eq!(sum, 55);

        // Still waiting when the runtime drops: a read on an idle socket and a long timer.
        let (idle, _) = {
            let connect = TcpStream::connect(addr);
            let (a, b) = futures_lite::future::zip(connect, listener.accept()).await;
            (a?, b?)
        };
        crest::spawn(async move {
            let mut idle = idle;
            let mut buf = [0; 1];
            let _ = idle.read(&mut buf).await;
        });
        crest::spawn(crest::time::sleep(Duration::from_secs(3600)));
        io::Result::Ok(())
    })
}

fn run(flavor: &str, build: fn() -> io::Result<Runtime>) -> io::Result<()> {
    for _ in 0..WARM_UP {
        cycle(build()?)?;
    }
    let before = usage();
    for _ in 0..CYCLES {
        cycle(build()?)?;
    }
    // Threads that were joined are gone; give any that merely exited a moment.
    let deadline = Instant::now() + Duration::from_secs(2);
    let mut after = usage();
    while (after.threads != before.threads || after.fds != before.fds) && Instant::now() < deadline {
        std::thread::sleep(Duration::from_millis(20));
        after = usage();
    }
    eprintln!("{flavor}: {CYCLES} runtimes: before {before:?}, after {after:?}");
    assert_eq!(after.fds, before.fds, "{flavor}: descriptors leaked");
    assert_eq!(after.threads, before.threads, "{flavor}: threads leaked");
    // Under AddressSanitizer (scripts/asan) malloc is not glibc's: mallinfo2 reads 0 and
    // the quarantine of freed blocks grows RSS by design. LeakSanitizer checks memory there.
    if before.heap == 0 {
        eprintln!("{flavor}: heap and RSS not checked: malloc is not glibc's (a sanitizer?)");
        return Ok(());
    }
    assert!(
        after.heap <= before.heap + 256 * 1024,
        "{flavor}: heap in use grew by {} bytes over {CYCLES} runtimes",
        after.heap - before.heap
    );
    assert!(
        after.rss <= before.rss + 16 * 1024 * 1024,
        "{flavor}: RSS grew by {} bytes over {CYCLES} runtimes",
        after.rss - before.rss
    );
    Ok(())
}

/// One test for both flavors, run one after the other: two tests in one process (as
/// `cargo test` runs them) would count each other's threads and descriptors.
#[test]
fn runtimes_of_each_flavor_leak_nothing() -> io::Result<()> {
    util::with_timeout(Duration::from_secs(100), || {
        run("current_thread", || Builder::new_current_thread().build())?;
        run("multi_thread", || Builder::new_multi_thread().worker_threads(2).build())
    })
}
