# Output formats: folded stacks, pprof (read back by go tool pprof), the
# HTML page (rendered by headless Chromium), the live view (driven through
# tmux).  All on leak_exact: N blocks of SIZE bytes from leak_exact_fn.

# go tool pprof with a scratch home: no network, nothing left behind.
pprof() {
	HOME=$T/home GOCACHE=$T/gocache GOPATH=$T/gopath GOTOOLCHAIN=local GOFLAGS= \
		go tool pprof "$@" 2>"$T/pprof.err"
}

# build_id FILE: the GNU build id as readelf prints it.
build_id() {
	readelf -n "$1" | awk '/Build ID:/ { print $3 }'
}

test_folded_exact() {
	local out
	tracer --format folded -o 0 -c "$(target leak_exact) 25 4000 300" 0.2
	assert_eq 0 "$TR_RC" "exit code (stderr: $(head -c 300 "$TR_ERR"))"
	# Only the final report reaches stdout: concatenated snapshots would add up.
	assert_eq 1 "$(wc -l <"$TR_OUT")" "lines of folded output ($(head -c 300 "$TR_OUT"))"
	out=$(cat "$TR_OUT")
	assert_match '^([^ ;]+;)*main;leak_exact_fn 100000$' "$out" "folded line"
	# Unwound through libc (no frame pointers there) to the process's first frame.
	assert_match '^_start;__libc_start_main[^;]*;__libc_start_call_main;main;' "$out" \
		"outermost frame first"
}

# One line per stack, to --output: three leaks of known sizes.
test_folded_three_stacks() {
	tracer --format folded -o 0 --output "$T/f.folded" -c "$(target leak_sizes) 4 100 1000 10000 300" 0.2
	assert_eq 0 "$TR_RC" "exit code (stderr: $(head -c 300 "$TR_ERR"))"
	assert_eq 0 "$(wc -c <"$TR_OUT")" "bytes on stdout with --output"
	assert_eq 3 "$(wc -l <"$T/f.folded")" "lines ($(tr '\n' '|' <"$T/f.folded"))"
	assert_eq "leak_large 40000|leak_medium 4000|leak_small 400" \
		"$(sed 's/.*;//' "$T/f.folded" | paste -sd '|')" "innermost frames and bytes, ranked"
	assert_eq 3 "$(grep -c '^_start;__libc_start_main[^;]*;__libc_start_call_main;main;leak_[a-z]* [0-9]*$' "$T/f.folded")" "whole stacks"
}

test_pprof_go_tool() {
	local exe line top objs traces raw
	need_cmd go readelf
	exe=$(target leak_exact)
	line=$(src_line LEAK_LINE leak_exact.c)
	tracer --format pprof -o 0 --output "$T/leak.pb.gz" -c "$exe 25 4000 300" 0.2
	assert_eq 0 "$TR_RC" "exit code (stderr: $(head -c 300 "$TR_ERR"))"
	assert_eq 0 "$(wc -c <"$TR_OUT")" "bytes on stdout with --output"
	assert_eq "1f8b" "$(head -c 2 "$T/leak.pb.gz" | od -An -tx1 | tr -d ' \n')" "gzip magic"
	[ ! -e "$T/leak.pb.gz.tmp" ] || fail "temporary file left next to --output"

	top=$(pprof -unit=B -top "$T/leak.pb.gz") || fail "go tool pprof -top failed: $(cat "$T/pprof.err")"
	assert_match 'Type: inuse_space' "$top" "default sample type"
	assert_match $'\n +100000B +100% +100% +100000B +100% +leak_exact_fn(\n|$)' "$top" "flat bytes of leak_exact_fn"
	assert_match $'\n +0 +0% +100% +100000B +100% +main(\n|$)' "$top" "cumulative bytes of main"
	assert_match "Build ID: $(build_id "$exe")" "$top" "build id of the main mapping"
	objs=$(pprof -sample_index=inuse_objects -top "$T/leak.pb.gz")
	assert_match $'\n +25 +100% +100% +25 +100% +leak_exact_fn(\n|$)' "$objs" "inuse_objects of leak_exact_fn"

	traces=$(pprof -unit=B -traces "$T/leak.pb.gz") || fail "go tool pprof -traces failed"
	assert_match $'100000B +leak_exact_fn\n +main\n' "$traces" "trace: leak_exact_fn called from main"
	assert_match 'kind: +malloc' "$traces" "kind label"

	raw=$(pprof -raw "$T/leak.pb.gz")
	assert_match $'\n +25 +100000 +25 +100000: ' "$raw" "raw sample values: allocated, outstanding"
	assert_match "leak_exact_fn [^ ]*tests/targets/leak_exact\.c:$line " "$raw" "file:line of leak_exact_fn"
	assert_match 'PeriodType: space bytes' "$raw" "period type"
	assert_match 'Period: 1' "$raw" "period (every call traced)"
	assert_match "$exe $(build_id "$exe") \[FN\]\[FL\]\[LN\]" "$raw" "mapping: file, build id, symbolized"
	assert_match "libc\.so\.6 $(build_id /usr/lib/x86_64-linux-gnu/libc.so.6) " "$raw" "libc mapping build id"
}

# Continuous mode with pprof: one profile per report, at most --rotate-keep.
test_pprof_output_dir() {
	local n f
	need_cmd go
	tracer --format pprof -o 0 --output-dir "$T/out" --rotate-keep 3 \
		-c "$(target leak_exact) 7 1000 1500" 0.2
	assert_eq 0 "$TR_RC" "exit code (stderr: $(head -c 300 "$TR_ERR"))"
	n=$(find "$T/out" -name 'memleakbpf-*.pb.gz' | wc -l)
	assert_eq 3 "$n" "profiles kept ($(ls "$T/out" | tr '\n' ' '))"
	assert_eq 0 "$(find "$T/out" -name '.*' -type f | wc -l)" "temporary files left"
	# The last one is the final report: still the 7 blocks (held until exit).
	f=$(ls "$T/out"/memleakbpf-*.pb.gz | sort | tail -n 1)
	assert_match $'\n +7000B +100% +100% +7000B +100% +leak_exact_fn(\n|$)' \
		"$(pprof -unit=B -top "$f")" "final profile"
	# Sequence numbers show how many were written and pruned (> keep).
	assert_gt "$(basename "$f" | sed 's/.*-0*\([0-9]*\)\.pb\.gz/\1/')" 3 "profiles written"
}

# chromium_page ARGS... URL: headless Chromium with a scratch profile.
chromium_page() {
	timeout 90 chromium --headless --no-sandbox --disable-gpu --no-first-run \
		--user-data-dir="$T/chromium" --window-size=1200,900 "$@" 2>>"$T/chromium.err"
}

test_html_chromium() {
	local line dom verify nframes png
	need_cmd chromium python3
	line=$(src_line LEAK_LINE leak_exact.c)
	tracer --format json -o 0 --html "$T/page.html" -c "$(target leak_exact) 25 4000 300" 0.2
	assert_eq 0 "$TR_RC" "exit code (stderr: $(head -c 300 "$TR_ERR"))"
	final_report
	[ -s "$T/page.html" ] || fail "no page written at exit"
	if grep -Eq '(src|href)="?(https?:)?//' "$T/page.html"; then
		fail "the page loads something from the network: $(grep -Eo '(src|href)="?(https?:)?//[^"]*' "$T/page.html" | head -1)"
	fi
	nframes=$(jf '.stacks[0].frames | length')
	assert_eq 1 "$(jf '.stacks | length')" "stacks in the JSON of the same run"

	dom=$(chromium_page --dump-dom "file://$T/page.html") || fail "chromium --dump-dom failed: $(tail -n 3 "$T/chromium.err")"
	verify=$(grep -o '<div id="verify"[^>]*>[^<]*' <<<"$dom")
	[ -n "$verify" ] || fail "the page's script did not run (no verify element)"
	# The root, then one rectangle per frame of the one stack.
	assert_match "rects=$((nframes + 1)) total=100000 stacks=1 points=$(wc -l <"$TR_OUT") series=1 rows=1 zoom=all:100000\$" \
		"$verify" "what the page drew (one timeline point per report)"
	assert_match 'data-name="leak_exact_fn" data-bytes="100000"' "$dom" "flame rectangle of leak_exact_fn"
	assert_match "leak_exact_fn [^<]*tests/targets/leak_exact\.c:$line" "$dom" "table frame with file:line"
	assert_match '97\.7 KiB \(100000\)' "$dom" "table bytes"

	chromium_page --screenshot="$T/shot.png" "file://$T/page.html" >/dev/null ||
		fail "chromium --screenshot failed: $(tail -n 3 "$T/chromium.err")"
	png=$(python3 "$IT_ROOT/tests/integration/png_pixels.py" "$T/shot.png" 20 70 1180 $((70 + 18 * (nframes + 1)))) ||
		fail "screenshot not a PNG: $png"
	read -r w h warm other <<<"$png"
	assert_eq "1200 900" "$w $h" "screenshot size"
	# The frame rows are ~1160 px wide and 17 px high: most of them flame-coloured.
	assert_gt "$warm" $((nframes * 1100 * 12)) "flame-coloured pixels in the flame graph ($png)"
}

# rect_width DOM NAME: the width of the flame rectangle of frame NAME.
rect_width() {
	grep -o "<rect [^>]*data-name=\"$2\"" <<<"$1" | sed -n 's/.* width="\([0-9.]*\)".*/\1/p' | head -n 1
}

# Three stacks; zoomed (#zoom=NAME, what a click leaves in the address) on
# the smallest, it spans the width the whole graph had.
test_html_zoom() {
	local dom verify full small
	need_cmd chromium
	tracer --format json -o 0 --html "$T/page.html" -c "$(target leak_sizes) 4 100 1000 10000 300" 0.2
	assert_eq 0 "$TR_RC" "exit code (stderr: $(head -c 300 "$TR_ERR"))"
	dom=$(chromium_page --dump-dom "file://$T/page.html") || fail "chromium failed"
	assert_match 'zoom=all:44400$' "$(grep -o '<div id="verify"[^>]*>[^<]*' <<<"$dom")" "whole graph"
	full=$(rect_width "$dom" all)
	small=$(rect_width "$dom" leak_small)
	# 400 of 44400 bytes: under 1% of the width.
	assert_eq 1 "$(awk -v a="$small" -v f="$full" 'BEGIN { print (a > 0 && a < f / 100) }')" \
		"leak_small's width $small of $full"
	dom=$(chromium_page --dump-dom "file://$T/page.html#zoom=leak_small") || fail "chromium failed"
	verify=$(grep -o '<div id="verify"[^>]*>[^<]*' <<<"$dom")
	assert_match 'zoom=leak_small:400$' "$verify" "zoomed"
	assert_eq "$full" "$(rect_width "$dom" leak_small)" "leak_small's width when zoomed"
	assert_eq "" "$(rect_width "$dom" leak_large)" "leak_large's rectangle when zoomed on leak_small"
}

# SIGUSR1: a report now; SIGHUP: --output reopened (after logrotate's mv).
test_signals_report_and_reopen() {
	local pid n
	start_target pid "$(target leak_exact)" 3 100 30000 "$T/go"
	tracer_bg -v --format json -o 0 --output "$T/r.jsonl" -p "$pid" 600
	tracer_attached
	touch "$T/go"
	sleep 0.3
	kill -USR1 "$TR_PID"
	WAIT_SECS=5 wait_for grep -q '"type":"report"' "$T/r.jsonl" || fail "no report after SIGUSR1"
	assert_eq 1 "$(grep -c '"final":false' "$T/r.jsonl")" "reports after one SIGUSR1"
	mv "$T/r.jsonl" "$T/r.jsonl.1"
	kill -HUP "$TR_PID"
	WAIT_SECS=5 wait_for test -e "$T/r.jsonl" || fail "SIGHUP did not reopen --output"
	kill -USR1 "$TR_PID"
	WAIT_SECS=5 wait_for grep -q '"type":"report"' "$T/r.jsonl" || fail "no report in the reopened file"
	kill -INT "$TR_PID"
	tracer_wait 20
	assert_eq 0 "$TR_RC" "exit code (stderr: $(head -c 300 "$TR_ERR"))"
	assert_eq 1 "$(wc -l <"$T/r.jsonl.1")" "records in the rotated file"
	n=$(wc -l <"$T/r.jsonl")
	assert_eq 2 "$n" "records in the new file (SIGUSR1 report + final)"
	TR_OUT=$T/r.jsonl final_report
	assert_eq 300 "$(jf '.processes[0].outstanding_bytes')" "final outstanding bytes"
	assert_no_probes
}

# Continuous mode for many periods on a compressed clock (1 s files, 0.04 s
# reports, a churning target): files, disk and the tracer's memory stay flat,
# and the page's history is cut back past its 512 points.
test_output_dir_long_run() {
	local pid dir=$T/out i rss files bytes max_files=0 max_bytes=0 rss_early=0 rss_late=0 secs=24
	# Runs well past the test (attaching may take seconds on a loaded host).
	start_target pid "$(target churn)" $((secs * 1000 + 60000)) "$T/counts"
	tracer_bg -v --format json -o 0 --output-dir "$dir" --rotate-interval 1 --rotate-keep 4 \
		--rotate-size 16k --html "$dir/page.html" -p "$pid" 0.04
	tracer_attached
	for ((i = 1; i <= secs; i++)); do
		sleep 1
		kill -0 "$TR_PID" 2>/dev/null || fail "tracer ended early: $(tail -n 2 "$TR_ERR")"
		rss=$(awk '/^VmRSS:/ { print $2 }' "/proc/$TR_PID/status")
		files=$(find "$dir" -name 'memleakbpf-*.jsonl' | wc -l)
		bytes=$(find "$dir" -name 'memleakbpf-*.jsonl' -printf '%s\n' | awk '{ s += $1 } END { print s + 0 }')
		[ "$files" -gt "$max_files" ] && max_files=$files
		[ "$bytes" -gt "$max_bytes" ] && max_bytes=$bytes
		[ "$i" = 6 ] && rss_early=$rss
		rss_late=$rss
		echo "t=$i rss=${rss}k files=$files bytes=$bytes"
	done
	kill -INT "$TR_PID"
	tracer_wait 20
	assert_eq 0 "$TR_RC" "exit code (stderr: $(head -c 300 "$TR_ERR"))"
	assert_le "$max_files" 4 "files in the directory at any time"
	# keep x (rotate-size + one report of at most ~4 KiB here)
	assert_le "$max_bytes" $((4 * (16384 + 8192))) "bytes in the directory at any time"
	# 24 periods of 1 s, plus size rotations: the sequence went well past keep.
	assert_gt "$(ls "$dir" | sed -n 's/.*-0*\([0-9]*\)\.jsonl$/\1/p' | sort -n | tail -n 1)" 20 "files written"
	# Memory: from the 6th second to the 24th, ~500 reports later (measured: 4 KiB).
	assert_le "$((rss_late - rss_early))" 256 "tracer RSS growth in KiB (${rss_early}k -> ${rss_late}k)"
	# Every file holds whole JSON records, the last one ends with the final report.
	jq -e . "$dir"/memleakbpf-*.jsonl >/dev/null || fail "a rotated file holds broken JSON"
	assert_eq true "$(tail -q -n 1 "$dir"/memleakbpf-*.jsonl | tail -n 1 | jq .final)" "final report last"
	# The page was rewritten at every report, its history bounded.
	assert_gt "$(grep -o '"reports":[0-9]*' "$dir/page.html" | cut -d: -f2)" $((secs * 10)) "reports in the page"
	assert_le "$(grep -o '"t":\[[^]]*' "$dir/page.html" | tr ',' '\n' | wc -l)" 512 "timeline points in the page"
	assert_no_probes
}

test_output_option_errors() {
	tracer --output x --output-dir y -p 1
	assert_error 2
	tracer --live --format json -p 1
	assert_error 2
	tracer --rotate-keep 0 -p 1
	assert_error 2
	tracer --rotate-keep 3 -p 1
	assert_error 2
	tracer --format svg -p 1
	assert_error 2
	# Binary pprof is not written to a terminal (script gives it one).
	local out rc
	out=$(script -qec "$MEMLEAKBPF --format pprof -p 1" /dev/null)
	rc=$?
	assert_eq 2 "$rc" "exit code of pprof to a terminal"
	assert_match '^memleakbpf: pprof output is binary' "$out" "message"
	: >"$T/file"
	tracer --output-dir "$T/file" -c "$(target leak_exact) 1 10 100"
	assert_error 1
}

# --live on a pipe: the plain text report.
test_live_on_a_pipe() {
	tracer --live -o 0 -c "$(target leak_exact) 3 333 300" 0.2
	assert_eq 0 "$TR_RC" "exit code"
	grep -q '999 bytes in 3 allocations' "$TR_OUT" || fail "no plain text report: $(head -c 300 "$TR_OUT")"
	if grep -q $'\033' "$TR_OUT"; then
		fail "escape sequences written to a pipe"
	fi
}

# tmux_screen: the screen of the test's tmux pane, with its scrollback.
tmux_screen() {
	tmux -S "$TMUX_SOCK" capture-pane -p -S -100 -t live 2>/dev/null
}

# The tracer ended (the pane stays, remain-on-exit, to show what it left).
pane_dead() {
	[ "$(tmux -S "$TMUX_SOCK" display-message -p -t live '#{pane_dead}' 2>/dev/null)" = 1 ]
}

screen_has() {
	tmux_screen | grep -Eq -- "$1"
}

test_live_view_tmux() {
	local pid line
	need_cmd tmux
	line=$(src_line LEAK_LINE leak_exact.c)
	TMUX_SOCK=$T/tmux.sock # in the scratch directory: nothing left in /tmp/tmux-*
	start_target pid "$(target leak_exact)" 25 4000 60000 "$T/go"
	tmux -S "$TMUX_SOCK" new-session -d -s live -x 150 -y 40 \
		"echo \$\$ >$T/tracer.pid; exec $MEMLEAKBPF -v --live -o 0 -p $pid 0.3 2>$T/live.err" \; \
		set-option -t live remain-on-exit on
	# The server outlives its dead pane (remain-on-exit): ended with the test.
	adopt "$(tmux -S "$TMUX_SOCK" display-message -p '#{pid}')"
	WAIT_SECS=5 wait_for test -s "$T/tracer.pid" || fail "tmux did not start the tracer"
	adopt "$(cat "$T/tracer.pid")"
	TR_ERR=$T/live.err tracer_attached
	touch "$T/go"
	WAIT_SECS=15 wait_for screen_has 'leak_exact_fn < main' ||
		fail "no stack on the live screen: $(tmux_screen | head -20 | tr '\n' '|'); $(cat "$T/live.err")"
	screen_has "^  $pid +leak_exact +[0-9.]+ [KM]iB .* 97\\.7 KiB " || fail "process line: $(tmux_screen | grep leak_exact | head -2)"
	screen_has '^\+0  +97\.7 KiB +25 +- +- +malloc' || fail "stack line: $(tmux_screen | grep leak_exact_fn)"
	screen_has 'lost: none' || fail "loss counters not shown"
	screen_has 'sort: bytes' || fail "default sort"
	# Expand stack 0: every frame with its file:line.
	tmux -S "$TMUX_SOCK" send-keys -t live 0
	WAIT_SECS=5 wait_for screen_has "#0 +leak_exact_fn +[^ ]*leak_exact\\.c:$line" ||
		fail "stack 0 not expanded: $(tmux_screen | head -20 | tr '\n' '|')"
	screen_has '#1 +main ' || fail "frame #1 not shown"
	tmux -S "$TMUX_SOCK" send-keys -t live s
	WAIT_SECS=5 wait_for screen_has 'sort: growth' || fail "s did not change the sort"
	# Stays expanded across reports (the next one comes within 0.3 s).
	sleep 0.8
	screen_has "#0 +leak_exact_fn" || fail "expansion lost at the next report"
	tmux -S "$TMUX_SOCK" send-keys -t live q
	WAIT_SECS=10 wait_for pane_dead || fail "q did not stop the tracer"
	# Back on the shell's screen: the final report as plain text.
	WAIT_SECS=5 wait_for screen_has 'memleakbpf final report' || fail "no final text report: $(tmux_screen | head -5 | tr '\n' '|')"
	screen_has '^  100000 bytes in 25 allocations \(malloc\)' || fail "final report stack line"
	screen_has 'memleakbpf live' && fail "the live screen is still shown after exit"
	tmux -S "$TMUX_SOCK" kill-server 2>/dev/null
	if grep -Eiq 'cannot|error|fail' "$T/live.err"; then
		fail "stderr: $(grep -Ei 'cannot|error|fail' "$T/live.err" | head -3)"
	fi
}

# dist/memleakbpf.service is a valid unit running continuous mode.
test_systemd_unit() {
	local unit=$T/memleakbpf.service out
	need_cmd systemd-analyze
	sed "s|/usr/local/sbin/memleakbpf|$MEMLEAKBPF|" "$IT_ROOT/dist/memleakbpf.service" >"$unit"
	out=$(systemd-analyze verify "$unit" 2>&1) || fail "systemd-analyze verify: $out"
	[ -z "$out" ] || fail "systemd-analyze verify warns: $out"
	grep -q -- '--output-dir /var/log/memleakbpf' "$unit" || fail "the unit does not run continuous mode"
	grep -q '^CapabilityBoundingSet=.*CAP_BPF.*CAP_PERFMON' "$unit" || fail "capabilities for BPF"
}

# Records between reports (a traced process exits) do not scribble over the
# live screen: their headline is shown on it, their text printed at exit.
test_live_view_events() {
	local name pid
	need_cmd tmux
	TMUX_SOCK=$T/tmux.sock # in the scratch directory: nothing left in /tmp/tmux-*
	name=lvev$$ # a comm no other process has
	cp "$(target leak_exact)" "$T/$name"
	tmux -S "$TMUX_SOCK" new-session -d -s live -x 150 -y 30 \
		"echo \$\$ >$T/tracer.pid; exec $MEMLEAKBPF -v --live -o 0 --comm $name 0.3 2>$T/live.err" \; \
		set-option -t live remain-on-exit on
	# The server outlives its dead pane (remain-on-exit): ended with the test.
	adopt "$(tmux -S "$TMUX_SOCK" display-message -p '#{pid}')"
	WAIT_SECS=5 wait_for test -s "$T/tracer.pid" || fail "tmux did not start the tracer"
	adopt "$(cat "$T/tracer.pid")"
	TR_ERR=$T/live.err tracer_attached
	start_target pid "$T/$name" 3 100 300
	wait_pid "$pid" 20
	WAIT_SECS=10 wait_for screen_has "^\\[[0-9:]+\\] pid $pid \\($name\\) exited holding 300 bytes in 3 allocations\$" ||
		fail "no exit headline on the live screen: $(tmux_screen | grep -v '^$' | tr '\n' '|')"
	screen_has '^memleakbpf live' || fail "the exit line scrolled the screen: $(tmux_screen | head -3 | tr '\n' '|')"
	tmux -S "$TMUX_SOCK" send-keys -t live q
	# Detaching system-wide probes takes seconds, more on a loaded host:
	# the condition is the pane's end, waited for as long as any tracer.
	WAIT_SECS=$TRACER_TIMEOUT wait_for pane_dead ||
		fail "q did not stop the tracer in $TRACER_TIMEOUT s: $(tail -n 3 "$T/live.err" | tr '\n' '|')"
	screen_has 'memleakbpf final report' || fail "no final text report"
	assert_eq 1 "$(tmux_screen | grep -c "pid $pid ($name) exited")" "exit lines after the screen was left"
	tmux -S "$TMUX_SOCK" kill-server 2>/dev/null
}

# Ctrl-Z from an interactive shell (job control: the tracer is a job) would
# stop the tracer with the terminal left raw: it is ignored by the screen.
test_live_view_ctrl_z() {
	local pid tpid
	need_cmd tmux bash
	TMUX_SOCK=$T/tmux.sock
	start_target pid "$(target leak_exact)" 3 100 60000
	tmux -S "$TMUX_SOCK" new-session -d -s live -x 150 -y 40 "bash --norc --noprofile -i"
	adopt "$(tmux -S "$TMUX_SOCK" display-message -p '#{pid}')"
	tmux -S "$TMUX_SOCK" send-keys -t live "$MEMLEAKBPF -v --live -o 0 -p $pid 0.3 2>$T/live.err" Enter
	TR_ERR=$T/live.err tracer_attached
	tpid=$(pgrep -n -f "^$MEMLEAKBPF -v --live -o 0 -p $pid ")
	[ -n "$tpid" ] || fail "tracer not found"
	adopt "$tpid"
	WAIT_SECS=10 wait_for screen_has '^memleakbpf live' || fail "no live screen"
	tmux -S "$TMUX_SOCK" send-keys -t live C-z
	sleep 0.5
	assert_ne T "$(awk '{ print $3 }' "/proc/$tpid/stat")" "tracer state after Ctrl-Z"
	tmux -S "$TMUX_SOCK" send-keys -t live q
	WAIT_SECS=10 wait_for bash -c "! kill -0 $tpid 2>/dev/null" || fail "q did not stop the tracer"
	tmux -S "$TMUX_SOCK" kill-server 2>/dev/null
}

# assert_leak_exact_pprof FILE: a whole gzip'd profile.
assert_leak_exact_pprof() {
	assert_eq "1f8b" "$(head -c 2 "$1" | od -An -tx1 | tr -d ' \n')" "gzip magic of $1"
	gzip -t "$1" || fail "$1 is not whole"
}

# Issue 17 row 6: a link planted at the old temporary name, FILE.tmp, to a
# file of root's.  The report went through the link (O_CREAT|O_TRUNC) and
# root's file was overwritten; now the link is never followed nor removed.
test_output_planted_temp_link() {
	local exe f
	exe=$(target leak_exact)
	echo "root's own data" >"$T/root.file"
	ln -s "$T/root.file" "$T/out.pb.gz.tmp"
	ln -s "$T/root.file" "$T/page.html.tmp"
	tracer --format pprof -o 0 --output "$T/out.pb.gz" --html "$T/page.html" -c "$exe 4 250 300" 0.2
	assert_eq 0 "$TR_RC" "exit code (stderr: $(head -c 300 "$TR_ERR"))"
	assert_eq "root's own data" "$(cat "$T/root.file")" "root's file"
	for f in out.pb.gz.tmp page.html.tmp; do
		[ -L "$T/$f" ] || fail "the planted link $f was replaced"
		assert_eq "$T/root.file" "$(readlink "$T/$f")" "target of the link $f"
	done
	assert_leak_exact_pprof "$T/out.pb.gz"
	grep -q '</html>' "$T/page.html" || fail "the page is not whole"
	assert_eq "" "$(ls -A "$T" | grep '^\.memleakbpf-')" "temporary files left"
}

# A destination that is itself a link is refused at the start, whatever
# the format: a stream file would be written through it.
test_output_destination_link_refused() {
	local args
	echo "root's own data" >"$T/root.file"
	ln -s "$T/root.file" "$T/link"
	for args in "--output $T/link" "--format json --output $T/link" \
		"--format pprof --output $T/link" "--html $T/link"; do
		# shellcheck disable=SC2086
		tracer $args -o 0 -c "$(target leak_exact) 1 1 100" 0.2
		assert_error 1
		assert_match "'$T/link': a symbolic link" "$(cat "$TR_ERR")" "error line for $args"
	done
	assert_eq "root's own data" "$(cat "$T/root.file")" "root's file"
}

# Issue 17 row 7: the temp name was FILE.tmp cut to 255 bytes, so with a
# long FILE it named another file ("FILE.tm"), overwritten then renamed
# onto FILE.  Paths of 251 to 255 bytes, each with a file at the cut name.
test_output_long_path_not_truncated() {
	local exe n p cut
	exe=$(target leak_exact)
	mkdir -p "$T/d"
	for n in 251 252 253 254 255; do
		p=$T/d/$n-
		p=$p$(printf '%*s' $((n - ${#p})) '' | tr ' ' x)
		assert_eq "$n" "${#p}" "path length"
		cut=${p}.tmp
		cut=${cut:0:255}
		[ "$cut" = "$p" ] || echo "unrelated $n" >"$cut"
		tracer --format pprof -o 0 --output "$p" -c "$exe 4 250 300" 0.2
		assert_eq 0 "$TR_RC" "exit code with a $n-byte path (stderr: $(head -c 300 "$TR_ERR"))"
		assert_leak_exact_pprof "$p"
		[ "$cut" = "$p" ] || assert_eq "unrelated $n" "$(cat "$cut")" "the file at ${#cut} bytes"
	done
	# A name longer than NAME_MAX: an error at the start, nothing written.
	p=$T/d/$(printf '%*s' 256 '' | tr ' ' y)
	tracer --format pprof -o 0 --output "$p" -c "$exe 4 250 300" 0.2
	assert_error 1
	assert_match "name too long" "$(cat "$TR_ERR")" "error line"
}

# -c: RSS growth counts from the command's exec.  The baseline was taken
# in the held child, a copy of the tracer, so the growth was negative.
test_command_rss_growth_from_exec() {
	local g r
	tracer --format json -o 0 -c "$(target leak_exact) 4 250 4000" 0.3 3
	assert_eq 0 "$TR_RC" "exit code (stderr: $(head -c 300 "$TR_ERR"))"
	assert_eq 3 "$(grep -c '"type":"report"' "$TR_OUT")" "reports"
	while read -r g r; do
		[ "$r" != null ] || fail "no RSS in a report while the command runs"
		[ "$g" -ge 0 ] || fail "negative RSS growth $g (RSS $r)"
		assert_le "$g" "$r" "RSS growth within the RSS"
	done < <(jq -r 'select(.type == "report") | .processes[0] | "\(.rss_growth_bytes) \(.rss_bytes)"' "$TR_OUT")
}
