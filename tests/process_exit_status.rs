//! Exit codes and deaths by signal come back as std's `ExitStatus`: `exit 3`, a shell that
//! sends itself SIGTERM, and a child killed with `kill()`.

mod util;

use std::os::unix::process::ExitStatusExt;

use crest::process::Command;

#[test]
fn exit_code() {
    util::block_on_timeout(util::LIMIT, async {
        let status = Command::new("sh").args(["-c", "exit 3"]).status().await.unwrap();
        assert_eq!(status.code(), Some(3));
        assert!(Command::new("true").status().await.unwrap().success());
    });
}

#[test]
fn killed_by_its_own_sigterm() {
    util::block_on_timeout(util::LIMIT, async {
        let status = Command::new("sh").args(["-c", "kill -TERM $$"]).status().await.unwrap();
        assert_eq!(status.code(), None);
        assert_eq!(status.signal(), Some(libc::SIGTERM));
    });
}

#[test]
fn kill_sends_sigkill_and_reaps() {
    util::block_on_timeout(util::LIMIT, async {
        let mut child = Command::new("sleep").arg("30").spawn().unwrap();
        assert!(child.try_wait().unwrap().is_none());
        child.kill().await.unwrap();
        let status = child.try_wait().unwrap().expect("reaped by kill()");
        assert_eq!(status.signal(), Some(libc::SIGKILL));
        assert_eq!(child.id(), None);
        // Killing a reaped child is an error, not a signal to whoever has the pid now.
        assert_eq!(child.start_kill().unwrap_err().kind(), std::io::ErrorKind::InvalidInput);
    });
}

#[test]
fn missing_program_is_not_found() {
    util::block_on_timeout(util::LIMIT, async {
        let err = Command::new("/nonexistent/crest-test-program").spawn().unwrap_err();
        assert_eq!(err.kind(), std::io::ErrorKind::NotFound);
    });
}
