//! `accept` in a process out of file descriptors returns the error, a loop that keeps
//! calling it uses little CPU (it backs off instead of spinning), and accepting works again
//! once descriptors are freed.
//!
//! The process-wide part (a low RLIMIT_NOFILE, every descriptor taken) runs in a child: the
//! test re-executes its own binary with `CHILD_ENV` set, running only this test.
mod util;

use std::fs::File;
use std::io::{self, Write};
use std::process::Command;
use std::time::{Duration, Instant};

use crest::io::AsyncReadExt;
use crest::net::TcpListener;
use util::net::cpu_time;
use util::{block_on_timeout, LIMIT};

const CHILD_ENV: &str = "CREST_TEST_ACCEPT_EMFILE_CHILD";
const TEST_NAME: &str = "accept_backs_off_while_out_of_descriptors";
/// How long the child keeps calling `accept` while out of descriptors.
const STARVED: Duration = Duration::from_secs(1);

#[test]
fn accept_backs_off_while_out_of_descriptors() {
    if std::env::var_os(CHILD_ENV).is_some() {
        return child().expect("the child's checks");
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
    print!("{stdout}");
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
    block_on_timeout(LIMIT, async {
        let listener = TcpListener::bind("127.0.0.1:0").await?;
        // The kernel completes this handshake from the backlog, before any accept.
        let mut client = std::net::TcpStream::connect(listener.local_addr()?)?;
        client.write_all(b"made it")?;

        let fillers = exhaust_descriptors()?;
        let is_emfile = |e: &io::Error| e.raw_os_error() == Some(libc::EMFILE);

        // The first accept reports the error; the next one backs off before it tries again.
        let err = listener.accept().await.map(drop).unwrap_err();
        assert!(is_emfile(&err), "expected EMFILE, got {err}");
        let started = Instant::now();
        let err = listener.accept().await.map(drop).unwrap_err();
        assert!(is_emfile(&err), "expected EMFILE, got {err}");
        assert!(started.elapsed() >= Duration::from_millis(40), "no back-off");

        // A loop that keeps calling accept: it must not spin.
        let (cpu_before, wall_before) = (cpu_time(), Instant::now());
        let mut errors = 0u32;
        while wall_before.elapsed() < STARVED {
            let err = listener.accept().await.map(drop).unwrap_err();
            assert!(is_emfile(&err), "expected EMFILE, got {err}");
            errors += 1;
        }
        let (cpu, wall) = (cpu_time() - cpu_before, wall_before.elapsed());
        println!("{errors} accept errors in {wall:?} of wall time, {cpu:?} of CPU");
        assert!(cpu < wall / 5, "accept spun: {cpu:?} of CPU in {wall:?}");
        assert!(errors >= 5, "accept waited too long: {errors} tries in {wall:?}");
        assert!(errors <= 100, "accept did not back off: {errors} tries in {wall:?}");

        // Free the descriptors: the queued connection is accepted.
        drop(fillers);
        let (mut stream, peer) = listener.accept().await?;
        assert_eq!(peer, client.local_addr()?);
        let mut buf = [0; 7];
        stream.read_exact(&mut buf).await?;
        assert_eq!(&buf, b"made it");
        let _second = std::net::TcpStream::connect(listener.local_addr()?)?;
        listener.accept().await?;
        Ok(())
    })
}
