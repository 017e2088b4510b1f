//! Shared helpers for crest's benchmarks. Benchmarks live in `benches/benches/`.
//!
//! * [`slot_channel`]: a one-slot channel (a `Mutex` around a value and two wakers) that
//!   every runtime under test uses alike, so that a ping-pong measures the runtime's
//!   wake and schedule path, not a channel crate tuned for one runtime.
//! * [`criterion_estimate`]: reads the point estimate out of a criterion
//!   `estimates.json`, for the ratio tables the micro-benchmarks print after their run.

use std::future::Future;
use std::path::{Path, PathBuf};
use std::pin::Pin;
use std::sync::{Arc, Mutex};
use std::task::{Context, Poll, Waker};

struct Slot<T> {
    value: Option<T>,
    /// The receiver waiting for a value.
    rx: Option<Waker>,
    /// The sender waiting for the slot to empty.
    tx: Option<Waker>,
    /// Set when every sender has gone; `recv` then returns `None` once the slot is empty.
    closed: bool,
}

/// The sending half of a one-slot channel.
pub struct Sender<T> {
    slot: Arc<Mutex<Slot<T>>>,
}

/// The receiving half of a one-slot channel.
pub struct Receiver<T> {
    slot: Arc<Mutex<Slot<T>>>,
}

/// A channel holding at most one value: `send` waits while the slot is full, `recv` while it
/// is empty. Wakers are woken outside the lock. Cost per message: one lock, one wake.
///
/// ```
/// let (tx, rx) = crest_benches::slot_channel::<u32>();
/// crest::block_on(async move {
///     crest::spawn(async move { tx.send(7).await });
///     assert_eq!(rx.recv().await, Some(7));
/// });
/// ```
pub fn slot_channel<T>() -> (Sender<T>, Receiver<T>) {
    let slot = Arc::new(Mutex::new(Slot { value: None, rx: None, tx: None, closed: false }));
    (Sender { slot: slot.clone() }, Receiver { slot })
}

fn store(waker: &mut Option<Waker>, cx: &Context<'_>) {
    match waker {
        Some(w) if w.will_wake(cx.waker()) => {}
        _ => *waker = Some(cx.waker().clone()),
    }
}

impl<T> Sender<T> {
    /// Puts `value` in the slot once it is empty; wakes the receiver.
    pub fn send(&self, value: T) -> SlotSend<'_, T> {
        SlotSend { sender: self, value: Some(value) }
    }

    /// Puts `value` in the slot if it is empty, from any thread, without a task context.
    /// Returns the value back when the slot is full.
    pub fn try_send(&self, value: T) -> Result<(), T> {
        let waker = {
            let mut slot = self.slot.lock().unwrap();
            if slot.value.is_some() {
                return Err(value);
            }
            slot.value = Some(value);
            slot.rx.take()
        };
        if let Some(w) = waker {
            w.wake();
        }
        Ok(())
    }
}

impl<T> Drop for Sender<T> {
    fn drop(&mut self) {
        let waker = {
            let mut slot = self.slot.lock().unwrap();
            slot.closed = true;
            slot.rx.take()
        };
        if let Some(w) = waker {
            w.wake();
        }
    }
}

/// The future returned by [`Sender::send`].
pub struct SlotSend<'a, T> {
    sender: &'a Sender<T>,
    value: Option<T>,
}

impl<T> Unpin for SlotSend<'_, T> {}

impl<T> Future for SlotSend<'_, T> {
    type Output = ();

    fn poll(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<()> {
        let this = &mut *self;
        let waker = {
            let mut slot = this.sender.slot.lock().unwrap();
            if slot.value.is_some() {
                store(&mut slot.tx, cx);
                return Poll::Pending;
            }
            slot.value = this.value.take();
            slot.rx.take()
        };
        if let Some(w) = waker {
            w.wake();
        }
        Poll::Ready(())
    }
}

impl<T> Receiver<T> {
    /// Takes the value out of the slot once there is one; wakes a waiting sender.
    /// `None` once the sender is gone and the slot is empty.
    pub fn recv(&self) -> SlotRecv<'_, T> {
        SlotRecv { receiver: self }
    }
}

/// The future returned by [`Receiver::recv`].
pub struct SlotRecv<'a, T> {
    receiver: &'a Receiver<T>,
}

impl<T> Future for SlotRecv<'_, T> {
    type Output = Option<T>;

    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Option<T>> {
        let (value, waker) = {
            let mut slot = self.receiver.slot.lock().unwrap();
            match slot.value.take() {
                Some(v) => (Some(v), slot.tx.take()),
                None if slot.closed => return Poll::Ready(None),
                None => {
                    store(&mut slot.rx, cx);
                    return Poll::Pending;
                }
            }
        };
        if let Some(w) = waker {
            w.wake();
        }
        Poll::Ready(value)
    }
}

/// The directory criterion writes its results to: `$CRITERION_HOME`, else
/// `$CARGO_TARGET_DIR/criterion`, else `criterion/` beside the `deps/` folder that holds the
/// running benchmark executable (`target/release/deps/micro-*` → `target/criterion`).
pub fn criterion_dir() -> Option<PathBuf> {
    if let Some(home) = std::env::var_os("CRITERION_HOME") {
        return Some(home.into());
    }
    if let Some(target) = std::env::var_os("CARGO_TARGET_DIR") {
        return Some(Path::new(&target).join("criterion"));
    }
    let exe = std::env::current_exe().ok()?;
    let deps = exe.ancestors().find(|p| p.file_name().is_some_and(|n| n == "deps"))?;
    Some(deps.parent()?.parent()?.join("criterion"))
}

/// The point estimate, in nanoseconds, of `statistic` (`"mean"`, `"median"`, `"slope"`) in
/// the text of a criterion `estimates.json`. A small scan rather than a JSON parser: the
/// file's shape is fixed and a dependency for one number is not worth it.
///
/// ```
/// let json = r#"{"mean":{"confidence_interval":{"confidence_level":0.95,"lower_bound":1.0,
///     "upper_bound":3.0},"point_estimate":2.5,"standard_error":0.1},"median":{"confidence_interval":
///     {"confidence_level":0.95,"lower_bound":1.0,"upper_bound":3.0},"point_estimate":2.25,
///     "standard_error":0.1}}"#;
/// assert_eq!(crest_benches::criterion_estimate(json, "median"), Some(2.25));
/// assert_eq!(crest_benches::criterion_estimate(json, "mean"), Some(2.5));
/// assert_eq!(crest_benches::criterion_estimate(json, "slope"), None);
/// ```
pub fn criterion_estimate(json: &str, statistic: &str) -> Option<f64> {
    let start = json.find(&format!("\"{statistic}\":{{"))?;
    let rest = &json[start..];
    let key = "\"point_estimate\":";
    let at = rest.find(key)? + key.len();
    let number: String = rest[at..]
        .chars()
        .skip_while(|c| c.is_whitespace())
        .take_while(|c| c.is_ascii_digit() || matches!(c, '.' | '-' | '+' | 'e' | 'E'))
        .collect();
    number.parse().ok()
}

/// The median of `values` (the mean of the middle two for an even count); `None` when empty.
pub fn median(values: &mut [f64]) -> Option<f64> {
    if values.is_empty() {
        return None;
    }
    values.sort_by(f64::total_cmp);
    let mid = values.len() / 2;
    Some(if values.len() % 2 == 1 { values[mid] } else { (values[mid - 1] + values[mid]) / 2.0 })
}

/// Formats nanoseconds with a unit that keeps three or four significant digits.
pub fn fmt_ns(ns: f64) -> String {
    if ns < 1e3 {
        format!("{ns:.0} ns")
    } else if ns < 1e6 {
        format!("{:.2} µs", ns / 1e3)
    } else if ns < 1e9 {
        format!("{:.2} ms", ns / 1e6)
    } else {
        format!("{:.2} s", ns / 1e9)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::task::Wake;

    struct Count(std::sync::atomic::AtomicUsize);
    impl Wake for Count {
        fn wake(self: Arc<Self>) {
            self.0.fetch_add(1, std::sync::atomic::Ordering::SeqCst);
        }
    }

    #[test]
    fn slot_waits_both_ways() {
        let count = Arc::new(Count(0.into()));
        let waker = Waker::from(count.clone());
        let mut cx = Context::from_waker(&waker);
        let (tx, rx) = slot_channel::<u8>();

        let mut recv = rx.recv();
        assert!(Pin::new(&mut recv).poll(&mut cx).is_pending());
        assert_eq!(tx.try_send(1), Ok(()));
        assert_eq!(count.0.load(std::sync::atomic::Ordering::SeqCst), 1);

        // Full: a second send waits until the receiver takes the first value.
        {
            let mut send = tx.send(2);
            assert!(Pin::new(&mut send).poll(&mut cx).is_pending());
            assert_eq!(Pin::new(&mut recv).poll(&mut cx), Poll::Ready(Some(1)));
            assert_eq!(count.0.load(std::sync::atomic::Ordering::SeqCst), 2);
            assert!(Pin::new(&mut send).poll(&mut cx).is_ready());
        }
        drop(tx);
        let mut recv = rx.recv();
        assert_eq!(Pin::new(&mut recv).poll(&mut cx), Poll::Ready(Some(2)));
        let mut recv = rx.recv();
        assert_eq!(Pin::new(&mut recv).poll(&mut cx), Poll::Ready(None));
    }

    #[test]
    fn median_and_format() {
        assert_eq!(median(&mut []), None);
        assert_eq!(median(&mut [3.0, 1.0, 2.0]), Some(2.0));
        assert_eq!(median(&mut [4.0, 1.0, 2.0, 3.0]), Some(2.5));
        assert_eq!(fmt_ns(12.0), "12 ns");
        assert_eq!(fmt_ns(1_500.0), "1.50 µs");
        assert_eq!(fmt_ns(2_500_000.0), "2.50 ms");
    }
}
