# realloc_chain: grow_chain reallocs NULL -> 10 -> 100 -> 5000 -> FINAL and
# keeps the block; realloc_to_zero mallocs 777 bytes and frees them with
# realloc(q, 0); leak_reallocarray keeps reallocarray(NULL, RA_N, RA_SIZE).
#   allocations: 4 (chain) + 1 (malloc 777) + 1 (reallocarray) = 6
#   frees:       3 (chain: each realloc of a block releases it) + 1 (realloc to 0) = 4
# (glibc's realloc(NULL, n) calls malloc and realloc(q, 0) frees q inside;
# those nested calls must not count twice.)

test_realloc_chain() {
	local final=200000 ra_n=12 ra_size=300
	tracer --format json -o 0 -c "$(target realloc_chain) $final $ra_n $ra_size 300" 0.2
	assert_eq 0 "$TR_RC" "exit code (stderr: $(head -c 300 "$TR_ERR"))"
	final_report
	assert_one_process
	assert_stack grow_chain $final 1 "$(src_line CHAIN_LAST_LINE realloc_chain.c)" realloc_chain.c
	assert_stack leak_reallocarray $((ra_n * ra_size)) 1 "$(src_line REALLOCARRAY_LINE realloc_chain.c)"
	assert_no_stack realloc_to_zero
	assert_eq 2 "$(malloc_stacks)" "malloc stacks listed"
	assert_eq $((final + ra_n * ra_size)) "$(jf '.processes[0].outstanding_bytes')" "process outstanding_bytes"
	assert_eq 2 "$(jf '.processes[0].outstanding_allocs')" "process outstanding_allocs"
	assert_eq 6 "$(jf '.stats.allocs')" "stats.allocs"
	assert_eq 4 "$(jf '.stats.frees')" "stats.frees"
	assert_eq 0 "$(jf '.stats.unknown_frees')" "stats.unknown_frees"
	assert_eq 0 "$(jf '.stats.failed_allocs')" "stats.failed_allocs (realloc(q, 0) is not a failure)"
}

# Failed calls count as failed_allocs and nothing else; a failed realloc
# leaves its block outstanding, still charged to the stack that made it.
test_failed_allocations() {
	local keep=4321
	tracer --format json -o 0 -c "$(target failures) $keep 300" 0.2
	assert_eq 0 "$TR_RC" "exit code"
	final_report
	assert_stack keep_fn $keep 1 "$(src_line KEEP_LINE failures.c)" failures.c
	assert_eq 1 "$(malloc_stacks)" "malloc stacks listed"
	assert_eq 5 "$(jf '.stats.failed_allocs')" "stats.failed_allocs (realloc, malloc, calloc, posix_memalign, reallocarray)"
	assert_eq 1 "$(jf '.stats.allocs')" "stats.allocs"
	assert_eq 0 "$(jf '.stats.frees')" "stats.frees"
	assert_eq $keep "$(jf '.processes[0].outstanding_bytes')" "process outstanding_bytes"
}
