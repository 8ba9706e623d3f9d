# A service in a memory cgroup (v1, 64 MiB): a master forks workers, one is
# really OOM-killed and respawned (tests/targets/master.c).  Under --follow
# every worker is traced from fork; the OOM record names the victim and
# what filled it; the respawned worker is traced and marked; nothing is
# attributed to the dead pid afterwards.

test_service_follow_oom_respawn() {
	local cg pid steady hog resp rec mib=$((1024 * 1024)) line
	[ -w /sys/fs/cgroup/memory ] || fail "no writable cgroup v1 memory controller"
	cg=/sys/fs/cgroup/memory/memleakbpf-svc-$$
	mkdir "$cg" || fail "cannot create $cg"
	echo $((64 * mib)) >"$cg/memory.limit_in_bytes"
	sh -c 'echo $$ >"$1/cgroup.procs" && exec "$2" "$3" "$4"' sh "$cg" \
		"$(target master)" "$T/go" "$T/pids" >/dev/null 2>&1 &
	pid=$!
	IT_BG+=("$pid")
	tracer_bg -v --follow --format json -o 0 -p "$pid" 0.5
	tracer_attached
	touch "$T/go"
	wait_pid "$pid" 40
	assert_eq 0 "$WAIT_RC" "master exit code"
	tracer_wait 20
	rmdir "$cg" 2>/dev/null
	assert_eq 0 "$TR_RC" "tracer exit code (stderr: $(head -c 300 "$TR_ERR"))"
	read -r steady hog resp <"$T/pids"

	rec=$(grep '"type":"oom_kill"' "$TR_OUT")
	assert_eq 1 "$(grep -c . <<<"$rec")" "oom_kill records"
	assert_eq "$hog" "$(jq '.pid' <<<"$rec")" "OOM victim"
	assert_eq hog_fn "$(jq -r '.report.stacks[0].frames[0].symbol' <<<"$rec")" "victim's top stack"
	line=$(src_line HOG_LINE master.c)
	assert_eq "$line" "$(jq '.report.stacks[0].frames[0].line' <<<"$rec")" "line of the hog"
	assert_eq "$((64 * mib))" "$(jq '.cgroup_limit_bytes' <<<"$rec")" "cgroup limit in the record"

	# Each worker's exit is reported with what it held.
	exit_of() { jq -c --argjson p "$1" 'select(.type == "process_exit" and .pid == $p)' "$TR_OUT"; }
	assert_eq 10000 "$(exit_of "$steady" | jq '.outstanding_bytes')" "steady worker at exit"
	assert_eq false "$(exit_of "$steady" | jq '.respawn')" "steady worker is no respawn"
	assert_eq "$pid" "$(exit_of "$steady" | jq '.ppid')" "steady worker's parent"
	assert_eq 500000 "$(exit_of "$resp" | jq '.outstanding_bytes')" "respawned worker at exit"
	assert_eq true "$(exit_of "$resp" | jq '.respawn')" "respawned worker marked"
	assert_eq 1 "$(exit_of "$hog" | grep -c .)" "victim's exit reported"

	# After its exit, the victim appears in no report.
	local after
	after=$(awk '/"type":"process_exit"/ && /"pid":'"$hog"',/ { found = 1; next } found' "$TR_OUT" |
		grep '"type":"report"' | jq -c --argjson p "$hog" \
		'[.processes[].pid, .stacks[].pids[]] | map(select(. == $p))' | sort -u)
	[ -z "$after" ] || assert_eq "[]" "$after" "pid $hog in reports after its exit"
	tail -n 1 "$TR_OUT" >"$T/final.json"
	assert_eq true "$(jf '.final')" "final report last"
	assert_no_probes
}
