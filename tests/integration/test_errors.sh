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

# The pid exists when memleakbpf checks it and is gone when it attaches: the
# target exits while the BPF programs load (about 100-200 ms after start).
# The timing cannot be forced from outside, so several delays are tried: 5
# must be seen at least once, and every other run must end as 4 (died before
# the check) or 0 (lived until attached; the final report follows its exit).
test_error_pid_exited_before_attach() {
	local delay pid seen5=0 codes=""
	for delay in 60 90 40 120 30 150 20 80; do
		start_target pid "$(target exit_after)" "$delay"
		tracer --format json -o 0 -p "$pid" 0.2
		codes="$codes $delay:$TR_RC"
		case $TR_RC in
		5)
			assert_error 5
			assert_match "$pid" "$(cat "$TR_ERR")" "error line names the pid"
			assert_no_probes
			seen5=$((seen5 + 1))
			[ $seen5 -ge 2 ] && break
			;;
		0 | 4) ;;
		*) fail "unexpected exit code $TR_RC with a target living $delay ms ($(head -c 300 "$TR_ERR"))" ;;
		esac
		wait_pid "$pid" 10
	done
	[ $seen5 -ge 1 ] || fail "exit code 5 never observed (delay_ms:exit_code$codes)"
}

# A runtime error before tracing: the output file cannot be created.
test_error_output_unwritable() {
	expect_error 1 --output /nonexistent/dir/report -c "$(target leak_exact) 1 1 100" 1
}
