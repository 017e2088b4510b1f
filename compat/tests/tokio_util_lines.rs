//! tokio-util's codecs run on crest through `tokio_util::compat`: a `LinesCodec` framed
//! over crest `TcpStream`s on both sides, 1,000 lines each way, answered in order.
mod util;

use std::io;

use futures_util::{SinkExt, StreamExt};
use tokio_util::codec::{Framed, LinesCodec};
use tokio_util::compat::FuturesAsyncReadCompatExt;
use util::{block_on_multi, Server};

async fn upper_server(listener: crest::net::TcpListener, stop: util::ShutdownSignal) -> io::Result<()> {
    let accept_loop = async {
        loop {
            let (tcp, _) = listener.accept().await?;
            crest::spawn(async move {
                let mut lines = Framed::new(tcp.compat(), LinesCodec::new_with_max_length(1024));
                while let Some(line) = lines.next().await {
                    let line = line.map_err(io::Error::other)?;
                    lines.send(line.to_uppercase()).await.map_err(io::Error::other)?;
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
fn lines_codec_round_trips_a_thousand_lines() -> io::Result<()> {
    let server = Server::start(upper_server);
    let addr = server.addr;
    block_on_multi(async move {
        let tcp = crest::net::TcpStream::connect(addr).await?;
        let (mut sink, mut stream) = Framed::new(tcp.compat(), LinesCodec::new()).split();
        let writer = crest::spawn(async move {
            for i in 0..1000 {
                sink.feed(format!("line {i} from crest")).await.map_err(io::Error::other)?;
            }
            sink.flush().await.map_err(io::Error::other)
        });
        for i in 0..1000 {
            let line = stream.next().await.expect("an answer").map_err(io::Error::other)?;
            assert_eq!(line, format!("LINE {i} FROM CREST"));
        }
        writer.await.expect("the writer task")
    })?;
    server.stop()
}
