//! curl (a client nobody here wrote) speaks HTTP/2 with prior knowledge to hyper on crest
//! (`crest_hyper::serve` picks HTTP/2 from the connection preface); the head and body it
//! prints are exactly the expected ones.
//!
//! One request per curl run: curl 7.88.1 (Debian 12's) fails to reuse a prior-knowledge
//! connection for a second URL ("Error in the HTTP2 framing layer") before it sends
//! anything on it. hyper's own HTTP/2 client reuses connections fine (`hyper_h2.rs`).
mod util;

use std::io;
use std::process::Command;

use util::{run_child, Server};

/// `curl`'s `-D -` output with the `date` header's value checked and replaced.
fn normalise(out: &str) -> String {
    out.split("\r\n")
        .map(|line| match line.strip_prefix("date: ") {
            Some(v) => {
                assert!(v.ends_with(" GMT") && v.len() == 29, "a date header: {v}");
                "date: <ok>".to_owned()
            }
            None => line.to_owned(),
        })
        .collect::<Vec<_>>()
        .join("\r\n")
}

#[test]
fn curl_gets_exact_answers_over_http2_prior_knowledge() -> io::Result<()> {
    let server = Server::start(|listener, stop| {
        crest_hyper::serve(listener, hyper::service::service_fn(util::hello), stop.wait())
    });
    let expected = "HTTP/2 200 \r\ncontent-type: text/plain; charset=utf-8\r\ndate: <ok>\r\ncontent-length: 13\r\n\r\nHello, World!";
    for path in ["/", "/two?x=1"] {
        let out = run_child(
            Command::new("curl")
                .args(["-sS", "--max-time", "10", "--http2-prior-knowledge", "-D", "-"])
                .arg(format!("http://127.0.0.1:{}{path}", server.addr.port())),
        );
        assert_eq!(normalise(&out), expected);
    }
    server.stop()
}
