# Debian's redis-server (jemalloc, Debian's libjemalloc2): the tracer's
# outstanding bytes for the pid follow redis's own accounting, INFO memory
# used_memory, as keys are loaded and flushed.
#
# Tolerance: used_memory adds jemalloc's usable size of every live block
# (its size class: a 1000-byte value's 1004-byte sds string takes 1024),
# the tracer the size asked for.  So the tracer's change may be below
# used_memory's by the size-class rounding, at most 5% for this mix of
# blocks (measured: 1.5%), and above it by at most 1% (blocks allocated
# before attach and freed during the test lower used_memory only).

REDIS_KEYS=10000
REDIS_VALUE=1000

redis() {
	redis-cli -s "$T/redis.sock" "$@"
}

used_memory() {
	redis info memory | awk -F: '/^used_memory:/ { print $2 }' | tr -d '\r'
}

# The tracer's outstanding bytes in a report begun after this call.
outstanding_now() {
	local n
	n=$(wc -l <"$TR_OUT")
	WAIT_SECS=10 wait_for eval '[ "$(wc -l <"$TR_OUT")" -ge $((n + 2)) ]' ||
		fail "no new report from the tracer"
	tail -n 1 "$TR_OUT" | jq '.processes[0].outstanding_bytes'
}

# A (tracer) tracks B (used_memory): 0.95 B <= A <= 1.01 B.
assert_tracks() { # A B WHAT
	[ $(($1 * 100)) -ge $(($2 * 95)) ] && [ $(($1 * 100)) -le $(($2 * 101)) ] ||
		fail "$3: tracer $1 bytes, used_memory $2 bytes (outside -5%..+1%)"
}

test_redis_used_memory() {
	local rpid u0 u1 u2 o0 o1 o2
	need_cmd redis-server redis-cli
	start_target rpid redis-server --port 0 --unixsocket "$T/redis.sock" --save '' \
		--appendonly no --dir "$T"
	WAIT_SECS=10 wait_for redis ping >/dev/null || fail "redis did not start"
	assert_eq "$rpid" "$(redis info server | awk -F: '/^process_id:/ { print $2 }' | tr -d '\r')" \
		"redis pid"
	grep -q libjemalloc "/proc/$rpid/maps" || fail "redis-server does not use jemalloc"
	tracer_bg -v --format json -o 0 -p "$rpid" 0.3
	tracer_attached
	grep -q "libjemalloc.so.2: jemalloc (malloc, free, " "$TR_ERR" ||
		fail "-v does not name redis's jemalloc: $(grep jemalloc "$TR_ERR" | head -c 300)"
	u0=$(used_memory)
	o0=$(outstanding_now)
	awk -v n=$REDIS_KEYS -v size=$REDIS_VALUE 'BEGIN {
		v = sprintf("%" size "s", ""); gsub(/ /, "x", v)
		for (i = 0; i < n; i++) printf "SET key:%06d %s\r\n", i, v }' |
		redis --pipe >"$T/pipe.out" 2>&1 || fail "redis-cli --pipe: $(tail -n 2 "$T/pipe.out")"
	grep -q "errors: 0, replies: $REDIS_KEYS" "$T/pipe.out" || fail "loading keys: $(cat "$T/pipe.out")"
	assert_eq $REDIS_KEYS "$(redis dbsize)" "keys in redis"
	u1=$(used_memory)
	o1=$(outstanding_now)
	assert_gt $((u1 - u0)) $((REDIS_KEYS * REDIS_VALUE)) "used_memory growth"
	echo "loaded: used_memory +$((u1 - u0)), tracer +$((o1 - o0))"
	assert_tracks $((o1 - o0)) $((u1 - u0)) "growth after loading $REDIS_KEYS keys"
	assert_eq OK "$(redis flushall sync)" "FLUSHALL"
	u2=$(used_memory)
	o2=$(outstanding_now)
	echo "flushed: used_memory +$((u2 - u0)), tracer +$((o2 - o0))"
	# Back to where it was, within 1% of what was loaded, as used_memory is.
	assert_le $(((o2 - o0) * 100)) $((o1 - o0)) "outstanding after FLUSHALL (o0 $o0, o2 $o2)"
	assert_le $(((u2 - u0) * 100)) $((u1 - u0)) "used_memory after FLUSHALL (u0 $u0, u2 $u2)"
	assert_le "$(((o2 - o0) - (u2 - u0)))" $(((u1 - u0) / 100)) "tracer above used_memory after FLUSHALL"
	assert_le "$(((u2 - u0) - (o2 - o0)))" $(((u1 - u0) / 100)) "tracer below used_memory after FLUSHALL"
	kill -INT "$TR_PID"
	tracer_wait 20
	assert_eq 0 "$TR_RC" "tracer exit code"
	final_report
	# Each key freed its name, value and dictionary entry at least.
	assert_le $((3 * REDIS_KEYS)) "$(jf '.stats.frees')" "stats.frees"
	redis shutdown nosave >/dev/null 2>&1
	wait_pid "$rpid" 10
	assert_no_probes
}
