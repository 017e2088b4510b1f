//! Model of the current-thread scheduler's park (`Parker::park_driver` in
//! `runtime/scheduler/park.rs`) with a fake driver.

use std::sync::Arc;

use ::loom::sync::atomic::{AtomicBool, Ordering};
use ::loom::thread;

use super::{model, FakeDriver};
use crate::runtime::scheduler::park::Parker;

/// An unpark racing a park is never lost: whether it lands before the EMPTY -> PARKED
/// CAS, between the CAS and the wait, or during the wait, the parked thread comes back and
/// sees the work published before the unpark. A lost one leaves the parker waiting in the
/// driver forever, which loom reports as a deadlock.
#[test]
fn unpark_racing_park_is_never_lost() {
    model(|| {
        let park = Arc::new(Parker::new());
        let work = Arc::new(AtomicBool::new(false));
        let mut driver = FakeDriver::new();
        let eventfd = driver.eventfd.clone();
        let parker = {
            let (park, work) = (park.clone(), work.clone());
            thread::spawn(move || {
                // Relaxed: the park's own Acquire must make the work visible.
                while !work.load(Ordering::Relaxed) {
                    park.park_driver(&mut driver, None);
                }
            })
        };
        work.store(true, Ordering::Relaxed);
        park.unpark(&eventfd);
        parker.join().unwrap();
    });
}
