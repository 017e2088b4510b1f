//! `UnixStream::peer_cred` reports the connecting process's pid, uid and gid.
mod util;

use std::io;

use crest::net::{UnixListener, UnixStream};

#[test]
fn peer_cred_names_this_process_on_both_ends() {
    util::block_on_timeout(util::LIMIT, async {
        let path = util::net::socket_path("peer-cred");
        let listener = UnixListener::bind(&path)?;
        let client = UnixStream::connect(&path).await?;
        let (server, _) = listener.accept().await?;
        // SAFETY: getuid and getgid cannot fail and touch no memory.
        let (uid, gid) = unsafe { (libc::getuid(), libc::getgid()) };
        for cred in [client.peer_cred()?, server.peer_cred()?] {
            assert_eq!(cred.pid(), Some(std::process::id() as i32));
            assert_eq!((cred.uid(), cred.gid()), (uid, gid));
        }
        let _ = std::fs::remove_file(&path);
        io::Result::Ok(())
    })
    .unwrap();
}
