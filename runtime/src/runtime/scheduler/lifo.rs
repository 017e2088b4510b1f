//! The LIFO rule, one for both flavors: how long the task in a thread's LIFO slot may keep
//! jumping the queue.

/// Polls of the LIFO slot in a row before its task must let the queued ones go first: two
/// tasks that wake each other forever must not starve the rest. Both flavors keep a LIFO
/// slot (the task a running task woke runs next, while its data is hot in the cache) and
/// follow [`lifo_may_run`].
pub(crate) const MAX_LIFO_POLLS: u32 = 3;

/// The LIFO rule of both flavors: the task in the slot runs next while fewer than
/// [`MAX_LIFO_POLLS`] ran from the slot in a row, or when no task waits in the thread's
/// queue for it to starve (the injection queue and I/O have their own turns).
/// (`queue_is_empty` is asked only past the cap.)
#[inline]
pub(crate) fn lifo_may_run(polls_in_a_row: u32, queue_is_empty: impl FnOnce() -> bool) -> bool {
    polls_in_a_row < MAX_LIFO_POLLS || queue_is_empty()
}
