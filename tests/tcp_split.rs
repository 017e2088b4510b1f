//! `into_split`: the halves work from two tasks at once and reunite afterwards.
mod util;

use std::io;

use crest::io::{AsyncReadExt, AsyncWriteExt};
use crest::net::TcpStream;
use util::net::{echo_server, tcp_pair};
use util::{block_on_timeout, LIMIT};

const MESSAGES: usize = 200;

#[test]
fn halves_read_and_write_from_two_tasks() -> io::Result<()> {
    block_on_timeout(LIMIT, async {
        let (addr, _server) = echo_server().await?;
        let (mut rd, mut wr) = TcpStream::connect(addr).await?.into_split();
        let expected: Vec<u8> = (0..MESSAGES).flat_map(|i| format!("message {i}\n").into_bytes()).collect();

        // The reader starts first and blocks: the writer must not wait for it.
        let len = expected.len();
        let reader = crest::spawn(async move {
            let mut got = vec![0; len];
            rd.read_exact(&mut got).await?;
            io::Result::Ok((rd, got))
        });
        let writer = crest::spawn(async move {
            for i in 0..MESSAGES {
                wr.write_all(format!("message {i}\n").as_bytes()).await?;
                crest::task::yield_now().await;
            }
            io::Result::Ok(wr)
        });
        let wr = writer.await.expect("writer panicked")?;
        let (rd, got) = reader.await.expect("reader panicked")?;
        assert_eq!(got, expected);

        let stream = rd.reunite(wr).expect("halves of one stream reunite");
        assert_eq!(stream.peer_addr()?, addr);
        Ok(())
    })
}

#[test]
fn halves_of_different_streams_do_not_reunite() -> io::Result<()> {
    block_on_timeout(LIMIT, async {
        let (a, _a_server) = tcp_pair().await?;
        let (b, _b_server) = tcp_pair().await?;
        let (a_rd, a_wr) = a.into_split();
        let (b_rd, b_wr) = b.into_split();
        let err = a_rd.reunite(b_wr).unwrap_err();
        assert!(err.to_string().contains("not from the same socket"));
        // The error hands both halves back.
        let crest::net::tcp::ReuniteError(a_rd, b_wr) = err;
        a_rd.reunite(a_wr).expect("a reunites");
        b_wr.reunite(b_rd).expect("b reunites");
        Ok(())
    })
}

#[test]
fn dropping_the_write_half_sends_eof() -> io::Result<()> {
    block_on_timeout(LIMIT, async {
        let (client, mut server) = tcp_pair().await?;
        let (_rd, mut wr) = client.into_split();
        wr.write_all(b"last words").await?;
        drop(wr);
        let mut got = Vec::new();
        server.read_to_end(&mut got).await?;
        assert_eq!(got, b"last words");
        Ok(())
    })
}
