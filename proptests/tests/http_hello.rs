//! Property tests of `examples/http_hello/proto.rs`: random and malformed input never
//! panics, every answer is a well-formed HTTP/1.1 response, and how the input is split
//! into reads changes nothing.

#[allow(dead_code)]
#[path = "../../examples/http_hello/proto.rs"]
mod proto;

use crest_proptests::{check, Gen};
use proto::{head_end, parse_head, Input, MAX_HEAD};

/// Feeds `chunks` to an `Input` as successive reads (each cut to the room `spare` gives)
/// and collects the answers; stops, as the server does, once `answer` says close.
fn serve(chunks: &[&[u8]]) -> (Vec<u8>, bool) {
    let mut input = Input::new();
    let mut out = Vec::new();
    for chunk in chunks {
        let mut rest = *chunk;
        while !rest.is_empty() {
            let spare = input.spare();
            assert!(!spare.is_empty(), "spare() always leaves room to read into");
            let n = spare.len().min(rest.len());
            spare[..n].copy_from_slice(&rest[..n]);
            input.filled(n);
            rest = &rest[n..];
            if input.answer(&mut out) {
                return (out, true);
            }
        }
    }
    (out, false)
}

/// Splits `out` into responses and checks each: a status line with a known code, headers,
/// a `Content-Length` that the body matches (HEAD answers excepted), and only the last
/// may close. `heads` says which requests were HEAD (their 200 has no body); without it,
/// a 200 has its body if the body follows. Returns the status codes.
fn responses(mut out: &[u8], heads: Option<&[bool]>) -> Vec<u16> {
    let mut codes = Vec::new();
    while !out.is_empty() {
        let end =
            out.windows(4).position(|w| w == b"\r\n\r\n").expect("a header block ends with CRLF CRLF") + 4;
        let head = std::str::from_utf8(&out[..end]).expect("headers are text");
        let mut lines = head.split("\r\n");
        let status = lines.next().unwrap();
        assert!(status.starts_with("HTTP/1.1 "), "status line {status:?}");
        let code: u16 = status[9..12].parse().expect("a three-digit status");
        assert!([200, 400, 408, 431, 501, 505].contains(&code), "status {code}");
        let mut length = None;
        let mut close = false;
        for line in lines.filter(|l| !l.is_empty()) {
            let (name, value) = line.split_once(": ").expect("`Name: value` headers");
            if name == "Content-Length" {
                length = Some(value.parse::<usize>().expect("a numeric Content-Length"));
            }
            close |= name == "Connection" && value == "close";
        }
        let length = length.expect("every response has a Content-Length");
        let head_request = match heads {
            Some(heads) => heads[codes.len()],
            None => !out[end..].starts_with(b"Hello, World!"),
        };
        let body = if code == 200 && head_request { 0 } else { length };
        assert!(out.len() >= end + body, "the body is complete");
        codes.push(code);
        out = &out[end + body..];
        if code != 200 {
            assert!(close, "an error response closes the connection");
        }
        if close {
            assert!(out.is_empty(), "nothing follows a response that closes");
        }
    }
    codes
}

const HEAD_ALPHABET: &[u8] = b"GETPOSHADabc/ ?=&:-_.0123456789\r\n\r\n\t HTTP/1.01.1Content-Length:Connection:close,keep-alive\x00\x7f\xff";

/// A valid request: method, target, version and headers from a small grammar, with a
/// body when it has a Content-Length; also says whether it is a HEAD request and whether
/// it asks to close.
fn request(gen: &mut Gen) -> (Vec<u8>, bool, bool) {
    let method = *gen.pick(&["GET", "HEAD", "POST", "PUT", "OPTIONS", "X-CUSTOM"]);
    let target = *gen.pick(&["/", "/index.html", "/a/b?c=d&e=f", "*", "/%20x"]);
    let http10 = gen.one_in(5);
    let mut req = format!("{method} {target} {}\r\n", if http10 { "HTTP/1.0" } else { "HTTP/1.1" });
    let mut keep_alive = !http10;
    let mut body = 0;
    for _ in 0..gen.below(6) {
        match gen.below(5) {
            0 => req.push_str("Host: example\r\n"),
            1 if body == 0 && !req.contains("content-length") => {
                body = gen.below(300);
                req.push_str(&format!("content-length:  {body}\t\r\n"));
            }
            2 => {
                req.push_str("Connection: close\r\n");
                keep_alive = false;
            }
            3 if http10 => {
                req.push_str("Connection: Keep-Alive\r\n");
                keep_alive = true;
            }
            _ => req.push_str("X-Anything: \"quoted\", values; q=0.5\r\n"),
        }
    }
    req.push_str(if gen.one_in(4) { "\n" } else { "\r\n" });
    let mut bytes = req.into_bytes();
    bytes.extend(std::iter::repeat(b'b').take(body));
    (bytes, method == "HEAD", !keep_alive)
}

#[test]
fn random_bytes_never_panic_and_answers_are_well_formed() {
    check("http random bytes", |gen| {
        let len = gen.below(2048);
        let input = if gen.one_in(2) { gen.bytes(len) } else { gen.text(len, HEAD_ALPHABET) };
        let chunks = gen.chunks(&input);
        let (out, _) = serve(&chunks);
        responses(&out, None);
    });
}

#[test]
fn valid_pipelines_get_one_200_each_in_order_however_split() {
    check("http valid pipelines", |gen| {
        let mut all = Vec::new();
        let mut heads = Vec::new();
        let mut expect = 0;
        for _ in 0..gen.range(1, 8) {
            let (req, head, close) = request(gen);
            all.extend(req);
            heads.push(head);
            expect += 1;
            if close {
                break;
            }
        }
        let whole = serve(&[&all]);
        let chunks = gen.chunks(&all);
        let split = serve(&chunks);
        assert_eq!(whole, split, "the answers do not depend on how the reads split the input");
        let codes = responses(&whole.0, Some(&heads));
        assert_eq!(codes, vec![200; expect], "{:?}", String::from_utf8_lossy(&all));
    });
}

#[test]
fn damaged_requests_never_panic_and_answers_stay_well_formed() {
    check("http damaged requests", |gen| {
        let mut all = Vec::new();
        for _ in 0..gen.range(1, 3) {
            all.extend(request(gen).0);
        }
        let input = gen.mutate(all);
        let whole = serve(&[&input]);
        let chunks = gen.chunks(&input);
        assert_eq!(whole, serve(&chunks), "the answers do not depend on how the reads split the input");
        responses(&whole.0, None);
    });
}

#[test]
fn head_end_and_parse_head_agree_with_a_plain_scan() {
    check("http head_end", |gen| {
        let len = gen.below(512);
        let buf = gen.text(len, b"ab :\r\n\n\r");
        let found = head_end(&buf, 0);
        if let Some(end) = found {
            assert!(end <= buf.len());
            assert!(buf[..end].ends_with(b"\n\n") || buf[..end].ends_with(b"\n\r\n"));
            // Any prefix known to hold no end gives the same answer.
            let scanned = gen.below(end);
            assert_eq!(head_end(&buf, scanned.min(end.saturating_sub(1))), found);
            if let Ok(request) = parse_head(&buf[..end]) {
                assert!(request.content_length < 1_000_000_000_000_000_000);
            }
        }
    });
}

#[test]
fn an_endless_header_block_is_refused_with_431() {
    let mut input = b"GET / HTTP/1.1\r\n".to_vec();
    while input.len() <= MAX_HEAD + 10 {
        input.extend_from_slice(b"X-Filler: aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa\r\n");
    }
    let (out, close) = serve(&[&input]);
    assert!(close);
    assert_eq!(responses(&out, None), vec![431]);
}
