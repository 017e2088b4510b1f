//! Property tests of `examples/chat/proto.rs`: nicknames, message classification and the
//! bounded line reader, on random and malformed input.

#[allow(dead_code)]
#[path = "../../examples/chat/proto.rs"]
mod proto;

use crest_proptests::{check, check_cases, Chunked, Gen};
use futures_lite::future::block_on;
use futures_lite::io::BufReader;
use proto::{parse_message, read_line, valid_nick, Message, MAX_LINE, MAX_NICK};

const TEXT: &[u8] = b"ab /quit\r\n\t\x00\x7f\xc3\xa9\xe2\x80\x8b\xff";

#[test]
fn a_nickname_is_refused_or_is_well_formed() {
    check("chat nicknames", |gen| {
        let len = gen.below(48);
        let line = if gen.one_in(2) { gen.bytes(len) } else { gen.text(len, TEXT) };
        match valid_nick(&line) {
            Ok(nick) => {
                assert!(!nick.is_empty() && nick.len() <= MAX_NICK, "{nick:?}");
                assert!(!nick.starts_with('/'));
                assert!(!nick.chars().any(|c| c.is_whitespace() || c.is_control()), "{nick:?}");
                let text = std::str::from_utf8(&line).unwrap();
                assert_eq!(text.trim(), nick, "a nickname is the line, trimmed");
            }
            Err(why) => assert!(why.ends_with("try again"), "{why}"),
        }
    });
}

#[test]
fn every_line_is_exactly_one_kind_of_message() {
    check("chat messages", |gen| {
        let len = gen.below(64);
        let line = gen.text(len, TEXT);
        match parse_message(&line) {
            Message::NotText => assert!(std::str::from_utf8(&line).is_err()),
            Message::Empty => assert!(line.is_empty()),
            Message::Quit => assert_eq!(line, b"/quit"),
            Message::Unknown(command) => {
                assert!(command.starts_with('/') && command != "/quit");
                assert_eq!(command.as_bytes(), line);
            }
            Message::Text(text) => {
                assert!(!text.is_empty() && !text.starts_with('/'));
                assert_eq!(text.as_bytes(), line);
            }
        }
    });
}

/// The lines `input` holds, as the reader should give them: split at `\n`, one `\r`
/// before it dropped, a last unterminated line kept.
fn expected_lines(input: &[u8]) -> Vec<Vec<u8>> {
    let mut lines: Vec<Vec<u8>> =
        input.split(|&b| b == b'\n').map(|l| l.strip_suffix(b"\r").unwrap_or(l).to_vec()).collect();
    // The piece after the last `\n` is a line only if it is not empty; an unterminated
    // line keeps its `\r`.
    let last = input.rsplit(|&b| b == b'\n').next().unwrap_or_default();
    lines.pop();
    if !last.is_empty() {
        lines.push(last.to_vec());
    }
    lines
}

/// Reads every line of `input` through a `BufReader` of `capacity` over reads cut as
/// `gen` likes; the error, if any, ends the list.
fn read_all(gen: &mut Gen, input: &[u8], capacity: usize) -> (Vec<Vec<u8>>, Option<std::io::Error>) {
    let mut reader = BufReader::with_capacity(capacity, Chunked::new(gen.chunks(input)));
    let mut lines = Vec::new();
    let mut line = Vec::new();
    block_on(async {
        loop {
            match read_line(&mut reader, &mut line).await {
                Ok(true) => lines.push(line.clone()),
                Ok(false) => return (lines, None),
                Err(e) => return (lines, Some(e)),
            }
        }
    })
}

#[test]
fn lines_come_out_as_they_went_in_however_the_reads_split_them() {
    check("chat read_line", |gen| {
        let len = gen.below(600);
        let input = gen.text(len, b"ab\r\n\n ");
        let capacity = gen.range(1, 64);
        let (lines, err) = read_all(gen, &input, capacity);
        assert!(err.is_none());
        assert_eq!(lines, expected_lines(&input));
    });
}

#[test]
fn a_line_over_the_limit_is_an_error_found_early() {
    check_cases("chat long line", 200, |gen| {
        let len = gen.below(100);
        let mut input = gen.text(len, b"ab\n");
        if !input.is_empty() && !input.ends_with(b"\n") {
            input.push(b'\n');
        }
        let before = expected_lines(&input).len();
        let over = gen.below(1000);
        input.extend(std::iter::repeat(b'x').take(MAX_LINE + 1 + over));
        input.extend_from_slice(b"\nafter\n");
        let (lines, err) = read_all(gen, &input, 8 * 1024);
        assert_eq!(err.map(|e| e.kind()), Some(std::io::ErrorKind::InvalidData));
        assert_eq!(lines.len(), before, "the lines before the long one are read");
    });
}

#[test]
fn a_line_of_exactly_the_limit_is_accepted() {
    let mut input = vec![b'y'; MAX_LINE];
    input.extend_from_slice(b"\r\n");
    let (lines, err) = read_all(&mut Gen::new(1), &input, 8 * 1024);
    assert!(err.is_none());
    assert_eq!(lines, vec![vec![b'y'; MAX_LINE]]);
}
