//! `Async` on bad descriptors: errors, never panics.
mod util;

use std::io;
use std::os::fd::{AsRawFd, BorrowedFd};

use crest::io::Async;

#[test]
fn a_closed_fd_is_ebadf() {
    util::block_on_timeout(util::LIMIT, async {
        let (a, _b) = std::os::unix::net::UnixStream::pair().unwrap();
        let raw = a.as_raw_fd();
        drop(a);
        // SAFETY: borrows a closed fd number without owning it; Async::new must
        // fail with EBADF, and a BorrowedFd closes nothing when dropped.
        let stale = unsafe { BorrowedFd::borrow_raw(raw) };
        let err = Async::new(stale).map(drop).unwrap_err();
        assert_eq!(err.raw_os_error(), Some(libc::EBADF));
    });
}

#[test]
fn a_regular_file_is_eperm() -> io::Result<()> {
    util::block_on_timeout(util::LIMIT, async {
        let file = std::fs::File::open("/proc/self/exe")?;
        let err = Async::new(file).unwrap_err();
        assert_eq!(err.raw_os_error(), Some(libc::EPERM));
        Ok(())
    })
}

#[test]
fn into_inner_gives_the_fd_back_deregistered() -> io::Result<()> {
    util::block_on_timeout(util::LIMIT, async {
        let (a, _b) = std::os::unix::net::UnixStream::pair()?;
        let a = Async::new(a)?;
        let a = a.into_inner()?;
        // Registering it again works: it was removed from epoll.
        let a = Async::new(a)?;
        drop(a);
        Ok(())
    })
}

#[test]
fn readable_and_writable_from_two_tasks() -> io::Result<()> {
    util::block_on_timeout(util::LIMIT, async {
        let (a, b) = std::os::unix::net::UnixStream::pair()?;
        let a = std::sync::Arc::new(Async::new(a)?);
        let a2 = a.clone();
        // A reader waits while a writer of the same fd proceeds.
        let reader = crest::spawn(async move { a2.readable().await });
        a.writable().await?;
        io::Write::write_all(&mut &b, b"x")?;
        reader.await.unwrap()?;
        Ok(())
    })
}
