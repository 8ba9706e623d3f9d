#!/usr/bin/env bash
# What -k costs a system-call-heavy program: bench/kchurn.c (pipes,
# socketpairs, files in a tmpfs made and dropped, ITERS rounds) untraced,
# under -k -p (its own kernel allocations recorded, the rest of the host
# filtered in BPF), untraced while -k -p traces another (idle) process
# (what the rest of the host pays: the filter), and under -k host-wide
# (every kernel allocation of the host recorded; also --sample-bytes 512k).  ROUNDS interleaved rounds (bench/lib.sh); prints
# the median ns per round of each mode and the ratios to untraced.
# Needs root; run it under the integration tests' lock on a shared host.
#
#   bash bench/kernel.sh                 ITERS=20000 ROUNDS=5
#   MEMLEAKBPF=/path/to/memleakbpf bash bench/kernel.sh
set -uo pipefail
cd "$(dirname "$0")/.."
. bench/lib.sh

ITERS=${ITERS:-20000}
ROUNDS=${ROUNDS:-5}
MEMLEAKBPF=${MEMLEAKBPF:-./memleakbpf}
BIN=build/bench/kchurn
mkdir -p build/bench
cc -O2 -g -o "$BIN" bench/kchurn.c || exit 1
tmp=$(mktemp -d)
dir=$(mktemp -d /dev/shm/kchurn.XXXXXX)
trap 'rm -rf "$tmp" "$dir"' EXIT

# tracer_up ARGS...: a tracer in the background, returns once attached.
tracer_up() {
	"$MEMLEAKBPF" -v "$@" --format json 3600 >"$tmp/out" 2>"$tmp/err" &
	tr=$!
	until grep -q 'tracing [0-9]* process' "$tmp/err"; do
		kill -0 "$tr" 2>/dev/null || { cat "$tmp/err" >&2; exit 1; }
		sleep 0.05
	done
}

tracer_down() {
	kill -INT "$tr"
	wait "$tr"
}

churn() { # churn [TRACER ARGS...]: ns per round
	rm -f "$tmp/go"
	"$BIN" "$ITERS" "$tmp/go" "$dir" >"$tmp/ns" &
	local pid=$!
	if [ "${1:-}" = -p ]; then
		tracer_up -k -p "$pid"
	fi
	touch "$tmp/go"
	wait "$pid"
	[ "${1:-}" = -p ] && tracer_down
	cat "$tmp/ns"
}

run_untraced() { churn; }
run_k_pid() { churn -p; }
run_k_other() { # what the rest of the host pays while -k -p traces another process
	sleep 3600 &
	local idle=$!
	tracer_up -k -p "$idle"
	churn
	tracer_down
	kill "$idle"
	wait "$idle" 2>/dev/null
}
run_k_host() {
	tracer_up -k
	churn
	tracer_down
}
run_k_host_sampled() {
	tracer_up -k --sample-bytes 512k
	churn
	tracer_down
}

interleave ns/round untraced k_other k_pid k_host k_host_sampled
printf '%-22s %12s %8s\n' mode ns/round ratio
for m in untraced k_other k_pid k_host k_host_sampled; do
	printf '%-22s %12s %8s\n' "$m" "${MEDIAN[$m]}" \
		"$(awk -v a="${MEDIAN[$m]}" -v b="${MEDIAN[untraced]}" 'BEGIN { printf "%.2f", a / b }')"
done
