//! Dropping a runtime drops every task and closes every fd they held.
//! (One test in this file: it counts the process's open fds.)
mod util;

use std::os::unix::net::UnixStream;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;

use crest::io::{Async, AsyncReadExt};

struct CountDrop(Arc<AtomicUsize>);
impl Drop for CountDrop {
    fn drop(&mut self) {
        self.0.fetch_add(1, Ordering::SeqCst);
    }
}

#[test]
fn dropping_a_runtime_with_1000_pending_socket_tasks_closes_every_fd() {
    util::raise_fd_limit();
    util::with_timeout(util::LIMIT, || {
        let before = util::open_fds();
        let drops = Arc::new(AtomicUsize::new(0));
        let rt = crest::runtime::Builder::new_current_thread().build().unwrap();
        let d = drops.clone();
        rt.block_on(async move {
            for _ in 0..1000 {
                let (a, b) = UnixStream::pair().unwrap();
                let guard = CountDrop(d.clone());
                drop(crest::spawn(async move {
                    let _guard = guard;
                    let mut a = Async::new(a).unwrap();
                    let _b = Async::new(b).unwrap();
                    let mut buf = [0; 1];
                    // Nobody writes: pending forever.
                    let _ = a.read(&mut buf).await;
                }));
            }
            // Let every task start and park on its socket.
            crest::task::yield_now().await;
            crest::task::yield_now().await;
        });
        assert!(util::open_fds() >= before + 2000, "the sockets are open while the tasks wait");
        drop(rt);
        assert_eq!(drops.load(Ordering::SeqCst), 1000, "every task's destructor ran");
        assert_eq!(util::open_fds(), before, "every fd is closed, the runtime's own included");
    });
}
