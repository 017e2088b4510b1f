//! `#[crest::main]` keeps `main`'s return type: an `async fn main` that returns `Err` prints
//! the error and exits with a non-zero status, as a plain `fn main` does.
//!
//! `tests/macros_exit_status.rs` runs this example and checks the status.
//!
//! ```text
//! $ cargo run --example exit_error
//! Error: Custom { kind: Other, error: "exit_error fails on purpose" }
//! $ echo $?
//! 1
//! ```

use std::io;

#[crest::main]
async fn main() -> io::Result<()> {
    let message = crest::spawn(async { "exit_error fails on purpose" }).await.map_err(io::Error::other)?;
    Err(io::Error::other(message))
}
