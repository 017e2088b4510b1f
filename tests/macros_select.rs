//! `crest::select!`: tokio's syntax and rules (biased, patterns that disable a branch,
//! preconditions, else, losers dropped before the handler, random start order).
mod util;

use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;
use std::time::Duration;

struct CountDrop(Arc<AtomicUsize>);
impl Drop for CountDrop {
    fn drop(&mut self) {
        self.0.fetch_add(1, Ordering::SeqCst);
    }
}

#[test]
fn the_first_to_finish_wins_and_the_losers_are_dropped_before_the_handler() {
    util::block_on_timeout(util::LIMIT, async {
        let drops = Arc::new(AtomicUsize::new(0));
        let guard = CountDrop(drops.clone());
        let mut borrowed = String::from("x");
        let seen = crest::select! {
            _ = async {
                let _guard = guard;
                let _b = &mut borrowed;
                std::future::pending::<()>().await
            } => unreachable!(),
            v = async {
                crest::time::sleep(Duration::from_millis(5)).await;
                5
            } => {
                // The losing future (which borrowed `borrowed`) is gone already.
                borrowed.push('y');
                (v, drops.load(Ordering::SeqCst))
            }
        };
        assert_eq!(seen, (5, 1));
        assert_eq!(borrowed, "xy");
    });
}

#[test]
fn biased_polls_in_written_order() {
    util::block_on_timeout(util::LIMIT, async {
        for _ in 0..50 {
            let v = crest::select! {
                biased;
                v = async { 1 } => v,
                v = async { 2 } => v,
                v = async { 3 } => v,
            };
            assert_eq!(v, 1);
        }
    });
}

#[test]
fn unbiased_starts_at_a_random_branch() {
    util::block_on_timeout(util::LIMIT, async {
        let mut seen = [0u32; 3];
        for _ in 0..300 {
            let i: usize = crest::select! {
                v = async { 0 } => v,
                v = async { 1 } => v,
                v = async { 2 } => v,
            };
            seen[i] += 1;
        }
        assert!(seen.iter().all(|&n| n > 30), "each branch should win about a third: {seen:?}");
    });
}

#[test]
fn a_non_matching_output_disables_its_branch_and_the_others_go_on() {
    util::block_on_timeout(util::LIMIT, async {
        let v = crest::select! {
            Some(v) = async { None::<u32> } => v,
            Ok(v) = async {
                crest::time::sleep(Duration::from_millis(5)).await;
                Ok::<u32, ()>(9)
            } => v + 1,
        };
        assert_eq!(v, 10);
    });
}

#[test]
fn a_false_precondition_disables_a_branch_whose_future_is_still_evaluated() {
    util::block_on_timeout(util::LIMIT, async {
        let evaluated = AtomicUsize::new(0);
        let polled = AtomicUsize::new(0);
        let make = || {
            evaluated.fetch_add(1, Ordering::SeqCst);
            async {
                polled.fetch_add(1, Ordering::SeqCst);
                1
            }
        };
        let v = crest::select! {
            v = make(), if false => v,
            v = async { 2 } => v,
        };
        assert_eq!(v, 2);
        assert_eq!(evaluated.load(Ordering::SeqCst), 1);
        assert_eq!(polled.load(Ordering::SeqCst), 0);
    });
}

#[test]
fn else_runs_when_every_branch_is_disabled() {
    util::block_on_timeout(util::LIMIT, async {
        let v = crest::select! {
            Some(v) = async { None::<u8> } => v,
            v = async { 1u8 }, if false => v,
            else => 42,
        };
        assert_eq!(v, 42);
    });
}

#[test]
#[should_panic(expected = "all branches of crest::select! are disabled")]
fn no_else_and_every_branch_disabled_panics() {
    crest::block_on(async {
        let _: u8 = crest::select! {
            Some(v) = async { None::<u8> } => v,
        };
    });
}

#[test]
fn handlers_may_break_continue_and_use_question_mark() {
    let out: Result<u32, String> = util::block_on_timeout(util::LIMIT, async {
        let mut n = 0;
        loop {
            crest::select! {
                v = async { n } => {
                    n = v + 1;
                    if n < 3 {
                        continue;
                    }
                    if n == 3 {
                        break;
                    }
                }
            }
        }
        let r: Result<u32, String> = async {
            crest::select! {
                v = async { Err::<u32, String>("bad".into()) } => v?,
            };
            Ok(0)
        }
        .await;
        assert_eq!(r, Err("bad".to_string()));
        Ok(n)
    });
    assert_eq!(out, Ok(3));
}

#[test]
fn mutable_and_ref_bindings_work() {
    util::block_on_timeout(util::LIMIT, async {
        let v = crest::select! {
            (mut a, ref b) = async { (1, String::from("s")) } => {
                a += 1;
                format!("{a}{b}")
            }
        };
        assert_eq!(v, "2s");
    });
}

#[test]
fn a_select_loop_between_a_message_and_a_timeout_on_a_multi_thread_runtime() {
    util::with_timeout(util::LIMIT, || {
        let rt = crest::runtime::Builder::new_multi_thread().worker_threads(2).build().unwrap();
        rt.block_on(async {
            let (tx, rx) = async_channel::unbounded::<u32>();
            crest::spawn(async move {
                for i in 0..20 {
                    tx.send(i).await.unwrap();
                    crest::time::sleep(Duration::from_millis(1)).await;
                }
            });
            let mut got = Vec::new();
            loop {
                crest::select! {
                    v = rx.recv() => match v {
                        Ok(v) => got.push(v),
                        Err(_) => break, // closed
                    },
                    _ = crest::time::sleep(Duration::from_secs(5)) => panic!("idle timeout"),
                }
            }
            assert_eq!(got, (0..20).collect::<Vec<_>>());
        });
    });
}
