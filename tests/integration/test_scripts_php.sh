# Script frames: PHP 8.2 functions in the allocation stacks of php8.2
# (cli) and of php-fpm8.2's workers, read from outside the processes.
#
# tests/targets/php_leak.php leaks N strings of SIZE bytes from
# php_leak_site(), called as {main} -> outer() -> Cache::fill() ->
# php_leak_site(); each is one zend_string of 24 + SIZE + 1 bytes rounded
# up to 8 (a malloc under USE_ZEND_ALLOC=0; under the Zend allocator a
# string of 2 MiB or more is one mmap of it rounded up to pages), so
# bytes and counts are exact.  Lines are those of the "// MARKER" comments.

# php_line MARKER [FILE]: the line of FILE (php_leak.php) holding "// MARKER", once.
php_line() {
	local f=$TARGET_SRC/${2:-php_leak.php} lines
	lines=$(grep -n -- "// $1\$" "$f" | cut -d: -f1)
	[ -n "$lines" ] && [ "$(echo "$lines" | wc -l)" = 1 ] ||
		fail "marker // $1 must occur once in $f"
	echo "$lines"
}

# php_run N SIZE [ENV...] -- TRACER ARGS...: the leak under a tracer
# attached to it first; the final report is taken while it still runs.
php_run() {
	local n=$1 size=$2 envs=()
	shift 2
	while [ $# -gt 0 ] && [ "$1" != -- ]; do
		envs+=("$1")
		shift
	done
	shift
	start_target PHP_PID env "${envs[@]}" php8.2 "$TARGET_SRC/php_leak.php" "$n" "$size" "$T/go"
	tracer_bg -v --format json -o 0 -p "$PHP_PID" "$@" 0.2
	tracer_attached 60
	touch "$T/go"
	WAIT_SECS=30 wait_for test -e "$T/go.done" || fail "php_leak.php did not finish leaking: $(head -c 300 "$T/target.err")"
	kill -INT "$TR_PID"
	tracer_wait 20
	assert_eq 0 "$TR_RC" "tracer exit code (stderr: $(tail -n 3 "$TR_ERR" | tr '\n' ' '))"
	final_report
}

# The stacks of kind $2 whose innermost PHP frame is function $1, in $STACK.
php_stack_of() {
	STACK=$(jf -c --arg f "$1" --arg k "$2" '[.stacks[] | select(.kind == $k and
		([.frames[] | select(.runtime == "php")][0].symbol == $f))]')
	assert_eq 1 "$(jq length <<<"$STACK")" "$2 stacks from $1 (all: $(jf -c '[.stacks[] | [.kind, .bytes, [.frames[] | .symbol][:10]]]'))"
}

# "name@file:line" of each PHP frame of $STACK, innermost first.
php_frames() {
	jq -c '[.[0].frames[] | select(.runtime == "php") |
		"\(.symbol)@\(.file | split("/") | last):\(.line)"]' <<<"$STACK"
}

php_want_frames() {
	echo "[\"php_leak_site@php_leak.php:$(php_line PHP_LEAK_LINE)\",\"Cache::fill@php_leak.php:$(php_line PHP_FILL_LINE)\",\"outer@php_leak.php:$(php_line PHP_OUTER_LINE)\",\"{main}@php_leak.php:$(php_line PHP_MAIN_LINE)\"]"
}

# Exact malloc figures with the Zend allocator off, and the PHP frames
# where the eval loop is in the native stack.
test_php_leak_pid() {
	local n=100 size=4000 first
	need_cmd php8.2
	php_run "$n" "$size" USE_ZEND_ALLOC=0 -- -z 4000 -Z 5000
	grep -q "PHP 8.2 (engine API 20220829) in .*/php8.2, offsets from the version table: script frames" "$TR_ERR" ||
		fail "interpreter not found (-v): $(grep -i php "$TR_ERR" | head -3)"
	php_stack_of php_leak_site malloc
	assert_eq $((n * ((24 + size + 1 + 7) / 8 * 8))) "$(jq '.[0].bytes' <<<"$STACK")" "bytes leaked by php_leak_site"
	assert_eq "$n" "$(jq '.[0].allocs' <<<"$STACK")" "allocations of php_leak_site"
	assert_eq "[$PHP_PID]" "$(jq -c '.[0].pids' <<<"$STACK")" "pids"
	assert_eq "$(php_want_frames)" "$(php_frames)" "PHP frames of the leaking stack, innermost first"
	assert_eq native "$(jq -r '.[0].frames[0].runtime' <<<"$STACK")" "runtime of frames[0]"
	first=$(jq '[.[0].frames[] | .runtime] | index("php")' <<<"$STACK")
	assert_gt "$first" 0 "index of the first PHP frame"
	assert_eq "execute_ex native" \
		"$(jq -r ".[0].frames[$((first + 4))] | \"\(.symbol) \(.runtime)\"" <<<"$STACK")" \
		"the frame after {main}"
	assert_eq null "$(jq ".[0].frames[$first].addr" <<<"$STACK")" "addr of a PHP frame"
	# churn_site freed all it allocated: nothing of it is outstanding.
	assert_eq 0 "$(jf '[.stacks[] | select(any(.frames[]; .symbol == "churn_site"))] | length')" \
		"stacks of churn_site outstanding"
}

# Under the Zend allocator, as PHP runs by default: strings of 4 MiB are
# mmaps of their own, with the same PHP frames.  Sampled mode too.
test_php_zend_allocator() {
	local n=10 size=$((4 << 20))
	need_cmd php8.2
	php_run "$n" "$size" -- --sample-bytes 64k
	php_stack_of php_leak_site mmap
	assert_eq $((n * (size + 4096))) "$(jq '.[0].bytes' <<<"$STACK")" "bytes mapped by php_leak_site"
	assert_eq "$n" "$(jq '.[0].allocs' <<<"$STACK")" "mappings of php_leak_site"
	assert_eq "$(php_want_frames)" "$(php_frames)" "PHP frames of the mmap stack"
}

# Growth mode (mappings and heap only, no malloc probes): the same frames.
test_php_growth_mode() {
	local n=10 size=$((4 << 20))
	need_cmd php8.2
	php_run "$n" "$size" -- --mode growth
	php_stack_of php_leak_site mmap
	assert_eq $((n * (size + 4096))) "$(jq '.[0].bytes' <<<"$STACK")" "bytes mapped by php_leak_site"
	assert_eq "$(php_want_frames)" "$(php_frames)" "PHP frames in growth mode"
}

# php-fpm: two workers, each in its own request leaking from its own
# function.  PM is the pool's process manager; TRACE how the tracer picks
# the workers ("comm": every process named php-fpm8.2, the workers there
# already; "follow": -p on the master with --follow, ondemand workers
# forked after the tracer attached).  Each stack carries its own worker's
# PHP frames.
php_fpm_two_workers() {
	local pm=$1 trace=$2 n=3 size=$((4 << 20)) fpm a_pid b_pid q workers
	need_cmd php-fpm8.2 python3
	cat >"$T/fpm.conf" <<-CONF
	[global]
	error_log = $T/fpm.log
	pid = $T/fpm.pid
	[www]
	listen = $T/fpm.sock
	pm = $pm
	pm.max_children = 2
	CONF
	start_target fpm php-fpm8.2 -R -F -y "$T/fpm.conf"
	WAIT_SECS=20 wait_for test -S "$T/fpm.sock" || fail "php-fpm did not start: $(tail -n 3 "$T/fpm.log")"
	if [ "$trace" = comm ]; then
		WAIT_SECS=10 wait_for test "$(pgrep -c -P "$fpm")" = 2 || fail "php-fpm has no two workers"
		tracer_bg -v --format json -o 0 --sort bytes --comm php-fpm8.2 0.2
	else
		[ "$(pgrep -c -P "$fpm")" = 0 ] || fail "ondemand php-fpm started workers before a request"
		tracer_bg -v --format json -o 0 --sort bytes -p "$fpm" --follow 0.2
	fi
	tracer_attached 60
	for s in a b; do
		q="site=$s&n=$n&size=$size&done=$T/$s.done"
		python3 "$TARGET_SRC/fcgi_get.py" "$T/fpm.sock" "$TARGET_SRC/fpm_leak.php" "$q" >"$T/$s.out" 2>&1 &
		IT_BG+=("$!")
		WAIT_SECS=20 wait_for test -e "$T/$s.done" || fail "request $s did not leak: $(tail -n 3 "$T/fpm.log")"
	done
	workers=$(pgrep -P "$fpm" | sort | tr '\n' ' ')
	for p in $workers; do adopt "$p"; done
	kill -INT "$TR_PID"
	tracer_wait 20
	assert_eq 0 "$TR_RC" "tracer exit code (stderr: $(tail -n 3 "$TR_ERR" | tr '\n' ' '))"
	final_report
	for s in a b; do
		php_stack_of "fpm_leak_$s" mmap
		assert_eq $((n * (size + 4096))) "$(jq '.[0].bytes' <<<"$STACK")" "bytes of request $s"
		assert_eq 1 "$(jq '.[0].pids | length' <<<"$STACK")" "workers in the stack of request $s"
		q=$(echo "$s" | tr a-z A-Z)
		assert_eq "[\"fpm_leak_$s@fpm_leak.php:$(php_line "FPM_${q}_LINE" fpm_leak.php)\",\"{main}@fpm_leak.php:$(php_line "FPM_MAIN_${q}_LINE" fpm_leak.php)\"]" \
			"$(php_frames)" "PHP frames of request $s"
		eval "${s}_pid=\$(jq '.[0].pids[0]' <<<\"\$STACK\")"
	done
	[ "$a_pid" != "$b_pid" ] || fail "both requests in one worker ($a_pid)"
	assert_eq "$workers" "$(printf '%s\n' "$a_pid" "$b_pid" | sort | tr '\n' ' ')" \
		"the workers of the two stacks"
	[ "$(grep -c 'PHP 8.2 .*php-fpm8.2.*: script frames' "$TR_ERR")" -ge 2 ] ||
		fail "workers not found as PHP (-v): $(grep -i php "$TR_ERR" | head -3)"
}

test_php_fpm_workers() {
	php_fpm_two_workers static comm
}

test_php_fpm_follow_ondemand() {
	php_fpm_two_workers ondemand follow
}

# A PHP of an engine without a known layout: one line says so, the stacks
# are native and exact.
test_php_unknown_engine() {
	local pid line
	start_target pid "$(target php_fake)" 7 3000 5000 "$T/go"
	tracer_bg -v --format json -o 0 -p "$pid" 0.2
	tracer_attached 30
	touch "$T/go"
	line=$(src_line LEAK_LINE php_fake.c)
	WAIT_SECS=20 wait_for grep -q '"bytes":21000' "$TR_OUT" || fail "leak not reported"
	kill -INT "$TR_PID"
	tracer_wait 20
	final_report
	assert_eq 1 "$(grep -c 'no script frames for this version' "$TR_ERR")" "notices of the unknown engine"
	assert_match "^memleakbpf: pid $pid: PHP engine API 20990101 in .*/php_fake: no script frames for this version, native frames only\$" \
		"$(grep 'no script frames' "$TR_ERR")" "the notice"
	assert_stack fake_leak_fn 21000 7 "$line" php_fake.c
	assert_eq '["native"]' "$(jq -c '[.[0].frames[].runtime] | unique' <<<"$STACK")" "runtimes"
}
