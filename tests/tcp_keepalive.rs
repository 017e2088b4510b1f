//! `TcpStream::set_keepalive`: `Some(idle)` turns SO_KEEPALIVE on with TCP_KEEPIDLE = idle,
//! `None` turns it off (read back with getsockopt).
mod util;

use std::io;
use std::os::fd::AsFd;
use std::time::Duration;

use crest::sys::socket::int_option;

#[test]
fn set_keepalive_sets_and_clears_the_options() {
    util::block_on_timeout(util::LIMIT, async {
        let (a, _b) = util::net::tcp_pair().await?;
        assert_eq!(int_option(a.as_fd(), libc::SOL_SOCKET, libc::SO_KEEPALIVE)?, 0);
        a.set_keepalive(Some(Duration::from_secs(42)))?;
        assert_eq!(int_option(a.as_fd(), libc::SOL_SOCKET, libc::SO_KEEPALIVE)?, 1);
        assert_eq!(int_option(a.as_fd(), libc::IPPROTO_TCP, libc::TCP_KEEPIDLE)?, 42);
        // Below a second rounds up to the kernel's minimum of one.
        a.set_keepalive(Some(Duration::from_millis(10)))?;
        assert_eq!(int_option(a.as_fd(), libc::IPPROTO_TCP, libc::TCP_KEEPIDLE)?, 1);
        a.set_keepalive(None)?;
        assert_eq!(int_option(a.as_fd(), libc::SOL_SOCKET, libc::SO_KEEPALIVE)?, 0);
        io::Result::Ok(())
    })
    .unwrap();
}
