//! crest's process-level pieces: [`signal`] (Unix signals as streams), [`process`] (child
//! processes with nonblocking pipes, waited on through a pidfd) and [`fs`] (file-system
//! calls on the blocking pool).
//!
//! Users depend on the `crest` facade, which re-exports these modules as `crest::signal`,
//! `crest::process` and `crest::fs`; the paths in the docs are the facade's.
//!
//! What this crate does not do: make syscalls itself. Every OS call goes through
//! `crest_runtime::sys`, and every wait through the runtime's driver.

#![deny(unsafe_op_in_unsafe_fn)]
#![warn(clippy::undocumented_unsafe_blocks)]
#![warn(missing_docs)]

pub mod fs;
pub mod process;
pub mod signal;
