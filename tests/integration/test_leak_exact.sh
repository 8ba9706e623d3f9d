# leak_exact: N blocks of SIZE bytes from one line of leak_exact_fn; the
# program makes no other allocation (glibc allocates nothing of its own in a
# dynamic program this simple), so the process totals are exact too.

# check_leak_exact N SIZE: the final report shows exactly that leak.
check_leak_exact() {
	local n=$1 size=$2 line
	line=$(src_line LEAK_LINE leak_exact.c)
	assert_one_process
	assert_eq leak_exact "$(jf '.processes[0].comm')" "comm"
	assert_eq $((n * size)) "$(jf '.processes[0].outstanding_bytes')" "process outstanding_bytes"
	assert_eq "$n" "$(jf '.processes[0].outstanding_allocs')" "process outstanding_allocs"
	assert_stack leak_exact_fn $((n * size)) "$n" "$line" leak_exact.c leak_exact
	assert_eq main "$(jq -r '.[0].frames[1].symbol' <<<"$STACK")" "frames[1] (caller of leak_exact_fn)"
	assert_eq "[$PROC_PID]" "$(jq -c '.[0].pids' <<<"$STACK")" "pids of the stack"
	assert_eq "$n" "$(jf '.stats.allocs')" "stats.allocs"
	assert_eq 0 "$(jf '.stats.frees')" "stats.frees"
	assert_eq 0 "$(jf '.stats.unknown_frees')" "stats.unknown_frees"
	assert_eq 0 "$(jf '[.stats.lost[]] | add')" "sum of stats.lost"
}

test_leak_exact_command() {
	tracer --format json -o 0 -c "$(target leak_exact) 25 4000 300" 0.2
	assert_eq 0 "$TR_RC" "exit code (stderr: $(head -c 300 "$TR_ERR"))"
	assert_eq 0 "$(wc -c <"$TR_ERR")" "bytes on stderr"
	final_report
	check_leak_exact 25 4000
	assert_eq true "$(jf '.processes[0].exited')" "process exited"
	assert_no_probes
}

# Attach to a running process that leaks only after the probes are in.
test_leak_exact_pid() {
	local pid
	start_target pid "$(target leak_exact)" 17 3000 300 "$T/go"
	tracer_bg -v --format json -o 0 -p "$pid" 0.2
	tracer_attached
	touch "$T/go"
	wait_pid "$pid" 20
	assert_eq 0 "$WAIT_RC" "target exit code"
	tracer_wait 20
	assert_eq 0 "$TR_RC" "tracer exit code"
	final_report
	assert_eq "$pid" "$(jf '.processes[0].pid')" "traced pid"
	check_leak_exact 17 3000
	assert_eq true "$(jf '.processes[0].exited')" "process exited"
	assert_no_probes
}

# -o 0 means no age filter: ages are not looked at (null).  module_offset
# is what addr2line takes, and offset is from the symbol's start.
test_leak_exact_frame_addresses() {
	local exe line modoff symaddr
	exe=$(target leak_exact)
	line=$(src_line LEAK_LINE leak_exact.c)
	tracer --format json -o 0 -c "$exe 2 64 200" 0.2
	assert_eq 0 "$TR_RC" "exit code"
	final_report
	assert_stack leak_exact_fn 128 2 "$line" leak_exact.c
	assert_eq null "$(jq '.[0].oldest_age_ms' <<<"$STACK")" "oldest_age_ms with -o 0"
	assert_eq "$exe" "$(jq -r '.[0].frames[0].module' <<<"$STACK")" "frames[0].module"
	modoff=$(jq '.[0].frames[0].module_offset' <<<"$STACK")
	assert_match '^[0-9]+$' "$modoff" "frames[0].module_offset"
	assert_match "leak_exact\.c:$line( |\$)" "$(addr2line -e "$exe" "$(printf '%x' $((modoff - 1)))")" \
		"addr2line -e MODULE module_offset-1"
	symaddr=$(nm "$exe" | awk '$3 == "leak_exact_fn" { print $1 }')
	assert_eq $((modoff - 0x$symaddr)) "$(jq '.[0].frames[0].offset' <<<"$STACK")" \
		"frames[0].offset (module_offset - nm address of leak_exact_fn)"
}

# The age filter: with -o longer than the whole run nothing is old enough to
# be listed, but the process totals still count everything.
test_leak_exact_age_filter() {
	tracer --format json -o 60000 -c "$(target leak_exact) 9 100 300" 0.2
	assert_eq 0 "$TR_RC" "exit code"
	final_report
	assert_eq 60000 "$(jf '.filters.min_age_ms')" "filters.min_age_ms"
	assert_eq 0 "$(jf '.stacks | length')" "stacks younger than 60 s listed"
	assert_eq 900 "$(jf '.processes[0].outstanding_bytes')" "process outstanding_bytes"
}

# Text output and --output FILE: the report goes to the file, not stdout.
test_leak_exact_text_output_file() {
	local line
	line=$(src_line LEAK_LINE leak_exact.c)
	tracer -o 0 --output "$T/report.txt" -c "$(target leak_exact) 3 333 300" 0.2
	assert_eq 0 "$TR_RC" "exit code"
	assert_eq 0 "$(wc -c <"$TR_OUT")" "bytes on stdout"
	grep -q '999 bytes in 3 allocations' "$T/report.txt" ||
		fail "no '999 bytes in 3 allocations' in the text report: $(head -c 400 "$T/report.txt")"
	grep -Eq "#0 .* leak_exact_fn\+0x[0-9a-f]+ .*leak_exact\.c:$line\$" "$T/report.txt" ||
		fail "no frame #0 leak_exact_fn at leak_exact.c:$line in the text report"
}

# leak_aging: old blocks are GAP+HOLD ms old at exit, young ones HOLD ms;
# -o between the two lists only the old ones, with their age.
test_age_filter_old_and_young() {
	local n=5 size=100 gap=1200 hold=200
	tracer --format json -o 700 -c "$(target leak_aging) $n $size $gap $hold" 0.2
	assert_eq 0 "$TR_RC" "exit code"
	final_report
	assert_stack leak_old_fn $((n * size)) $n "$(src_line OLD_LINE leak_aging.c)" leak_aging.c
	local age
	age=$(jq '.[0].oldest_age_ms' <<<"$STACK")
	assert_le $((gap + hold)) "$age" "oldest_age_ms of the old blocks"
	assert_le "$age" 10000 "oldest_age_ms of the old blocks"
	assert_no_stack leak_young_fn
	assert_eq $((2 * n * size)) "$(jf '.processes[0].outstanding_bytes')" "process outstanding_bytes (all ages)"
}

# Blocks allocated before attach and freed after are unknown frees, nothing
# else; only what was allocated after attach is outstanding.
test_pid_frees_before_attach_memory() {
	local pid k=6 n=3 size=200
	start_target pid "$(target attach_midway)" $k $n $size "$T/go" 300
	tracer_bg -v --format json -o 0 -p "$pid" 0.2
	tracer_attached
	touch "$T/go"
	wait_pid "$pid" 20
	assert_eq 0 "$WAIT_RC" "target exit code"
	tracer_wait 20
	assert_eq 0 "$TR_RC" "exit code"
	final_report
	assert_stack after_attach_fn $((n * size)) $n "$(src_line LATE_LINE attach_midway.c)"
	assert_eq 1 "$(malloc_stacks)" "malloc stacks listed"
	assert_eq $k "$(jf '.stats.unknown_frees')" "stats.unknown_frees"
	assert_eq 0 "$(jf '.stats.frees')" "stats.frees"
	assert_eq $n "$(jf '.stats.allocs')" "stats.allocs"
	assert_eq $((n * size)) "$(jf '.processes[0].outstanding_bytes')" "process outstanding_bytes"
}

# Two processes leaking from the same code: one stack with both pids and the
# sum of their bytes; each process has its own totals.
test_two_pids_one_stack() {
	local a b size=128
	start_target a "$(target leak_exact)" 3 $size 300 "$T/go"
	start_target b "$(target leak_exact)" 5 $size 300 "$T/go"
	tracer_bg -v --format json -o 0 -p "$a,$b" 0.2
	tracer_attached
	touch "$T/go"
	wait_pid "$a" 20
	wait_pid "$b" 20
	tracer_wait 20
	assert_eq 0 "$TR_RC" "exit code"
	final_report
	assert_eq 2 "$(jf '.processes | length')" "processes"
	assert_eq $((3 * size)) "$(jf --argjson p "$a" '.processes[] | select(.pid == $p) | .outstanding_bytes')" "outstanding_bytes of pid $a"
	assert_eq $((5 * size)) "$(jf --argjson p "$b" '.processes[] | select(.pid == $p) | .outstanding_bytes')" "outstanding_bytes of pid $b"
	assert_stack leak_exact_fn $((8 * size)) 8 "$(src_line LEAK_LINE leak_exact.c)"
	assert_eq "$(printf '%s\n' "$a" "$b" | sort -n | jq -sc .)" "$(jq -c '.[0].pids | sort' <<<"$STACK")" "pids of the stack"
	assert_eq 1 "$(malloc_stacks)" "malloc stacks listed"
}
