# Shared helpers of the integration tests (sourced by run.sh).
#
# Every test is a function test_* in a test_*.sh file.  run_test runs it in a
# subshell with its own scratch directory $T; a failed assertion records the
# first reason and exits the subshell.  Whatever the test started in the
# background (targets, tracers) is killed when the subshell exits.
#
# Helpers (details above each):
#   target NAME            path of build/targets/NAME
#   src_line MARKER FILE   line of /* MARKER */ in tests/targets/FILE
#   start_target VAR CMD.. a target in the background, killed at the end
#   tracer ARGS...         run memleakbpf to its end: TR_RC, TR_OUT, TR_ERR, TR_PID
#   tracer_bg ARGS...      the same in the background; tracer_wait ends it
#   tracer_attached        a -v background tracer has attached its probes
#   final_report           check the JSON lines, keep the final one in $T/final.json
#   jf [OPTS] FILTER       jq -r on the final report
#   assert_stack SYM BYTES ALLOCS [LINE FILE MODULE]  the malloc stack whose
#                          frames[0] is SYM, exactly; leaves it in $STACK
#   assert_error CODE      exit CODE, one "memleakbpf: " line on stderr, no stdout
#   assert_no_probes       no BPF program of the tracer outlives it
#   fail / skip / assert_eq / assert_match / assert_le / assert_gt
#
# Load: IT_CPU_HOG=N runs N busy loops for the whole run (LOAD=1: one per
# CPU), so that tests meet a loaded machine: they must wait for conditions,
# never for fixed sleeps (LOAD=1 make test, or with run.sh).

IT_ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
MEMLEAKBPF=${MEMLEAKBPF:-$IT_ROOT/memleakbpf}
TARGET_DIR=${TARGET_DIR:-$IT_ROOT/build/targets}
TARGET_SRC=$IT_ROOT/tests/targets
TRACER_TIMEOUT=${TRACER_TIMEOUT:-60}

# Names of the BPF programs of memleak.bpf.o, the function after each
# SEC("...") line of the files linked into it: every bpf/*.bpf.c but
# aggregate.bpf.c, an object of its own (Makefile).  bpftool shows full
# names: malloc_enter, alloc_return, free_enter, sampled_alloc, ...
# (pidns.bpf.c's view_pids, the tracer's too, is among them.)
MEMLEAK_PROGS="^($(awk 'prog { sub(/^int (BPF_[A-Z_]*\()?/, ""); sub(/[^a-z_0-9].*/, ""); print }
	{ prog = /^SEC\("/ }' $(ls "$IT_ROOT"/bpf/*.bpf.c | grep -v '/aggregate\.bpf\.c$') |
	sort -u | paste -sd '|'))\$"

IT_TMP=${IT_TMP:-$(mktemp -d /tmp/memleakbpf-it.XXXXXX)}
IT_CPU_HOG=${IT_CPU_HOG:-$([ "${LOAD:-0}" = 1 ] && nproc || echo 0)}
IT_HOGS=()

it_stop_hogs() {
	[ ${#IT_HOGS[@]} = 0 ] || kill "${IT_HOGS[@]}" 2>/dev/null
}

if [ "$IT_CPU_HOG" -gt 0 ]; then
	for ((IT_H = 0; IT_H < IT_CPU_HOG; IT_H++)); do
		bash -c 'while :; do :; done' &
		IT_HOGS+=("$!")
	done
	trap it_stop_hogs EXIT
	echo "# load: $IT_CPU_HOG busy loops (IT_CPU_HOG)"
fi
IT_PASSED=0
IT_FAILED=0
IT_SKIPPED=0 # stays 0 under CI=true

# ---------------------------------------------------------------- running tests

# fail REASON: the test failed; the first reason given is the one reported.
fail() {
	[ -s "$T/.reason" ] || printf '%s\n' "$*" >"$T/.reason"
	exit 1
}

# skip REASON: a precondition is missing.  Under CI nothing may skip.
skip() { # under CI=true a missing precondition fails the test instead
	if [ "${CI:-}" = true ]; then
		fail "precondition missing (CI=true, no skipping): $*"
	fi
	printf '%s\n' "$*" >"$T/.skip"
	exit 77
}

need_root() {
	[ "$(id -u)" = 0 ] || skip "needs root"
}

need_cmd() {
	local c
	for c in "$@"; do
		command -v "$c" >/dev/null 2>&1 || skip "needs $c"
	done
}

# Background processes of the current test, killed when it ends.
IT_BG=()

it_cleanup() {
	local p
	for p in "${IT_BG[@]}"; do
		kill -KILL "$p" 2>/dev/null
	done
	for p in "${IT_BG[@]}"; do
		wait "$p" 2>/dev/null
	done
	# A -c child outlives a tracer stopped by a signal: kill those too.
	if [ -s "$T/.orphans" ]; then
		while read -r p; do
			kill -KILL "$p" 2>/dev/null
		done <"$T/.orphans"
	fi
}

# adopt PID: kill PID when the test ends (a process that is not our child).
adopt() {
	echo "$1" >>"$T/.orphans"
}

run_test() {
	local name=$1 rc reason start
	T=$IT_TMP/$name
	rm -rf "$T"
	mkdir -p "$T"
	start=$(date +%s.%N)
	(
		trap it_cleanup EXIT
		trap 'exit 130' INT TERM
		IT_BG=()
		need_cmd jq
		BPF_BASE=$(bpf_max_prog_id)
		"$name"
	) >"$T/.log" 2>&1
	rc=$?
	local took
	took=$(awk -v s="$start" -v e="$(date +%s.%N)" 'BEGIN { printf "%.1f", e - s }')
	if [ "$rc" = 77 ] && [ ! -s "$T/.reason" ]; then
		echo "ok - $name # SKIP $(cat "$T/.skip")" # never under CI=true (skip fails)
		IT_SKIPPED=$((IT_SKIPPED + 1)) # only outside CI=true
	elif [ "$rc" = 0 ] && [ ! -s "$T/.reason" ]; then
		echo "ok - $name (${took}s)"
		IT_PASSED=$((IT_PASSED + 1))
	else
		reason=$(head -c 2000 "$T/.reason" 2>/dev/null)
		[ -n "$reason" ] || reason="exited $rc without a reason; log: $(tail -n 5 "$T/.log" | tr '\n' ' ')"
		echo "not ok - $name: $reason"
		[ -n "${IT_VERBOSE:-}" ] && sed 's/^/#   /' "$T/.log"
		IT_FAILED=$((IT_FAILED + 1))
	fi
}

# ---------------------------------------------------------------- assertions

assert_eq() { # EXPECTED ACTUAL WHAT
	[ "$1" == "$2" ] || fail "$3: expected '$1', got '$2'"
}

assert_ne() { # UNEXPECTED ACTUAL WHAT
	[ "$1" != "$2" ] || fail "$3: got '$2'"
}

assert_match() { # REGEX STRING WHAT
	[[ $2 =~ $1 ]] || fail "$3: '$2' does not match /$1/"
}

assert_le() { # A B WHAT  (A <= B, integers)
	[ "$1" -le "$2" ] || fail "$3: $1 > $2"
}

assert_gt() { # A B WHAT  (A > B, integers)
	[ "$1" -gt "$2" ] || fail "$3: $1 <= $2"
}

# ---------------------------------------------------------------- targets

# target NAME: path of a built test target (fails if it was not built).
target() {
	local p=$TARGET_DIR/$1
	[ -x "$p" ] || fail "target $p not built (make test builds it)"
	echo "$p"
}

# src_line MARKER FILE: the line of FILE (in tests/targets) holding the
# comment /* MARKER */; it must occur exactly once.
src_line() {
	local f=$TARGET_SRC/$2 lines
	lines=$(grep -nF -- "/* $1 */" "$f" | cut -d: -f1)
	[ -n "$lines" ] && [ "$(echo "$lines" | wc -l)" = 1 ] ||
		fail "marker /* $1 */ must occur once in $f (found at: $(echo ${lines:-none}))"
	echo "$lines"
}

# start_target VAR CMD ARGS...: run CMD in the background, its pid in VAR.
start_target() {
	local __var=$1
	shift
	"$@" >"$T/target.out" 2>"$T/target.err" &
	IT_BG+=("$!")
	printf -v "$__var" '%s' "$!"
}

# wait_pid PID SECONDS: wait for our child PID; its exit code in WAIT_RC
# (fails if it is still running after SECONDS).
wait_pid() {
	local pid=$1 deadline=$((SECONDS + $2))
	while kill -0 "$pid" 2>/dev/null && ! process_zombie "$pid"; do
		[ "$SECONDS" -lt "$deadline" ] || fail "pid $pid ($(tr '\0' ' ' <"/proc/$pid/cmdline" 2>/dev/null)) still running after $2 s"
		sleep 0.05
	done
	wait "$pid"
	WAIT_RC=$?
}

process_zombie() {
	[ "$(awk '{ print $3 }' "/proc/$1/stat" 2>/dev/null)" = Z ]
}

# wait_for CMD...: retry CMD every 50 ms for up to WAIT_SECS (10) seconds.
wait_for() {
	local deadline=$((SECONDS + ${WAIT_SECS:-10}))
	until "$@"; do
		[ "$SECONDS" -lt "$deadline" ] || return 1
		sleep 0.05
	done
}

# ---------------------------------------------------------------- the tracer

# tracer ARGS...: run memleakbpf to its end (within TRACER_TIMEOUT seconds).
tracer() {
	tracer_bg "$@"
	tracer_wait
}

# tracer_bg ARGS...: start memleakbpf in the background (SIGINT not ignored,
# as it would be for a plain background job); TR_PID.  The array TR_WRAP,
# if set, is a command prefix that ends by exec'ing memleakbpf (setpriv, ...).
TR_WRAP=()
tracer_bg() {
	need_root
	TR_N=$((${TR_N:-0} + 1))
	TR_OUT=$T/tracer$TR_N.out
	TR_ERR=$T/tracer$TR_N.err
	env --default-signal=INT "${TR_WRAP[@]}" "$MEMLEAKBPF" "$@" >"$TR_OUT" 2>"$TR_ERR" &
	TR_PID=$!
	IT_BG+=("$TR_PID")
}

# tracer_wait [SECONDS]: wait for the background tracer; TR_RC.
tracer_wait() {
	wait_pid "$TR_PID" "${1:-$TRACER_TIMEOUT}"
	TR_RC=$WAIT_RC
}

# tracer_attached: the background tracer (run with -v) has attached its probes.
tracer_attached() {
	WAIT_SECS=${1:-15} wait_for grep -q 'memleakbpf: tracing [0-9]* process' "$TR_ERR" ||
		fail "tracer did not report attaching (-v): $(tail -n 3 "$TR_ERR" | tr '\n' ' ')"
}

# reports_seen N: the background tracer printed at least N report lines.
reports_seen() {
	[ "$(grep -c '"type":"report"' "$TR_OUT" 2>/dev/null)" -ge "$1" ]
}

# final_report: every line of TR_OUT is a JSON report, exactly one is final
# and it is the last; the final one goes to $T/final.json.
final_report() {
	local n nfinal
	[ -s "$TR_OUT" ] || fail "no output (exit $TR_RC; stderr: $(head -c 300 "$TR_ERR"))"
	jq -e . "$TR_OUT" >/dev/null 2>&1 || fail "output is not JSON lines: $(head -c 200 "$TR_OUT")"
	n=$(wc -l <"$TR_OUT")
	nfinal=$(jq -c 'select(.final == true)' "$TR_OUT" | wc -l)
	assert_eq 1 "$nfinal" "number of final reports (of $n)"
	tail -n 1 "$TR_OUT" >"$T/final.json"
	assert_eq true "$(jf '.final')" "last report is the final one"
	assert_eq report "$(jf '.type')" "type of the final report"
}

# jf [JQ OPTIONS...] FILTER: jq -r on the final report.
jf() {
	jq -r "$@" "$T/final.json"
}

# malloc-kind stacks whose innermost frame (the allocator's caller) is SYM.
stacks_of() {
	jf --arg s "$1" '[.stacks[] | select(.kind == "malloc" and .frames[0].symbol == $s)]'
}

# assert_stack SYM BYTES ALLOCS [LINE FILE_SUFFIX [MODULE_SUFFIX]]
assert_stack() {
	local sym=$1 bytes=$2 allocs=$3 line=${4:-} file=${5:-} module=${6:-} s
	s=$(stacks_of "$sym")
	assert_eq 1 "$(jq length <<<"$s")" "stacks from $sym (stacks: $(jf -c '[.stacks[] | [.frames[0].symbol, .bytes]]'))"
	assert_eq "$bytes" "$(jq '.[0].bytes' <<<"$s")" "bytes from $sym"
	assert_eq "$allocs" "$(jq '.[0].allocs' <<<"$s")" "allocations from $sym"
	assert_eq false "$(jq '.[0].stack_lost' <<<"$s")" "stack_lost of $sym"
	assert_eq malloc "$(jq -r '.[0].kind' <<<"$s")" "kind of $sym"
	if [ -n "$line" ]; then
		assert_eq "$line" "$(jq '.[0].frames[0].line' <<<"$s")" "source line of $sym"
	fi
	if [ -n "$file" ]; then
		assert_match "(^|/)$file\$" "$(jq -r '.[0].frames[0].file' <<<"$s")" "source file of $sym"
	fi
	if [ -n "$module" ]; then
		assert_match "(^|/)$module\$" "$(jq -r '.[0].frames[0].module' <<<"$s")" "module of $sym"
	fi
	STACK=$s
}

# The number of malloc-kind stacks listed (mappings are other kinds).
malloc_stacks() {
	jf '[.stacks[] | select(.kind == "malloc")] | length'
}

assert_no_stack() { # SYM
	assert_eq 0 "$(stacks_of "$1" | jq length)" "stacks from $1"
}

# The process entry of the final report (there must be exactly one).
assert_one_process() {
	assert_eq 1 "$(jf '.processes | length')" "number of processes"
	PROC_PID=$(jf '.processes[0].pid')
}

# assert_error CODE: memleakbpf exited CODE, printed nothing on stdout and
# exactly one line on stderr, starting with "memleakbpf: ".
assert_error() {
	assert_eq "$1" "$TR_RC" "exit code (stderr: $(head -c 300 "$TR_ERR"))"
	assert_eq 1 "$(wc -l <"$TR_ERR")" "lines on stderr ($(head -c 300 "$TR_ERR" | tr '\n' '|'))"
	assert_match '^memleakbpf: .' "$(cat "$TR_ERR")" "error line"
	assert_eq 0 "$(wc -c <"$TR_OUT")" "bytes on stdout"
}

# ---------------------------------------------------------------- BPF leftovers

bpf_max_prog_id() {
	command -v bpftool >/dev/null 2>&1 || { echo 0; return; }
	bpftool prog show -j 2>/dev/null | jq '[.[].id] | max // 0' 2>/dev/null || echo 0
}

# Program ids held by memleakbpf processes still running (not ours: ours
# have exited when this is asked), so a concurrent tracer is not a leftover.
live_tracer_prog_ids() {
	local p
	for p in $(pgrep -x memleakbpf); do
		grep -h '^prog_id:' /proc/"$p"/fdinfo/* 2>/dev/null
	done | awk '{ print $2 }' | sort -un | jq -sc .
}

# memleak programs created since the test started that nothing alive owns.
bpf_leftovers() {
	bpftool prog show -j 2>/dev/null |
		jq -c --argjson base "${BPF_BASE:-0}" --arg re "$MEMLEAK_PROGS" \
			--argjson live "$(live_tracer_prog_ids)" \
			'[.[] | select(.id > $base and (.name | test($re)) and
			  ((.id as $i | $live | index($i)) == null)) | {id, name}]'
}

no_bpf_leftovers() {
	[ "$(bpf_leftovers)" = "[]" ]
}

# tracer_probes MATCH [EXCLUDE]: uprobes the running tracer ($TR_PID) holds
# through programs whose name matches the extended regex MATCH and not
# EXCLUDE: one per perf-event link, uprobe_cnt per uprobe multi link (from
# the link's fdinfo, which bpftool 7.1 does not decode).
tracer_probes() {
	local f names=$T/.prog_names
	bpftool prog show -j 2>/dev/null | jq -r '.[] | "\(.id) \(.name)"' >"$names"
	for f in /proc/"$TR_PID"/fdinfo/*; do
		awk '/^link_type:/ { t = $2 } /^prog_id:/ { p = $2 } /^uprobe_cnt:/ { n = $2 }
			END { if (t == "perf") print p, 1; else if (t ~ /^u(ret)?probe_multi$/) print p, n }' \
			"$f" 2>/dev/null
	done | awk -v re="$1" -v ex="${2:-^$}" 'NR == FNR { name[$1] = $2; next }
		name[$1] ~ re && name[$1] !~ ex { s += $2 } END { print s + 0 }' "$names" -
}

# tracer_link_count TYPE_REGEX: links of the running tracer whose kernel link
# type (fdinfo's link_type: uprobe_multi, uretprobe_multi, perf,
# raw_tracepoint) matches the extended regex.
tracer_link_count() {
	grep -lE "^link_type:[[:space:]]*($1)\$" /proc/"$TR_PID"/fdinfo/* 2>/dev/null | wc -l
}

# assert_no_probes: after memleakbpf exited, none of its programs, links or
# uprobe events remain.
assert_no_probes() {
	need_cmd bpftool
	[[ $MEMLEAK_PROGS != *"()"* ]] || fail "no BPF program names found in bpf/*.bpf.c"
	[ -z "${TR_PID:-}" ] || ! kill -0 "$TR_PID" 2>/dev/null || fail "tracer still running"
	if ! WAIT_SECS=3 wait_for no_bpf_leftovers; then
		local left links
		left=$(bpf_leftovers)
		links=$(bpftool link show -j 2>/dev/null | jq -c --argjson ids "$(jq -c 'map(.id)' <<<"$left")" \
			'[.[] | select(.prog_id as $p | $ids | index($p)) | {id, type, prog_id}]')
		fail "BPF programs left behind: $left; links: $links"
	fi
	local ev
	for ev in /sys/kernel/tracing/uprobe_events /sys/kernel/debug/tracing/uprobe_events; do
		if [ -r "$ev" ] && [ -n "${TR_PID:-}" ] && grep -q "libbpf_${TR_PID}_" "$ev"; then
			fail "uprobe events of pid $TR_PID left in $ev"
		fi
	done
}
