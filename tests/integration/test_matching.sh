# --comm and --cgroup: processes are picked up by name or cgroup, including
# ones started after the tracer (at exec, in the kernel, no race), and each
# one's exit is reported with what it held.

# exit_record PID: the process_exit record of PID in the tracer's output.
exit_record() {
	jq -c --argjson p "$1" 'select(.type == "process_exit" and .pid == $p)' "$TR_OUT"
}

test_comm_picks_up_later_process() {
	local early late
	# One already running (found by the scan), one started later (at exec).
	start_target early "$(target leak_exact)" 3 1000 2500 "$T/go"
	tracer_bg -v --format json -o 0 --comm leak_exact 0.5 8
	tracer_attached
	start_target late "$(target leak_exact)" 7 2000 1500
	touch "$T/go"
	wait_pid "$late" 20
	wait_pid "$early" 20
	tracer_wait 20
	assert_eq 0 "$TR_RC" "tracer exit code (stderr: $(head -c 300 "$TR_ERR"))"
	assert_eq 14000 "$(exit_record "$late" | jq '.outstanding_bytes')" "later process at exit"
	assert_eq 7 "$(exit_record "$late" | jq '.outstanding_allocs')" "its allocations"
	assert_eq 3000 "$(exit_record "$early" | jq '.outstanding_bytes')" "earlier process at exit"
	assert_match "pid $late .*matched: traced" "$(grep "pid $late " "$TR_ERR")" "picked up at exec"
	# While both ran, one stack held both processes' leaks, symbolized.
	local both
	both=$(jq -c --argjson a "$early" --argjson b "$late" 'select(.type == "report") |
		.stacks[] | select(.frames[0].symbol == "leak_exact_fn" and
		(.pids | sort) == ([$a, $b] | sort))' "$TR_OUT" | tail -n 1)
	[ -n "$both" ] || fail "no report with one leak_exact_fn stack for pids $early and $late"
	assert_eq 17000 "$(jq '.bytes' <<<"$both")" "bytes of the merged stack"
	assert_eq 10 "$(jq '.allocs' <<<"$both")" "allocations of the merged stack"
	assert_eq "$(src_line LEAK_LINE leak_exact.c)" "$(jq '.frames[0].line' <<<"$both")" "line"
	assert_no_probes
}

# cgroup_pickup ROOT: a process exec'd inside a new cgroup under ROOT.
cgroup_pickup() {
	local cg pid
	[ -d "$1" ] || fail "no cgroup hierarchy at $1"
	cg=$1/memleakbpf-match-$$
	mkdir "$cg" || fail "cannot create $cg"
	tracer_bg -v --format json -o 0 --cgroup "$cg" 0.5 6
	tracer_attached
	# The shell joins the cgroup, then execs the target: matched at exec.
	sh -c 'echo $$ >"$1/cgroup.procs" && exec "$2" 5 3000 300' sh "$cg" \
		"$(target leak_exact)" >/dev/null 2>&1 &
	pid=$!
	IT_BG+=("$pid")
	wait_pid "$pid" 20
	tracer_wait 20
	rmdir "$cg" 2>/dev/null
	assert_eq 0 "$TR_RC" "tracer exit code (stderr: $(head -c 300 "$TR_ERR"))"
	assert_eq 15000 "$(exit_record "$pid" | jq '.outstanding_bytes')" "process in the cgroup at exit"
	assert_eq leak_exact "$(exit_record "$pid" | jq -r '.comm')" "its command name"
	assert_no_probes
}

test_cgroup_v1_picks_up_later_process() {
	cgroup_pickup /sys/fs/cgroup/memory
}

test_cgroup_v2_picks_up_later_process() {
	cgroup_pickup /sys/fs/cgroup/unified
}

test_cgroup_not_a_cgroup() {
	tracer --cgroup /tmp 1 1
	assert_error 2
}
