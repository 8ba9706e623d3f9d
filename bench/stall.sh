#!/usr/bin/env bash
# Does a report stall the host?  (issue 17: no report may hold a CPU for more
# than ~5 ms at 1 000 000 live allocations.)
# bench/holder.c makes N allocations of 32 bytes under the tracer (age filter
# -o 500: every report sums every live record; a report every second), the
# tracer pinned to CPU STALL_CPU.  bench/wakeprobe.c, a SCHED_FIFO task on
# the same CPU asking to wake up every millisecond, then measures for
# STALL_SECONDS how late it wakes up: once with the tracer reporting, once
# with the tracer gone (the machine's own noise).  A report that stays in
# the kernel without a preemption point for X ms shows as ~X ms late.
#   bash bench/stall.sh [N]          (root; default N 1000000)
#   TRACER=/path/to/memleakbpf       another build (e.g. before a change)
# Attaching probes system-wide: run it under the integration tests' lock
# (flock /tmp/memleakbpf-it.lock bash bench/stall.sh).
set -euo pipefail
cd "$(dirname "$0")/.."

N=${1:-1000000}
CPU=${STALL_CPU:-1}
SECS=${STALL_SECONDS:-8}
TRACER=${TRACER:-./memleakbpf}
mkdir -p build/bench
cc -O2 -g -fno-omit-frame-pointer -o build/bench/holder bench/holder.c
cc -O2 -g -Wall -o build/bench/wakeprobe bench/wakeprobe.c
[ "$(id -u)" = 0 ] || { echo "bench/stall.sh: needs root" >&2; exit 1; }

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
die() { echo "bench/stall.sh: $*" >&2; exit 1; }
wait_until() {
	local deadline=$((SECONDS + $1))
	shift
	until "$@"; do
		[ "$SECONDS" -lt "$deadline" ] || die "timed out: $*"
		sleep 0.1
	done
}
reports() { grep -c '"type":"report"' "$tmp/out" 2>/dev/null || true; }
more_reports_than() { [ "$(reports)" -gt "$1" ]; }

build/bench/holder "$N" "$tmp/go" "$tmp/ready" &
holder=$!
pids+=("$holder")
taskset -c "$CPU" "$TRACER" -v --format json -o 500 --max-allocs $((N + N / 4 + 1024)) \
	-p "$holder" 1 >"$tmp/out" 2>"$tmp/err" &
tracer=$!
pids+=("$tracer")
wait_until 60 grep -q 'memleakbpf: tracing' "$tmp/err"
touch "$tmp/go"
wait_until 900 test -e "$tmp/ready"
# One full report after the last allocation, then measure over several.
base=$(reports)
wait_until 60 more_reports_than $((base + 1))
base=$(reports)
timeout -s INT "$SECS" perf trace -s -e bpf -p "$tracer" -o "$tmp/perf" 2>/dev/null &
perf=$!
pids+=("$perf")
during=$(build/bench/wakeprobe "$CPU" "$SECS")
wait "$perf" || true
made=$(($(reports) - base))
# bpf  CALLS [ERRORS] TOTAL MIN AVG MAX STDDEV (ms): the max column.
longest=$(awk '$1 == "bpf" { print $(NF - 1) }' "$tmp/perf")
last=$(grep '"type":"report"' "$tmp/out" | tail -1)
live=$(jq '[.processes[].outstanding_allocs] | add' <<<"$last")
[ "$live" = "$N" ] || die "the tracer saw $live live allocations, not $N"
[ "$made" -ge 2 ] || die "only $made reports while measuring"
cpu_ms=$(jq '.tracer.report_cpu_s * 1000' <<<"$last")
kill -INT "$tracer"
wait "$tracer" || true
quiet=$(build/bench/wakeprobe "$CPU" "$SECS")

echo "$N live allocations, $TRACER, CPU $CPU, ${SECS} s each:"
printf '  %-34s %s\n' "during $made reports ($(printf '%.1f' "$cpu_ms") ms CPU each):" "$during"
printf '  %-34s %s\n' "no tracer (the machine's noise):" "$quiet"
printf '  %-34s %s ms\n' "tracer's longest bpf() call:" "${longest:-?}"
echo "goal: no report holds a CPU for more than ~5 ms (max_late_us <= ~5000 above the noise)"
