# Soak and churn: a service's life over many processes, under --follow.
#
# - 100 OOM kills and respawns in a cgroup v1 memory controller: every
#   victim's oom_kill record has its exact blocks, and nothing of the
#   victims is left in the maps afterwards (tests/targets/oom_cycles.c).
# - 1 000 short-lived children: every exit record is exact, nothing of them
#   is left, and the tracer's RSS stays flat (tests/targets/spawner.c).
#
# Knobs (the defaults run in CI in about a minute):
#   SOAK_SCALE=K      K times the cycles and children
#   SOAK_MINUTES=M    the reliability run of the README: each test runs for
#                     M/2 minutes instead of a number of cycles
#   SOAK_RSS_GROWTH_KIB  allowed tracer RSS growth over the children (8192)
#   SOAK_LOG=FILE     append the figures (RSS, cycles) there too
# e.g. SOAK_MINUTES=30 bash tests/integration/run.sh soak

SOAK_SCALE=${SOAK_SCALE:-1}
SOAK_MINUTES=${SOAK_MINUTES:-0}

soak_log() {
	echo "# $*"
	[ -z "${SOAK_LOG:-}" ] || echo "$*" >>"$SOAK_LOG"
}

# soak_release PATTERN: touch $T/go-PID for every pid the -v tracer says it
# follows from a fork of a process named PATTERN (the target waits for it).
soak_release() {
	local p
	for p in $(grep -o "pid [0-9]* ($1) forked: traced" "$TR_ERR" | awk '{ print $2 }'); do
		[ -e "$T/go-$p" ] || : >"$T/go-$p"
	done
}

# Seconds a test may run: SOAK_MINUTES/2 minutes, else a bound for a count.
soak_seconds() {
	if [ "$SOAK_MINUTES" -gt 0 ]; then
		echo $((SOAK_MINUTES * 30))
	else
		echo "$1"
	fi
}

test_soak_oom_respawn_cycles() {
	local cg pid cycles mib=$((1024 * 1024)) secs deadline line want got n
	[ -w /sys/fs/cgroup/memory ] || fail "no writable cgroup v1 memory controller"
	cycles=$((100 * SOAK_SCALE))
	secs=$(soak_seconds $((300 * SOAK_SCALE)))
	[ "$SOAK_MINUTES" -gt 0 ] && cycles=0
	cg=/sys/fs/cgroup/memory/memleakbpf-soak-$$
	mkdir "$cg" || fail "cannot create $cg"
	echo $((32 * mib)) >"$cg/memory.limit_in_bytes"
	echo 0 >"$cg/memory.swappiness" 2>/dev/null
	start_target pid "$(target oom_cycles)" "$cycles" $((SOAK_MINUTES * 30)) "$mib" \
		"$cg/cgroup.procs" "$T"
	tracer_bg -v --follow --format json -o 0 -p "$pid" 1
	tracer_attached
	: >"$T/go"
	deadline=$((SECONDS + secs + 60))
	while kill -0 "$pid" 2>/dev/null && ! process_zombie "$pid"; do
		[ "$SECONDS" -lt "$deadline" ] || fail "oom_cycles still running after $secs s: $(wc -l <"$T/victims" 2>/dev/null) victims"
		soak_release oom_cycles
		sleep 0.02
	done
	wait_pid "$pid" 1
	assert_eq 0 "$WAIT_RC" "oom_cycles exit code (2: a hog was not OOM-killed)"
	kill -INT "$TR_PID"
	tracer_wait 30
	rmdir "$cg" 2>/dev/null
	assert_eq 0 "$TR_RC" "tracer exit code (stderr: $(grep -v ' traced$\| exited$' "$TR_ERR" | head -c 300))"
	n=$(wc -l <"$T/victims")
	[ "$cycles" = 0 ] || assert_eq "$cycles" "$n" "victims"
	soak_log "soak: $n OOM kills and respawns in $SECONDS s"
	assert_gt "$n" 0 "victims"
	line=$(src_line SOAK_HOG_LINE oom_cycles.c)
	# Every victim: its record, its blocks to the byte, its cgroup and limit.
	want=$(awk -v b="$mib" -v l="$line" -v c="/$(basename "$cg")" -v m=$((32 * mib)) \
		'{ print $1, $2 * b, $2, "soak_hog_fn", l, c, m }' "$T/victims" | sort)
	got=$(jq -r 'select(.type == "oom_kill") |
		[.pid, .report.stacks[0].bytes, .report.stacks[0].allocs,
		 .report.stacks[0].frames[0].symbol, .report.stacks[0].frames[0].line,
		 .cgroup, .cgroup_limit_bytes] | map(tostring) | join(" ")' "$TR_OUT" | sort)
	assert_eq "$want" "$got" "oom_kill records (pid bytes allocs symbol line cgroup limit; diff: $(diff <(echo "$want") <(echo "$got") | head -4 | tr '\n' '|'))"
	assert_eq 0 "$(jq -r 'select(.type == "oom_kill") | .report.stacks[1:] | length' "$TR_OUT" | sort -u | grep -vc '^0$')" "victims with more than one stack"
	# Nothing of the victims is left: the final report holds no hog stack.
	tail -n 1 "$TR_OUT" >"$T/final.json"
	assert_eq true "$(jf '.final')" "final report last"
	assert_no_stack soak_hog_fn
	assert_eq 0 "$(jf '[.stats.lost[]] | add')" "sum of stats.lost ($(jf -c '.stats.lost'))"
	assert_no_probes
}

# tracer_rss_kib: VmRSS of the background tracer.
tracer_rss_kib() {
	awk '$1 == "VmRSS:" { print $2 }' "/proc/$TR_PID/status"
}

# children_exited N: the -v tracer has seen N of the spawner's children end
# (while the spawner lives, every process that ends is one of them; one
# gone before the tracer read its name is "(?)").
children_exited() {
	[ "$(grep -c '^memleakbpf: pid [0-9]* (.*) exited$' "$TR_ERR")" -ge "$1" ]
}

test_soak_children_rss_flat() {
	local pid points=() p rss=() first n secs deadline want t_prev
	points=(50 500)
	for ((n = 1000; n <= 1000 * SOAK_SCALE; n += 1000)); do
		points+=("$n")
	done
	if [ "$SOAK_MINUTES" -gt 0 ]; then
		for ((; n <= 10000000; n += 10000)); do
			points+=("$n")
		done
	fi
	secs=$(soak_seconds $((120 * SOAK_SCALE)))
	start_target pid "$(target spawner)" "$T" 20 4 "${points[@]}"
	tracer_bg -v --follow --format json -o 0 -p "$pid" 1
	tracer_attached
	: >"$T/go-0"
	deadline=$((SECONDS + secs))
	t_prev=$SECONDS
	for p in "${points[@]}"; do
		WAIT_SECS=$((deadline - SECONDS + 60)) wait_for test -e "$T/at-$p" ||
			fail "spawner did not reach $p children (rc: $(kill -0 "$pid" 2>/dev/null && echo running))"
		# The tracer has handled every exit so far: its RSS at p children.
		WAIT_SECS=60 wait_for children_exited "$p" ||
			fail "tracer saw $(grep -c ') exited$' "$TR_ERR") of $p children exit"
		rss+=("$(tracer_rss_kib)")
		n=$p
		# Timed runs end at a point: the next step must fit before the
		# deadline with room (the last one took $SECONDS - t_prev).
		[ $((SECONDS + 2 * (SECONDS - t_prev))) -lt "$deadline" ] || break
		t_prev=$SECONDS
		: >"$T/go-$p"
	done
	kill -KILL "$pid"
	wait_pid "$pid" 10
	kill -INT "$TR_PID"
	tracer_wait 30
	assert_eq 0 "$TR_RC" "tracer exit code (stderr: $(grep -v ' traced$\| exited$' "$TR_ERR" | head -c 300))"
	soak_log "soak: tracer VmRSS at ${points[*]:0:${#rss[@]}} children: ${rss[*]} KiB"
	# Every child's exit record: exactly its 10 blocks of 100 bytes.
	want=$(printf '1000 10\n%.0s' $(seq "$n"))
	assert_eq "$want" "$(jq -r --argjson p "$pid" 'select(.type == "process_exit" and .ppid == $p) |
		"\(.outstanding_bytes) \(.outstanding_allocs)"' "$TR_OUT")" "exit records of the $n children"
	# Nothing of them is left; the tracer did not grow with them.
	tail -n 1 "$TR_OUT" >"$T/final.json"
	assert_eq true "$(jf '.final')" "final report last"
	assert_no_stack child_leak_fn
	first=${rss[0]}
	for p in "${!rss[@]}"; do
		assert_le "${rss[$p]}" $((first + ${SOAK_RSS_GROWTH_KIB:-8192})) \
			"tracer VmRSS (KiB) at ${points[$p]} children against ${points[0]} (all: ${rss[*]})"
	done
	assert_no_probes
}
