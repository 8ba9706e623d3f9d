#!/usr/bin/env bash
# The tracer's own cost with many live allocations (issue 7 goals):
#   - RSS of the tracer with 100 000 live allocations (goal <= 16 MiB);
#   - CPU time of one report over 1 000 000 live allocations (goal <= 200 ms).
# bench/holder.c makes N allocations of 32 bytes under two tracers at once,
# then holds them: one with the default age filter (-o 500: every report
# walks every live record), one with -o 0 (reports read the per-stack
# totals only).  Figures per tracer, for the second full report after the
# last allocation: VmRSS and VmHWM (peak since start) from /proc, and from
# its JSON "tracer" object report_cpu_s (CPU time building that report) and
# the cpu_s delta since the report before (everything it did meanwhile).
#   bash bench/cost.sh [N...]      (default: 100000 1000000)
# HOLDER_CFLAGS=-fomit-frame-pointer: stacks stop in main, so no libc frame
# is symbolized (with libc6-dbg installed, libdw then does not load libc's
# DWARF: see README "Benchmark").
set -euo pipefail
cd "$(dirname "$0")/.."

INTERVAL=${INTERVAL:-2}
BIN=build/bench/holder
mkdir -p build/bench
cc -O2 -g ${HOLDER_CFLAGS:--fno-omit-frame-pointer} -o "$BIN" bench/holder.c
[ "$(id -u)" = 0 ] || { echo "bench/cost.sh: needs root" >&2; exit 1; }
counts=("$@")
[ ${#counts[@]} -gt 0 ] || counts=(100000 1000000)
ages=(500 0)

tmp=$(mktemp -d)
pids=()
cleanup() {
	local p
	for p in "${pids[@]}"; do
		kill -KILL "$p" 2>/dev/null || true
	done
	wait 2>/dev/null || true
	rm -rf "$tmp"
}
trap cleanup EXIT

die() { echo "bench/cost.sh: $*" >&2; exit 1; }

# status_kib PID FIELD: a field of /proc/PID/status, in KiB.
status_kib() { awk -v f="$2:" '$1 == f { print $2 }' "/proc/$1/status"; }

# wait_until SECONDS CMD...: retry CMD every 100 ms.
wait_until() {
	local deadline=$((SECONDS + $1))
	shift
	until "$@"; do
		[ "$SECONDS" -lt "$deadline" ] || die "timed out: $*"
		sleep 0.1
	done
}
reports() { grep -c '"type":"report"' "$1" 2>/dev/null || true; }
more_reports_than() { [ "$(reports "$1")" -gt "$2" ]; }
nth_report() { grep '"type":"report"' "$1" | sed -n "$2p"; }

printf '%-9s %-6s %10s %10s %12s %12s\n' "live" "-o" "VmRSS" "VmHWM" "report CPU" "CPU/interval"
for n in "${counts[@]}"; do
	rm -f "$tmp"/*
	"$BIN" "$n" "$tmp/go" "$tmp/ready" &
	holder=$!
	pids=("$holder")
	tracers=()
	for age in "${ages[@]}"; do
		./memleakbpf -v ${COST_ARGS:-} --format json -o "$age" --max-allocs $((n + n / 4 + 1024)) \
			-p "$holder" "$INTERVAL" >"$tmp/out$age" 2>"$tmp/err$age" &
		tracers+=("$!")
		pids+=("$!")
		wait_until 30 grep -q 'memleakbpf: tracing' "$tmp/err$age"
	done
	touch "$tmp/go"
	# Under uprobes each malloc is a trap (two tracers: ~60 us here).
	wait_until 900 test -e "$tmp/ready"
	for i in "${!ages[@]}"; do
		age=${ages[$i]}
		base[$i]=$(reports "$tmp/out$age")
	done
	for i in "${!ages[@]}"; do
		age=${ages[$i]}
		# Two full reports after the last allocation; the second is measured.
		wait_until 60 more_reports_than "$tmp/out$age" $((base[i] + 1))
		rss[$i]=$(status_kib "${tracers[$i]}" VmRSS)
		hwm[$i]=$(status_kib "${tracers[$i]}" VmHWM)
	done
	for i in "${!ages[@]}"; do
		age=${ages[$i]}
		prev=$(nth_report "$tmp/out$age" $((base[i] + 1)))
		last=$(nth_report "$tmp/out$age" $((base[i] + 2)))
		live=$(jq '[.processes[].outstanding_allocs] | add' <<<"$last")
		[ "$live" = "$n" ] || die "tracer saw $live live allocations, not $n"
		printf '%-9s %-6s %6d KiB %6d KiB %9.1f ms %9.1f ms\n' "$n" "$age" "${rss[$i]}" "${hwm[$i]}" \
			"$(jq '.tracer.report_cpu_s * 1000' <<<"$last")" \
			"$(jq -n --argjson a "$prev" --argjson b "$last" '($b.tracer.cpu_s - $a.tracer.cpu_s) * 1000')"
	done
	for p in "${pids[@]}"; do
		kill -KILL "$p" 2>/dev/null || true
		wait "$p" 2>/dev/null || true
	done
	pids=()
done
echo "goals: tracer RSS <= 16 MiB at 100 000 live allocations; a report over 1 000 000 in <= 200 ms CPU"
