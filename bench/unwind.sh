#!/usr/bin/env bash
# Cost of one user stack, per unwinding mode: the BPF run time of the
# allocation return program (alloc_return, which takes the stack) per call,
# from the kernel's BPF statistics (kernel.bpf_stats_enabled), on the same
# workload: ITERS malloc+free at the bottom of DEPTH nested calls.
#   fp-kernel the kernel's frame-pointer walker (bpf_get_stackid)
#   fp       our BPF walker, frame-pointer rule only
#   auto     our walker: frame pointers in the program, CFI table for libc
#   dwarf    our walker: CFI tables everywhere, program without frame pointers
# "frames" is the depth of the recorded stack.  Needs root.
set -uo pipefail
cd "$(dirname "$0")/.."

ITERS=${ITERS:-100000}
DEPTH=${DEPTH:-10}
OUT=build/bench
mkdir -p "$OUT"
cc -O2 -g -fno-omit-frame-pointer -o "$OUT/unwindbench_fp" bench/unwindbench.c
cc -O2 -g -fomit-frame-pointer -fno-optimize-sibling-calls -o "$OUT/unwindbench_nofp" bench/unwindbench.c

old_stats=$(sysctl -n kernel.bpf_stats_enabled)
trap 'sysctl -qw kernel.bpf_stats_enabled="$old_stats"' EXIT
sysctl -qw kernel.bpf_stats_enabled=1

# measure MODE BINARY: "ns_per_call calls frames"
measure() {
	local mode=$1 bin=$2 go tmp pid tr stats frames
	tmp=$(mktemp -d)
	go=$tmp/go
	"$bin" "$ITERS" "$DEPTH" "$go" &
	pid=$!
	./memleakbpf -v --unwind "$mode" --format json -o 0 -p "$pid" 3600 >"$tmp/out" 2>"$tmp/err" &
	tr=$!
	until grep -q 'tracing [0-9]* process' "$tmp/err"; do sleep 0.05; done
	touch "$go"
	wait "$pid"
	# Read the statistics while the tracer still holds the program (its
	# fds name it: other tracers may run the same program meanwhile).
	ids=$(grep -h '^prog_id:' /proc/"$tr"/fdinfo/* 2>/dev/null | awk '{ print $2 }' | sort -un | jq -sc .)
	stats=$(bpftool prog show -j | jq -r --argjson ids "$ids" '
		[.[] | select(.name == "alloc_return" and (.id as $i | $ids | index($i)))][0]
		| "\(.run_time_ns // 0) \(.run_cnt // 0)"')
	kill -INT "$tr"
	wait "$tr" || true
	frames=$(tail -n 1 "$tmp/out" | jq '[.stacks[] | select(.kind == "malloc")][0].frames | length')
	rm -rf "$tmp"
	awk -v s="$stats" -v f="$frames" 'BEGIN { split(s, a, " "); printf "%.0f %d %d\n", a[2] ? a[1] / a[2] : 0, a[2], f }'
}

printf '%-10s %-18s %10s %8s %7s\n' mode program ns/call calls frames
for spec in "fp-kernel unwindbench_fp" "fp unwindbench_fp" "auto unwindbench_fp" \
	    "dwarf unwindbench_nofp" "fp unwindbench_nofp"; do
	set -- $spec
	read -r ns calls frames < <(measure "$1" "$OUT/$2")
	printf '%-10s %-18s %10s %8s %7s\n' "$1" "$2" "$ns" "$calls" "$frames"
done
