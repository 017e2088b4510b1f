//! Signals a program must not catch are refused with a clear `InvalidInput` error, and
//! `signal()` outside a runtime is an error, not a panic.

mod util;

use std::io::ErrorKind;

use crest::signal::unix::{signal, SignalKind};

#[test]
fn uncatchable_and_reserved_signals_are_refused() {
    util::block_on_timeout(util::LIMIT, async {
        for (signum, name) in [
            (libc::SIGKILL, "SIGKILL"),
            (libc::SIGSTOP, "SIGSTOP"),
            (libc::SIGSEGV, "SIGSEGV"),
            (libc::SIGBUS, "SIGBUS"),
            (libc::SIGILL, "SIGILL"),
            (libc::SIGFPE, "SIGFPE"),
        ] {
            let err = signal(SignalKind::from_raw(signum)).unwrap_err();
            assert_eq!(err.kind(), ErrorKind::InvalidInput, "{name}");
            assert!(err.to_string().contains(name), "{name}: {err}");
        }
        for bad in [0, -3, 10_000] {
            assert_eq!(signal(SignalKind::from_raw(bad)).unwrap_err().kind(), ErrorKind::InvalidInput);
        }
    });
}

#[test]
fn outside_a_runtime_is_an_error() {
    let err = signal(SignalKind::user_defined1()).unwrap_err();
    assert!(err.to_string().contains("outside a crest runtime"), "{err}");
}
