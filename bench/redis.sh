#!/usr/bin/env bash
# memleakbpf on a real service: redis-benchmark against Debian's
# redis-server (which allocates with Debian's libjemalloc2), untraced, under
# empty probes at the allocator's function entries (what bcc-style tools
# pay in traps alone), under empty probes where memleakbpf places them (the
# floor: --probe-floor), and under memleakbpf precise, sampled and growth.
# Interleaved rounds, median requests/s; printed as ratios to the placed
# floor and to untraced.
#
#   ROUNDS=3 REQUESTS=200000 bash bench/redis.sh
#   MODES="untraced growth syscalls" bash bench/redis.sh   (a subset; syscalls:
#   growth mode at the syscall tracepoints, --syscalls)
set -euo pipefail
cd "$(dirname "$0")/.."
. bench/lib.sh

ROUNDS=${ROUNDS:-3}
REQUESTS=${REQUESTS:-100000}
# Traps at the function entries are single-stepped: 10x fewer requests there.
ENTRY_REQUESTS=${ENTRY_REQUESTS:-$((REQUESTS / 10))}
SAMPLE=${SAMPLE:-512k}
MEMLEAKBPF=${MEMLEAKBPF:-./memleakbpf}  # another build: MEMLEAKBPF=path
DIR=$(mktemp -d /tmp/memleakbpf-redis.XXXXXX)
SOCK=$DIR/redis.sock
TRACER=

cleanup() {
	[ -n "$TRACER" ] && kill -INT "$TRACER" 2>/dev/null && wait "$TRACER" 2>/dev/null
	redis-cli -s "$SOCK" shutdown nosave >/dev/null 2>&1 || true
	rm -rf "$DIR"
}
trap cleanup EXIT

redis-server --port 0 --unixsocket "$SOCK" --save "" --appendonly no \
	--dir "$DIR" --daemonize no >"$DIR/redis.log" 2>&1 &
REDIS=$!
for _ in $(seq 50); do [ -S "$SOCK" ] && break; sleep 0.1; done

# rps [REQUESTS]: mean requests/s of SET and GET
rps() {
	redis-benchmark -s "$SOCK" -n "${1:-$REQUESTS}" -c 20 -P 1 -t set,get -q 2>/dev/null |
		awk '/requests per second/ { for (i = 1; i <= NF; i++) if ($i ~ /^[0-9.]+$/) { s += $i; break } }
		     END { printf "%d\n", s / 2 }'
}

# with_tracer REQUESTS ARGS...
with_tracer() {
	local n=$1
	shift
	"$MEMLEAKBPF" "$@" -p "$REDIS" --format json 3600 >/dev/null 2>&1 &
	TRACER=$!
	sleep 2
	rps "$n"
	kill -INT "$TRACER"
	wait "$TRACER" 2>/dev/null || true
	TRACER=
}

run_untraced()    { rps; }
run_floor_entry() { with_tracer "$ENTRY_REQUESTS" --probe-floor --probe-at-entry; }
run_floor()       { with_tracer "$REQUESTS" --probe-floor; }
# Sampled mode's floor: empty probes at the placed entries and frees, no
# return probe: what every call pays in traps whatever sampling does.
run_floor_sampled() { with_tracer "$REQUESTS" --probe-floor --sample-bytes "$SAMPLE"; }
run_precise()     { with_tracer "$REQUESTS"; }
run_sampled()     { with_tracer "$REQUESTS" --sample-bytes "$SAMPLE"; }
run_growth()      { with_tracer "$REQUESTS" --mode growth; }
run_syscalls()    { with_tracer "$REQUESTS" --mode growth --syscalls; }

read -ra MODES <<<"${MODES:-untraced floor_entry floor precise sampled growth}"
interleave requests/s "${MODES[@]}"
u=${MEDIAN[untraced]:-0}
f=${MEDIAN[floor]:-0}
echo "redis-benchmark -n $REQUESTS -c 20 -t set,get (mean of both), median of $ROUNDS rounds"
printf '%-14s %12s  %9s  %9s\n' mode requests/s "of floor" "of untraced"
for mode in "${MODES[@]}"; do
	awk -v m="$mode" -v v="${MEDIAN[$mode]}" -v u="$u" -v f="$f" 'BEGIN {
		printf "%-14s %12d  %9s  %9s\n", m, v, f ? sprintf("%.2f", v / f) : "-",
			u ? sprintf("%.2f", v / u) : "-" }'
done
p=${MEDIAN[precise]:-0}
s=${MEDIAN[sampled]:-0}
[ "$p" -gt 0 ] && [ "$s" -gt 0 ] &&
	awk -v s="$s" -v p="$p" 'BEGIN { printf "sampled / precise %.2f\n", s / p }'
fs=${MEDIAN[floor_sampled]:-0}
[ "$p" -gt 0 ] && [ "$fs" -gt 0 ] &&
	awk -v s="$fs" -v p="$p" 'BEGIN { printf "sampled floor / precise %.2f (the most any sampled mode reaches: its traps alone)\n", s / p }'
echo "goals: precise >= 0.7 of the placed floor, sampled >= 1.5 x precise, growth >= 0.98 of untraced"
