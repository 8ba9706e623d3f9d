#!/usr/bin/env bash
# Run libFuzzer harnesses: bash tests/fuzz/run.sh [NAME...]  (make fuzz)
# (no NAME: every tests/fuzz/fuzz_NAME.c)
#   FUZZ_SECONDS   seconds each harness fuzzes (60)
#   FUZZ_JOBS      harnesses run at a time (2)
# Each harness build/fuzz/fuzz_NAME starts from its seeds in
# tests/fuzz/corpus/NAME (read only) and the inputs earlier runs found in
# build/fuzz/corpus/NAME, where it adds new ones.  Any finding (crash,
# AddressSanitizer or UndefinedBehaviorSanitizer report, leak, an input
# slower than 10 s, more than 2 GiB) fails the harness; the input is kept
# in build/fuzz/artifacts/ and the log in build/fuzz/logs/.  Replay one:
#   build/fuzz/fuzz_NAME build/fuzz/artifacts/NAME-crash-...
# Ends with "# fuzz: P passed, F failed"; exits 1 if any failed.
cd "$(dirname "$0")/../.." || exit 1
FUZZ_SECONDS=${FUZZ_SECONDS:-60}
FUZZ_JOBS=${FUZZ_JOBS:-2}
out=build/fuzz
mkdir -p "$out/logs" "$out/artifacts"
if [ $# = 0 ]; then
	set -- $(ls tests/fuzz/fuzz_*.c | sed 's|.*/fuzz_\(.*\)\.c$|\1|')
fi

# fuzz_one NAME: run one harness; its log in $out/logs/NAME.log, status in .rc
fuzz_one() {
	local name=$1 bin=$out/fuzz_$1 log=$out/logs/$1.log

	mkdir -p "$out/corpus/$name"
	"$bin" -max_total_time="$FUZZ_SECONDS" -timeout=10 -rss_limit_mb=2048 \
		-print_final_stats=1 -artifact_prefix="$out/artifacts/$name-" \
		"$out/corpus/$name" "tests/fuzz/corpus/$name" >"$log" 2>&1
	echo $? >"$out/logs/$name.rc"
}

# report NAME: one "ok"/"not ok" line from the harness's log.
report() {
	local name=$1 log=$out/logs/$1.log rc execs rate cov finding

	rc=$(cat "$out/logs/$name.rc" 2>/dev/null || echo 1)
	execs=$(sed -n 's/^stat::number_of_executed_units: *//p' "$log" | tail -n 1)
	rate=$(sed -n 's/^stat::average_exec_per_sec: *//p' "$log" | tail -n 1)
	cov=$(grep -o 'cov: [0-9]*' "$log" | tail -n 1)
	if [ "$rc" = 0 ]; then
		echo "ok - fuzz/$name: ${execs:-?} execs, ${rate:-?}/s, $cov, $FUZZ_SECONDS s"
		return 0
	fi
	finding=$(grep -m 1 -E '^(==[0-9]+==ERROR|SUMMARY|.*runtime error:|ALARM|==[0-9]+== ERROR)' \
		"$log")
	echo "not ok - fuzz/$name: exit $rc: ${finding:-see $log}"
	grep -m 1 -o "Test unit written to .*" "$log" | sed 's/^/#   /'
	echo "#   log: $log"
	return 1
}

passed=0
failed=0
running=0
for name in "$@"; do
	if [ ! -x "$out/fuzz_$name" ]; then
		echo "not ok - fuzz/$name: $out/fuzz_$name is not built"
		failed=$((failed + 1))
		continue
	fi
	if [ "$running" -ge "$FUZZ_JOBS" ]; then
		wait -n
		running=$((running - 1))
	fi
	rm -f "$out/logs/$name.rc"
	fuzz_one "$name" &
	running=$((running + 1))
done
wait
for name in "$@"; do
	[ -x "$out/fuzz_$name" ] || continue
	if report "$name"; then
		passed=$((passed + 1))
	else
		failed=$((failed + 1))
	fi
done
echo "# fuzz: $passed passed, $failed failed"
[ "$failed" = 0 ]
