//! An I/O object registered while its runtime shuts down must either fail to register or
//! be woken by the shutdown: never be left waiting for an event no driver will deliver.
//! (Shutdown used to test its flag outside the registrations lock and snapshot the
//! registrations inside it, so a registration made in between was never told.)
//! Blocking closures keep registering and waiting through `Handle::block_on` while the
//! runtime is dropped; the drop waits for them, so a missed registration hangs the test.

mod util;

use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;

use crest::net::UdpSocket;
use crest::runtime::Builder;

fn race(multi_thread: bool) {
    for _ in 0..200 {
        let rt = if multi_thread {
            Builder::new_multi_thread().worker_threads(1).build().unwrap()
        } else {
            Builder::new_current_thread().build().unwrap()
        };
        let started = Arc::new(AtomicBool::new(false));
        for _ in 0..2 {
            let handle = rt.handle();
            let started = started.clone();
            let _detached = rt.spawn_blocking(move || loop {
                started.store(true, Ordering::SeqCst);
                // Waits for a datagram nobody sends: only an error ends it.
                let res = handle.block_on(async {
                    let sock = UdpSocket::bind("127.0.0.1:0").await?;
                    let mut buf = [0; 8];
                    sock.recv_from(&mut buf).await.map(|_| ())
                });
                if res.is_err() {
                    return;
                }
            });
        }
        while !started.load(Ordering::SeqCst) {
            std::thread::yield_now();
        }
        drop(rt);
    }
}

#[test]
fn registration_racing_shutdown_current_thread() {
    util::with_timeout(util::LIMIT, || race(false));
}

#[test]
fn registration_racing_shutdown_multi_thread() {
    util::with_timeout(util::LIMIT, || race(true));
}
