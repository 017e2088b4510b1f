//! Helpers shared by the integration tests.
#![allow(dead_code)]

pub mod net;

use std::future::Future;
use std::sync::mpsc;
use std::time::{Duration, Instant};

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

/// Runs test `test_name` of this test binary again in a child process with `child_env`
/// set (the test then takes its child branch: for checks that change process-wide state
/// such as the descriptor limit), fails if it fails or runs past [`LIMIT`], and returns its
/// stdout.
pub fn run_in_child(test_name: &str, child_env: &str) -> String {
    let mut child = std::process::Command::new(std::env::current_exe().unwrap())
        .args([test_name, "--exact", "--nocapture", "--test-threads=1"])
        .env(child_env, "1")
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .expect("re-execute the test binary");
    let deadline = Instant::now() + LIMIT;
    while child.try_wait().unwrap().is_none() {
        if Instant::now() > deadline {
            let _ = child.kill();
            panic!("the child did not finish within {LIMIT:?}");
        }
        std::thread::sleep(Duration::from_millis(20));
    }
    let out = child.wait_with_output().unwrap();
    let stdout = String::from_utf8_lossy(&out.stdout).into_owned();
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(out.status.success(), "child failed:\n{stdout}\n{stderr}");
    assert!(stdout.contains("1 passed"), "the child ran no test:\n{stdout}");
    stdout
}

/// Lowers the soft RLIMIT_NOFILE to just above the highest open descriptor, then opens
/// /dev/null until the kernel says EMFILE; returns the files that took the last slots.
pub fn exhaust_descriptors() -> std::io::Result<Vec<std::fs::File>> {
    let highest = std::fs::read_dir("/proc/self/fd")?
        .filter_map(|e| e.ok()?.file_name().to_str()?.parse::<u64>().ok())
        .max()
        .unwrap_or(2);
    let mut lim = libc::rlimit { rlim_cur: 0, rlim_max: 0 };
    // SAFETY: getrlimit/setrlimit read and write one live rlimit.
    unsafe {
        assert_eq!(libc::getrlimit(libc::RLIMIT_NOFILE, &mut lim), 0);
        lim.rlim_cur = (highest + 16).min(lim.rlim_max);
        assert_eq!(libc::setrlimit(libc::RLIMIT_NOFILE, &lim), 0);
    }
    let mut files = Vec::new();
    loop {
        match std::fs::File::open("/dev/null") {
            Ok(f) => files.push(f),
            Err(e) if e.raw_os_error() == Some(libc::EMFILE) => return Ok(files),
            Err(e) => return Err(e),
        }
        assert!(files.len() < 10_000, "the descriptor limit did not take");
    }
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
