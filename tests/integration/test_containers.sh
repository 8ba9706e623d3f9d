# Containers: a target in its own pid and mount namespaces, run from a path
# only its namespace has; a static musl binary (its allocator is inside).

test_pid_and_mount_namespace() {
	local outer pid ns_pid
	need_cmd unshare
	mkdir "$T/ctr"
	# unshare forks: the target is pid 1 of the new pid namespace.
	start_target outer unshare --pid --fork --mount sh -c \
		'mount -t tmpfs none "$1" && cp "$2" "$1/ctr_leak" && exec "$1/ctr_leak" 6 700 400 "$3"' \
		sh "$T/ctr" "$(target leak_exact)" "$T/go"
	WAIT_SECS=5 wait_for pgrep -f "$T/ctr/ctr_leak" >/dev/null || fail "target did not start"
	pid=$(pgrep -f "$T/ctr/ctr_leak" | head -n 1)
	adopt "$pid"
	[ ! -e "$T/ctr/ctr_leak" ] || fail "the namespace's file is visible to the tracer"
	tracer_bg -v --format json -o 0 -p "$pid" 0.2
	tracer_attached
	touch "$T/go"
	wait_pid "$outer" 20
	tracer_wait 20
	assert_eq 0 "$TR_RC" "tracer exit code (stderr: $(head -c 300 "$TR_ERR"))"
	final_report
	assert_eq "$pid" "$(jf '.processes[0].pid')" "host pid"
	assert_eq "$pid" "$(jf '.processes[0].host_pid')" "host pid (the tracer's namespace is the host's)"
	assert_eq 1 "$(jf '.processes[0].ns_pid')" "pid inside the namespace"
	assert_stack leak_exact_fn 4200 6 "$(src_line LEAK_LINE leak_exact.c)" leak_exact.c ctr_leak
}

test_static_musl() {
	tracer --format json -o 0 -v -c "$(target leak_exact_musl) 4 1000 300" 0.2
	assert_eq 0 "$TR_RC" "exit code (stderr: $(head -c 300 "$TR_ERR"))"
	final_report
	assert_match "leak_exact_musl: musl \\(malloc, " "$(grep 'leak_exact_musl: ' "$TR_ERR")" "musl's malloc found in the executable (-v)"
	assert_stack leak_exact_fn 4000 4 "$(src_line LEAK_LINE leak_exact.c)" leak_exact.c leak_exact_musl
	assert_eq 4000 "$(jf '.processes[0].outstanding_bytes')" "process outstanding bytes"
}
