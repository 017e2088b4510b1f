//! A hierarchical timing wheel over exact nanosecond deadlines.
//!
//! Time is a `u64` count of nanoseconds since the [`Timers`](super::Timers) base instant.
//! The wheel has [`LEVELS`] levels of 64 slots; a slot of level `L` spans `64^L` ns, so
//! level 0 has 1 ns slots, level 1 64 ns, level 2 4.1 µs, level 3 262 µs, level 4
//! 16.8 ms, level 5 1.07 s, ... and level 10 covers the whole `u64` range (584 years):
//! there is no overflow list and no deadline is ever rounded.
//!
//! An entry due at `when` goes to the level of the highest 6-bit group in which `when`
//! differs from `elapsed` (the time the wheel has been processed up to), into the slot
//! named by `when`'s bits of that group. Hence the invariants:
//!
//! 1. every entry of level `L` agrees with `elapsed` on all bits above group `L`, and its
//!    slot index at `L` is *greater* than `elapsed`'s;
//! 2. so every entry of a lower level is due before every entry of a higher level, and the
//!    earliest entry of all is in the lowest occupied slot of the lowest non-empty level;
//! 3. each level keeps a bitmap of its non-empty slots, so that slot is found with one
//!    `trailing_zeros` per level;
//! 4. each slot keeps `min`, a lower bound of its entries' deadlines: exact, except after
//!    the earliest entry was removed (then early; it only ever costs one early wake-up,
//!    after which the slot is cascaded and the bounds are exact again).
//!
//! Insert and remove are O(1) (a push on / an unlink from an intrusive doubly linked
//! list). [`Wheel::poll`] drains, at most once per level an entry passes through, the
//! slots that have begun: entries due by `now` move to the pending list, the others drop
//! to a lower level ("cascade").
//!
//! What this module does not do: lock, wake, or read the clock. [`Timers`](super::Timers)
//! does that around it.

use std::ptr::NonNull;

use super::entry::{Entry, Place};

/// Bits of a deadline consumed by one level.
const BITS: u32 = 6;
/// Slots per level.
const SLOTS: usize = 1 << BITS;
/// Levels: 11 × 6 bits cover the 64 bits of a deadline.
pub(crate) const LEVELS: usize = 64_usize.div_ceil(BITS as usize);

/// Returned by [`Wheel::insert`] when the deadline has already been processed.
#[derive(Debug, PartialEq, Eq)]
pub(crate) struct Expired;

/// An intrusive doubly linked list through `Inner::{prev, next}`.
#[derive(Clone, Copy)]
struct List {
    head: Option<NonNull<Entry>>,
}

impl List {
    const EMPTY: List = List { head: None };

    /// # Safety
    /// The wheel's invariant: `entry` and every entry in the list are alive, and the wheel
    /// holds the only access to their `inner` (see `Wheel`'s docs).
    unsafe fn push(&mut self, entry: NonNull<Entry>, place: Place) {
        // SAFETY: forwarded from the caller; one `inner` reference at a time.
        unsafe {
            let e = Entry::inner(entry);
            e.prev = None;
            e.next = self.head;
            e.place = place;
            if let Some(head) = self.head {
                Entry::inner(head).prev = Some(entry);
            }
        }
        self.head = Some(entry);
    }

    /// Unlinks `entry`, which must be in this list.
    ///
    /// # Safety
    /// As for `push`, and `entry` is in this list.
    unsafe fn unlink(&mut self, entry: NonNull<Entry>) {
        // SAFETY: forwarded from the caller; one `inner` reference at a time.
        unsafe {
            let e = Entry::inner(entry);
            let (prev, next) = (e.prev.take(), e.next.take());
            e.place = Place::Unlinked;
            match prev {
                Some(p) => Entry::inner(p).next = next,
                None => self.head = next,
            }
            if let Some(n) = next {
                Entry::inner(n).prev = prev;
            }
        }
    }

    /// Pops the head.
    ///
    /// # Safety
    /// As for `push`.
    unsafe fn pop(&mut self) -> Option<NonNull<Entry>> {
        let head = self.head?;
        // SAFETY: forwarded from the caller; `head` is in this list.
        unsafe { self.unlink(head) };
        Some(head)
    }
}

#[derive(Clone, Copy)]
struct Slot {
    list: List,
    /// A lower bound of the deadlines in `list` (`u64::MAX` when empty). Invariant 4.
    min: u64,
}

impl Slot {
    const EMPTY: Slot = Slot { list: List::EMPTY, min: u64::MAX };
}

struct Level {
    /// Bit `i` is set iff `slots[i]` is not empty.
    occupied: u64,
    slots: [Slot; SLOTS],
}

impl Level {
    const EMPTY: Level = Level { occupied: 0, slots: [Slot::EMPTY; SLOTS] };
}

/// The timing wheel.
///
/// # Invariant (the one every `unsafe` in this file leans on)
/// Every entry linked into the wheel is alive and pinned until it is unlinked by
/// [`Wheel::remove`] or handed out by [`Wheel::poll`], and while it is linked its `inner`
/// is touched only through the wheel, which is touched only by one thread at a time
/// (`&mut self`; `Timers` keeps it behind a mutex). [`Wheel::insert`] is `unsafe` because
/// its caller promises this for the entry it links.
pub(crate) struct Wheel {
    /// Everything due at or before `elapsed` has been moved to `pending` or handed out.
    elapsed: u64,
    levels: Box<[Level; LEVELS]>,
    /// Due entries not yet handed out by `poll`.
    pending: List,
    len: usize,
}

// SAFETY: the wheel's raw pointers name entries that are themselves Send + Sync and are
// touched only through `&mut Wheel` (the type's invariant), so moving the wheel to another
// thread moves the only access with it.
unsafe impl Send for Wheel {}

impl Wheel {
    pub(crate) fn new() -> Wheel {
        Wheel { elapsed: 0, levels: Box::new([Level::EMPTY; LEVELS]), pending: List::EMPTY, len: 0 }
    }

    /// How many entries are linked (waiting or pending).
    pub(crate) fn len(&self) -> usize {
        self.len
    }

    /// The time the wheel has been processed up to.
    #[cfg(test)]
    pub(crate) fn elapsed(&self) -> u64 {
        self.elapsed
    }

    /// Links `entry` to fire at `when`. Returns `Err(Expired)`, linking nothing, when
    /// `when <= elapsed` (the caller treats the timer as fired).
    ///
    /// # Safety
    /// `entry` is alive, pinned, not linked anywhere, and stays alive until it is unlinked
    /// by [`Wheel::remove`] or handed out by [`Wheel::poll`]; its `inner` is touched only
    /// through this wheel meanwhile (the type's invariant).
    pub(crate) unsafe fn insert(&mut self, entry: NonNull<Entry>, when: u64) -> Result<(), Expired> {
        if when <= self.elapsed {
            return Err(Expired);
        }
        // SAFETY: the caller hands us `entry` under the type's invariant.
        unsafe { Entry::inner(entry).when = when };
        // SAFETY: as above.
        unsafe { self.link(entry, when) };
        self.len += 1;
        Ok(())
    }

    /// Unlinks `entry` from wherever it is (a slot or the pending list).
    ///
    /// # Safety
    /// `entry` is alive and linked in this wheel (its place is not `Unlinked`).
    pub(crate) unsafe fn remove(&mut self, entry: NonNull<Entry>) {
        // SAFETY: `entry` is linked here, hence alive under the invariant.
        let place = unsafe { Entry::inner(entry).place };
        match place {
            Place::Unlinked => {
                debug_assert!(false, "removing an entry that is not in the wheel");
                return;
            }
            // SAFETY: the entry is in `pending` (its place says so).
            Place::Pending => unsafe { self.pending.unlink(entry) },
            Place::Slot { level, slot } => {
                let level = &mut self.levels[level as usize];
                let s = &mut level.slots[slot as usize];
                // SAFETY: the entry is in this slot's list (its place says so).
                unsafe { s.list.unlink(entry) };
                if s.list.head.is_none() {
                    s.min = u64::MAX;
                    level.occupied &= !(1 << slot);
                }
            }
        }
        self.len -= 1;
    }

    /// The earliest deadline in the wheel, or a lower bound of it (invariant 4); `elapsed`
    /// when some entry is already due.
    pub(crate) fn next_expiration(&self) -> Option<u64> {
        if self.pending.head.is_some() {
            return Some(self.elapsed);
        }
        let (level, slot) = self.next_occupied()?;
        Some(self.levels[level].slots[slot].min)
    }

    /// Advances the wheel to `now` and hands out one entry due at or before `now`,
    /// unlinked, or `None` when there is none. Call it until it returns `None`.
    ///
    /// A `now` earlier than an earlier call's is treated as that earlier time.
    pub(crate) fn poll(&mut self, now: u64) -> Option<NonNull<Entry>> {
        loop {
            // SAFETY: the type's invariant covers every entry in `pending`.
            if let Some(entry) = unsafe { self.pending.pop() } {
                self.len -= 1;
                return Some(entry);
            }
            let next = self.next_occupied().map(|(level, slot)| (level, slot, self.slot_start(level, slot)));
            match next {
                Some((level, slot, start)) if start <= now => self.drain(level, slot, start, now),
                _ => {
                    // Nothing begins by `now`: every entry is due later, and (invariant 1)
                    // `now` lies in the same higher-level block as `elapsed`, so moving
                    // `elapsed` up to `now` keeps every entry where it belongs.
                    self.elapsed = self.elapsed.max(now);
                    return None;
                }
            }
        }
    }

    /// Empties slot `slot` of `level`, which begins at `start <= now`: its due entries go
    /// to `pending`, the others to lower levels.
    fn drain(&mut self, level: usize, slot: usize, start: u64, now: u64) {
        // Invariant 2: `level` is the lowest non-empty level, so nothing is skipped.
        debug_assert!(start > self.elapsed);
        self.elapsed = start;
        let l = &mut self.levels[level];
        let mut list = std::mem::replace(&mut l.slots[slot], Slot::EMPTY).list;
        l.occupied &= !(1 << slot);
        // SAFETY: every entry of the drained list is linked in this wheel (invariant).
        while let Some(entry) = unsafe { list.pop() } {
            // SAFETY: as above; the reference ends before `push`/`link` take their own.
            let when = unsafe { Entry::inner(entry).when };
            if when <= now {
                // SAFETY: as above.
                unsafe { self.pending.push(entry, Place::Pending) };
            } else {
                // `start <= now < when` and `when` is in this slot, so it lands on a lower
                // level, in a slot after `elapsed`'s (invariant 1).
                // SAFETY: as above.
                unsafe { self.link(entry, when) };
            }
        }
    }

    /// Links `entry` (whose `when` is set and `> elapsed`) into its slot.
    ///
    /// # Safety
    /// The type's invariant holds for `entry`.
    unsafe fn link(&mut self, entry: NonNull<Entry>, when: u64) {
        debug_assert!(when > self.elapsed);
        let level = level_for(self.elapsed, when);
        let slot = slot_for(when, level);
        let l = &mut self.levels[level];
        let s = &mut l.slots[slot];
        // SAFETY: forwarded from the caller.
        unsafe { s.list.push(entry, Place::Slot { level: level as u8, slot: slot as u8 }) };
        s.min = s.min.min(when);
        l.occupied |= 1 << slot;
    }

    /// The lowest occupied slot of the lowest non-empty level (invariant 2).
    fn next_occupied(&self) -> Option<(usize, usize)> {
        self.levels
            .iter()
            .enumerate()
            .find(|(_, l)| l.occupied != 0)
            .map(|(level, l)| (level, l.occupied.trailing_zeros() as usize))
    }

    /// The first nanosecond of slot `slot` of `level` in `elapsed`'s block of that level.
    fn slot_start(&self, level: usize, slot: usize) -> u64 {
        let shift = BITS * level as u32;
        // The top level's block is the whole range (a shift by 64 or more is `None`).
        let block = 1_u64.checked_shl(shift + BITS).map_or(0, |span| self.elapsed & !(span - 1));
        block | ((slot as u64) << shift)
    }
}

/// The level of an entry due at `when`: that of the highest 6-bit group in which it
/// differs from `elapsed`.
fn level_for(elapsed: u64, when: u64) -> usize {
    let masked = (elapsed ^ when) | (SLOTS as u64 - 1);
    let significant = 63 - masked.leading_zeros();
    (significant / BITS) as usize
}

/// The slot of `when` at `level`.
fn slot_for(when: u64, level: usize) -> usize {
    ((when >> (BITS * level as u32)) as usize) & (SLOTS - 1)
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::pin::Pin;

    /// Entries for tests, each boxed and pinned so the wheel's pointers stay valid; every
    /// test drops its wheel (by emptying it or at the end) before its entries.
    fn entries(n: usize) -> Vec<Pin<Box<Entry>>> {
        (0..n).map(|_| Box::pin(Entry::new())).collect()
    }

    fn ptr(e: &Pin<Box<Entry>>) -> NonNull<Entry> {
        e.as_ref().get_ref().as_ptr()
    }

    fn when_of(p: NonNull<Entry>) -> u64 {
        // SAFETY: test entries outlive the wheel and the test is single-threaded.
        unsafe { Entry::inner(p).when }
    }

    fn place_of(e: &Pin<Box<Entry>>) -> Place {
        // SAFETY: as in `when_of`.
        unsafe { Entry::inner(ptr(e)).place }
    }

    fn drain_all(wheel: &mut Wheel, now: u64) -> Vec<u64> {
        std::iter::from_fn(|| wheel.poll(now)).map(when_of).collect()
    }

    #[test]
    fn levels_cover_u64() {
        assert_eq!(LEVELS, 11);
        assert_eq!(level_for(0, 1), 0);
        assert_eq!(level_for(0, 63), 0);
        assert_eq!(level_for(0, 64), 1);
        assert_eq!(level_for(0, 4095), 1);
        assert_eq!(level_for(0, 4096), 2);
        assert_eq!(level_for(0, u64::MAX), 10);
        assert_eq!(level_for(1000, 1001), 0);
        assert_eq!(slot_for(u64::MAX, 10), 15);
    }

    #[test]
    fn insert_then_poll_at_deadline() {
        let es = entries(1);
        let mut wheel = Wheel::new();
        // SAFETY: the entry is pinned and outlives the wheel.
        unsafe { wheel.insert(ptr(&es[0]), 200_000).unwrap() };
        assert_eq!(wheel.len(), 1);
        assert_eq!(wheel.next_expiration(), Some(200_000));
        assert_eq!(wheel.poll(199_999), None, "never early");
        assert_eq!(wheel.poll(200_000), Some(ptr(&es[0])));
        assert_eq!(place_of(&es[0]), Place::Unlinked);
        assert_eq!(wheel.len(), 0);
        assert_eq!(wheel.next_expiration(), None);
    }

    #[test]
    fn insert_at_or_before_elapsed_is_expired() {
        let es = entries(2);
        let mut wheel = Wheel::new();
        // SAFETY: pinned entries outlive the wheel.
        unsafe {
            assert_eq!(wheel.insert(ptr(&es[0]), 0), Err(Expired));
            assert_eq!(wheel.poll(500), None);
            assert_eq!(wheel.insert(ptr(&es[1]), 500), Err(Expired));
            assert_eq!(wheel.insert(ptr(&es[1]), 501), Ok(()));
        }
        assert_eq!(place_of(&es[0]), Place::Unlinked);
        assert_eq!(drain_all(&mut wheel, 501), vec![501]);
    }

    #[test]
    fn cancel_removes_and_clears_slot() {
        let es = entries(3);
        let mut wheel = Wheel::new();
        // SAFETY: pinned entries outlive the wheel; each is removed while linked.
        unsafe {
            wheel.insert(ptr(&es[0]), 10_000).unwrap();
            wheel.insert(ptr(&es[1]), 10_001).unwrap();
            wheel.insert(ptr(&es[2]), 5_000_000).unwrap();
            wheel.remove(ptr(&es[1]));
            assert_eq!(wheel.len(), 2);
            wheel.remove(ptr(&es[0]));
            assert_eq!(wheel.next_expiration(), Some(5_000_000), "emptied slot no longer counts");
            wheel.remove(ptr(&es[2]));
        }
        assert_eq!(wheel.len(), 0);
        assert_eq!(wheel.next_expiration(), None);
        assert!(wheel.levels.iter().all(|l| l.occupied == 0));
        assert_eq!(wheel.poll(u64::MAX), None);
    }

    #[test]
    fn removing_the_minimum_leaves_a_lower_bound() {
        let es = entries(2);
        let mut wheel = Wheel::new();
        // SAFETY: pinned entries outlive the wheel.
        unsafe {
            // Same level-3 slot: 262_144 ns slots.
            wheel.insert(ptr(&es[0]), 300_000).unwrap();
            wheel.insert(ptr(&es[1]), 400_000).unwrap();
            wheel.remove(ptr(&es[0]));
        }
        let bound = wheel.next_expiration().unwrap();
        assert!(bound <= 400_000);
        // Waking at the stale bound cascades the slot; the bound is exact again.
        assert_eq!(wheel.poll(bound), None);
        assert_eq!(wheel.next_expiration(), Some(400_000));
        assert_eq!(drain_all(&mut wheel, 400_000), vec![400_000]);
    }

    #[test]
    fn cancel_a_pending_entry() {
        let es = entries(2);
        let mut wheel = Wheel::new();
        // SAFETY: pinned entries outlive the wheel.
        unsafe {
            wheel.insert(ptr(&es[0]), 100).unwrap();
            wheel.insert(ptr(&es[1]), 101).unwrap();
        }
        let first = wheel.poll(1_000).unwrap();
        let other = if first == ptr(&es[0]) { &es[1] } else { &es[0] };
        assert_eq!(place_of(other), Place::Pending);
        assert_eq!(wheel.next_expiration(), Some(wheel.elapsed()), "pending means due now");
        // SAFETY: `other` is linked (pending).
        unsafe { wheel.remove(ptr(other)) };
        assert_eq!(wheel.len(), 0);
        assert_eq!(wheel.poll(1_000), None);
    }

    #[test]
    fn cascade_fires_in_deadline_order_and_never_early() {
        // Deadlines spread over levels 0..=6; poll at every one of them, in order.
        let whens: Vec<u64> = vec![
            3,
            63,
            64,
            100,
            4_095,
            4_096,
            70_000,
            262_143,
            262_144,
            1_000_000,
            16_777_216,
            50_000_000,
            1_073_741_823,
            1_073_741_824,
            5_000_000_000,
            68_719_476_736,
        ];
        let es = entries(whens.len());
        let mut wheel = Wheel::new();
        // Insert in a scrambled order.
        for i in (0..whens.len()).rev().step_by(2).chain((0..whens.len()).rev().skip(1).step_by(2)) {
            // SAFETY: pinned entries outlive the wheel.
            unsafe { wheel.insert(ptr(&es[i]), whens[i]).unwrap() };
        }
        let mut fired = Vec::new();
        while let Some(next) = wheel.next_expiration() {
            assert_eq!(wheel.poll(next.saturating_sub(1)).map(when_of), None, "nothing before {next}");
            let got = drain_all(&mut wheel, next);
            // A bound may be early (never here: nothing was removed), never late.
            assert!(got.iter().all(|&w| w == next), "{got:?} at {next}");
            fired.extend(got);
        }
        assert_eq!(fired, whens);
    }

    #[test]
    fn big_jump_fires_everything_due() {
        let es = entries(1_000);
        let mut wheel = Wheel::new();
        let mut x: u64 = 0x9E37_79B9_7F4A_7C15;
        let mut whens = Vec::new();
        for e in &es {
            x ^= x << 13;
            x ^= x >> 7;
            x ^= x << 17;
            let when = 1 + x % 100_000_000;
            whens.push(when);
            // SAFETY: pinned entries outlive the wheel.
            unsafe { wheel.insert(ptr(e), when).unwrap() };
        }
        let mut got = drain_all(&mut wheel, 50_000_000);
        let mut due: Vec<u64> = whens.iter().copied().filter(|&w| w <= 50_000_000).collect();
        got.sort_unstable();
        due.sort_unstable();
        assert_eq!(got, due);
        assert!(wheel.next_expiration().unwrap() > 50_000_000);
        let mut rest = drain_all(&mut wheel, 100_000_000);
        rest.sort_unstable();
        assert_eq!(rest.len() + got.len(), whens.len());
        assert_eq!(wheel.len(), 0);
    }

    #[test]
    fn far_future_and_u64_max() {
        let es = entries(3);
        let mut wheel = Wheel::new();
        // SAFETY: pinned entries outlive the wheel.
        unsafe {
            wheel.insert(ptr(&es[0]), u64::MAX).unwrap();
            wheel.insert(ptr(&es[1]), 1 << 62).unwrap();
            wheel.insert(ptr(&es[2]), 1_000).unwrap();
        }
        assert_eq!(wheel.next_expiration(), Some(1_000));
        assert_eq!(drain_all(&mut wheel, 1_000), vec![1_000]);
        assert_eq!(wheel.next_expiration(), Some(1 << 62));
        assert_eq!(drain_all(&mut wheel, (1 << 62) - 1), Vec::<u64>::new());
        assert_eq!(drain_all(&mut wheel, 1 << 62), vec![1 << 62]);
        assert_eq!(wheel.next_expiration(), Some(u64::MAX));
        assert_eq!(drain_all(&mut wheel, u64::MAX - 1), Vec::<u64>::new());
        assert_eq!(drain_all(&mut wheel, u64::MAX), vec![u64::MAX]);
        assert_eq!(wheel.len(), 0);
    }

    #[test]
    fn insert_after_advance_lands_after_elapsed() {
        let es = entries(3);
        let mut wheel = Wheel::new();
        assert_eq!(wheel.poll(1_000_000_007), None);
        assert_eq!(wheel.elapsed(), 1_000_000_007);
        // SAFETY: pinned entries outlive the wheel.
        unsafe {
            wheel.insert(ptr(&es[0]), 1_000_000_008).unwrap();
            wheel.insert(ptr(&es[1]), 1_000_200_000).unwrap();
            wheel.insert(ptr(&es[2]), 2_000_000_000).unwrap();
        }
        assert_eq!(wheel.next_expiration(), Some(1_000_000_008));
        assert_eq!(drain_all(&mut wheel, 1_000_100_000), vec![1_000_000_008]);
        assert_eq!(wheel.next_expiration(), Some(1_000_200_000));
        // Time going backwards is ignored.
        assert_eq!(wheel.poll(5), None);
        assert_eq!(wheel.elapsed(), 1_000_100_000);
        assert_eq!(drain_all(&mut wheel, 3_000_000_000), vec![1_000_200_000, 2_000_000_000]);
    }

    #[test]
    fn reinsert_after_remove() {
        let es = entries(1);
        let mut wheel = Wheel::new();
        // SAFETY: pinned entry outlives the wheel.
        unsafe {
            wheel.insert(ptr(&es[0]), 80_000_000).unwrap();
            wheel.remove(ptr(&es[0]));
            wheel.insert(ptr(&es[0]), 2_000).unwrap();
        }
        assert_eq!(wheel.next_expiration(), Some(2_000));
        assert_eq!(drain_all(&mut wheel, 80_000_000), vec![2_000]);
    }
}
