//! `Command`, `Child`, its pipes and `Signal` are `Send`, and so are the futures of
//! `process`, `signal` and `fs`, so that they can be spawned on the multi-thread runtime.

use crest::process::{Child, ChildStderr, ChildStdin, ChildStdout, Command};
use crest::signal::unix::Signal;

fn is_send<T: Send>(_: &T) {}

#[test]
fn types_and_futures_are_send() {
    fn types<T: Send>() {}
    types::<Command>();
    types::<Child>();
    types::<ChildStdin>();
    types::<ChildStdout>();
    types::<ChildStderr>();
    types::<Signal>();

    // Built, never polled: only their types matter.
    let mut command = Command::new("true");
    is_send(&command.status());
    is_send(&command.output());
    is_send(&crest::signal::ctrl_c());
    is_send(&crest::fs::read("x"));
    is_send(&crest::fs::read_dir("x"));
    is_send(&crest::fs::write("x", b"y"));
}

#[test]
fn child_futures_are_send() {
    fn check(child: &mut Child) {
        is_send(&child.wait());
        is_send(&child.kill());
    }
    fn check_owned(child: Child) {
        is_send(&child.wait_with_output());
    }
    let _ = (check as fn(&mut Child), check_owned as fn(Child));
}

#[test]
fn spawn_outside_a_runtime_panics_before_starting_the_child() {
    let err = std::panic::catch_unwind(|| Command::new("true").spawn()).unwrap_err();
    let message = err
        .downcast_ref::<String>()
        .cloned()
        .or_else(|| err.downcast_ref::<&str>().map(|s| s.to_string()))
        .unwrap_or_default();
    assert!(message.contains("outside a crest runtime"), "{message}");
}
