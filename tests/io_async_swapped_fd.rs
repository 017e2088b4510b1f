//! `Async::get_mut` is safe, so a user may swap the fd inside an `Async`. The driver must
//! never touch freed memory because of it: the original fd's epoll entry outlives the
//! `Async`, and its events must go nowhere (run under `scripts/asan` to see a use after
//! free if they did). The runtime keeps serving other I/O afterwards.

mod util;

use std::io::Write;
use std::os::unix::net::UnixStream;
use std::time::Duration;

use crest::io::{Async, AsyncReadExt, AsyncWriteExt};

/// Proves the runtime still dispatches events to live registrations.
async fn round_trip() -> std::io::Result<()> {
    let (a, b) = UnixStream::pair()?;
    let (mut a, mut b) = (Async::new(a)?, Async::new(b)?);
    a.write_all(b"ping").await?;
    let mut buf = [0; 4];
    b.read_exact(&mut buf).await?;
    assert_eq!(&buf, b"ping");
    Ok(())
}

#[test]
fn events_for_a_swapped_out_fd_reach_no_freed_memory() -> std::io::Result<()> {
    util::block_on_timeout(util::LIMIT, async {
        let (registered, mut peer) = UnixStream::pair()?;
        let (mut other, _other_peer) = UnixStream::pair()?;
        let mut io = Async::new(registered)?;
        // `io` now holds `other` (never registered); `other` holds the registered fd.
        std::mem::swap(io.get_mut(), &mut other);
        drop(io); // deregisters the wrong fd: the original entry stays in epoll
                  // Let a turn pass so that anything deferred is released, then make the
                  // original fd fire, several times, while the runtime turns.
        crest::time::sleep(Duration::from_millis(5)).await;
        for _ in 0..10 {
            peer.write_all(b"x")?;
            round_trip().await?;
        }
        drop(other);
        round_trip().await
    })
}

#[test]
fn swapping_two_registered_fds_breaks_neither_registration_set() -> std::io::Result<()> {
    util::block_on_timeout(util::LIMIT, async {
        let (a, mut a_peer) = UnixStream::pair()?;
        let (b, mut b_peer) = UnixStream::pair()?;
        let mut a = Async::new(a)?;
        let mut b = Async::new(b)?;
        std::mem::swap(a.get_mut(), b.get_mut());
        // Each `Async` now holds the other's fd: deregistration must not remove the other
        // registration's epoll entry, and must say that it could not deregister. (The
        // object is dropped with the error: that closes `b`'s original fd.)
        b_peer.write_all(b"b")?;
        let err = a.into_inner().expect_err("the fd was replaced");
        assert_eq!(err.kind(), std::io::ErrorKind::InvalidInput);
        crest::time::sleep(Duration::from_millis(5)).await;
        // `b` still holds `a`'s original fd, whose entry names `a`'s forgotten registration.
        a_peer.write_all(b"a")?;
        let mut buf = [0; 1];
        let n = crest::time::timeout(Duration::from_millis(200), b.read(&mut buf)).await;
        // Whether this read sees the byte depends on readiness that belonged to the other
        // registration: either answer is fine, only memory safety and liveness matter.
        let _ = n;
        round_trip().await?;
        drop(b);
        crest::time::sleep(Duration::from_millis(5)).await;
        round_trip().await
    })
}
