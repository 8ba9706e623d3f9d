#!/usr/bin/env bash
# Overhead benchmark: the same malloc-heavy workload untraced, under empty
# probes on the same functions (the floor: the cost of the traps alone),
# and under memleakbpf; printed as throughput ratios, interleaved rounds,
# median of each.  Absolute numbers mean little on a VM; ratios do.
set -euo pipefail
cd "$(dirname "$0")/.."

ITERS=${ITERS:-200000}
ROUNDS=${ROUNDS:-3}
BIN=build/bench/mallocbench
mkdir -p build/bench
cc -O2 -g -o "$BIN" bench/mallocbench.c

run_untraced() { "$BIN" "$ITERS"; }
run_floor()    { ./memleakbpf --probe-floor -c "$BIN $ITERS" 3600 2>/dev/null | grep -E '^[0-9]+$'; }
run_traced()   { ./memleakbpf -o 0 --format json -c "$BIN $ITERS" 3600 2>/dev/null | grep -E '^[0-9]+$'; }

median() { sort -n | awk '{a[NR]=$1} END {print a[int((NR+1)/2)]}'; }

declare -A res
for mode in untraced floor traced; do res[$mode]=""; done
for ((r = 1; r <= ROUNDS; r++)); do
	for mode in untraced floor traced; do
		v=$("run_$mode")
		res[$mode]+="$v"$'\n'
		printf 'round %d %-9s %10s iterations/s\n' "$r" "$mode" "$v" >&2
	done
done
u=$(printf '%s' "${res[untraced]}" | median)
f=$(printf '%s' "${res[floor]}" | median)
t=$(printf '%s' "${res[traced]}" | median)
echo "workload: $ITERS x (malloc + free), ring of 1024 live blocks; median of $ROUNDS rounds"
printf '%-28s %12s iterations/s\n' "untraced" "$u" "empty probes (floor)" "$f" "memleakbpf (precise)" "$t"
awk -v u="$u" -v f="$f" -v t="$t" 'BEGIN {
	printf "floor / untraced            %10.3g   (%.0fx slower: the traps)\n", f / u, u / f
	printf "memleakbpf / untraced       %10.3g   (%.0fx slower)\n", t / u, u / t
	printf "memleakbpf / floor          %10.3f   (cost of the accounting itself)\n", t / f
}'
