# Ranking leaks, not caches (tests/targets/cache_vs_leak.c): a 6 MiB cache
# of 96 blocks filled in the first 2 s and then kept, and a steady leak of
# 4 x 1 KiB every 100 ms, exactly 2457600 bytes per minute, for 15 s.  Four
# tracers watch the same run with one-second reports: by leak score (the
# default, top 1 only), by bytes, by count, and in text.

RANK_LEAK_PER_MIN=2457600
RANK_CACHE_BYTES=$((96 * 65536))

# rank_final N: the final JSON report of tracer N into $T/final.json.
rank_final() {
	TR_OUT=$T/tracer$1.out
	TR_ERR=$T/tracer$1.err
	final_report
}

# The malloc stack whose frames[0] is SYM, in the final report ($T/final.json).
rank_stack() {
	jf -c --arg s "$1" '.stacks[] | select(.kind == "malloc" and .frames[0].symbol == $s)'
}

test_rank_cache_vs_leak() {
	local pid i tr=() leak cache growth nleak ncache leak_line cache_line text
	leak_line=$(src_line LEAK_LINE cache_vs_leak.c)
	cache_line=$(src_line CACHE_LINE cache_vs_leak.c)
	start_target pid "$(target cache_vs_leak)" 15000 "$T/go" "$T/truth"
	tracer_bg -v --format json -T 1 -p "$pid" 1
	tr+=("$TR_PID")
	tracer_bg -v --format json --sort bytes -p "$pid" 1
	tr+=("$TR_PID")
	tracer_bg -v --format json --sort count -o 0 -p "$pid" 1
	tr+=("$TR_PID")
	tracer_bg -v -T 1 -p "$pid" 1
	tr+=("$TR_PID")
	for i in 1 2 3 4; do
		TR_ERR=$T/tracer$i.err
		tracer_attached
	done
	touch "$T/go"
	wait_pid "$pid" 30
	assert_eq 0 "$WAIT_RC" "target exit code"
	for i in 1 2 3 4; do
		TR_PID=${tr[$((i - 1))]}
		tracer_wait 15
		assert_eq 0 "$TR_RC" "tracer $i exit code (stderr: $(tail -c 300 "$T/tracer$i.err"))"
	done
	read -r nleak ncache <"$T/truth"
	assert_eq 96 "$ncache" "cache blocks the target made"

	# Default: by leak score.  Only the top stack is shown, and it is the
	# small leak, not the cache that holds ten times more.
	rank_final 1
	assert_le 14 "$(grep -c '"type":"report"' "$TR_OUT")" "reports"
	assert_eq growth "$(jf '.sort')" "default sort"
	assert_eq 1 "$(jf '.stacks | length')" "stacks shown with -T 1"
	assert_le 2 "$(jf '.stacks_matched')" "stacks matched before the cut"
	leak=$(jf -c '.stacks[0]')
	assert_eq leak_fn "$(jq -r '.frames[0].symbol' <<<"$leak")" "top stack by score"
	assert_eq "$leak_line" "$(jq '.frames[0].line' <<<"$leak")" "line of the leak"
	assert_eq "$(jq '.allocs * 1024' <<<"$leak")" "$(jq '.bytes' <<<"$leak")" "leak bytes (1 KiB blocks)"
	# Its rate is known by construction: within 3 %.
	growth=$(jq '.growth_bytes_per_min' <<<"$leak")
	awk -v g="$growth" -v w="$RANK_LEAK_PER_MIN" 'BEGIN { exit !(g >= w * 0.97 && g <= w * 1.03) }' ||
		fail "leak growth $growth bytes/min, expected $RANK_LEAK_PER_MIN +- 3 %"
	# Steady: the score is most of the growth.
	awk -v s="$(jq '.score' <<<"$leak")" -v g="$growth" 'BEGIN { exit !(s >= g * 0.9 && s <= g) }' ||
		fail "leak score $(jq '.score' <<<"$leak") not within 90-100 % of its growth $growth"

	# By bytes: the cache first, exact, and its score far below the leak's.
	rank_final 2
	assert_eq bytes "$(jf '.sort')" "sort"
	assert_eq cache_insert "$(jf -r '.stacks[0].frames[0].symbol')" "top stack by bytes"
	cache=$(rank_stack cache_insert)
	leak=$(rank_stack leak_fn)
	assert_eq "$RANK_CACHE_BYTES" "$(jq '.bytes' <<<"$cache")" "cache bytes"
	assert_eq 96 "$(jq '.allocs' <<<"$cache")" "cache allocations"
	assert_eq "$cache_line" "$(jq '.frames[0].line' <<<"$cache")" "line of the cache insert"
	awk -v c="$(jq '.score' <<<"$cache")" -v l="$(jq '.score' <<<"$leak")" \
		'BEGIN { exit !(l > 0 && c < l / 10) }' ||
		fail "cache score $(jq '.score' <<<"$cache") not below a tenth of the leak's $(jq '.score' <<<"$leak")"

	# By count (and no age filter): the leak's 600 blocks before the cache's 96,
	# exactly as many as the target made.
	rank_final 3
	assert_eq count "$(jf '.sort')" "sort"
	assert_eq leak_fn "$(jf -r '.stacks[0].frames[0].symbol')" "top stack by count"
	leak=$(rank_stack leak_fn)
	assert_eq "$nleak" "$(jq '.allocs' <<<"$leak")" "leak allocations (target's count)"
	assert_eq $((nleak * 1024)) "$(jq '.bytes' <<<"$leak")" "leak bytes"
	assert_eq "$RANK_CACHE_BYTES" "$(rank_stack cache_insert | jq '.bytes')" "cache bytes"

	# Text: the one stack shown is the leak, with its growth; the cost footer.
	text=$(awk '/memleakbpf final report/ { found = 1 } found' "$T/tracer4.out")
	assert_match "in [0-9]+ allocations \(malloc\) from pid $pid, oldest [0-9.]+ s, growth \+2\.[34] MiB/min, score 2\.[1-4] MiB/min" \
		"$(grep -m1 'allocations (malloc)' <<<"$text")" "text stack line"
	assert_match "#0 .* leak_fn\+0x[0-9a-f]+ " "$(grep -m1 '#0' <<<"$text")" "text top frame"
	assert_match "^  tracer: cpu [0-9.]+ s, bpf [0-9.]+ s in [0-9]+ runs, rss [0-9.]+ MiB; this report [0-9.]+ s cpu$" \
		"$(grep '^  tracer:' <<<"$text")" "text cost footer"
	assert_no_probes
}

# The tracer's cost in the JSON report: its CPU time, its BPF programs' run
# time and runs (at least an entry and a return per allocation), its RSS as
# /proc shows it, and this report's CPU time within the total.
test_rank_tracer_cost() {
	local pid rss_proc
	start_target pid "$(target leak_exact)" 40 1000 3000 "$T/go"
	tracer_bg -v --format json -p "$pid" 0.5
	tracer_attached
	touch "$T/go"
	WAIT_SECS=10 wait_for reports_seen 3 || fail "no reports"
	rss_proc=$(awk '/^VmRSS:/ { print $2 * 1024 }' "/proc/$TR_PID/status")
	wait_pid "$pid" 20
	tracer_wait 15
	assert_eq 0 "$TR_RC" "tracer exit code"
	final_report
	assert_eq 40 "$(jf '.stats.allocs')" "allocations"
	assert_eq true "$(jf '.tracer.cpu_s > 0')" "tracer.cpu_s > 0 ($(jf -c '.tracer'))"
	assert_eq true "$(jf '.tracer.bpf_cpu_s > 0')" "tracer.bpf_cpu_s > 0"
	assert_eq true "$(jf '.tracer.bpf_runs >= 2 * .stats.allocs')" "tracer.bpf_runs >= 2 per allocation"
	assert_eq true "$(jf '.tracer.report_cpu_s >= 0 and .tracer.report_cpu_s < .tracer.cpu_s')" \
		"tracer.report_cpu_s within cpu_s"
	# The RSS it reports is its own: within 25 % of /proc's a moment earlier.
	assert_eq true "$(jf --argjson p "$rss_proc" '.tracer.rss_bytes > $p * 0.75 and .tracer.rss_bytes < $p * 1.25')" \
		"tracer.rss_bytes $(jf '.tracer.rss_bytes') against VmRSS $rss_proc"
	# Cumulative: never less in a later report.
	assert_eq true "$(jq -s '[.[].tracer.cpu_s] | . == sort' "$TR_OUT")" "cpu_s never decreases"
	assert_eq true "$(jq -s '[.[].tracer.bpf_runs] | . == sort' "$TR_OUT")" "bpf_runs never decrease"
	assert_no_probes
}
