//! Helpers shared by the integration tests.
#![allow(dead_code)]

pub mod net;

use std::future::Future;
use std::sync::mpsc;
use std::time::Duration;

/// Runs `f` on a fresh thread and fails the test if it has not returned within `limit`:
/// a lost wakeup becomes a failure instead of a hang. A panic inside `f` is re-raised.
pub fn with_timeout<T: Send + 'static>(limit: Duration, f: impl FnOnce() -> T + Send + 'static) -> T {
    let (tx, rx) = mpsc::channel();
    let worker = std::thread::Builder::new()
        .name("test-body".into())
        .spawn(move || {
            let _ = tx.send(std::panic::catch_unwind(std::panic::AssertUnwindSafe(f)));
        })
        .expect("spawn the test thread");
    match rx.recv_timeout(limit) {
        Ok(Ok(v)) => {
            let _ = worker.join();
            v
        }
        Ok(Err(panic)) => std::panic::resume_unwind(panic),
        Err(_) => panic!("the test did not finish within {limit:?}: a lost wakeup or a deadlock"),
    }
}

/// `crest::block_on(fut)` under [`with_timeout`].
pub fn block_on_timeout<F>(limit: Duration, fut: F) -> F::Output
where
    F: Future + Send + 'static,
    F::Output: Send + 'static,
{
    with_timeout(limit, move || crest::block_on(fut))
}

/// The number of open file descriptors of this process.
pub fn open_fds() -> usize {
    std::fs::read_dir("/proc/self/fd").map(|d| d.count()).unwrap_or(0)
}

/// Raises the soft RLIMIT_NOFILE to the hard limit; returns the new soft limit.
pub fn raise_fd_limit() -> u64 {
    let mut lim = libc::rlimit { rlim_cur: 0, rlim_max: 0 };
    // SAFETY: getrlimit writes one rlimit into a live local.
    unsafe {
        if libc::getrlimit(libc::RLIMIT_NOFILE, &mut lim) != 0 {
            return 1024;
        }
        lim.rlim_cur = lim.rlim_max;
        libc::setrlimit(libc::RLIMIT_NOFILE, &lim);
    }
    lim.rlim_cur
}

pub const LIMIT: Duration = Duration::from_secs(30);
pub mod example;

/// The number of threads of this process, from `/proc/self/status`.
pub fn thread_count() -> usize {
    let status = std::fs::read_to_string("/proc/self/status").unwrap_or_default();
    status.lines().find_map(|l| l.strip_prefix("Threads:")).and_then(|n| n.trim().parse().ok()).unwrap_or(0)
}

/// Threads of this process that crest made (workers, blocking threads, watchdogs: every
/// name starts with the default `crest-worker`). Unlike [`thread_count`], it does not move
/// when the test harness starts or ends a thread for another test of the same binary
/// (`cargo test` runs them in one process).
pub fn crest_threads() -> usize {
    let Ok(tasks) = std::fs::read_dir("/proc/self/task") else { return 0 };
    tasks
        .filter_map(|t| std::fs::read_to_string(t.ok()?.path().join("comm")).ok())
        .filter(|comm| comm.starts_with("crest-"))
        .count()
}

/// The state letter of process `pid` (`R`, `S`, `Z` for a zombie, ...) from
/// `/proc/PID/stat`; `None` once the process is gone (reaped).
pub fn process_state(pid: u32) -> Option<char> {
    let stat = std::fs::read_to_string(format!("/proc/{pid}/stat")).ok()?;
    // The command name may hold spaces; the state is the first field after its ')'.
    stat.rsplit_once(')')?.1.split_whitespace().next()?.chars().next()
}

/// Sends `signal` to this process from a thread crest did not start.
pub fn raise_from_plain_thread(signal: i32) {
    std::thread::spawn(move || {
        // SAFETY: kill takes no pointers; the process has a handler (or the default) for it.
        unsafe { libc::kill(libc::getpid(), signal) };
    })
    .join()
    .expect("the signalling thread");
}

/// Raises `signal` in a thread crest did not start, directed at that thread (`raise`, a
/// `tgkill` to itself): the handler has run when this returns, unlike a `kill` to the
/// process, which any thread may handle a little later.
pub fn raise_in_plain_thread(signal: i32) {
    std::thread::spawn(move || {
        // SAFETY: raise takes no pointers; the process has a handler for it.
        unsafe { libc::raise(signal) };
    })
    .join()
    .expect("the signalling thread");
}
