//! `Interval::reset` on an interval whose period reaches past the end of `Instant`'s range
//! (`interval(Duration::MAX)`) must not overflow: the next tick is simply "never".

mod util;

use std::time::Duration;

#[test]
fn reset_with_a_huge_period_does_not_panic() {
    util::block_on_timeout(util::LIMIT, async {
        let mut iv = crest::time::interval(Duration::MAX);
        iv.tick().await; // the first tick completes at once
        iv.reset();
        let next = crest::time::timeout(Duration::from_millis(20), iv.tick()).await;
        assert!(next.is_err(), "a tick a period of Duration::MAX away must not complete");
    });
}
