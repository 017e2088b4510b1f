//! Learning that one child exited, and reaping it: through a pidfd on the driver, or, where
//! the kernel has no pidfds, through SIGCHLD and a nonblocking `waitid` on the child's pid.
//!
//! # The pidfd path (Linux ≥ 5.3)
//! `pidfd_open(pid)` right after the spawn gives a descriptor that becomes readable when the
//! child exits. It is registered with the driver like a socket, so waiting costs no thread
//! and no polling: the exit is one epoll event, the task wakes, and
//! `waitid(P_PIDFD, fd, WEXITED | WNOHANG)` reaps exactly that child.
//!
//! # The SIGCHLD path
//! Without pidfds, each waiting child listens for SIGCHLD through [`crate::signal`] and,
//! on every delivery (and once before the first wait), tries `waitid(P_PID, pid, WNOHANG)`.
//! Never `waitpid(-1)`: that would reap, and so steal, children that other code waits for.
//! The listener exists before the first try, so an exit between the try and the wait is
//! still seen. `CREST_PROCESS_SIGCHLD=1` in the environment (read once per process) forces
//! this path; `tests/process_sigchld_fallback.rs` runs with it.
//!
//! # Orphans
//! A child whose [`Child`](super::Child) is dropped before it was reaped is adopted: if a
//! runtime is current, a task waits for it and reaps it; if that task is dropped first (the
//! runtime shut down), its pid joins a list that each later spawn tries to reap. A pid
//! cannot be reused before it is reaped, and only crest reaps it, so the pid alone is safe.
//!
//! What this file does not do: pipes or signals' delivery (`pipe.rs`, [`crate::signal`]).

use std::future::poll_fn;
use std::io;
use std::os::fd::{AsFd, OwnedFd};
use std::process::ExitStatus;
use std::sync::{Mutex, OnceLock};
use std::task::{Context, Poll};

use crest_runtime::io::Async;
use crest_runtime::sys::process as sys;

use crate::signal::unix::{signal, Signal, SignalKind};

/// How the exit of one child is learned.
#[derive(Debug)]
enum Waiter {
    Pidfd(Async<OwnedFd>),
    Sigchld(Signal),
}

/// One child, until it is reaped.
#[derive(Debug)]
pub(crate) struct Exit {
    pid: u32,
    waiter: Option<Waiter>,
    status: Option<ExitStatus>,
    /// Already adopted: if dropped unreaped, the pid goes to the orphan list.
    orphan: bool,
}

/// Whether the environment forces the SIGCHLD path.
fn sigchld_forced() -> bool {
    static FORCED: OnceLock<bool> = OnceLock::new();
    *FORCED.get_or_init(|| std::env::var_os("CREST_PROCESS_SIGCHLD").is_some_and(|v| v == "1"))
}

impl Exit {
    /// Starts watching child `pid`, just spawned.
    pub(crate) fn new(pid: u32) -> io::Result<Exit> {
        let waiter = if sigchld_forced() {
            Waiter::Sigchld(signal(SignalKind::child())?)
        } else {
            match sys::pidfd_open(pid) {
                Ok(fd) => Waiter::Pidfd(Async::new(fd)?),
                // No pidfds here (old kernel, or a seccomp filter).
                Err(e) if matches!(e.raw_os_error(), Some(libc::ENOSYS) | Some(libc::EPERM)) => {
                    Waiter::Sigchld(signal(SignalKind::child())?)
                }
                Err(e) => return Err(e),
            }
        };
        Ok(Exit { pid, waiter: Some(waiter), status: None, orphan: false })
    }

    /// The pid, while the child is not reaped.
    pub(crate) fn id(&self) -> Option<u32> {
        self.status.is_none().then_some(self.pid)
    }

    /// Reaps the child if it has exited, without waiting.
    pub(crate) fn try_wait(&mut self) -> io::Result<Option<ExitStatus>> {
        if let Some(status) = self.status {
            return Ok(Some(status));
        }
        let status = match &self.waiter {
            Some(Waiter::Pidfd(fd)) => sys::try_reap_pidfd(fd.as_fd())?,
            _ => sys::try_reap_pid(self.pid)?,
        };
        if status.is_some() {
            self.reaped(status);
        }
        Ok(status)
    }

    fn reaped(&mut self, status: Option<ExitStatus>) {
        self.status = status;
        // The pidfd or the SIGCHLD listener has no more use.
        self.waiter = None;
    }

    /// Waits for the child's exit and reaps it.
    pub(crate) fn poll_wait(&mut self, cx: &mut Context<'_>) -> Poll<io::Result<ExitStatus>> {
        if let Some(status) = self.status {
            return Poll::Ready(Ok(status));
        }
        let status = match &mut self.waiter {
            Some(Waiter::Pidfd(fd)) => {
                // Readable once the child exited; until then `waitid` finds nothing, which
                // counts as WouldBlock and clears the readiness.
                let res = fd.poll_read_with(cx, |fd| {
                    sys::try_reap_pidfd(fd.as_fd())?.ok_or_else(|| io::ErrorKind::WouldBlock.into())
                });
                match res {
                    Poll::Ready(Ok(status)) => status,
                    Poll::Ready(Err(e)) => return Poll::Ready(Err(e)),
                    Poll::Pending => return Poll::Pending,
                }
            }
            Some(Waiter::Sigchld(sigchld)) => loop {
                if let Some(status) = sys::try_reap_pid(self.pid)? {
                    break status;
                }
                match sigchld.poll_recv(cx) {
                    Poll::Ready(Some(())) => continue,
                    Poll::Ready(None) => {
                        return Poll::Ready(Err(io::Error::other(
                            "waiting for a child: the runtime shut down",
                        )))
                    }
                    Poll::Pending => return Poll::Pending,
                }
            },
            None => unreachable!("the waiter is dropped only once the child is reaped"),
        };
        self.reaped(Some(status));
        Poll::Ready(Ok(status))
    }

    /// Sends SIGKILL, unless the child was reaped already.
    pub(crate) fn start_kill(&mut self) -> io::Result<()> {
        if self.try_wait()?.is_some() {
            return Err(io::Error::new(
                io::ErrorKind::InvalidInput,
                "cannot kill a child process that has exited and been reaped",
            ));
        }
        match &self.waiter {
            Some(Waiter::Pidfd(fd)) => sys::pidfd_send_signal(fd.as_fd(), libc::SIGKILL),
            _ => sys::kill(self.pid, libc::SIGKILL),
        }
    }
}

impl Drop for Exit {
    fn drop(&mut self) {
        if self.status.is_some() || matches!(self.try_wait(), Ok(Some(_)) | Err(_)) {
            return;
        }
        if self.orphan {
            orphans().lock().unwrap_or_else(|e| e.into_inner()).push(self.pid);
            return;
        }
        let exit = Exit { pid: self.pid, waiter: self.waiter.take(), status: None, orphan: true };
        match crest_runtime::runtime::Handle::try_current() {
            Some(handle) => {
                let mut exit = exit;
                drop(handle.spawn(async move {
                    let _ = poll_fn(|cx| exit.poll_wait(cx)).await;
                }));
            }
            // Dropped outside a runtime: the orphan list takes it.
            None => drop(exit),
        }
    }
}

/// Pids of dropped children that exited after their reaper task was gone.
fn orphans() -> &'static Mutex<Vec<u32>> {
    static ORPHANS: Mutex<Vec<u32>> = Mutex::new(Vec::new());
    &ORPHANS
}

/// Reaps every orphan that has exited (called on each spawn).
pub(crate) fn reap_orphans() {
    let mut list = orphans().lock().unwrap_or_else(|e| e.into_inner());
    if list.is_empty() {
        return;
    }
    // Keep only those still running; a reaped one (or one someone else reaped) goes.
    list.retain(|&pid| matches!(sys::try_reap_pid(pid), Ok(None)));
}
