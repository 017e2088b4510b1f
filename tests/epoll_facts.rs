//! The seed's comparison of level- and edge-triggered epoll, as facts on real fds.
mod util;

use std::io::{self, Read, Write};
use std::net::Shutdown;
use std::os::fd::{AsFd, AsRawFd, BorrowedFd};
use std::os::unix::net::UnixStream;
use std::time::Duration;

use crest::sys::epoll::{Epoll, Event, Events};

const SHORT: Option<Duration> = Some(Duration::from_millis(50));
const LONG: Option<Duration> = Some(Duration::from_secs(5));

fn wait(epoll: &Epoll, timeout: Option<Duration>) -> io::Result<Vec<Event>> {
    let mut out = Vec::with_capacity(8);
    epoll.wait(&mut out, timeout)?;
    Ok(out)
}

fn nonblocking_pair() -> io::Result<(UnixStream, UnixStream)> {
    let (a, b) = UnixStream::pair()?;
    a.set_nonblocking(true)?;
    b.set_nonblocking(true)?;
    Ok((a, b))
}

#[test]
fn level_triggered_reports_again_after_a_partial_read() -> io::Result<()> {
    let epoll = Epoll::new()?;
    let (mut r, mut w) = nonblocking_pair()?;
    epoll.add(r.as_fd(), Events::IN, 1)?;
    w.write_all(&[7; 100])?;
    assert_eq!(wait(&epoll, LONG)?.len(), 1);
    let mut buf = [0; 10];
    assert_eq!(r.read(&mut buf)?, 10);
    let again = wait(&epoll, SHORT)?;
    assert_eq!(again.len(), 1, "level-triggered: still readable, reported again");
    assert!(again[0].events().contains(Events::IN));
    Ok(())
}

#[test]
fn edge_triggered_waits_for_new_data_after_a_partial_read() -> io::Result<()> {
    let epoll = Epoll::new()?;
    let (mut r, mut w) = nonblocking_pair()?;
    epoll.add(r.as_fd(), Events::IN | Events::ET, 2)?;
    w.write_all(&[7; 100])?;
    let first = wait(&epoll, LONG)?;
    assert_eq!((first.len(), first[0].token()), (1, 2));
    let mut buf = [0; 10];
    assert_eq!(r.read(&mut buf)?, 10);
    assert!(wait(&epoll, SHORT)?.is_empty(), "edge-triggered: no new edge, no report");
    w.write_all(&[8; 1])?;
    assert_eq!(wait(&epoll, LONG)?.len(), 1, "new data is a new edge");
    Ok(())
}

#[test]
fn oneshot_reports_once_until_modify() -> io::Result<()> {
    let epoll = Epoll::new()?;
    let (r, mut w) = nonblocking_pair()?;
    epoll.add(r.as_fd(), Events::IN | Events::ONESHOT, 3)?;
    w.write_all(b"x")?;
    assert_eq!(wait(&epoll, LONG)?.len(), 1);
    w.write_all(b"y")?;
    assert!(wait(&epoll, SHORT)?.is_empty(), "disarmed after one report");
    epoll.modify(r.as_fd(), Events::IN | Events::ONESHOT, 4)?;
    let rearmed = wait(&epoll, LONG)?;
    assert_eq!((rearmed.len(), rearmed[0].token()), (1, 4));
    Ok(())
}

#[test]
fn rdhup_after_the_peer_shuts_down_its_write_side() -> io::Result<()> {
    let epoll = Epoll::new()?;
    let (r, w) = nonblocking_pair()?;
    epoll.add(r.as_fd(), Events::IN | Events::RDHUP | Events::ET, 5)?;
    w.shutdown(Shutdown::Write)?;
    let ev = wait(&epoll, LONG)?;
    assert_eq!(ev.len(), 1);
    assert!(ev[0].events().contains(Events::RDHUP), "got {:?}", ev[0].events());
    assert!(!ev[0].events().contains(Events::HUP), "our write side is still open");
    Ok(())
}

#[test]
fn hup_when_the_peer_closes() -> io::Result<()> {
    let epoll = Epoll::new()?;
    let (r, w) = nonblocking_pair()?;
    epoll.add(r.as_fd(), Events::IN | Events::ET, 6)?;
    drop(w);
    let ev = wait(&epoll, LONG)?;
    assert_eq!(ev.len(), 1);
    assert!(ev[0].events().contains(Events::HUP), "got {:?}", ev[0].events());
    Ok(())
}

#[test]
fn delete_stops_reports_and_errors_are_io_errors() -> io::Result<()> {
    let epoll = Epoll::new()?;
    let (r, mut w) = nonblocking_pair()?;
    epoll.add(r.as_fd(), Events::IN, 7)?;
    let err = epoll.add(r.as_fd(), Events::IN, 7).unwrap_err();
    assert_eq!(err.raw_os_error(), Some(libc::EEXIST));
    epoll.delete(r.as_fd())?;
    w.write_all(b"x")?;
    assert!(wait(&epoll, SHORT)?.is_empty());
    assert_eq!(epoll.delete(r.as_fd()).unwrap_err().raw_os_error(), Some(libc::ENOENT));
    Ok(())
}

#[test]
fn a_closed_fd_is_ebadf_not_a_panic() -> io::Result<()> {
    let epoll = Epoll::new()?;
    let (r, _w) = nonblocking_pair()?;
    let raw = r.as_raw_fd();
    drop(r);
    // SAFETY: the fd number is closed; epoll_ctl must report EBADF for it.
    let stale = unsafe { BorrowedFd::borrow_raw(raw) };
    assert_eq!(epoll.add(stale, Events::IN, 1).unwrap_err().raw_os_error(), Some(libc::EBADF));
    Ok(())
}

#[test]
fn a_blocking_wait_is_interrupted_by_data_from_another_thread() -> io::Result<()> {
    util::with_timeout(util::LIMIT, || -> io::Result<()> {
        let epoll = Epoll::new()?;
        let (r, mut w) = nonblocking_pair()?;
        epoll.add(r.as_fd(), Events::IN | Events::ET, 9)?;
        let writer = std::thread::spawn(move || {
            std::thread::sleep(Duration::from_millis(20));
            w.write_all(b"x")
        });
        let ev = wait(&epoll, None)?;
        assert_eq!(ev[0].token(), 9);
        writer.join().unwrap()
    })
}
