//! File-system calls that do not block the runtime: each runs std's function on the
//! blocking pool ([`spawn_blocking`]).
//!
//! ```
//! crest::block_on(async {
//!     let dir = std::env::temp_dir().join(format!("crest-fs-doc-{}", std::process::id()));
//!     crest::fs::create_dir_all(&dir).await?;
//!     crest::fs::write(dir.join("greeting"), "hello").await?;
//!     assert_eq!(crest::fs::read_to_string(dir.join("greeting")).await?, "hello");
//!     crest::fs::remove_dir_all(&dir).await?;
//!     std::io::Result::Ok(())
//! })?;
//! # std::io::Result::Ok(())
//! ```
//!
//! # Why not epoll
//! epoll is for descriptors that can *wait*: sockets, pipes, terminals, eventfds, pidfds.
//! A regular file is never "not ready" — `epoll_ctl` refuses it with `EPERM`, and
//! `poll(2)` reports it always readable and writable — yet a read from it may block on the
//! disk for milliseconds. Nonblocking mode does not change that either. So the only way to
//! keep such a call off the runtime's threads is to make it on another thread: these
//! functions do, on the runtime's blocking pool (as tokio's and async-fs's do). A program
//! that reads many small files at once gains from running several of these concurrently.
//!
//! # Errors
//! std's errors, with the path added to the message (std's own messages name no path):
//! `No such file or directory (os error 2): /etc/missing.conf`. The [`io::ErrorKind`] is
//! std's.
//!
//! What this module does not do: open files for streaming reads and writes (use
//! `spawn_blocking` with `std::fs::File` for that).

use std::fs::{DirEntry, Metadata};
use std::io;
use std::path::{Path, PathBuf};

use crest_runtime::task_api::spawn_blocking;

/// Runs `f` on the blocking pool and adds `what` to its error's message.
async fn blocking<T: Send + 'static>(
    what: impl FnOnce() -> String + Send + 'static,
    f: impl FnOnce() -> io::Result<T> + Send + 'static,
) -> io::Result<T> {
    match spawn_blocking(move || f().map_err(|e| io::Error::new(e.kind(), format!("{e}: {}", what())))).await
    {
        Ok(res) => res,
        Err(join) => Err(io::Error::other(format!("a blocking file-system call failed: {join}"))),
    }
}

fn owned(path: impl AsRef<Path>) -> PathBuf {
    path.as_ref().to_path_buf()
}

/// Reads a whole file: [`std::fs::read`] on the blocking pool.
///
/// # Errors
/// As [`std::fs::read`], with the path in the message.
pub async fn read(path: impl AsRef<Path>) -> io::Result<Vec<u8>> {
    let path = owned(path);
    let shown = path.clone();
    blocking(move || shown.display().to_string(), move || std::fs::read(path)).await
}

/// Reads a whole file as UTF-8: [`std::fs::read_to_string`] on the blocking pool.
///
/// # Errors
/// As [`std::fs::read_to_string`] (`InvalidData` for bad UTF-8), with the path in the message.
pub async fn read_to_string(path: impl AsRef<Path>) -> io::Result<String> {
    let path = owned(path);
    let shown = path.clone();
    blocking(move || shown.display().to_string(), move || std::fs::read_to_string(path)).await
}

/// Creates or truncates a file and writes `contents`: [`std::fs::write`] on the blocking pool.
///
/// # Errors
/// As [`std::fs::write`], with the path in the message.
pub async fn write(path: impl AsRef<Path>, contents: impl AsRef<[u8]>) -> io::Result<()> {
    let path = owned(path);
    let shown = path.clone();
    let contents = contents.as_ref().to_vec();
    blocking(move || shown.display().to_string(), move || std::fs::write(path, contents)).await
}

/// Copies a file's contents and permissions: [`std::fs::copy`] on the blocking pool.
/// Gives the number of bytes copied.
///
/// # Errors
/// As [`std::fs::copy`], with both paths in the message.
pub async fn copy(from: impl AsRef<Path>, to: impl AsRef<Path>) -> io::Result<u64> {
    let (from, to) = (owned(from), owned(to));
    let shown = format!("{} -> {}", from.display(), to.display());
    blocking(move || shown, move || std::fs::copy(from, to)).await
}

/// Renames a file or directory: [`std::fs::rename`] on the blocking pool.
///
/// # Errors
/// As [`std::fs::rename`], with both paths in the message.
pub async fn rename(from: impl AsRef<Path>, to: impl AsRef<Path>) -> io::Result<()> {
    let (from, to) = (owned(from), owned(to));
    let shown = format!("{} -> {}", from.display(), to.display());
    blocking(move || shown, move || std::fs::rename(from, to)).await
}

/// Removes a file: [`std::fs::remove_file`] on the blocking pool.
///
/// # Errors
/// As [`std::fs::remove_file`], with the path in the message.
pub async fn remove_file(path: impl AsRef<Path>) -> io::Result<()> {
    let path = owned(path);
    let shown = path.clone();
    blocking(move || shown.display().to_string(), move || std::fs::remove_file(path)).await
}

/// Removes a directory and everything in it: [`std::fs::remove_dir_all`] on the blocking pool.
///
/// # Errors
/// As [`std::fs::remove_dir_all`], with the path in the message.
pub async fn remove_dir_all(path: impl AsRef<Path>) -> io::Result<()> {
    let path = owned(path);
    let shown = path.clone();
    blocking(move || shown.display().to_string(), move || std::fs::remove_dir_all(path)).await
}

/// Creates a directory and its missing parents: [`std::fs::create_dir_all`] on the blocking pool.
///
/// # Errors
/// As [`std::fs::create_dir_all`], with the path in the message.
pub async fn create_dir_all(path: impl AsRef<Path>) -> io::Result<()> {
    let path = owned(path);
    let shown = path.clone();
    blocking(move || shown.display().to_string(), move || std::fs::create_dir_all(path)).await
}

/// A file's metadata, following symlinks: [`std::fs::metadata`] on the blocking pool.
///
/// # Errors
/// As [`std::fs::metadata`], with the path in the message.
pub async fn metadata(path: impl AsRef<Path>) -> io::Result<Metadata> {
    let path = owned(path);
    let shown = path.clone();
    blocking(move || shown.display().to_string(), move || std::fs::metadata(path)).await
}

/// The entries of a directory (without `.` and `..`, in the order the file system gives):
/// [`std::fs::read_dir`] collected on the blocking pool.
///
/// # Errors
/// As [`std::fs::read_dir`] and its entries, with the path in the message.
pub async fn read_dir(path: impl AsRef<Path>) -> io::Result<Vec<DirEntry>> {
    let path = owned(path);
    let shown = path.clone();
    blocking(move || shown.display().to_string(), move || std::fs::read_dir(path)?.collect()).await
}
