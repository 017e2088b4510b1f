//! HTTPS on crest: hyper-util's auto builder serves HTTP/1.1 and HTTP/2 (chosen by ALPN)
//! over futures-rustls (the `ring` provider) through `CrestIo`. Python's `http.client`
//! over `ssl` gets the exact HTTP/1.1 answer; curl gets the exact HTTP/2 answer after ALPN;
//! hyper's HTTP/2 client over rustls on crest gets it too.
mod util;

use std::io;
use std::process::Command;

use crest_hyper::{CrestExecutor, CrestIo};
use futures_rustls::TlsAcceptor;
use http_body_util::{BodyExt, Empty};
use hyper::body::Bytes;
use hyper::{Request, Version};
use hyper_util::server::conn::auto;
use util::tls::Tls;
use util::{block_on, python, run_child, Server, PY_PRINT_RESPONSE};

/// Accepts TLS connections and serves the hello service on each.
async fn https_server(
    listener: crest::net::TcpListener,
    acceptor: TlsAcceptor,
    stop: util::ShutdownSignal,
) -> io::Result<()> {
    let accept_loop = async {
        loop {
            let (tcp, _) = listener.accept().await?;
            let acceptor = acceptor.clone();
            crest::spawn(async move {
                let tls = acceptor.accept(tcp).await?;
                let builder = auto::Builder::new(CrestExecutor);
                builder
                    .serve_connection(CrestIo::new(tls), hyper::service::service_fn(util::hello))
                    .await
                    .map_err(io::Error::other)
            });
        }
    };
    futures_lite::future::or(accept_loop, async {
        stop.wait().await;
        io::Result::Ok(())
    })
    .await
}

fn start(tls: &Tls) -> Server {
    let acceptor = tls.acceptor.clone();
    Server::start(move |listener, stop| https_server(listener, acceptor, stop))
}

const ALPN: &[&[u8]] = &[b"h2", b"http/1.1"];

#[test]
fn python_https_client_gets_the_exact_answer() -> io::Result<()> {
    let tls = Tls::new(ALPN)?;
    let cert = tls.write_cert("https-py")?;
    let server = start(&tls);
    let script = format!(
        "{PY_PRINT_RESPONSE}{}",
        r#"
import http.client, ssl, sys
ctx = ssl.create_default_context(cafile=sys.argv[2])
conn = http.client.HTTPSConnection("localhost", int(sys.argv[1]), context=ctx, timeout=10)
conn.request("GET", "/")
print(show(conn.getresponse()))
conn.request("GET", "/again")
print(show(conn.getresponse()))
"#
    );
    let out = python(&script, &[&server.addr.port().to_string(), cert.to_str().expect("a UTF-8 temp path")]);
    let _ = std::fs::remove_file(&cert);
    let one = "200 OK\ncontent-type: text/plain; charset=utf-8\ncontent-length: 13\ndate: <ok>\n\nb'Hello, World!'\n";
    assert_eq!(out, format!("{one}{one}"));
    server.stop()
}

#[test]
fn curl_gets_the_exact_answer_over_http2_after_alpn() -> io::Result<()> {
    let tls = Tls::new(ALPN)?;
    let cert = tls.write_cert("https-curl")?;
    let server = start(&tls);
    let port = server.addr.port();
    let out = run_child(
        Command::new("curl")
            .args(["-sS", "--max-time", "10", "-D", "-", "--cacert"])
            .arg(&cert)
            .arg("--resolve")
            .arg(format!("localhost:{port}:127.0.0.1"))
            .arg(format!("https://localhost:{port}/")),
    );
    let _ = std::fs::remove_file(&cert);
    let (head, body) = out.split_once("\r\n\r\n").expect("a head and a body");
    let lines: Vec<&str> = head.split("\r\n").filter(|l| !l.starts_with("date: ")).collect();
    assert_eq!(lines, ["HTTP/2 200 ", "content-type: text/plain; charset=utf-8", "content-length: 13"]);
    assert_eq!(body, "Hello, World!");
    server.stop()
}

#[test]
fn hyper_http2_client_over_rustls() -> io::Result<()> {
    let tls = Tls::new(ALPN)?;
    let server = start(&tls);
    let addr = server.addr;
    let connector = tls.connector.clone();
    block_on(async move {
        let tcp = crest::net::TcpStream::connect(addr).await?;
        let stream = connector.connect(Tls::server_name(), tcp).await?;
        assert_eq!(stream.get_ref().1.alpn_protocol(), Some(&b"h2"[..]));
        let (mut sender, conn) = hyper::client::conn::http2::handshake(CrestExecutor, CrestIo::new(stream))
            .await
            .map_err(io::Error::other)?;
        crest::spawn(conn);
        for _ in 0..10 {
            let request = Request::get("https://localhost/").body(Empty::<Bytes>::new()).unwrap();
            let response = sender.send_request(request).await.map_err(io::Error::other)?;
            assert_eq!(response.version(), Version::HTTP_2);
            let body = response.into_body().collect().await.map_err(io::Error::other)?.to_bytes();
            assert_eq!(body, "Hello, World!");
        }
        io::Result::Ok(())
    })?;
    server.stop()
}
