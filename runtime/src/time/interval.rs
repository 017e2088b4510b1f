//! [`Interval`]: ticks at a fixed period, with a choice of what to do about missed ticks.

use std::fmt;
use std::future::{poll_fn, Future};
use std::pin::Pin;
use std::task::{Context, Poll};
use std::time::{Duration, Instant};

use super::sleep::{far_future, sleep_until, Sleep};

/// Ticks every `period`; the first tick completes at once.
///
/// ```
/// use std::time::{Duration, Instant};
///
/// crest::block_on(async {
///     let mut interval = crest::time::interval(Duration::from_millis(2));
///     let first = interval.tick().await; // at once
///     let second = interval.tick().await;
///     assert_eq!(second - first, Duration::from_millis(2));
///     assert!(Instant::now() >= second);
/// });
/// ```
///
/// # Panics
/// When `period` is zero, and outside a crest runtime.
pub fn interval(period: Duration) -> Interval {
    interval_at(super::now(), period)
}

/// Ticks every `period`, the first time at `start`.
///
/// # Panics
/// When `period` is zero, and outside a crest runtime.
pub fn interval_at(start: Instant, period: Duration) -> Interval {
    assert!(period > Duration::ZERO, "crest::time::interval: the period must be greater than zero");
    Interval {
        delay: Box::pin(sleep_until(start)),
        period,
        missed_tick_behavior: MissedTickBehavior::default(),
    }
}

/// What an [`Interval`] does when ticks were missed: when a tick is taken more than a
/// period after it was scheduled (the task was busy, or the machine suspended).
///
/// Say the period is 10ms, ticks were due at 10, 20, 30, ... and the task asks for the
/// tick due at 10 only at 35.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum MissedTickBehavior {
    /// Catch up: the missed ticks (20, 30) complete at once, then 40, 50, ... as planned.
    /// The default, as in tokio: the number of ticks over a long time is right.
    #[default]
    Burst,
    /// Start again from now: the next tick is at 45, then 55, 65, ...
    Delay,
    /// Skip the missed ticks, keep the schedule: the next tick is at 40, then 50, ...
    Skip,
}

impl MissedTickBehavior {
    /// The next tick after the one `scheduled`, taken at `now`, missed.
    fn next(self, scheduled: Instant, now: Instant, period: Duration) -> Instant {
        match self {
            MissedTickBehavior::Burst => scheduled + period,
            MissedTickBehavior::Delay => now + period,
            MissedTickBehavior::Skip => {
                let late = now.duration_since(scheduled).as_nanos();
                let into_period = (late % period.as_nanos()) as u64;
                now + period - Duration::from_nanos(into_period)
            }
        }
    }
}

/// Ticks at a fixed period; made by [`interval`] and [`interval_at`]. `Unpin`.
pub struct Interval {
    // Boxed once per interval (not per tick) so that `Interval` is `Unpin` and `tick` can
    // take `&mut self`.
    delay: Pin<Box<Sleep>>,
    period: Duration,
    missed_tick_behavior: MissedTickBehavior,
}

impl Interval {
    /// Waits for the next tick and returns the instant it was scheduled for (never later
    /// than now). Cancel-safe: dropping the future loses no tick.
    pub async fn tick(&mut self) -> Instant {
        poll_fn(|cx| self.poll_tick(cx)).await
    }

    /// Polls for the next tick; the poll-based form of [`Interval::tick`].
    pub fn poll_tick(&mut self, cx: &mut Context<'_>) -> Poll<Instant> {
        if self.delay.as_mut().poll(cx).is_pending() {
            return Poll::Pending;
        }
        let scheduled = self.delay.deadline();
        let now = self.delay.clock_now();
        let on_time = scheduled.checked_add(self.period).unwrap_or_else(|| far_future(scheduled));
        let next = if now >= on_time {
            self.missed_tick_behavior.next(scheduled, now, self.period)
        } else {
            on_time
        };
        self.delay.as_mut().reset(next);
        Poll::Ready(scheduled)
    }

    /// Starts the schedule again: the next tick is one period from now.
    pub fn reset(&mut self) {
        let now = self.delay.clock_now();
        let next = now.checked_add(self.period).unwrap_or_else(|| far_future(now));
        self.delay.as_mut().reset(next);
    }

    /// Makes the next tick complete at once; the schedule continues from now.
    pub fn reset_immediately(&mut self) {
        let now = self.delay.clock_now();
        self.delay.as_mut().reset(now);
    }

    /// The period.
    pub fn period(&self) -> Duration {
        self.period
    }

    /// What happens to missed ticks.
    pub fn missed_tick_behavior(&self) -> MissedTickBehavior {
        self.missed_tick_behavior
    }

    /// Sets what happens to missed ticks.
    pub fn set_missed_tick_behavior(&mut self, behavior: MissedTickBehavior) {
        self.missed_tick_behavior = behavior;
    }
}

impl fmt::Debug for Interval {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Interval")
            .field("next", &self.delay.deadline())
            .field("period", &self.period)
            .field("missed_tick_behavior", &self.missed_tick_behavior)
            .finish()
    }
}

#[cfg(test)]
mod tests {
    use super::MissedTickBehavior::*;
    use std::time::{Duration, Instant};

    #[test]
    fn missed_tick_behaviors() {
        let t0 = Instant::now();
        let ms = Duration::from_millis;
        // Period 10ms; the tick due at 10 is taken at 35.
        let (scheduled, now) = (t0 + ms(10), t0 + ms(35));
        assert_eq!(Burst.next(scheduled, now, ms(10)), t0 + ms(20));
        assert_eq!(Delay.next(scheduled, now, ms(10)), t0 + ms(45));
        assert_eq!(Skip.next(scheduled, now, ms(10)), t0 + ms(40));
        // Exactly on a tick boundary, Skip goes to the next one.
        assert_eq!(Skip.next(scheduled, t0 + ms(30), ms(10)), t0 + ms(40));
    }
}
