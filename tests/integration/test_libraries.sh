# Leaks inside a shared library (linked, and dlopen'ed after attach), under
# jemalloc, and in static binaries.

test_shared_library_leak() {
	tracer --format json -o 0 -c "$(target shared_leak) 10 1000 300" 0.2
	assert_eq 0 "$TR_RC" "exit code (stderr: $(head -c 300 "$TR_ERR"))"
	final_report
	assert_stack lib_leak_fn 10000 10 "$(src_line LIB_LEAK_LINE libleakshared.c)" \
		libleakshared.c libleakshared.so
	assert_eq lib_leak "$(jq -r '.[0].frames[1].symbol' <<<"$STACK")" "frames[1]"
	assert_match '/libleakshared\.so$' "$(jq -r '.[0].frames[1].module' <<<"$STACK")" "frames[1].module"
	assert_eq main "$(jq -r '.[0].frames[2].symbol' <<<"$STACK")" "frames[2]"
	assert_match '/shared_leak$' "$(jq -r '.[0].frames[2].module' <<<"$STACK")" "frames[2].module"
	assert_eq 10000 "$(jf '.processes[0].outstanding_bytes')" "process outstanding_bytes"
}

# The library is mapped only after tracing started.
test_dlopen_library_leak() {
	tracer --format json -o 0 -c "$(target dlopen_leak) $(target libleakshared.so) 10 1000 300 1500" 0.2
	assert_eq 0 "$TR_RC" "exit code (stderr: $(head -c 300 "$TR_ERR"))"
	final_report
	assert_stack lib_leak_fn 10000 10 "$(src_line LIB_LEAK_LINE libleakshared.c)" \
		libleakshared.c libleakshared.so
	assert_eq lib_leak "$(jq -r '.[0].frames[1].symbol' <<<"$STACK")" "frames[1]"
	assert_eq main "$(jq -r '.[0].frames[2].symbol' <<<"$STACK")" "frames[2]"
}

# malloc is jemalloc's (Debian's libjemalloc exports it unprefixed).  Other
# stacks exist (libstdc++, which jemalloc pulls in, allocates its emergency
# pool at load time); only ours are checked.
test_jemalloc_leak() {
	ldd "$(target jemalloc_leak)" | grep -q libjemalloc || fail "jemalloc_leak is not linked with jemalloc"
	tracer --format json -o 0 -c "$(target jemalloc_leak) 10 1000 300" 0.2
	assert_eq 0 "$TR_RC" "exit code (stderr: $(head -c 300 "$TR_ERR"))"
	final_report
	assert_stack jemalloc_leak_fn 10000 10 "$(src_line JE_LEAK_LINE jemalloc_leak.c)" jemalloc_leak.c
	assert_eq main "$(jq -r '.[0].frames[1].symbol' <<<"$STACK")" "frames[1]"
	assert_no_stack jemalloc_churn_fn
	assert_le 10 "$(jf '.stats.frees')" "stats.frees (jemalloc_churn_fn frees 10)"
	assert_eq 0 "$(jf '.stats.unknown_frees')" "stats.unknown_frees"
}

# malloc is in the executable.  Static glibc allocates a few blocks of its
# own before main (_dl_non_dynamic_init ...): only our stack is exact.
test_static_leak() {
	tracer --format json -o 0 -c "$(target static_leak) 10 1000 300" 0.2
	assert_eq 0 "$TR_RC" "exit code (stderr: $(head -c 300 "$TR_ERR"))"
	final_report
	assert_stack static_leak_fn 10000 10 "$(src_line STATIC_LEAK_LINE static_leak.c)" \
		static_leak.c static_leak
	assert_eq main "$(jq -r '.[0].frames[1].symbol' <<<"$STACK")" "frames[1]"
	assert_no_probes
}

# Stripped, its debug file in .debug/ beside it (.gnu_debuglink): frames
# are named from the debug file's symbol table; its DWARF (file:line) is
# read only with --debug-files.
test_debuglink_lines_on_request() {
	local exe line
	exe=$(target leak_exact_debuglink)
	line=$(src_line LEAK_LINE leak_exact.c)
	tracer --format json -o 0 -c "$exe 10 1000 300" 0.2
	assert_eq 0 "$TR_RC" "exit code (stderr: $(head -c 300 "$TR_ERR"))"
	final_report
	assert_stack leak_exact_fn 10000 10
	assert_eq main "$(jq -r '.[0].frames[1].symbol' <<<"$STACK")" "frames[1]"
	assert_eq null "$(jq -r '.[0].frames[0].file' <<<"$STACK")" "no file without --debug-files"

	tracer --format json -o 0 --debug-files -c "$exe 10 1000 300" 0.2
	assert_eq 0 "$TR_RC" "exit code (stderr: $(head -c 300 "$TR_ERR"))"
	final_report
	assert_stack leak_exact_fn 10000 10 "$line" leak_exact.c leak_exact_debuglink
}

# No symbols at all: no allocator to probe.  The held child never runs.
test_stripped_static_command() {
	local stripped
	stripped=$(target static_leak_stripped)
	tracer --format json -c "$stripped 10 1000 5000" 1
	assert_error 7
	! pgrep -f "^$stripped" >/dev/null || fail "the stripped target was started anyway"
	assert_no_probes
}

test_stripped_static_pid() {
	local pid
	start_target pid "$(target static_leak_stripped)" 10 1000 5000
	tracer --format json -p "$pid" 1
	assert_error 7
	kill -0 "$pid" 2>/dev/null || fail "the target died"
	assert_no_probes
}
