# --listen: /metrics read by curl, promtool and a real Prometheus server,
# /debug/pprof/heap read by go tool pprof over HTTP, bad clients that must
# not stall the tracer, and the alerting rules under promtool.
# Target: fleet_leak N SIZE STEP_MS HOLD_MS: leak_half allocates 2N blocks of
# SIZE from one stack and frees every other one, so it holds N * SIZE.

# A TCP port nothing listens on (the tests run one at a time, under the lock).
free_port() {
	local p
	while :; do
		p=$((20000 + RANDOM % 20000))
		ss -Hltn "sport = :$p" | grep -q . || { echo "$p"; return; }
	done
}

# Debian's python3 (test-deps): a version manager's shim in PATH can take
# seconds to start on a loaded machine.
fleet_python() {
	if [ -x /usr/bin/python3 ]; then /usr/bin/python3 "$@"; else python3 "$@"; fi
}

# go tool pprof with a scratch home: no network, nothing left behind.
fleet_pprof() {
	HOME=$T/home GOCACHE=$T/gocache GOPATH=$T/gopath GOTOOLCHAIN=local GOFLAGS= \
		go tool pprof "$@" 2>"$T/pprof.err"
}

# metric_value URL SERIES_REGEX: the value of the first series matching.
metric_value() {
	curl -sf --max-time 2 "$1" | awk -v re="$2" '$0 ~ re { print $NF; exit }'
}

# has_line REGEX WHAT: a whole line of $body matches REGEX (extended).
has_line() {
	grep -qxE -- "$1" <<<"$body" || fail "$2: no line /$1/ in: $(grep -v '^#' <<<"$body" | head -c 1500)"
}

metric_is() { # URL SERIES_REGEX VALUE
	[ "$(metric_value "$1" "$2")" = "$3" ]
}

# Served exactly where told, with every kind of figure, exact; the profile
# over HTTP with both views, exact; and a real Prometheus scraping it.
test_fleet_metrics_pprof_prometheus() {
	local port pport url exe line pid body top raw cfg q value
	need_cmd curl go promtool prometheus ss
	port=$(free_port)
	url=http://127.0.0.1:$port
	exe=$(target fleet_leak)
	line=$(src_line HALF_LINE fleet_leak.c)

	# Prometheus first: it scrapes every second from the moment it is up.
	pport=$(free_port)
	while [ "$pport" = "$port" ]; do pport=$(free_port); done
	cfg=$T/prometheus.yml
	cat >"$cfg" <<-EOF
	global:
	  scrape_interval: 1s
	  evaluation_interval: 1s
	scrape_configs:
	  - job_name: memleakbpf
	    static_configs:
	      - targets: ['127.0.0.1:$port']
	EOF
	prometheus --config.file="$cfg" --storage.tsdb.path="$T/tsdb" \
		--web.listen-address=127.0.0.1:$pport >"$T/prometheus.log" 2>&1 &
	IT_BG+=("$!")
	WAIT_SECS=20 wait_for curl -sf --max-time 1 -o /dev/null "http://127.0.0.1:$pport/-/ready" ||
		fail "Prometheus not ready: $(tail -n 3 "$T/prometheus.log" | tr '\n' ' ')"

	# 20 blocks kept of 40 allocated, one every 250 ms: 5 s of steady growth.
	tracer_bg -v -o 0 --format json --listen 127.0.0.1:$port --metrics-stacks 3 \
		-c "$exe 20 4000 250 30000" 0.5
	tracer_attached
	pid=$(pgrep -P "$TR_PID" -x fleet_leak) || fail "no target process"

	# Bound only to the address given.
	assert_eq "127.0.0.1:$port" "$(ss -Hltnp | awk -v p="pid=$TR_PID," 'index($0, p) { print $4 }')" \
		"listening sockets of the tracer"

	WAIT_SECS=15 wait_for metric_is "$url/metrics" \
		"^memleakbpf_process_outstanding_bytes\\{pid=\"$pid\",comm=\"fleet_leak\"" 80000 ||
		fail "outstanding bytes never 80000: $(curl -s "$url/metrics" | grep outstanding_bytes)"
	body=$(curl -sf -D "$T/headers" "$url/metrics") || fail "GET /metrics failed"
	assert_match $'Content-Type: text/plain; version=0\\.0\\.4' "$(cat "$T/headers")" "content type"
	promtool check metrics <<<"$body" >"$T/lint" 2>&1 || fail "promtool check metrics: $(head -c 500 "$T/lint")"
	has_line "memleakbpf_process_outstanding_allocations\\{pid=\"$pid\",comm=\"fleet_leak\"[^}]*\\} 20" \
		"outstanding allocations"
	has_line "memleakbpf_stack_outstanding_bytes\\{pid=\"$pid\",stack=\"[0-9a-f]{16}\",function=\"leak_half\",kind=\"malloc\"\\} 80000" \
		"stack series"
	has_line 'memleakbpf_calls_total\{call="allocs"\} 40' "allocations counted"
	has_line 'memleakbpf_calls_total\{call="frees"\} 20' "frees counted"
	has_line 'memleakbpf_lost_total\{reason="alloc_map_full"\} 0' "a loss counter"
	assert_eq 8 "$(grep -c '^memleakbpf_lost_total{' <<<"$body")" "loss counters"
	has_line 'memleakbpf_build_info\{version="[^"]+",git="[^"]*",libbpf="[0-9.]+",mode="precise"\} 1' \
		"build info"
	has_line 'memleakbpf_tracer_resident_memory_bytes [1-9][0-9]*' "tracer RSS"
	has_line 'memleakbpf_tracer_cpu_seconds_total [0-9.]+' "tracer CPU"
	has_line "memleakbpf_process_rss_bytes\\{pid=\"$pid\"[^}]*\\} [1-9][0-9]*" "RSS of the target"

	# go tool pprof straight from the endpoint: both views, exact.
	raw=$(fleet_pprof -raw "$url/debug/pprof/heap") || fail "go tool pprof -raw: $(head -c 300 "$T/pprof.err")"
	assert_match 'alloc_objects/count alloc_space/bytes inuse_objects/count inuse_space/bytes\[dflt\]' \
		"$raw" "sample types, inuse_space the default"
	assert_match $'\n +40 +160000 +20 +80000: ' "$raw" "values: 40 allocated, 20 held"
	assert_match "leak_half [^ ]*tests/targets/fleet_leak\\.c:$line " "$raw" "file:line of leak_half"
	assert_match "comm:\\[fleet_leak\\]" "$raw" "comm label"
	assert_match "pid:\\[$pid\\]" "$raw" "pid label"
	top=$(fleet_pprof -unit=B -sample_index=alloc_space -top "$url/debug/pprof/heap") ||
		fail "go tool pprof alloc_space: $(head -c 300 "$T/pprof.err")"
	assert_match 'Type: alloc_space' "$top" "alloc_space view"
	assert_match $'\n +160000B +100% +100% +160000B +100% +leak_half(\n|$)' "$top" "alloc_space of leak_half"
	top=$(fleet_pprof -unit=B -sample_index=inuse_space -top "$url/debug/pprof/heap")
	assert_match $'\n +80000B +100% +100% +80000B +100% +leak_half(\n|$)' "$top" "inuse_space of leak_half"
	top=$(fleet_pprof -sample_index=alloc_objects -top "$url/debug/pprof/heap")
	assert_match $'\n +40 +100% +100% +40 +100% +leak_half(\n|$)' "$top" "alloc_objects of leak_half"
	# Where profile scrapers look for memory by default: the same profile.
	raw=$(fleet_pprof -raw "$url/debug/pprof/allocs") || fail "go tool pprof on /debug/pprof/allocs"
	assert_match $'\n +40 +160000 +20 +80000: ' "$raw" "values at /debug/pprof/allocs"

	# The real Prometheus: the exact figure, and the growth it saw.
	q() {
		curl -sf --max-time 2 "http://127.0.0.1:$pport/api/v1/query" --data-urlencode "query=$1" |
			jq -r '.data.result[0].value[1] // empty'
	}
	prom_has() { [ "$(q "memleakbpf_process_outstanding_bytes{comm=\"fleet_leak\",pid=\"$pid\"}")" = 80000 ]; }
	WAIT_SECS=15 wait_for prom_has ||
		fail "Prometheus never had 80000 outstanding bytes: $(q 'memleakbpf_process_outstanding_bytes') ($(tail -n 3 "$T/prometheus.log" | tr '\n' ' '))"
	# The growth is there once a scrape fell inside it: waited for, not taken once.
	prom_growth() {
		value=$(q "max_over_time(memleakbpf_process_growth_bytes_per_second{comm=\"fleet_leak\"}[1m])")
		[ -n "$value" ] && awk -v v="$value" 'BEGIN { exit !(v > 0) }'
	}
	WAIT_SECS=10 wait_for prom_growth || fail "Prometheus saw no growth: '$value'"
	assert_eq 1 "$(q 'up{job="memleakbpf"}')" "scrape target up"
	value=$(q "memleakbpf_stack_outstanding_bytes{function=\"leak_half\",pid=\"$pid\"}")
	assert_eq 80000 "$value" "stack series in Prometheus"

	kill -INT "$TR_PID"
	tracer_wait 10
	assert_eq 0 "$TR_RC" "exit code (stderr: $(head -c 300 "$TR_ERR"))"
	curl -s --max-time 1 "$url/metrics" >/dev/null && fail "still served after the tracer exited"
	true
}

# Unknown paths, wrong methods, huge headers, idle and slow clients, more
# connections than allowed: answered or refused, and all the while the
# reports keep their schedule.
test_fleet_bad_clients() {
	local port url exe n0 n1 code
	need_cmd curl python3 ss
	port=$(free_port)
	url=http://127.0.0.1:$port
	exe=$(target fleet_leak)
	tracer_bg -v -o 0 --format json --listen 127.0.0.1:$port -c "$exe 5 1000 10 30000" 0.2
	tracer_attached
	WAIT_SECS=10 wait_for curl -sf --max-time 1 -o /dev/null "$url/metrics" || fail "never served"

	assert_eq 404 "$(curl -s -o /dev/null -w '%{http_code}' "$url/nothing")" "unknown path"
	assert_eq 405 "$(curl -s -o /dev/null -w '%{http_code}' -X POST -d x=1 "$url/metrics")" "POST"
	assert_eq 200 "$(curl -s -o /dev/null -w '%{http_code}' -I "$url/debug/pprof/heap")" "HEAD"
	code=$(curl -s -o /dev/null -w '%{http_code}' -H "X-Big: $(head -c 100000 /dev/zero | tr '\0' a)" "$url/metrics")
	[[ $code =~ ^(413|431|400)$ ]] || fail "a 100 kB header got $code"

	# 40 clients (the server takes 32, 8 per address): half send part of a
	# request and stop, half send nothing; held for 3 s.
	fleet_python - "$port" >"$T/clients.out" 2>&1 <<-'EOF' &
	import socket, sys, time
	held = []
	for i in range(40):
	    try:
	        s = socket.create_connection(("127.0.0.1", int(sys.argv[1])), timeout=1)
	        if i % 2:
	            s.sendall(b"GET /metrics HTTP/1.1\r\nHost: x\r\nX-Slow: ")
	        held.append(s)
	    except OSError:
	        pass
	print("held", len(held), flush=True)
	time.sleep(3)
	EOF
	IT_BG+=("$!")
	WAIT_SECS=20 wait_for grep -q held "$T/clients.out" || fail "clients did not connect: $(head -c 300 "$T/clients.out")"
	n0=$(grep -c '"type":"report"' "$TR_OUT")
	# Reports every 0.2 s go on while 40 clients hang: a loop stalled by
	# them would write none (waiting for the count, not for a time).
	WAIT_SECS=20 wait_for eval '[ "$(grep -c "\"type\":\"report\"" "$TR_OUT")" -ge $((n0 + 6)) ]' ||
		fail "reports stopped while 40 clients hang (from $n0: $(grep -c '"type":"report"' "$TR_OUT"))"
	wait "${IT_BG[-1]}" 2>/dev/null
	WAIT_SECS=10 wait_for curl -sf --max-time 1 -o /dev/null "$url/metrics" ||
		fail "not served again after the clients left"

	# Many requests in a row: each a whole, current body.
	for n in $(seq 20); do
		curl -sf --max-time 2 "$url/metrics" | grep -q '^memleakbpf_build_info{' || fail "request $n: no build info"
	done
	kill -INT "$TR_PID"
	tracer_wait 10
	assert_eq 0 "$TR_RC" "exit code (stderr: $(head -c 300 "$TR_ERR"))"
	final_report
}

# A port taken: one line, exit 1, before anything is attached.  A name
# instead of an address: exit 2.  IPv6 loopback works.
test_fleet_listen_errors() {
	local port
	need_cmd python3 curl
	port=$(free_port)
	fleet_python -c 'import socket, sys, time
s = socket.socket(); s.bind(("127.0.0.1", int(sys.argv[1]))); s.listen(1)
print("up", flush=True); time.sleep(60)' "$port" >"$T/holder.out" &
	IT_BG+=("$!")
	WAIT_SECS=20 wait_for grep -q up "$T/holder.out" || fail "port holder did not start: $(head -c 300 "$T/holder.out")"
	tracer --listen 127.0.0.1:$port -p $$
	assert_error 1
	assert_match "^memleakbpf: cannot listen on 127\\.0\\.0\\.1:$port: " "$(cat "$TR_ERR")" "message"
	# Nor does a second tracer share a port the first one serves on.
	port=$(free_port)
	tracer_bg -o 0 --format json --listen 127.0.0.1:$port -c "$(target fleet_leak) 2 100 1 30000" 0.2
	local first=$TR_PID
	WAIT_SECS=10 wait_for curl -sf --max-time 1 -o /dev/null "http://127.0.0.1:$port/metrics" ||
		fail "first tracer not serving"
	tracer --listen 127.0.0.1:$port -p $$
	assert_error 1
	kill -INT "$first"
	TR_PID=$first tracer_wait 10
	tracer --listen localhost:$port -p $$
	assert_error 2
	tracer --listen 127.0.0.1:0 -p $$
	assert_error 2

	port=$(free_port)
	tracer_bg -o 0 --format json --listen "[::1]:$port" -c "$(target fleet_leak) 2 100 1 30000" 0.2
	WAIT_SECS=10 wait_for curl -sf --max-time 1 -o /dev/null "http://[::1]:$port/metrics" ||
		fail "not served on [::1]:$port ($(head -c 300 "$TR_ERR"))"
	curl -s --max-time 1 -o /dev/null "http://127.0.0.1:$port/metrics" && fail "served on IPv4 too"
	kill -INT "$TR_PID"
	tracer_wait 10
	assert_eq 0 "$TR_RC" "exit code"
}

# The alerting rules: valid, and their unit tests pass (promtool).
test_fleet_alert_rules() {
	local rules=$IT_ROOT/dist/prometheus
	need_cmd promtool
	promtool check rules "$rules/memleakbpf.rules.yml" >"$T/check" 2>&1 ||
		fail "promtool check rules: $(head -c 500 "$T/check")"
	(cd "$rules" && promtool test rules memleakbpf.rules.test.yml) >"$T/test" 2>&1 ||
		fail "promtool test rules: $(head -c 1000 "$T/test")"
}

# memleakbpf-static serves too: libmicrohttpd linked in, TLS left out
# (user/serve/no_tls.c).
test_fleet_static_binary() {
	local port url exe
	need_cmd curl
	[ -x "$IT_ROOT/memleakbpf-static" ] || fail "memleakbpf-static not built (make static)"
	port=$(free_port)
	url=http://127.0.0.1:$port
	exe=$(target fleet_leak)
	MEMLEAKBPF=$IT_ROOT/memleakbpf-static tracer_bg -o 0 --format json --listen 127.0.0.1:$port \
		-c "$exe 5 1000 10 30000" 0.3
	WAIT_SECS=15 wait_for metric_is "$url/metrics" \
		"^memleakbpf_process_outstanding_bytes\\{pid=\"[0-9]+\",comm=\"fleet_leak\"" 5000 ||
		fail "static: outstanding bytes never 5000 ($(head -c 300 "$TR_ERR"))"
	curl -sf --max-time 2 -o "$T/heap.pb.gz" "$url/debug/pprof/heap" || fail "static: no profile"
	gzip -t "$T/heap.pb.gz" || fail "static: profile not gzip"
	kill -INT "$TR_PID"
	tracer_wait 10
	assert_eq 0 "$TR_RC" "exit code (stderr: $(head -c 300 "$TR_ERR"))"
}

# A stack the unwinder could not follow (deep_nofp under --unwind fp: only
# level_e is certain) gets a "[truncated]" frame of its own, outermost, in
# folded and in pprof output.
test_fleet_truncated_frame() {
	local fmt pid raw
	need_cmd go
	for fmt in folded pprof; do
		rm -f "$T/go"
		start_target pid "$(target deep_nofp)" 3 1000 "$T/go"
		tracer_bg -v --unwind fp --format "$fmt" --output "$T/out.$fmt" -o 0 -p "$pid" 0.2
		tracer_attached
		touch "$T/go"
		wait_pid "$pid" 20
		tracer_wait 20
		assert_eq 0 "$TR_RC" "tracer exit code (stderr: $(head -c 300 "$TR_ERR"))"
	done
	assert_eq "[truncated];level_e 3000" "$(grep level_e "$T/out.folded")" "folded line"
	raw=$(fleet_pprof -raw "$T/out.pprof") || fail "go tool pprof -raw: $(head -c 300 "$T/pprof.err")"
	assert_match $'\n +3 +3000 +3 +3000: ([0-9]+) ([0-9]+) *\n' "$raw" "sample of level_e"
	local inner=${BASH_REMATCH[1]} outer=${BASH_REMATCH[2]}
	assert_match $'\n +'"$inner"$': [^\n]* level_e ' "$raw" "first location: level_e"
	assert_match $'\n +'"$outer"$': [^\n]*\\[truncated\\] ' "$raw" "second location: [truncated]"
}
