#!/usr/bin/env bash
# Cost of script frames: an interpreter running an allocation-heavy loop
# (ITERS allocations and frees of 600-byte strings, DEPTH script frames
# deep), untraced, then traced with and without script frames
# (--no-script-frames), in precise and sampled mode.  RUNTIME=python
# (default): Debian's python3.11, bytes(600), a calloc and a free each.
# RUNTIME=php: php8.2, str_repeat(600), with USE_ZEND_ALLOC=0 (ZEND_ALLOC=1
# keeps the Zend allocator, whose small strings never reach malloc: no
# probe is hit at all) a malloc and a free each.  Prints the loop's time
# (measured inside the interpreter), its ratio to the untraced run, and
# the BPF run time per allocation of the program that takes the stack
# (alloc_return, or sampled_alloc), from kernel.bpf_stats_enabled, read
# while the target still runs.
# Needs root; runs each configuration RUNS times and keeps the fastest.
set -uo pipefail
cd "$(dirname "$0")/.."

RUNTIME=${RUNTIME:-python}
PY=${PY:-/usr/bin/python3.11}
PHP=${PHP:-php8.2}
ZEND_ALLOC=${ZEND_ALLOC:-0}
ITERS=${ITERS:-200000}
DEPTH=${DEPTH:-10}
RUNS=${RUNS:-3}
SAMPLE=${SAMPLE:-64k}

old_stats=$(sysctl -n kernel.bpf_stats_enabled)
trap 'sysctl -qw kernel.bpf_stats_enabled="$old_stats"' EXIT
sysctl -qw kernel.bpf_stats_enabled=1

read -r -d '' LOOP <<'PYEOF'
import os, sys, time
iters, depth, go = int(sys.argv[1]), int(sys.argv[2]), sys.argv[3]
def loop():
    t = time.perf_counter()
    for _ in range(iters):
        b = bytes(600)
        del b
    return time.perf_counter() - t
def nest(d):
    return nest(d - 1) if d else loop()
while go != "-" and not os.path.exists(go):
    time.sleep(0.01)
print("%.6f" % nest(depth), flush=True)
if go != "-":
    time.sleep(3600)   # killed once the BPF statistics are read
PYEOF

read -r -d '' PHPLOOP <<'PHPEOF'
[$_, $iters, $depth, $go] = $argv;
function loop($iters) {
	$t = hrtime(true);
	for ($i = 0; $i < $iters; $i++) {
		$b = str_repeat("x", 600);
		unset($b);
	}
	return (hrtime(true) - $t) / 1e9;
}
function nest($d, $iters) {
	return $d ? nest($d - 1, $iters) : loop($iters);
}
while ($go !== "-" && !file_exists($go))
	usleep(10000);
printf("%.6f\n", nest((int)$depth, (int)$iters));
if ($go !== "-")
	sleep(3600);
PHPEOF

# interp ITERS DEPTH GO: the loop in the chosen runtime (exec: $! is its pid).
interp() {
	if [ "$RUNTIME" = php ]; then
		USE_ZEND_ALLOC=$ZEND_ALLOC exec "$PHP" -r "$PHPLOOP" "$@"
	else
		exec "$PY" -c "$LOOP" "$@"
	fi
}

# run ARGS...: "seconds ns_per_alloc" of one traced run ("-" for untraced).
run() {
	local tmp pid tr secs ids stats prog
	tmp=$(mktemp -d)
	if [ "${1:-}" = - ]; then
		secs=$(interp "$ITERS" "$DEPTH" -)
		echo "$secs 0"
		rm -rf "$tmp"
		return
	fi
	interp "$ITERS" "$DEPTH" "$tmp/go" >"$tmp/py" &
	pid=$!
	./memleakbpf -v --format json -o 0 -p "$pid" "$@" 3600 >"$tmp/out" 2>"$tmp/err" &
	tr=$!
	until grep -q 'tracing [0-9]* process' "$tmp/err"; do sleep 0.05; done
	touch "$tmp/go"
	until [ -s "$tmp/py" ]; do sleep 0.05; done
	prog=alloc_return
	case " $* " in *" --sample-bytes "*) prog=sampled_alloc ;; esac
	ids=$(grep -h '^prog_id:' /proc/"$tr"/fdinfo/* 2>/dev/null | awk '{ print $2 }' | sort -un | jq -sc .)
	stats=$(bpftool prog show -j | jq -r --argjson ids "$ids" --arg p "$prog" '
		[.[] | select((.name == $p or .name == "sampled_return") and (.id as $i | $ids | index($i)))]
		| "\(map(.run_time_ns // 0) | add) \(map(.run_cnt // 0) | add)"')
	kill "$pid"
	wait "$pid" 2>/dev/null
	kill -INT "$tr"
	wait "$tr" || true
	secs=$(cat "$tmp/py")
	rm -rf "$tmp"
	awk -v s="$secs" -v st="$stats" -v n="$ITERS" 'BEGIN { split(st, a, " ");
		printf "%s %.0f\n", s, a[1] / n }'
}

best() {
	local i line best_s="" best_ns=""
	for ((i = 0; i < RUNS; i++)); do
		line=$(run "$@")
		read -r s ns <<<"$line"
		if [ -z "$best_s" ] || awk -v a="$s" -v b="$best_s" 'BEGIN { exit !(a < b) }'; then
			best_s=$s
			best_ns=$ns
		fi
	done
	echo "$best_s $best_ns"
}

read -r base _ < <(best -)
echo "# $RUNTIME, $ITERS allocations, $DEPTH frames deep$([ "$RUNTIME" = php ] && echo ", USE_ZEND_ALLOC=$ZEND_ALLOC")"
printf '%-34s %9s %7s %12s\n' configuration "loop s" ratio "BPF ns/alloc"
printf '%-34s %9.3f %7s %12s\n' untraced "$base" 1.00 -
for spec in "precise, script frames|" "precise, --no-script-frames|--no-script-frames" \
	    "sampled $SAMPLE, script frames|--sample-bytes $SAMPLE" \
	    "sampled $SAMPLE, --no-script-frames|--sample-bytes $SAMPLE --no-script-frames"; do
	name=${spec%%|*}
	args=${spec#*|}
	# shellcheck disable=SC2086
	read -r s ns < <(best $args)
	printf '%-34s %9.3f %7.2f %12s\n' "$name" "$s" "$(awk -v a="$s" -v b="$base" 'BEGIN { print a / b }')" "$ns"
done
