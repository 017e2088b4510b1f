//! The "no runtime" floor of the load and memory benchmarks: `serve_epoll (echo|http) 1`,
//! one thread, one edge-triggered epoll loop over libc, no tasks, no wakers, no timers.
//! It runs the same protocol code as the other peers (`src/proto.rs`: the echo buffer size
//! and [`proto::HttpInput`]) and makes the syscalls the kernel needs and no others: per
//! message one `recvfrom` and one `sendto` (std's TCP calls, so that the counts compare),
//! plus its share of one `epoll_wait` per batch of events. A read that moves fewer bytes
//! than asked ends the reading (the socket is drained, and the next arrival is a new
//! edge), so there is no read that fails with `EAGAIN` under load.

#[path = "../proto.rs"]
mod proto;

use std::io;
use std::os::fd::{AsRawFd, FromRawFd, OwnedFd, RawFd};

use proto::{HttpInput, Mode};

/// The listener's token; a connection's token is its index in the slab.
const LISTENER: u64 = u64::MAX;

/// Turns libc's -1 into the `errno` error.
fn check(ret: isize) -> io::Result<usize> {
    if ret < 0 {
        Err(io::Error::last_os_error())
    } else {
        Ok(ret as usize)
    }
}

/// What a connection has allocated once its first bytes arrived.
enum Proto {
    Echo(Vec<u8>),
    Http(HttpInput),
}

struct Connection {
    fd: OwnedFd,
    /// An edge said there is input, and no read has drained it yet.
    readable: bool,
    /// Output the socket did not take yet: `out[written..]`.
    out: Vec<u8>,
    written: usize,
    proto: Option<Proto>,
}

enum Next {
    Keep,
    Close,
}

impl Connection {
    fn recv(&self, buf: &mut [u8]) -> io::Result<usize> {
        // SAFETY: `buf` is live and writable for `buf.len()` bytes; `fd` is open.
        check(unsafe { libc::recv(self.fd.as_raw_fd(), buf.as_mut_ptr().cast(), buf.len(), 0) })
    }

    fn send(&self, buf: &[u8]) -> io::Result<usize> {
        // SAFETY: `buf` is live for `buf.len()` bytes; `fd` is open.
        check(unsafe { libc::send(self.fd.as_raw_fd(), buf.as_ptr().cast(), buf.len(), libc::MSG_NOSIGNAL) })
    }

    /// Writes `data` (when nothing is queued before it), keeping what the socket refuses.
    fn write(&mut self, data: &[u8]) -> io::Result<()> {
        let mut done = 0;
        if self.written == self.out.len() {
            while done < data.len() {
                match self.send(&data[done..]) {
                    Ok(n) => done += n,
                    Err(e) if e.kind() == io::ErrorKind::WouldBlock => break,
                    Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
                    Err(e) => return Err(e),
                }
            }
        }
        self.out.extend_from_slice(&data[done..]);
        Ok(())
    }

    /// Writes queued output; `true` when none is left.
    fn flush(&mut self) -> io::Result<bool> {
        while self.written < self.out.len() {
            match self.send(&self.out[self.written..]) {
                Ok(n) => self.written += n,
                Err(e) if e.kind() == io::ErrorKind::WouldBlock => return Ok(false),
                Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
                Err(e) => return Err(e),
            }
        }
        self.out.clear();
        self.written = 0;
        Ok(true)
    }

    /// Handles an event: flushes, then reads (and answers) until the socket is drained or
    /// its send buffer is full.
    fn on_event(&mut self, events: u32, mode: Mode) -> io::Result<Next> {
        if events & (libc::EPOLLIN | libc::EPOLLRDHUP | libc::EPOLLHUP | libc::EPOLLERR) as u32 != 0 {
            self.readable = true;
        }
        while self.readable && self.flush()? {
            // Taken out for the turn, so that the socket methods can borrow `self`.
            let mut proto = self.proto.take().unwrap_or_else(|| match mode {
                Mode::Http => Proto::Http(HttpInput::new()),
                _ => Proto::Echo(vec![0; proto::ECHO_BUF]),
            });
            let next = match &mut proto {
                Proto::Echo(buf) => match self.recv(buf) {
                    Ok(0) => Ok(Some(Next::Close)),
                    Ok(n) => {
                        self.readable = n == buf.len();
                        self.write(&buf[..n]).map(|()| None)
                    }
                    Err(e) => self.read_failed(e),
                },
                Proto::Http(input) => {
                    let spare = input.spare();
                    let asked = spare.len();
                    match self.recv(spare) {
                        Ok(0) => Ok(Some(Next::Close)),
                        Ok(n) => {
                            self.readable = n == asked;
                            input.filled(n);
                            // `out` is empty here (the flush above returned true): it
                            // receives this batch's answers, and what the socket does not
                            // take waits in it for EPOLLOUT.
                            let close = input.answer(&mut self.out);
                            self.flush().map(|_| close.then_some(Next::Close))
                        }
                        Err(e) => self.read_failed(e),
                    }
                }
            };
            self.proto = Some(proto);
            if let Some(next) = next? {
                return Ok(next);
            }
        }
        // Output still queued waits for EPOLLOUT; the flush above handles it then.
        Ok(Next::Keep)
    }

    fn read_failed(&mut self, e: io::Error) -> io::Result<Option<Next>> {
        match e.kind() {
            io::ErrorKind::WouldBlock => {
                self.readable = false;
                Ok(None)
            }
            io::ErrorKind::Interrupted => Ok(None),
            _ => Err(e),
        }
    }
}

struct Server {
    epfd: OwnedFd,
    listener: std::net::TcpListener,
    slab: Vec<Option<Connection>>,
    free: Vec<usize>,
    mode: Mode,
}

impl Server {
    fn add(&self, fd: RawFd, token: u64) -> io::Result<()> {
        let mut event = libc::epoll_event {
            events: (libc::EPOLLIN | libc::EPOLLOUT | libc::EPOLLRDHUP | libc::EPOLLET) as u32,
            u64: token,
        };
        // SAFETY: both fds are open; `event` is a live epoll_event.
        check(unsafe { libc::epoll_ctl(self.epfd.as_raw_fd(), libc::EPOLL_CTL_ADD, fd, &mut event) } as isize)
            .map(drop)
    }

    fn accept_all(&mut self) -> io::Result<()> {
        loop {
            // SAFETY: null address pointers are allowed; the listener is open.
            let fd = unsafe {
                libc::accept4(
                    self.listener.as_raw_fd(),
                    std::ptr::null_mut(),
                    std::ptr::null_mut(),
                    libc::SOCK_NONBLOCK | libc::SOCK_CLOEXEC,
                )
            };
            if fd < 0 {
                let e = io::Error::last_os_error();
                match e.kind() {
                    io::ErrorKind::WouldBlock => return Ok(()),
                    io::ErrorKind::Interrupted | io::ErrorKind::ConnectionAborted => continue,
                    _ => return Err(e),
                }
            }
            // SAFETY: accept4 just returned `fd`; nobody else owns it.
            let fd = unsafe { OwnedFd::from_raw_fd(fd) };
            let stream = std::net::TcpStream::from(fd);
            stream.set_nodelay(true)?;
            let fd = OwnedFd::from(stream);
            let index = self.free.pop().unwrap_or_else(|| {
                self.slab.push(None);
                self.slab.len() - 1
            });
            self.add(fd.as_raw_fd(), index as u64)?;
            self.slab[index] =
                Some(Connection { fd, readable: false, out: Vec::new(), written: 0, proto: None });
        }
    }

    fn run(&mut self) -> io::Result<()> {
        self.add(self.listener.as_raw_fd(), LISTENER)?;
        let mut events = vec![libc::epoll_event { events: 0, u64: 0 }; 1024];
        loop {
            // SAFETY: `events` is live and holds `events.len()` entries.
            let n = unsafe {
                libc::epoll_wait(self.epfd.as_raw_fd(), events.as_mut_ptr(), events.len() as i32, -1)
            };
            if n < 0 {
                let e = io::Error::last_os_error();
                if e.kind() == io::ErrorKind::Interrupted {
                    continue;
                }
                return Err(e);
            }
            for event in &events[..n as usize] {
                let (token, bits) = (event.u64, event.events);
                if token == LISTENER {
                    self.accept_all()?;
                    continue;
                }
                let index = token as usize;
                let Some(conn) = self.slab.get_mut(index).and_then(Option::as_mut) else { continue };
                let next = conn.on_event(bits, self.mode).unwrap_or_else(|e| {
                    if !proto::is_disconnect(&e) {
                        eprintln!("serve_epoll: {e}");
                    }
                    Next::Close
                });
                if let Next::Close = next {
                    // Closing the fd removes it from the epoll set.
                    self.slab[index] = None;
                    self.free.push(index);
                }
            }
        }
    }
}

fn main() -> io::Result<()> {
    let args = proto::Args::parse();
    if !matches!(args.mode, Mode::Echo | Mode::Http) || args.workers != 1 {
        eprintln!("serve_epoll: the floor serves echo or http on one thread (WORKERS = 1)");
        std::process::exit(2);
    }
    proto::raise_nofile()?;
    let listener = proto::listener(0)?;
    listener.set_nonblocking(true)?;
    // SAFETY: epoll_create1 has no memory-safety preconditions.
    let epfd = check(unsafe { libc::epoll_create1(libc::EPOLL_CLOEXEC) } as isize)?;
    // SAFETY: epoll_create1 just returned this fd; nobody else owns it.
    let epfd = unsafe { OwnedFd::from_raw_fd(epfd as RawFd) };
    proto::announce(listener.local_addr()?);
    let mut server = Server { epfd, listener, slab: Vec::new(), free: Vec::new(), mode: args.mode };
    server.run()
}
