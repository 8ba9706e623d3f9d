# Stacks of code built without frame pointers (deep_nofp: -O2
# -fomit-frame-pointer, a leak five calls deep and a strdup): every frame
# with --unwind dwarf (and auto), an honest "truncated" with --unwind fp.

# run_deep_nofp MODE N SIZE: trace deep_nofp from before it leaks (-p and
# a go file: the tables are loaded at attach), final report in final.json.
run_deep_nofp() {
	local mode=$1 n=$2 size=$3 pid
	start_target pid "$(target deep_nofp)" "$n" "$size" "$T/go"
	tracer_bg -v --unwind "$mode" --format json -o 0 -p "$pid" 0.2
	tracer_attached
	touch "$T/go"
	wait_pid "$pid" 20
	assert_eq 0 "$WAIT_RC" "target exit code"
	tracer_wait 20
	assert_eq 0 "$TR_RC" "tracer exit code (stderr: $(head -c 300 "$TR_ERR"))"
	final_report
	DEEP_PID=$pid
}

# frame_is I SYMBOL MARKER: frames[I] of $STACK is SYMBOL at deep_nofp.c:MARKER.
frame_is() {
	local i=$1 sym=$2 line
	line=$(src_line "$3" deep_nofp.c)
	assert_eq "$sym" "$(jq -r ".[0].frames[$i].symbol" <<<"$STACK")" "frames[$i].symbol"
	assert_eq "$line" "$(jq ".[0].frames[$i].line" <<<"$STACK")" "frames[$i].line ($sym)"
	assert_match '(^|/)deep_nofp\.c$' "$(jq -r ".[0].frames[$i].file" <<<"$STACK")" "frames[$i].file"
	assert_match '(^|/)deep_nofp$' "$(jq -r ".[0].frames[$i].module" <<<"$STACK")" "frames[$i].module"
}

# The five levels and main, in order, each at the line of its call, then
# libc's start code down to _start, where the CFI says nothing called it.
check_full_deep_stack() {
	assert_stack level_e 3000 3 "$(src_line LEAK_E deep_nofp.c)" deep_nofp.c deep_nofp
	frame_is 0 level_e LEAK_E
	frame_is 1 level_d CALL_D
	frame_is 2 level_c CALL_C
	frame_is 3 level_b CALL_B
	frame_is 4 level_a CALL_A
	frame_is 5 main CALL_MAIN
	assert_eq __libc_start_call_main "$(jq -r '.[0].frames[6].symbol' <<<"$STACK")" "frames[6]"
	assert_eq _start "$(jq -r '.[0].frames | last | .symbol' <<<"$STACK")" "outermost frame"
	assert_eq false "$(jq '.[0].truncated' <<<"$STACK")" "truncated"
	assert_eq "[$DEEP_PID]" "$(jq -c '.[0].pids' <<<"$STACK")" "pids"
}

test_unwind_dwarf_deep_stack() {
	run_deep_nofp dwarf 3 1000
	check_full_deep_stack
	assert_eq dwarf "$(jf '.unwind.mode')" "unwind.mode"
	assert_eq 0 "$(jf '[.stats.lost[]] | add')" "sum of stats.lost"
	assert_no_probes
}

# A libc helper without frame pointers called from code without them: the
# caller above libc and its caller are right.
test_unwind_dwarf_strdup_caller() {
	run_deep_nofp dwarf 1 64
	assert_stack __strdup 25 1
	assert_match '(^|/)libc\.so\.6$' "$(jq -r '.[0].frames[0].module' <<<"$STACK")" "strdup's module"
	frame_is 1 leak_strdup STRDUP_LINE
	frame_is 2 main CALL_STRDUP
	assert_eq false "$(jq '.[0].truncated' <<<"$STACK")" "truncated"
}

# auto: deep_nofp and libc keep no frame pointers, so both get tables.
test_unwind_auto_deep_stack() {
	run_deep_nofp auto 3 1000
	check_full_deep_stack
	assert_eq auto "$(jf '.unwind.mode')" "unwind.mode"
}

# fp (our walker by frame pointers) and fp-kernel (the kernel's walker)
# cannot get past level_e: the report shows what is certain (level_e at
# its line) and says the rest is missing.
check_fp_truncated() {
	run_deep_nofp "$1" 3 1000
	assert_stack level_e 3000 3 "$(src_line LEAK_E deep_nofp.c)" deep_nofp.c deep_nofp
	assert_eq 1 "$(jq '.[0].frames | length' <<<"$STACK")" "frames shown (only level_e is certain)"
	assert_eq true "$(jq '.[0].truncated' <<<"$STACK")" "truncated"
	assert_stack __strdup 25 1
	assert_eq 1 "$(jq '.[0].frames | length' <<<"$STACK")" "frames of the strdup stack"
	assert_eq true "$(jq '.[0].truncated' <<<"$STACK")" "strdup stack truncated"
	assert_eq "$1" "$(jf '.unwind.mode')" "unwind.mode"
	assert_eq 0 "$(jf '.unwind.table_rows')" "no tables with --unwind $1"
}

test_unwind_fp_marks_truncated() {
	check_fp_truncated fp
}

test_unwind_fp_kernel_marks_truncated() {
	check_fp_truncated fp-kernel
}

# The text report says it too.
test_unwind_fp_text_truncated() {
	local pid
	start_target pid "$(target deep_nofp)" 2 500 "$T/go"
	tracer_bg -v --unwind fp -o 0 -p "$pid" 0.2
	tracer_attached
	touch "$T/go"
	wait_pid "$pid" 20
	tracer_wait 20
	assert_eq 0 "$TR_RC" "tracer exit code"
	grep -A2 '^  1000 bytes in 2 allocations (malloc)' "$TR_OUT" | tail -n 2 >"$T/stack.txt"
	assert_match 'level_e\+0x[0-9a-f]+ .*deep_nofp\.c:'"$(src_line LEAK_E deep_nofp.c)" \
		"$(head -n 1 "$T/stack.txt")" "frame #0"
	assert_match 'stack may be truncated' "$(tail -n 1 "$T/stack.txt")" "truncation line"
}

# auto leaves objects that keep frame pointers to the frame-pointer rule
# (leak_exact is built -fno-omit-frame-pointer): only libc and the dynamic
# loader get tables, and the stack is still complete.  The footer's kernel
# memory is the preallocated rows plus the two object entries.
test_unwind_auto_skips_frame_pointer_objects() {
	local pid cap
	start_target pid "$(target leak_exact)" 4 100 300 "$T/go"
	tracer_bg -v --format json -o 0 -p "$pid" 0.2
	tracer_attached
	touch "$T/go"
	wait_pid "$pid" 20
	tracer_wait 20
	assert_eq 0 "$TR_RC" "tracer exit code"
	final_report
	assert_stack leak_exact_fn 400 4 "$(src_line LEAK_LINE leak_exact.c)" leak_exact.c
	assert_eq main "$(jq -r '.[0].frames[1].symbol' <<<"$STACK")" "frames[1]"
	assert_eq _start "$(jq -r '.[0].frames | last | .symbol' <<<"$STACK")" "outermost frame"
	assert_eq false "$(jq '.[0].truncated' <<<"$STACK")" "truncated"
	assert_eq auto "$(jf '.unwind.mode')" "unwind.mode"
	assert_eq 2 "$(jf '.unwind.objects')" "objects with a table (libc, ld.so)"
	grep -q "leak_exact keeps frame pointers: no table" "$TR_ERR" ||
		fail "-v does not say leak_exact keeps frame pointers: $(grep unwind: "$TR_ERR" | tr '\n' '|')"
	cap=$(jf '.unwind.table_rows_capacity')
	assert_gt "$(jf '.unwind.table_rows')" 0 "table rows used"
	# 8 bytes a row and 56 a range cache entry, preallocated, and 128
	# bytes an object entry.
	assert_eq $((cap * 8 + 8192 * 56 + 2 * 128)) "$(jf '.unwind.kernel_bytes')" "kernel bytes"
}

test_unwind_bad_mode() {
	tracer --unwind lbr -p $$ 1
	assert_error 2
}

# make_node is inlined into leak_inlined: it gets a frame of its own, marked
# inlined, at the malloc line inside it; leak_inlined's frame (same address)
# has the line where make_node was called.
test_unwind_inline_frames() {
	run_deep_nofp dwarf 1 64
	assert_stack make_node 48 1 "$(src_line INLINED_MALLOC deep_nofp.c)" deep_nofp.c deep_nofp
	assert_eq true "$(jq '.[0].frames[0].inlined' <<<"$STACK")" "frames[0].inlined"
	frame_is 1 leak_inlined CALL_INLINED
	assert_eq false "$(jq '.[0].frames[1].inlined' <<<"$STACK")" "frames[1].inlined"
	assert_eq "$(jq '.[0].frames[0].addr' <<<"$STACK")" "$(jq '.[0].frames[1].addr' <<<"$STACK")" \
		"inlined frame and its function share the address"
	frame_is 2 main CALL_LEAK_INLINED
	# Frames without inlining say so.
	assert_stack level_e 64 1
	assert_eq "[]" "$(jq -c '[.[0].frames[] | select(.inlined)]' <<<"$STACK")" "inlined frames of level_e"
}

# last_report: the last complete JSON report line of the background tracer.
last_report() {
	grep '"type":"report"' "$TR_OUT" | tail -n 1
}

# JVM stacks: JIT code has no ELF object; its frames come from the JVM's
# frame pointers (-XX:+PreserveFramePointer) and its names from the perf
# map, written here by "jcmd PID Compiler.perfmap".  libjvm.so keeps frame
# pointers (auto leaves it to them), libc gets its table.
test_unwind_java_perfmap() {
	local n=4000 size=4096 pid before unsafe_stacks
	need_cmd java javac jcmd
	mkdir -p "$T/classes"
	javac -nowarn -d "$T/classes" "$TARGET_SRC/LeakyCache.java" 2>"$T/javac.err" ||
		fail "javac: $(head -c 300 "$T/javac.err")"
	start_target pid java -XX:+PreserveFramePointer -XX:TieredStopAtLevel=1 -XX:+UseSerialGC \
		-XX:CompileCommand=quiet -XX:CompileCommand=dontinline,LeakyCache::grow \
		-cp "$T/classes" LeakyCache "$n" "$size" "$T/go"
	WAIT_SECS=20 wait_for grep -q ready "$T/target.out" || fail "the JVM did not start: $(head -c 300 "$T/target.err")"
	tracer_bg -v --format json -o 0 -p "$pid" 0.5
	tracer_attached 20
	touch "$T/go"
	WAIT_SECS=30 wait_for grep -q done "$T/target.out" || fail "LeakyCache did not finish"
	# A report with every block in it, before the perf map exists.
	WAIT_SECS=10 wait_for reports_after_done || fail "no report after the leak"
	before=$(last_report)
	jq -e '[.stacks[].frames[].symbol // "" | select(test("LeakyCache"))] | length == 0' \
		<<<"$before" >/dev/null || fail "Java names before any perf map: $(jq -c '[.stacks[0].frames[].symbol]' <<<"$before")"
	jcmd "$pid" Compiler.perfmap >"$T/jcmd.out" 2>&1 || fail "jcmd: $(head -c 300 "$T/jcmd.out")"
	[ -s "/proc/$pid/root/tmp/perf-$pid.map" ] || fail "no /tmp/perf-$pid.map after jcmd"
	sleep 1.2
	kill -INT "$TR_PID"
	tracer_wait 20
	assert_eq 0 "$TR_RC" "tracer exit code (stderr: $(head -c 300 "$TR_ERR"))"
	# The JVM never removes its perf map.
	mv "/tmp/perf-$pid.map" "$T/" 2>/dev/null
	final_report
	# Every block, exactly, through the JVM's allocation path.
	unsafe_stacks='[.stacks[] | select(.kind == "malloc" and
		.frames[0].symbol == "os::malloc(unsigned long, MEMFLAGS)" and
		.frames[1].symbol == "Unsafe_AllocateMemory0")]'
	assert_eq $((n * size)) "$(jf "$unsafe_stacks | map(.bytes) | add")" "bytes through Unsafe_AllocateMemory0"
	assert_eq "$n" "$(jf "$unsafe_stacks | map(.allocs) | add")" "allocations through Unsafe_AllocateMemory0"
	assert_eq false "$(jf "$unsafe_stacks | any(.truncated)")" "any of them truncated"
	# Collected first: jq 1.6's "//" inside any() swallows the break that
	# ends any(), so two matching stacks made it answer false.
	assert_eq true "$(jf "[$unsafe_stacks | .[].frames[].symbol | strings] |
		any(test(\"^long LeakyCache\\\\.grow\\\\(long\\\\)\$\"))")" \
		"a frame named by the perf map (LeakyCache.grow) (top stack: $(jf -c "$unsafe_stacks | .[0].frames | map(.symbol)"))"
	assert_eq true "$(jf "$unsafe_stacks | all(.frames | last | .symbol == \"__clone3\")")" \
		"every stack unwound to the thread's start (__clone3)"
}

# A report line taken after the target said "done" and counting all of it.
reports_after_done() {
	local r
	r=$(last_report)
	[ -n "$r" ] && [ "$(jq '[.stacks[] | select(.frames[1].symbol == "Unsafe_AllocateMemory0") | .allocs] | add // 0' <<<"$r")" -ge 4000 ]
}

