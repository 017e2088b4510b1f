//! Misuse panics with a message that says what to do instead.

fn panic_message(err: Box<dyn std::any::Any + Send>) -> String {
    err.downcast_ref::<String>()
        .cloned()
        .or_else(|| err.downcast_ref::<&str>().map(|s| s.to_string()))
        .unwrap_or_default()
}

#[test]
fn spawn_outside_a_runtime_panics_clearly() {
    let err = std::panic::catch_unwind(|| drop(crest::spawn(async {}))).unwrap_err();
    let msg = panic_message(err);
    assert!(msg.contains("outside a crest runtime") && msg.contains("block_on"), "message: {msg}");
}

#[test]
fn block_on_inside_a_runtime_panics_clearly() {
    let err = std::panic::catch_unwind(|| crest::block_on(async { crest::block_on(async {}) })).unwrap_err();
    let msg = panic_message(err);
    assert!(
        msg.contains("cannot block_on inside a crest runtime") && msg.contains(".await"),
        "message: {msg}"
    );
}

#[test]
fn runtime_block_on_inside_a_task_panics_clearly() {
    let rt = crest::runtime::Builder::new_current_thread().build().unwrap();
    let inner = crest::runtime::Builder::new_current_thread().build().unwrap();
    let h = rt.spawn(async move { inner.block_on(async {}) });
    let err = rt.block_on(h).unwrap_err();
    assert!(err.is_panic());
    let msg = panic_message(err.into_panic());
    assert!(msg.contains("cannot block_on inside a crest runtime"), "message: {msg}");
}

#[test]
fn io_objects_outside_a_runtime_panic_clearly() {
    let (a, _b) = std::os::unix::net::UnixStream::pair().unwrap();
    let err = std::panic::catch_unwind(|| drop(crest::io::Async::new(a))).unwrap_err();
    let msg = panic_message(err);
    assert!(msg.contains("no crest runtime"), "message: {msg}");
}
