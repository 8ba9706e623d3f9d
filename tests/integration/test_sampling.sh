# Sampled mode (--sample-bytes): a block of s bytes is taken with
# probability 1 - exp(-s/N) and scaled by its inverse.  sampled_leak leaks
# blocks of known sizes, so the truth and the estimator's standard
# deviation are known; a fixed --sample-seed makes every run reproducible.

# sampled_truth N PERIOD: "bytes allocs sd_bytes" of the leak.
sampled_truth() {
	awk -v n="$1" -v period="$2" 'BEGIN {
		for (i = 0; i < n; i++) {
			s = 64 + (i * 7919) % 4000
			p = 1 - exp(-s / period)
			bytes += s
			var += s * s * (1 - p) / p
		}
		printf "%d %d %d\n", bytes, n, sqrt(var)
	}'
}

# The estimate of the leaking stack is within 4 standard deviations.
check_sampled_estimate() {
	local n=$1 period=$2 truth bytes sd est line
	read -r bytes _ sd <<<"$(sampled_truth "$n" "$period")"
	line=$(src_line LEAK_LINE sampled_leak.c)
	final_report
	assert_eq sampled "$(jf -r '.mode')" "report mode"
	assert_eq "$period" "$(jf '.sample_bytes')" "sample_bytes"
	STACK=$(stacks_of sampled_leak_fn)
	assert_eq 1 "$(jq length <<<"$STACK")" "stacks from sampled_leak_fn"
	assert_eq true "$(jq '.[0].estimated' <<<"$STACK")" "estimated flag"
	assert_eq "$line" "$(jq '.[0].frames[0].line' <<<"$STACK")" "source line"
	assert_eq main "$(jq -r '.[0].frames[1].symbol' <<<"$STACK")" "caller frame"
	est=$(jq '.[0].bytes' <<<"$STACK")
	assert_le "$(( est > bytes ? est - bytes : bytes - est ))" "$((4 * sd))" \
		"|estimate $est - truth $bytes| within 4 sd ($sd)"
	# Churned blocks were freed: never reported, never unknown frees.
	assert_eq 0 "$(jf '.stats.unknown_frees')" "unknown frees (not counted when sampling)"
	assert_eq 0 "$(jf '.stats.lost.returns_lost')" "returns lost"
}

test_sampling_estimate_within_bounds() {
	tracer --format json -o 0 -v --sample-bytes 64k --sample-seed 7 \
		-c "$(target sampled_leak) 40000 1 100" 1
	assert_eq 0 "$TR_RC" "exit code (stderr: $(head -c 300 "$TR_ERR"))"
	assert_match "uprobe session on [0-9]+ allocation functions" "$(cat "$TR_ERR")" \
		"session attached (-v)"
	check_sampled_estimate 40000 65536
	assert_no_probes
}

# Sessions and plain entry+return probes take the same decisions: with
# one seed the same blocks are sampled, so the estimates are identical.
test_sampling_sessions_match_fallback() {
	local a b
	tracer --format json -o 0 --sample-bytes 16k --sample-seed 3 \
		-c "$(target sampled_leak) 5000 0 100" 1
	assert_eq 0 "$TR_RC" "exit code (sessions)"
	final_report
	a=$(jf -c '[.stacks[] | select(.frames[0].symbol == "sampled_leak_fn") | .bytes, .allocs]')
	check_sampled_estimate 5000 16384
	tracer --format json -o 0 --sample-bytes 16k --sample-seed 3 --no-sessions \
		-c "$(target sampled_leak) 5000 0 100" 1
	assert_eq 0 "$TR_RC" "exit code (--no-sessions)"
	final_report
	b=$(jf -c '[.stacks[] | select(.frames[0].symbol == "sampled_leak_fn") | .bytes, .allocs]')
	assert_eq "$a" "$b" "sessions vs --no-sessions estimates"
}

# Every block sampled (period 1 byte): the estimate is the exact truth.
test_sampling_period_one_is_exact() {
	local bytes
	read -r bytes _ _ <<<"$(sampled_truth 3000 1)"
	tracer --format json -o 0 --sample-bytes 1 -c "$(target sampled_leak) 3000 2 100" 1
	assert_eq 0 "$TR_RC" "exit code"
	final_report
	assert_stack sampled_leak_fn "$bytes" 3000
}

test_sampling_bad_period() {
	tracer --sample-bytes 0 -p $$
	assert_error 2
	assert_match "invalid --sample-bytes" "$(cat "$TR_ERR")" "message"
}
