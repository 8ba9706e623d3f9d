# The age filter summed in the kernel (bpf/aggregate.bpf.c) gives the same
# exact figures as copying every record out (MEMLEAKBPF_USER_WALK=1).
#
# leak_aging N SIZE GAP HOLD: N old blocks from leak_old_fn, GAP ms later N
# young ones from leak_young_fn, exit HOLD ms later.  With GAP 2000, HOLD
# 200 and -o 1000 the old blocks are over 2 s old at the final report and
# the young ones well under 1 s, even on a loaded machine.
AGE_N=3000
AGE_SIZE=48

# check_aged_report: exactly the old blocks listed, every block counted.
check_aged_report() {
	local old=$((AGE_N * AGE_SIZE)) age
	final_report
	assert_stack leak_old_fn $old $AGE_N "$(src_line OLD_LINE leak_aging.c)" leak_aging.c
	age=$(jq '.[0].oldest_age_ms' <<<"$STACK")
	assert_le 2200 "$age" "oldest_age_ms of the old blocks"
	assert_no_stack leak_young_fn
	assert_eq 1 "$(malloc_stacks)" "malloc stacks listed"
	assert_eq $((2 * old)) "$(jf '.processes[0].outstanding_bytes')" "process outstanding_bytes (all ages)"
	assert_eq $((2 * AGE_N)) "$(jf '.processes[0].outstanding_allocs')" "process outstanding_allocs"
	assert_eq 0 "$(jf '.stats.aggregate_full')" "stats.aggregate_full"
	assert_eq 0 "$(jf '[.stats.lost[]] | add')" "sum of stats.lost"
}

# The listed stacks without what differs from run to run (pids, ages).
stacks_signature() {
	jf -c '[.stacks[] | {bytes, allocs, kind, stack_lost, frames: [.frames[] | [.symbol, .line]]}]'
}

test_age_sums_in_kernel_exact() {
	tracer -v --format json -o 1000 -c "$(target leak_aging) $AGE_N $AGE_SIZE 2000 200" 0.3
	assert_eq 0 "$TR_RC" "exit code (stderr: $(head -c 300 "$TR_ERR"))"
	grep -q 'age filter: records summed in the kernel' "$TR_ERR" ||
		fail "the age filter was not summed in the kernel: $(grep -i 'age filter' "$TR_ERR")"
	check_aged_report
	assert_no_probes
}

# The user-space walk, forced: the same stacks, to the byte.
test_age_sums_user_walk_same() {
	local kernel
	tracer -v --format json -o 1000 -c "$(target leak_aging) $AGE_N $AGE_SIZE 2000 200" 0.3
	assert_eq 0 "$TR_RC" "exit code (stderr: $(head -c 300 "$TR_ERR"))"
	check_aged_report
	kernel=$(stacks_signature)
	TR_WRAP=(env MEMLEAKBPF_USER_WALK=1)
	tracer -v --format json -o 1000 -c "$(target leak_aging) $AGE_N $AGE_SIZE 2000 200" 0.3
	assert_eq 0 "$TR_RC" "exit code (stderr: $(head -c 300 "$TR_ERR"))"
	grep -q 'MEMLEAKBPF_USER_WALK: the age filter reads every record' "$TR_ERR" ||
		fail "MEMLEAKBPF_USER_WALK=1 did not force the walk: $(grep -i 'age filter' "$TR_ERR")"
	check_aged_report
	assert_eq "$kernel" "$(stacks_signature)" "stacks summed in the kernel and in user space"
}

# Sampled mode weights every record in user space: no in-kernel sums.
test_age_sums_not_in_sampled_mode() {
	tracer -v --sample-bytes 4096 --format json -o 1000 \
		-c "$(target leak_aging) 5 100 1200 200" 0.3
	assert_eq 0 "$TR_RC" "exit code (stderr: $(head -c 300 "$TR_ERR"))"
	if grep -q 'records summed in the kernel' "$TR_ERR"; then
		fail "sampled mode summed the age filter in the kernel"
	fi
}
