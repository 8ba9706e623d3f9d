#!/usr/bin/env bash
# Run cmocka unit-test binaries: bash tests/run_unit.sh build/tests/test_*
# Counts test cases from cmocka's summary ("[  PASSED  ] N test(s)." and
# "[  FAILED  ] N test(s)"); a binary that crashes, or fails without saying
# how many, counts as one failure.  A skipped case ("[  SKIPPED ] N
# test(s)") is reported; under CI=true it counts as a failure: there every
# precondition must hold.  Ends with "# unit: P passed, F failed, S skipped".
passed=0
failed=0
skipped=0
tmp=$(mktemp)
trap 'rm -f "$tmp"' EXIT

for bin in "$@"; do
	name=${bin##*/}
	if [ ! -x "$bin" ]; then
		echo "not ok - unit/$name: not built"
		failed=$((failed + 1))
		continue
	fi
	timeout 120 "$bin" >"$tmp" 2>&1
	rc=$?
	p=$(sed -n 's/^\[  PASSED  \] \([0-9]*\) test(s)\..*/\1/p' "$tmp" | tail -n 1)
	f=$(sed -n 's/^\[  FAILED  \] \([0-9]*\) test(s).*/\1/p' "$tmp" | tail -n 1)
	k=$(sed -n 's/^\[  SKIPPED \] \([0-9]*\) test(s).*/\1/p' "$tmp" | tail -n 1)
	p=${p:-0}
	f=${f:-0}
	k=${k:-0}
	if [ "$k" != 0 ]; then
		sed -n 's/^\[  SKIPPED \] \([a-z_0-9]*\)$/#   skipped: \1/p' "$tmp" | sort -u
		if [ "${CI:-}" = true ]; then
			echo "# unit/$name: under CI=true a skip is a failure (a precondition is missing)"
			f=$((f + k))
		else
			skipped=$((skipped + k))
		fi
	fi
	if [ "$rc" != 0 ] && [ "$f" = 0 ]; then
		f=1 # crashed, timed out, or failed outside a test case
	fi
	passed=$((passed + p))
	failed=$((failed + f))
	if [ "$f" = 0 ] && [ "$p" -gt 0 ]; then
		echo "ok - unit/$name ($p tests)"
	elif [ "$f" = 0 ] && [ "$k" -gt 0 ]; then
		echo "ok - unit/$name (all $k skipped)"
	elif [ "$f" = 0 ]; then
		echo "not ok - unit/$name: no test ran (exit $rc)"
		failed=$((failed + 1))
	else
		echo "not ok - unit/$name: $f failed, $p passed (exit $rc)"
		grep -E '^\[  (FAILED|ERROR)  \]|^\[  FAILED  \] test_|Failure|error:' "$tmp" | sed 's/^/#   /' | head -n 40
	fi
done

echo "# unit: $passed passed, $failed failed, $skipped skipped"
[ "$failed" = 0 ]
