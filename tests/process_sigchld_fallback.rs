//! The SIGCHLD path, forced with `CREST_PROCESS_SIGCHLD=1` (what a kernel without pidfds
//! gets): exit codes, signals, kill, concurrent children and no zombie, all without
//! `waitpid(-1)`: a child spawned with std, which crest knows nothing of, is left for its
//! owner to reap.
//!
//! One test function: the variable is read once per process, so it is set before anything
//! spawns, and no other test in this binary can race it.

mod util;

use std::os::unix::process::ExitStatusExt;
use std::time::Duration;

use crest::process::Command;

#[test]
fn sigchld_fallback_reaps_exactly_its_children() {
    // SAFETY-free in Rust 2021, but still: set before any thread of this test exists.
    std::env::set_var("CREST_PROCESS_SIGCHLD", "1");
    util::block_on_timeout(util::LIMIT, async {
        // A child crest does not own: it must still be there for std to reap afterwards.
        let mut foreign = std::process::Command::new("true").spawn().unwrap();

        let status = Command::new("sh").args(["-c", "exit 3"]).status().await.unwrap();
        assert_eq!(status.code(), Some(3));
        let status = Command::new("sh").args(["-c", "kill -TERM $$"]).status().await.unwrap();
        assert_eq!(status.signal(), Some(libc::SIGTERM));

        let mut sleeper = Command::new("sleep").arg("30").spawn().unwrap();
        let pid = sleeper.id().unwrap();
        sleeper.kill().await.unwrap();
        assert_eq!(util::process_state(pid), None, "killed and reaped");

        let waits: Vec<_> = (0..50)
            .map(|i| {
                let mut child =
                    Command::new("sh").args(["-c", &format!("sleep 0.05; exit {}", i % 5)]).spawn().unwrap();
                crest::spawn(async move { (i, child.wait().await.unwrap()) })
            })
            .collect();
        for wait in waits {
            let (i, status) = wait.await.unwrap();
            assert_eq!(status.code(), Some(i % 5));
        }

        let dropped = Command::new("sleep").arg("30").kill_on_drop(true).spawn().unwrap();
        let pid = dropped.id().unwrap();
        drop(dropped);
        for _ in 0..500 {
            if util::process_state(pid).is_none() {
                break;
            }
            crest::time::sleep(Duration::from_millis(10)).await;
        }
        assert_eq!(util::process_state(pid), None, "kill_on_drop child reaped");

        // crest never reaped the foreign child: std still can.
        assert!(foreign.wait().unwrap().success());
    });
}
