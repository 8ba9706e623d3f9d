# The tracer's life: targets exiting mid-run, SIGINT, SIGKILL; probes never
# outlive it, and the traced process is never harmed.

# A target that exits long before COUNT reports: one final report, exit 0.
test_target_exits_mid_run() {
	local start=$SECONDS
	tracer --format json -o 0 -c "$(target leak_exact) 8 512 1000" 60
	assert_eq 0 "$TR_RC" "exit code (stderr: $(head -c 300 "$TR_ERR"))"
	assert_le $((SECONDS - start)) 15 "seconds the tracer ran (target ran 1 s, interval 60 s)"
	assert_eq 1 "$(wc -l <"$TR_OUT")" "reports printed"
	final_report
	assert_eq true "$(jf '.processes[0].exited')" "process exited"
	assert_eq null "$(jf '.processes[0].rss_bytes')" "rss_bytes of an exited process"
	assert_stack leak_exact_fn 4096 8 "$(src_line LEAK_LINE leak_exact.c)"
	assert_no_probes
}

# COUNT reached: the last of COUNT reports is the final one.
test_count_reached() {
	tracer --format json -o 0 -c "$(target leak_exact) 2 100 20000" 0.2 3
	assert_eq 0 "$TR_RC" "exit code"
	assert_eq 3 "$(wc -l <"$TR_OUT")" "reports printed"
	final_report
	adopt "$(jf '.processes[0].pid')"
	assert_eq false "$(jf '.processes[0].exited')" "process exited"
	assert_stack leak_exact_fn 200 2
	assert_no_probes
}

# SIGINT/SIGTERM mid-run: exit 0 with a final report; the -c target keeps
# running (it is never stopped).
signal_final_report() {
	local pid
	tracer_bg --format json -o 0 -c "$(target leak_exact) 5 1000 30000" 0.2
	WAIT_SECS=15 wait_for reports_seen 2 || fail "no periodic reports"
	kill -"$1" "$TR_PID"
	tracer_wait 20
	assert_eq 0 "$TR_RC" "exit code after SIG$1 (stderr: $(head -c 300 "$TR_ERR"))"
	final_report
	pid=$(jf '.processes[0].pid')
	adopt "$pid"
	assert_eq false "$(jf '.processes[0].exited')" "process exited"
	assert_stack leak_exact_fn 5000 5 "$(src_line LEAK_LINE leak_exact.c)"
	kill -0 "$pid" 2>/dev/null && ! process_zombie "$pid" || fail "the target did not survive the tracer's SIG$1"
	assert_no_probes
}

test_sigint_final_report() {
	signal_final_report INT
}

test_sigterm_final_report() {
	signal_final_report TERM
}

# start_survivor: survivor (allocating non-stop, exit code 42) traced with -p,
# once the tracer has reported allocations (its probes are being hit).
start_survivor() {
	start_target SURVIVOR "$(target survivor)" 4000 42
	tracer_bg --format json -o 0 -p "$SURVIVOR" 0.2
	WAIT_SECS=15 wait_for probes_hit || fail "no report with allocations: $(tail -c 300 "$TR_OUT")"
}

probes_hit() {
	[ -s "$TR_OUT" ] && [ "$(tail -n 1 "$TR_OUT" | jq '.stats.allocs' 2>/dev/null)" -gt 0 ] 2>/dev/null
}

test_pid_target_survives_sigkill() {
	start_survivor
	kill -KILL "$TR_PID"
	tracer_wait 10
	assert_eq 137 "$TR_RC" "tracer status after SIGKILL"
	assert_no_probes
	wait_pid "$SURVIVOR" 20
	assert_eq 42 "$WAIT_RC" "exit code of the traced process"
}

test_pid_target_survives_sigint() {
	start_survivor
	kill -INT "$TR_PID"
	tracer_wait 20
	assert_eq 0 "$TR_RC" "exit code after SIGINT"
	final_report
	assert_eq false "$(jf '.processes[0].exited')" "process exited"
	assert_gt "$(jf '.stats.allocs')" 0 "stats.allocs"
	assert_no_probes
	wait_pid "$SURVIVOR" 20
	assert_eq 42 "$WAIT_RC" "exit code of the traced process"
}

# A process that forks: the child is not traced (only the pids given are),
# runs normally with the parent's probes in its copied memory, and its
# allocations are not charged to the parent.
test_fork_child_untraced_unharmed() {
	local pid
	start_target pid "$(target fork_child)" 4 100 "$T/go" 300
	tracer_bg -v --format json -o 0 -p "$pid" 0.2
	tracer_attached
	touch "$T/go"
	wait_pid "$pid" 20
	assert_eq 0 "$WAIT_RC" "target exit code (90: the child did not exit 7)"
	tracer_wait 20
	assert_eq 0 "$TR_RC" "exit code"
	final_report
	assert_eq 1 "$(jf '.processes | length')" "processes"
	assert_stack parent_leak_fn 400 4 "$(src_line PARENT_LINE fork_child.c)"
	assert_no_stack child_leak_fn
	assert_no_stack child_work_fn
	assert_eq 400 "$(jf '.processes[0].outstanding_bytes')" "process outstanding_bytes"
	assert_eq 0 "$(jf '.stats.unknown_frees')" "stats.unknown_frees"
}

# -c "sh -c 'exec TARGET'": what the shell allocated died with its image at
# exec; only the new image's allocations are outstanding.
test_exec_drops_previous_image() {
	tracer --format json -o 0 -c "sh -c 'exec $(target leak_exact) 3 100 500'" 0.2
	assert_eq 0 "$TR_RC" "exit code (stderr: $(head -c 300 "$TR_ERR"))"
	final_report
	assert_one_process
	assert_eq leak_exact "$(jf '.processes[0].comm')" "comm after exec"
	assert_stack leak_exact_fn 300 3 "$(src_line LEAK_LINE leak_exact.c)"
	assert_eq 300 "$(jf '.processes[0].outstanding_bytes')" \
		"process outstanding_bytes (stacks: $(jf -c '[.stacks[] | select(.kind == "malloc") | [.bytes, .frames[0].symbol]]'))"
	assert_eq 3 "$(jf '.processes[0].outstanding_allocs')" "process outstanding_allocs"
	assert_eq 1 "$(malloc_stacks)" "malloc stacks listed"
}

# The same pid twice is one process: rejected as a usage error, or traced once.
test_duplicate_pid_listed_once() {
	local pid
	start_target pid "$(target leak_exact)" 3 100 300 "$T/go"
	tracer_bg -v --format json -o 0 -p "$pid,$pid" 0.2
	WAIT_SECS=15 wait_for grep -q 'memleakbpf: tracing [0-9]* process\|(see --help)' "$TR_ERR"
	touch "$T/go"
	tracer_wait 20
	if [ "$TR_RC" = 2 ]; then
		assert_error 2
		return
	fi
	assert_eq 0 "$TR_RC" "exit code"
	final_report
	assert_eq 1 "$(jf '.processes | length')" "processes listed for -p $pid,$pid"
	assert_stack leak_exact_fn 300 3
	assert_eq 3 "$(jf '.stats.allocs')" "stats.allocs"
}
