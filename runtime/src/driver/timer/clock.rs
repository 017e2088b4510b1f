//! The runtime's clock: `Instant::now()`, or a test clock that stands still.
//!
//! Owns the paused state behind `time::pause`, `resume`, `advance` and `now`. While the
//! clock is not paused and was never advanced, `now` is one relaxed load plus
//! `Instant::now()`. While paused, `now` is a stored instant that moves only when
//! `advance` moves it or when the driver, about to wait with every task idle, jumps it to
//! the next timer (`Clock::skip_to`). After `resume`, the clock runs again from where it
//! stood: real time plus how far it had been moved ahead. Does not fire timers: the
//! callers (`advance`, the driver) do.

use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Mutex;
use std::time::{Duration, Instant};

pub(crate) struct Clock {
    /// True once the clock was paused: `now` must look at `state`.
    virtual_time: AtomicBool,
    state: Mutex<State>,
}

struct State {
    /// `Some(now)` while paused.
    frozen: Option<Instant>,
    /// How far ahead of real time the clock runs while not paused.
    ahead: Duration,
}

impl Clock {
    pub(crate) fn new() -> Clock {
        Clock {
            virtual_time: AtomicBool::new(false),
            state: Mutex::new(State { frozen: None, ahead: Duration::ZERO }),
        }
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, State> {
        self.state.lock().unwrap_or_else(|e| e.into_inner())
    }

    pub(crate) fn now(&self) -> Instant {
        // Relaxed: pausing happens on the runtime's own thread (current-thread only), so
        // the flag is read by the thread that set it.
        if !self.virtual_time.load(Ordering::Relaxed) {
            return Instant::now();
        }
        let state = self.lock();
        state.frozen.unwrap_or_else(|| Instant::now() + state.ahead)
    }

    /// What this clock reads when the real clock reads `real`: `real` itself unless the
    /// clock is virtual, so a caller that needs both pays for one clock read.
    pub(crate) fn at(&self, real: Instant) -> Instant {
        if !self.virtual_time.load(Ordering::Relaxed) {
            return real;
        }
        let state = self.lock();
        state.frozen.unwrap_or(real + state.ahead)
    }

    /// True while paused.
    pub(crate) fn is_paused(&self) -> bool {
        self.virtual_time.load(Ordering::Relaxed) && self.lock().frozen.is_some()
    }

    /// Stops the clock at the current time.
    ///
    /// # Panics
    /// When it is already paused (as tokio does).
    pub(crate) fn pause(&self) {
        let mut state = self.lock();
        assert!(state.frozen.is_none(), "crest::time::pause called while the clock is already paused");
        state.frozen = Some(Instant::now() + state.ahead);
        self.virtual_time.store(true, Ordering::Relaxed);
    }

    /// Lets the clock run again from where it stands.
    ///
    /// # Panics
    /// When it is not paused.
    pub(crate) fn resume(&self) {
        let mut state = self.lock();
        let frozen = state.frozen.take().expect("crest::time::resume called while the clock is not paused");
        state.ahead = frozen.saturating_duration_since(Instant::now());
    }

    /// Moves a paused clock forward by `d`; the new now.
    ///
    /// # Panics
    /// When it is not paused.
    pub(crate) fn advance(&self, d: Duration) -> Instant {
        let mut state = self.lock();
        let frozen = state
            .frozen
            .as_mut()
            .expect("crest::time::advance needs a paused clock: call crest::time::pause() first");
        *frozen += d;
        *frozen
    }

    /// Moves a paused clock to `deadline` if that is later; nothing when not paused.
    pub(crate) fn skip_to(&self, deadline: Instant) {
        if let Some(frozen) = self.lock().frozen.as_mut() {
            *frozen = (*frozen).max(deadline);
        }
    }
}
