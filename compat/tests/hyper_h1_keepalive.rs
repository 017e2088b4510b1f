//! hyper's HTTP/1.1 client, over `CrestIo` on a crest `TcpStream`, sends 1,000 requests on
//! one keep-alive connection to `crest_hyper::serve`; every answer is right, and the
//! connection ends cleanly when the client lets go.
mod util;

use std::io;

use crest_hyper::CrestIo;
use http_body_util::{BodyExt, Empty};
use hyper::body::Bytes;
use hyper::Request;
use util::{block_on, Server};

#[test]
fn a_thousand_keep_alive_requests_on_one_connection() -> io::Result<()> {
    let server = Server::start(|listener, stop| {
        crest_hyper::serve(listener, hyper::service::service_fn(util::hello), stop.wait())
    });
    let addr = server.addr;
    block_on(async move {
        let stream = crest::net::TcpStream::connect(addr).await?;
        let (mut sender, conn) =
            hyper::client::conn::http1::handshake(CrestIo::new(stream)).await.map_err(io::Error::other)?;
        let conn = crest::spawn(conn);
        for i in 0..1000 {
            let request = Request::get(format!("/{i}"))
                .header("host", "localhost")
                .body(Empty::<Bytes>::new())
                .unwrap();
            let response = sender.send_request(request).await.map_err(io::Error::other)?;
            assert_eq!(response.status(), 200, "request {i}");
            assert_eq!(response.headers()["content-type"], "text/plain; charset=utf-8");
            let body = response.into_body().collect().await.map_err(io::Error::other)?.to_bytes();
            assert_eq!(body, "Hello, World!", "request {i}");
        }
        drop(sender);
        conn.await.expect("the connection task").map_err(io::Error::other)
    })?;
    server.stop()
}
