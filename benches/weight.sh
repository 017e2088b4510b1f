#!/usr/bin/env bash
# The weight of an echo server (issue 7, deliverable 3): clean release build time, crates
# compiled and binary size, crest beside tokio.
#
#   bash benches/weight.sh            # about 2 minutes on 2 cores; prints a markdown table
#
# It writes two throwaway crates under a fresh directory in /tmp (WEIGHT_DIR to choose
# one): `crest-echo`, which depends on this checkout's `crest` by path, and `tokio-echo`,
# which depends on tokio with only what an echo server needs (rt-multi-thread, net,
# io-util, macros). Both hold the same echo server (examples/echo.rs, trimmed to the same
# shape in both), both use cargo's default release profile (what a user gets), and each
# is built with a target directory of its own, emptied first. Dependencies are fetched
# before the clock starts, so the time is compiling and linking only. A third crate,
# `std-echo` (no dependency: a thread per connection over std's blocking sockets), is the
# floor: what any Rust echo server weighs, so that the runtimes' own share shows.
#
# Not run by CI: it compiles both from scratch and needs crates.io for tokio.
set -euo pipefail

repo=$(cd "$(dirname "$0")/.." && pwd)
work=${WEIGHT_DIR:-$(mktemp -d /tmp/crest-weight.XXXXXX)}
jobs=${WEIGHT_JOBS:-$(nproc)}
mkdir -p "$work"

write_crate() { # name, dependency lines, main.rs
    local dir="$work/$1"
    rm -rf "$dir"
    mkdir -p "$dir/src"
    cat >"$dir/Cargo.toml" <<EOF
[package]
name = "$1"
version = "0.1.0"
edition = "2021"
publish = false

[dependencies]
$2

# Not part of any enclosing workspace.
[workspace]
EOF
    printf '%s\n' "$3" >"$dir/src/main.rs"
}

echo_main() { # runtime crate name: crest or tokio
    cat <<EOF
use std::io;

use $1::io::{AsyncReadExt, AsyncWriteExt};
use $1::net::{TcpListener, TcpStream};

#[$1::main]
async fn main() -> io::Result<()> {
    let addr = std::env::args().nth(1).unwrap_or_else(|| "127.0.0.1:7878".to_string());
    let listener = TcpListener::bind(addr.as_str()).await?;
    println!("listening on {}", listener.local_addr()?);
    loop {
        let (stream, _) = listener.accept().await?;
        $1::spawn(async move {
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
}

write_crate crest-echo "crest = { path = \"$repo\" }" "$(echo_main crest)"
write_crate tokio-echo \
    'tokio = { version = "1", default-features = false, features = ["rt-multi-thread", "net", "io-util", "macros"] }' \
    "$(echo_main tokio)"

write_crate std-echo "" "$(cat <<'EOF'
use std::io::{Read, Write};

fn main() -> std::io::Result<()> {
    let addr = std::env::args().nth(1).unwrap_or_else(|| "127.0.0.1:7878".to_string());
    let listener = std::net::TcpListener::bind(addr.as_str())?;
    println!("listening on {}", listener.local_addr()?);
    for stream in listener.incoming() {
        let mut stream = stream?;
        std::thread::spawn(move || -> std::io::Result<()> {
            stream.set_nodelay(true)?;
            let mut buf = vec![0u8; 32 * 1024];
            loop {
                let n = stream.read(&mut buf)?;
                if n == 0 {
                    return Ok(());
                }
                stream.write_all(&buf[..n])?;
            }
        });
    }
    Ok(())
}
EOF
)"

names="crest-echo tokio-echo std-echo"
declare -A secs crates size stripped
for name in $names; do
    dir="$work/$name"
    (cd "$dir" && cargo fetch -q)
    rm -rf "$dir/target"
    start=$(date +%s.%N)
    (cd "$dir" && CARGO_TARGET_DIR="$dir/target" cargo build --release --offline -j "$jobs" 2>"$dir/build.log")
    end=$(date +%s.%N)
    secs[$name]=$(awk -v a="$start" -v b="$end" 'BEGIN { printf "%.1f", b - a }')
    crates[$name]=$(grep -c '^ *Compiling ' "$dir/build.log" || true)
    bin="$dir/target/release/$name"
    size[$name]=$(stat -c %s "$bin")
    strip -o "$dir/$name.stripped" "$bin"
    stripped[$name]=$(stat -c %s "$dir/$name.stripped")
    echo "weight: $name built in ${secs[$name]} s, ${crates[$name]} crates compiled" >&2
done

kib() { awk -v a="$1" 'BEGIN { printf "%d", a / 1024 }'; }
ratio() { awk -v a="$1" -v b="$2" 'BEGIN { printf "%.2f", a / b }'; }

echo
echo "## Weight results"
echo
echo "$(nproc) CPUs, $(rustc --version), cargo build --release -j $jobs, default release profile, empty target directory."
echo
echo "| echo server | clean release build (s) | crates compiled | binary (KiB) | stripped (KiB) |"
echo "| --- | ---: | ---: | ---: | ---: |"
for name in $names; do
    printf '| %s | %.1f | %s | %s | %s |\n' "$name" "${secs[$name]}" "${crates[$name]}" \
        "$(kib "${size[$name]}")" "$(kib "${stripped[$name]}")"
done
printf '| crest ÷ tokio | %sx | %sx | %sx | %sx |\n' \
    "$(ratio "${secs[crest-echo]}" "${secs[tokio-echo]}")" \
    "$(ratio "${crates[crest-echo]}" "${crates[tokio-echo]}")" \
    "$(ratio "${size[crest-echo]}" "${size[tokio-echo]}")" \
    "$(ratio "${stripped[crest-echo]}" "${stripped[tokio-echo]}")"
printf '| runtime share: crest ÷ tokio, each minus std-echo | | | %sx | %sx |\n' \
    "$(ratio "$((${size[crest-echo]} - ${size[std-echo]}))" "$((${size[tokio-echo]} - ${size[std-echo]}))")" \
    "$(ratio "$((${stripped[crest-echo]} - ${stripped[std-echo]}))" "$((${stripped[tokio-echo]} - ${stripped[std-echo]}))")"
echo
echo "(The crates live in $work.)"
