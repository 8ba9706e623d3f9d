# -k: kernel memory held for a process (tests/targets/kernel_leak.c).
#
# Checked on this kernel (6.18) first: per pipe2() the kernel makes exactly
# two kmallocs in alloc_pipe_info (the pipe_inode_info and its buffer
# array) and one pipefs inode (slab inode_cache); per socketpair() two
# UNIX socks (sk_prot_alloc) and two socket inodes; per one-page file
# written in a tmpfs one shmem inode and one page.  Those counts are
# asserted exactly.

# A tmpfs directory of the test's own, removed with the test's files.
kernel_tmpfs_dir() {
	KDIR=/dev/shm/memleakbpf-it-$$-$RANDOM
	mkdir "$KDIR" || fail "cannot make $KDIR"
	trap 'it_cleanup; rm -rf "$KDIR"' EXIT
	[ "$(stat -f -c %T "$KDIR")" = tmpfs ] || fail "/dev/shm is not a tmpfs here"
}

# The last report the background tracer wrote (whole), in $T/cur.json.
kernel_last_report() {
	tail -n 1 "$TR_OUT" 2>/dev/null >"$T/cur.json"
	jq -e '.type == "report"' "$T/cur.json" >/dev/null 2>&1
}

# kstacks KIND KERNEL_FN USER_FN: stacks of KIND whose frames hold both.
kstacks() {
	jq -c --arg k "$1" --arg kf "$2" --arg uf "$3" \
		'[.stacks[] | select(.kind == $k and ([.frames[].symbol] | index($kf)) != null
		   and ([.frames[].symbol] | index($uf)) != null)]' "$T/cur.json"
}

# kcount KIND KERNEL_FN USER_FN: their allocations, summed.
kcount() {
	kstacks "$@" | jq '[.[].allocs] | add // 0'
}

# The report shows every pipe, socket and file of the target (one jq run:
# a host-wide report is large).
kernel_all_seen() {
	kernel_last_report &&
		[ "$(jq -r 'def n(k; kf; uf): [.stacks[] | select(.kind == k and
			([.frames[].symbol] | index(kf)) != null and ([.frames[].symbol] | index(uf)) != null)
			| .allocs] | add // 0;
			"\(n("kmalloc"; "alloc_pipe_info"; "leak_pipes")) \(n("slab"; "unix_create1"; "leak_sockets")) \(n("page"; "shmem_alloc_folio"; "leak_files"))"' \
			"$T/cur.json")" = "$((2 * NPIPES)) $((2 * NSOCKS)) $NFILES" ]
}

# No stack names any of the target's leaking functions any more.  But one:
# the first socketpair() of a process gives its struct pid a pidfs entry
# (pidfs_register_pid), held until the process is gone; under -p the
# tracer's pidfd of the target made it first.
# A new slab page's own metadata (alloc_slab_obj_exts under allocate_slab)
# lives as long as the page, which outlives the objects closed here: not
# theirs to free (one stayed in a full run).
kernel_all_gone() {
	kernel_last_report &&
		[ "$(jq '[.stacks[] | select([.frames[].symbol] | (index("leak_pipes") or
			index("leak_sockets") or index("leak_files")) and
			index("pidfs_register_pid") == null and
			index("allocate_slab") == null)] | length' "$T/cur.json")" = 0 ]
}

# No stack names leak_pipes or leak_files any more.
kernel_pipes_files_gone() {
	kernel_last_report &&
		[ "$(jq '[.stacks[] | select([.frames[].symbol] | index("leak_pipes") or
			index("leak_files"))] | length' "$T/cur.json")" = 0 ]
}

# The frames of stack $1 (JSON): kernel ones from [kernel], in the order
# KERNEL_FN ... USER_FN at LINE of kernel_leak.c, then main.
check_kernel_stack() {
	local s=$1 kfn=$2 ufn=$3 line=$4 syms ki ui mi
	syms=$(jq -c '[.frames[].symbol]' <<<"$s")
	ki=$(jq --arg f "$kfn" 'index($f)' <<<"$syms")
	ui=$(jq --arg f "$ufn" 'index($f)' <<<"$syms")
	mi=$(jq 'index("main")' <<<"$syms")
	assert_match '^[0-9]+$' "$ki" "$kfn in $syms"
	[ "$ki" -lt "$ui" ] && [ "$ui" -lt "$mi" ] || fail "frames out of order: $syms"
	assert_eq "[kernel]" "$(jq -r ".frames[$ki].module" <<<"$s")" "module of $kfn"
	assert_eq true "$(jq '[.frames[] | select(.module == "[kernel]")] | length > 3' <<<"$s")" \
		"kernel frames in $syms"
	assert_eq "$line" "$(jq ".frames[$ui].line" <<<"$s")" "line of $ufn"
	assert_match 'kernel_leak\.c$' "$(jq -r ".frames[$ui].file" <<<"$s")" "file of $ufn"
	# Nothing of the tracing machinery: the first frame is the allocator.
	assert_eq 0 "$(jq '[.frames[] | select(.symbol // "" | test("^bpf_(trace_run|prog_)"))]
		| length' <<<"$s")" "tracing frames in $syms"
}

# Pipes, socketpairs and tmpfs files from known functions, counted exactly
# per pipe, socket and file; closed by another thread (the kernel frees
# them in RCU callbacks and other contexts), they disappear.  The age
# filter (-o 300) sums the kernel records too.
test_kernel_pipes_sockets_files() {
	local pid s
	NPIPES=6 NSOCKS=4 NFILES=3
	kernel_tmpfs_dir
	start_target pid "$(target kernel_leak)" $NPIPES $NSOCKS $NFILES "$KDIR" "$T/go" "$T/close"
	tracer_bg -v -k --format json -o 300 -T 500 -p "$pid" 0.2
	tracer_attached
	touch "$T/go"
	WAIT_SECS=15 wait_for kernel_all_seen ||
		fail "pipes, sockets and files not all seen: $(jq -c '[.stacks[] | [.kind, .allocs,
			.frames[0].symbol]]' "$T/cur.json" 2>/dev/null | head -c 1500)"

	s=$(kstacks kmalloc alloc_pipe_info leak_pipes)
	assert_eq 2 "$(jq length <<<"$s")" "kmalloc stacks of alloc_pipe_info (one per kmalloc call)"
	assert_eq "[$NPIPES,$NPIPES]" "$(jq -c '[.[].allocs]' <<<"$s")" "kmallocs per stack: one per pipe"
	assert_eq null "$(jq '.[0].slab_cache' <<<"$s")" "slab_cache of a kmalloc"
	assert_eq "[$pid]" "$(jq -c '.[0].pids' <<<"$s")" "pids"
	check_kernel_stack "$(jq -c '.[0]' <<<"$s")" do_pipe2 leak_pipes "$(src_line KPIPE_LINE kernel_leak.c)"
	assert_eq 1 "$(jq '[.[0].frames[].symbol] | map(select(. == "pipe2")) | length' <<<"$s")" \
		"libc's pipe2 between the kernel and leak_pipes"
	assert_eq true "$(jq 'all(.oldest_age_ms >= 300)' <<<"$s")" "ages past -o 300"

	s=$(kstacks slab create_pipe_files leak_pipes | jq -c 'map(select(.slab_cache == "inode_cache"))')
	assert_eq "$NPIPES" "$(jq '[.[].allocs] | add' <<<"$s")" "pipefs inodes (slab inode_cache)"

	s=$(kstacks slab unix_create1 leak_sockets)
	assert_eq $((2 * NSOCKS)) "$(jq '[.[].allocs] | add' <<<"$s")" "UNIX socks: two per socketpair"
	assert_eq true "$(jq 'all(.slab_cache | type == "string")' <<<"$s")" "slab_cache named"
	check_kernel_stack "$(jq -c '.[0]' <<<"$s")" __sys_socketpair leak_sockets \
		"$(src_line KSOCK_LINE kernel_leak.c)"

	s=$(kstacks page shmem_alloc_folio leak_files)
	assert_eq 1 "$(jq length <<<"$s")" "page stacks of leak_files"
	assert_eq "$NFILES" "$(jq '.[0].allocs' <<<"$s")" "pages: one per file"
	assert_eq $((NFILES * 4096)) "$(jq '.[0].bytes' <<<"$s")" "page bytes"
	check_kernel_stack "$(jq -c '.[0]' <<<"$s")" shmem_file_write_iter leak_files \
		"$(src_line KFILE_LINE kernel_leak.c)"
	s=$(kstacks slab shmem_mknod leak_files | jq -c 'map(select(.slab_cache == "shmem_inode_cache"))')
	assert_eq "$NFILES" "$(jq '[.[].allocs] | add' <<<"$s")" "shmem inodes"
	assert_eq 0 "$(jq '[.stats.lost[]] | add' "$T/cur.json")" "losses"

	touch "$T/close"
	WAIT_SECS=15 wait_for kernel_all_gone ||
		fail "closed and unlinked, still reported: $(jq -c '[.stacks[] | select([.frames[].symbol]
			| index("leak_pipes") or index("leak_sockets") or index("leak_files"))
			| [.kind, .slab_cache, .allocs, .frames[0].symbol]]' "$T/cur.json")"
	assert_gt "$(jq .stats.frees "$T/cur.json")" $((3 * NPIPES)) "frees seen"
	kill -INT "$TR_PID"
	tracer_wait 10
	assert_eq 0 "$TR_RC" "tracer exit code (stderr: $(head -c 300 "$TR_ERR"))"
	final_report
	assert_eq 0 "$(jf '[.stacks[] | select(.kind == "page" or .kind == "slab" or .kind == "kmalloc")
		| select([.frames[].symbol] | (index("leak_pipes") or index("leak_sockets")
		or index("leak_files")) and index("allocate_slab") == null)] | length')" \
		"kernel stacks of the leaking functions at the end"
}

# --max-allocs smaller than what the target holds: the records that did
# not fit are counted as lost, never reported, and what fitted goes away
# when it is freed.
test_kernel_losses() {
	local pid n
	NPIPES=40 NSOCKS=0 NFILES=0
	kernel_tmpfs_dir
	start_target pid "$(target kernel_leak)" $NPIPES $NSOCKS $NFILES "$KDIR" "$T/go" "$T/close"
	tracer_bg -v -k --max-allocs 32 --format json -o 0 -T 500 -p "$pid" 0.2
	tracer_attached
	touch "$T/go"
	WAIT_SECS=15 wait_for eval 'kernel_last_report && [ "$(jq .stats.lost.alloc_map_full "$T/cur.json")" -gt 0 ]' ||
		fail "no loss counted: $(jq -c .stats "$T/cur.json" 2>/dev/null)"
	# A report written after the loss was counted, whole.
	n=$(grep -c '"type":"report"' "$TR_OUT")
	WAIT_SECS=10 wait_for eval '[ "$(grep -c "\"type\":\"report\"" "$TR_OUT")" -gt $((n + 1)) ]' ||
		fail "no report after the loss"
	kernel_last_report
	n=$(jq '[.stacks[] | select(.kind != "malloc" and .kind != "mmap" and .kind != "brk")
		| .allocs] | add // 0' "$T/cur.json")
	assert_le "$n" 32 "kernel records reported"
	assert_gt "$(jq .stats.lost.alloc_map_full_bytes "$T/cur.json")" 0 "bytes lost"
	assert_le "$(kcount kmalloc alloc_pipe_info leak_pipes)" $((2 * NPIPES - 1)) "pipes' kmallocs recorded"
	touch "$T/close"
	WAIT_SECS=15 wait_for kernel_all_gone || fail "freed records still reported"
}

# Options that cannot go with -k.
test_kernel_option_errors() {
	tracer -k --mode growth -p $$
	assert_error 2
	assert_match '-k uses BTF tracepoints' "$(cat "$TR_ERR")" "message"
}

# -k without a target: the whole host, the tracer itself excepted; the
# target's pipes are found among every process's kernel memory, with its
# user frames (the host's libc has its unwind table), and go away.
test_kernel_host() {
	local pid
	NPIPES=7 NSOCKS=2 NFILES=1
	kernel_tmpfs_dir
	start_target pid "$(target kernel_leak)" $NPIPES $NSOCKS $NFILES "$KDIR" "$T/go" "$T/close"
	tracer_bg -v -k --format json -o 0 -T 100000 1
	tracer_attached
	touch "$T/go"
	WAIT_SECS=15 wait_for kernel_all_seen ||
		fail "the target's pipes, sockets and files not all seen host-wide"
	assert_eq "[$pid]" "$(kstacks kmalloc alloc_pipe_info leak_pipes | jq -c '[.[].pids[]] | unique')" \
		"pids of the pipes' stacks"
	assert_eq kernel_leak "$(jq -r --argjson p "$pid" '.processes[] | select(.pid == $p) | .comm' \
		"$T/cur.json")" "the target's process entry"
	assert_eq 0 "$(jq --argjson p "$TR_PID" '[.processes[] | select(.pid == $p)] | length' \
		"$T/cur.json")" "the tracer's own process listed"
	assert_gt "$(jq '.processes | length' "$T/cur.json")" 1 "processes host-wide"
	touch "$T/close"
	# Pipes and files; a socket inode may be freed by a bulk RCU path
	# without a tracepoint here and stays until its address is reused.
	WAIT_SECS=15 wait_for kernel_pipes_files_gone || fail "closed, still reported host-wide"
	kill -INT "$TR_PID"
	tracer_wait 10
	assert_eq 0 "$TR_RC" "tracer exit code (stderr: $(head -c 300 "$TR_ERR"))"
}
