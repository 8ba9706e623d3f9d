# churn: for a second, malloc/calloc/realloc/posix_memalign/aligned_alloc and
# free of sizes from 1 B to 256 KiB, everything freed before exit.  The target
# counts the allocations and frees a tracer must see (a realloc that keeps a
# block is one free plus one allocation) and writes them to a file; glibc
# itself allocates nothing in this program, so the counts must match exactly
# and nothing may be outstanding.

test_churn_nothing_outstanding() {
	local counts allocs frees
	tracer --format json -o 0 -c "$(target churn) 1000 $T/counts" 0.5
	assert_eq 0 "$TR_RC" "exit code (stderr: $(head -c 300 "$TR_ERR"))"
	[ -s "$T/counts" ] || fail "churn wrote no counts (its own bookkeeping failed)"
	read -r allocs frees <"$T/counts"
	assert_gt "$allocs" 10000 "allocations made by churn in 1 s"
	final_report
	assert_one_process
	assert_eq 0 "$(jf '.processes[0].outstanding_bytes')" "process outstanding_bytes"
	assert_eq 0 "$(jf '.processes[0].outstanding_allocs')" "process outstanding_allocs"
	assert_eq 0 "$(malloc_stacks)" "malloc stacks listed"
	assert_eq "$allocs" "$(jf '.stats.allocs')" "stats.allocs (churn counted $allocs)"
	assert_eq "$frees" "$(jf '.stats.frees')" "stats.frees (churn counted $frees)"
	assert_eq 0 "$(jf '.stats.unknown_frees')" "stats.unknown_frees"
	assert_eq 0 "$(jf '.stats.failed_allocs')" "stats.failed_allocs"
	assert_eq 0 "$(jf '[.stats.lost[]] | add')" "sum of stats.lost ($(jf -c '.stats.lost'))"
}

# Threads sharing blocks (freed by another thread than the one that made
# them).  glibc itself allocates each thread's DTV (allocate_dtv, reached
# through the dynamic loader, outstanding until the thread stacks go) and at
# thread exit really frees the blocks parked in the thread's tcache (already
# freed by the program, so they are unknown frees).  So: the frees are the
# program's exactly, every allocation beyond the program's is still
# outstanding, and no outstanding stack goes through the churn code.
test_threads_churn() {
	local allocs frees
	tracer --format json -o 0 -c "$(target threads) 4 1000 $T/counts" 0.5
	assert_eq 0 "$TR_RC" "exit code"
	[ -s "$T/counts" ] || fail "threads wrote no counts (its own bookkeeping failed)"
	read -r allocs frees <"$T/counts"
	assert_gt "$allocs" 10000 "allocations made by the threads"
	final_report
	assert_eq "$frees" "$(jf '.stats.frees')" "stats.frees (threads counted $frees)"
	assert_eq $(($(jf '.stats.allocs') - allocs)) "$(jf '.processes[0].outstanding_allocs')" \
		"outstanding allocations = allocations beyond the program's own ($allocs)"
	assert_eq 0 "$(jf '[.stacks[] | select(.kind == "malloc") | select(any(.frames[]; .symbol == "thread_step" or .symbol == "thread_main"))] | length')" \
		"outstanding stacks through thread_step/thread_main"
	assert_eq 0 "$(jf '[.stats.lost[]] | add')" "sum of stats.lost ($(jf -c '.stats.lost'))"
}
