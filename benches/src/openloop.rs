//! The open-loop load generator of `benches/latency.rs` (issue 17, part 1): requests leave
//! on a fixed schedule whatever the server does, and each latency runs from the request's
//! scheduled send time, so a stalled server cannot hide behind a client that waits for it
//! (no coordinated omission). One thread, a level-triggered epoll loop over blocking-free
//! sockets and libc, like `loadgen::client`; none of the runtimes under test.

use std::collections::VecDeque;
use std::io;
use std::net::SocketAddr;
use std::os::fd::{AsRawFd, FromRawFd, OwnedFd, RawFd};
use std::time::{Duration, Instant};

use hdrhistogram::Histogram;

use crate::loadgen::{self, Workload};

/// How long, after the last scheduled send, the replies still in flight are waited for; a
/// reply that has not come by then counts with its latency so far.
const DRAIN: Duration = Duration::from_secs(2);

struct Conn {
    stream: std::net::TcpStream,
    /// The scheduled send times of the requests sent and not yet answered, oldest first.
    in_flight: VecDeque<Instant>,
    /// Bytes of the oldest unanswered reply received so far.
    got: usize,
}

fn check(ret: isize) -> io::Result<usize> {
    if ret < 0 {
        Err(io::Error::last_os_error())
    } else {
        Ok(ret as usize)
    }
}

/// Opens `work.conns` connections to `addr` and sends `rate` requests per second over them
/// (request `j` at `start + j / rate` on connection `j % conns`, pipelined) for
/// `warmup + measure`; returns the latencies (µs, scheduled send to last reply byte) of the
/// requests scheduled within the `measure` window.
pub fn run(
    addr: SocketAddr,
    work: &Workload,
    rate: f64,
    warmup: Duration,
    measure: Duration,
) -> io::Result<Histogram<u64>> {
    let mut hist = Histogram::<u64>::new_with_bounds(1, 60_000_000, 3).map_err(io::Error::other)?;
    let mut conns = Vec::with_capacity(work.conns);
    for stream in loadgen::connect_many(addr, work.conns)? {
        stream.set_nodelay(true)?;
        stream.set_nonblocking(true)?;
        conns.push(Conn { stream, in_flight: VecDeque::new(), got: 0 });
    }
    // SAFETY: epoll_create1 has no memory-safety preconditions.
    let epfd = check(unsafe { libc::epoll_create1(libc::EPOLL_CLOEXEC) } as isize)? as RawFd;
    // SAFETY: epoll_create1 just returned `epfd`; nobody else owns it.
    let _epoll = unsafe { OwnedFd::from_raw_fd(epfd) };
    for (i, conn) in conns.iter().enumerate() {
        let mut event = libc::epoll_event { events: libc::EPOLLIN as u32, u64: i as u64 };
        // SAFETY: both fds are open; `event` is live.
        check(unsafe { libc::epoll_ctl(epfd, libc::EPOLL_CTL_ADD, conn.stream.as_raw_fd(), &mut event) }
            as isize)?;
    }

    let interval = Duration::from_secs_f64(1.0 / rate);
    let start = Instant::now() + Duration::from_millis(10);
    let window = start + warmup;
    let end = window + measure;
    let mut next = 0u64;
    let mut next_at = start;
    let mut events = vec![libc::epoll_event { events: 0, u64: 0 }; 1024];
    let mut buf = vec![0u8; 64 * 1024];
    let mut outstanding = 0usize;
    loop {
        let now = Instant::now();
        // Send everything that is due, late ones included: the schedule does not slip.
        while next_at <= now && next_at < end {
            let conn = &mut conns[(next % work.conns as u64) as usize];
            // SAFETY: the request buffer is live for its length; the socket is open.
            let n = unsafe {
                libc::send(
                    conn.stream.as_raw_fd(),
                    work.request.as_ptr().cast(),
                    work.request.len(),
                    libc::MSG_NOSIGNAL,
                )
            };
            if n != work.request.len() as isize {
                let why = if n < 0 { io::Error::last_os_error().to_string() } else { format!("{n} bytes") };
                return Err(io::Error::other(format!(
                    "short send ({why}): the server fell behind by a whole socket buffer"
                )));
            }
            conn.in_flight.push_back(next_at);
            outstanding += 1;
            next += 1;
            next_at = start + interval.mul_f64(next as f64);
        }
        if now >= end && (outstanding == 0 || now >= end + DRAIN) {
            break;
        }
        let wait = if next_at < end { next_at.saturating_duration_since(now) } else { end + DRAIN - now };
        // Whole milliseconds only: below one, poll without blocking (the schedule's
        // precision matters more than the generator's CPU).
        let timeout = if wait >= Duration::from_millis(1) { (wait.as_millis() as i32).min(100) } else { 0 };
        // SAFETY: `events` is live and holds `events.len()` entries.
        let n = unsafe { libc::epoll_wait(epfd, events.as_mut_ptr(), events.len() as i32, timeout) };
        if n < 0 {
            let e = io::Error::last_os_error();
            if e.kind() == io::ErrorKind::Interrupted {
                continue;
            }
            return Err(e);
        }
        let now = Instant::now();
        for event in &events[..n as usize] {
            let conn = &mut conns[event.u64 as usize];
            // SAFETY: `buf` is live for its length; the socket is open.
            let got = unsafe { libc::recv(conn.stream.as_raw_fd(), buf.as_mut_ptr().cast(), buf.len(), 0) };
            match got {
                0 => return Err(io::Error::new(io::ErrorKind::UnexpectedEof, "the server closed")),
                n if n < 0 => {
                    let e = io::Error::last_os_error();
                    if matches!(e.kind(), io::ErrorKind::WouldBlock | io::ErrorKind::Interrupted) {
                        continue;
                    }
                    return Err(e);
                }
                n => conn.got += n as usize,
            }
            while conn.got >= work.response_len {
                conn.got -= work.response_len;
                let Some(scheduled) = conn.in_flight.pop_front() else {
                    return Err(io::Error::other("a reply to no request"));
                };
                outstanding -= 1;
                if scheduled >= window {
                    let us = now.duration_since(scheduled).as_micros() as u64;
                    hist.saturating_record(us.max(1));
                }
            }
        }
    }
    // Replies that never came count with what they waited.
    let now = Instant::now();
    for conn in &conns {
        for &scheduled in conn.in_flight.iter().filter(|&&s| s >= window) {
            hist.saturating_record(now.duration_since(scheduled).as_micros() as u64);
        }
    }
    Ok(hist)
}
