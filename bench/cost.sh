#!/usr/bin/env bash
# The tracer's own cost with many live allocations (issue 7 goals):
#   - RSS of the tracer with 100 000 live allocations (goal <= 16 MiB);
#   - CPU time of one report over 1 000 000 live allocations (goal <= 200 ms).
# bench/holder.c makes N allocations under the tracer, then holds them; the
# tracer reports every INTERVAL s with the default age filter (so each report
# reads every live record).  Figures: the tracer's JSON "tracer" object
# (report_cpu_s: CPU time of building one report; cpu_s delta between two
# reports: everything the tracer did meanwhile) and /proc/PID/status
# (VmRSS now, VmHWM: peak since start).
#   bash bench/cost.sh [N...]      (default: 100000 1000000)
set -euo pipefail
cd "$(dirname "$0")/.."

INTERVAL=${INTERVAL:-2}
BIN=build/bench/holder
mkdir -p build/bench
cc -O2 -g -fno-omit-frame-pointer -o "$BIN" bench/holder.c
[ "$(id -u)" = 0 ] || { echo "bench/cost.sh: needs root" >&2; exit 1; }
counts=("$@")
[ ${#counts[@]} -gt 0 ] || counts=(100000 1000000)

tmp=$(mktemp -d)
holder=
tracer=
cleanup() {
	[ -z "$tracer" ] || kill -INT "$tracer" 2>/dev/null || true
	[ -z "$holder" ] || kill -KILL "$holder" 2>/dev/null || true
	wait 2>/dev/null || true
	rm -rf "$tmp"
}
trap cleanup EXIT

kib() { awk '/^'"$2"':/ { print $2 }' "/proc/$1/status"; }

# wait_until SECONDS CMD...: retry CMD every 100 ms.
wait_until() {
	local deadline=$((SECONDS + $1))
	shift
	until "$@"; do
		[ "$SECONDS" -lt "$deadline" ] || { echo "bench/cost.sh: timed out: $*" >&2; exit 1; }
		sleep 0.1
	done
}
reports() { grep -c '"type":"report"' "$tmp/out" 2>/dev/null || true; }
more_reports_than() { [ "$(reports)" -gt "$1" ]; }

printf '%-10s %10s %10s %10s %12s %12s %8s\n' "live" "VmRSS" "VmHWM" "rss_bytes" \
	"report_cpu" "cpu/interval" "stacks"
for n in "${counts[@]}"; do
	rm -f "$tmp/go" "$tmp/ready" "$tmp/out"
	"$BIN" "$n" "$tmp/go" "$tmp/ready" &
	holder=$!
	./memleakbpf -v --format json --max-allocs $((n + n / 4 + 1024)) -p "$holder" \
		"$INTERVAL" >"$tmp/out" 2>"$tmp/err" &
	tracer=$!
	wait_until 30 grep -q 'memleakbpf: tracing' "$tmp/err"
	touch "$tmp/go"
	# Under uprobes each malloc is a trap (~30 us here): 1M take ~30 s.
	wait_until 600 test -e "$tmp/ready"
	# Two full reports after the last allocation; the second is measured.
	base=$(reports)
	wait_until 60 more_reports_than $((base + 1))
	rss=$(kib "$tracer" VmRSS)
	hwm=$(kib "$tracer" VmHWM)
	kill -INT "$tracer"
	wait "$tracer" || true
	tracer=
	kill -KILL "$holder"
	wait "$holder" 2>/dev/null || true
	holder=
	last=$(grep '"type":"report"' "$tmp/out" | sed -n "$((base + 2))p")
	prev=$(grep '"type":"report"' "$tmp/out" | sed -n "$((base + 1))p")
	live=$(jq '[.processes[].outstanding_allocs] | add' <<<"$last")
	[ "$live" = "$n" ] || echo "bench/cost.sh: tracer saw $live live allocations, not $n" >&2
	printf '%-10s %7d KiB %7d KiB %6d KiB %9.1f ms %9.1f ms %8s\n' "$n" "$rss" "$hwm" \
		"$(jq '.tracer.rss_bytes / 1024' <<<"$last")" \
		"$(jq '.tracer.report_cpu_s * 1000' <<<"$last")" \
		"$(jq -n --argjson a "$prev" --argjson b "$last" '($b.tracer.cpu_s - $a.tracer.cpu_s) * 1000')" \
		"$(jq '.stacks_matched' <<<"$last")"
done
echo "goals: tracer RSS <= 16 MiB at 100 000 live allocations; one report over 1 000 000 in <= 200 ms CPU"
