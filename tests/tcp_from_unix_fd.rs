//! A Unix stream socket wrapped as a `std::net::TcpStream` (through `OwnedFd`, which the
//! type system allows) must not get the TCP-only short-read shortcut: a Unix read stops
//! early at a chunk that carried file descriptors, with more data queued behind and no new
//! edge to come, so clearing readiness on that short read waited forever (review finding
//! 11). `TcpStream::from_std` now asks the socket for its protocol.

mod util;

use std::io::Write;
use std::os::fd::{AsRawFd, OwnedFd};
use std::os::unix::net::UnixStream;
use std::time::Duration;

use crest::io::AsyncReadExt;

/// Sends `data` with one file descriptor (`SCM_RIGHTS`) attached.
fn send_with_fd(sock: &UnixStream, data: &[u8], fd: i32) {
    // SAFETY: CMSG_SPACE only computes a size.
    let space = unsafe { libc::CMSG_SPACE(std::mem::size_of::<i32>() as u32) } as usize;
    let mut control = vec![0u8; space];
    let mut iov = libc::iovec { iov_base: data.as_ptr() as *mut libc::c_void, iov_len: data.len() };
    // SAFETY: an all-zero msghdr is valid (null pointers, zero lengths).
    let mut msg: libc::msghdr = unsafe { std::mem::zeroed() };
    msg.msg_iov = &mut iov;
    msg.msg_iovlen = 1;
    msg.msg_control = control.as_mut_ptr().cast();
    msg.msg_controllen = space as _;
    // SAFETY: the control buffer is CMSG_SPACE(one int) bytes, so the first header and its
    // int payload fit in it; every pointer refers to a live local.
    let sent = unsafe {
        let cmsg = libc::CMSG_FIRSTHDR(&msg);
        (*cmsg).cmsg_level = libc::SOL_SOCKET;
        (*cmsg).cmsg_type = libc::SCM_RIGHTS;
        (*cmsg).cmsg_len = libc::CMSG_LEN(std::mem::size_of::<i32>() as u32) as _;
        std::ptr::write_unaligned(libc::CMSG_DATA(cmsg).cast::<i32>(), fd);
        libc::sendmsg(sock.as_raw_fd(), &msg, 0)
    };
    assert_eq!(sent, data.len() as isize, "sendmsg: {}", std::io::Error::last_os_error());
}

#[test]
fn unix_socket_as_tcp_stream_reads_past_a_chunk_with_descriptors() {
    util::with_timeout(util::LIMIT, || {
        let (mut a, b) = UnixStream::pair().unwrap();
        let null = std::fs::File::open("/dev/null").unwrap();
        // Both chunks are queued before the socket is registered: one edge for both.
        send_with_fd(&a, b"x", null.as_raw_fd());
        a.write_all(b"yyyy").unwrap();
        let disguised = std::net::TcpStream::from(OwnedFd::from(b));
        crest::block_on(async move {
            let mut stream = crest::net::TcpStream::from_std(disguised).unwrap();
            let mut buf = [0u8; 5];
            // The first read stops after "x" (its chunk carried a descriptor).
            let read = crest::time::timeout(Duration::from_secs(5), stream.read_exact(&mut buf)).await;
            read.expect("the read waited for an edge that never comes").unwrap();
            assert_eq!(&buf, b"xyyyy");
        });
        drop(a);
    });
}
