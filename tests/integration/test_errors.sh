# Errors: the documented exit code, exactly one line on stderr starting with
# "memleakbpf: ", nothing on stdout, and no BPF program left behind.

# expect_error CODE ARGS...: run memleakbpf ARGS, check all of the above.
expect_error() {
	local code=$1
	shift
	tracer "$@"
	[ "$TR_RC" = "$code" ] || fail "memleakbpf $*: expected exit $code, got $TR_RC ($(head -c 300 "$TR_ERR"))"
	assert_error "$code"
	assert_no_probes
}

test_error_unknown_option() {
	expect_error 2 --bogus -p 1
	expect_error 2 -q -p 1
	expect_error 2 -p 1 1 2 3
}

test_error_bad_values() {
	local args
	for args in "-T 0" "-T x" "-o abc" "-o -5" "--format xml" "-z 1q" "-z 10 -Z 5" \
		"-p 0" "-p abc" "-p 1 -c true" "--max-allocs 1" "-p 1 0" "-p 1 1 0" "-p"; do
		# shellcheck disable=SC2086
		expect_error 2 $args
	done
}

# A pid that existed a moment ago.
test_error_no_such_pid() {
	local pid
	start_target pid "$(target exit_after)" 0
	wait_pid "$pid" 10
	kill -0 "$pid" 2>/dev/null && fail "pid $pid was reused"
	expect_error 4 -p "$pid" 1
	expect_error 4 -p "$$,$pid" 1
}

test_error_not_privileged_nobody() {
	local pid
	need_cmd setpriv
	start_target pid "$(target exit_after)" 10000
	TR_WRAP=(setpriv --reuid=65534 --regid=65534 --clear-groups)
	expect_error 3 -p "$pid" 1
}

# root, but with every capability dropped.
test_error_not_privileged_no_caps() {
	local pid
	need_cmd setpriv
	start_target pid "$(target exit_after)" 10000
	TR_WRAP=(setpriv --inh-caps=-all --ambient-caps=-all --bounding-set=-all)
	expect_error 3 -p "$pid" 1
}

test_error_btf_file_missing() {
	expect_error 6 --btf /nonexistent/vmlinux -p $$ 1
}

# hide_btf: run memleakbpf in a mount namespace where /sys/kernel/btf is empty.
hide_btf() {
	need_cmd unshare
	[ -r /sys/kernel/btf/vmlinux ] || skip "this kernel has no /sys/kernel/btf/vmlinux"
	TR_WRAP=(unshare -m sh -c 'mount -t tmpfs none /sys/kernel/btf && exec "$@"' sh)
}

test_error_no_kernel_btf() {
	hide_btf
	expect_error 6 -p $$ 1
}

# With the kernel's BTF hidden, --btf naming a copy of it works.
test_btf_option_copy_works() {
	hide_btf
	cp /sys/kernel/btf/vmlinux "$T/vmlinux.btf"
	tracer --btf "$T/vmlinux.btf" --format json -o 0 -c "$(target leak_exact) 4 250 300" 0.2
	assert_eq 0 "$TR_RC" "exit code (stderr: $(head -c 300 "$TR_ERR"))"
	final_report
	assert_stack leak_exact_fn 1000 4 "$(src_line LEAK_LINE leak_exact.c)"
	assert_no_probes
}

test_error_command_cannot_start() {
	printf 'not an ELF file\n' >"$T/script"
	chmod +x "$T/script"
	expect_error 9 -c /nonexistent/program 1
	expect_error 9 -c memleakbpf_no_such_command_xyz 1
	expect_error 9 -c "$T/script" 1
	expect_error 9 -c "$(target leak_exact) \$(id)" 1
}

# A BPF map the kernel cannot allocate (64 Mi stack traces of 1016 bytes).
test_error_bpf_load_failed() {
	expect_error 8 --max-stacks 67108864 -c "$(target leak_exact) 1 1 100" 1
}

# tracer_holds FD_KIND: the background tracer has a descriptor of that kind
# (ls -l shows "anon_inode:bpf-prog", "anon_inode:[perf_event]", ...).
tracer_holds() {
	[[ $(ls -l "/proc/$TR_PID/fd" 2>/dev/null) == *"$1"* ]]
}

# The pid exists when memleakbpf checks it and is gone when it attaches.
# No sleep decides it: once the tracer holds a BPF program (it is loading
# them, after the pid check), it is stopped; if it has no perf event yet
# (no uprobe on the target), the target is killed and reaped, then the
# tracer continues: it must find the target gone, exit 5, one line.  If
# it was probing already, it may have finished: another round.
test_error_pid_exited_before_attach() {
	local pid round deadline
	for round in 1 2 3 4 5 6; do
		start_target pid "$(target exit_after)" 60000
		tracer_bg --format json -o 0 -p "$pid" 0.2
		deadline=$((SECONDS + 30))
		until tracer_holds anon_inode:bpf-prog; do
			kill -0 "$TR_PID" 2>/dev/null || fail "tracer ended before loading ($(head -c 300 "$TR_ERR"))"
			[ "$SECONDS" -lt "$deadline" ] || fail "tracer loaded no BPF program in 30 s"
		done
		kill -STOP "$TR_PID"
		if tracer_holds 'anon_inode:[perf_event]'; then
			kill -CONT "$TR_PID"
			kill -KILL "$pid"
			wait "$pid" 2>/dev/null
			tracer_wait
			continue
		fi
		kill -KILL "$pid"
		wait "$pid" 2>/dev/null
		kill -CONT "$TR_PID"
		tracer_wait
		assert_error 5
		assert_match "process $pid exited before probes were attached" "$(cat "$TR_ERR")" \
			"error line names the pid"
		assert_no_probes
		return 0
	done
	fail "the tracer was probing the target each time it was stopped (6 rounds)"
}

# A runtime error before tracing: the output file cannot be created.
test_error_output_unwritable() {
	expect_error 1 --output /nonexistent/dir/report -c "$(target leak_exact) 1 1 100" 1
}

# The output path is checked at the start: a bad --html path fails before
# a 5 s run (it failed only after the whole run, its page lost).
test_error_html_unwritable_at_start() {
	local start took
	start=$SECONDS
	expect_error 1 --html /nonexistent/dir/page.html -c "$(target leak_exact) 1 1 20000" 5 1
	took=$((SECONDS - start))
	assert_le "$took" 3 "seconds before the error"
	assert_match "/nonexistent/dir/page.html" "$(cat "$TR_ERR")" "error line names the path"
	expect_error 1 --format pprof --output /nonexistent/dir/p.pb.gz \
		-c "$(target leak_exact) 1 1 20000" 5 1
}

# A FIFO as --output or --btf is refused at once (its open blocked for good).
test_error_fifo_refused() {
	local args start
	mkfifo "$T/fifo"
	for args in "--output $T/fifo" "--format pprof --output $T/fifo" "--html $T/fifo"; do
		start=$SECONDS
		# shellcheck disable=SC2086
		expect_error 1 $args -c "$(target leak_exact) 1 1 100" 1
		assert_le $((SECONDS - start)) 5 "seconds for: $args"
		assert_match "not a regular file" "$(cat "$TR_ERR")" "error line for: $args"
	done
	start=$SECONDS
	expect_error 6 --btf "$T/fifo" -p $$ 1
	assert_le $((SECONDS - start)) 5 "seconds for --btf FIFO"
	assert_match "'$T/fifo': not a regular file" "$(cat "$TR_ERR")" "error line for --btf"
}

# --btf with anything but BTF: exit 6 and one line (it was exit 8,
# "Unknown error 4001", from libbpf at load time).
test_error_btf_not_btf() {
	head -c 4096 /dev/urandom >"$T/garbage"
	expect_error 6 --btf "$T/garbage" -p $$ 1
	assert_match "cannot use BTF file '$T/garbage': no BTF in it" "$(cat "$TR_ERR")" "error line"
	: >"$T/empty"
	expect_error 6 --btf "$T/empty" -p $$ 1
	expect_error 6 --btf /dev/null -p $$ 1
	expect_error 6 --btf "$T" -p $$ 1
}

# Strict numbers, and options that mean nothing alone.
test_error_strict_values() {
	expect_error 2 -p " $$" 1
	expect_error 2 -p "+$$" 1
	expect_error 2 -p "$$," 1
	expect_error 2 -p "$$" " 1"
	expect_error 2 -p "$$" -T "+5" 1
	expect_error 2 --rotate-interval 3600 -p "$$" 1
	assert_match "--rotate-interval needs --output-dir" "$(cat "$TR_ERR")" "error line"
	expect_error 2 --rotate-keep 24 -p "$$" 1
	expect_error 2 --sample-seed 1 -p "$$" 1
	expect_error 2 --mode growth --escalate-window 60 -p "$$" 1
	expect_error 2 --syscalls --btf /sys/kernel/btf/vmlinux -p "$$" 1
}

# Root without CAP_SYS_ADMIN: the uprobe perf events are refused by the
# kernel.  It was "no allocation functions ... (stripped static binary?)",
# exit 7; now the missing capability is named, exit 3.  The same for
# CAP_SYS_PTRACE (the maps of a process with more capabilities).
test_error_missing_capability_named() {
	local pid cap
	need_cmd setpriv
	start_target pid "$(target exit_after)" 30000
	for cap in sys_admin sys_ptrace; do
		TR_WRAP=(setpriv "--bounding-set=-$cap" "--inh-caps=-$cap")
		expect_error 3 -p "$pid" 1
		assert_match "missing CAP_${cap^^}( |$)" "$(cat "$TR_ERR")" "error line without $cap"
	done
}

# a_thread_of PID: prints the id of one of PID's threads other than PID,
# once it has started two (fails after 10 s).
a_thread_of() {
	local deadline=$((SECONDS + 10)) task
	while [ "$SECONDS" -lt "$deadline" ]; do
		for task in /proc/"$1"/task/*; do
			task=${task##*/}
			[ "$task" = "$1" ] || [ "$task" = '*' ] || { echo "$task"; return 0; }
		done
		sleep 0.05
	done
	fail "pid $1 started no thread"
}

# -p TID of a thread: its process is traced, and stderr says so (it was
# traced as a process of its own: exit 0, "0 allocs").
test_pid_of_thread_traces_its_process() {
	local pid tid
	start_target pid "$(target threads)" 2 4000 "$T/counts"
	tid=$(a_thread_of "$pid")
	tracer --format json -o 0 -p "$tid" 0.5
	assert_eq 0 "$TR_RC" "exit code (stderr: $(head -c 300 "$TR_ERR"))"
	assert_eq "memleakbpf: $tid is a thread of $pid; tracing process $pid" "$(cat "$TR_ERR")" \
		"stderr"
	final_report
	assert_eq "$pid" "$(jf '[.processes[].pid] | join(",")')" "traced processes"
	assert_gt "$(jf '.stats.allocs')" 1000 "allocations seen"
	# Named twice (the process and its thread): traced once, said once.
	start_target pid "$(target threads)" 2 4000 "$T/counts2"
	tid=$(a_thread_of "$pid")
	tracer --format json -o 0 -p "$pid,$tid" 0.5
	assert_eq 0 "$TR_RC" "exit code (stderr: $(head -c 300 "$TR_ERR"))"
	final_report
	assert_eq "$pid" "$(jf '[.processes[].pid] | join(",")')" "traced processes"
}
