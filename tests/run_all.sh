#!/usr/bin/env bash
# Everything: unit tests (the cmocka binaries given as arguments), the fuzz
# harnesses, the integration tests, and the core ones under sanitizers.
# Ends with exactly one line "N passed, N failed" summing them all; exits 1
# if anything failed (or a runner died without its summary).
cd "$(dirname "$0")/.." || exit 1
out=$(mktemp)
trap 'rm -f "$out"' EXIT
passed=0
failed=0

# run_part NAME CMD...: run a runner, echo its output, add its "# NAME:" summary.
run_part() {
	local name=$1 sum p f
	shift
	"$@" 2>&1 | tee "$out"
	sum=$(grep "^# $name: [0-9]* passed, [0-9]* failed" "$out" | tail -n 1)
	if [ -z "$sum" ]; then
		echo "not ok - $name: the runner ended without a summary"
		failed=$((failed + 1))
		return
	fi
	p=$(sed 's/^# [a-z]*: \([0-9]*\) passed.*/\1/' <<<"$sum")
	f=$(sed 's/^# [a-z]*: [0-9]* passed, \([0-9]*\) failed.*/\1/' <<<"$sum")
	passed=$((passed + p))
	failed=$((failed + f))
}

start=$SECONDS
run_part unit bash tests/run_unit.sh "$@"
# The fuzz harnesses for FUZZ_SECONDS each, then the core integration
# tests with the tracer under ASan/UBSan/LSan (tests/fuzz/, README "Fuzzing").
run_part fuzz bash tests/fuzz/run.sh
run_part integration bash tests/integration/run.sh
run_part sanitize bash tests/fuzz/sanitize_core.sh
echo "# took $((SECONDS - start)) s"
echo "$passed passed, $failed failed"
[ "$failed" = 0 ]
