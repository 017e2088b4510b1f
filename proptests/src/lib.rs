//! A small property-testing kit for the examples' protocol parsers: a seeded generator,
//! input makers (random bytes, grammar-built messages, mutations of them, random splits
//! into chunks) and a runner that names the seed and case of a failure.
//!
//! No dependency: the properties need random bytes and a way to replay a failure, not
//! shrinking. A failure prints `CREST_PROPTEST_SEED=N`; setting it replays that run, and
//! `CREST_PROPTEST_CASES` sets how many cases each property runs (default 5,000).

use std::panic::{catch_unwind, AssertUnwindSafe};
use std::pin::Pin;
use std::task::{Context, Poll};

/// A xorshift64* generator.
pub struct Gen {
    state: u64,
}

impl Gen {
    pub fn new(seed: u64) -> Gen {
        // splitmix64 of the seed: nearby seeds give unrelated streams.
        let mut z = seed.wrapping_add(0x9E37_79B9_7F4A_7C15);
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        Gen { state: (z ^ (z >> 31)) | 1 }
    }

    pub fn next_u64(&mut self) -> u64 {
        let mut x = self.state;
        x ^= x >> 12;
        x ^= x << 25;
        x ^= x >> 27;
        self.state = x;
        x.wrapping_mul(0x2545_F491_4F6C_DD1D)
    }

    /// A number in `0..n` (`n > 0`).
    pub fn below(&mut self, n: usize) -> usize {
        (self.next_u64() % n as u64) as usize
    }

    /// A number in `lo..=hi`.
    pub fn range(&mut self, lo: usize, hi: usize) -> usize {
        lo + self.below(hi - lo + 1)
    }

    /// True one time in `n`.
    pub fn one_in(&mut self, n: usize) -> bool {
        self.below(n) == 0
    }

    pub fn pick<'a, T>(&mut self, items: &'a [T]) -> &'a T {
        &items[self.below(items.len())]
    }

    /// `len` bytes, each uniform.
    pub fn bytes(&mut self, len: usize) -> Vec<u8> {
        (0..len).map(|_| self.next_u64() as u8).collect()
    }

    /// `len` bytes drawn from `alphabet`: mostly printable text, with the bytes a parser
    /// cares about (spaces, line ends, colons, high bytes) frequent enough to matter.
    pub fn text(&mut self, len: usize, alphabet: &[u8]) -> Vec<u8> {
        (0..len).map(|_| *self.pick(alphabet)).collect()
    }

    /// `input`, damaged a few times: bytes flipped, inserted, removed, repeated or cut.
    pub fn mutate(&mut self, mut input: Vec<u8>) -> Vec<u8> {
        const SPECIAL: &[u8] = b" \t\r\n:/,\x00\x7f\xff0123456789";
        for _ in 0..self.range(1, 4) {
            let at = self.below(input.len() + 1);
            match self.below(6) {
                0 if at < input.len() => input[at] = self.next_u64() as u8,
                1 => input.insert(at, *self.pick(SPECIAL)),
                2 if at < input.len() => {
                    input.remove(at);
                }
                3 if at < input.len() => {
                    let end = self.range(at, input.len());
                    let copy = input[at..end].to_vec();
                    input.splice(at..at, copy);
                }
                4 => input.truncate(at),
                _ => input.insert(at, self.next_u64() as u8),
            }
        }
        input
    }

    /// Cuts `input` into chunks of random sizes (some of one byte), as reads would.
    pub fn chunks<'a>(&mut self, input: &'a [u8]) -> Vec<&'a [u8]> {
        let mut out = Vec::new();
        let mut rest = input;
        while !rest.is_empty() {
            let n = if self.one_in(4) { 1 } else { self.range(1, rest.len().min(4096)) };
            let (head, tail) = rest.split_at(n);
            out.push(head);
            rest = tail;
        }
        out
    }
}

fn env_u64(name: &str) -> Option<u64> {
    std::env::var(name).ok().and_then(|v| v.trim().parse().ok())
}

/// Runs `property` on `CREST_PROPTEST_CASES` (default 5,000) generators from one seed
/// (`CREST_PROPTEST_SEED`, or one fixed per property name, so CI is repeatable). A
/// failing case is re-raised after printing the seed and case that replay it.
pub fn check(name: &str, property: impl FnMut(&mut Gen)) {
    check_cases(name, 5_000, property);
}

/// [`check`] with another default number of cases, for properties whose inputs are large.
pub fn check_cases(name: &str, default_cases: u64, mut property: impl FnMut(&mut Gen)) {
    let seed = env_u64("CREST_PROPTEST_SEED").unwrap_or_else(|| {
        name.bytes().fold(0xcbf2_9ce4_8422_2325, |h, b| (h ^ u64::from(b)).wrapping_mul(0x100_0000_01b3))
    });
    let cases = env_u64("CREST_PROPTEST_CASES").unwrap_or(default_cases);
    let mut seeds = Gen::new(seed);
    for case in 0..cases {
        let mut gen = Gen::new(seeds.next_u64());
        if let Err(panic) = catch_unwind(AssertUnwindSafe(|| property(&mut gen))) {
            eprintln!("property {name} failed at case {case}: replay with CREST_PROPTEST_SEED={seed}");
            std::panic::resume_unwind(panic);
        }
    }
}

/// An `AsyncRead` that hands out its bytes in the chunks given, one chunk (or less, if
/// the caller's buffer is smaller) per read, as a socket would.
pub struct Chunked {
    chunks: Vec<Vec<u8>>,
    next: usize,
    offset: usize,
}

impl Chunked {
    pub fn new(chunks: Vec<&[u8]>) -> Chunked {
        Chunked { chunks: chunks.into_iter().map(<[u8]>::to_vec).collect(), next: 0, offset: 0 }
    }
}

impl futures_io::AsyncRead for Chunked {
    fn poll_read(
        mut self: Pin<&mut Self>,
        _cx: &mut Context<'_>,
        buf: &mut [u8],
    ) -> Poll<std::io::Result<usize>> {
        let this = &mut *self;
        let Some(chunk) = this.chunks.get(this.next) else { return Poll::Ready(Ok(0)) };
        let n = (chunk.len() - this.offset).min(buf.len());
        buf[..n].copy_from_slice(&chunk[this.offset..this.offset + n]);
        this.offset += n;
        if this.offset == chunk.len() {
            this.next += 1;
            this.offset = 0;
        }
        Poll::Ready(Ok(n))
    }
}
