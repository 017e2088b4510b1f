//! `#[crest::main] async fn main() -> Result<(), E>` exits non-zero when it returns `Err`.
//!
//! Runs `examples/exit_error.rs` through `cargo run`, the way a user would, since Cargo gives
//! integration tests no path to example binaries.

use std::io::{self, Read};
use std::process::{Command, Stdio};
use std::thread;
use std::time::{Duration, Instant};

/// Generous: `cargo run` may have to build the example first.
const TIMEOUT: Duration = Duration::from_secs(300);

#[test]
fn main_returning_err_exits_non_zero() -> io::Result<()> {
    let mut child = Command::new(env!("CARGO"))
        .args(["run", "--quiet", "--example", "exit_error"])
        .current_dir(env!("CARGO_MANIFEST_DIR"))
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .spawn()?;
    // Read stderr on the side so a chatty build cannot fill the pipe and stall the child.
    let mut stderr = child.stderr.take().expect("stderr is piped");
    let reader = thread::spawn(move || {
        let mut text = String::new();
        stderr.read_to_string(&mut text).map(|_| text)
    });

    let deadline = Instant::now() + TIMEOUT;
    let status = loop {
        if let Some(status) = child.try_wait()? {
            break status;
        }
        if Instant::now() > deadline {
            child.kill()?;
            child.wait()?;
            panic!("`cargo run --example exit_error` took more than {TIMEOUT:?}");
        }
        thread::sleep(Duration::from_millis(50));
    };
    let stderr = reader.join().expect("the reader thread does not panic")?;

    assert_eq!(status.code(), Some(1), "stderr:\n{stderr}");
    assert!(stderr.contains("exit_error fails on purpose"), "main's error is printed; stderr:\n{stderr}");
    Ok(())
}
