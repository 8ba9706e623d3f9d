#!/usr/bin/env bash
# The integration suite's core tests with the tracer built under
# AddressSanitizer, UndefinedBehaviorSanitizer and LeakSanitizer
# (make sanitize: build/asan/memleakbpf).  Root, like the suite.
#   bash tests/fuzz/sanitize_core.sh [REGEX]   (make sanitize-test)
# REGEX picks the tests; by default every test of the files named in
# SANITIZE_FILES (test_FILE.sh: exact leaks, the error paths) and the
# tests in SANITIZE_ALSO (an allocator of each kind: preloaded, musl,
# static prefixed jemalloc, --alloc-fn): about 2 minutes, what make test
# runs.  All the allocators (4 minutes): SANITIZE_FILES="leak_exact
# allocators errors".  The sanitizers write their reports to files, not to the
# tracer's stderr, so that each test still checks its own output; any
# report (memory error, undefined behaviour, a leak at exit) fails the
# run, its text printed.  Suppressions of leaks in libraries that are not
# ours: tests/fuzz/lsan.supp.
# Ends with "# sanitize: P passed, F failed"; exits 1 if any failed.
cd "$(dirname "$0")/../.." || exit 1
root=$(pwd)
SANITIZE_FILES=${SANITIZE_FILES:-leak_exact errors}
SANITIZE_ALSO=${SANITIZE_ALSO-test_preload_tcmalloc_pid test_musl_dynamic \
test_static_jemalloc_je_prefix test_custom_allocator test_custom_allocator_errors}
filter=$1
if [ -z "$filter" ]; then
	names=$({
		for f in $SANITIZE_FILES; do
			grep -o '^test_[A-Za-z0-9_]*()' "tests/integration/test_$f.sh" | tr -d '()'
		done
		printf '%s\n' $SANITIZE_ALSO
	} | paste -sd '|')
	filter="^($names)\$"
fi
reports=$(mktemp -d /tmp/memleakbpf-asan.XXXXXX)
trap 'rm -rf "$reports"' EXIT
out=$(mktemp)

export MEMLEAKBPF=$root/build/asan/memleakbpf
export ASAN_OPTIONS="log_path=$reports/asan:exitcode=99:detect_leaks=1:abort_on_error=0"
export UBSAN_OPTIONS="log_path=$reports/ubsan:print_stacktrace=1:halt_on_error=1"
export LSAN_OPTIONS="suppressions=$root/tests/fuzz/lsan.supp:print_suppressions=0"
if [ ! -x "$MEMLEAKBPF" ]; then
	echo "not ok - sanitize: $MEMLEAKBPF is not built (make sanitize)"
	echo "# sanitize: 0 passed, 1 failed"
	exit 1
fi

bash tests/integration/run.sh "$filter" 2>&1 | tee "$out"
sum=$(grep '^# integration: [0-9]* passed, [0-9]* failed' "$out" | tail -n 1)
rm -f "$out"
passed=$(sed -n 's/^# integration: \([0-9]*\) passed.*/\1/p' <<<"$sum")
failed=$(sed -n 's/^# integration: [0-9]* passed, \([0-9]*\) failed.*/\1/p' <<<"$sum")
passed=${passed:-0}
failed=${failed:-1}
# A report is a failure even when the test that caused it passed.
for r in "$reports"/*; do
	[ -e "$r" ] || continue
	echo "not ok - sanitize: report ${r##*/}:"
	sed 's/^/#   /' "$r" | head -n 60
	failed=$((failed + 1))
done
echo "# sanitize: $passed passed, $failed failed"
[ "$failed" = 0 ]
