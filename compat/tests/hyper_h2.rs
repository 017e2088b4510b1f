//! hyper's HTTP/2 client (prior knowledge, `CrestExecutor` running its streams), over
//! `CrestIo`, multiplexes 200 concurrent requests from 200 crest tasks on one connection to
//! `crest_hyper::serve`; every answer is right.
mod util;

use std::io;

use crest_hyper::{CrestExecutor, CrestIo};
use http_body_util::{BodyExt, Empty};
use hyper::body::Bytes;
use hyper::{Request, Version};
use util::{block_on_multi, Server};

#[test]
fn two_hundred_concurrent_streams_on_one_connection() -> io::Result<()> {
    let server = Server::start(|listener, stop| {
        crest_hyper::serve(listener, hyper::service::service_fn(util::hello), stop.wait())
    });
    let addr = server.addr;
    block_on_multi(async move {
        let stream = crest::net::TcpStream::connect(addr).await?;
        let (sender, conn) = hyper::client::conn::http2::handshake(CrestExecutor, CrestIo::new(stream))
            .await
            .map_err(io::Error::other)?;
        let conn = crest::spawn(conn);
        let tasks: Vec<_> = (0..200)
            .map(|i| {
                let mut sender = sender.clone();
                crest::spawn(async move {
                    let request =
                        Request::get(format!("http://localhost/{i}")).body(Empty::<Bytes>::new()).unwrap();
                    let response = sender.send_request(request).await.map_err(io::Error::other)?;
                    assert_eq!(response.version(), Version::HTTP_2);
                    assert_eq!(response.status(), 200);
                    let body = response.into_body().collect().await.map_err(io::Error::other)?.to_bytes();
                    assert_eq!(body, "Hello, World!");
                    io::Result::Ok(())
                })
            })
            .collect();
        for task in tasks {
            task.await.expect("a request task")?;
        }
        drop(sender);
        conn.await.expect("the connection task").map_err(io::Error::other)
    })?;
    server.stop()
}
