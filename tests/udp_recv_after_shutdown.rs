//! A UDP socket after `shutdown(SHUT_RD)` reports RDHUP | IN to epoll forever while `recv`
//! says EAGAIN. The read-closed bit is final, so a retry loop that kept trying while
//! readiness was set would spin inside one poll and freeze a current-thread runtime
//! (the class of tokio#4549). `recv` must instead wait for the next event: a timeout
//! around it fires, and a datagram sent later is still received if the kernel delivers it.

mod util;

use std::os::fd::AsRawFd;
use std::time::Duration;

use crest::net::UdpSocket;

#[test]
fn recv_after_shutdown_read_waits_instead_of_spinning() -> std::io::Result<()> {
    util::block_on_timeout(util::LIMIT, async {
        let sock = UdpSocket::bind("127.0.0.1:0").await?;
        let peer = UdpSocket::bind("127.0.0.1:0").await?;
        sock.connect(peer.local_addr()?).await?; // shutdown needs a connected socket
                                                 // SAFETY: shutdown on a socket fd we own; no pointers.
        let rc = unsafe { libc::shutdown(sock.as_raw_fd(), libc::SHUT_RD) };
        assert_eq!(rc, 0, "shutdown(SHUT_RD): {}", std::io::Error::last_os_error());
        let mut buf = [0; 16];
        for _ in 0..3 {
            let res = crest::time::timeout(Duration::from_millis(20), sock.recv(&mut buf)).await;
            assert!(res.is_err(), "recv after SHUT_RD returned instead of waiting: {res:?}");
        }
        // The runtime is alive: timers and other tasks still run.
        let other = crest::spawn(async { 7 });
        assert_eq!(other.await.unwrap(), 7);
        Ok(())
    })
}
