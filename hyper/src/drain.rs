//! The graceful-shutdown signal between `serve` and its connection tasks: `serve` starts
//! the drain once, every connection hears it, and `serve` waits until the last connection
//! task has ended.
//!
//! Owns one lock-protected record per `serve` call; must not know about hyper (a
//! connection task decides what "hearing the drain" does).

use std::collections::HashMap;
use std::future::poll_fn;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex, PoisonError};
use std::task::{Context, Poll, Waker};

/// `serve`'s side: starts the drain and waits for the connections.
pub(crate) struct Drain {
    shared: Arc<Shared>,
}

#[derive(Default)]
struct Shared {
    /// Set once, under `state`'s lock; read without it by a watch whose waker is stored.
    draining: AtomicBool,
    state: Mutex<State>,
}

/// A connection task's side: whether the drain has started. Dropping it (the task ended,
/// by return or by panic) counts the connection as gone.
pub(crate) struct Watch {
    shared: Arc<Shared>,
    id: u64,
    /// The waker last stored in `State::watchers`, to store again only when it changes.
    registered: Option<Waker>,
}

#[derive(Default)]
struct State {
    /// Connection tasks still alive, by id, with the waker to call when the drain starts
    /// (`None` until the task first asks).
    watchers: HashMap<u64, Option<Waker>>,
    next_id: u64,
    /// `serve`, waiting for `watchers` to empty.
    drained: Option<Waker>,
}

fn lock(shared: &Shared) -> std::sync::MutexGuard<'_, State> {
    // No user code runs under the lock, but stay usable if a panic ever poisoned it.
    shared.state.lock().unwrap_or_else(PoisonError::into_inner)
}

impl Drain {
    pub(crate) fn new() -> Drain {
        Drain { shared: Arc::default() }
    }

    /// A watch for one new connection.
    pub(crate) fn watch(&self) -> Watch {
        let mut state = lock(&self.shared);
        let id = state.next_id;
        state.next_id += 1;
        state.watchers.insert(id, None);
        Watch { shared: self.shared.clone(), id, registered: None }
    }

    /// Tells every connection to finish, then waits until all their tasks have ended.
    pub(crate) async fn drain(self) {
        let wakers: Vec<Waker> = {
            let mut state = lock(&self.shared);
            // Release: a watch that sees the flag without the lock sees a started drain.
            self.shared.draining.store(true, Ordering::Release);
            state.watchers.values_mut().filter_map(Option::take).collect()
        };
        for waker in wakers {
            waker.wake();
        }
        poll_fn(|cx| {
            let mut state = lock(&self.shared);
            if state.watchers.is_empty() {
                Poll::Ready(())
            } else {
                state.drained = Some(cx.waker().clone());
                Poll::Pending
            }
        })
        .await;
    }
}

impl Watch {
    /// Ready once the drain has started; otherwise arranges for `cx` to be woken then.
    pub(crate) fn poll_draining(&mut self, cx: &mut Context<'_>) -> Poll<()> {
        if self.registered.as_ref().is_some_and(|w| w.will_wake(cx.waker())) {
            // Our waker is stored, so a drain that starts after this load wakes it: no lock
            // needed. Acquire pairs with the drain's Release.
            return if self.shared.draining.load(Ordering::Acquire) {
                Poll::Ready(())
            } else {
                Poll::Pending
            };
        }
        let mut state = lock(&self.shared);
        // Under the lock, so the drain either saw our waker or we see its flag.
        if self.shared.draining.load(Ordering::Acquire) {
            return Poll::Ready(());
        }
        state.watchers.insert(self.id, Some(cx.waker().clone()));
        self.registered = Some(cx.waker().clone());
        Poll::Pending
    }
}

impl Drop for Watch {
    fn drop(&mut self) {
        let waker = {
            let mut state = lock(&self.shared);
            state.watchers.remove(&self.id);
            if state.watchers.is_empty() {
                state.drained.take()
            } else {
                None
            }
        };
        if let Some(waker) = waker {
            waker.wake();
        }
    }
}
