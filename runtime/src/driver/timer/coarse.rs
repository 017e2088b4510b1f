//! The coarse clock: milliseconds since a process-wide epoch, refreshed as a side effect
//! of clock reads that the driver and the schedulers make anyway, so that stamping a task
//! with its spawn time costs one relaxed load, not a clock read.
//!
//! Owns [`COARSE_MS`] and the epoch. The driver refreshes it after each wait (it reads the
//! clock for the timers then); the schedulers refresh it when a thread leaves a park and
//! mark it stale when one parks. The task layer reads it ([`coarse_now_ms`]) when it
//! allocates a task; task dumps turn a stamp back into an age ([`age`]). Knows nothing of
//! tasks or timers.

use std::sync::atomic::{AtomicU32, Ordering};
use std::sync::OnceLock;
use std::time::{Duration, Instant};

/// The value of [`COARSE_MS`] that says "nobody refreshed me lately: read the clock".
const STALE: u32 = u32::MAX;

/// Milliseconds since [`epoch`], as of the last refresh, or [`STALE`].
///
/// Refreshed by the schedulers' threads when they leave a park and by every driver turn
/// (which reads the clock for the timers anyway: a busy worker turns it every 61 polls),
/// set to `STALE` when one of them parks; a spawn reads it instead of the clock. So a spawn
/// time is about 61 polls (or the poll it is spawned from) old at most, and a spawn on an
/// idle process reads the clock.
static COARSE_MS: AtomicU32 = AtomicU32::new(STALE);

/// The instant all spawn times count from.
pub(crate) fn epoch() -> Instant {
    static EPOCH: OnceLock<Instant> = OnceLock::new();
    *EPOCH.get_or_init(Instant::now)
}

/// Milliseconds since [`epoch`] now, read from the clock (wraps after 49 days; never
/// [`STALE`]).
pub(crate) fn now_ms() -> u32 {
    let ms = epoch().elapsed().as_millis() as u32;
    if ms == STALE {
        0
    } else {
        ms
    }
}

/// Milliseconds since [`epoch`], from the coarse clock when it is fresh.
pub(crate) fn coarse_now_ms() -> u32 {
    match COARSE_MS.load(Ordering::Relaxed) {
        STALE => now_ms(),
        ms => ms,
    }
}

/// Sets the coarse clock to `now` (a scheduler thread read the clock anyway).
pub(crate) fn refresh_coarse(now: Instant) {
    let ms = now.saturating_duration_since(epoch()).as_millis() as u32;
    COARSE_MS.store(if ms == STALE { 0 } else { ms }, Ordering::Relaxed);
}

/// A scheduler thread is about to sleep: the coarse clock will not be refreshed by it.
pub(crate) fn mark_coarse_stale() {
    COARSE_MS.store(STALE, Ordering::Relaxed);
}

/// How long ago `spawned_ms` (a value of [`coarse_now_ms`]) was, modulo 49 days.
pub(crate) fn age(spawned_ms: u32) -> Duration {
    Duration::from_millis(u64::from(now_ms().wrapping_sub(spawned_ms)))
}
