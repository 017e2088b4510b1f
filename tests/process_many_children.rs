//! 500 children at once on a current-thread runtime: all are waited on concurrently, and
//! the process gains no thread (no thread per child, no helper thread), because each
//! child's exit is an epoll event on its pidfd.

mod util;

use crest::process::Command;

const CHILDREN: usize = 500;

#[test]
fn five_hundred_concurrent_children_no_new_thread() {
    util::raise_fd_limit();
    util::block_on_timeout(util::LIMIT, async {
        let before = util::thread_count();
        let mut children = Vec::with_capacity(CHILDREN);
        for i in 0..CHILDREN {
            let child =
                Command::new("sh").args(["-c", &format!("sleep 0.3; exit {}", i % 7)]).spawn().unwrap();
            children.push(child);
        }
        let waits: Vec<_> = children
            .into_iter()
            .enumerate()
            .map(|(i, mut child)| crest::task::spawn_local(async move { (i, child.wait().await.unwrap()) }))
            .collect();
        // All 500 are alive or waited on now; the thread count is what it was.
        let during = util::thread_count();
        for wait in waits {
            let (i, status) = wait.await.unwrap();
            assert_eq!(status.code(), Some((i % 7) as i32));
        }
        assert_eq!(during, before, "threads before spawning: {before}, with 500 children: {during}");
        assert_eq!(util::thread_count(), before);
    });
}
