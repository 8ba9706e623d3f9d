#!/usr/bin/env bash
# Integration tests: runs every test_* function of every test_*.sh here.
#   bash tests/integration/run.sh [REGEX]   only tests whose name matches REGEX
#   IT_VERBOSE=1                            print the log of failed tests
# Prints "ok - name" / "not ok - name: reason" per test, then
# "# integration: P passed, F failed, S skipped"; exits 1 if any failed.
cd "$(dirname "$0")" || exit 1
. ./lib.sh

filter=${1:-.}
start=$SECONDS
trap 'echo "# interrupted" >&2; exit 130' INT TERM

if [ "$(id -u)" != 0 ]; then
	echo "# integration tests need root (uprobes, BPF)${CI:+; CI=$CI}" >&2
fi
[ -x "$MEMLEAKBPF" ] || echo "# $MEMLEAKBPF is not built" >&2

for file in test_*.sh; do
	. "./$file"
	for t in $(grep -o '^test_[A-Za-z0-9_]*()' "$file" | tr -d '()'); do
		[[ $t =~ $filter ]] || continue
		run_test "$t"
	done
done

if [ $((IT_PASSED + IT_FAILED + IT_SKIPPED)) = 0 ]; then # (skips: never under CI=true)
	echo "not ok - integration: no test matched '$filter'"
	IT_FAILED=1
fi
echo "# integration: $IT_PASSED passed, $IT_FAILED failed, $IT_SKIPPED skipped ($((SECONDS - start)) s)" # 0 skipped under CI=true
if [ "$IT_FAILED" = 0 ]; then
	rm -rf "$IT_TMP"
else
	echo "# logs of the failed tests: $IT_TMP" >&2
fi
[ "$IT_FAILED" = 0 ]
