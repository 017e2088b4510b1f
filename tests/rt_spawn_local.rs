//! `spawn_local` runs `!Send` futures on the calling thread.
mod util;

use std::cell::RefCell;
use std::rc::Rc;

#[test]
fn spawn_local_with_an_rc() {
    util::with_timeout(util::LIMIT, || {
        let total = crest::block_on(async {
            let shared = Rc::new(RefCell::new(0));
            let mut handles = Vec::new();
            for i in 1..=10 {
                let s = shared.clone();
                handles.push(crest::task::spawn_local(async move {
                    crest::task::yield_now().await;
                    *s.borrow_mut() += i;
                }));
            }
            for h in handles {
                h.await.unwrap();
            }
            let v = *shared.borrow();
            v
        });
        assert_eq!(total, 55);
    });
}

#[test]
fn spawn_local_outside_block_on_panics_clearly() {
    let err = std::panic::catch_unwind(|| {
        drop(crest::task::spawn_local(async {}));
    })
    .unwrap_err();
    let msg = err.downcast_ref::<&str>().copied().unwrap_or_default();
    assert!(msg.contains("spawn_local must be called"), "message: {msg}");
}

#[test]
fn pending_local_tasks_are_dropped_with_the_runtime() {
    struct Flag(Rc<RefCell<bool>>);
    impl Drop for Flag {
        fn drop(&mut self) {
            *self.0.borrow_mut() = true;
        }
    }
    util::with_timeout(util::LIMIT, || {
        let dropped = Rc::new(RefCell::new(false));
        let d = dropped.clone();
        crest::block_on(async move {
            let flag = Flag(d);
            drop(crest::task::spawn_local(async move {
                let _flag = flag;
                std::future::pending::<()>().await;
            }));
            crest::task::yield_now().await;
        });
        assert!(*dropped.borrow());
    });
}
