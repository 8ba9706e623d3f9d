# family: one leak per allocation function, each from its own function.
# pvalloc counts the size requested (not the page-rounded block).

test_family_each_function() {
	local cn=7 cm=13 pm=1000 aa=8192 ma=3000 va=5000 pva=6000
	tracer --format json -o 0 -c "$(target family) $cn $cm $pm $aa $ma $va $pva 300" 0.2
	assert_eq 0 "$TR_RC" "exit code (stderr: $(head -c 300 "$TR_ERR"))"
	final_report
	assert_one_process
	assert_stack leak_calloc $((cn * cm)) 1 "" family.c
	assert_stack leak_posix_memalign $pm 1
	assert_stack leak_aligned_alloc $aa 1
	assert_stack leak_memalign $ma 1
	assert_stack leak_valloc $va 1
	assert_stack leak_pvalloc $pva 1
	assert_eq 6 "$(malloc_stacks)" "malloc stacks listed"
	assert_eq $((cn * cm + pm + aa + ma + va + pva)) "$(jf '.processes[0].outstanding_bytes')" \
		"process outstanding_bytes"
	assert_eq 6 "$(jf '.stats.allocs')" "stats.allocs"
}
