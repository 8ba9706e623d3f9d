# Allocators: the same leak under jemalloc, tcmalloc and mimalloc
# (LD_PRELOAD of Debian's libraries, with -c and with -p) and under dynamic
# musl; allocator APIs called by their own names next to malloc (one
# address, several names: every call counts once); jemalloc linked into the
# executable under a prefix; --alloc-prefix, --allocator-object,
# --alloc-fn/--free-fn.  (glibc, static musl and C++ new: test_leak_exact,
# test_containers, test_cxx.)

LIBDIR=/usr/lib/x86_64-linux-gnu
JEMALLOC_SO=$LIBDIR/libjemalloc.so.2
TCMALLOC_SO=$LIBDIR/libtcmalloc_minimal.so.4
MIMALLOC_SO=$LIBDIR/libmimalloc.so.2

# The leak_exact stack (N blocks of SIZE from LEAK_LINE, called by main),
# nothing counted twice or lost, and the process totals agree with stats.
check_preload_leak() { # N SIZE
	local n=$1 size=$2
	final_report
	assert_stack leak_exact_fn $((n * size)) "$n" "$(src_line LEAK_LINE leak_exact.c)" \
		leak_exact.c leak_exact
	assert_eq main "$(jq -r '.[0].frames[1].symbol' <<<"$STACK")" "frames[1]"
	assert_eq 0 "$(jf '.stats.nested_calls')" "stats.nested_calls"
	assert_eq 0 "$(jf '.stats.unknown_frees')" "stats.unknown_frees"
	assert_eq 0 "$(jf '[.stats.lost[]] | add')" "sum of stats.lost"
	assert_eq "$(jf '.stats.allocs - .stats.frees')" "$(jf '.processes[0].outstanding_allocs')" \
		"outstanding_allocs = stats.allocs - stats.frees"
	assert_eq "$(jf '[.stacks[] | select(.kind == "malloc") | .bytes] | add')" \
		"$(jf '.processes[0].outstanding_bytes')" "outstanding_bytes = sum of the malloc stacks"
}

# -v names the allocator found in LIB: "LIB: FAMILY (malloc, free, ...".
assert_detected() { # LIB FAMILY
	grep -qF ": $1: $2 (malloc, free, " "$TR_ERR" ||
		fail "-v does not name $1 as $2: $(grep -F "$1" "$TR_ERR" | head -c 300)"
}

preload_command() { # LIB FAMILY
	TR_WRAP=(env LD_PRELOAD="$1")
	tracer -v --format json -o 0 -T 100 -c "$(target leak_exact) 25 4000 300" 0.2
	assert_eq 0 "$TR_RC" "exit code (stderr: $(tail -n 3 "$TR_ERR"))"
	assert_detected "$1" "$2"
	check_preload_leak 25 4000
}

preload_pid() { # LIB FAMILY
	local pid
	start_target pid env LD_PRELOAD="$1" "$(target leak_exact)" 17 3000 300 "$T/go"
	WAIT_SECS=5 wait_for grep -qF "$1" "/proc/$pid/maps" || fail "$1 not mapped by pid $pid"
	tracer_bg -v --format json -o 0 -T 100 -p "$pid" 0.2
	tracer_attached
	touch "$T/go"
	wait_pid "$pid" 20
	assert_eq 0 "$WAIT_RC" "target exit code"
	tracer_wait 20
	assert_eq 0 "$TR_RC" "tracer exit code"
	assert_detected "$(readlink -f "$1")" "$2" # the maps show the file, not the link
	check_preload_leak 17 3000
}

test_preload_jemalloc_command() {
	preload_command "$JEMALLOC_SO" jemalloc
}

test_preload_jemalloc_pid() {
	preload_pid "$JEMALLOC_SO" jemalloc
}

test_preload_tcmalloc_command() {
	preload_command "$TCMALLOC_SO" tcmalloc
}

test_preload_tcmalloc_pid() {
	preload_pid "$TCMALLOC_SO" tcmalloc
}

# mimalloc allocates nothing of its own: the process totals are the leak.
test_preload_mimalloc_command() {
	preload_command "$MIMALLOC_SO" mimalloc
	assert_eq 100000 "$(jf '.processes[0].outstanding_bytes')" "process outstanding_bytes"
	assert_eq 25 "$(jf '.stats.allocs')" "stats.allocs"
}

test_preload_mimalloc_pid() {
	preload_pid "$MIMALLOC_SO" mimalloc
	assert_eq 51000 "$(jf '.processes[0].outstanding_bytes')" "process outstanding_bytes"
	assert_eq 17 "$(jf '.stats.allocs')" "stats.allocs"
}

# -c "LD_PRELOAD=LIB CMD": the setting is the command's, not the tracer's;
# the command's dynamic linker lists LIB, probed before the first malloc.
test_preload_in_command_line() {
	local child
	tracer_bg -v --format json -o 0 -c "LD_PRELOAD=$MIMALLOC_SO $(target leak_exact) 25 4000 1500" 0.2
	tracer_attached
	! tr '\0' '\n' <"/proc/$TR_PID/environ" | grep -q '^LD_PRELOAD=' ||
		fail "the tracer itself got LD_PRELOAD"
	child=$(pgrep -P "$TR_PID" | head -n 1)
	[ -n "$child" ] || fail "no command running under the tracer"
	tr '\0' '\n' <"/proc/$child/environ" | grep -qx "LD_PRELOAD=$MIMALLOC_SO" ||
		fail "the command did not get LD_PRELOAD"
	tracer_wait 20
	assert_eq 0 "$TR_RC" "exit code (stderr: $(tail -n 3 "$TR_ERR"))"
	assert_detected "$MIMALLOC_SO" mimalloc
	check_preload_leak 25 4000
	assert_eq 100000 "$(jf '.processes[0].outstanding_bytes')" "process outstanding_bytes"
	assert_eq 25 "$(jf '.stats.allocs')" "stats.allocs"
}

# musl's libc is its dynamic linker, /lib/ld-musl-x86_64.so.1.
test_musl_dynamic() {
	tracer -v --format json -o 0 -c "$(target leak_exact_musl_dynamic) 6 700 300" 0.2
	assert_eq 0 "$TR_RC" "exit code (stderr: $(tail -n 3 "$TR_ERR"))"
	assert_detected /lib/ld-musl-x86_64.so.1 musl
	final_report
	assert_stack leak_exact_fn 4200 6 "$(src_line LEAK_LINE leak_exact.c)" leak_exact.c
	assert_eq 4200 "$(jf '.processes[0].outstanding_bytes')" "process outstanding_bytes"
	assert_eq 6 "$(jf '.stats.allocs')" "stats.allocs"
}

# alloc_direct: N blocks each through the allocator's malloc, its zeroing
# allocation and the standard malloc; 3N allocated under one name and freed
# under the other.  Every call counts once.
check_alloc_direct() { # TARGET N SIZE
	local n=$2 size=$3
	tracer --format json -o 0 -T 100 -c "$(target "$1") $n $size 300" 0.2
	assert_eq 0 "$TR_RC" "exit code (stderr: $(tail -n 3 "$TR_ERR"))"
	final_report
	assert_stack direct_leak_fn $((n * size)) "$n" "$(src_line DIRECT_LEAK_LINE alloc_direct.c)" alloc_direct.c
	assert_stack zero_leak_fn $((n * size)) "$n" "$(src_line ZERO_LEAK_LINE alloc_direct.c)" alloc_direct.c
	assert_stack std_leak_fn $((n * size)) "$n" "$(src_line STD_LEAK_LINE alloc_direct.c)" alloc_direct.c
	assert_no_stack mixed_churn_fn
	assert_eq 0 "$(jf '.stats.nested_calls')" "stats.nested_calls"
	assert_eq 0 "$(jf '.stats.unknown_frees')" "stats.unknown_frees"
	assert_eq 0 "$(jf '[.stats.lost[]] | add')" "sum of stats.lost"
	assert_eq "$(jf '.stats.allocs - .stats.frees')" "$(jf '.processes[0].outstanding_allocs')" \
		"outstanding_allocs = stats.allocs - stats.frees"
}

test_mimalloc_api_and_malloc() {
	check_alloc_direct alloc_direct_mimalloc 12 500
	assert_eq 72 "$(jf '.stats.allocs')" "stats.allocs (3 x 12 leaked, 3 x 12 churned)"
	assert_eq 36 "$(jf '.stats.frees')" "stats.frees"
	assert_eq 18000 "$(jf '.processes[0].outstanding_bytes')" "process outstanding_bytes"
}

# tcmalloc's runtime (libstdc++'s emergency pool, its own guard objects)
# allocates a few blocks too: only the program's figures are exact.
test_tcmalloc_api_and_malloc() {
	check_alloc_direct alloc_direct_tcmalloc 12 500
	assert_le 36 "$(jf '.stats.frees')" "stats.frees (36 churned)"
}

# jemalloc linked into the executable as je_malloc, je_mallocx...: found by
# symbol lookup in the executable, next to glibc's malloc in libc.
check_prefixed_jemalloc() { # N SIZE
	local n=$1 size=$2
	final_report
	assert_stack pje_malloc_leak_fn $((n * size)) "$n" \
		"$(src_line PJE_MALLOC_LINE prefixed_jemalloc.c)" prefixed_jemalloc.c
	assert_stack pje_mallocx_leak_fn $((n * size)) "$n" \
		"$(src_line PJE_MALLOCX_LINE prefixed_jemalloc.c)" prefixed_jemalloc.c
	assert_no_stack pje_churn_fn
	# 2N leaked, 3N churned, N rallocx and N realloc moves.
	assert_eq $((7 * n)) "$(jf '.stats.allocs')" "stats.allocs"
	assert_eq $((5 * n)) "$(jf '.stats.frees')" "stats.frees"
	assert_eq 0 "$(jf '.stats.nested_calls')" "stats.nested_calls"
	assert_eq 0 "$(jf '.stats.unknown_frees')" "stats.unknown_frees"
	assert_eq $((2 * n * size)) "$(jf '.processes[0].outstanding_bytes')" "process outstanding_bytes"
}

test_static_jemalloc_je_prefix() {
	local exe
	exe=$(target prefixed_jemalloc)
	tracer -v --format json -o 0 -c "$exe 9 800 300" 0.2
	assert_eq 0 "$TR_RC" "exit code (stderr: $(tail -n 3 "$TR_ERR"))"
	grep -F ": $exe: jemalloc (je_malloc, je_free, " "$TR_ERR" | grep -qF ", 12 functions)" ||
		fail "-v does not name jemalloc in the executable: $(grep -F "$exe" "$TR_ERR" | head -c 300)"
	check_prefixed_jemalloc 9 800
}

# Debian's shared jemalloc, called through mallocx, rallocx, sdallocx and
# dallocx as well (libstdc++, which it pulls in, allocates its pool too).
test_jemalloc_extended_api() {
	local n=7 size=600
	tracer --format json -o 0 -T 100 -c "$(target jemalloc_extended) $n $size 300" 0.2
	assert_eq 0 "$TR_RC" "exit code (stderr: $(tail -n 3 "$TR_ERR"))"
	final_report
	assert_stack pje_malloc_leak_fn $((n * size)) "$n" \
		"$(src_line PJE_MALLOC_LINE prefixed_jemalloc.c)" prefixed_jemalloc.c
	assert_stack pje_mallocx_leak_fn $((n * size)) "$n" \
		"$(src_line PJE_MALLOCX_LINE prefixed_jemalloc.c)" prefixed_jemalloc.c
	assert_no_stack pje_churn_fn
	assert_le $((7 * n)) "$(jf '.stats.allocs')" "stats.allocs"
	assert_eq $((5 * n)) "$(jf '.stats.frees')" "stats.frees"
	assert_eq 0 "$(jf '.stats.nested_calls')" "stats.nested_calls"
	assert_eq 0 "$(jf '.stats.unknown_frees')" "stats.unknown_frees"
}

# A prefix nobody knows: invisible without --alloc-prefix, exact with it.
test_alloc_prefix() {
	local exe
	exe=$(target prefixed_jemalloc_my)
	tracer --format json -o 0 -c "$exe 4 800 300" 0.2
	assert_eq 0 "$TR_RC" "exit code without --alloc-prefix"
	final_report
	assert_no_stack pje_malloc_leak_fn
	assert_eq 0 "$(jf '.stats.allocs')" "stats.allocs without --alloc-prefix"
	tracer -v --alloc-prefix my_ --format json -o 0 -c "$exe 4 800 300" 0.2
	assert_eq 0 "$TR_RC" "exit code (stderr: $(tail -n 3 "$TR_ERR"))"
	grep -F ": $exe: prefixed allocator (my_malloc, my_free, " "$TR_ERR" | grep -qF ", 12 functions)" ||
		fail "-v does not name the prefixed allocator: $(grep -F "$exe" "$TR_ERR" | head -c 300)"
	check_prefixed_jemalloc 4 800
}

# --allocator-object: that object only, no detection.  tcmalloc serves the
# program's malloc: probing it alone finds the leak, probing libc alone not.
test_allocator_object() {
	local libc
	TR_WRAP=(env LD_PRELOAD="$TCMALLOC_SO")
	tracer -v --allocator-object "$TCMALLOC_SO" --format json -o 0 -T 100 \
		-c "$(target leak_exact) 8 1000 300" 0.2
	assert_eq 0 "$TR_RC" "exit code (stderr: $(tail -n 3 "$TR_ERR"))"
	assert_detected "$TCMALLOC_SO" tcmalloc
	assert_eq 1 "$(grep -c ' functions' "$TR_ERR")" "objects probed ($(grep ' functions' "$TR_ERR"))"
	check_preload_leak 8 1000
	libc=$(ldd "$(target leak_exact)" | awk '$1 == "libc.so.6" { print $3 }')
	tracer --allocator-object "$libc" --format json -o 0 -c "$(target leak_exact) 8 1000 300" 0.2
	assert_eq 0 "$TR_RC" "exit code with libc as the allocator object"
	final_report
	assert_no_stack leak_exact_fn
	assert_no_probes
}

test_allocator_object_errors() {
	tracer --allocator-object "$T/nonexistent.so" -p $$ 1
	assert_error 2
	tracer --allocator-object /etc/hostname -c "$(target leak_exact) 1 1 1" 1
	assert_error 7
	assert_no_probes
}

# custom_pool: pool_alloc(pool, size), tagged_alloc(..., size) (sixth
# argument) and pool_free(pool, ptr) over malloc and free.  Requested sizes,
# the custom function's caller as frame #0, the malloc/free inside nested.
test_custom_allocator() {
	local n=6 size=900
	tracer -v --alloc-fn pool_alloc:2 --alloc-fn tagged_alloc:6 --free-fn pool_free:2 \
		--format json -o 0 -c "$(target custom_pool) $n $size 300" 0.2
	assert_eq 0 "$TR_RC" "exit code (stderr: $(tail -n 3 "$TR_ERR"))"
	grep -qF "custom_pool: custom allocator (pool_alloc, tagged_alloc, pool_free, 3 functions)" "$TR_ERR" ||
		fail "-v does not list the custom functions: $(grep custom_pool "$TR_ERR" | head -c 300)"
	final_report
	assert_stack pool_leak_fn $((n * size)) $n "$(src_line POOL_LEAK_LINE custom_pool.c)" custom_pool.c
	assert_eq main "$(jq -r '.[0].frames[1].symbol' <<<"$STACK")" "caller of pool_leak_fn"
	assert_stack tagged_leak_fn $((n * size)) $n "$(src_line TAGGED_LEAK_LINE custom_pool.c)" custom_pool.c
	assert_no_stack pool_churn_fn
	assert_no_stack pool_alloc
	assert_eq $((4 * n)) "$(jf '.stats.allocs')" "stats.allocs (2N leaked, 2N churned)"
	assert_eq $((2 * n)) "$(jf '.stats.frees')" "stats.frees"
	# malloc in each pool_alloc (4N), pool_alloc in each tagged_alloc (N), free in each pool_free (2N).
	assert_eq $((7 * n)) "$(jf '.stats.nested_calls')" "stats.nested_calls"
	assert_eq 0 "$(jf '.stats.unknown_frees')" "stats.unknown_frees"
	assert_eq $((2 * n * size)) "$(jf '.processes[0].outstanding_bytes')" "process outstanding_bytes"
}

test_custom_allocator_errors() {
	local exe
	exe=$(target custom_pool)
	tracer --alloc-fn no_such_alloc:1 -c "$exe 1 1 5000" 1
	assert_error 7
	! pgrep -f "^$exe" >/dev/null || fail "the target was started anyway"
	local args
	for args in "pool_alloc:0" "pool_alloc:7" "pool_alloc" ":2" "pool alloc:2" "pool_alloc:2x"; do
		tracer --alloc-fn "$args" -c "$exe 1 1 1" 1
		assert_error 2
	done
	tracer --alloc-prefix "je-" -p $$ 1
	assert_error 2
	assert_no_probes
}
