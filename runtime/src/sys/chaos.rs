//! Fault injection: the faults a real kernel produces, made frequent, for the chaos build
//! (`RUSTFLAGS="--cfg crest_chaos"`, run by `scripts/chaos`).
//!
//! Off by default, and then free: every function below is an `#[inline(always)]` no-op
//! (`false`, the length unchanged, a zero-sized `EpollFaults`), so the normal build
//! compiles to the code it had before. Under `--cfg crest_chaos`:
//!
//! | fault | where | what the kernel does that it imitates |
//! | --- | --- | --- |
//! | `EINTR` | the retry loops of `Epoll::wait`, `accept`, `send`, `sendmsg` (`interrupt`) | a signal arrives before anything was transferred |
//! | short reads and writes | stream-socket reads and writes in `crest-net` (`short`) | a read returns part of the queue, a write takes part of the buffer |
//! | delayed events | the driver's `Epoll::wait` (`EpollFaults`) | an event is reported one `epoll_wait` later than it could have been |
//! | stale edges | the driver's `Epoll::wait` (`EpollFaults`) | an `IN` edge whose data (or connection) someone else took first: the next read or `accept` says `EAGAIN` |
//! | spurious wakeups | `Registration::poll_ready` (`spurious_wake`) | a waker woken with no readiness change |
//!
//! What it never does is what no kernel does, and what edge-triggered code cannot survive:
//! say `EAGAIN` while the resource has data, or report an event for a descriptor after
//! its `EPOLL_CTL_DEL` returned (a delayed event is dropped at `DEL`, as the kernel drops a
//! queued one). A short *transfer* is made by asking for fewer bytes, not by the syscall
//! stopping early: the short-transfer shortcut (ARCHITECTURE.md) relies on a TCP read or
//! write that moved less than it was asked having emptied or filled the kernel's buffer,
//! which stays true.
//!
//! The faults are drawn from a seeded generator: `CREST_CHAOS_SEED=N` picks the seed
//! (otherwise one is made from the clock), and the first fault prints it to stderr, so a
//! failing run shows the seed that replays it. Each thread draws from its own stream
//! (the seed mixed with the order in which threads first drew), so a single-threaded run
//! replays exactly; a multi-threaded one replays the same fault rates and per-thread
//! sequences, though the threads' interleaving may differ.

pub use imp::*;

#[cfg(not(crest_chaos))]
mod imp {
    use std::os::fd::RawFd;
    use std::task::Waker;
    use std::time::Duration;

    use crate::sys::epoll::Event;

    /// Whether to act as if the syscall about to be made was interrupted (`EINTR`): only
    /// where the caller retries. Always `false` outside the chaos build.
    #[inline(always)]
    pub fn interrupt() -> bool {
        false
    }

    /// How many of `len` bytes to ask for in one stream read or write. Always `len` outside
    /// the chaos build.
    #[inline(always)]
    pub fn short(len: usize) -> usize {
        len
    }

    /// Maybe wakes `waker` though nothing changed. Nothing outside the chaos build.
    #[inline(always)]
    pub(crate) fn spurious_wake(_waker: &Waker) {}

    /// Event delays and stale edges of one epoll instance; nothing outside the chaos build.
    #[derive(Debug)]
    pub(crate) struct EpollFaults;

    impl EpollFaults {
        #[inline(always)]
        pub(crate) fn new() -> EpollFaults {
            EpollFaults
        }
        #[inline(always)]
        pub(crate) fn enable(&mut self) {}
        #[inline(always)]
        pub(crate) fn added(&self, _fd: RawFd, _token: u64) {}
        #[inline(always)]
        pub(crate) fn deleted(&self, _fd: RawFd) {}
        #[inline(always)]
        pub(crate) fn wait_timeout(&self, timeout: Option<Duration>) -> Option<Duration> {
            timeout
        }
        #[inline(always)]
        pub(crate) fn after_wait(&self, _out: &mut Vec<Event>) {}
        #[inline(always)]
        pub(crate) fn holding(&self) -> bool {
            false
        }
    }
}

#[cfg(crest_chaos)]
mod imp {
    use std::cell::Cell;
    use std::os::fd::RawFd;
    use std::sync::atomic::{AtomicU64, Ordering};
    use std::sync::{Mutex, OnceLock};
    use std::task::Waker;
    use std::time::Duration;

    use crate::sys::epoll::{Event, Events};

    /// One syscall in this many (in a retry loop) is interrupted.
    const EINTR_ONE_IN: u64 = 8;
    /// One stream transfer in this many asks for a random part of its length.
    const SHORT_ONE_IN: u64 = 3;
    /// One `Pending` readiness poll in this many has its waker woken at once.
    const SPURIOUS_ONE_IN: u64 = 8;
    /// One event in this many is held back to the next wait.
    const DELAY_ONE_IN: u64 = 4;
    /// One wait in this many adds a stale `IN` edge for a registered descriptor.
    const STALE_ONE_IN: u64 = 8;

    static SEED: OnceLock<u64> = OnceLock::new();
    static THREADS: AtomicU64 = AtomicU64::new(0);

    thread_local! {
        /// This thread's generator state; 0 until its first draw.
        static STATE: Cell<u64> = const { Cell::new(0) };
    }

    fn seed() -> u64 {
        *SEED.get_or_init(|| {
            let seed = match std::env::var("CREST_CHAOS_SEED") {
                Ok(s) => s
                    .trim()
                    .parse()
                    .unwrap_or_else(|_| panic!("CREST_CHAOS_SEED must be an unsigned integer, not {s:?}")),
                Err(_) => std::time::SystemTime::now()
                    .duration_since(std::time::UNIX_EPOCH)
                    .map_or(1, |d| d.as_nanos() as u64 ^ u64::from(std::process::id())),
            };
            eprintln!("crest chaos build: faults seeded with CREST_CHAOS_SEED={seed}");
            seed
        })
    }

    /// splitmix64: spreads a seed and a thread number over the whole state.
    fn mix(mut z: u64) -> u64 {
        z = z.wrapping_add(0x9E37_79B9_7F4A_7C15);
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }

    /// The next number of this thread's xorshift64* stream.
    fn next() -> u64 {
        STATE.with(|state| {
            let mut x = state.get();
            if x == 0 {
                let thread = THREADS.fetch_add(1, Ordering::Relaxed);
                x = mix(seed() ^ mix(thread)) | 1;
            }
            x ^= x >> 12;
            x ^= x << 25;
            x ^= x >> 27;
            state.set(x);
            x.wrapping_mul(0x2545_F491_4F6C_DD1D)
        })
    }

    fn one_in(n: u64) -> bool {
        next() % n == 0
    }

    /// A number in `0..n` (`n > 0`).
    fn below(n: usize) -> usize {
        (next() % n as u64) as usize
    }

    /// Whether to act as if the syscall about to be made was interrupted (`EINTR`): only
    /// where the caller retries.
    pub fn interrupt() -> bool {
        one_in(EINTR_ONE_IN)
    }

    /// How many of `len` bytes to ask for in one stream read or write: sometimes a random
    /// `1..len`, at least one byte so that a read still tells EOF from progress.
    pub fn short(len: usize) -> usize {
        if len > 1 && one_in(SHORT_ONE_IN) {
            1 + below(len - 1)
        } else {
            len
        }
    }

    /// Sometimes wakes `waker` at once, with no readiness change: the task is polled again
    /// and must find nothing and wait again.
    pub(crate) fn spurious_wake(waker: &Waker) {
        if one_in(SPURIOUS_ONE_IN) {
            waker.wake_by_ref();
        }
    }

    /// Event delays and stale edges of one epoll instance (the driver's; a bare
    /// [`Epoll`](crate::sys::epoll::Epoll) made by a user gets none).
    #[derive(Debug, Default)]
    pub(crate) struct EpollFaults {
        enabled: bool,
        state: Mutex<FaultState>,
    }

    #[derive(Debug, Default)]
    struct FaultState {
        /// Events held back by the last wait, returned by the next one.
        held: Vec<Event>,
        /// The registered descriptors and their tokens, as the kernel knows them: added at
        /// `EPOLL_CTL_ADD`, gone at a successful `EPOLL_CTL_DEL`.
        registered: Vec<(RawFd, u64)>,
    }

    impl EpollFaults {
        fn lock(&self) -> std::sync::MutexGuard<'_, FaultState> {
            self.state.lock().unwrap_or_else(|p| p.into_inner())
        }

        pub(crate) fn new() -> EpollFaults {
            EpollFaults::default()
        }

        pub(crate) fn enable(&mut self) {
            self.enabled = true;
        }

        pub(crate) fn added(&self, fd: RawFd, token: u64) {
            if self.enabled {
                let mut state = self.lock();
                state.registered.retain(|&(f, _)| f != fd);
                state.registered.push((fd, token));
            }
        }

        /// `fd` left the interest list: the kernel forgets its queued events, and so does
        /// the hold, before `delete` returns.
        pub(crate) fn deleted(&self, fd: RawFd) {
            if self.enabled {
                let mut state = self.lock();
                let FaultState { held, registered } = &mut *state;
                let gone: Vec<u64> =
                    registered.iter().filter(|&&(f, _)| f == fd).map(|&(_, token)| token).collect();
                registered.retain(|&(f, _)| f != fd);
                held.retain(|ev| !gone.contains(&ev.token()));
            }
        }

        /// A wait with held events must not block: they are ready now.
        pub(crate) fn wait_timeout(&self, timeout: Option<Duration>) -> Option<Duration> {
            if self.enabled && !self.lock().held.is_empty() {
                return Some(Duration::ZERO);
            }
            timeout
        }

        /// Whether events are held for the next wait: they have arrived, as far as the
        /// kernel is concerned (a paused clock must not jump past them).
        pub(crate) fn holding(&self) -> bool {
            self.enabled && !self.lock().held.is_empty()
        }

        /// Holds back some of the events this wait got, and adds those held by the last
        /// one, plus now and then a stale `IN` edge. A held event is returned by the very
        /// next wait, so every event is delivered, one wait late at most.
        pub(crate) fn after_wait(&self, out: &mut Vec<Event>) {
            if !self.enabled {
                return;
            }
            let mut state = self.lock();
            let late = std::mem::take(&mut state.held);
            let mut i = 0;
            while i < out.len() {
                if one_in(DELAY_ONE_IN) {
                    state.held.push(out.swap_remove(i));
                } else {
                    i += 1;
                }
            }
            out.extend(late);
            if !state.registered.is_empty() && one_in(STALE_ONE_IN) {
                let (_, token) = state.registered[below(state.registered.len())];
                out.push(Event::new(Events::IN, token));
            }
        }
    }
}

#[cfg(all(test, crest_chaos))]
mod tests {
    use super::*;
    use crate::sys::epoll::{Event, Events};

    #[test]
    fn faults_happen_and_stay_in_bounds() {
        let shorts: Vec<usize> = (0..1000).map(|_| short(100)).collect();
        assert!(shorts.iter().all(|&n| (1..=100).contains(&n)));
        assert!(shorts.iter().any(|&n| n < 100), "some transfers are made short");
        assert_eq!(short(1), 1, "a one-byte transfer cannot be shortened");
        assert!((0..1000).any(|_| interrupt()), "some syscalls are interrupted");
    }

    #[test]
    fn a_held_event_comes_with_the_next_wait() {
        let mut faults = EpollFaults::new();
        faults.enable();
        let sent: Vec<u64> = (1..=64).collect();
        let mut out: Vec<Event> = sent.iter().map(|&t| Event::new(Events::IN, t)).collect();
        faults.after_wait(&mut out);
        assert!(out.len() < 64, "one event in four is held back (64 events)");
        assert_eq!(faults.wait_timeout(None), Some(std::time::Duration::ZERO));
        let mut next = Vec::new();
        faults.after_wait(&mut next);
        let mut got: Vec<u64> = out.iter().chain(&next).map(|e| e.token()).collect();
        got.sort_unstable();
        assert_eq!(got, sent, "every event is delivered once, one wait late at most");
    }

    #[test]
    fn a_held_event_dies_with_its_registration() {
        let mut faults = EpollFaults::new();
        faults.enable();
        faults.added(5, 99);
        loop {
            let mut out = vec![Event::new(Events::IN, 99)];
            faults.after_wait(&mut out);
            if out.iter().all(|e| e.token() != 99) {
                break; // held back
            }
        }
        faults.deleted(5);
        for _ in 0..100 {
            let mut out = Vec::new();
            faults.after_wait(&mut out);
            assert!(out.is_empty(), "no event, held or stale, names a deleted descriptor");
        }
    }
}
