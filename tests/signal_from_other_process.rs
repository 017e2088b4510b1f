//! SIGUSR2 sent by another process (`kill -USR2 PID`, the shell's command) reaches a
//! listener; SIGTERM too, and with a listener it no longer ends the process.

mod util;

use crest::signal::unix::{signal, SignalKind};
use util::LIMIT;

async fn kill_from_shell(signal: &str) {
    let status = crest::process::Command::new("sh")
        .args(["-c", &format!("kill -{signal} {}", std::process::id())])
        .status()
        .await
        .unwrap();
    assert!(status.success(), "kill -{signal} failed: {status}");
}

#[test]
fn signals_from_another_process_arrive() {
    util::block_on_timeout(LIMIT, async {
        let mut usr2 = signal(SignalKind::user_defined2()).unwrap();
        let mut term = signal(SignalKind::terminate()).unwrap();
        kill_from_shell("USR2").await;
        assert_eq!(usr2.recv().await, Some(()));
        kill_from_shell("TERM").await;
        assert_eq!(term.recv().await, Some(()));
    });
}
