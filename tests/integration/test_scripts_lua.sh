# Script frames: LuaJIT 2.1 functions in the allocation stacks of an nginx
# worker running Lua (Debian's nginx and libnginx-mod-http-lua, OpenResty's
# LuaJIT 2.1 GC64), from outside the process, attached with -p to a worker
# already serving.
#
# tests/targets/lua_leak.lua: /leak keeps 2 tables a request from
# lua_leak_site(), called as handle_leak() -> middle(); each is one direct
# mapping of LuaJIT's allocator of 200704 bytes, so counts and bytes are
# exact.  /churn maps 3 and collects them.  Lines: the "-- MARKER" comments.

LUA_TABLE_MAP=200704 # page_align(25001 * 8 + LuaJIT's chunk header and foot)

need_nginx_lua() {
	[ -x /usr/sbin/nginx ] && [ -f /usr/lib/nginx/modules/ngx_http_lua_module.so ] ||
		skip "needs nginx and libnginx-mod-http-lua (make test-deps)"
	need_cmd curl
}

lua_line() {
	local lines
	lines=$(grep -n -- "-- $1\$" "$TARGET_SRC/lua_leak.lua" | cut -d: -f1)
	[ -n "$lines" ] && [ "$(echo "$lines" | wc -l)" = 1 ] ||
		fail "marker -- $1 must occur once in lua_leak.lua"
	echo "$lines"
}

# nginx_start INIT_LUA: nginx (master and one worker) on a unix socket in
# $T, running INIT_LUA at start; NGX_WORKER is the worker's pid and
# NGX_LEAK_CONF_LINE the line of the /leak handler in nginx.conf.
nginx_start() {
	local mpid
	mkdir -p "$T/nginx/lua" "$T/nginx/tmp" "$T/nginx/logs"
	cp "$TARGET_SRC/lua_leak.lua" "$T/nginx/lua/"
	cat >"$T/nginx/nginx.conf" <<-CONF
	load_module /usr/lib/nginx/modules/ndk_http_module.so;
	load_module /usr/lib/nginx/modules/ngx_http_lua_module.so;
	daemon off;
	user root; # the scratch directory is private
	worker_processes 1;
	pid $T/nginx/nginx.pid;
	error_log $T/nginx/logs/error.log;
	events { worker_connections 64; }
	http {
		access_log off;
		client_body_temp_path $T/nginx/tmp;
		proxy_temp_path $T/nginx/tmp;
		fastcgi_temp_path $T/nginx/tmp;
		uwsgi_temp_path $T/nginx/tmp;
		scgi_temp_path $T/nginx/tmp;
		lua_package_path "$T/nginx/lua/?.lua;;";
		init_by_lua_block { $1 }
		server {
			listen unix:$T/nginx/sock;
			location /leak { content_by_lua_block { require("lua_leak").handle_leak() } }
			location /churn { content_by_lua_block { require("lua_leak").handle_churn() } }
			location /trace { content_by_lua_block { require("lua_leak").handle_trace() } }
		}
	}
	CONF
	NGX_LEAK_CONF_LINE=$(grep -n 'location /leak' "$T/nginx/nginx.conf" | cut -d: -f1)
	NGX_TRACE_CONF_LINE=$(grep -n 'location /trace' "$T/nginx/nginx.conf" | cut -d: -f1)
	start_target mpid /usr/sbin/nginx -p "$T/nginx" -c "$T/nginx/nginx.conf"
	WAIT_SECS=20 wait_for test -S "$T/nginx/sock" || fail "nginx did not start: $(tail -n 3 "$T/nginx/logs/error.log")"
	WAIT_SECS=20 wait_for pgrep -P "$mpid" -f 'nginx: worker' >/dev/null || fail "no nginx worker"
	NGX_WORKER=$(pgrep -P "$mpid" -f 'nginx: worker')
	adopt "$NGX_WORKER" # the master's SIGKILL leaves it running
	# The Lua VM (created in the master) and the module loaded, before tracing.
	ngx_get churn >/dev/null
}

# ngx_get PATH [N]: GET /PATH (N times, one connection; the bodies).
ngx_get() {
	local url="http://localhost/$1"
	[ -z "${2:-}" ] || url="$url?i=[1-$2]"
	curl -sf --max-time 20 --unix-socket "$T/nginx/sock" "$url" || fail "GET /$1 failed"
}

# lua_run WARM N TRACES TRACER ARGS...: WARM requests to /leak before a
# tracer attaches to the worker (the JIT compiles what runs hot), then N
# to /leak, N/4 to /churn and TRACES to /trace, and the final report
# while nginx runs.
lua_run() {
	local warm=$1 n=$2 traces=$3
	shift 3
	[ "$warm" = 0 ] || ngx_get leak "$warm" >/dev/null
	tracer_bg -v --format json -o 0 -p "$NGX_WORKER" "$@" 0.2
	tracer_attached 60
	ngx_get leak "$n" >/dev/null
	# A full collection walks every table kept: not every time.
	ngx_get churn $((n / 4 + 1)) >/dev/null
	[ "$traces" = 0 ] || ngx_get trace "$traces" >/dev/null
	assert_eq "kept $((2 * (warm + n + 1)))" "$(ngx_get leak)" "tables kept after $warm + $n + 1 requests"
	WAIT_SECS=20 wait_for grep -q '"type":"report"' "$TR_OUT" || fail "no report"
	kill -INT "$TR_PID"
	tracer_wait 20
	assert_eq 0 "$TR_RC" "tracer exit code (stderr: $(tail -n 3 "$TR_ERR" | tr '\n' ' '))"
	final_report
}

# "name@file:line" of each Lua frame of the stack $1 (JSON), innermost first.
lua_frames() {
	jq -c '[.frames[] | select(.runtime == "lua") |
		"\(.symbol)@\(.file | split("/") | last):\(.line)"]' <<<"$1"
}

# The interpreter: every Lua frame, each name, file and line exact.
test_lua_nginx_interpreter() {
	local n=20 stack want first
	need_nginx_lua
	nginx_start 'jit.off()'
	lua_run 0 "$n" 0
	grep -q "LuaJIT in .*libluajit-5\.1\.so.*, its state at 0x[0-9a-f]*: script frames" "$TR_ERR" ||
		fail "LuaJIT not found (-v): $(grep -i lua "$TR_ERR")"
	stack=$(jf -c '[.stacks[] | select(any(.frames[]; .symbol == "lua_leak_site"))]')
	assert_eq 1 "$(jq length <<<"$stack")" "stacks through lua_leak_site (all: $(jf -c '[.stacks[] | [.kind, .bytes, [.frames[] | .symbol][:12]]]'))"
	stack=$(jq -c '.[0]' <<<"$stack")
	# n + 1 requests of 2 tables each (the last one checks the count).
	assert_eq mmap "$(jq -r .kind <<<"$stack")" "kind (LuaJIT maps its big blocks itself)"
	assert_eq $((2 * (n + 1))) "$(jq .allocs <<<"$stack")" "tables mapped by lua_leak_site"
	assert_eq $((2 * (n + 1) * LUA_TABLE_MAP)) "$(jq .bytes <<<"$stack")" "bytes of lua_leak_site"
	want="[\"lua_leak_site@lua_leak.lua:$(lua_line LUA_LEAK_LINE)\",\"middle@lua_leak.lua:$(lua_line LUA_MIDDLE_LINE)\",\"handle_leak@lua_leak.lua:$(lua_line LUA_HANDLE_LINE)\",\"main chunk@content_by_lua(nginx.conf:$NGX_LEAK_CONF_LINE):1\"]"
	assert_eq "$want" "$(lua_frames "$stack")" "Lua frames of the leaking stack, innermost first"
	# Inside the stack: the C function table.new called (native, in
	# libluajit) above, the VM that runs the chunk right below, then nginx.
	first=$(jq '[.frames[] | .runtime] | index("lua")' <<<"$stack")
	assert_gt "$first" 0 "index of the first Lua frame"
	assert_match 'libluajit-5\.1\.so' "$(jq -r ".frames[$((first - 1))].module" <<<"$stack")" "module of the frame above the Lua frames"
	assert_match 'libluajit-5\.1\.so' "$(jq -r ".frames[$((first + 4))].module" <<<"$stack")" "module of the frame below (the VM)"
	assert_eq null "$(jq ".frames[$first].addr" <<<"$stack")" "addr of a Lua frame"
	assert_eq 1 "$(jq '[.frames[] | select(.symbol == "ngx_http_lua_run_thread")] | length' <<<"$stack")" \
		"ngx_http_lua_run_thread below the Lua frames"
	# lua_churn_site's tables were collected: unmapped, nothing outstanding.
	assert_eq 0 "$(jf '[.stacks[] | select(any(.frames[]; .symbol == "lua_churn_site"))] | length')" \
		"stacks of lua_churn_site outstanding"
}

# The JIT on (nginx's default), warmed up: handle_leak() runs as a
# compiled trace with middle() and lua_leak_site() inlined, which have no
# frames on the Lua stack; they come back from the trace's snapshot for
# the machine code that called the allocator.  Counts, frames and lines
# are exact as interpreted.
test_lua_nginx_jit() {
	local n=60 got want
	need_nginx_lua
	nginx_start 'jit.on()'
	lua_run 200 "$n" 20
	got=$(jf --argjson m "$LUA_TABLE_MAP" '[.stacks[] | select(.kind == "mmap" and .bytes == .allocs * $m) | .allocs] | add')
	assert_eq $((2 * (n + 1))) "$got" "tables of $LUA_TABLE_MAP bytes mapped"
	want="[\"lua_leak_site@lua_leak.lua:$(lua_line LUA_LEAK_LINE)\",\"middle@lua_leak.lua:$(lua_line LUA_MIDDLE_LINE)\",\"handle_leak@lua_leak.lua:$(lua_line LUA_HANDLE_LINE)\",\"main chunk@content_by_lua(nginx.conf:$NGX_LEAK_CONF_LINE):1\"]"
	got=$(jf -c --argjson m "$LUA_TABLE_MAP" '[.stacks[] | select(.kind == "mmap" and .bytes == .allocs * $m) |
		[.frames[] | select(.runtime == "lua") | "\(.symbol)@\(.file | split("/") | last):\(.line)"]] | unique')
	assert_eq "[$want]" "$got" "Lua frames of every stack of the tables"
	# Some from the trace's machine code (no module: the native walk ends there).
	assert_gt "$(jf --argjson m "$LUA_TABLE_MAP" '[.stacks[] | select(.kind == "mmap" and .bytes == .allocs * $m and
		any(.frames[]; .runtime == "native" and .module == null)) | .allocs] | add // 0')" 0 \
		"tables mapped from compiled code"
	# The heap's growth from inside a compiled loop: the allocator called
	# from its machine code, the Lua frames from the loop's function out.
	got=$(jf -c '[.stacks[] | select(.kind == "mmap" and any(.frames[]; .runtime == "native" and .module == null) and
		any(.frames[]; .symbol == "lua_trace_site"))] | .[0]')
	[ "$got" != null ] || fail "no mapping made from the trace's machine code (stacks: $(jf -c '[.stacks[] | [.kind, .bytes, [.frames[] | .symbol][:12]]]'))"
	want="[\"lua_trace_site@lua_leak.lua:$(lua_line LUA_TRACE_LINE)\",\"handle_trace@lua_leak.lua:$(lua_line LUA_TRACE_CALL_LINE)\",\"main chunk@content_by_lua(nginx.conf:$NGX_TRACE_CONF_LINE):1\"]"
	assert_eq "$want" "$(lua_frames "$got")" "Lua frames of the trace's mapping"
}

# LuaJIT mapped but no Lua state of the known layout (a 32-bit-GC build,
# or none made): one line says so after a bounded number of looks, the
# stacks are native and exact.
test_lua_no_state() {
	local pid line
	[ -e /usr/lib/x86_64-linux-gnu/libluajit-5.1.so.2 ] ||
		skip "needs libluajit-5.1.so.2 (libluajit2-5.1-2, make test-deps)"
	start_target pid "$(target luajit_nostate)" 9 3000 5000 "$T/go"
	tracer_bg -v --format json -o 0 -p "$pid" 0.2
	tracer_attached 60
	touch "$T/go"
	line=$(src_line LEAK_LINE luajit_nostate.c)
	WAIT_SECS=30 wait_for test -e "$T/go.done" || fail "luajit_nostate did not finish"
	WAIT_SECS=20 wait_for grep -q '"bytes":27000' "$TR_OUT" || fail "leak not reported"
	kill -INT "$TR_PID"
	tracer_wait 20
	final_report
	assert_match "^memleakbpf: pid $pid: LuaJIT in .*/libluajit-5\.1\.so\.2[.0-9]*, but no Lua state of its 64-bit \(GC64\) layout found: no script frames for this version, native frames only\$" \
		"$(grep 'Lua state' "$TR_ERR")" "the notice, once"
	assert_stack nostate_leak_fn 27000 9 "$line" luajit_nostate.c
	assert_eq '["native"]' "$(jq -c '[.[0].frames[].runtime] | unique' <<<"$STACK")" "runtimes"
}
