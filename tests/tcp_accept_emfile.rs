//! `accept` in a process out of file descriptors returns the error, a loop that keeps
//! calling it uses little CPU (it backs off instead of spinning), and accepting works again
//! once descriptors are freed.
//!
//! The process-wide part (a low RLIMIT_NOFILE, every descriptor taken) runs in a child: the
//! test re-executes its own binary with `CHILD_ENV` set, running only this test.
mod util;

use std::io::{self, Write};
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
    print!("{}", util::run_in_child(TEST_NAME, CHILD_ENV));
}

fn child() -> io::Result<()> {
    block_on_timeout(LIMIT, async {
        let listener = TcpListener::bind("127.0.0.1:0").await?;
        // The kernel completes this handshake from the backlog, before any accept.
        let mut client = std::net::TcpStream::connect(listener.local_addr()?)?;
        client.write_all(b"made it")?;

        let fillers = util::exhaust_descriptors()?;
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
