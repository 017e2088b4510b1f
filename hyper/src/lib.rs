//! # crest-hyper
//!
//! [hyper](https://docs.rs/hyper) on crest: the glue hyper 1.x asks of a runtime, and a
//! ready accept loop.
//!
//! ```no_run
//! use std::convert::Infallible;
//!
//! use http_body_util::Full;
//! use hyper::body::{Bytes, Incoming};
//! use hyper::{Request, Response};
//!
//! async fn hello(_: Request<Incoming>) -> Result<Response<Full<Bytes>>, Infallible> {
//!     Ok(Response::new(Full::new(Bytes::from_static(b"Hello, world!\n"))))
//! }
//!
//! #[crest::main]
//! async fn main() -> std::io::Result<()> {
//!     let listener = crest::net::TcpListener::bind("127.0.0.1:3000").await?;
//!     let service = hyper::service::service_fn(hello);
//!     // HTTP/1.1 and HTTP/2; when the third argument completes (here: never), stop
//!     // accepting and finish the requests in flight.
//!     crest_hyper::serve(listener, service, std::future::pending()).await
//! }
//! ```
//!
//! * [`CrestIo`] makes any crest stream (any futures-io `AsyncRead + AsyncWrite + Unpin`)
//!   a hyper `Read + Write`. crest's own `TcpStream` and `UnixStream` read straight into
//!   hyper's uninitialised buffer, and writes are vectored (`sendmsg`), so hyper neither
//!   zero-fills a buffer per read nor copies a response into one buffer.
//! * [`CrestExecutor`] spawns hyper's background tasks (HTTP/2 streams) with `crest::spawn`.
//! * [`CrestTimer`] gives hyper crest's sub-millisecond timers; `reset` moves a sleep in
//!   place, without a new allocation.
//! * [`serve`] accepts connections and speaks HTTP/1.1 or HTTP/2 (prior knowledge) on each,
//!   with a graceful shutdown.
//!
//! For a client, hand `CrestIo::new(stream)` to `hyper::client::conn::http1::handshake`
//! (or `http2::handshake(CrestExecutor, ..)`) and `crest::spawn` the connection future.

#![warn(missing_docs)]

mod drain;
mod executor;
mod io;
mod read_path;
mod serve;
mod timer;

pub use executor::CrestExecutor;
pub use io::CrestIo;
pub use serve::serve;
pub use timer::CrestTimer;
