# Size filters (-z/-Z, inclusive bounds, k suffix) and the top-N cut (-T):
# leak_sizes leaks SZ_N blocks each of SZ_SMALL (leak_small), SZ_MEDIUM
# (leak_medium) and SZ_LARGE (leak_large) bytes.

SZ_N=4 SZ_SMALL=100 SZ_MEDIUM=1024 SZ_LARGE=30000

run_sizes() {
	tracer --format json -o 0 "$@" -c "$(target leak_sizes) $SZ_N $SZ_SMALL $SZ_MEDIUM $SZ_LARGE 300" 0.2
	assert_eq 0 "$TR_RC" "exit code (stderr: $(head -c 300 "$TR_ERR"))"
	final_report
}

test_size_filter_exact_bounds() {
	run_sizes -z 1k -Z 1k
	assert_eq 1024 "$(jf '.filters.min_size')" "filters.min_size"
	assert_eq 1024 "$(jf '.filters.max_size')" "filters.max_size"
	assert_stack leak_medium $((SZ_N * SZ_MEDIUM)) $SZ_N "$(src_line MEDIUM_LINE leak_sizes.c)" leak_sizes.c
	assert_no_stack leak_small
	assert_no_stack leak_large
	assert_eq 1 "$(malloc_stacks)" "malloc stacks listed"
	# Filtered allocations are not recorded at all.
	assert_eq $SZ_N "$(jf '.stats.allocs')" "stats.allocs"
	assert_eq $((SZ_N * SZ_MEDIUM)) "$(jf '.processes[0].outstanding_bytes')" "process outstanding_bytes"
}

test_size_filter_min() {
	run_sizes -z $((SZ_SMALL + 1))
	assert_no_stack leak_small
	assert_stack leak_medium $((SZ_N * SZ_MEDIUM)) $SZ_N
	assert_stack leak_large $((SZ_N * SZ_LARGE)) $SZ_N "$(src_line LARGE_LINE leak_sizes.c)"
	assert_eq null "$(jf '.filters.max_size')" "filters.max_size"
}

test_size_filter_max() {
	run_sizes -Z $((SZ_LARGE - 1))
	assert_stack leak_small $((SZ_N * SZ_SMALL)) $SZ_N "$(src_line SMALL_LINE leak_sizes.c)"
	assert_stack leak_medium $((SZ_N * SZ_MEDIUM)) $SZ_N
	assert_no_stack leak_large
}

# leak_large holds the most (120 kB, more than any mapping of the dynamic
# loader), so it is the one stack -T 1 lists.
test_top_one() {
	run_sizes -T 1
	assert_eq 1 "$(jf '.stacks | length')" "stacks listed with -T 1"
	assert_le 3 "$(jf '.stacks_matched')" "stacks_matched (before the cut)"
	assert_eq 1 "$(jf '.filters.top')" "filters.top"
	assert_stack leak_large $((SZ_N * SZ_LARGE)) $SZ_N
	assert_eq $((SZ_N * (SZ_SMALL + SZ_MEDIUM + SZ_LARGE))) "$(jf '.processes[0].outstanding_bytes')" \
		"process outstanding_bytes (not cut by -T)"
}

# The heap growth (brk) malloc makes inside its own call is the allocator's
# backing memory, not a mapping the program made: a size filter, which only
# chooses which allocations are reported, must not change that.  The first
# malloc of leak_sizes (leak_small's) grows the heap.
test_size_filter_keeps_heap_growth_as_backing() {
	local backing
	run_sizes
	backing=$(jf '.processes[0].allocator_backing_bytes')
	assert_gt "$backing" 0 "allocator_backing_bytes without a filter"
	assert_eq 0 "$(jf '[.stacks[] | select(.kind == "brk")] | length')" "brk stacks without a filter"
	run_sizes -z $((SZ_SMALL + 1))
	assert_eq 0 "$(jf '[.stacks[] | select(.kind == "brk")] | length')" \
		"brk stacks with -z $((SZ_SMALL + 1)) ($(jf -c '[.stacks[] | select(.kind == "brk") | {bytes, f: [.frames[].symbol]}]'))"
	assert_eq "$backing" "$(jf '.processes[0].allocator_backing_bytes')" \
		"allocator_backing_bytes with -z (without: $backing)"
}
