//! Property tests of `examples/broker/proto.rs`: command parsing and the bounded line
//! reader, on random, grammar-built and damaged input.

#[allow(dead_code)]
#[path = "../../examples/broker/proto.rs"]
mod proto;

use crest_proptests::{check, check_cases, Chunked, Gen};
use futures_lite::future::block_on;
use futures_lite::io::BufReader;
use proto::{parse, read_line, reply, Command, MAX_LINE, MAX_TOPIC};

/// Checks what `parse` made of `line`: a topic is 1 to MAX_TOPIC bytes without spaces or
/// control characters, taken from the line; an error is one line of text.
fn check_parse(line: &[u8]) {
    let topic_ok = |t: &[u8]| {
        assert!(!t.is_empty() && t.len() <= MAX_TOPIC, "topic of {} bytes", t.len());
        assert!(!t.iter().any(|&b| b == b' ' || b.is_ascii_control()), "{t:?}");
    };
    match parse(line) {
        Ok(Command::Sub(t)) | Ok(Command::Unsub(t)) => {
            topic_ok(t);
            let verb = line.split(|&b| b == b' ').next().unwrap();
            assert!(verb.eq_ignore_ascii_case(b"SUB") || verb.eq_ignore_ascii_case(b"UNSUB"));
            assert!(line.ends_with(t));
            let answer = reply(b"OK SUB ", t, b"");
            assert_eq!(answer.iter().filter(|&&b| b == b'\n').count(), 1, "a reply is one line");
        }
        Ok(Command::Pub(t, message)) => {
            topic_ok(t);
            assert!(line.len() >= 4 + t.len() + 1 + message.len());
            assert!(line.ends_with(message));
        }
        Err(why) => {
            assert!(!why.is_empty() && !why.contains('\n'), "{why:?}");
        }
    }
}

/// A command from the grammar, sometimes with a wrong verb, an empty or overlong topic.
fn command(gen: &mut Gen) -> Vec<u8> {
    let verb = *gen.pick(&["SUB", "sub", "UNSUB", "Unsub", "PUB", "pub", "SUBX", ""]);
    let topic_len = if gen.one_in(10) { MAX_TOPIC + gen.below(3) } else { gen.below(12) };
    let topic = gen.text(topic_len, b"abcxyz.-_/#0123456789");
    let mut line = format!("{verb} ").into_bytes();
    line.extend(topic);
    if verb.eq_ignore_ascii_case("PUB") || gen.one_in(5) {
        line.push(b' ');
        let len = gen.below(40);
        line.extend(gen.text(len, b"hello world \t\xc3\xa9\xff"));
    }
    line
}

#[test]
fn random_lines_never_panic_and_parse_to_well_formed_commands() {
    check("broker random lines", |gen| {
        let len = gen.below(300);
        let line =
            if gen.one_in(2) { gen.bytes(len) } else { gen.text(len, b"SUBPUNsubpun x\t\x00\x7f\xff") };
        check_parse(&line);
    });
}

#[test]
fn grammar_commands_parse_and_damaged_ones_never_panic() {
    check("broker commands", |gen| {
        let line = command(gen);
        check_parse(&line);
        check_parse(&gen.mutate(line));
    });
}

#[test]
fn valid_commands_parse_to_what_was_sent() {
    check("broker valid commands", |gen| {
        let len = gen.range(1, MAX_TOPIC);
        let topic = gen.text(len, b"abc.-_0123456789");
        let len = gen.below(50);
        let message = gen.text(len, b"hello world \t\xc3\xa9");
        let sub = [b"sub ".as_slice(), &topic].concat();
        assert!(matches!(parse(&sub), Ok(Command::Sub(t)) if t == topic.as_slice()));
        let unsub = [b"UNSUB ".as_slice(), &topic].concat();
        assert!(matches!(parse(&unsub), Ok(Command::Unsub(t)) if t == topic.as_slice()));
        let publish = [b"PUB ".as_slice(), &topic, b" ", &message].concat();
        assert!(
            matches!(parse(&publish), Ok(Command::Pub(t, m)) if t == topic.as_slice() && m == message.as_slice())
        );
    });
}

#[test]
fn lines_are_read_whole_and_bounded_however_the_reads_split_them() {
    check_cases("broker read_line", 1_000, |gen| {
        let mut input = Vec::new();
        let mut expected = Vec::new();
        for _ in 0..gen.range(1, 10) {
            let line = command(gen);
            input.extend_from_slice(&line);
            input.extend_from_slice(if gen.one_in(2) { b"\r\n" } else { b"\n" });
            expected.push(line);
        }
        let long = gen.one_in(8);
        if long {
            input.extend(std::iter::repeat(b'P').take(MAX_LINE + 1));
            input.push(b'\n');
        }
        let capacity = gen.range(1, 8 * 1024);
        let mut reader = BufReader::with_capacity(capacity, Chunked::new(gen.chunks(&input)));
        let mut line = Vec::new();
        let mut got = Vec::new();
        let err = block_on(async {
            loop {
                match read_line(&mut reader, &mut line).await {
                    Ok(true) => got.push(line.clone()),
                    Ok(false) => return None,
                    Err(e) => return Some(e.kind()),
                }
            }
        });
        assert_eq!(got, expected);
        assert_eq!(err, long.then_some(std::io::ErrorKind::InvalidData));
    });
}
