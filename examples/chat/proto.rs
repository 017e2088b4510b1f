//! The line protocol of `chat`: reading a line (bounded), checking a nickname, and telling
//! a message from a command. No sockets: `chat.rs` does the I/O. `proptests/` and `fuzz/`
//! include this file by path to feed it random and malformed input.

use std::io;

use futures_lite::{AsyncBufRead, AsyncBufReadExt};

/// The longest line a client may send, without its line ending.
pub(crate) const MAX_LINE: usize = 64 * 1024;

/// The longest nickname, in bytes.
pub(crate) const MAX_NICK: usize = 32;

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

/// A nickname: UTF-8, 1 to [`MAX_NICK`] bytes, no spaces or control characters, and no
/// leading `/` (that would read as a command).
pub(crate) fn valid_nick(line: &[u8]) -> Result<&str, String> {
    let nick =
        std::str::from_utf8(line).map_err(|_| "a nickname must be UTF-8 text; try again".to_string())?;
    let nick = nick.trim();
    if nick.is_empty() {
        return Err("a nickname cannot be empty; try again".into());
    }
    if nick.len() > MAX_NICK {
        return Err(format!("a nickname has at most {MAX_NICK} bytes; try again"));
    }
    if nick.chars().any(|c| c.is_whitespace() || c.is_control()) || nick.starts_with('/') {
        return Err(
            "a nickname has no spaces or control characters and does not start with /; try again".into()
        );
    }
    Ok(nick)
}

/// What a member's line asks for.
#[derive(Debug, PartialEq)]
pub(crate) enum Message<'a> {
    /// Not UTF-8: refused with an `ERR`.
    NotText,
    /// An empty line: ignored.
    Empty,
    /// `/quit`.
    Quit,
    /// Another line starting with `/`.
    Unknown(&'a str),
    /// Text for the room.
    Text(&'a str),
}

/// Tells what `line` (without its line end) asks for.
pub(crate) fn parse_message(line: &[u8]) -> Message<'_> {
    let Ok(text) = std::str::from_utf8(line) else {
        return Message::NotText;
    };
    match text {
        "" => Message::Empty,
        "/quit" => Message::Quit,
        command if command.starts_with('/') => Message::Unknown(command),
        text => Message::Text(text),
    }
}

fn too_long() -> io::Error {
    io::Error::new(
        io::ErrorKind::InvalidData,
        format!("line too long (the limit is {MAX_LINE} bytes); closing"),
    )
}
