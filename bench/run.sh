#!/usr/bin/env bash
# Overhead benchmark: one malloc-heavy workload run untraced, under empty
# probes (the floor: the traps alone) placed naively at each function's first
# instruction and placed where the kernel emulates the instruction, and under
# memleakbpf's modes.  Interleaved rounds, median of each; printed as ratios,
# since absolute numbers mean little on a VM.  Growth mode makes no malloc
# probes at all: its cost is measured on a real service by bench/redis.sh.
#
#   ROUNDS=3 ITERS=200000 bash bench/run.sh
set -euo pipefail
cd "$(dirname "$0")/.."
. bench/lib.sh

ITERS=${ITERS:-200000}
ROUNDS=${ROUNDS:-3}
SAMPLE=${SAMPLE:-512k}
BIN=build/bench/mallocbench
mkdir -p build/bench
cc -O2 -g -o "$BIN" bench/mallocbench.c

traced() { ./memleakbpf "$@" -c "$BIN $ITERS" 3600 2>/dev/null | grep -E '^[0-9]+$'; }

run_untraced()    { "$BIN" "$ITERS"; }
run_floor_naive() { traced --probe-floor --probe-at-entry; }
run_floor()       { traced --probe-floor; }
run_precise()     { traced -o 0 --format json; }
run_precise_fp()  { traced -o 0 --format json --unwind fp; }
run_sampled()     { traced -o 0 --format json --sample-bytes "$SAMPLE"; }
run_sampled_nosess() { traced -o 0 --format json --sample-bytes "$SAMPLE" --no-sessions; }

MODES=(untraced floor_naive floor precise precise_fp sampled sampled_nosess)
interleave iterations/s "${MODES[@]}"

echo "workload: $ITERS x (free + malloc), ring of 1024 live blocks; median of $ROUNDS rounds"
printf '%-34s %12s iterations/s\n' \
	"untraced" "${MEDIAN[untraced]}" \
	"empty probes at function entry" "${MEDIAN[floor_naive]}" \
	"empty probes, placed (floor)" "${MEDIAN[floor]}" \
	"memleakbpf precise (--unwind auto)" "${MEDIAN[precise]}" \
	"memleakbpf precise --unwind fp" "${MEDIAN[precise_fp]}" \
	"memleakbpf --sample-bytes $SAMPLE" "${MEDIAN[sampled]}" \
	"  same without uprobe sessions" "${MEDIAN[sampled_nosess]}"
awk -v u="${MEDIAN[untraced]}" -v n="${MEDIAN[floor_naive]}" -v f="${MEDIAN[floor]}" -v p="${MEDIAN[precise]}" \
	-v pf="${MEDIAN[precise_fp]}" -v s="${MEDIAN[sampled]}" -v sn="${MEDIAN[sampled_nosess]}" 'BEGIN {
	printf "placed floor / naive floor        %8.2f   (probe placement)\n", f / n
	printf "precise (fp) / placed floor       %8.2f   (goal >= 0.9: cost of exact accounting)\n", pf / f
	printf "precise (auto) / placed floor     %8.2f   (the same, with DWARF unwinding of this -O2 program and libc)\n", p / f
	printf "precise / naive floor             %8.2f\n", p / n
	printf "sampled / naive floor             %8.2f   (goal >= 2.3)\n", s / n
	printf "sampled without sessions / naive  %8.2f\n", sn / n
}'
