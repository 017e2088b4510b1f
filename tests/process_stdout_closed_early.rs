//! A child that closes its stdout early and keeps running: the parent reads EOF at once and
//! the exit comes later. A child that stops reading its stdin: the parent's write fails
//! with `BrokenPipe` (std ignores SIGPIPE), never a hang or a signal.

mod util;

use std::process::Stdio;
use std::time::Instant;

use crest::io::{AsyncReadExt, AsyncWriteExt};
use crest::process::Command;

#[test]
fn eof_on_stdout_before_exit() {
    util::block_on_timeout(util::LIMIT, async {
        let mut child = Command::new("sh")
            .args(["-c", "echo early; exec 1>&-; sleep 0.3; exit 5"])
            .stdout(Stdio::piped())
            .spawn()
            .unwrap();
        let mut text = String::new();
        child.stdout.take().unwrap().read_to_string(&mut text).await.unwrap();
        assert_eq!(text, "early\n");
        // EOF came while the child still ran.
        assert!(child.try_wait().unwrap().is_none());
        assert_eq!(child.wait().await.unwrap().code(), Some(5));
    });
}

#[test]
fn writing_to_a_child_that_stopped_reading() {
    util::block_on_timeout(util::LIMIT, async {
        let mut child = Command::new("head")
            .args(["-c", "10"])
            .stdin(Stdio::piped())
            .stdout(Stdio::null())
            .spawn()
            .unwrap();
        let mut stdin = child.stdin.take().unwrap();
        let start = Instant::now();
        let big = vec![b'x'; 4 * 1024 * 1024];
        let err = stdin.write_all(&big).await.unwrap_err();
        assert_eq!(err.kind(), std::io::ErrorKind::BrokenPipe, "{err} after {:?}", start.elapsed());
        assert!(child.wait().await.unwrap().success());
    });
}
