//! WebSockets on crest with async-tungstenite: a server echoes text and binary frames (up
//! to 1 MB) to a client over crest `TcpStream`s, and the close handshake completes on both
//! sides.
mod util;

use std::io;

use async_tungstenite::tungstenite::protocol::frame::coding::CloseCode;
use async_tungstenite::tungstenite::protocol::CloseFrame;
use async_tungstenite::tungstenite::Message;
use futures_util::StreamExt;
use util::{block_on, Server};

async fn echo_server(listener: crest::net::TcpListener, stop: util::ShutdownSignal) -> io::Result<()> {
    let accept_loop = async {
        loop {
            let (tcp, _) = listener.accept().await?;
            crest::spawn(async move {
                let mut ws = async_tungstenite::accept_async(tcp).await.map_err(io::Error::other)?;
                while let Some(msg) = ws.next().await {
                    // tungstenite answers a close frame itself; the stream then ends.
                    if let msg @ (Message::Text(_) | Message::Binary(_)) = msg.map_err(io::Error::other)? {
                        ws.send(msg).await.map_err(io::Error::other)?;
                    }
                }
                io::Result::Ok(())
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
fn text_and_binary_frames_echo_and_the_close_handshake_completes() -> io::Result<()> {
    let server = Server::start(echo_server);
    let addr = server.addr;
    block_on(async move {
        let tcp = crest::net::TcpStream::connect(addr).await?;
        let (mut ws, response) =
            async_tungstenite::client_async("ws://localhost/echo", tcp).await.map_err(io::Error::other)?;
        assert_eq!(response.status(), 101);

        let big: Vec<u8> = (0..1 << 20).map(|i| (i % 241) as u8).collect();
        let messages = [
            Message::text("hello, crest"),
            Message::binary(vec![0u8, 1, 2, 255]),
            Message::text("ünïcödé ✓"),
            Message::binary(big),
        ];
        for msg in messages {
            ws.send(msg.clone()).await.map_err(io::Error::other)?;
            let echoed = ws.next().await.expect("an echo").map_err(io::Error::other)?;
            assert!(echoed == msg, "the echo differs from what was sent");
        }

        let close = CloseFrame { code: CloseCode::Normal, reason: "done".into() };
        ws.close(Some(close)).await.map_err(io::Error::other)?;
        // The server's close frame comes back, then the stream ends.
        match ws.next().await {
            Some(Ok(Message::Close(Some(frame)))) => assert_eq!(frame.code, CloseCode::Normal),
            other => panic!("expected the server's close frame, got {other:?}"),
        }
        assert!(ws.next().await.is_none(), "the stream ends after the close handshake");
        io::Result::Ok(())
    })?;
    server.stop()
}
