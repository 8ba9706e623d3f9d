#!/usr/bin/env bash
# Where the time goes, per BPF program: the kernel's run-time statistics
# (kernel.bpf_stats_enabled) of every program of one tracer, over ITERS
# rounds of free + malloc (bench/mallocbench.c), with the tracer started
# first (-p) so it sees every call.  Prints each program's runs and mean
# ns per run, and the loop's iterations/s.  Needs root.
#
#   bash bench/hotpath.sh                       precise, --unwind auto
#   bash bench/hotpath.sh --sample-bytes 512k   any memleakbpf options
#   ALLOCATOR=jemalloc bash bench/hotpath.sh    Debian's libjemalloc2
#   MEMLEAKBPF=/path/to/memleakbpf bash bench/hotpath.sh   another build
set -uo pipefail
cd "$(dirname "$0")/.."

ITERS=${ITERS:-200000}
MEMLEAKBPF=${MEMLEAKBPF:-./memleakbpf}
BIN=build/bench/mallocbench
case ${ALLOCATOR:-glibc} in
glibc) PRELOAD= ;;
jemalloc) PRELOAD=/usr/lib/x86_64-linux-gnu/libjemalloc.so.2 ;;
*) PRELOAD=$ALLOCATOR ;;
esac
mkdir -p build/bench
cc -O2 -g -o "$BIN" bench/mallocbench.c

old_stats=$(sysctl -n kernel.bpf_stats_enabled)
tmp=$(mktemp -d)
trap 'sysctl -qw kernel.bpf_stats_enabled="$old_stats"; rm -rf "$tmp"' EXIT
sysctl -qw kernel.bpf_stats_enabled=1

LD_PRELOAD=$PRELOAD "$BIN" "$ITERS" "$tmp/go" >"$tmp/rate" &
pid=$!
"$MEMLEAKBPF" -v "$@" --format json -o 0 -p "$pid" 3600 >"$tmp/out" 2>"$tmp/err" &
tr=$!
until grep -q 'tracing [0-9]* process' "$tmp/err"; do
	kill -0 "$tr" 2>/dev/null || { cat "$tmp/err" >&2; kill "$pid"; exit 1; }
	sleep 0.05
done
touch "$tmp/go"
wait "$pid"
# Read the statistics while the tracer still holds its programs (its fds
# name them: other tracers may run programs of the same name meanwhile).
ids=$(grep -h '^prog_id:' /proc/"$tr"/fdinfo/* 2>/dev/null | awk '{ print $2 }' | sort -un | jq -sc .)
printf '%-20s %10s %10s\n' program runs ns/run
bpftool prog show -j | jq -r --argjson ids "$ids" '.[]
	| select(.id as $i | $ids | index($i)) | select((.run_cnt // 0) > 0)
	| "\(.name) \(.run_cnt) \(.run_time_ns / .run_cnt | floor)"' |
	while read -r name runs ns; do printf '%-20s %10s %10s\n' "$name" "$runs" "$ns"; done
kill -INT "$tr"
wait "$tr"
echo "iterations/s: $(cat "$tmp/rate")"
