//! TLS on crest with futures-rustls (the `ring` provider) and a certificate made at test
//! time: an echo server answers a rustls client byte for byte (1 MB), and Python's `ssl`
//! module (a client nobody here wrote) verifies the certificate, negotiates TLS 1.3 and
//! gets its bytes back.
mod util;

use std::io;

use crest::io::{AsyncReadExt, AsyncWriteExt};
use futures_rustls::TlsAcceptor;
use util::tls::Tls;
use util::{block_on, python, Server};

/// Accepts TLS connections and echoes each until its client closes.
async fn echo_server(
    listener: crest::net::TcpListener,
    acceptor: TlsAcceptor,
    stop: util::ShutdownSignal,
) -> io::Result<()> {
    let accept_loop = async {
        loop {
            let (tcp, _) = listener.accept().await?;
            let acceptor = acceptor.clone();
            crest::spawn(async move {
                let mut tls = acceptor.accept(tcp).await?;
                let mut buf = vec![0; 16 << 10];
                loop {
                    let n = tls.read(&mut buf).await?;
                    if n == 0 {
                        return tls.close().await;
                    }
                    tls.write_all(&buf[..n]).await?;
                    tls.flush().await?;
                }
            });
        }
    };
    futures_lite::future::or(accept_loop, async {
        stop.wait().await;
        io::Result::Ok(())
    })
    .await
}

#[test]
fn rustls_client_gets_a_megabyte_echoed() -> io::Result<()> {
    let tls = Tls::new(&[])?;
    let (acceptor, connector) = (tls.acceptor.clone(), tls.connector.clone());
    let server = Server::start(move |listener, stop| echo_server(listener, acceptor, stop));
    let addr = server.addr;
    block_on(async move {
        let tcp = crest::net::TcpStream::connect(addr).await?;
        let mut stream = connector.connect(Tls::server_name(), tcp).await?;
        let data: Vec<u8> = (0..1 << 20).map(|i| (i % 253) as u8).collect();
        // In steps of 16 KiB: each is echoed before the next goes out.
        let mut got = vec![0; 16 << 10];
        for chunk in data.chunks(16 << 10) {
            stream.write_all(chunk).await?;
            stream.flush().await?;
            stream.read_exact(&mut got[..chunk.len()]).await?;
            assert!(got[..chunk.len()] == *chunk, "the echo differs");
        }
        stream.close().await
    })?;
    server.stop()
}

#[test]
fn python_ssl_client_gets_its_bytes_back() -> io::Result<()> {
    let tls = Tls::new(&[])?;
    let cert = tls.write_cert("tls-echo")?;
    let acceptor = tls.acceptor.clone();
    let server = Server::start(move |listener, stop| echo_server(listener, acceptor, stop));
    let script = r#"
import socket, ssl, sys
ctx = ssl.create_default_context(cafile=sys.argv[2])
with socket.create_connection(("127.0.0.1", int(sys.argv[1])), timeout=10) as raw:
    with ctx.wrap_socket(raw, server_hostname="localhost") as s:
        msg = b"hello over tls\n" * 1000
        s.sendall(msg)
        got = b""
        while len(got) < len(msg):
            chunk = s.recv(65536)
            if not chunk:
                break
            got += chunk
        print(s.version(), got == msg, len(got))
"#;
    let out = python(script, &[&server.addr.port().to_string(), cert.to_str().expect("a UTF-8 temp path")]);
    let _ = std::fs::remove_file(&cert);
    assert_eq!(out, "TLSv1.3 True 15000\n");
    server.stop()
}
