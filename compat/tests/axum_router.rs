//! An axum `Router` served on crest by `crest_hyper::serve` (through hyper-util's tower
//! adapter): path, query and JSON extractors, a rejected path parameter (400), an unknown
//! route (404), and a handler that panics: that request's connection errors and the
//! server keeps serving new connections.
mod util;

use std::io;
use std::net::SocketAddr;

use axum::extract::{Path, Query};
use axum::routing::{get, post};
use axum::{Json, Router};
use crest_hyper::CrestIo;
use http_body_util::{BodyExt, Full};
use hyper::body::Bytes;
use hyper::{Request, StatusCode};
use hyper_util::service::TowerToHyperService;
use serde::{Deserialize, Serialize};
use util::{block_on, Server};

#[derive(Serialize, Deserialize)]
struct User {
    id: u32,
    name: String,
}

#[derive(Deserialize)]
struct Search {
    q: String,
    limit: Option<usize>,
}

fn app() -> Router {
    Router::new()
        .route(
            "/users/{id}",
            get(|Path(id): Path<u32>| async move { Json(User { id, name: format!("user{id}") }) }),
        )
        .route(
            "/search",
            get(|Query(s): Query<Search>| async move { format!("{}:{}", s.q, s.limit.unwrap_or(10)) }),
        )
        .route(
            "/users",
            post(|Json(user): Json<User>| async move {
                (StatusCode::CREATED, Json(User { id: user.id + 1, name: user.name }))
            }),
        )
        .route(
            "/panic",
            get(|| async {
                panic!("a handler panicked on purpose");
                #[allow(unreachable_code)]
                ""
            }),
        )
}

fn start() -> Server {
    Server::start(|listener, stop| crest_hyper::serve(listener, TowerToHyperService::new(app()), stop.wait()))
}

/// One request on a fresh connection: the status and the body, or the client's error.
async fn request(
    addr: SocketAddr,
    method: &str,
    path: &str,
    body: &'static str,
) -> io::Result<Result<(StatusCode, Bytes), hyper::Error>> {
    let stream = crest::net::TcpStream::connect(addr).await?;
    let (mut sender, conn) =
        hyper::client::conn::http1::handshake(CrestIo::new(stream)).await.map_err(io::Error::other)?;
    crest::spawn(conn);
    let request = Request::builder()
        .method(method)
        .uri(path)
        .header("host", "localhost")
        .header("content-type", "application/json")
        .body(Full::new(Bytes::from_static(body.as_bytes())))
        .unwrap();
    let response = match sender.send_request(request).await {
        Ok(response) => response,
        Err(e) => return Ok(Err(e)),
    };
    let status = response.status();
    Ok(response.into_body().collect().await.map(|b| (status, b.to_bytes())))
}

async fn ok(
    addr: SocketAddr,
    method: &str,
    path: &str,
    body: &'static str,
) -> io::Result<(StatusCode, Bytes)> {
    request(addr, method, path, body).await?.map_err(io::Error::other)
}

#[test]
fn routes_extractors_and_errors() -> io::Result<()> {
    let server = start();
    let addr = server.addr;
    block_on(async move {
        assert_eq!(
            ok(addr, "GET", "/users/7", "").await?,
            (StatusCode::OK, Bytes::from(r#"{"id":7,"name":"user7"}"#))
        );
        assert_eq!(
            ok(addr, "GET", "/search?q=crest&limit=3", "").await?,
            (StatusCode::OK, Bytes::from("crest:3"))
        );
        assert_eq!(ok(addr, "GET", "/search?q=x", "").await?, (StatusCode::OK, Bytes::from("x:10")));
        assert_eq!(
            ok(addr, "POST", "/users", r#"{"id":1,"name":"ann"}"#).await?,
            (StatusCode::CREATED, Bytes::from(r#"{"id":2,"name":"ann"}"#))
        );
        assert_eq!(ok(addr, "GET", "/users/notanumber", "").await?.0, StatusCode::BAD_REQUEST);
        assert_eq!(ok(addr, "GET", "/search", "").await?.0, StatusCode::BAD_REQUEST);
        assert_eq!(ok(addr, "GET", "/nope", "").await?, (StatusCode::NOT_FOUND, Bytes::new()));
        assert_eq!(ok(addr, "DELETE", "/users/1", "").await?.0, StatusCode::METHOD_NOT_ALLOWED);
        io::Result::Ok(())
    })?;
    server.stop()
}

#[test]
fn a_panicking_handler_ends_its_connection_and_the_server_keeps_serving() -> io::Result<()> {
    let server = start();
    let addr = server.addr;
    block_on(async move {
        for _ in 0..3 {
            let answer = request(addr, "GET", "/panic", "").await?;
            assert!(answer.is_err(), "the panicking request's connection errors, got {answer:?}");
            assert_eq!(ok(addr, "GET", "/users/1", "").await?.0, StatusCode::OK);
        }
        io::Result::Ok(())
    })?;
    server.stop()
}
