//! `output()` reads stdout and stderr at once: a child that writes 1 MB to stderr before a
//! byte of stdout (more than a pipe holds) does not deadlock. `wait_with_output` closes
//! stdin first, so a child reading it to EOF ends.

mod util;

use std::process::Stdio;

use crest::io::AsyncWriteExt;
use crest::process::Command;

#[test]
fn output_reads_both_pipes_concurrently() {
    util::block_on_timeout(util::LIMIT, async {
        let out = Command::new("sh")
            .args(["-c", "head -c 1000000 /dev/zero >&2; echo out; exit 2"])
            .output()
            .await
            .unwrap();
        assert_eq!(out.status.code(), Some(2));
        assert_eq!(out.stdout, b"out\n");
        assert_eq!(out.stderr.len(), 1_000_000);
    });
}

#[test]
fn wait_with_output_closes_stdin() {
    util::block_on_timeout(util::LIMIT, async {
        let mut child = Command::new("wc")
            .arg("-c")
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .unwrap();
        child.stdin.as_mut().unwrap().write_all(b"12345").await.unwrap();
        let out = child.wait_with_output().await.unwrap();
        assert!(out.status.success());
        assert_eq!(String::from_utf8_lossy(&out.stdout).trim(), "5");
    });
}
