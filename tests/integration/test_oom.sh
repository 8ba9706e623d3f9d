# A real OOM kill in a cgroup v1 memory controller with a 64 MiB limit: the
# tracer must report the victim, its cgroup and the stack that filled it,
# before the process is gone, and keep running to its final report.

CG_ROOT=/sys/fs/cgroup/memory

test_oom_kill_report() {
	local cg pid line block=$((1024 * 1024)) rec
	[ -w "$CG_ROOT" ] || fail "no writable cgroup v1 memory controller at $CG_ROOT"
	cg=$CG_ROOT/memleakbpf-it-$$
	mkdir "$cg" || fail "cannot create $cg"
	echo $((64 * block)) >"$cg/memory.limit_in_bytes"
	echo 0 >"$cg/memory.swappiness" 2>/dev/null
	# Start the hog inside the cgroup (the shell joins it, then execs).
	sh -c 'echo $$ >"$1/cgroup.procs" && exec "$2" "$3" "$4"' sh "$cg" \
		"$(target oom_hog)" "$block" "$T/go" >/dev/null 2>&1 &
	pid=$!
	IT_BG+=("$pid")
	tracer_bg -v --format json -o 0 -p "$pid" 0.5
	tracer_attached
	touch "$T/go"
	wait_pid "$pid" 30
	tracer_wait 20
	rmdir "$cg" 2>/dev/null
	assert_eq 0 "$TR_RC" "tracer exit code (stderr: $(head -c 300 "$TR_ERR"))"
	assert_eq 1 "$(grep -c '"type":"oom_kill"' "$TR_OUT")" "oom_kill records"
	rec=$(grep '"type":"oom_kill"' "$TR_OUT")
	assert_eq "$pid" "$(jq '.pid' <<<"$rec")" "victim pid"
	assert_eq oom_hog "$(jq -r '.comm' <<<"$rec")" "victim comm"
	assert_eq "/$(basename "$cg")" "$(jq -r '.cgroup' <<<"$rec")" "victim cgroup"
	assert_eq $((64 * block)) "$(jq '.cgroup_limit_bytes' <<<"$rec")" "cgroup limit"
	assert_gt "$(jq '.anon_rss_bytes' <<<"$rec")" $((32 * block)) "victim anon RSS"
	line=$(src_line HOG_LINE oom_hog.c)
	assert_eq hog_block "$(jq -r '.report.stacks[0].frames[0].symbol' <<<"$rec")" "top stack of the victim"
	assert_eq "$line" "$(jq '.report.stacks[0].frames[0].line' <<<"$rec")" "line of the leak"
	assert_eq "[$pid]" "$(jq -c '[.report.processes[].pid]' <<<"$rec")" "processes in the victim's report"
	# Everything the victim held, in whole blocks, a good part of the limit.
	assert_eq 0 "$(( $(jq '.report.stacks[0].bytes' <<<"$rec") % block ))" "bytes are whole blocks"
	assert_gt "$(jq '.report.stacks[0].bytes' <<<"$rec")" $((32 * block)) "bytes held by hog_block"
	# The tracer went on to a final report after the victim died.
	tail -n 1 "$TR_OUT" >"$T/final.json"
	assert_eq true "$(jf '.final')" "final report after the kill"
	assert_eq true "$(jf '.processes[0].exited')" "victim marked exited"
	assert_no_probes
}
