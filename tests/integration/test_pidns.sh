# Pid namespaces: the tracer runs in the namespace of its targets (as
# kubectl debug --target puts it), takes and prints the pids that namespace
# shows, and the kernel side still matches the host's.  The host pid is in
# every process record too.

# pidns_target VAR CMD ARGS...: CMD as pid 1 of a new pid namespace with
# its own /proc (and mount namespace); VAR: its pid on the host, once CMD
# runs (not the unshare before its exec).
pidns_target() {
	local __var=$1 __outer __host __exe
	shift
	need_cmd unshare nsenter
	__exe=$(readlink -f "$1")
	start_target __outer unshare --pid --fork --kill-child --mount-proc "$@"
	WAIT_SECS=5 wait_for pgrep -P "$__outer" >/dev/null || fail "no process in the new namespace"
	__host=$(pgrep -P "$__outer")
	adopt "$__host"
	WAIT_SECS=5 wait_for test "$(readlink "/proc/$__host/exe")" = "$__exe" ||
		fail "pid $__host does not run $__exe"
	printf -v "$__var" '%s' "$__host"
}

# exit_record PID: the process_exit record of PID in the tracer's output.
pidns_exit_record() {
	jq -c --argjson p "$1" 'select(.type == "process_exit" and .pid == $p)' "$TR_OUT"
}

# The issue's case: `nsenter -t PID -p -m memleakbpf -p 1` recorded nothing
# (BPF compared host pids with 1).  Now: the exact leak, under pid 1.  The
# target outlives the tracer (4 reports): pid 1's exit would end the
# namespace and the tracer in it.
test_pidns_tracer_inside_target_namespace() {
	local host
	pidns_target host "$(target leak_exact)" 9 1500 60000 "$T/go"
	TR_WRAP=(nsenter -t "$host" -p -m)
	tracer_bg -v --format json -o 0 -p 1 0.5 4
	TR_WRAP=()
	tracer_attached
	touch "$T/go"
	tracer_wait 30
	assert_eq 0 "$TR_RC" "tracer exit code (stderr: $(grep -v unwind "$TR_ERR" | head -c 300))"
	final_report
	assert_one_process
	assert_eq 1 "$PROC_PID" "pid as the namespace sees it"
	assert_eq "$host" "$(jf '.processes[0].host_pid')" "host pid"
	assert_eq null "$(jf '.processes[0].ns_pid')" "ns_pid (same namespace as the tracer)"
	assert_eq 13500 "$(jf '.processes[0].outstanding_bytes')" "outstanding bytes"
	assert_stack leak_exact_fn 13500 9 "$(src_line LEAK_LINE leak_exact.c)" leak_exact.c leak_exact
	assert_eq "[1]" "$(jq -c '.[0].pids' <<<"$STACK")" "the stack's pids"
	assert_no_probes
}

# A pid the namespace does not show is not found: said, non-zero exit.
test_pidns_host_pid_not_visible_inside() {
	local host other
	pidns_target host "$(target leak_exact)" 1 100 30000 "$T/go"
	start_target other "$(target leak_exact)" 1 100 30000 "$T/go"
	TR_WRAP=(nsenter -t "$host" -p -m)
	tracer -p "$other" 0.2 1
	TR_WRAP=()
	assert_error 4
	assert_match "no such process: $other" "$(cat "$TR_ERR")" "error line"
}

# The tracer in a pid namespace of its own with a /proc of the host's: its
# pids would mean nothing to the kernel's attachment.  Refused, said why.
test_pidns_foreign_proc_refused() {
	need_cmd unshare
	TR_WRAP=(unshare --pid --fork)
	tracer -p 1 1
	TR_WRAP=()
	assert_error 10
	assert_match "/proc mounted here shows another pid namespace" "$(cat "$TR_ERR")" "error line"
}

# -c inside a new pid namespace (the tracer is its pid 1).  The command
# writes down its own pid, as the namespace shows it, then exec's.
test_pidns_command_inside() {
	local pid host
	need_cmd unshare
	TR_WRAP=(unshare --pid --fork --kill-child --mount-proc)
	tracer -v --format json -o 0 -c "sh -c 'echo \$\$ >$T/pid; exec $(target leak_exact) 6 2500 200'" 0.2
	TR_WRAP=()
	assert_eq 0 "$TR_RC" "tracer exit code (stderr: $(grep -v unwind "$TR_ERR" | head -c 300))"
	final_report
	assert_one_process
	pid=$(cat "$T/pid")
	assert_le "$pid" 10 "the command's pid, in a namespace of a few processes"
	assert_eq "$pid" "$PROC_PID" "the command's pid in the namespace"
	host=$(jf '.processes[0].host_pid')
	assert_match '^[0-9]+$' "$host" "host pid"
	assert_ne "$pid" "$host" "host pid"
	assert_stack leak_exact_fn 15000 6 "$(src_line LEAK_LINE leak_exact.c)" leak_exact.c leak_exact
}

# --follow inside a new pid namespace: the forked child is learned from the
# kernel's fork event (host pids) and reported by the namespace's pids.
test_pidns_follow_inside() {
	need_cmd unshare
	TR_WRAP=(unshare --pid --fork --kill-child --mount-proc)
	tracer_bg -v --follow --format json -o 0 \
		-c "sh -c 'echo \$\$ >$T/pid; exec $(target fork_child) 4 100 $T/go 300'" 0.2
	TR_WRAP=()
	tracer_attached
	touch "$T/go"
	tracer_wait 30
	assert_eq 0 "$TR_RC" "tracer exit code (stderr: $(grep -v unwind "$TR_ERR" | head -c 300))"
	local parent child pid
	parent=$(cat "$T/pid")
	assert_le "$parent" 10 "the parent's pid, in a namespace of a few processes"
	assert_eq 400 "$(pidns_exit_record "$parent" | jq '.outstanding_bytes')" "the parent's leak at its exit"
	child=$(jq -c --argjson p "$parent" 'select(.type == "process_exit" and .ppid == $p)' "$TR_OUT")
	[ -n "$child" ] || fail "no process_exit record with ppid $parent: $(grep process_exit "$TR_OUT" | head -c 300)"
	pid=$(jq '.pid' <<<"$child")
	assert_le "$pid" 10 "the child's pid, as the namespace numbers it"
	assert_eq 3885 "$(jq '.outstanding_bytes' <<<"$child")" "the child's leak at its exit"
	assert_eq 5 "$(jq '.outstanding_allocs' <<<"$child")" "its allocations"
	assert_match "pid $pid \\(fork_child\\) forked: traced" "$(cat "$TR_ERR")" "the fork, by namespace pids (-v)"
}

# --cgroup inside a namespace: a process of the namespace joins the cgroup
# and exec's; matched at exec by the kernel (host pid), reported by its pid
# in the namespace, which it wrote down itself.
test_pidns_cgroup_inside() {
	local holder cg nsenter_pid pid rec
	[ -d /sys/fs/cgroup/unified ] || fail "no cgroup v2 hierarchy at /sys/fs/cgroup/unified"
	cg=/sys/fs/cgroup/unified/memleakbpf-pidns-$$-$RANDOM
	mkdir "$cg" || fail "cannot create $cg"
	pidns_target holder "$(command -v sleep)" 60
	TR_WRAP=(nsenter -t "$holder" -p -m)
	tracer_bg -v --format json -o 0 --cgroup "$cg" 0.5 6
	TR_WRAP=()
	tracer_attached
	nsenter -t "$holder" -p -m sh -c 'echo $$ >"$1/cgroup.procs" && echo $$ >"$3" &&
		exec "$2" 5 3000 300' sh "$cg" "$(target leak_exact)" "$T/pid" &
	nsenter_pid=$!
	IT_BG+=("$nsenter_pid")
	wait_pid "$nsenter_pid" 20
	tracer_wait 30
	rmdir "$cg" 2>/dev/null
	assert_eq 0 "$TR_RC" "tracer exit code (stderr: $(grep -v unwind "$TR_ERR" | head -c 300))"
	pid=$(cat "$T/pid")
	assert_le "$pid" 10 "the process's pid, in a namespace of a few processes"
	rec=$(pidns_exit_record "$pid")
	[ -n "$rec" ] || fail "no process_exit record of pid $pid: $(grep process_exit "$TR_OUT" | head -c 300)"
	assert_eq 15000 "$(jq '.outstanding_bytes' <<<"$rec")" "its leak at its exit"
	assert_match '^[0-9]+$' "$(jq '.host_pid' <<<"$rec")" "host pid"
	assert_ne "$pid" "$(jq '.host_pid' <<<"$rec")" "host pid"
	assert_match "pid $pid \\(leak_exact\\) matched: traced" "$(cat "$TR_ERR")" "matched at exec (-v)"
}

# --comm inside a namespace: a matching process of the host, which the
# namespace does not show, is neither found by the scan nor at its exec.
test_pidns_comm_inside_sees_own_processes_only() {
	local host outside late
	start_target outside "$(target leak_exact)" 2 100 30000
	pidns_target host "$(target leak_exact)" 3 1000 60000 "$T/go"
	TR_WRAP=(nsenter -t "$host" -p -m)
	tracer_bg -v --format json -o 0 --comm leak_exact 0.5 5
	TR_WRAP=()
	tracer_attached
	# Started on the host after the tracer: exec'd into the name, not shown.
	start_target late "$(target leak_exact)" 4 100 1000
	touch "$T/go"
	wait_pid "$late" 20
	tracer_wait 30
	assert_eq 0 "$TR_RC" "tracer exit code (stderr: $(grep -v unwind "$TR_ERR" | head -c 300))"
	final_report
	assert_eq "[1]" "$(jq -c -s '[.[] | select(.type == "report") | .processes[].pid] | unique' "$TR_OUT")" \
		"processes ever reported"
	assert_eq "$host" "$(jf '.processes[0].host_pid')" "host pid"
	assert_eq 3000 "$(jf '.processes[0].outstanding_bytes')" "pid 1's leak"
	assert_match "pid 1 \\(leak_exact\\) matches: traced" "$(cat "$TR_ERR")" "found by the scan (-v)"
	assert_eq 0 "$(grep -c 'matched: traced' "$TR_ERR")" "processes matched at exec"
}

# The issue's "done when", as kubectl debug --target runs the image: the
# static binary alone in an empty root (only /proc, the target namespace's,
# and /sys mounted), in the target's pid namespace, naming it pid 1.
test_pidns_static_empty_root_in_target_namespace() {
	local host static=$IT_ROOT/memleakbpf-static
	[ -x "$static" ] || fail "$static not built (make integration builds it)"
	need_cmd chroot
	mkdir -p "$T/root/proc" "$T/root/sys"
	cp "$static" "$T/root/memleakbpf"
	assert_eq "memleakbpf proc sys" "$(ls "$T/root" | paste -sd ' ')" "the root's contents"
	pidns_target host "$(target leak_exact)" 17 3000 60000 "$T/go"
	TR_WRAP=(nsenter -t "$host" -p -m unshare --mount --fork sh -c \
		'mount -t proc proc "$1/proc" && mount --rbind /sys "$1/sys" && r=$1 && shift &&
		 exec chroot "$r" "$@"' sh "$T/root")
	tracer_bg_in_root /memleakbpf -v --format json -o 0 -p 1 0.5 4
	TR_WRAP=()
	tracer_attached
	touch "$T/go"
	tracer_wait 30
	assert_eq 0 "$TR_RC" "tracer exit code (stderr: $(grep -v unwind "$TR_ERR" | head -c 300))"
	final_report
	assert_one_process
	assert_eq 1 "$PROC_PID" "pid as the namespace sees it"
	assert_eq "$host" "$(jf '.processes[0].host_pid')" "host pid"
	assert_eq 51000 "$(jf '.processes[0].outstanding_bytes')" "outstanding bytes"
	assert_stack leak_exact_fn 51000 17 "$(src_line LEAK_LINE leak_exact.c)" leak_exact.c leak_exact
}

# tracer_bg with TR_WRAP's own program (the binary inside a root).
tracer_bg_in_root() {
	need_root
	TR_N=$((${TR_N:-0} + 1))
	TR_OUT=$T/tracer$TR_N.out
	TR_ERR=$T/tracer$TR_N.err
	env --default-signal=INT "${TR_WRAP[@]}" "$@" >"$TR_OUT" 2>"$TR_ERR" &
	TR_PID=$!
	IT_BG+=("$TR_PID")
}
