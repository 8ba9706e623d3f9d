# Hostile targets: the tracer is root, the traced process runs as nobody
# and controls files the tracer reads (its perf map, the libraries it maps
# and their debug links, paths in its own mount namespace).  Each case must
# end with the tracer responsive (SIGINT ends it at once), its final report
# written, nothing of a root-only file shown, and one line saying what was
# refused (tests/targets/hostile.c; user/procs/proc_files.c).

NOBODY=(setpriv --reuid=65534 --regid=65534 --clear-groups)

# pub_dir: $T/pub, where nobody may create files (and traverse to them).
pub_dir() {
	chmod 711 "$IT_TMP" "$T"
	mkdir -p "$T/pub"
	chown 65534:65534 "$T/pub"
	PUB=$T/pub
}

# A root-only secret ($T/secret, 0711 dir, 0600 file) that looks like a perf
# map covering every user address: if the tracer read it for the target,
# the secret would name the target's JIT frame.
make_secret() {
	SECRET=SECRET_$RANDOM$RANDOM
	mkdir -m 711 "$T/secret"
	printf '0 7fffffffffff %s\n' "$SECRET" >"$T/secret/secret.map"
	chmod 600 "$T/secret/secret.map"
}

# assert_not_disclosed: the secret is in no output of the tracer.
assert_not_disclosed() {
	! grep -q "$SECRET" "$TR_OUT" "$TR_ERR" || fail "the root-only secret appears in the output"
}

# stop_tracer: SIGINT ends the tracer, final report written, within
# STOP_MS_MAX (500 ms: detaching takes ~0.1 s; a blocked or spinning read
# would never end), with exit 0.  Under CPU hogs (IT_CPU_HOG, LOAD=1): 2 s.
STOP_MS_MAX=${STOP_MS_MAX:-$([ "$IT_CPU_HOG" -gt 0 ] && echo 2000 || echo 500)}
stop_tracer() {
	local t0
	t0=$(date +%s%N)
	kill -INT "$TR_PID"
	tracer_wait 5
	STOP_MS=$((($(date +%s%N) - t0) / 1000000))
	assert_eq 0 "$TR_RC" "tracer exit code (stderr: $(head -c 300 "$TR_ERR"))"
	assert_le "$STOP_MS" "$STOP_MS_MAX" "milliseconds from SIGINT to exit"
}

# assert_warned LINE: LINE is on stderr exactly once.
assert_warned() {
	assert_eq 1 "$(grep -cxF -- "$1" "$TR_ERR")" "lines '$1' on stderr ($(grep -v '^memleakbpf: \(attached\|pid\|unwind\|age\|tracing\)' "$TR_ERR" | head -c 300))"
}

# reports_after N: at least N more report lines than when $REPORTS0 was taken.
reports_after() {
	[ "$(grep -c '"type":"report"' "$TR_OUT")" -ge $((REPORTS0 + $1)) ]
}

# jit_case: hostile jit as nobody (pid in $PID), the tracer attached; SETUP
# runs between the two (the perf map's trap).  Leaves the final report.
jit_case() {
	local setup=$1
	pub_dir
	rm -f "$PUB/go"
	start_target PID "${NOBODY[@]}" "$(target hostile)" jit "$PUB/go" 20 1000
	WAIT_SECS=5 wait_for grep -q code "$T/target.out" || fail "hostile did not start"
	eval "$setup"
	tracer_bg -v --format json -o 0 -p "$PID" 0.3
	tracer_attached
	touch "$PUB/go"
	wait_for grep -q done "$T/target.out" || fail "hostile did not leak"
	REPORTS0=$(grep -c '"type":"report"' "$TR_OUT")
	WAIT_SECS=10 wait_for reports_after 2 || fail "no two reports after the leak (a hang?)"
	stop_tracer
	final_report
	# The JIT frame is there, under no name from a refused file.
	assert_eq 20000 "$(jf '[.stacks[] | select(.frames[0].symbol == "jit_leak_fn") | .bytes] | add')" \
		"bytes from jit_leak_fn"
	JIT_NAME=$(jf '[.stacks[] | select(.frames[0].symbol == "jit_leak_fn")][0].frames[1].symbol')
}

# The target makes its perf map a FIFO: the tracer does not block opening it.
test_hostile_perfmap_fifo() {
	jit_case 'setpriv --reuid=65534 --regid=65534 --clear-groups mkfifo /tmp/perf-$PID.map'
	rm -f "/tmp/perf-$PID.map"
	assert_eq null "$JIT_NAME" "name of the JIT frame"
	assert_warned "memleakbpf: refusing perf map /tmp/perf-$PID.map of pid $PID: not a regular file"
}

# A link to /dev/urandom (would spin) or /dev/zero (would grow without end).
test_hostile_perfmap_devices() {
	local dev
	for dev in urandom zero; do
		jit_case 'setpriv --reuid=65534 --regid=65534 --clear-groups ln -s /dev/$dev /tmp/perf-$PID.map'
		rm -f "/tmp/perf-$PID.map"
		assert_eq null "$JIT_NAME" "name of the JIT frame (/dev/$dev)"
		assert_warned "memleakbpf: refusing perf map /tmp/perf-$PID.map of pid $PID: a symbolic link"
		kill -KILL "$PID"
	done
}

# A link to a root-only file: its lines must not become symbol names.
test_hostile_perfmap_secret_link() {
	make_secret
	jit_case 'setpriv --reuid=65534 --regid=65534 --clear-groups ln -s "$T/secret/secret.map" /tmp/perf-$PID.map'
	rm -f "/tmp/perf-$PID.map"
	assert_not_disclosed
	assert_warned "memleakbpf: refusing perf map /tmp/perf-$PID.map of pid $PID: a symbolic link"
}

# The same from a private /tmp in a user and mount namespace, where the
# absolute link would resolve in the tracer's root; and a root-only file
# bind-mounted there (a regular file, but not the target's own).
test_hostile_perfmap_secret_private_tmp() {
	local how place
	make_secret
	for how in link bind; do
		pub_dir
		rm -f "$PUB/go"
		# The test's files are under /tmp: reached through the cwd and /mnt
		# once the private /tmp hides them.
		if [ "$how" = link ]; then
			place='ln -s "$1" /tmp/perf-$$.map'
		else
			place='touch /tmp/perf-$$.map && mount --bind /mnt/secret.map /tmp/perf-$$.map'
		fi
		start_target PID "${NOBODY[@]}" unshare --user --map-root-user --mount sh -c \
			'cd "$3" && mount --bind "${1%/*}" /mnt && mount -t tmpfs none /tmp && '"$place"' &&
			 exec "$2" jit go 20 1000' sh "$T/secret/secret.map" "$(target hostile)" "$PUB"
		WAIT_SECS=5 wait_for grep -q code "$T/target.out" ||
			fail "hostile did not start in its namespaces: $(head -c 300 "$T/target.err")"
		tracer_bg -v --format json -o 0 -p "$PID" 0.3
		tracer_attached
		touch "$PUB/go"
		wait_for grep -q done "$T/target.out" || fail "hostile did not leak ($how)"
		REPORTS0=$(grep -c '"type":"report"' "$TR_OUT")
		WAIT_SECS=10 wait_for reports_after 2 || fail "no two reports after the leak"
		stop_tracer
		final_report
		assert_not_disclosed
		if [ "$how" = link ]; then
			assert_warned "memleakbpf: refusing perf map /tmp/perf-$PID.map of pid $PID: a symbolic link"
		else
			assert_warned "memleakbpf: refusing perf map /tmp/perf-$PID.map of pid $PID: owned by uid 0, not by the process"
		fi
		kill -KILL "$PID"
	done
}

# The target's own perf map, a regular file it wrote, is used.
test_hostile_perfmap_own_file_used() {
	jit_case 'printf "%s 100 jit_stub_from_perf_map\n" "$(awk "/^code/ { print \$2 }" "$T/target.out")" |
		setpriv --reuid=65534 --regid=65534 --clear-groups tee /tmp/perf-$PID.map >/dev/null'
	rm -f "/tmp/perf-$PID.map"
	assert_eq jit_stub_from_perf_map "$JIT_NAME" "name of the JIT frame"
	! grep -q refusing "$TR_ERR" || fail "refused: $(grep refusing "$TR_ERR")"
}

# The target truncates its own mapped library after attach, before the
# tracer reads its symbols: the reads past the new end must not kill it.
test_hostile_truncated_library() {
	local lib
	pub_dir
	lib=$PUB/libtrunc.so
	cp "$(target libleakshared.so)" "$lib"
	chown 65534:65534 "$lib"
	start_target PID "${NOBODY[@]}" "$(target hostile)" lib "$lib" "$PUB/go" 50 1000 1
	WAIT_SECS=5 wait_for grep -q ready "$T/target.out" || fail "hostile did not start"
	tracer_bg -v --format json -o 0 -p "$PID" 1
	tracer_attached
	touch "$PUB/go"
	wait_for grep -q done "$T/target.out" || fail "hostile did not leak: $(cat "$T/target.err")"
	assert_eq 0 "$(stat -c %s "$lib")" "size of the library after the target truncated it"
	REPORTS0=$(grep -c '"type":"report"' "$TR_OUT")
	WAIT_SECS=10 wait_for reports_after 2 || fail "no two reports after the truncation (tracer: $(tail -n 2 "$TR_ERR"))"
	stop_tracer
	final_report
	assert_eq 50000 "$(jf --arg m "$lib" '[.stacks[] | select(.frames[0].module == $m) | .bytes] | add')" \
		"bytes from the truncated library"
	assert_warned "memleakbpf: a file of a traced process shrank while it was read: its missing pages read as zeros"
}

# debuglink_case KIND: a stripped library whose .gnu_debuglink names KIND
# (fifo, zero: a link to /dev/zero, sparse: a 20 GiB sparse file).
debuglink_case() {
	local lib debug
	pub_dir
	lib=$PUB/libdbg.so
	debug=$PUB/libdbg.debug
	objcopy --only-keep-debug "$(target libleakshared.so)" "$debug"
	strip -o "$lib" "$(target libleakshared.so)"
	objcopy --add-gnu-debuglink="$debug" "$lib"
	rm -f "$debug"
	case $1 in
	fifo) mkfifo "$debug" ;;
	zero) ln -s /dev/zero "$debug" ;;
	sparse) truncate -s 20G "$debug" ;;
	esac
	chown -h 65534:65534 "$lib" "$debug"
	start_target PID "${NOBODY[@]}" "$(target hostile)" lib "$lib" "$PUB/go" 50 1000 0
	WAIT_SECS=5 wait_for grep -q ready "$T/target.out" || fail "hostile did not start"
	tracer_bg -v --format json -o 0 -p "$PID" 0.3
	tracer_attached
	touch "$PUB/go"
	wait_for grep -q done "$T/target.out" || fail "hostile did not leak"
	REPORTS0=$(grep -c '"type":"report"' "$TR_OUT")
	WAIT_SECS=10 wait_for reports_after 2 || fail "no two reports after the leak (a hang?)"
	stop_tracer
	final_report
	# Named from the library's own dynamic symbols.
	assert_eq 50000 "$(jf '[.stacks[] | select(.frames[0].symbol == "lib_leak_fn") | .bytes] | add')" \
		"bytes from lib_leak_fn"
	DEBUG=$debug
}

test_hostile_debuglink_fifo() {
	debuglink_case fifo
	assert_warned "memleakbpf: refusing debug file $DEBUG of pid $PID: not a regular file"
}

test_hostile_debuglink_dev_zero() {
	debuglink_case zero
	assert_warned "memleakbpf: refusing debug file $DEBUG of pid $PID: not a regular file"
}

test_hostile_debuglink_sparse() {
	debuglink_case sparse
	assert_warned "memleakbpf: refusing debug file $DEBUG of pid $PID: 21474836480 bytes, more than the 4294967296 accepted"
}

# A library in the target's mount namespace at a path that holds another
# file on the host: pprof names the build id of the one the target maps,
# whether the host's is another library or a FIFO (which must not block).
test_hostile_namespaced_library_build_id() {
	local host_kind lib raw want=5eed0000000000000000000000000000000000b2
	need_cmd gcc go
	for host_kind in library fifo; do
		pub_dir
		lib=$PUB/libns.so
		mkdir -p "$T/ns"
		gcc -shared -fPIC -g -O0 -fno-omit-frame-pointer -Wl,--build-id=0x$want \
			-o "$T/ns/libns.so" "$TARGET_SRC/libleakshared.c" || fail "gcc"
		rm -f "$lib"
		if [ "$host_kind" = library ]; then
			gcc -shared -fPIC -g -O0 -Wl,--build-id=0x5eed0000000000000000000000000000000000a1 \
				-o "$lib" "$TARGET_SRC/libleakshared.c" || fail "gcc"
		else
			mkfifo "$lib"
		fi
		start_target PID unshare --mount --propagation private sh -c \
			'mount --bind "$1" "$2" && exec setpriv --reuid=65534 --regid=65534 --clear-groups \
			 "$3" lib "$2" "$4/go" 20 1000 0' sh "$T/ns/libns.so" "$lib" "$(target hostile)" "$PUB"
		WAIT_SECS=5 wait_for grep -q ready "$T/target.out" ||
			fail "hostile did not start: $(head -c 300 "$T/target.err")"
		tracer_bg -v --format pprof --output "$T/ns.pb.gz" -p "$PID" 0.3
		tracer_attached
		touch "$PUB/go"
		wait_for grep -q done "$T/target.out" || fail "hostile did not leak"
		sleep 1
		stop_tracer
		raw=$(HOME=$T/home GOCACHE=$T/gocache GOPATH=$T/gopath GOTOOLCHAIN=local GOFLAGS= \
			go tool pprof -raw "$T/ns.pb.gz" 2>"$T/pprof.err") ||
			fail "go tool pprof: $(head -c 300 "$T/pprof.err")"
		assert_match "$lib $want " "$raw" "mapping of $lib (host: $host_kind)"
		kill -KILL "$PID"
		rm -f "$PUB/go"
	done
}

# Service mode: children that come and go leave nothing behind in the
# tracer.  300 followed children, each loading a library and leaking from
# it: the tracer's RSS after the 300th exit is within 4 MiB of its RSS after
# the 50th.
test_hostile_service_rss_flat() {
	local pid rss50 rss300
	pub_dir
	start_target pid "${NOBODY[@]}" "$(target hostile)" spawn "$(target libleakshared.so)" 300 20 50 \
		"$PUB/spawn"
	tracer_bg -v --follow --format json -o 0 -p "$pid" 0.5
	tracer_attached
	touch "$PUB/spawn.start"
	WAIT_SECS=30 wait_for test -e "$PUB/spawn.reached" || fail "50 children not done"
	WAIT_SECS=10 wait_for exits_seen 50 || fail "50 exits not reported"
	REPORTS0=$(grep -c '"type":"report"' "$TR_OUT")
	WAIT_SECS=10 wait_for reports_after 2 || fail "no reports after 50 children"
	rss50=$(awk '/^VmRSS:/ { print $2 }' "/proc/$TR_PID/status")
	touch "$PUB/spawn.go"
	WAIT_SECS=120 wait_for test -e "$PUB/spawn" || fail "300 children not done: $(cat "$T/target.err")"
	WAIT_SECS=10 wait_for exits_seen 300 || fail "300 exits not reported"
	REPORTS0=$(grep -c '"type":"report"' "$TR_OUT")
	WAIT_SECS=10 wait_for reports_after 2 || fail "no reports after 300 children"
	rss300=$(awk '/^VmRSS:/ { print $2 }' "/proc/$TR_PID/status")
	echo "tracer RSS: $rss50 KiB after 50 children, $rss300 KiB after 300"
	stop_tracer
	assert_le "$rss300" $((rss50 + 4096)) "tracer RSS (KiB) after 300 children vs after 50 ($rss50)"
}

exits_seen() {
	[ "$(grep -c '"type":"process_exit"' "$TR_OUT")" -ge "$1" ]
}

# A library any user can write whose CFI says register 80 000 000 is
# undefined (tests/targets/libcraftedcfi.c): libdw zeroes a 1.3 GB register
# file for each row of that function (5 s, 1.2 GiB in the tracer before
# user/unwind/unwind_isolate.c).  The tracer reads CFI in a child limited in
# memory and time: its memory cgroup (tracer, child, BPF maps, page cache)
# peaks as in any run, and the leak is reported exactly.
test_hostile_crafted_cfi() {
	local lib cg peak
	[ -w /sys/fs/cgroup/memory ] || fail "no writable cgroup v1 memory controller"
	pub_dir
	lib=$PUB/libcrafted.so
	cp "$(target libcraftedcfi.so)" "$lib"
	chown 65534:65534 "$lib"
	cg=/sys/fs/cgroup/memory/memleakbpf-cfi-$$
	mkdir "$cg" || fail "cannot create $cg"
	start_target PID "${NOBODY[@]}" "$(target hostile)" lib "$lib" "$PUB/go" 50 1000
	WAIT_SECS=5 wait_for grep -q ready "$T/target.out" || fail "hostile did not start"
	local -a TR_WRAP=(sh -c 'echo $$ >"$0/cgroup.procs" && exec "$@"' "$cg")
	tracer_bg -v --format json -o 0 -p "$PID" 1
	tracer_attached
	touch "$PUB/go"
	wait_for grep -q done "$T/target.out" || fail "hostile did not leak: $(cat "$T/target.err")"
	REPORTS0=$(grep -c '"type":"report"' "$TR_OUT")
	WAIT_SECS=10 wait_for reports_after 1 || fail "no report after the leak (tracer: $(tail -n 2 "$TR_ERR"))"
	stop_tracer
	final_report
	peak=$(cat "$cg/memory.max_usage_in_bytes")
	rmdir "$cg"
	assert_eq 50000 "$(jf --arg m "$lib" '[.stacks[] | select(.frames[0].module == $m) | .bytes] | add')" \
		"bytes from the crafted library"
	assert_le "$peak" $((256 << 20)) "peak bytes of the tracer's memory cgroup"
}

# crafted_dwarf_target LIB: hostile, as nobody, maps a copy of LIB (a
# libcrafteddwarf.c library with hand-written DWARF) and leaks 50 blocks of
# 1000 bytes from its lib_leak; the tracer (-v, JSON, one report a second)
# must report them with the name lib_leak, and no line from that DWARF.
crafted_dwarf_target() {
	local lib
	pub_dir
	lib=$PUB/libcrafted.so
	cp "$(target "$1")" "$lib"
	chown 65534:65534 "$lib"
	start_target PID "${NOBODY[@]}" "$(target hostile)" lib "$lib" "$PUB/go" 50 1000
	WAIT_SECS=5 wait_for grep -q ready "$T/target.out" || fail "hostile did not start"
	tracer_bg -v --format json -o 0 -p "$PID" 1
	tracer_attached
	touch "$PUB/go"
	wait_for grep -q done "$T/target.out" || fail "hostile did not leak: $(cat "$T/target.err")"
	REPORTS0=$(grep -c '"type":"report"' "$TR_OUT")
	WAIT_SECS=10 wait_for reports_after 1 || fail "no report after the leak (tracer: $(tail -n 2 "$TR_ERR"))"
	stop_tracer
	final_report
	assert_eq 50000 "$(jf --arg m "$lib" '[.stacks[] | select(.frames[0].module == $m and
		.frames[0].symbol == "lib_leak") | .bytes] | add')" "bytes from lib_leak in the crafted library"
	assert_eq null "$(jf --arg m "$lib" '[.stacks[] | select(.frames[0].module == $m) |
		.frames[0].file] | unique | .[0]')" "file of the crafted library's frame"
}

# 50 000 nested lexical blocks (libcrafteddies.so): libdw's recursive scope
# walk overflowed the tracer's stack (SIGSEGV at the first report).  The
# child that reads the DWARF first (user/symbols/dwarf_vet.c) refuses it.
test_hostile_crafted_dwarf_dies() {
	crafted_dwarf_target libcrafteddies.so
	assert_eq 1 "$(grep -c "symbols: $PUB/libcrafted.so: DWARF refused, DIEs nested too deep" \
		"$TR_ERR")" "lines saying the DWARF was refused"
}

# A 36 KB library whose compressed .debug_line holds 20 million rows
# (libcraftedlines.so): libdw spent 2 GB and 15 s of the tracer on it.
# Now a child spends at most its budget and the tracer's memory stays low.
test_hostile_crafted_dwarf_lines() {
	local cg peak
	[ -w /sys/fs/cgroup/memory ] || fail "no writable cgroup v1 memory controller"
	cg=/sys/fs/cgroup/memory/memleakbpf-dwarf-$$
	mkdir "$cg" || fail "cannot create $cg"
	local -a TR_WRAP=(sh -c 'echo $$ >"$0/cgroup.procs" && exec "$@"' "$cg")
	crafted_dwarf_target libcraftedlines.so
	peak=$(cat "$cg/memory.max_usage_in_bytes")
	rmdir "$cg"
	assert_eq 1 "$(grep -c "symbols: $PUB/libcrafted.so: DWARF refused" "$TR_ERR")" \
		"lines saying the DWARF was refused"
	assert_le "$peak" $((768 << 20)) "peak bytes of the tracer's memory cgroup (and its DWARF reader)"
}
