//! Unix signals as async streams: [`ctrl_c`] for the common case, [`unix::signal`] for any
//! signal a program may catch.
//!
//! ```no_run
//! #[crest::main]
//! async fn main() -> std::io::Result<()> {
//!     println!("press ctrl-c to stop");
//!     crest::signal::ctrl_c().await?;
//!     println!("stopping");
//!     Ok(())
//! }
//! ```
//!
//! # How a signal reaches a task
//! Each [`Signal`](unix::Signal) owns an eventfd registered with the runtime's driver, like
//! any socket. A process-wide handler, installed through `signal-hook-registry` (the
//! registry tokio and signal-hook share, so crest's handler coexists with theirs), adds one
//! to the eventfd of every listener of that signal: one `write(2)`, which is
//! async-signal-safe. The write makes the eventfd readable, the driver wakes the task in
//! `recv`, and `recv` reads the eventfd, which resets its count. So:
//!
//! * it works on every runtime flavor, in any number of runtimes at once, whichever thread
//!   the kernel picks to run the handler (threads crest did not start included): nothing
//!   has to block the signal, as `signalfd` would need in every thread;
//! * a signal that arrives after [`signal`](unix::signal) returned and before the first
//!   `recv` is counted in the eventfd, so it is not lost;
//! * a burst that arrives while nobody waits is seen by exactly one `recv` (coalesced).
//!
//! Once crest listens for a signal, its default action (for SIGINT and SIGTERM: ending the
//! process) is replaced for the rest of the process's life, even after every listener is
//! gone, as in tokio.
//!
//! What this module does not do: run user code inside the handler, or make syscalls
//! itself (they are in `crest_runtime::sys::process`).

mod listener;
pub mod unix;

use std::io;

/// Waits for the next SIGINT (ctrl-c in a terminal).
///
/// The first call makes SIGINT stop ending the process: from then on crest handles it, so
/// a program that awaits `ctrl_c` once and goes on running ignores later ctrl-c presses
/// unless it listens again.
///
/// ```no_run
/// crest::block_on(async {
///     crest::signal::ctrl_c().await?;
///     println!("ctrl-c: stopping");
///     std::io::Result::Ok(())
/// })?;
/// # std::io::Result::Ok(())
/// ```
///
/// # Errors
/// When the handler cannot be installed, or when called outside a crest runtime.
pub async fn ctrl_c() -> io::Result<()> {
    let mut signal = unix::signal(unix::SignalKind::interrupt())?;
    match signal.recv().await {
        Some(()) => Ok(()),
        None => Err(io::Error::other("crest::signal::ctrl_c: the runtime shut down")),
    }
}
