//! The accept back-off sleeps on the listener's own runtime, not on whichever runtime is
//! current where `accept` is polled: a listener polled outside any runtime (here with
//! `futures_lite::future::block_on`, its runtime's workers turning the driver) used to
//! panic with "there is no crest runtime on this thread" on the `accept` after an
//! `EMFILE` (review finding 11).
//!
//! The process-wide part (every descriptor taken) runs in a child: the test re-executes
//! its own binary with `CHILD_ENV` set, running only this test.
mod util;

use std::fs::File;
use std::io;
use std::process::Command;
use std::time::{Duration, Instant};

use crest::net::TcpListener;
use futures_lite::future::block_on;
use util::LIMIT;

const CHILD_ENV: &str = "CREST_TEST_ACCEPT_BACKOFF_OUTSIDE_CHILD";
const TEST_NAME: &str = "accept_backoff_outside_a_runtime_uses_the_listeners_runtime";

#[test]
fn accept_backoff_outside_a_runtime_uses_the_listeners_runtime() {
    if std::env::var_os(CHILD_ENV).is_some() {
        return util::with_timeout(LIMIT, || child().expect("the child's checks"));
    }
    let mut child = Command::new(std::env::current_exe().unwrap())
        .args([TEST_NAME, "--exact", "--nocapture", "--test-threads=1"])
        .env(CHILD_ENV, "1")
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
    let stdout = String::from_utf8_lossy(&out.stdout);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(out.status.success(), "child failed:\n{stdout}\n{stderr}");
    assert!(stdout.contains("1 passed"), "the child ran no test:\n{stdout}");
}

/// Lowers the soft RLIMIT_NOFILE to just above the highest open descriptor, then opens
/// /dev/null until the kernel says EMFILE; returns the files that took the last slots.
fn exhaust_descriptors() -> io::Result<Vec<File>> {
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
        match File::open("/dev/null") {
            Ok(f) => files.push(f),
            Err(e) if e.raw_os_error() == Some(libc::EMFILE) => return Ok(files),
            Err(e) => return Err(e),
        }
        assert!(files.len() < 10_000, "the descriptor limit did not take");
    }
}

fn child() -> io::Result<()> {
    // The listener belongs to a multi-thread runtime, whose worker turns the driver; it is
    // then polled on this thread, where no runtime is current.
    let rt = crest::runtime::Builder::new_multi_thread().worker_threads(1).build()?;
    let listener = {
        let _entered = rt.enter();
        TcpListener::from_std(std::net::TcpListener::bind("127.0.0.1:0")?)?
    };
    assert!(crest::runtime::Handle::try_current().is_none());
    let _client = std::net::TcpStream::connect(listener.local_addr()?)?;
    let fillers = exhaust_descriptors()?;
    let is_emfile = |e: &io::Error| e.raw_os_error() == Some(libc::EMFILE);
    let err = block_on(listener.accept()).map(drop).unwrap_err();
    assert!(is_emfile(&err), "expected EMFILE, got {err}");
    // This one backs off first: on the listener's runtime's timers.
    let started = Instant::now();
    let err = block_on(listener.accept()).map(drop).unwrap_err();
    assert!(is_emfile(&err), "expected EMFILE, got {err}");
    assert!(started.elapsed() >= Duration::from_millis(40), "no back-off");
    drop(fillers);
    block_on(listener.accept())?;
    drop(listener);
    rt.shutdown_background();
    Ok(())
}
