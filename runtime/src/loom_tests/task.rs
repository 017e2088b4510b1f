//! Models of the task state machine (`task/state.rs`) driven through `task/raw.rs`: a
//! runner thread polls the task while another thread wakes, aborts, joins or drops it.
//!
//! Every model ends in `Sched::finish`, which checks that the future, the output and the
//! allocation were each dropped exactly once; the scheduler asserts that a task is never
//! queued twice; the probes' loom cells catch a future or output touched by two threads
//! without the state word ordering them.

use std::sync::atomic::Ordering::SeqCst;
use std::sync::Arc;
use std::task::Waker;

use ::loom::sync::Mutex;
use ::loom::thread;

use super::{model, poll_join_with, CountWaker, Counters, Output, Probe, Sched, Step, WakerSlot};
use crate::task::JoinHandle;

/// A model thread that runs the queued task once.
fn spawn_runner(sched: &Arc<Sched>) -> thread::JoinHandle<()> {
    let sched = sched.clone();
    thread::spawn(move || {
        sched.run_one();
    })
}

/// Spawns a probe with `steps`, runs its first poll (which must stash its waker) and
/// returns the waker it stashed.
fn spawned_and_parked(steps: &'static [Step]) -> (Arc<Sched>, WakerSlot, JoinHandle<Output>, Waker) {
    assert_eq!(steps[0], Step::Stash);
    let sched = Sched::new();
    let slot = Arc::new(Mutex::new(None));
    let (notified, join) = sched.spawn(Probe::new(steps, &sched.counters, &slot));
    notified.run();
    let waker = slot.lock().unwrap().take().expect("the first poll stashed its waker");
    (sched, slot, join, waker)
}

/// A wake while the task runs sets NOTIFIED and the runner queues the task when the poll
/// returns; a wake just before the run merges into it. Never queued twice, every queued
/// run polls once, and no wake is lost: the task completes once it has seen the flag that
/// its waker set before waking it.
#[test]
fn wake_while_running_queues_once() {
    model(|| {
        let (sched, _slot, join, waker) =
            spawned_and_parked(&[Step::Stash, Step::ReadyIfFlag, Step::ReadyIfFlag]);
        waker.wake_by_ref();
        let runner = spawn_runner(&sched);
        let counters = sched.counters.clone();
        let waking = thread::spawn(move || {
            counters.flag.store(true, SeqCst);
            waker.wake();
        });
        runner.join().unwrap();
        waking.join().unwrap();
        let result = sched.finish(Some(join));
        let c = &sched.counters;
        let schedules = Counters::get(&c.schedules);
        assert!(schedules == 1 || schedules == 2, "{schedules}");
        assert_eq!(Counters::get(&c.polls), 1 + schedules, "each queued run polls once");
        assert!(result.unwrap().is_ok(), "a wake was lost");
    });
}

/// Waking a task that completes meanwhile, or has completed, queues nothing.
#[test]
fn wake_after_complete_does_nothing() {
    model(|| {
        let (sched, _slot, join, waker) = spawned_and_parked(&[Step::Stash, Step::Ready]);
        waker.wake_by_ref();
        let runner = spawn_runner(&sched);
        let waking = thread::spawn(move || {
            waker.wake_by_ref();
            waker.wake();
        });
        runner.join().unwrap();
        waking.join().unwrap();
        assert_eq!(Counters::get(&sched.counters.schedules), 1, "only the first wake queued the task");
        assert!(sched.finish(Some(join)).unwrap().is_ok());
        assert_eq!(Counters::get(&sched.counters.polls), 2);
    });
}

/// `abort` racing the poll that completes the task: either the output is kept (abort came
/// too late) or the future is dropped unpolled and the join reports cancellation.
#[test]
fn abort_races_completion() {
    model(|| {
        let (sched, _slot, join, waker) = spawned_and_parked(&[Step::Stash, Step::Ready]);
        waker.wake();
        let runner = spawn_runner(&sched);
        let aborting = thread::spawn(move || {
            join.abort();
            join
        });
        runner.join().unwrap();
        let join = aborting.join().unwrap();
        let result = sched.finish(Some(join)).unwrap();
        let c = &sched.counters;
        assert_eq!(Counters::get(&c.schedules), 1, "abort does not queue a task that is queued or running");
        match result {
            Ok(()) => assert_eq!(Counters::get(&c.polls), 2),
            Err(e) => {
                assert!(e.is_cancelled());
                assert_eq!(Counters::get(&c.polls), 1, "cancelled before its second poll");
            }
        }
    });
}

/// `abort` racing a wake of an idle task: one of them queues it (both only if the woken
/// run went idle before the abort), and a run drops the future, on whichever thread runs
/// it; the task is never queued twice at once.
#[test]
fn abort_races_wake() {
    model(|| {
        let (sched, _slot, join, waker) = spawned_and_parked(&[Step::Stash]);
        let waking = {
            let sched = sched.clone();
            thread::spawn(move || {
                waker.wake();
                sched.run_one();
            })
        };
        let aborting = {
            let sched = sched.clone();
            thread::spawn(move || {
                join.abort();
                sched.run_one();
                join
            })
        };
        waking.join().unwrap();
        let join = aborting.join().unwrap();
        let result = sched.finish(Some(join)).unwrap();
        assert!(result.unwrap_err().is_cancelled());
        // Both queue it only when the run that the wake queued went idle before the abort.
        let c = &sched.counters;
        let schedules = Counters::get(&c.schedules);
        assert!(schedules == 1 || (schedules == 2 && Counters::get(&c.polls) == 2), "{schedules}");
    });
}

/// Dropping the `JoinHandle` racing completion: the output is dropped exactly once, by the
/// handle (complete first) or by the runner (handle gone first), and the task is freed
/// once, by whoever drops the last reference.
#[test]
fn join_handle_drop_races_completion() {
    model(|| {
        let (sched, _slot, join, waker) = spawned_and_parked(&[Step::Stash, Step::Ready]);
        waker.wake();
        let runner = spawn_runner(&sched);
        let dropping = thread::spawn(move || drop(join));
        runner.join().unwrap();
        dropping.join().unwrap();
        assert!(sched.finish(None).is_none());
        assert_eq!(Counters::get(&sched.counters.outputs), 1);
    });
}

/// Polling the `JoinHandle` (twice, with two different wakers) racing completion: a poll
/// that returns `Pending` left a waker that completion wakes exactly once, and a replaced
/// waker is not woken after its replacement.
#[test]
fn join_handle_poll_races_completion() {
    model(|| {
        let (sched, _slot, mut join, waker) = spawned_and_parked(&[Step::Stash, Step::Ready]);
        waker.wake();
        let runner = spawn_runner(&sched);
        let (first, second) = (Arc::new(CountWaker::default()), Arc::new(CountWaker::default()));
        let joining = {
            let (first, second) = (Waker::from(first.clone()), Waker::from(second.clone()));
            thread::spawn(move || {
                let mut polls = Vec::new();
                for w in [&first, &second] {
                    let r = poll_join_with(&mut join, w);
                    let ready = r.is_some();
                    drop(r);
                    polls.push(ready);
                    if ready {
                        break;
                    }
                }
                (join, polls)
            })
        };
        runner.join().unwrap();
        let (join, polls) = joining.join().unwrap();
        let (woke_first, woke_second) = (first.0.load(SeqCst), second.0.load(SeqCst));
        match polls[..] {
            [true] => assert_eq!((woke_first, woke_second), (0, 0)),
            [false, true] => assert_eq!(woke_second, 0, "a waker is woken only while registered"),
            [false, false] => {
                assert_eq!((woke_first, woke_second), (0, 1), "completion wakes the registered waker once")
            }
            _ => unreachable!(),
        }
        // A handle that returned `Ready` must not be polled again.
        let done = *polls.last().unwrap();
        let result = sched.finish(if done {
            drop(join);
            None
        } else {
            Some(join)
        });
        assert_eq!(result.is_some(), !done);
        assert_eq!(Counters::get(&sched.counters.output_drops), 1);
    });
}

/// Cloning, waking and dropping wakers racing the completing poll (which itself keeps a
/// waker clone, and drops the runner's references): the task is freed exactly once, by
/// whichever thread drops the last reference, and never used after.
#[test]
fn waker_clone_and_drop_race_completion() {
    model(|| {
        let (sched, slot, join, waker) = spawned_and_parked(&[Step::Stash, Step::StashReady]);
        waker.wake_by_ref();
        let runner = spawn_runner(&sched);
        let other = {
            let slot = slot.clone();
            thread::spawn(move || {
                let clone = waker.clone();
                drop(waker);
                clone.wake_by_ref();
                let kept = slot.lock().unwrap().take();
                drop(kept);
                drop(join);
                drop(clone);
            })
        };
        runner.join().unwrap();
        other.join().unwrap();
        let kept = slot.lock().unwrap().take();
        drop(kept);
        assert!(sched.finish(None).is_none());
        assert_eq!(Counters::get(&sched.counters.schedules), 1);
    });
}

/// Runtime shutdown (`OwnedTasks::close_and_shutdown_all`) racing a run of the task: the
/// future is dropped once, in place by shutdown if the task is idle, or by its runner when
/// it sees CANCELLED; the join reports cancellation.
#[test]
fn shutdown_races_run() {
    model(|| {
        let (sched, _slot, join, waker) = spawned_and_parked(&[Step::Stash, Step::Pending]);
        waker.wake();
        let runner = spawn_runner(&sched);
        let closing = {
            let sched = sched.clone();
            thread::spawn(move || sched.owned.close_and_shutdown_all())
        };
        runner.join().unwrap();
        closing.join().unwrap();
        assert!(sched.finish(Some(join)).unwrap().unwrap_err().is_cancelled());
    });
}
