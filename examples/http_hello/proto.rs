//! The HTTP/1.1 side of `http_hello`: finding request heads in the input, parsing them,
//! and writing the answers. No I/O: `http_hello.rs` reads into [`Input::spare`] and writes what
//! [`Input::answer`] produced. `proptests/` and `fuzz/` include this file by path to feed
//! it random and malformed input.

/// The largest request line plus header block.
pub(crate) const MAX_HEAD: usize = 64 * 1024;

/// The input buffer's first size; it grows (to about twice [`MAX_HEAD`] at most) only
/// for large header blocks.
pub(crate) const READ_BUF: usize = 8 * 1024;

pub(crate) const HELLO: &[u8] =
    b"HTTP/1.1 200 OK\r\nServer: crest\r\nContent-Type: text/plain; charset=utf-8\r\n\
Content-Length: 13\r\n\r\nHello, World!";
pub(crate) const HELLO_CLOSE: &[u8] =
    b"HTTP/1.1 200 OK\r\nServer: crest\r\nContent-Type: text/plain; charset=utf-8\r\n\
Content-Length: 13\r\nConnection: close\r\n\r\nHello, World!";
/// For HTTP/1.0 clients that asked for keep-alive: they need to be told it holds.
pub(crate) const HELLO_KEEP_ALIVE: &[u8] =
    b"HTTP/1.1 200 OK\r\nServer: crest\r\nContent-Type: text/plain; charset=utf-8\r\n\
Content-Length: 13\r\nConnection: keep-alive\r\n\r\nHello, World!";
pub(crate) const BODY: &[u8] = b"Hello, World!";

/// The connection's input: `buf[start..end]` is received and not yet answered.
pub(crate) struct Input {
    buf: Vec<u8>,
    start: usize,
    end: usize,
    /// Body bytes of the last request still to skip.
    body_left: u64,
    /// How many bytes after `start` are known not to finish the header block, so that a
    /// head arriving a byte at a time is scanned once, not once per byte.
    scanned: usize,
    /// The body of a `GET /metrics` answer, when the server has one (the server sets it;
    /// without it `/metrics` is one more hello): keeps this file free of the runtime.
    pub(crate) metrics: Option<fn() -> String>,
}

impl Input {
    pub(crate) fn new() -> Input {
        Input { buf: vec![0; READ_BUF], start: 0, end: 0, body_left: 0, scanned: 0, metrics: None }
    }

    /// Whether part of a request (or of its body) has arrived and the rest has not.
    pub(crate) fn is_mid_request(&self) -> bool {
        self.start < self.end || self.body_left > 0
    }

    /// Room to read into: moves what is pending to the front, or grows the buffer when a
    /// pending head fills it (bounded: a head over [`MAX_HEAD`] is refused before then).
    pub(crate) fn spare(&mut self) -> &mut [u8] {
        if self.start == self.end {
            self.start = 0;
            self.end = 0;
        } else if self.end == self.buf.len() {
            if self.start > 0 {
                self.buf.copy_within(self.start..self.end, 0);
                self.end -= self.start;
                self.start = 0;
            } else {
                self.buf.resize(self.buf.len() * 2, 0);
            }
        }
        &mut self.buf[self.end..]
    }

    pub(crate) fn filled(&mut self, n: usize) {
        self.end += n;
    }

    /// Appends the answer to every complete request to `out`; `true` when the connection
    /// is to be closed after `out` is written.
    pub(crate) fn answer(&mut self, out: &mut Vec<u8>) -> bool {
        loop {
            if self.body_left > 0 {
                let skip = self.body_left.min((self.end - self.start) as u64);
                self.start += skip as usize;
                self.body_left -= skip;
                if self.body_left > 0 {
                    return false;
                }
            }
            let pending = &self.buf[self.start..self.end];
            if pending.is_empty() {
                return false;
            }
            let Some(head_len) = head_end(pending, self.scanned) else {
                if pending.len() > MAX_HEAD {
                    error_response(out, Status::TooLarge, "the header block is over 64 KiB");
                    return true;
                }
                self.scanned = pending.len();
                return false;
            };
            if head_len > MAX_HEAD {
                error_response(out, Status::TooLarge, "the header block is over 64 KiB");
                return true;
            }
            self.scanned = 0;
            match parse_head(&pending[..head_len]) {
                Ok(request) => {
                    self.start += head_len;
                    self.body_left = request.content_length;
                    if let Some(metrics) = self.metrics.filter(|_| request.metrics) {
                        metrics_response(out, &request, &metrics());
                        if !request.keep_alive {
                            return true;
                        }
                        continue;
                    }
                    out.extend_from_slice(match (request.keep_alive, request.http10) {
                        (false, _) => HELLO_CLOSE,
                        (true, false) => HELLO,
                        (true, true) => HELLO_KEEP_ALIVE,
                    });
                    if request.head {
                        out.truncate(out.len() - BODY.len());
                    }
                    if !request.keep_alive {
                        return true;
                    }
                }
                Err((status, why)) => {
                    error_response(out, status, why);
                    return true;
                }
            }
        }
    }
}

/// The length of the head at the front of `buf` (leading empty lines, the request line,
/// the header lines and the empty line that ends them), once it has all arrived. The
/// first `scanned` bytes are known to hold no end.
pub(crate) fn head_end(buf: &[u8], scanned: usize) -> Option<usize> {
    // Empty lines before the request line are skipped (RFC 9112 §2.2), not an end.
    let lead = buf.iter().take_while(|&&b| b == b'\r' || b == b'\n').count();
    let from = scanned.saturating_sub(3).max(lead);
    let mut i = from;
    while let Some(nl) = buf[i..].iter().position(|&b| b == b'\n') {
        let after = i + nl + 1;
        match buf.get(after) {
            Some(b'\n') => return Some(after + 1),
            Some(b'\r') if buf.get(after + 1) == Some(&b'\n') => return Some(after + 2),
            Some(_) => i = after,
            // The next byte decides; it has not come yet.
            None => return None,
        }
    }
    None
}

/// What the server needs of one request head.
#[derive(Debug, PartialEq)]
pub(crate) struct Request {
    pub(crate) content_length: u64,
    pub(crate) keep_alive: bool,
    pub(crate) http10: bool,
    /// A `HEAD` request: the answer has no body.
    pub(crate) head: bool,
    /// `GET /metrics` (or `HEAD`): answered with the runtime's metrics.
    pub(crate) metrics: bool,
}

#[derive(Clone, Copy, Debug, PartialEq)]
pub(crate) enum Status {
    BadRequest,
    RequestTimeout,
    TooLarge,
    NotImplemented,
    VersionNotSupported,
}

/// Parses a complete head (as found by [`head_end`]); the error is the status and reason
/// to answer with.
pub(crate) fn parse_head(head: &[u8]) -> Result<Request, (Status, &'static str)> {
    let bad = |why| Err((Status::BadRequest, why));
    let mut lines = head
        .split(|&b| b == b'\n')
        .map(|line| line.strip_suffix(b"\r").unwrap_or(line))
        .skip_while(|line| line.is_empty());

    let request_line = lines.next().unwrap_or_default();
    let mut parts = request_line.split(|&b| b == b' ');
    let (Some(method), Some(target), Some(version), None) =
        (parts.next(), parts.next(), parts.next(), parts.next())
    else {
        return bad("the request line is not `METHOD TARGET HTTP/1.1`");
    };
    if method.is_empty() || !method.iter().all(|&b| is_token(b)) {
        return bad("the method is not a token");
    }
    if target.is_empty() || target.iter().any(|&b| b <= b' ' || b == 0x7f) {
        return bad("the request target is empty or has control characters");
    }
    let http10 = match version {
        b"HTTP/1.1" => false,
        b"HTTP/1.0" => true,
        v if v.starts_with(b"HTTP/") && v.len() == 8 && v[5].is_ascii_digit() && v[7].is_ascii_digit() => {
            return Err((Status::VersionNotSupported, "only HTTP/1.0 and HTTP/1.1 are spoken here"));
        }
        _ => return bad("the version is not HTTP/1.1"),
    };

    let head = method == b"HEAD";
    let metrics = target == b"/metrics" && (head || method == b"GET");
    let mut request = Request { content_length: 0, keep_alive: !http10, http10, head, metrics };
    let mut content_length = None;
    for line in lines {
        if line.is_empty() {
            break;
        }
        if line[0] == b' ' || line[0] == b'\t' {
            return bad("header lines may not be folded");
        }
        let Some(colon) = line.iter().position(|&b| b == b':') else {
            return bad("a header line has no colon");
        };
        let (name, value) = (&line[..colon], trim(&line[colon + 1..]));
        if name.is_empty() || !name.iter().all(|&b| is_token(b)) {
            return bad("a header name is not a token");
        }
        if value.iter().any(|&b| (b < b' ' && b != b'\t') || b == 0x7f) {
            return bad("a header value has control characters");
        }
        if name.eq_ignore_ascii_case(b"content-length") {
            let Some(length) = parse_length(value) else {
                return bad("Content-Length is not a number");
            };
            if content_length.is_some_and(|seen| seen != length) {
                return bad("two different Content-Lengths");
            }
            content_length = Some(length);
        } else if name.eq_ignore_ascii_case(b"transfer-encoding") {
            return Err((Status::NotImplemented, "Transfer-Encoding bodies are not supported"));
        } else if name.eq_ignore_ascii_case(b"connection") {
            for option in value.split(|&b| b == b',').map(trim) {
                if option.eq_ignore_ascii_case(b"close") {
                    request.keep_alive = false;
                } else if option.eq_ignore_ascii_case(b"keep-alive") && http10 {
                    request.keep_alive = true;
                }
            }
        }
    }
    request.content_length = content_length.unwrap_or(0);
    Ok(request)
}

/// `1*DIGIT`, at most 18 of them (no overflow, and no body is that large).
pub(crate) fn parse_length(value: &[u8]) -> Option<u64> {
    if value.is_empty() || value.len() > 18 || !value.iter().all(u8::is_ascii_digit) {
        return None;
    }
    Some(value.iter().fold(0, |n, &d| n * 10 + u64::from(d - b'0')))
}

/// RFC 9110's `tchar`.
pub(crate) fn is_token(b: u8) -> bool {
    b.is_ascii_alphanumeric() || b"!#$%&'*+-.^_`|~".contains(&b)
}

/// Without leading and trailing spaces and tabs.
pub(crate) fn trim(mut s: &[u8]) -> &[u8] {
    while let [b' ' | b'\t', rest @ ..] = s {
        s = rest;
    }
    while let [rest @ .., b' ' | b'\t'] = s {
        s = rest;
    }
    s
}

/// Appends a metrics answer (Prometheus text exposition format) with `body`.
fn metrics_response(out: &mut Vec<u8>, request: &Request, body: &str) {
    let connection = match (request.keep_alive, request.http10) {
        (false, _) => "Connection: close\r\n",
        (true, false) => "",
        (true, true) => "Connection: keep-alive\r\n",
    };
    out.extend_from_slice(
        format!(
            "HTTP/1.1 200 OK\r\nServer: crest\r\nContent-Type: text/plain; version=0.0.4; charset=utf-8\r\n\
             Content-Length: {}\r\n{connection}\r\n",
            body.len()
        )
        .as_bytes(),
    );
    if !request.head {
        out.extend_from_slice(body.as_bytes());
    }
}

/// Appends an error answer that closes the connection.
pub(crate) fn error_response(out: &mut Vec<u8>, status: Status, why: &str) {
    let line = match status {
        Status::BadRequest => "400 Bad Request",
        Status::RequestTimeout => "408 Request Timeout",
        Status::TooLarge => "431 Request Header Fields Too Large",
        Status::NotImplemented => "501 Not Implemented",
        Status::VersionNotSupported => "505 HTTP Version Not Supported",
    };
    let body_len = why.len() + 1;
    out.extend_from_slice(
        format!(
            "HTTP/1.1 {line}\r\nServer: crest\r\nContent-Type: text/plain; charset=utf-8\r\n\
             Content-Length: {body_len}\r\nConnection: close\r\n\r\n{why}\n"
        )
        .as_bytes(),
    );
}
