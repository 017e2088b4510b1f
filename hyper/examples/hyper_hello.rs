//! hyper on crest: `Hello, World!` over HTTP/1.1 and HTTP/2 (prior knowledge). It serves
//! until killed (pass `serve` a future such as a signal to shut down gracefully).
//!
//! ```text
//! $ cargo run --release -p crest-hyper --example hyper_hello     # 127.0.0.1:3000
//! listening on 127.0.0.1:3000
//! $ curl http://127.0.0.1:3000/
//! Hello, World!
//! $ curl --http2-prior-knowledge http://127.0.0.1:3000/
//! Hello, World!
//! ```
//!
//! The address can be given as the first argument (`127.0.0.1:0` picks a free port; the
//! line `listening on ADDR` says which).

use std::convert::Infallible;
use std::io::{self, Write};

use http_body_util::Full;
use hyper::body::{Bytes, Incoming};
use hyper::{Request, Response};

async fn hello(_: Request<Incoming>) -> Result<Response<Full<Bytes>>, Infallible> {
    let mut response = Response::new(Full::new(Bytes::from_static(b"Hello, World!\n")));
    response.headers_mut().insert("content-type", "text/plain; charset=utf-8".parse().unwrap());
    Ok(response)
}

#[crest::main(flavor = "multi_thread")]
async fn main() -> io::Result<()> {
    let addr = std::env::args().nth(1).unwrap_or_else(|| "127.0.0.1:3000".to_owned());
    let listener = crest::net::TcpListener::bind(addr).await?;
    println!("listening on {}", listener.local_addr()?);
    io::stdout().flush()?;
    crest_hyper::serve(listener, hyper::service::service_fn(hello), std::future::pending()).await
}
