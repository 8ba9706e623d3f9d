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
declare -A res
for mode in "${MODES[@]}"; do res[$mode]=""; done
for ((r = 1; r <= ROUNDS; r++)); do
	for mode in "${MODES[@]}"; do
		v=$("run_$mode")
		res[$mode]+="$v"$'\n'
		printf 'round %d %-15s %10s iterations/s\n' "$r" "$mode" "$v" >&2
	done
done
median() { sort -n | awk '{a[NR]=$1} END {print a[int((NR+1)/2)]}'; }
declare -A m
for mode in "${MODES[@]}"; do m[$mode]=$(printf '%s' "${res[$mode]}" | median); done

echo "workload: $ITERS x (free + malloc), ring of 1024 live blocks; median of $ROUNDS rounds"
printf '%-34s %12s iterations/s\n' \
	"untraced" "${m[untraced]}" \
	"empty probes at function entry" "${m[floor_naive]}" \
	"empty probes, placed (floor)" "${m[floor]}" \
	"memleakbpf precise (--unwind auto)" "${m[precise]}" \
	"memleakbpf precise --unwind fp" "${m[precise_fp]}" \
	"memleakbpf --sample-bytes $SAMPLE" "${m[sampled]}" \
	"  same without uprobe sessions" "${m[sampled_nosess]}"
awk -v u="${m[untraced]}" -v n="${m[floor_naive]}" -v f="${m[floor]}" -v p="${m[precise]}" \
	-v pf="${m[precise_fp]}" -v s="${m[sampled]}" -v sn="${m[sampled_nosess]}" 'BEGIN {
	printf "placed floor / naive floor        %8.2f   (probe placement)\n", f / n
	printf "precise (fp) / placed floor       %8.2f   (goal >= 0.9: cost of exact accounting)\n", pf / f
	printf "precise (auto) / placed floor     %8.2f   (the same, with DWARF unwinding of this -O2 program and libc)\n", p / f
	printf "precise / naive floor             %8.2f\n", p / n
	printf "sampled / naive floor             %8.2f   (goal >= 2.3)\n", s / n
	printf "sampled without sessions / naive  %8.2f\n", sn / n
}'
