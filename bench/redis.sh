#!/usr/bin/env bash
# Growth mode on a real service: redis-benchmark against Debian's
# redis-server, untraced and with memleakbpf attached, interleaved rounds,
# median requests/s; printed as ratios against untraced.
#
#   ROUNDS=3 REQUESTS=200000 bash bench/redis.sh
#   MODES="untraced growth syscalls" bash bench/redis.sh   (a subset; syscalls:
#   growth mode at the syscall tracepoints, --syscalls)
set -euo pipefail
cd "$(dirname "$0")/.."
. bench/lib.sh

ROUNDS=${ROUNDS:-3}
REQUESTS=${REQUESTS:-200000}
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

rps() {
	redis-benchmark -s "$SOCK" -n "$REQUESTS" -c 20 -P 1 -t set,get -q 2>/dev/null |
		awk '/requests per second/ { for (i = 1; i <= NF; i++) if ($i ~ /^[0-9.]+$/) { s += $i; break } }
		     END { printf "%d\n", s / 2 }'
}

with_tracer() {
	./memleakbpf "$@" -p "$REDIS" --format json 3600 >/dev/null 2>&1 &
	TRACER=$!
	sleep 2
	rps
	kill -INT "$TRACER"
	wait "$TRACER" 2>/dev/null || true
	TRACER=
}

run_untraced() { rps; }
run_growth()   { with_tracer --mode growth; }
run_syscalls() { with_tracer --mode growth --syscalls; }
run_sampled()  { with_tracer --sample-bytes 512k; }
run_precise()  { with_tracer; }

read -ra MODES <<<"${MODES:-untraced growth syscalls sampled precise}"
interleave requests/s "${MODES[@]}"
u=${MEDIAN[untraced]}
echo "redis-benchmark -n $REQUESTS -c 20 -t set,get (mean of both), median of $ROUNDS rounds"
for mode in "${MODES[@]}"; do
	v=${MEDIAN[$mode]}
	awk -v m="$mode" -v v="$v" -v u="$u" 'BEGIN { printf "%-9s %10d requests/s  %6.3f of untraced\n", m, v, v / u }'
done
echo "goal: growth >= 0.98 of untraced"
