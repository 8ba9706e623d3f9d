# Limits: what does not fit is counted exactly as lost, never guessed.

# --max-allocs 16 with 100 live blocks: 16 recorded, 84 lost with their bytes.
test_max_allocs_loss_exact() {
	local n=100 size=10 max=16
	tracer --format json -o 0 --max-allocs $max -c "$(target leak_exact) $n $size 300" 0.2
	assert_eq 0 "$TR_RC" "exit code"
	final_report
	assert_stack leak_exact_fn $((max * size)) $max
	assert_eq $max "$(jf '.stats.allocs')" "stats.allocs"
	assert_eq $((n - max)) "$(jf '.stats.lost.alloc_map_full')" "stats.lost.alloc_map_full"
	assert_eq $(((n - max) * size)) "$(jf '.stats.lost.alloc_map_full_bytes')" "stats.lost.alloc_map_full_bytes"
}

# Many blocks: every one counted.
test_hundred_thousand_blocks() {
	local n=100000 size=24
	tracer --format json -o 0 -c "$(target leak_exact) $n $size 200" 0.5
	assert_eq 0 "$TR_RC" "exit code"
	final_report
	assert_stack leak_exact_fn $((n * size)) $n
	assert_eq $n "$(jf '.stats.allocs')" "stats.allocs"
	assert_eq $((n * size)) "$(jf '.processes[0].outstanding_bytes')" "process outstanding_bytes"
	assert_eq 0 "$(jf '[.stats.lost[]] | add')" "sum of stats.lost ($(jf -c '.stats.lost'))"
}

# Executables reached only through /proc/PID/map_files: deleted after start,
# or in a mount namespace the tracer does not see.
test_deleted_executable() {
	local pid
	cp "$(target leak_exact)" "$T/le_copy"
	start_target pid "$T/le_copy" 3 100 300 "$T/go"
	WAIT_SECS=5 wait_for grep -q le_copy "/proc/$pid/maps" || fail "target did not start"
	rm "$T/le_copy"
	tracer_bg -v --format json -o 0 -p "$pid" 0.2
	tracer_attached
	touch "$T/go"
	wait_pid "$pid" 20
	tracer_wait 20
	assert_eq 0 "$TR_RC" "exit code"
	final_report
	assert_stack leak_exact_fn 300 3 "$(src_line LEAK_LINE leak_exact.c)" leak_exact.c
	assert_match "^$T/le_copy" "$(jq -r '.[0].frames[0].module' <<<"$STACK")" "frames[0].module"
}

test_other_mount_namespace() {
	local pid
	need_cmd unshare
	mkdir "$T/ns"
	start_target pid unshare -m sh -c 'mount -t tmpfs none "$1" && cp "$2" "$1/le_ns" && exec "$1/le_ns" 3 100 300 "$3"' \
		sh "$T/ns" "$(target leak_exact)" "$T/go"
	WAIT_SECS=5 wait_for grep -q le_ns "/proc/$pid/maps" || fail "target did not start in its namespace"
	[ ! -e "$T/ns/le_ns" ] || fail "the namespace's mount is visible to the tracer"
	tracer_bg -v --format json -o 0 -p "$pid" 0.2
	tracer_attached
	touch "$T/go"
	wait_pid "$pid" 20
	tracer_wait 20
	assert_eq 0 "$TR_RC" "exit code"
	final_report
	assert_stack leak_exact_fn 300 3 "$(src_line LEAK_LINE leak_exact.c)" leak_exact.c "ns/le_ns"
}
