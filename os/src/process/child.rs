//! A spawned child: its pipes, its exit, and what happens when it is dropped.
//!
//! What this file does not do: build the command (`mod.rs`) or learn of the exit
//! (`reap.rs`).

use std::future::poll_fn;
use std::io;
use std::pin::Pin;
use std::process::{ExitStatus, Output};
use std::task::{Context, Poll};

use crest_runtime::io::AsyncRead;

use super::pipe::{ChildStderr, ChildStdin, ChildStdout};
use super::reap::Exit;

/// A child process spawned by [`Command::spawn`](super::Command::spawn).
///
/// Dropping a `Child` does not stop the process unless the command had
/// [`kill_on_drop(true)`](super::Command::kill_on_drop); either way crest reaps it once it
/// exits, so it does not linger as a zombie.
#[derive(Debug)]
pub struct Child {
    /// The parent's end of the child's stdin, if it was `Stdio::piped()`.
    pub stdin: Option<ChildStdin>,
    /// The parent's end of the child's stdout, if it was `Stdio::piped()`.
    pub stdout: Option<ChildStdout>,
    /// The parent's end of the child's stderr, if it was `Stdio::piped()`.
    pub stderr: Option<ChildStderr>,
    exit: Exit,
    kill_on_drop: bool,
}

impl Child {
    pub(crate) fn new(
        exit: Exit,
        stdin: Option<ChildStdin>,
        stdout: Option<ChildStdout>,
        stderr: Option<ChildStderr>,
        kill_on_drop: bool,
    ) -> Child {
        Child { stdin, stdout, stderr, exit, kill_on_drop }
    }

    /// The child's process id; `None` once it has been reaped (the pid may then belong to
    /// another process).
    pub fn id(&self) -> Option<u32> {
        self.exit.id()
    }

    /// Closes the child's stdin (so a child reading it sees EOF), then waits for it to exit
    /// and reaps it. Waiting costs no thread: the driver watches the child's pidfd.
    ///
    /// ```
    /// crest::block_on(async {
    ///     let status = crest::process::Command::new("sh").args(["-c", "exit 3"]).spawn()?.wait().await?;
    ///     assert_eq!(status.code(), Some(3));
    ///     std::io::Result::Ok(())
    /// })?;
    /// # std::io::Result::Ok(())
    /// ```
    ///
    /// Cancel safe: dropping the future and calling `wait` again loses nothing.
    ///
    /// # Errors
    /// When the runtime shut down, or the child was reaped by someone else (`ECHILD`).
    pub async fn wait(&mut self) -> io::Result<ExitStatus> {
        drop(self.stdin.take());
        poll_fn(|cx| self.exit.poll_wait(cx)).await
    }

    /// The exit status if the child has exited (reaping it), `None` if it is still running.
    ///
    /// # Errors
    /// When `waitid` fails (the child was reaped by someone else).
    pub fn try_wait(&mut self) -> io::Result<Option<ExitStatus>> {
        self.exit.try_wait()
    }

    /// Sends SIGKILL to the child, without waiting for it to exit.
    ///
    /// # Errors
    /// `InvalidInput` if the child was already reaped.
    pub fn start_kill(&mut self) -> io::Result<()> {
        self.exit.start_kill()
    }

    /// Sends SIGKILL and waits until the child is gone (reaped).
    ///
    /// # Errors
    /// As [`start_kill`](Self::start_kill) and [`wait`](Self::wait).
    pub async fn kill(&mut self) -> io::Result<()> {
        self.start_kill()?;
        self.wait().await?;
        Ok(())
    }

    /// Closes stdin, reads stdout and stderr to their ends (both at once, so a child that
    /// fills one pipe while we read the other cannot deadlock), and waits for the exit.
    ///
    /// # Errors
    /// A read error, or as [`wait`](Self::wait).
    pub async fn wait_with_output(mut self) -> io::Result<Output> {
        drop(self.stdin.take());
        let mut stdout = self.stdout.take();
        let mut stderr = self.stderr.take();
        let (mut out, mut err) = (Vec::new(), Vec::new());
        let (mut out_done, mut err_done) = (stdout.is_none(), stderr.is_none());
        let mut status = None;
        poll_fn(|cx| {
            if !out_done {
                if let Poll::Ready(res) = poll_read_to_end(stdout.as_mut().map(|s| s as _), &mut out, cx) {
                    res?;
                    out_done = true;
                }
            }
            if !err_done {
                if let Poll::Ready(res) = poll_read_to_end(stderr.as_mut().map(|s| s as _), &mut err, cx) {
                    res?;
                    err_done = true;
                }
            }
            if status.is_none() {
                if let Poll::Ready(res) = self.exit.poll_wait(cx) {
                    status = Some(res?);
                }
            }
            match status {
                Some(status) if out_done && err_done => Poll::Ready(Ok(Output {
                    status,
                    stdout: std::mem::take(&mut out),
                    stderr: std::mem::take(&mut err),
                })),
                _ => Poll::Pending,
            }
        })
        .await
    }
}

/// Reads `pipe` into `buf` until EOF.
fn poll_read_to_end(
    pipe: Option<&mut (dyn AsyncRead + Unpin + Send)>,
    buf: &mut Vec<u8>,
    cx: &mut Context<'_>,
) -> Poll<io::Result<()>> {
    let Some(pipe) = pipe else { return Poll::Ready(Ok(())) };
    // A chunk on the stack rather than zero-filling the vector's spare capacity on each
    // read, which would cost O(capacity) per read.
    let mut chunk = [0u8; 16 * 1024];
    loop {
        match Pin::new(&mut *pipe).poll_read(cx, &mut chunk) {
            Poll::Ready(Ok(0)) => return Poll::Ready(Ok(())),
            Poll::Ready(Ok(n)) => buf.extend_from_slice(&chunk[..n]),
            Poll::Ready(Err(e)) if e.kind() == io::ErrorKind::Interrupted => {}
            Poll::Ready(Err(e)) => return Poll::Ready(Err(e)),
            Poll::Pending => return Poll::Pending,
        }
    }
}

impl Drop for Child {
    fn drop(&mut self) {
        if self.kill_on_drop {
            // Already reaped (or gone) is fine; the Exit's own drop reaps or adopts it.
            let _ = self.exit.start_kill();
        }
    }
}
