//! A signal delivered after `signal()` returned and before the first `recv` is not lost;
//! a burst delivered while nobody waits is seen by exactly one `recv`.
//!
//! The burst is raised with `raise` (thread-directed), so each handler has run before the
//! first `recv`; a process-directed `kill` could be handled after it, which would count as
//! a second burst.

mod util;

use std::time::Duration;

use crest::signal::unix::{signal, SignalKind};
use util::{raise_in_plain_thread, LIMIT};

#[test]
fn burst_before_first_recv_is_seen_once() {
    util::block_on_timeout(LIMIT, async {
        let mut hup = signal(SignalKind::hangup()).unwrap();
        for _ in 0..5 {
            raise_in_plain_thread(libc::SIGHUP);
        }
        // Not lost: the first recv returns at once.
        assert_eq!(hup.recv().await, Some(()));
        // Coalesced: nothing is left for a second recv.
        let second = crest::time::timeout(Duration::from_millis(200), hup.recv()).await;
        assert!(second.is_err(), "five SIGHUPs before the first recv made more than one recv return");
        // And the listener still works after that.
        raise_in_plain_thread(libc::SIGHUP);
        assert_eq!(hup.recv().await, Some(()));
    });
}
