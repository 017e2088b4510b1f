//! Many short tasks, each waiting on one shared idle socket under a timeout, must not
//! leave their wakers behind: a waker kept in the socket's waiter list keeps its task's
//! memory (and a runtime handle) alive until the next event, which on an idle socket
//! never comes. 100,000 timed-out waiters must leave memory where it was.

mod util;

use std::sync::Arc;
use std::time::Duration;

use crest::net::UdpSocket;

/// Resident set size of this process, in bytes.
fn rss() -> usize {
    let statm = std::fs::read_to_string("/proc/self/statm").expect("read /proc/self/statm");
    let pages: usize = statm.split_whitespace().nth(1).and_then(|p| p.parse().ok()).expect("statm rss");
    pages * 4096
}

/// Whether glibc's allocator is in use: under a sanitizer `mallinfo2` reads all zeros.
fn malloc_is_glibc() -> bool {
    // SAFETY: mallinfo2 takes nothing and returns a struct by value.
    unsafe { libc::mallinfo2() }.uordblks > 0
}

#[test]
fn timed_out_waiters_on_an_idle_socket_do_not_accumulate() {
    util::with_timeout(Duration::from_secs(60), || {
        crest::block_on(async {
            let sock = Arc::new(UdpSocket::bind("127.0.0.1:0").await.unwrap());
            let round = |n: usize| {
                let sock = sock.clone();
                async move {
                    let tasks: Vec<_> = (0..n)
                        .map(|_| {
                            let sock = sock.clone();
                            crest::spawn(async move {
                                // A large future makes each leaked task cell obvious.
                                let mut buf = [0u8; 2048];
                                let res =
                                    crest::time::timeout(Duration::from_micros(1), sock.recv_from(&mut buf))
                                        .await;
                                assert!(res.is_err(), "nothing was sent");
                            })
                        })
                        .collect();
                    for t in tasks {
                        t.await.unwrap();
                    }
                }
            };
            // Warm up allocator and caches, then measure 100 rounds of 1,000 waiters.
            round(1_000).await;
            let before = rss();
            for _ in 0..100 {
                round(1_000).await;
            }
            let grown = rss().saturating_sub(before);
            if !malloc_is_glibc() {
                // AddressSanitizer's malloc keeps freed blocks in a quarantine (256 MiB by
                // default): RSS grows by design there, so this bound means nothing.
                eprintln!(
                    "memory not checked: malloc is not glibc's (a sanitizer?); grew {} MiB",
                    grown >> 20
                );
                return;
            }
            // Kept wakers would hold ~100,000 task cells of over 2 KiB: ~200 MiB.
            assert!(grown < 32 << 20, "memory grew by {} MiB over 100,000 timed-out waiters", grown >> 20);
        });
    });
}
