//! Timer storage: what the driver consults around each wait.
//!
//! [`Timers`] (`timers.rs`) is a hierarchical timing wheel (`wheel.rs`) behind one lock; each
//! timer is an intrusive [`Entry`] (`entry.rs`) pinned inside the user's `Sleep`, so a timer
//! costs no allocation and inserting or cancelling one is O(1). [`Clock`] (`clock.rs`) is the
//! runtime's clock, `Instant::now()` unless a test paused it. The design, and why a wheel of
//! 1 ns slots, is in `DESIGN.md` next to this file.
//!
//! What this module does not do: wait, or know about tasks. The driver calls
//! `Timers::next_deadline` before it waits and `Timers::process` after; the futures users
//! hold (`Sleep`, `Timeout`, `Interval`) live in `crate::time`, above the driver, and reach
//! this module only through the driver's handle.

mod clock;
pub(crate) mod coarse;
mod entry;
mod timers;
mod wheel;

pub(crate) use clock::Clock;
pub(crate) use entry::Entry;
pub(crate) use timers::{Registered, Timers};
