//! Models of one fd's readiness word (`driver/readiness.rs`): the driver thread delivers an
//! edge while a task polls, tries its operation and clears.

use std::sync::atomic::Ordering::SeqCst;
use std::sync::Arc;
use std::task::{Context, Poll, Waker};

use ::loom::sync::Mutex;
use ::loom::thread;

use super::{model, CountWaker};
use crate::driver::{Direction, Readiness, Waiter};
use crate::sys::epoll::Events;

/// Data arrives (and the driver reports its edge) while a reader polls readiness, finds its
/// fd ready from an earlier edge, reads nothing (`WouldBlock`) and clears. The new edge is
/// never lost: the reader gets the data, or it is left waiting with a waker that the edge
/// woke. This is the tick check in `Readiness::clear`: without it, a clear that lands after
/// the new edge wipes the bit, and the reader sleeps with data queued.
#[test]
fn edge_between_poll_and_clear_is_never_lost() {
    model(|| {
        let readiness = Arc::new(Readiness::new(0));
        // Whether the socket's receive queue holds data; syscalls on it are atomic.
        let queued = Arc::new(Mutex::new(false));
        // An earlier edge whose data a previous read already took.
        readiness.set_from_event(Events::IN);
        let woken = Arc::new(CountWaker::default());
        let reader = {
            let (readiness, queued) = (readiness.clone(), queued.clone());
            let waker = Waker::from(woken.clone());
            thread::spawn(move || loop {
                match readiness.poll_ready(Direction::Read, &mut Context::from_waker(&waker), Waiter::Poll) {
                    Poll::Pending => return false,
                    Poll::Ready(ev) => {
                        if std::mem::take(&mut *queued.lock().unwrap()) {
                            return true;
                        }
                        // WouldBlock.
                        readiness.clear(ev);
                    }
                }
            })
        };
        let driver = {
            let (readiness, queued) = (readiness.clone(), queued.clone());
            thread::spawn(move || {
                *queued.lock().unwrap() = true;
                readiness.set_from_event(Events::IN);
            })
        };
        let got_data = reader.join().unwrap();
        driver.join().unwrap();
        if got_data {
            assert_eq!(woken.0.load(SeqCst), 0);
        } else {
            assert!(*queued.lock().unwrap());
            assert_eq!(woken.0.load(SeqCst), 1, "the reader waits with data queued and nobody to wake it");
        }
    });
}

/// Shutdown racing a poll: the poller sees the shutdown, or its waker is woken by it.
#[test]
fn shutdown_wakes_or_is_seen() {
    model(|| {
        let readiness = Arc::new(Readiness::new(0));
        let woken = Arc::new(CountWaker::default());
        let poller = {
            let readiness = readiness.clone();
            let waker = Waker::from(woken.clone());
            thread::spawn(move || {
                match readiness.poll_ready(Direction::Write, &mut Context::from_waker(&waker), Waiter::Poll) {
                    Poll::Ready(ev) => ev.shutdown,
                    Poll::Pending => false,
                }
            })
        };
        let closer = {
            let readiness = readiness.clone();
            thread::spawn(move || readiness.shutdown())
        };
        let saw_shutdown = poller.join().unwrap();
        closer.join().unwrap();
        assert_eq!(woken.0.load(SeqCst), usize::from(!saw_shutdown));
    });
}
