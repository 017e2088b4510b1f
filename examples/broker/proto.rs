//! The line protocol of `broker`: reading a line (bounded) and parsing a command. No
//! sockets: `broker.rs` does the I/O. `proptests/` and `fuzz/` include this file by path
//! to feed it random and malformed input.

use std::io;

use futures_lite::{AsyncBufRead, AsyncBufReadExt};

/// The longest line a client may send, without its line ending.
pub(crate) const MAX_LINE: usize = 64 * 1024;

/// The longest topic name, in bytes.
pub(crate) const MAX_TOPIC: usize = 256;

/// What a command asks for, parsed; borrowed from the line.
#[derive(Debug)]
pub(crate) enum Command<'a> {
    Sub(&'a [u8]),
    Unsub(&'a [u8]),
    Pub(&'a [u8], &'a [u8]),
}

/// `head topic tail\n`.
pub(crate) fn reply(head: &[u8], topic: &[u8], tail: &[u8]) -> Vec<u8> {
    [head, topic, tail, b"\n"].concat()
}

/// Parses one line; the error is the text of the `ERR` reply.
pub(crate) fn parse(line: &[u8]) -> Result<Command<'_>, String> {
    const USAGE: &str = "use SUB topic, UNSUB topic or PUB topic message";
    let mut words = line.splitn(3, |&b| b == b' ');
    let verb = words.next().unwrap_or_default();
    let topic = words.next();
    let rest = words.next();
    let topic = |usage: &str| -> Result<&[u8], String> {
        match topic {
            None | Some(b"") => Err(format!("usage: {usage}")),
            Some(t) if t.len() > MAX_TOPIC => Err(format!("a topic has at most {MAX_TOPIC} bytes")),
            Some(t) if t.iter().any(|b| b.is_ascii_control()) => {
                Err("a topic has no control characters".to_string())
            }
            Some(t) => Ok(t),
        }
    };
    if verb.eq_ignore_ascii_case(b"SUB") || verb.eq_ignore_ascii_case(b"UNSUB") {
        let upper = String::from_utf8_lossy(verb).to_ascii_uppercase();
        let t = topic(&format!("{upper} topic"))?;
        if rest.is_some() {
            return Err(format!("usage: {upper} topic (a topic has no spaces)"));
        }
        Ok(if upper == "SUB" { Command::Sub(t) } else { Command::Unsub(t) })
    } else if verb.eq_ignore_ascii_case(b"PUB") {
        let t = topic("PUB topic message")?;
        let message = rest.ok_or_else(|| "usage: PUB topic message".to_string())?;
        Ok(Command::Pub(t, message))
    } else {
        let shown: String = String::from_utf8_lossy(verb).chars().take(32).collect();
        Err(format!("unknown command {shown:?}; {USAGE}"))
    }
}

/// Reads one line into `line`, without its `\n` or `\r\n`. `Ok(false)` at EOF with nothing
/// read. A line longer than [`MAX_LINE`] is an `InvalidData` error, found without reading
/// more than a buffer past the limit.
pub(crate) async fn read_line<R: AsyncBufRead + Unpin>(
    reader: &mut R,
    line: &mut Vec<u8>,
) -> io::Result<bool> {
    line.clear();
    loop {
        let available = reader.fill_buf().await?;
        if available.is_empty() {
            if line.len() > MAX_LINE {
                return Err(too_long());
            }
            return Ok(!line.is_empty());
        }
        let (take, end) = match available.iter().position(|&b| b == b'\n') {
            Some(i) => (i + 1, true),
            None => (available.len(), false),
        };
        // A `\r` before the `\n` belongs to the line end, not to the line; until the
        // `\n` comes, a last `\r` may be one, so one byte more is allowed.
        let cr = end && if take >= 2 { available[take - 2] == b'\r' } else { line.last() == Some(&b'\r') };
        if line.len() + take - usize::from(end) - usize::from(cr) > MAX_LINE + usize::from(!end) {
            return Err(too_long());
        }
        line.extend_from_slice(&available[..take]);
        reader.consume(take);
        if end {
            line.pop();
            if line.last() == Some(&b'\r') {
                line.pop();
            }
            return Ok(true);
        }
    }
}

fn too_long() -> io::Error {
    io::Error::new(
        io::ErrorKind::InvalidData,
        format!("line too long (the limit is {MAX_LINE} bytes); closing"),
    )
}
