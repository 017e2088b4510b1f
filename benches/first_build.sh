#!/usr/bin/env bash
# The newcomer's first build (issue 17, part 4): how long the first
# `cargo run --release --example echo` of a fresh clone takes to start the server, beside a
# tokio echo server's clean release build timed in the same session.
#
#   bash benches/first_build.sh            # about a minute on 2 cores; prints a markdown table
#
# It clones this checkout's committed HEAD into a fresh directory under /tmp (FIRST_BUILD_DIR
# to choose one), fetches the dependencies before the clock starts (so the time is compiling
# and linking only: what a newcomer waits for on a second machine with a warm cargo cache,
# and the download time on top otherwise), empties the target directory, and then times
# `cargo run --release --example echo -- 127.0.0.1:0` until the server prints "listening".
# That compiles everything the root package's examples see: its dependencies and its
# dev-dependencies, with the workspace's release profile.
#
# The tokio rows build benches/weight.sh's `tokio-echo` crate (the same echo server on tokio
# with rt-multi-thread, net, io-util and macros) from an empty target directory, twice: with
# cargo's default release profile (what a tokio user gets) and with fat LTO and one codegen
# unit (what crest's release profile had before issue 17),
# so that the ratio is also shown like for like.
#
# Not run by CI: it compiles from scratch and needs crates.io.
set -euo pipefail

repo=$(cd "$(dirname "$0")/.." && pwd)
work=${FIRST_BUILD_DIR:-$(mktemp -d /tmp/crest-first-build.XXXXXX)}
jobs=${FIRST_BUILD_JOBS:-$(nproc)}
mkdir -p "$work"

now() { date +%s.%N; }
since() { awk -v a="$1" -v b="$(now)" 'BEGIN { printf "%.1f", b - a }'; }

# crest: a fresh clone, `cargo run` until the server listens.
rm -rf "$work/crest"
git clone -q "$repo" "$work/crest"
(cd "$work/crest" && cargo fetch -q)
export CARGO_TARGET_DIR="$work/crest-target"
rm -rf "$CARGO_TARGET_DIR"
log="$work/crest-run.log"
start=$(now)
(cd "$work/crest" && exec cargo run --release --offline -j "$jobs" --example echo -- 127.0.0.1:0) \
    >"$log" 2>&1 &
pid=$!
until grep -qs '^listening' "$log"; do
    if ! kill -0 "$pid" 2>/dev/null; then
        cat "$log" >&2
        echo "first_build: cargo run exited before the server listened" >&2
        exit 1
    fi
    sleep 0.05
done
crest_secs=$(since "$start")
kill "$pid" 2>/dev/null || true
pkill -P "$pid" 2>/dev/null || true
wait "$pid" 2>/dev/null || true
crest_crates=$(grep -c '^ *Compiling ' "$log" || true)
unset CARGO_TARGET_DIR
echo "first_build: crest echo listening after $crest_secs s, $crest_crates crates compiled" >&2

# tokio: the same echo server, clean release builds.
tokio_dir="$work/tokio-echo"
rm -rf "$tokio_dir"
mkdir -p "$tokio_dir/src"
cat >"$tokio_dir/Cargo.toml" <<'EOF'
[package]
name = "tokio-echo"
version = "0.1.0"
edition = "2021"
publish = false

[dependencies]
tokio = { version = "1", default-features = false, features = ["rt-multi-thread", "net", "io-util", "macros"] }

# Not part of any enclosing workspace.
[workspace]
EOF
cat >"$tokio_dir/src/main.rs" <<'EOF'
use std::io;

use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpListener, TcpStream};

#[tokio::main]
async fn main() -> io::Result<()> {
    let addr = std::env::args().nth(1).unwrap_or_else(|| "127.0.0.1:7878".to_string());
    let listener = TcpListener::bind(addr.as_str()).await?;
    println!("listening on {}", listener.local_addr()?);
    loop {
        let (stream, _) = listener.accept().await?;
        tokio::spawn(async move {
            if let Err(e) = echo(stream).await {
                eprintln!("echo: {e}");
            }
        });
    }
}

async fn echo(mut stream: TcpStream) -> io::Result<()> {
    stream.set_nodelay(true)?;
    let mut buf = vec![0u8; 32 * 1024];
    loop {
        let n = stream.read(&mut buf).await?;
        if n == 0 {
            return Ok(());
        }
        stream.write_all(&buf[..n]).await?;
    }
}
EOF
(cd "$tokio_dir" && cargo fetch -q)
tokio_build() { # extra cargo flags
    rm -rf "$tokio_dir/target"
    local start
    start=$(now)
    (cd "$tokio_dir" && CARGO_TARGET_DIR="$tokio_dir/target" cargo build --release --offline \
        -j "$jobs" "$@" 2>"$tokio_dir/build.log")
    since "$start"
}
tokio_default=$(tokio_build)
tokio_crates=$(grep -c '^ *Compiling ' "$tokio_dir/build.log" || true)
echo "first_build: tokio echo, default release profile: $tokio_default s" >&2
tokio_lto=$(tokio_build --config 'profile.release.lto="fat"' --config 'profile.release.codegen-units=1')
echo "first_build: tokio echo, fat LTO and 1 CGU: $tokio_lto s" >&2

ratio() { awk -v a="$1" -v b="$2" 'BEGIN { printf "%.2f", a / b }'; }
echo
echo "## First build"
echo
echo "$(nproc) CPUs, $(rustc --version), -j $jobs, empty target directories, dependencies fetched first."
echo
echo "| first build | seconds | crates compiled | crest ÷ this |"
echo "| --- | ---: | ---: | ---: |"
echo "| crest: fresh clone, \`cargo run --release --example echo\` until it listens | $crest_secs | $crest_crates | |"
echo "| tokio echo, \`cargo build --release\`, default profile | $tokio_default | $tokio_crates | $(ratio "$crest_secs" "$tokio_default")x |"
echo "| tokio echo, \`cargo build --release\`, fat LTO, 1 CGU (crest's bench profile) | $tokio_lto | $tokio_crates | $(ratio "$crest_secs" "$tokio_lto")x |"
echo
echo "(The builds live in $work.)"
