//! [`UCred`]: the credentials of a Unix socket's peer.

/// Who is on the other end of a Unix socket, as the kernel recorded it when the
/// connection was made (`SO_PEERCRED`).
///
/// ```
/// crest::block_on(async {
///     let (a, _b) = crest::net::UnixStream::pair()?;
///     let cred = a.peer_cred()?;
///     assert_eq!(cred.pid(), Some(std::process::id() as i32));
///     std::io::Result::Ok(())
/// })?;
/// # std::io::Result::Ok(())
/// ```
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct UCred {
    pub(crate) pid: Option<i32>,
    pub(crate) uid: u32,
    pub(crate) gid: u32,
}

impl UCred {
    /// The peer's process id (`None` when the kernel did not record one).
    pub fn pid(&self) -> Option<i32> {
        self.pid
    }

    /// The peer's effective user id.
    pub fn uid(&self) -> u32 {
        self.uid
    }

    /// The peer's effective group id.
    pub fn gid(&self) -> u32 {
        self.gid
    }
}
