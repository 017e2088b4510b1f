//! Unix signals: [`SignalKind`] names one, [`signal`] starts listening, [`Signal::recv`]
//! waits for the next delivery.
//!
//! What this file does not do: touch the handler or the eventfd (`listener.rs` does).

use std::future::poll_fn;
use std::io;
use std::task::{Context, Poll};

use super::listener::Listener;

/// A signal number, with names for the ones programs usually catch.
///
/// ```
/// use crest::signal::unix::SignalKind;
/// assert_eq!(SignalKind::terminate(), SignalKind::from_raw(libc::SIGTERM));
/// ```
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct SignalKind(i32);

impl SignalKind {
    /// Any signal by number (`libc::SIGWINCH`, a real-time signal, ...).
    pub const fn from_raw(signum: i32) -> SignalKind {
        SignalKind(signum)
    }

    /// The signal's number.
    pub const fn as_raw_value(&self) -> i32 {
        self.0
    }

    /// SIGINT: ctrl-c in a terminal.
    pub const fn interrupt() -> SignalKind {
        SignalKind(libc::SIGINT)
    }

    /// SIGTERM: the polite "please stop" of `kill`, systemd and Kubernetes.
    pub const fn terminate() -> SignalKind {
        SignalKind(libc::SIGTERM)
    }

    /// SIGHUP: the terminal went away; daemons often take it as "reload".
    pub const fn hangup() -> SignalKind {
        SignalKind(libc::SIGHUP)
    }

    /// SIGQUIT: ctrl-\ in a terminal.
    pub const fn quit() -> SignalKind {
        SignalKind(libc::SIGQUIT)
    }

    /// SIGCHLD: a child process stopped or exited.
    pub const fn child() -> SignalKind {
        SignalKind(libc::SIGCHLD)
    }

    /// SIGUSR1.
    pub const fn user_defined1() -> SignalKind {
        SignalKind(libc::SIGUSR1)
    }

    /// SIGUSR2.
    pub const fn user_defined2() -> SignalKind {
        SignalKind(libc::SIGUSR2)
    }

    /// SIGWINCH: the terminal's size changed.
    pub const fn window_change() -> SignalKind {
        SignalKind(libc::SIGWINCH)
    }

    /// SIGALRM.
    pub const fn alarm() -> SignalKind {
        SignalKind(libc::SIGALRM)
    }

    /// SIGPIPE.
    pub const fn pipe() -> SignalKind {
        SignalKind(libc::SIGPIPE)
    }
}

impl From<i32> for SignalKind {
    fn from(signum: i32) -> SignalKind {
        SignalKind(signum)
    }
}

/// Why `signum` may not be caught, or `None` if it may.
fn refusal(signum: i32) -> Option<&'static str> {
    Some(match signum {
        libc::SIGKILL => "SIGKILL cannot be caught",
        libc::SIGSTOP => "SIGSTOP cannot be caught",
        libc::SIGSEGV | libc::SIGBUS => {
            "SIGSEGV and SIGBUS report memory faults; std's stack-overflow handler needs them"
        }
        libc::SIGILL | libc::SIGFPE => "SIGILL and SIGFPE report faults the program cannot resume from",
        // glibc keeps the two signals below SIGRTMIN for its threads.
        n if n <= 0 || n > libc::SIGRTMAX() || (n > libc::SIGSYS && n < libc::SIGRTMIN()) => {
            "not a signal a program may catch on this system"
        }
        _ => return None,
    })
}

/// Starts listening for `kind`: from now on each delivery of the signal is recorded, and
/// [`Signal::recv`] returns once for any number of deliveries since the last return.
///
/// ```no_run
/// use crest::signal::unix::{signal, SignalKind};
///
/// crest::block_on(async {
///     let mut hangups = signal(SignalKind::hangup())?;
///     while hangups.recv().await.is_some() {
///         println!("SIGHUP: reloading the configuration");
///     }
///     std::io::Result::Ok(())
/// })?;
/// # std::io::Result::Ok(())
/// ```
///
/// The first listener for a signal replaces its default action for the rest of the
/// process's life (see the [module docs](crate::signal)).
///
/// # Errors
/// `InvalidInput` for SIGKILL, SIGSTOP, SIGSEGV, SIGBUS, SIGILL, SIGFPE (std and the kernel
/// need them) and numbers that are no catchable signal; `Other` outside a crest runtime;
/// `EMFILE` when out of descriptors.
pub fn signal(kind: SignalKind) -> io::Result<Signal> {
    let signum = kind.0;
    if let Some(why) = refusal(signum) {
        return Err(io::Error::new(
            io::ErrorKind::InvalidInput,
            format!("crest::signal::unix::signal({signum}): {why}"),
        ));
    }
    if crest_runtime::runtime::Handle::try_current().is_none() {
        return Err(io::Error::other(format!(
            "crest::signal::unix::signal({signum}) was called outside a crest runtime; call it from a task \
             (inside block_on, #[crest::main] or Runtime::block_on)"
        )));
    }
    Ok(Signal { kind, listener: Listener::new(signum)? })
}

/// A stream of deliveries of one signal; see [`signal`].
///
/// Dropping it stops the recording for this listener (the signal's default action stays
/// replaced).
#[derive(Debug)]
pub struct Signal {
    kind: SignalKind,
    listener: Listener,
}

impl Signal {
    /// Waits for the signal. Any number of deliveries since the last return (or since
    /// [`signal`] returned) make one return. `None` once the runtime has shut down.
    ///
    /// Cancel safe: dropping the future loses no delivery.
    pub async fn recv(&mut self) -> Option<()> {
        poll_fn(|cx| self.poll_recv(cx)).await
    }

    /// The poll form of [`recv`](Self::recv), for hand-written futures and streams.
    pub fn poll_recv(&mut self, cx: &mut Context<'_>) -> Poll<Option<()>> {
        self.listener.poll_recv(cx)
    }

    /// Which signal this listens for.
    pub fn kind(&self) -> SignalKind {
        self.kind
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn refuses_what_std_and_the_kernel_need() {
        for s in [
            libc::SIGKILL,
            libc::SIGSTOP,
            libc::SIGSEGV,
            libc::SIGBUS,
            libc::SIGILL,
            libc::SIGFPE,
            0,
            -1,
            32,
            999,
        ] {
            assert!(refusal(s).is_some(), "{s}");
        }
        for s in [libc::SIGINT, libc::SIGTERM, libc::SIGHUP, libc::SIGCHLD, libc::SIGUSR1, libc::SIGRTMIN()] {
            assert!(refusal(s).is_none(), "{s}");
        }
    }
}
