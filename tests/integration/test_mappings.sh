# Memory that does not go through malloc (tests/targets/mappings.c):
# anonymous mmap, partial munmap, mremap that moves, sbrk; exact bytes by
# kind and stack, and the allocator's own mappings kept apart.

# mmap_stack SYM: the mmap/brk stacks with a frame in SYM.
mmap_stack() {
	jf --arg s "$1" '[.stacks[] | select(.kind != "malloc" and any(.frames[]; .symbol == $s))]'
}

# check_mappings_exact [ARGS...]: the exact figures, with the tracer's ARGS.
check_mappings_exact() {
	local s line mib=$((1024 * 1024))
	tracer "$@" --format json -o 0 -c "$(target mappings) 3 400" 0.3
	assert_eq 0 "$TR_RC" "exit code (stderr: $(head -c 300 "$TR_ERR"))"
	final_report

	s=$(mmap_stack map_block)
	assert_eq 1 "$(jq length <<<"$s")" "stacks through map_block"
	assert_eq mmap "$(jq -r '.[0].kind' <<<"$s")" "kind"
	assert_eq $((3 * 16 * mib)) "$(jq '.[0].bytes' <<<"$s")" "bytes still mapped by map_block"
	assert_eq 3 "$(jq '.[0].allocs' <<<"$s")" "mappings by map_block"
	# frames[0] is the libc wrapper, frames[1] its caller.
	# (libc's debug info may add the wrapper's inlined helper as a frame:
	# callers are counted among the frames that are not inlined.)
	s=$(jq '[.[] | .frames |= map(select(.inlined | not))]' <<<"$s")
	assert_eq map_block "$(jq -r '.[0].frames[1].symbol' <<<"$s")" "caller of mmap"
	line=$(src_line MAP_LINE mappings.c)
	assert_match "^($line|$((line - 1)))\$" "$(jq '.[0].frames[1].line' <<<"$s")" "line of the mmap call"

	s=$(mmap_stack map_halves)
	assert_eq 1 "$(jq length <<<"$s")" "stacks through map_halves"
	assert_eq $((4 * mib)) "$(jq '.[0].bytes' <<<"$s")" "bytes left after unmapping halves"
	assert_eq 1 "$(jq '.[0].allocs' <<<"$s")" "regions left by map_halves"

	s=$(mmap_stack map_to_grow)
	assert_eq 1 "$(jq length <<<"$s")" "stacks through map_to_grow"
	assert_eq $((3 * mib)) "$(jq '.[0].bytes' <<<"$s")" "bytes after mremap grow+move"

	s=$(jf '[.stacks[] | select(.kind == "brk")]')
	assert_eq 1 "$(jq length <<<"$s")" "brk stacks"
	assert_eq $((5 * 4096)) "$(jq '.[0].bytes' <<<"$s")" "bytes added by sbrk"

	# The 1 MiB malloc is served by an mmap inside malloc: backing memory,
	# shown as a malloc stack and in allocator_backing_bytes, not as a mapping.
	# (pthread_create also keeps a few small blocks of its own.)
	assert_stack main "$mib" 1
	assert_eq 0 "$(jf '[.stacks[] | select(.kind == "mmap" and
		([.frames[] | select(.inlined | not)][1].symbol == "main"))] | length')" \
		"mmap stacks from main's malloc"
	assert_le $((mib + 4096)) "$(jf '.processes[0].allocator_backing_bytes')" "allocator backing bytes"
	assert_le $((3 * 16 * mib + 4 * mib + 3 * mib + 5 * 4096)) \
		"$(jf '.processes[0].direct_mapped_bytes')" "direct mapped bytes"
	assert_no_probes
}

# At the C library's wrappers (the default).
test_mappings_exact() {
	check_mappings_exact
}

# At the syscall tracepoints: the same figures and stacks.
test_mappings_exact_syscalls() {
	check_mappings_exact --syscalls
}

# -p: mappings made after attach are tracked the same way.
test_mappings_pid() {
	local pid s mib=$((1024 * 1024))
	start_target pid "$(target mappings)" 2 400 "$T/go"
	tracer_bg -v --format json -o 0 -p "$pid" 0.3
	tracer_attached
	touch "$T/go"
	wait_pid "$pid" 20
	tracer_wait 20
	assert_eq 0 "$TR_RC" "tracer exit code"
	final_report
	s=$(mmap_stack map_block)
	assert_eq $((2 * 16 * mib)) "$(jq '.[0].bytes' <<<"$s")" "bytes mapped by map_block"
	assert_eq 2 "$(jq '.[0].allocs' <<<"$s")" "mappings by map_block"
}
