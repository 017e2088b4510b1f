//! Python's `http.client` (a client nobody here wrote) talks HTTP/1.1 to hyper and to axum
//! on crest, several requests on one keep-alive connection; the status lines, headers (in
//! order) and bodies it reads are exactly the expected ones.
mod util;

use std::io;

use axum::routing::get;
use axum::{Json, Router};
use hyper_util::service::TowerToHyperService;
use util::{python, Server, PY_PRINT_RESPONSE};

const SCRIPT: &str = r#"
import http.client, sys
conn = http.client.HTTPConnection("127.0.0.1", int(sys.argv[1]), timeout=10)
outs = []
for path in sys.argv[2:]:
    conn.request("GET", path)
    outs.append(show(conn.getresponse()))
print("\n---\n".join(outs))
"#;

fn run(port: u16, paths: &[&str]) -> String {
    let port = port.to_string();
    let mut args = vec![port.as_str()];
    args.extend_from_slice(paths);
    python(&format!("{PY_PRINT_RESPONSE}{SCRIPT}"), &args)
}

#[test]
fn python_gets_hypers_exact_answers() -> io::Result<()> {
    let server = Server::start(|listener, stop| {
        crest_hyper::serve(listener, hyper::service::service_fn(util::hello), stop.wait())
    });
    let out = run(server.addr.port(), &["/", "/again", "/a/third?x=1"]);
    let one =
        "200 OK\ncontent-type: text/plain; charset=utf-8\ncontent-length: 13\ndate: <ok>\n\nb'Hello, World!'";
    assert_eq!(out, format!("{one}\n---\n{one}\n---\n{one}\n"));
    server.stop()
}

#[test]
fn python_gets_axums_exact_answers() -> io::Result<()> {
    let app = Router::new().route("/json", get(|| async { Json(serde_json_like()) }));
    let server = Server::start(move |listener, stop| {
        crest_hyper::serve(listener, TowerToHyperService::new(app), stop.wait())
    });
    let out = run(server.addr.port(), &["/json", "/missing"]);
    let json = "200 OK\ncontent-type: application/json\ncontent-length: 26\ndate: <ok>\n\nb'{\"runtime\":\"crest\",\"ok\":1}'";
    let missing = "404 Not Found\ncontent-length: 0\ndate: <ok>\n\nb''";
    assert_eq!(out, format!("{json}\n---\n{missing}\n"));
    server.stop()
}

#[derive(serde::Serialize)]
struct Answer {
    runtime: &'static str,
    ok: u8,
}

fn serde_json_like() -> Answer {
    Answer { runtime: "crest", ok: 1 }
}
