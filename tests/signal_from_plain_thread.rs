//! A signal sent with `kill(getpid())` from a thread crest did not start reaches a listener
//! on each runtime flavor, and every listener in two runtimes at once.
//!
//! SIGUSR1 is used by this file alone; under `cargo test` the tests share one process, so a
//! listener may see a delivery meant for the other test: each test only asserts that its
//! own delivery arrives.

mod util;

use std::time::Duration;

use crest::signal::unix::{signal, SignalKind};
use util::{raise_from_plain_thread, with_timeout, LIMIT};

#[test]
fn current_thread_runtime_sees_sigusr1() {
    util::block_on_timeout(LIMIT, async {
        let mut usr1 = signal(SignalKind::user_defined1()).unwrap();
        raise_from_plain_thread(libc::SIGUSR1);
        assert_eq!(usr1.recv().await, Some(()));
    });
}

#[test]
fn multi_thread_runtime_sees_sigusr1_while_parked() {
    with_timeout(LIMIT, || {
        let rt = crest::runtime::Builder::new_multi_thread().worker_threads(2).build().unwrap();
        rt.block_on(async {
            let mut usr1 = signal(SignalKind::user_defined1()).unwrap();
            // The signal arrives while the task is already waiting, parked in the driver.
            let waiter = crest::spawn(async move { usr1.recv().await });
            crest::time::sleep(Duration::from_millis(50)).await;
            raise_from_plain_thread(libc::SIGUSR1);
            assert_eq!(waiter.await.unwrap(), Some(()));
        });
    });
}

#[test]
fn every_listener_in_two_runtimes_sees_one_signal() {
    with_timeout(LIMIT, || {
        let (ready_tx, ready_rx) = std::sync::mpsc::channel();
        let runtimes: Vec<_> = (0..2)
            .map(|_| {
                let ready_tx = ready_tx.clone();
                std::thread::spawn(move || {
                    crest::block_on(async move {
                        let mut a = signal(SignalKind::user_defined1()).unwrap();
                        let mut b = signal(SignalKind::user_defined1()).unwrap();
                        ready_tx.send(()).unwrap();
                        assert_eq!(a.recv().await, Some(()));
                        assert_eq!(b.recv().await, Some(()));
                    })
                })
            })
            .collect();
        ready_rx.recv().unwrap();
        ready_rx.recv().unwrap();
        raise_from_plain_thread(libc::SIGUSR1);
        for rt in runtimes {
            rt.join().unwrap();
        }
    });
}
