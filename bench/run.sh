#!/usr/bin/env bash
# Overhead benchmark: one malloc-heavy workload run untraced, under empty
# probes (the floor: the traps alone) placed naively at each function's first
# instruction and placed where the kernel emulates the instruction, and under
# memleakbpf's modes.  Interleaved rounds, median of each; printed as ratios,
# since absolute numbers mean little on a VM.  Growth mode makes no malloc
# probes at all: its cost is measured on a real service by bench/redis.sh.
# ALLOCATOR=jemalloc runs the same loop on Debian's libjemalloc2
# (LD_PRELOAD); MODES="floor precise" runs a subset.
#
#   ROUNDS=3 ITERS=200000 bash bench/run.sh
#   ALLOCATOR=jemalloc bash bench/run.sh
set -euo pipefail
cd "$(dirname "$0")/.."
. bench/lib.sh

ITERS=${ITERS:-200000}
ROUNDS=${ROUNDS:-3}
SAMPLE=${SAMPLE:-512k}
ALLOCATOR=${ALLOCATOR:-glibc}
BIN=build/bench/mallocbench
MEMLEAKBPF=${MEMLEAKBPF:-./memleakbpf}  # another build: MEMLEAKBPF=path
case $ALLOCATOR in
glibc) PRELOAD= ;;
jemalloc) PRELOAD=/usr/lib/x86_64-linux-gnu/libjemalloc.so.2 ;;
*) PRELOAD=$ALLOCATOR ;;  # a path: any allocator library
esac
ENV=()
[ -n "$PRELOAD" ] && ENV=("LD_PRELOAD=$PRELOAD")
mkdir -p build/bench
cc -O2 -g -o "$BIN" bench/mallocbench.c

traced() { "$MEMLEAKBPF" "$@" -c "${ENV[*]} $BIN $ITERS" 3600 2>/dev/null | grep -E '^[0-9]+$'; }

run_untraced()    { env "${ENV[@]}" "$BIN" "$ITERS"; }
run_floor_naive() { traced --probe-floor --probe-at-entry; }
run_floor()       { traced --probe-floor; }
run_precise()     { traced -o 0 --format json; }
run_precise_fp()  { traced -o 0 --format json --unwind fp; }
run_sampled()     { traced -o 0 --format json --sample-bytes "$SAMPLE"; }
run_sampled_nosess() { traced -o 0 --format json --sample-bytes "$SAMPLE" --no-sessions; }

read -ra MODES <<<"${MODES:-untraced floor_naive floor precise precise_fp sampled sampled_nosess}"
interleave iterations/s "${MODES[@]}"

declare -A LABEL=(
	[untraced]="untraced"
	[floor_naive]="empty probes at function entry"
	[floor]="empty probes, placed (floor)"
	[precise]="memleakbpf precise (--unwind auto)"
	[precise_fp]="memleakbpf precise --unwind fp"
	[sampled]="memleakbpf --sample-bytes $SAMPLE"
	[sampled_nosess]="  same without uprobe sessions"
)
echo "allocator: $ALLOCATOR; workload: $ITERS x (free + malloc), ring of 1024 live blocks; median of $ROUNDS rounds"
printf '%-36s %12s  %8s  %8s\n' "" iterations/s "of floor" "of untraced"
for mode in "${MODES[@]}"; do
	awk -v l="${LABEL[$mode]}" -v v="${MEDIAN[$mode]}" -v f="${MEDIAN[floor]:-0}" \
		-v u="${MEDIAN[untraced]:-0}" 'BEGIN {
		printf "%-36s %12d  %8s  %8s\n", l, v, f ? sprintf("%.2f", v / f) : "-",
			u ? sprintf("%.2f", v / u) : "-" }'
done
echo "goals (glibc): precise (auto) >= 0.85 and precise --unwind fp >= 0.9 of the placed floor;"
echo "      (jemalloc): precise >= 0.7 of the placed floor"
