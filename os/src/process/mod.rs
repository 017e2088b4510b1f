//! Child processes: [`Command`] spawns, [`Child`] waits; the child's pipes are nonblocking
//! fds on the driver.
//!
//! ```
//! use crest::io::AsyncReadExt;
//! use crest::process::Command;
//! use std::process::Stdio;
//!
//! crest::block_on(async {
//!     let mut child = Command::new("echo").arg("hello").stdout(Stdio::piped()).spawn()?;
//!     let mut text = String::new();
//!     child.stdout.take().unwrap().read_to_string(&mut text).await?;
//!     assert_eq!(text, "hello\n");
//!     assert!(child.wait().await?.success());
//!     std::io::Result::Ok(())
//! })?;
//! # std::io::Result::Ok(())
//! ```
//!
//! Waiting costs no thread per child and no polling loop: the child's pidfd is registered
//! with the driver and `waitid(P_PIDFD)` reaps exactly that child (`reap.rs` has the
//! details, and the SIGCHLD fallback for kernels without pidfds). crest never calls
//! `waitpid(-1)`, so children spawned by other code are left to it.
//!
//! What this module does not do: make syscalls itself (they are in
//! `crest_runtime::sys::process`), or set up the child (std's `Command` does, with
//! `posix_spawn` or `fork`/`exec` on the calling thread).

mod child;
mod pipe;
mod reap;

use std::ffi::OsStr;
use std::io;
use std::path::Path;
use std::process::{ExitStatus, Output, Stdio};

pub use child::Child;
pub use pipe::{ChildStderr, ChildStdin, ChildStdout};

/// A command to run: std's [`std::process::Command`] builder, spawning an async [`Child`].
///
/// By default the child inherits stdin, stdout and stderr (as with std), except for
/// [`output`](Self::output), which pipes stdout and stderr.
#[derive(Debug)]
pub struct Command {
    std: std::process::Command,
    kill_on_drop: bool,
}

impl Command {
    /// A command that runs `program` (looked up in `PATH` when it has no `/`).
    pub fn new(program: impl AsRef<OsStr>) -> Command {
        Command { std: std::process::Command::new(program), kill_on_drop: false }
    }

    /// Adds one argument.
    pub fn arg(&mut self, arg: impl AsRef<OsStr>) -> &mut Command {
        self.std.arg(arg);
        self
    }

    /// Adds arguments.
    pub fn args<I, S>(&mut self, args: I) -> &mut Command
    where
        I: IntoIterator<Item = S>,
        S: AsRef<OsStr>,
    {
        self.std.args(args);
        self
    }

    /// Sets an environment variable for the child.
    pub fn env(&mut self, key: impl AsRef<OsStr>, val: impl AsRef<OsStr>) -> &mut Command {
        self.std.env(key, val);
        self
    }

    /// Sets environment variables for the child.
    pub fn envs<I, K, V>(&mut self, vars: I) -> &mut Command
    where
        I: IntoIterator<Item = (K, V)>,
        K: AsRef<OsStr>,
        V: AsRef<OsStr>,
    {
        self.std.envs(vars);
        self
    }

    /// Removes an environment variable from the child's environment.
    pub fn env_remove(&mut self, key: impl AsRef<OsStr>) -> &mut Command {
        self.std.env_remove(key);
        self
    }

    /// Clears the child's environment.
    pub fn env_clear(&mut self) -> &mut Command {
        self.std.env_clear();
        self
    }

    /// Sets the child's working directory.
    pub fn current_dir(&mut self, dir: impl AsRef<Path>) -> &mut Command {
        self.std.current_dir(dir);
        self
    }

    /// Sets the child's stdin (`Stdio::piped()` gives [`Child::stdin`]).
    pub fn stdin(&mut self, cfg: impl Into<Stdio>) -> &mut Command {
        self.std.stdin(cfg);
        self
    }

    /// Sets the child's stdout (`Stdio::piped()` gives [`Child::stdout`]).
    pub fn stdout(&mut self, cfg: impl Into<Stdio>) -> &mut Command {
        self.std.stdout(cfg);
        self
    }

    /// Sets the child's stderr (`Stdio::piped()` gives [`Child::stderr`]).
    pub fn stderr(&mut self, cfg: impl Into<Stdio>) -> &mut Command {
        self.std.stderr(cfg);
        self
    }

    /// Whether dropping the [`Child`] (before it was waited for) sends it SIGKILL. Default
    /// `false`: a dropped child keeps running (and is reaped when it exits).
    pub fn kill_on_drop(&mut self, kill_on_drop: bool) -> &mut Command {
        self.kill_on_drop = kill_on_drop;
        self
    }

    /// The std builder, for what this one does not wrap (`uid`, `process_group`,
    /// `pre_exec`, ...).
    pub fn as_std_mut(&mut self) -> &mut std::process::Command {
        &mut self.std
    }

    /// Starts the child. Piped streams become nonblocking pipes on the current runtime's
    /// driver.
    ///
    /// # Errors
    /// When the program cannot be started (not found, not executable), when out of
    /// descriptors.
    ///
    /// # Panics
    /// Outside a crest runtime.
    #[track_caller]
    pub fn spawn(&mut self) -> io::Result<Child> {
        // Checked before the child exists: a panic after would leave it unwatched.
        assert!(
            crest_runtime::runtime::Handle::try_current().is_some(),
            "crest::process::Command::spawn called outside a crest runtime; call it from a task \
             (inside block_on, #[crest::main] or Runtime::block_on)"
        );
        reap::reap_orphans();
        let mut std_child = self.std.spawn()?;
        match Self::adopt(&mut std_child, self.kill_on_drop) {
            Ok(child) => Ok(child),
            Err(e) => {
                // The child runs, but we cannot watch it: stop it and reap exactly it.
                let _ = std_child.kill();
                let _ = std_child.wait();
                Err(e)
            }
        }
    }

    fn adopt(std_child: &mut std::process::Child, kill_on_drop: bool) -> io::Result<Child> {
        let exit = reap::Exit::new(std_child.id())?;
        let stdin = std_child.stdin.take().map(ChildStdin::from_std).transpose()?;
        let stdout = std_child.stdout.take().map(ChildStdout::from_std).transpose()?;
        let stderr = std_child.stderr.take().map(ChildStderr::from_std).transpose()?;
        Ok(Child::new(exit, stdin, stdout, stderr, kill_on_drop))
    }

    /// Spawns the child and waits for it. The streams are inherited unless set otherwise.
    ///
    /// ```
    /// crest::block_on(async {
    ///     let status = crest::process::Command::new("true").status().await?;
    ///     assert!(status.success());
    ///     std::io::Result::Ok(())
    /// })?;
    /// # std::io::Result::Ok(())
    /// ```
    ///
    /// # Errors
    /// As [`spawn`](Self::spawn) and [`Child::wait`].
    pub async fn status(&mut self) -> io::Result<ExitStatus> {
        self.spawn()?.wait().await
    }

    /// Spawns the child with stdout and stderr piped, reads both to their ends at once, and
    /// waits for it.
    ///
    /// ```
    /// crest::block_on(async {
    ///     let out = crest::process::Command::new("sh").args(["-c", "echo out; echo err >&2"]).output().await?;
    ///     assert_eq!(out.stdout, b"out\n");
    ///     assert_eq!(out.stderr, b"err\n");
    ///     std::io::Result::Ok(())
    /// })?;
    /// # std::io::Result::Ok(())
    /// ```
    ///
    /// # Errors
    /// As [`spawn`](Self::spawn) and [`Child::wait_with_output`].
    pub async fn output(&mut self) -> io::Result<Output> {
        self.std.stdout(Stdio::piped());
        self.std.stderr(Stdio::piped());
        self.spawn()?.wait_with_output().await
    }
}

impl From<std::process::Command> for Command {
    fn from(std: std::process::Command) -> Command {
        Command { std, kill_on_drop: false }
    }
}
