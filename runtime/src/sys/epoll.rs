//! The bare epoll API: an [`Epoll`] instance, the [`Events`] bit flags and the [`Event`]s
//! that [`Epoll::wait`] returns.
//!
//! This is a thin, safe layer over `epoll_create1`, `epoll_ctl` and `epoll_pwait2` (or
//! `epoll_wait` on kernels older than 5.11). It keeps no state of its own: what to do with
//! readiness is the caller's business. crest's driver registers every fd once with
//! `IN | OUT | RDHUP | PRI | ET`; used on its own, it looks like this:
//!
//! ```
//! use crest::sys::epoll::{Epoll, Events};
//! use std::os::fd::AsFd;
//! use std::time::Duration;
//!
//! let epoll = Epoll::new()?;
//! let (a, b) = std::os::unix::net::UnixStream::pair()?;
//! epoll.add(a.as_fd(), Events::IN | Events::ET, 7)?;
//!
//! std::io::Write::write_all(&mut &b, b"x")?;
//! let mut events = Vec::with_capacity(16);
//! epoll.wait(&mut events, Some(Duration::from_secs(1)))?;
//! assert_eq!(events[0].token(), 7);
//! assert!(events[0].events().contains(Events::IN));
//! # std::io::Result::Ok(())
//! ```
//!
//! # The readiness contract
//! An edge-triggered registration (`ET`) reports a change once. A reader must keep
//! reading until the call fails with `WouldBlock`; if it stops earlier, no new event comes
//! until new data arrives. Spurious events happen: an event is a hint to try the
//! operation, never a promise that it will succeed.

use std::fmt;
use std::io;
use std::ops::{BitAnd, BitOr, BitOrAssign, Sub};
use std::os::fd::{AsFd, AsRawFd, BorrowedFd, FromRawFd, OwnedFd};
use std::sync::atomic::{AtomicBool, AtomicU8, Ordering};
use std::time::{Duration, Instant};

use super::chaos::{self, EpollFaults};

/// A set of epoll event flags (`EPOLLIN`, `EPOLLET`, ...).
///
/// Combine with `|`, intersect with `&`, remove with `-`; `Debug` prints the flag names.
///
/// ```
/// use crest::sys::epoll::Events;
/// let ev = Events::IN | Events::ET;
/// assert!(ev.contains(Events::IN));
/// assert_eq!(format!("{ev:?}"), "IN | ET");
/// assert_eq!(ev - Events::ET, Events::IN);
/// ```
#[derive(Clone, Copy, PartialEq, Eq, Hash, Default)]
pub struct Events(u32);

macro_rules! flags {
    ($($(#[$doc:meta])* $name:ident = $value:expr;)*) => {
        impl Events {
            $($(#[$doc])* pub const $name: Events = Events($value as u32);)*
        }
        const NAMES: &[(Events, &str)] = &[$((Events::$name, stringify!($name))),*];
    };
}

flags! {
    /// `EPOLLIN`: the fd is readable (or a listener has a connection waiting).
    IN = libc::EPOLLIN;
    /// `EPOLLOUT`: the fd is writable.
    OUT = libc::EPOLLOUT;
    /// `EPOLLRDHUP`: the peer shut down its write side (we will read EOF).
    RDHUP = libc::EPOLLRDHUP;
    /// `EPOLLPRI`: an exceptional condition, such as TCP urgent data.
    PRI = libc::EPOLLPRI;
    /// `EPOLLERR`: an error is pending on the fd. Always reported; need not be asked for.
    ERR = libc::EPOLLERR;
    /// `EPOLLHUP`: both directions are closed. Always reported; need not be asked for.
    HUP = libc::EPOLLHUP;
    /// `EPOLLET`: edge-triggered; report changes, not states.
    ET = libc::EPOLLET;
    /// `EPOLLONESHOT`: report once, then disable until [`Epoll::modify`].
    ONESHOT = libc::EPOLLONESHOT;
    /// `EPOLLWAKEUP`: hold a wakeup source while the event is pending (needs CAP_BLOCK_SUSPEND).
    WAKEUP = libc::EPOLLWAKEUP;
    /// `EPOLLEXCLUSIVE`: wake only one of several epoll instances waiting on the same fd
    /// (only with [`Epoll::add`]).
    EXCLUSIVE = libc::EPOLLEXCLUSIVE;
}

impl Events {
    /// No flags.
    pub const fn empty() -> Events {
        Events(0)
    }

    /// The raw `EPOLL*` bits.
    pub const fn bits(self) -> u32 {
        self.0
    }

    /// Builds a set from raw bits, dropping bits that name no known flag.
    pub const fn from_bits_truncate(bits: u32) -> Events {
        let mut all = 0;
        let mut i = 0;
        while i < NAMES.len() {
            all |= NAMES[i].0 .0;
            i += 1;
        }
        Events(bits & all)
    }

    /// True when every flag of `other` is in `self`.
    pub const fn contains(self, other: Events) -> bool {
        self.0 & other.0 == other.0
    }

    /// True when `self` and `other` share at least one flag.
    pub const fn intersects(self, other: Events) -> bool {
        self.0 & other.0 != 0
    }

    /// True when no flag is set.
    pub const fn is_empty(self) -> bool {
        self.0 == 0
    }
}

impl BitOr for Events {
    type Output = Events;
    fn bitor(self, rhs: Events) -> Events {
        Events(self.0 | rhs.0)
    }
}

impl BitOrAssign for Events {
    fn bitor_assign(&mut self, rhs: Events) {
        self.0 |= rhs.0;
    }
}

impl BitAnd for Events {
    type Output = Events;
    fn bitand(self, rhs: Events) -> Events {
        Events(self.0 & rhs.0)
    }
}

impl Sub for Events {
    type Output = Events;
    fn sub(self, rhs: Events) -> Events {
        Events(self.0 & !rhs.0)
    }
}

impl fmt::Debug for Events {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let mut rest = self.0;
        let mut first = true;
        for (flag, name) in NAMES {
            if self.contains(*flag) {
                if !first {
                    f.write_str(" | ")?;
                }
                f.write_str(name)?;
                first = false;
                rest &= !flag.0;
            }
        }
        if rest != 0 {
            if !first {
                f.write_str(" | ")?;
            }
            write!(f, "{rest:#x}")?;
        } else if first {
            f.write_str("(empty)")?;
        }
        Ok(())
    }
}

/// One readiness report: the flags that fired and the token given at registration.
#[derive(Clone, Copy)]
#[repr(transparent)]
pub struct Event(libc::epoll_event);

impl Event {
    /// An event as the kernel would report it (the chaos build makes stale edges).
    #[cfg_attr(not(crest_chaos), allow(dead_code))]
    pub(crate) fn new(events: Events, token: u64) -> Event {
        Event(libc::epoll_event { events: events.bits(), u64: token })
    }

    /// The flags the kernel reported.
    pub fn events(&self) -> Events {
        // A copy: the field may be unaligned (epoll_event is packed on x86-64).
        let bits = self.0.events;
        Events(bits)
    }

    /// The token given to [`Epoll::add`] or [`Epoll::modify`].
    pub fn token(&self) -> u64 {
        // A copy, for the same reason as above.
        {
            self.0.u64
        }
    }
}

impl fmt::Debug for Event {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Event").field("events", &self.events()).field("token", &self.token()).finish()
    }
}

/// Whether this kernel has `epoll_pwait2` (nanosecond timeouts): unknown, yes or no.
static PWAIT2: AtomicU8 = AtomicU8::new(PWAIT2_UNKNOWN);
const PWAIT2_UNKNOWN: u8 = 0;
const PWAIT2_YES: u8 = 1;
const PWAIT2_NO: u8 = 2;

/// An epoll instance (`epoll_create1(EPOLL_CLOEXEC)`).
///
/// # Invariant
/// `fd` is an open epoll descriptor owned by this value for its whole life.
#[derive(Debug)]
pub struct Epoll {
    fd: OwnedFd,
    /// Whether `wait` uses `epoll_pwait2`; cleared for good when the kernel (or a seccomp
    /// policy) refuses it at run time.
    precise: AtomicBool,
    /// Nothing outside the chaos build (`sys/chaos.rs`).
    faults: EpollFaults,
}

impl Epoll {
    /// Creates an epoll instance, close-on-exec.
    ///
    /// # Errors
    /// `EMFILE`/`ENFILE` when out of descriptors, `ENOMEM`.
    pub fn new() -> io::Result<Epoll> {
        // SAFETY: epoll_create1 takes no pointers.
        let raw = syscall!(epoll_create1(libc::EPOLL_CLOEXEC))?;
        // SAFETY: `raw` is a fresh descriptor that nothing else owns.
        let fd = unsafe { OwnedFd::from_raw_fd(raw) };
        let epoll = Epoll { fd, precise: AtomicBool::new(false), faults: EpollFaults::new() };
        epoll.precise.store(epoll.probe_pwait2(), Ordering::Relaxed);
        Ok(epoll)
    }

    /// True when [`wait`](Epoll::wait) passes timeouts to the kernel with nanosecond
    /// precision (`epoll_pwait2`, Linux 5.11+); false when it rounds them up to whole
    /// milliseconds for `epoll_wait`.
    pub fn precise_timeouts(&self) -> bool {
        self.precise.load(Ordering::Relaxed)
    }

    /// Chooses between `epoll_pwait2` and the millisecond `epoll_wait` fallback. Asking for
    /// precision on a kernel without `epoll_pwait2` keeps the fallback. Used to test the
    /// fallback on kernels that have both.
    pub fn set_precise_timeouts(&mut self, precise: bool) {
        self.precise.store(precise && PWAIT2.load(Ordering::Relaxed) == PWAIT2_YES, Ordering::Relaxed);
    }

    /// Lets the chaos build delay this instance's events and add stale edges (the driver's
    /// instance only; a no-op in the normal build).
    pub(crate) fn enable_faults(&mut self) {
        self.faults.enable();
    }

    /// Whether the chaos build holds events back for the next wait (always false in the
    /// normal build): those events have arrived, so a paused clock must not jump past them.
    pub(crate) fn holds_events(&self) -> bool {
        self.faults.holding()
    }

    fn probe_pwait2(&self) -> bool {
        match PWAIT2.load(Ordering::Relaxed) {
            PWAIT2_YES => return true,
            PWAIT2_NO => return false,
            _ => {}
        }
        let mut ev = libc::epoll_event { events: 0, u64: 0 };
        let zero = libc::timespec { tv_sec: 0, tv_nsec: 0 };
        // SAFETY: one writable event slot, a valid timespec, a null sigmask; the fd is ours.
        let res = unsafe {
            libc::syscall(
                libc::SYS_epoll_pwait2,
                self.fd.as_raw_fd(),
                &mut ev as *mut libc::epoll_event,
                1 as libc::c_int,
                &zero as *const libc::timespec,
                std::ptr::null::<libc::sigset_t>(),
                0 as libc::size_t,
            )
        };
        // Any failure means "do not use it": ENOSYS on old kernels, but also EPERM (or
        // anything else) from a seccomp policy that refuses the call, where taking the
        // error for "it works" would make every wait fail.
        let yes = res >= 0;
        PWAIT2.store(if yes { PWAIT2_YES } else { PWAIT2_NO }, Ordering::Relaxed);
        yes
    }

    fn ctl(&self, op: libc::c_int, fd: BorrowedFd<'_>, events: Events, token: u64) -> io::Result<()> {
        let mut ev = libc::epoll_event { events: events.bits(), u64: token };
        // SAFETY: `ev` is a live epoll_event; both descriptors are borrowed for the call.
        syscall!(epoll_ctl(self.fd.as_raw_fd(), op, fd.as_raw_fd(), &mut ev))?;
        Ok(())
    }

    /// Starts watching `fd` for `events`; reports carry `token`.
    ///
    /// # Errors
    /// `EEXIST` if `fd` is already registered, `EBADF` for a closed fd, `EPERM` for a file
    /// that epoll cannot watch (a regular file), `ENOSPC` past `max_user_watches`.
    pub fn add(&self, fd: BorrowedFd<'_>, events: Events, token: u64) -> io::Result<()> {
        self.ctl(libc::EPOLL_CTL_ADD, fd, events, token)?;
        self.faults.added(fd.as_raw_fd(), token);
        Ok(())
    }

    /// Changes the events and token of a registered `fd` (and re-arms `ONESHOT`).
    ///
    /// # Errors
    /// `ENOENT` if `fd` is not registered; `EINVAL` with `EXCLUSIVE`.
    pub fn modify(&self, fd: BorrowedFd<'_>, events: Events, token: u64) -> io::Result<()> {
        self.ctl(libc::EPOLL_CTL_MOD, fd, events, token)
    }

    /// Stops watching `fd`.
    ///
    /// # Errors
    /// `ENOENT` if `fd` is not registered.
    pub fn delete(&self, fd: BorrowedFd<'_>) -> io::Result<()> {
        self.ctl(libc::EPOLL_CTL_DEL, fd, Events::empty(), 0)?;
        self.faults.deleted(fd.as_raw_fd());
        Ok(())
    }

    /// Waits for events. Clears `out`, fills it with up to `max(out.capacity(), 1)` events
    /// and returns how many arrived. `None` blocks until an event; `Some(d)` returns after
    /// at most about `d` (zero polls). An interrupted wait (`EINTR`) is retried with the
    /// time that remains.
    ///
    /// Without `epoll_pwait2` the timeout is rounded *up* to whole milliseconds, never down
    /// to a busy loop.
    ///
    /// # Errors
    /// Whatever `epoll_pwait2`/`epoll_wait` reports other than `EINTR`.
    pub fn wait(&self, out: &mut Vec<Event>, timeout: Option<Duration>) -> io::Result<usize> {
        out.clear();
        if out.capacity() == 0 {
            out.reserve(1);
        }
        let max = libc::c_int::try_from(out.capacity()).unwrap_or(libc::c_int::MAX);
        let timeout = self.faults.wait_timeout(timeout);
        let deadline = timeout.and_then(|d| Instant::now().checked_add(d));
        let mut remaining = timeout;
        loop {
            let res = if chaos::interrupt() {
                Err(io::Error::from_raw_os_error(libc::EINTR))
            } else {
                self.wait_once(out.as_mut_ptr().cast(), max, remaining)
            };
            match res {
                Ok(n) => {
                    // SAFETY: the kernel initialised the first `n <= capacity` events, and
                    // `Event` is a transparent wrapper of `epoll_event`.
                    unsafe { out.set_len(n) };
                    self.faults.after_wait(out);
                    return Ok(out.len());
                }
                Err(e) if e.kind() == io::ErrorKind::Interrupted => {
                    remaining = match (deadline, remaining) {
                        (Some(at), Some(_)) => Some(at.saturating_duration_since(Instant::now())),
                        (None, r) => r,
                        (Some(_), None) => None,
                    };
                }
                Err(e) => return Err(e),
            }
        }
    }

    fn wait_once(
        &self,
        buf: *mut libc::epoll_event,
        max: libc::c_int,
        timeout: Option<Duration>,
    ) -> io::Result<usize> {
        if self.precise.load(Ordering::Relaxed) {
            match self.pwait2_once(buf, max, timeout) {
                // Refused at run time (a seccomp policy installed after the probe, or one
                // that answers differently for real calls): fall back for good.
                Err(e) if matches!(e.raw_os_error(), Some(libc::EPERM | libc::ENOSYS)) => {
                    self.precise.store(false, Ordering::Relaxed);
                }
                res => return res,
            }
        }
        let ms = match timeout {
            None => -1,
            Some(d) => {
                // Round up: a 1ns timeout must not become a busy poll.
                let ms = d.as_nanos().div_ceil(1_000_000);
                libc::c_int::try_from(ms).unwrap_or(libc::c_int::MAX)
            }
        };
        // SAFETY: `buf` has room for `max` events.
        syscall!(epoll_wait(self.fd.as_raw_fd(), buf, max, ms)).map(|n| n as usize)
    }

    fn pwait2_once(
        &self,
        buf: *mut libc::epoll_event,
        max: libc::c_int,
        timeout: Option<Duration>,
    ) -> io::Result<usize> {
        let res = {
            let ts = timeout.map(|d| libc::timespec {
                tv_sec: libc::time_t::try_from(d.as_secs()).unwrap_or(libc::time_t::MAX),
                tv_nsec: d.subsec_nanos() as libc::c_long,
            });
            let ts_ptr = ts.as_ref().map_or(std::ptr::null(), |t| t as *const libc::timespec);
            // SAFETY: `buf` has room for `max` events (the caller's capacity); `ts_ptr` is
            // null or points to a live timespec; the sigmask is null.
            unsafe {
                libc::syscall(
                    libc::SYS_epoll_pwait2,
                    self.fd.as_raw_fd(),
                    buf,
                    max,
                    ts_ptr,
                    std::ptr::null::<libc::sigset_t>(),
                    0 as libc::size_t,
                )
            }
        };
        if res < 0 {
            Err(io::Error::last_os_error())
        } else {
            Ok(res as usize)
        }
    }
}

impl AsFd for Epoll {
    fn as_fd(&self) -> BorrowedFd<'_> {
        self.fd.as_fd()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn debug_prints_names() {
        assert_eq!(format!("{:?}", Events::IN | Events::OUT | Events::ET), "IN | OUT | ET");
        assert_eq!(format!("{:?}", Events::empty()), "(empty)");
        assert_eq!(format!("{:?}", Events(1 << 20)), "0x100000");
    }

    #[test]
    fn set_operations() {
        let a = Events::IN | Events::OUT;
        assert!(a.contains(Events::IN));
        assert!(!a.contains(Events::IN | Events::ET));
        assert!(a.intersects(Events::OUT | Events::HUP));
        assert_eq!(a & Events::OUT, Events::OUT);
        assert_eq!(a - Events::OUT, Events::IN);
        let mut b = Events::empty();
        assert!(b.is_empty());
        b |= Events::ET;
        assert_eq!(b.bits(), libc::EPOLLET as u32);
        assert_eq!(Events::from_bits_truncate(u32::MAX).bits() & (1 << 20), 0);
    }

    #[test]
    fn zero_capacity_buffer_still_gets_one_event() -> io::Result<()> {
        let epoll = Epoll::new()?;
        let (a, b) = std::os::unix::net::UnixStream::pair()?;
        epoll.add(a.as_fd(), Events::IN, 1)?;
        std::io::Write::write_all(&mut &b, b"x")?;
        let mut out = Vec::new();
        assert_eq!(epoll.wait(&mut out, Some(Duration::from_secs(5)))?, 1);
        Ok(())
    }

    #[test]
    fn fallback_rounds_up() -> io::Result<()> {
        let mut epoll = Epoll::new()?;
        epoll.set_precise_timeouts(false);
        assert!(!epoll.precise_timeouts());
        let mut out = Vec::with_capacity(4);
        let start = Instant::now();
        epoll.wait(&mut out, Some(Duration::from_nanos(1)))?;
        // Rounded up to 1ms, not down to 0: the wait slept.
        assert!(start.elapsed() >= Duration::from_millis(1));
        Ok(())
    }
}
