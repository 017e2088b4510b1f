//! The accept back-off sleeps on the listener's own runtime, not on whichever runtime is
//! current where `accept` is polled: a listener polled outside any runtime (here with
//! `futures_lite::future::block_on`, its runtime's workers turning the driver) used to
//! panic with "there is no crest runtime on this thread" on the `accept` after an
//! `EMFILE` (review finding 11).
//!
//! The process-wide part (every descriptor taken) runs in a child: the test re-executes
//! its own binary with `CHILD_ENV` set, running only this test.
mod util;

use std::io;
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
    util::run_in_child(TEST_NAME, CHILD_ENV);
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
    let fillers = util::exhaust_descriptors()?;
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
