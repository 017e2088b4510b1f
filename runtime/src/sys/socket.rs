//! Socket calls for `crest-net`: creating, binding, listening, connecting and accepting
//! nonblocking sockets, socket options, and sends that never raise `SIGPIPE`.
//!
//! These are `pub` only because `crest-net` is a separate crate; they are not part of
//! crest's API. Every socket is born nonblocking and close-on-exec (`SOCK_NONBLOCK |
//! SOCK_CLOEXEC`, one syscall, no `fcntl` race with a concurrent `fork`/`exec`), and is
//! wrapped in an [`OwnedFd`] on the line it is born.
//!
//! What this module does not do: wait. A call that would block returns `WouldBlock` (or,
//! for [`connect`], reports that the connection is in progress); waiting is the driver's job.

use std::io::{self, IoSlice};
use std::mem;
use std::net::{Ipv4Addr, Ipv6Addr, SocketAddr, SocketAddrV4, SocketAddrV6};
use std::os::fd::{AsRawFd, BorrowedFd, FromRawFd, OwnedFd};
use std::os::unix::ffi::OsStrExt;
use std::path::Path;
use std::time::Duration;

use libc::{c_int, socklen_t};

use super::chaos;

/// The most buffers one `sendmsg` (or `readv`) takes: `IOV_MAX` (`UIO_MAXIOV`) on Linux.
/// [`send_vectored`] leaves the rest for the next call, as a short write; std's
/// `read_vectored` does the same.
pub const IOV_MAX: usize = 1024;

/// Creates a nonblocking, close-on-exec socket: `socket(domain, ty | SOCK_NONBLOCK |
/// SOCK_CLOEXEC, 0)`.
///
/// # Errors
/// `EMFILE`/`ENFILE` when out of descriptors, `EAFNOSUPPORT` (no IPv6), and the like.
pub fn socket(domain: c_int, ty: c_int) -> io::Result<OwnedFd> {
    // SAFETY: socket takes no pointers; the result is checked before use.
    let raw = syscall!(socket(domain, ty | libc::SOCK_NONBLOCK | libc::SOCK_CLOEXEC, 0))?;
    // SAFETY: `raw` is a fresh descriptor that nothing else owns.
    Ok(unsafe { OwnedFd::from_raw_fd(raw) })
}

/// The address family (`AF_INET` or `AF_INET6`) for `addr`.
pub fn domain_of(addr: &SocketAddr) -> c_int {
    match addr {
        SocketAddr::V4(_) => libc::AF_INET,
        SocketAddr::V6(_) => libc::AF_INET6,
    }
}

/// Binds `fd` to an IP address.
///
/// # Errors
/// `EADDRINUSE`, `EADDRNOTAVAIL`, `EACCES` (a privileged port), ...
pub fn bind(fd: BorrowedFd<'_>, addr: &SocketAddr) -> io::Result<()> {
    let (raw, len) = RawSocketAddr::from(addr);
    // SAFETY: `raw` is a live sockaddr_in/sockaddr_in6 of `len` bytes.
    syscall!(bind(fd.as_raw_fd(), raw.as_ptr(), len))?;
    Ok(())
}

/// Binds `fd` (an `AF_UNIX` socket) to a filesystem path.
///
/// # Errors
/// `InvalidInput` for a path too long for `sockaddr_un` or with a NUL byte inside;
/// `EADDRINUSE` when the file exists, ...
pub fn bind_unix(fd: BorrowedFd<'_>, path: &Path) -> io::Result<()> {
    let (raw, len) = unix_addr(path)?;
    // SAFETY: `raw` is a live sockaddr_un whose first `len` bytes are initialised.
    syscall!(bind(fd.as_raw_fd(), (&raw as *const libc::sockaddr_un).cast(), len))?;
    Ok(())
}

/// Marks `fd` as a listening socket with room for `backlog` pending connections (the
/// kernel caps it at `net.core.somaxconn`).
///
/// # Errors
/// `EADDRINUSE` when another socket already listens on the port, ...
pub fn listen(fd: BorrowedFd<'_>, backlog: u32) -> io::Result<()> {
    let backlog = c_int::try_from(backlog).unwrap_or(c_int::MAX);
    // SAFETY: listen takes no pointers.
    syscall!(listen(fd.as_raw_fd(), backlog))?;
    Ok(())
}

/// Starts connecting `fd` (a nonblocking socket) to `addr`. `Ok(true)`: connected at once;
/// `Ok(false)`: in progress (`EINPROGRESS`, or `EINTR`, after which the connection goes on
/// in the background) — wait until the socket is writable, then read [`take_error`].
///
/// # Errors
/// `ECONNREFUSED`, `ENETUNREACH`, `EADDRNOTAVAIL` (out of ephemeral ports), ...
pub fn connect(fd: BorrowedFd<'_>, addr: &SocketAddr) -> io::Result<bool> {
    let (raw, len) = RawSocketAddr::from(addr);
    // SAFETY: `raw` is a live sockaddr_in/sockaddr_in6 of `len` bytes.
    in_progress(syscall!(connect(fd.as_raw_fd(), raw.as_ptr(), len)))
}

/// [`connect`] for an `AF_UNIX` socket and a filesystem path. A listener whose backlog is
/// full makes this fail with `WouldBlock` (`EAGAIN`) rather than wait, as on every Unix.
///
/// # Errors
/// `InvalidInput` for a bad path, `ENOENT`, `ECONNREFUSED` (nobody listens), `EAGAIN`, ...
pub fn connect_unix(fd: BorrowedFd<'_>, path: &Path) -> io::Result<bool> {
    let (raw, len) = unix_addr(path)?;
    // SAFETY: `raw` is a live sockaddr_un whose first `len` bytes are initialised.
    in_progress(syscall!(connect(fd.as_raw_fd(), (&raw as *const libc::sockaddr_un).cast(), len)))
}

fn in_progress(res: io::Result<c_int>) -> io::Result<bool> {
    match res {
        Ok(_) => Ok(true),
        Err(e) if matches!(e.raw_os_error(), Some(libc::EINPROGRESS | libc::EINTR)) => Ok(false),
        Err(e) => Err(e),
    }
}

/// Accepts one connection from a listening IP socket: `accept4` with `SOCK_NONBLOCK |
/// SOCK_CLOEXEC`, so the new socket needs no further `fcntl`. `EINTR` is retried.
///
/// # Errors
/// `WouldBlock` when no connection is pending; `EMFILE`/`ENFILE` when out of descriptors
/// (the connection stays queued); `ECONNABORTED`, ...
pub fn accept(fd: BorrowedFd<'_>) -> io::Result<(OwnedFd, SocketAddr)> {
    let mut storage = empty_storage();
    let mut len = mem::size_of::<libc::sockaddr_storage>() as socklen_t;
    let raw = loop {
        if chaos::interrupt() {
            continue;
        }
        // SAFETY: `storage` is a live sockaddr_storage and `len` holds its size, so the
        // kernel writes at most that many bytes.
        match syscall!(accept4(
            fd.as_raw_fd(),
            (&mut storage as *mut libc::sockaddr_storage).cast(),
            &mut len,
            libc::SOCK_NONBLOCK | libc::SOCK_CLOEXEC,
        )) {
            Err(e) if e.kind() == io::ErrorKind::Interrupted => continue,
            res => break res?,
        }
    };
    // SAFETY: `raw` is a fresh descriptor that nothing else owns.
    let stream = unsafe { OwnedFd::from_raw_fd(raw) };
    let addr = to_socket_addr(&storage, len)?;
    Ok((stream, addr))
}

/// [`accept`] for a listening `AF_UNIX` socket; the peer's address is left to
/// `getpeername` (std's `UnixStream::peer_addr`), since std cannot build a Unix
/// `SocketAddr` from raw parts.
///
/// # Errors
/// As [`accept`].
pub fn accept_unix(fd: BorrowedFd<'_>) -> io::Result<OwnedFd> {
    let raw = loop {
        if chaos::interrupt() {
            continue;
        }
        // SAFETY: null address and length pointers ask the kernel not to report the peer.
        match syscall!(accept4(
            fd.as_raw_fd(),
            std::ptr::null_mut(),
            std::ptr::null_mut(),
            libc::SOCK_NONBLOCK | libc::SOCK_CLOEXEC,
        )) {
            Err(e) if e.kind() == io::ErrorKind::Interrupted => continue,
            res => break res?,
        }
    };
    // SAFETY: `raw` is a fresh descriptor that nothing else owns.
    Ok(unsafe { OwnedFd::from_raw_fd(raw) })
}

/// Sends `buf` on a connected stream socket with `MSG_NOSIGNAL`: a peer that is gone is
/// `Err(BrokenPipe)`, never a `SIGPIPE`. `EINTR` is retried.
///
/// # Errors
/// `WouldBlock` when the send buffer is full; `EPIPE`/`ECONNRESET` when the peer is gone.
pub fn send(fd: BorrowedFd<'_>, buf: &[u8]) -> io::Result<usize> {
    loop {
        if chaos::interrupt() {
            continue;
        }
        // SAFETY: `buf` is a live slice of `buf.len()` readable bytes.
        match syscall!(send(fd.as_raw_fd(), buf.as_ptr().cast(), buf.len(), libc::MSG_NOSIGNAL)) {
            Err(e) if e.kind() == io::ErrorKind::Interrupted => continue,
            res => return res.map(|n| n as usize),
        }
    }
}

/// Receives into `buf`, which may be uninitialised (the kernel only writes it): the bytes
/// `0..n` of the returned `n` are initialised afterwards. `EINTR` is retried.
///
/// # Errors
/// `WouldBlock` when nothing is queued; `ECONNRESET` when the peer reset the connection.
pub fn recv_uninit(fd: BorrowedFd<'_>, buf: &mut [std::mem::MaybeUninit<u8>]) -> io::Result<usize> {
    loop {
        // SAFETY: `buf` is a live, exclusively borrowed region of `buf.len()` writable bytes;
        // `recv` only writes to it, so its being uninitialised is fine.
        match syscall!(recv(fd.as_raw_fd(), buf.as_mut_ptr().cast(), buf.len(), 0)) {
            Err(e) if e.kind() == io::ErrorKind::Interrupted => continue,
            res => return res.map(|n| n as usize),
        }
    }
}

/// Sends several buffers in one `sendmsg` with `MSG_NOSIGNAL` (at most [`IOV_MAX`] of them;
/// the rest count as not sent). `EINTR` is retried.
///
/// # Errors
/// As [`send`].
pub fn send_vectored(fd: BorrowedFd<'_>, bufs: &[IoSlice<'_>]) -> io::Result<usize> {
    let bufs = &bufs[..bufs.len().min(IOV_MAX)];
    // SAFETY: msghdr is plain old data; all-zero is a valid (empty) header.
    let mut msg: libc::msghdr = unsafe { mem::zeroed() };
    // `IoSlice` is guaranteed ABI-compatible with `iovec` on Unix; the kernel only reads it.
    msg.msg_iov = bufs.as_ptr() as *mut libc::iovec;
    msg.msg_iovlen = bufs.len() as _;
    loop {
        if chaos::interrupt() {
            continue;
        }
        // SAFETY: `msg` points at `bufs.len()` live iovecs, each naming a live buffer; no
        // name or control data is passed.
        match syscall!(sendmsg(fd.as_raw_fd(), &msg, libc::MSG_NOSIGNAL)) {
            Err(e) if e.kind() == io::ErrorKind::Interrupted => continue,
            res => return res.map(|n| n as usize),
        }
    }
}

/// Sets an `int`-valued socket option (`SO_REUSEADDR`, `SO_REUSEPORT`, `SO_SNDBUF`, ...).
///
/// # Errors
/// `ENOPROTOOPT` for an option the socket does not know, `EINVAL`, ...
pub fn set_int_option(fd: BorrowedFd<'_>, level: c_int, name: c_int, value: c_int) -> io::Result<()> {
    // SAFETY: passes a pointer to a live c_int and its exact size.
    syscall!(setsockopt(
        fd.as_raw_fd(),
        level,
        name,
        (&value as *const c_int).cast(),
        mem::size_of::<c_int>() as socklen_t,
    ))?;
    Ok(())
}

/// Reads an `int`-valued socket option.
///
/// # Errors
/// `ENOPROTOOPT` for an option the socket does not know, ...
pub fn int_option(fd: BorrowedFd<'_>, level: c_int, name: c_int) -> io::Result<c_int> {
    let mut value: c_int = 0;
    let mut len = mem::size_of::<c_int>() as socklen_t;
    // SAFETY: `value` is a live c_int and `len` its size; the kernel writes at most that.
    syscall!(getsockopt(fd.as_raw_fd(), level, name, (&mut value as *mut c_int).cast(), &mut len))?;
    Ok(value)
}

/// Takes the socket's pending error (`SO_ERROR`), which also clears it: how a nonblocking
/// `connect` reports its outcome.
///
/// # Errors
/// When `getsockopt` itself fails (`EBADF`, `ENOTSOCK`).
pub fn take_error(fd: BorrowedFd<'_>) -> io::Result<Option<io::Error>> {
    let err = int_option(fd, libc::SOL_SOCKET, libc::SO_ERROR)?;
    Ok((err != 0).then(|| io::Error::from_raw_os_error(err)))
}

/// Sets `SO_LINGER`: `Some(d)` makes `close` wait up to `d` for unsent data, and
/// `Some(Duration::ZERO)` makes it reset the connection (`RST`) at once; `None` restores
/// the default (close in the background).
///
/// # Errors
/// `EBADF`, `ENOTSOCK`, ...
pub fn set_linger(fd: BorrowedFd<'_>, linger: Option<Duration>) -> io::Result<()> {
    let value = libc::linger {
        l_onoff: c_int::from(linger.is_some()),
        l_linger: linger.map_or(0, |d| c_int::try_from(d.as_secs()).unwrap_or(c_int::MAX)),
    };
    // SAFETY: passes a pointer to a live `linger` and its exact size.
    syscall!(setsockopt(
        fd.as_raw_fd(),
        libc::SOL_SOCKET,
        libc::SO_LINGER,
        (&value as *const libc::linger).cast(),
        mem::size_of::<libc::linger>() as socklen_t,
    ))?;
    Ok(())
}

/// Reads `SO_LINGER` (see [`set_linger`]).
///
/// # Errors
/// `EBADF`, `ENOTSOCK`, ...
pub fn linger(fd: BorrowedFd<'_>) -> io::Result<Option<Duration>> {
    let mut value = libc::linger { l_onoff: 0, l_linger: 0 };
    let mut len = mem::size_of::<libc::linger>() as socklen_t;
    // SAFETY: `value` is a live `linger` and `len` its size; the kernel writes at most that.
    syscall!(getsockopt(
        fd.as_raw_fd(),
        libc::SOL_SOCKET,
        libc::SO_LINGER,
        (&mut value as *mut libc::linger).cast(),
        &mut len,
    ))?;
    Ok((value.l_onoff != 0).then(|| Duration::from_secs(value.l_linger.max(0) as u64)))
}

/// The address `fd` is bound to (`getsockname`), for an IP socket.
///
/// # Errors
/// `EBADF`, `ENOTSOCK`, or `InvalidInput` for a socket that is not IPv4/IPv6.
pub fn local_addr(fd: BorrowedFd<'_>) -> io::Result<SocketAddr> {
    let mut storage = empty_storage();
    let mut len = mem::size_of::<libc::sockaddr_storage>() as socklen_t;
    // SAFETY: `storage` is a live sockaddr_storage and `len` its size; the kernel writes at
    // most that many bytes.
    syscall!(getsockname(fd.as_raw_fd(), (&mut storage as *mut libc::sockaddr_storage).cast(), &mut len))?;
    to_socket_addr(&storage, len)
}

fn empty_storage() -> libc::sockaddr_storage {
    // SAFETY: sockaddr_storage is plain old data; all-zero is a valid (AF_UNSPEC) value.
    unsafe { mem::zeroed() }
}

/// An IPv4 or IPv6 socket address in the C layout the kernel takes.
#[repr(C)]
union RawSocketAddr {
    v4: libc::sockaddr_in,
    v6: libc::sockaddr_in6,
}

impl RawSocketAddr {
    fn from(addr: &SocketAddr) -> (RawSocketAddr, socklen_t) {
        match addr {
            SocketAddr::V4(a) => {
                let raw = libc::sockaddr_in {
                    sin_family: libc::AF_INET as libc::sa_family_t,
                    sin_port: a.port().to_be(),
                    sin_addr: libc::in_addr { s_addr: u32::from_ne_bytes(a.ip().octets()) },
                    sin_zero: [0; 8],
                };
                (RawSocketAddr { v4: raw }, mem::size_of::<libc::sockaddr_in>() as socklen_t)
            }
            SocketAddr::V6(a) => {
                let raw = libc::sockaddr_in6 {
                    sin6_family: libc::AF_INET6 as libc::sa_family_t,
                    sin6_port: a.port().to_be(),
                    sin6_flowinfo: a.flowinfo(),
                    sin6_addr: libc::in6_addr { s6_addr: a.ip().octets() },
                    sin6_scope_id: a.scope_id(),
                };
                (RawSocketAddr { v6: raw }, mem::size_of::<libc::sockaddr_in6>() as socklen_t)
            }
        }
    }

    fn as_ptr(&self) -> *const libc::sockaddr {
        (self as *const RawSocketAddr).cast()
    }
}

/// Reads an IP address the kernel wrote into `storage` (`len` bytes of it).
fn to_socket_addr(storage: &libc::sockaddr_storage, len: socklen_t) -> io::Result<SocketAddr> {
    let len = len as usize;
    match c_int::from(storage.ss_family) {
        libc::AF_INET if len >= mem::size_of::<libc::sockaddr_in>() => {
            // SAFETY: sockaddr_storage is large and aligned enough for any sockaddr, and
            // the family says the kernel wrote a sockaddr_in.
            let a = unsafe { &*(storage as *const libc::sockaddr_storage).cast::<libc::sockaddr_in>() };
            let ip = Ipv4Addr::from(a.sin_addr.s_addr.to_ne_bytes());
            Ok(SocketAddr::V4(SocketAddrV4::new(ip, u16::from_be(a.sin_port))))
        }
        libc::AF_INET6 if len >= mem::size_of::<libc::sockaddr_in6>() => {
            // SAFETY: as above, for a sockaddr_in6.
            let a = unsafe { &*(storage as *const libc::sockaddr_storage).cast::<libc::sockaddr_in6>() };
            let ip = Ipv6Addr::from(a.sin6_addr.s6_addr);
            Ok(SocketAddr::V6(SocketAddrV6::new(
                ip,
                u16::from_be(a.sin6_port),
                a.sin6_flowinfo,
                a.sin6_scope_id,
            )))
        }
        _ => Err(io::Error::new(io::ErrorKind::InvalidInput, "not an IPv4 or IPv6 socket address")),
    }
}

/// A `sockaddr_un` for `path` and its length, as std computes it: a pathname gets its
/// terminating NUL counted; a name starting with NUL (Linux's abstract namespace) does not.
fn unix_addr(path: &Path) -> io::Result<(libc::sockaddr_un, socklen_t)> {
    let mut raw = libc::sockaddr_un { sun_family: libc::AF_UNIX as libc::sa_family_t, sun_path: [0; 108] };
    let bytes = path.as_os_str().as_bytes();
    if bytes.len() >= raw.sun_path.len() {
        return Err(io::Error::new(io::ErrorKind::InvalidInput, "path must be shorter than SUN_LEN"));
    }
    if bytes.iter().skip(1).any(|&b| b == 0) {
        return Err(io::Error::new(
            io::ErrorKind::InvalidInput,
            "paths must not contain interior null bytes",
        ));
    }
    for (dst, &src) in raw.sun_path.iter_mut().zip(bytes) {
        *dst = src as libc::c_char;
    }
    let offset = mem::size_of::<libc::sa_family_t>();
    let mut len = offset + bytes.len();
    if bytes.first().is_some_and(|&b| b != 0) {
        len += 1;
    }
    Ok((raw, len as socklen_t))
}

/// The credentials of a Unix socket's peer as the kernel recorded them at `connect` (or
/// `socketpair`): `SO_PEERCRED`, as `(pid, uid, gid)`.
///
/// # Errors
/// `ENOTSOCK`, `EBADF`; `ENOPROTOOPT` on a socket that is not a Unix socket.
pub fn peer_cred(fd: BorrowedFd<'_>) -> io::Result<(i32, u32, u32)> {
    let mut cred = libc::ucred { pid: 0, uid: 0, gid: 0 };
    let mut len = mem::size_of::<libc::ucred>() as socklen_t;
    // SAFETY: `cred` is a live ucred and `len` its size; the kernel writes at most that.
    syscall!(getsockopt(
        fd.as_raw_fd(),
        libc::SOL_SOCKET,
        libc::SO_PEERCRED,
        (&mut cred as *mut libc::ucred).cast(),
        &mut len,
    ))?;
    Ok((cred.pid, cred.uid, cred.gid))
}

/// Turns TCP keepalive off (`None`) or on with `idle` before the first probe
/// (`SO_KEEPALIVE`, then `TCP_KEEPIDLE` in whole seconds, at least 1, at most `i32::MAX`).
///
/// # Errors
/// When `setsockopt` fails.
pub fn set_keepalive(fd: BorrowedFd<'_>, idle: Option<Duration>) -> io::Result<()> {
    match idle {
        None => set_int_option(fd, libc::SOL_SOCKET, libc::SO_KEEPALIVE, 0),
        Some(idle) => {
            let secs = idle.as_secs().clamp(1, i32::MAX as u64) as c_int;
            set_int_option(fd, libc::IPPROTO_TCP, libc::TCP_KEEPIDLE, secs)?;
            set_int_option(fd, libc::SOL_SOCKET, libc::SO_KEEPALIVE, 1)
        }
    }
}

/// Sets the interface an IPv4 socket sends multicast datagrams from (`IP_MULTICAST_IF`),
/// by the interface's address.
///
/// # Errors
/// `EADDRNOTAVAIL` when no interface has that address.
pub fn set_multicast_if_v4(fd: BorrowedFd<'_>, interface: Ipv4Addr) -> io::Result<()> {
    let addr = libc::in_addr { s_addr: u32::from(interface).to_be() };
    // SAFETY: passes a pointer to a live in_addr and its exact size.
    syscall!(setsockopt(
        fd.as_raw_fd(),
        libc::IPPROTO_IP,
        libc::IP_MULTICAST_IF,
        (&addr as *const libc::in_addr).cast(),
        mem::size_of::<libc::in_addr>() as socklen_t,
    ))?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn round_trip(addr: SocketAddr) -> SocketAddr {
        let (raw, len) = RawSocketAddr::from(&addr);
        let mut storage = empty_storage();
        // SAFETY: copies `len` bytes (at most a sockaddr_in6) into a sockaddr_storage.
        unsafe {
            std::ptr::copy_nonoverlapping(
                raw.as_ptr().cast::<u8>(),
                (&mut storage as *mut libc::sockaddr_storage).cast::<u8>(),
                len as usize,
            );
        }
        to_socket_addr(&storage, len).unwrap()
    }

    #[test]
    fn ip_addresses_survive_the_c_layout() {
        for addr in ["127.0.0.1:8080", "0.0.0.0:0", "[::1]:443", "[fe80::1%3]:65535"] {
            let addr: SocketAddr = addr.parse().unwrap();
            assert_eq!(round_trip(addr), addr);
        }
    }

    #[test]
    fn unix_paths_are_checked() {
        let (_, len) = unix_addr(Path::new("/tmp/x")).unwrap();
        assert_eq!(len as usize, 2 + 6 + 1);
        let (_, len) = unix_addr(Path::new("\0abstract")).unwrap();
        assert_eq!(len as usize, 2 + 9);
        assert!(unix_addr(Path::new(&"a".repeat(200))).is_err());
        assert!(unix_addr(Path::new("/tmp/a\0b")).is_err());
    }

    #[test]
    fn sockets_are_born_nonblocking_and_cloexec() {
        let fd = socket(libc::AF_INET, libc::SOCK_STREAM).unwrap();
        use std::os::fd::AsFd;
        // SAFETY: F_GETFL/F_GETFD take no pointer argument.
        let (fl, fdfl) = unsafe {
            (libc::fcntl(fd.as_fd().as_raw_fd(), libc::F_GETFL), libc::fcntl(fd.as_raw_fd(), libc::F_GETFD))
        };
        assert_ne!(fl & libc::O_NONBLOCK, 0);
        assert_ne!(fdfl & libc::FD_CLOEXEC, 0);
    }
}
