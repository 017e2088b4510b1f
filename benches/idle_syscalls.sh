#!/usr/bin/env bash
# An idle server's syscalls (issue 17, part 2): crest's and tokio's echo peers, both
# flavors, started, left alone for SETTLE seconds, then traced with `strace -f -c` for
# SECS seconds with no client at all. An idle runtime should make none.
#
#   cargo bench -p crest-benches --no-run      # builds target/release/serve_{crest,tokio}
#   bash benches/idle_syscalls.sh [SECS]       # default 5; prints a markdown table
#
# Needs strace and permission to attach to a child (ptrace). Not run by CI.
set -euo pipefail
repo=$(cd "$(dirname "$0")/.." && pwd)
bin=${IDLE_BIN_DIR:-$repo/target/release}
secs=${1:-5}
settle=${SETTLE:-1}
work=$(mktemp -d /tmp/crest-idle.XXXXXX)

echo "| idle server (2 workers; no client) | syscalls in ${secs} s (strace -f -c) | per second |"
echo "| --- | ---: | ---: |"
for runtime in crest tokio; do
    for flavor in multi_thread current_thread; do
        out="$work/$runtime-$flavor"
        SERVE_FLAVOR=$flavor "$bin/serve_$runtime" echo 2 >"$out.stdout" &
        pid=$!
        until grep -qs '^listening' "$out.stdout"; do sleep 0.05; done
        sleep "$settle"
        # With -f, `-p PID` attaches to every thread of the process ("attached with N threads").
        timeout -s INT "$secs" strace -f -c -o "$out.strace" -p "$pid" 2>"$out.stderr" || true
        threads=$(sed -n 's/.*attached with \([0-9]*\) threads.*/\1/p' "$out.stderr" | head -1)
        threads=${threads:-1}
        kill "$pid" 2>/dev/null || true
        wait "$pid" 2>/dev/null || true
        calls=$(awk '$NF == "total" { print $4 }' "$out.strace")
        calls=${calls:-0} # strace prints no table at all when nothing was called
        printf '| %s %s (%s threads traced) | %s | %s |\n' "$runtime" "$flavor" "$threads" "$calls" \
            "$(awk -v c="$calls" -v s="$secs" 'BEGIN { printf "%.1f", c / s }')"
    done
done
echo
echo "(strace's tables are in $work.)"
