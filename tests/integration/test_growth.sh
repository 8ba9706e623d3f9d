# Growth mode (--mode growth): no allocator probes at all; heap (brk) and
# mapping growth is attributed to stacks.  --escalate gives a fast grower
# precise probes of its own for a bounded window, then takes them away.

# Uprobe links of this tracer's programs, as bpftool lists them.
tracer_uprobes() {
	local ids
	ids=$(grep -h '^prog_id:' /proc/"$TR_PID"/fdinfo/* 2>/dev/null | awk '{ print $2 }' |
		sort -un | jq -sc .)
	bpftool link show -j 2>/dev/null | jq --argjson ids "$ids" \
		'[.[] | select((.prog_id as $p | $ids | index($p)) and
		  (.type == "perf_event" or .type == "uprobe_multi"))] | length'
}

test_growth_mode_no_allocator_probes() {
	local pid
	start_target pid "$(target growth_leak)" 64 20 4000
	tracer_bg -v --format json --mode growth -o 0 -p "$pid" 1
	tracer_attached
	assert_eq 0 "$(tracer_uprobes)" "uprobes in growth mode"
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
