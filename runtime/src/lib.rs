//! crest's core: the bare epoll API, the edge-triggered I/O driver, the executors, the
//! timers and the blocking pool.
//!
//! Users depend on the `crest` facade, which re-exports this crate's public modules; the
//! paths in the docs (`crest::runtime`, `crest::task`, ...) are the facade's.

#![deny(unsafe_op_in_unsafe_fn)]
#![warn(clippy::undocumented_unsafe_blocks)]
#![warn(missing_docs)]

pub(crate) mod coop;
pub(crate) mod driver;
pub mod io;
pub(crate) mod loom;
#[cfg(all(test, loom))]
mod loom_tests;
pub mod runtime;
pub mod sys;
pub mod task;
/// The items of `crest::task` that need a runtime, so live above the task layer (in
/// `runtime/`): the facade shows them in `crest::task`, beside this crate's [`task`].
#[doc(hidden)]
pub mod task_api {
    pub use crate::runtime::join_set::JoinSet;
    pub use crate::runtime::spawn::{id, spawn, spawn_blocking, spawn_local, try_id};
}
pub mod time;

pub use runtime::block_on;
pub use runtime::spawn::spawn;
