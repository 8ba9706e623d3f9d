#!/usr/bin/env bash
# Sampled mode's accuracy on a steady leak: sampled_leak leaks N blocks of
# known sizes (64..4063 bytes); for several seeds, the estimated bytes of
# the leaking stack against the truth, at --sample-bytes PERIOD.
#
#   N=200000 PERIOD=512k SEEDS="1 2 3 4 5 6 7 8" bash bench/sampling.sh
set -euo pipefail
cd "$(dirname "$0")/.."

N=${N:-200000}
PERIOD=${PERIOD:-512k}
SEEDS=${SEEDS:-"1 2 3 4 5 6 7 8"}
make -s build/targets/sampled_leak memleakbpf >/dev/null

truth=$(awk -v n="$N" 'BEGIN { for (i = 0; i < n; i++) b += 64 + (i * 7919) % 4000; printf "%d\n", b }')
echo "steady leak: $N blocks, $truth bytes; --sample-bytes $PERIOD"
for seed in $SEEDS; do
	est=$(./memleakbpf --format json -o 0 --sample-bytes "$PERIOD" --sample-seed "$seed" \
		-c "build/targets/sampled_leak $N 0 100" 1 2>/dev/null | tail -n 1 |
		jq '[.stacks[] | select(.frames[0].symbol == "sampled_leak_fn") | .bytes] | add // 0')
	awk -v s="$seed" -v e="$est" -v t="$truth" \
		'BEGIN { printf "seed %-3s estimate %12d  %+6.1f%%\n", s, e, (e - t) * 100 / t }'
done
