#!/usr/bin/env bash
# What --listen costs the tracer (README "Fleet"), root:
#   1. tracer RSS (VmRSS, VmHWM) and CPU over DURATION s of 1-s reports
#      on demo/leaky, without --listen and with it (nobody scraping: every
#      report is rendered for the endpoint anyway);
#   2. tracer CPU per request, SCRAPES requests of /metrics then of
#      /debug/pprof/heap over one keep-alive connection, minus the CPU the
#      tracer spends meanwhile without requests (rate from run 1).
#   bash bench/listen_cost.sh     DURATION=30 SCRAPES=2000 TOP=10
set -euo pipefail
cd "$(dirname "$0")/.."
[ "$(id -u)" = 0 ] || { echo "bench/listen_cost.sh: needs root" >&2; exit 1; }
DURATION=${DURATION:-30}
SCRAPES=${SCRAPES:-2000}
TOP=${TOP:-10}
PORT=${PORT:-19464}
make -s memleakbpf demo/leaky

tmp=$(mktemp -d)
tracer=""
demo=""
# The demo is started here, not by -c: a tracer that ends leaves its -c
# command running, and a run under flock would leave it holding the lock.
cleanup() {
	[ -z "$tracer" ] || kill -INT "$tracer" 2>/dev/null || true
	[ -z "$demo" ] || kill -KILL "$demo" 2>/dev/null || true
	wait 2>/dev/null || true
	rm -rf "$tmp"
}
trap cleanup EXIT

ticks() { awk '{ print $14 + $15 }' "/proc/$1/stat"; }
kib() { awk -v k="$2:" '$1 == k { print $2 }' "/proc/$1/status"; }
hz=$(getconf CLK_TCK)

run() { # LABEL ARGS...
	local label=$1 t0 t1
	shift
	[ -n "$demo" ] || { demo/leaky 3600 >/dev/null & demo=$!; }
	./memleakbpf -o 0 -T "$TOP" --format json --output /dev/null "$@" -p "$demo" 1 \
		2>"$tmp/err" &
	tracer=$!
	sleep 8 # attached (~2 s of CPU), first reports out
	t0=$(ticks "$tracer")
	sleep "$DURATION"
	t1=$(ticks "$tracer")
	CPU_RATE=$(awk -v a="$t0" -v b="$t1" -v hz="$hz" -v d="$DURATION" 'BEGIN { print (b - a) / hz / d }')
	printf '%-16s VmRSS %6s KiB  VmHWM %6s KiB  CPU %.2f%% of a core\n' "$label" \
		"$(kib "$tracer" VmRSS)" "$(kib "$tracer" VmHWM)" "$(awk -v r="$CPU_RATE" 'BEGIN { print r * 100 }')"
}

scrape() { # PATH: tracer CPU per request, in ms
	local t0 t1 s0 s1
	t0=$(ticks "$tracer")
	s0=$(date +%s.%N)
	/usr/bin/python3 - "$PORT" "$1" "$SCRAPES" >"$tmp/scrape" <<-'PY'
	import http.client, sys
	c = http.client.HTTPConnection("127.0.0.1", int(sys.argv[1]))
	size = 0
	for _ in range(int(sys.argv[3])):
	    c.request("GET", sys.argv[2])
	    r = c.getresponse()
	    size = len(r.read())
	    assert r.status == 200
	print(size)
	PY
	s1=$(date +%s.%N)
	t1=$(ticks "$tracer")
	awk -v a="$t0" -v b="$t1" -v hz="$hz" -v s0="$s0" -v s1="$s1" -v base="$CPU_RATE" \
		-v n="$SCRAPES" -v p="$1" -v size="$(cat "$tmp/scrape")" 'BEGIN {
		cpu = (b - a) / hz - base * (s1 - s0)
		printf "%-18s %d requests in %.1f s, %d bytes each: %.3f ms tracer CPU per request\n",
			p, n, s1 - s0, size, cpu / n * 1000 }'
}

run "without --listen"
kill -INT "$tracer"; wait "$tracer" || true; tracer=""
run "with --listen" --listen 127.0.0.1:$PORT
scrape /metrics
scrape /debug/pprof/heap
