//! axum on crest: a `Router` with a JSON route and a path parameter, served by
//! `crest_hyper::serve` through hyper-util's tower adapter (axum built without its tokio
//! features, so `axum::serve` is not there: crest-hyper's `serve` takes its place).
//!
//! ```text
//! $ cargo run --release -p crest-hyper --example axum_hello      # 127.0.0.1:3000
//! listening on 127.0.0.1:3000
//! $ curl http://127.0.0.1:3000/hello/ferris
//! {"greeting":"Hello, ferris!","length":6}
//! $ curl -X POST -H 'content-type: application/json' -d '{"a":2,"b":3}' http://127.0.0.1:3000/add
//! {"sum":5}
//! ```
//!
//! The address can be given as the first argument, as for `hyper_hello`.

use std::io::{self, Write};

use axum::extract::Path;
use axum::routing::{get, post};
use axum::{Json, Router};
use hyper_util::service::TowerToHyperService;
use serde::{Deserialize, Serialize};

#[derive(Serialize)]
struct Greeting {
    greeting: String,
    length: usize,
}

async fn greet(Path(name): Path<String>) -> Json<Greeting> {
    Json(Greeting { greeting: format!("Hello, {name}!"), length: name.chars().count() })
}

#[derive(Deserialize)]
struct Operands {
    a: i64,
    b: i64,
}

#[derive(Serialize)]
struct Sum {
    sum: i64,
}

async fn add(Json(ops): Json<Operands>) -> Json<Sum> {
    Json(Sum { sum: ops.a.saturating_add(ops.b) })
}

fn app() -> Router {
    Router::new().route("/hello/{name}", get(greet)).route("/add", post(add))
}

#[crest::main(flavor = "multi_thread")]
async fn main() -> io::Result<()> {
    let addr = std::env::args().nth(1).unwrap_or_else(|| "127.0.0.1:3000".to_owned());
    let listener = crest::net::TcpListener::bind(addr).await?;
    println!("listening on {}", listener.local_addr()?);
    io::stdout().flush()?;
    crest_hyper::serve(listener, TowerToHyperService::new(app()), std::future::pending()).await
}
