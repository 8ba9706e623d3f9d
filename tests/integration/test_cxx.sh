# C++: a leak through operator new[] with libstdc++'s operators (which call
# malloc) and with jemalloc's (which do not: the operators are probed
# directly).  Exact bytes, the caller of new at its line, demangled, and
# new/delete churn that cancels out without a free counted twice.

check_cxx_leak() { # TARGET
	local s line
	tracer --format json -o 0 -c "$(target "$1") 7 3000 300" 0.2
	assert_eq 0 "$TR_RC" "exit code (stderr: $(head -c 300 "$TR_ERR"))"
	final_report
	line=$(src_line CXX_LEAK_LINE cxx_leak.cc)
	s=$(jf '[.stacks[] | select(.frames[0].symbol == "cxx_leak_fn(unsigned long, unsigned long)")]')
	assert_eq 1 "$(jq length <<<"$s")" "stacks from cxx_leak_fn ($(jf -c '[.stacks[] | [.frames[0].symbol, .bytes]]'))"
	assert_eq 21000 "$(jq '.[0].bytes' <<<"$s")" "bytes leaked through new[]"
	assert_eq 7 "$(jq '.[0].allocs' <<<"$s")" "allocations through new[]"
	assert_eq "$line" "$(jq '.[0].frames[0].line' <<<"$s")" "line of the new[]"
	assert_eq main "$(jq -r '.[0].frames[1].symbol' <<<"$s")" "caller of cxx_leak_fn"
	# 4000 new/delete pairs of the churn, each counted once.
	assert_eq 0 "$(jf '.stats.unknown_frees')" "frees of unknown blocks"
	assert_eq 0 "$(jf '[.stacks[] | select(any(.frames[]; .symbol == "cxx_churn_fn()"))] | length')" \
		"stacks from the churn"
}

test_cxx_libstdcxx() {
	check_cxx_leak cxx_leak
}

test_cxx_jemalloc() {
	check_cxx_leak cxx_leak_jemalloc
}

# The same program with tcmalloc's and mimalloc's operators (LD_PRELOAD):
# there operator delete and free are one address, probed once.
test_cxx_tcmalloc() {
	TR_WRAP=(env LD_PRELOAD=/usr/lib/x86_64-linux-gnu/libtcmalloc_minimal.so.4)
	check_cxx_leak cxx_leak
	assert_eq 0 "$(jf '.stats.nested_calls')" "stats.nested_calls"
}

# mimalloc's sized delete (the churn's 2000 "delete b") calls mi_free: nested.
test_cxx_mimalloc() {
	TR_WRAP=(env LD_PRELOAD=/usr/lib/x86_64-linux-gnu/libmimalloc.so.2)
	check_cxx_leak cxx_leak
	assert_eq 2000 "$(jf '.stats.nested_calls')" "stats.nested_calls"
}
