# Growth mode (--mode growth): no allocator probes at all; heap (brk) and
# mapping growth is attributed to stacks.  --escalate gives a fast grower
# precise probes of its own for a bounded window, then takes them away.

# tracer_links TYPE PROG_REGEX: links of this tracer of a bpftool link type
# (raw_tracepoint: BTF tracepoints) whose program name matches.  Uprobes are
# counted by tracer_probes (lib.sh): a multi link holds many.
tracer_links() {
	local progs
	progs=$(grep -h '^prog_id:' /proc/"$TR_PID"/fdinfo/* 2>/dev/null | awk '{ print $2 }' |
		sort -un | while read -r id; do bpftool prog show id "$id" -j; done |
		jq -sc --arg re "$2" '[.[] | select(.name | test($re)) | .id]')
	bpftool link show -j 2>/dev/null | jq --argjson ids "$progs" --arg t "$1" \
		'[.[] | select((.prog_id as $p | $ids | index($p)) and .type == $t)] | length'
}

# Allocator uprobes (everything but the mapping wrappers' probes).
tracer_uprobes() { tracer_probes . '^map_wrapper'; }

test_growth_mode_no_allocator_probes() {
	local pid
	start_target pid "$(target growth_leak)" 64 20 4000
	tracer_bg -v --format json --mode growth -o 0 -p "$pid" 1
	tracer_attached
	assert_eq 0 "$(tracer_uprobes)" "allocator uprobes in growth mode"
	# mmap, munmap, mremap, brk: entry and return (mmap64 is mmap).
	assert_eq 8 "$(tracer_probes '^map_wrapper')" "mapping wrapper uprobes"
	# No syscall tracepoint: those would slow every syscall of the host.
	assert_eq 0 "$(tracer_links raw_tracepoint '^sys_')" "syscall tracepoints"
	wait_pid "$pid" 20
	tracer_wait 20
	assert_eq 0 "$TR_RC" "exit code (stderr: $(head -c 300 "$TR_ERR"))"
	final_report
	assert_eq growth "$(jf '.mode')" "report mode"
	assert_eq 0 "$(jf '.stats.allocs')" "allocations seen (none probed)"
	# The heap grew by about what was leaked: 64 KiB per tick.
	assert_gt "$(jf '[.stacks[] | select(.kind == "brk" or .kind == "mmap") | .bytes] | add // 0')" \
		$((1024 * 1024)) "heap and mapping growth attributed to stacks"
	# ... and to the leaking code path: unwound through malloc's internals
	# (no frame pointers in libc) to grow_fn and its caller.
	assert_gt "$(jf '[.stacks[] | select(.kind == "brk" and
		([.frames[].symbol] | index(["grow_fn", "main"]) != null)) | .bytes] | add // 0')" \
		$((1024 * 1024)) "heap growth from grow_fn (called by main)"
	assert_no_probes
}

test_escalate_attaches_and_detaches() {
	local pid n
	start_target pid "$(target growth_leak)" 256 20 30000
	tracer_bg -v --format json --mode growth --escalate 20 --escalate-window 3 -o 0 \
		-p "$pid" 1
	tracer_attached
	assert_eq 0 "$(tracer_uprobes)" "uprobes before escalating"
	WAIT_SECS=15 wait_for grep -q 'precise probes for' "$TR_ERR" ||
		fail "no escalation: $(tail -n 3 "$TR_ERR" | tr '\n' ' ')"
	n=$(tracer_uprobes)
	assert_gt "$n" 0 "uprobes while escalated"
	WAIT_SECS=15 wait_for grep -q 'escalation window over' "$TR_ERR" ||
		fail "escalation did not end: $(tail -n 3 "$TR_ERR" | tr '\n' ' ')"
	# The window ended; the probes go with it, the tracer keeps running.
	WAIT_SECS=3 wait_for test "$(tracer_uprobes)" = 0 ||
		fail "uprobes left after the window: $(tracer_uprobes)"
	kill -0 "$TR_PID" || fail "tracer stopped"
	# A report made during the window names the leaking function.
	jq -se 'any(.[] | select(.processes[0].escalated == true) | .stacks[];
		.kind == "malloc" and .frames[0].symbol == "grow_fn")' \
		"$TR_OUT" >/dev/null || fail "no escalated report with grow_fn's stack"
	kill "$pid"
	tracer_wait 20
	assert_eq 0 "$TR_RC" "exit code"
	assert_no_probes
}

test_escalate_needs_growth_mode() {
	tracer --escalate 10 -p $$
	assert_error 2
	assert_match "needs --mode growth" "$(cat "$TR_ERR")" "message"
}

# A static program without symbols has no wrapper to probe: growth mode
# follows it at the syscall tracepoints, and still sees its heap grow.
test_growth_mode_static_falls_back_to_syscalls() {
	local pid
	start_target pid "$(target growth_leak_static_stripped)" 64 20 30000
	tracer_bg -v --format json --mode growth -o 0 -p "$pid" 1
	tracer_attached
	assert_eq 2 "$(tracer_links raw_tracepoint '^sys_')" "syscall tracepoints"
	assert_match "pid $pid: maps memory without C library wrappers" "$(cat "$TR_ERR")" \
		"fallback notice"
	sleep 2
	kill "$pid"
	tracer_wait 20
	final_report
	# 64 KiB every 20 ms for 2 s: several MiB of heap growth.
	assert_gt "$(jf '[.stacks[] | select(.kind == "brk") | .bytes] | add // 0')" \
		$((1024 * 1024)) "heap growth seen at the brk syscall"
	assert_no_probes
}
