#!/usr/bin/env bash
# What the observability of issue 16 costs: this checkout against BASE (default: its
# merge-base with main), built the same way and run alternately on the same machine.
#
#   bash benches/obs_cost.sh [BASE]     # about 5 minutes on 2 cores; prints markdown tables
#
# It extracts BASE with `git archive` into a fresh directory under /tmp (OBS_COST_DIR to
# choose one), writes two throwaway crates there that hold benches/obs_cost/main.rs and
# depend on the `crest` of BASE and of this checkout by path, and builds both with the
# workspace's release profile (fat LTO). Then, OBS_COST_ROUNDS times (default 3), the
# two binaries alternate (before/after, then after/before) on:
#   * the micro workloads (spawn + join, yield storm, ping-pong; both flavors), median ns
#     per item of 15 runs in each process;
#   * memory: RSS per task sleeping an hour (100,000) and per idle accepted connection
#     (8,000), as BENCHMARKS.md's memory rows measure them (one process for both ends);
# and, once each, under callgrind: instructions per spawn + join + poll of a task and per
# yield (a wake plus a poll) on a current-thread runtime, as the difference between runs of
# N and 2N so that start-up cancels out. Not run by CI.
set -euo pipefail

repo=$(cd "$(dirname "$0")/.." && pwd)
base=${1:-$(git -C "$repo" merge-base HEAD main)}
work=${OBS_COST_DIR:-$(mktemp -d /tmp/crest-obs-cost.XXXXXX)}
rounds=${OBS_COST_ROUNDS:-3}
mkdir -p "$work/base-src"
git -C "$repo" archive "$base" | tar -x -C "$work/base-src"

for side in before after; do
    src=$([ "$side" = before ] && echo "$work/base-src" || echo "$repo")
    mkdir -p "$work/$side/src"
    cp "$repo/benches/obs_cost/main.rs" "$work/$side/src/main.rs"
    cat >"$work/$side/Cargo.toml" <<TOML
[package]
name = "obs-cost"
version = "0.1.0"
edition = "2021"
publish = false

[dependencies]
crest = { path = "$src" }

[profile.release]
lto = "fat"
codegen-units = 1
panic = "unwind"
debug = "line-tables-only"

[workspace]
TOML
    (cd "$work/$side" && cargo build -q --release)
done
bin() { echo "$work/$1/target/release/obs-cost"; }
ulimit -n "$(ulimit -Hn)"

: >"$work/results"
for round in $(seq "$rounds"); do
    order="before after"
    [ $((round % 2)) -eq 0 ] && order="after before"
    for side in $order; do
        "$(bin "$side")" time | sed "s/^/$side /" >>"$work/results"
        "$(bin "$side")" sleepers 100000 | sed "s/^/$side /" >>"$work/results"
        "$(bin "$side")" conns 8000 | sed "s/^/$side /" >>"$work/results"
    done
done

irs() { # side mode n -> total instructions
    local out="$work/cg.$1.$2.$3"
    valgrind --tool=callgrind --callgrind-out-file="$out" "$(bin "$1")" "$2" "$3" >/dev/null 2>&1
    awk '/^(summary|totals):/ { print $2; exit }' "$out"
}
for side in before after; do
    a=$(irs "$side" spawn 10000); b=$(irs "$side" spawn 20000)
    echo "$side instructions_per_spawn_join $(( (b - a) / 10000 ))" >>"$work/results"
    a=$(irs "$side" yield 100000); b=$(irs "$side" yield 200000)
    echo "$side instructions_per_yield $(( (b - a) / 100000 ))" >>"$work/results"
done

python3 - "$work/results" "$base" <<'PY'
import sys, statistics
rows = {}
for line in open(sys.argv[1]):
    side, name, value = line.split()
    rows.setdefault(name, {}).setdefault(side, []).append(float(value))
print(f"before = {sys.argv[2][:10]}, after = this checkout; median of each side's runs\n")
print("| measure | before | after | after / before |")
print("| --- | ---: | ---: | ---: |")
for name, sides in rows.items():
    b, a = statistics.median(sides["before"]), statistics.median(sides["after"])
    unit = "ns" if "/" in name else ""
    print(f"| {name} | {b:.1f}{unit} | {a:.1f}{unit} | {a / b:.3f} |")
PY
