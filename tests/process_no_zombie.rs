//! No zombie is left: a child that was waited on, a child dropped with `kill_on_drop`, and
//! a child dropped without it (reaped when it exits) are all gone from `/proc`.

mod util;

use std::time::{Duration, Instant};

use crest::process::Command;

/// Waits (in the runtime, so reaper tasks run) until `pid` has left `/proc`.
async fn gone(pid: u32) {
    let deadline = Instant::now() + Duration::from_secs(10);
    while let Some(state) = util::process_state(pid) {
        assert!(Instant::now() < deadline, "child {pid} is still in /proc, state {state}");
        crest::time::sleep(Duration::from_millis(10)).await;
    }
}

#[test]
fn waited_child_leaves_no_zombie() {
    util::block_on_timeout(util::LIMIT, async {
        let mut child = Command::new("true").spawn().unwrap();
        let pid = child.id().unwrap();
        child.wait().await.unwrap();
        assert_eq!(util::process_state(pid), None, "reaped by wait");
    });
}

#[test]
fn kill_on_drop_kills_and_reaps() {
    util::block_on_timeout(util::LIMIT, async {
        let child = Command::new("sleep").arg("30").kill_on_drop(true).spawn().unwrap();
        let pid = child.id().unwrap();
        drop(child);
        gone(pid).await;
    });
}

#[test]
fn dropped_child_runs_on_and_is_reaped() {
    util::block_on_timeout(util::LIMIT, async {
        let dir = std::env::temp_dir().join(format!("crest-zombie-{}", std::process::id()));
        let _ = std::fs::remove_file(&dir);
        let child = Command::new("sh")
            .args(["-c", &format!("sleep 0.2; echo done > {}", dir.display())])
            .spawn()
            .unwrap();
        let pid = child.id().unwrap();
        drop(child);
        gone(pid).await;
        // It was not killed: it finished its work.
        assert_eq!(std::fs::read_to_string(&dir).unwrap(), "done\n");
        let _ = std::fs::remove_file(&dir);
    });
}
