# Script frames: Python 3.11 functions in the allocation stacks of an
# interpreter already running (-p), from outside the process.
#
# tests/targets/py_leak.py leaks N bytes objects of SIZE bytes from
# py_leak_site(), called as main() -> outer() -> middle(); each is one
# calloc of SIZE + 33 bytes (PyBytesObject's header and NUL), so bytes and
# counts are exact.  Lines are those of the "# MARKER" comments.

PYTHON311=/usr/bin/python3.11 # Debian's, whatever python3 a PATH finds first

need_python311() {
	[ -x "$PYTHON311" ] || skip "needs Debian's python3.11 (make test-deps)"
}

# py_line MARKER: the line of py_leak.py holding "# MARKER" (exactly once).
py_line() {
	local lines
	lines=$(grep -n -- "# $1\$" "$TARGET_SRC/py_leak.py" | cut -d: -f1)
	[ -n "$lines" ] && [ "$(echo "$lines" | wc -l)" = 1 ] ||
		fail "marker # $1 must occur once in py_leak.py"
	echo "$lines"
}

# py_run N SIZE [THREADS] -- TRACER ARGS...: the leak under a tracer
# attached to it first; the final report is taken while the interpreter
# still runs (its names are read from its memory).  PY_PID is its pid.
py_run() {
	local n=$1 size=$2 threads=$3
	shift 3
	start_target PY_PID "$PYTHON311" "$TARGET_SRC/py_leak.py" "$n" "$size" "$T/go" $threads
	tracer_bg -v --format json -o 0 -p "$PY_PID" "$@" 0.2
	tracer_attached 60 # python3.11 is a big object: its tables and symbols take a while on a loaded machine
	touch "$T/go"
	WAIT_SECS=30 wait_for test -e "$T/go.done" || fail "py_leak.py did not finish leaking"
	kill -INT "$TR_PID"
	tracer_wait 20
	assert_eq 0 "$TR_RC" "tracer exit code (stderr: $(tail -n 3 "$TR_ERR" | tr '\n' ' '))"
	final_report
}

# The malloc-kind stacks with a frame of function $1, in $STACK.
py_stack_with() {
	STACK=$(jf -c --arg f "$1" \
		'[.stacks[] | select(.kind == "malloc" and any(.frames[]; .symbol == $f))]')
	assert_eq 1 "$(jq length <<<"$STACK")" "stacks through $1 (all: $(jf -c '[.stacks[] | [.kind, .bytes, [.frames[] | .symbol][:8]]]'))"
}

# "name@file:line" of each Python frame of $STACK, innermost first.
py_frames() {
	jq -c '[.[0].frames[] | select(.runtime == "python") |
		"\(.symbol)@\(.file | split("/") | last):\(.line)"]' <<<"$STACK"
}

test_python_leak_pid() {
	local n=100 size=4000 want first
	need_python311
	py_run "$n" "$size" "" -z 4000 -Z 5000
	grep -q "Python 3.11.* offsets from its debug information: script frames" "$TR_ERR" ||
		fail "interpreter not found with its debug information (-v): $(grep -i python "$TR_ERR")"
	py_stack_with py_leak_site
	assert_eq $((n * (size + 33))) "$(jq '.[0].bytes' <<<"$STACK")" "bytes leaked by py_leak_site"
	assert_eq "$n" "$(jq '.[0].allocs' <<<"$STACK")" "allocations of py_leak_site"
	assert_eq "[$PY_PID]" "$(jq -c '.[0].pids' <<<"$STACK")" "pids"
	want="[\"py_leak_site@py_leak.py:$(py_line PY_LEAK_LINE)\",\"middle@py_leak.py:$(py_line PY_MIDDLE_LINE)\",\"outer@py_leak.py:$(py_line PY_OUTER_LINE)\",\"main@py_leak.py:$(py_line PY_MAIN_LINE)\",\"<module>@py_leak.py:$(wc -l <"$TARGET_SRC/py_leak.py")\"]"
	assert_eq "$want" "$(py_frames)" "Python frames of the leaking stack, innermost first"
	# Native frames stay: the allocator first, the eval loop right after the
	# outermost Python frame of its call, the interpreter's start below.
	assert_eq native "$(jq -r '.[0].frames[0].runtime' <<<"$STACK")" "runtime of frames[0]"
	first=$(jq '[.[0].frames[] | .runtime] | index("python")' <<<"$STACK")
	assert_gt "$first" 0 "index of the first Python frame"
	assert_eq "_PyEval_EvalFrameDefault native" \
		"$(jq -r ".[0].frames[$((first + 5))] | \"\(.symbol) \(.runtime)\"" <<<"$STACK")" \
		"the frame after <module>"
	assert_eq null "$(jq ".[0].frames[$first].addr" <<<"$STACK")" "addr of a Python frame"
	assert_match '^Py_BytesMain$' "$(jq -r '[.[0].frames[].symbol] | map(select(. == "Py_BytesMain")) | .[0]' <<<"$STACK")" \
		"native frames below the eval loop"
	# churn_site freed all it allocated: nothing of it is outstanding.
	assert_eq 0 "$(jf '[.stacks[] | select(any(.frames[]; .symbol == "churn_site"))] | length')" \
		"stacks of churn_site outstanding"
}

# Each thread's own Python stack: never the frames of the thread holding the GIL.
test_python_threads() {
	local n=40 size=4000 threads=3 want
	need_python311
	py_run "$n" "$size" "$threads" -z 4000 -Z 5000
	py_stack_with thread_leak_site
	assert_eq $((threads * n * (size + 33))) "$(jq '.[0].bytes' <<<"$STACK")" "bytes of the threads"
	assert_eq $((threads * n)) "$(jq '.[0].allocs' <<<"$STACK")" "allocations of the threads"
	want="[\"thread_leak_site@py_leak.py:$(py_line PY_THREAD_LEAK_LINE)\",\"worker@py_leak.py:$(py_line PY_WORKER_LINE)\",\"Thread.run@threading.py\",\"Thread._bootstrap_inner@threading.py\",\"Thread._bootstrap@threading.py\"]"
	assert_eq "$want" "$(jq -c '[.[0].frames[] | select(.runtime == "python") |
		"\(.symbol)@\(.file | split("/") | last)" + (if .symbol == "thread_leak_site" or .symbol == "worker" then ":\(.line)" else "" end)]' <<<"$STACK")" \
		"Python frames of the threads' stack"
	# The main thread's frames only where it allocates itself: the threads'
	# stacks (mmap) made by Thread.start() under main().
	assert_eq 0 "$(jf '[.stacks[] | select(any(.frames[]; .symbol == "main" and .runtime == "python") and any(.frames[]; .symbol == "thread_leak_site"))] | length')" \
		"stacks with the main thread's frames and a thread's"
	assert_gt "$(jf '[.stacks[] | select(.kind == "mmap" and any(.frames[]; .symbol == "Thread.start") and any(.frames[]; .symbol == "main"))] | length')" 0 \
		"thread stacks mapped by Thread.start() from main()"
}

# Sampled mode and the heap's growth (brk) carry the same Python frames.
test_python_sampled_and_heap() {
	need_python311
	py_run 100 4000 "" -z 4000 -Z 5000 --sample-bytes 64k
	py_stack_with py_leak_site
	assert_eq true "$(jq '.[0].estimated' <<<"$STACK")" "estimated (sampled)"
	assert_eq "\"py_leak_site@py_leak.py:$(py_line PY_LEAK_LINE)\"" "$(py_frames | jq '.[0]')" \
		"innermost Python frame, sampled"
	assert_gt "$(jf '[.stacks[] | select(.kind == "brk" and any(.frames[]; .symbol == "py_leak_site"))] | length')" 0 \
		"heap growth (brk) stacks through py_leak_site"
}

# --no-script-frames: the same leak, native frames only.
test_python_no_script_frames() {
	need_python311
	py_run 50 4000 "" -z 4000 -Z 5000 --no-script-frames
	STACK=$(jf -c '[.stacks[] | select(.kind == "malloc" and .bytes == 50 * 4033)]')
	assert_eq 1 "$(jq length <<<"$STACK")" "stacks of 50 x 4033 bytes"
	assert_eq '["native"]' "$(jq -c '[.[0].frames[].runtime] | unique' <<<"$STACK")" "runtimes"
	grep -q "script frames" "$TR_ERR" && fail "interpreter looked at with --no-script-frames"
	true
}

# An interpreter of a version without a known layout: one line says so,
# the stacks are native and exact.
test_python_unknown_version() {
	local pid line
	start_target pid "$(target python3_fake)" 7 3000 5000 "$T/go"
	tracer_bg -v --format json -o 0 -p "$pid" 0.2
	tracer_attached 60 # python3.11 is a big object: its tables and symbols take a while on a loaded machine
	touch "$T/go"
	line=$(src_line LEAK_LINE python3_fake.c)
	WAIT_SECS=20 wait_for grep -q '"bytes":21000' "$TR_OUT" || fail "leak not reported"
	kill -INT "$TR_PID"
	tracer_wait 20
	final_report
	assert_eq 1 "$(grep -c 'no script frames for this version' "$TR_ERR")" "notices of the unknown version"
	assert_match "^memleakbpf: pid $pid: Python 3\.99 in .*/python3_fake: no script frames for this version, native frames only\$" \
		"$(grep 'no script frames' "$TR_ERR")" "the notice"
	assert_stack fake_leak_fn 21000 7 "$line" python3_fake.c
	assert_eq '["native"]' "$(jq -c '[.[0].frames[].runtime] | unique' <<<"$STACK")" "runtimes"
}
