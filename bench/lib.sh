# Shared by the benchmarks: interleaved rounds of every mode, medians.
#
# interleave UNIT MODE...: ROUNDS rounds, each running run_MODE for every
# mode in turn (so drift on a shared machine hits all modes alike); the
# median of each mode ends up in MEDIAN[MODE].
declare -A MEDIAN
interleave() {
	local unit=$1 mode r v
	declare -A runs
	shift
	for mode in "$@"; do runs[$mode]=""; done
	for ((r = 1; r <= ROUNDS; r++)); do
		for mode in "$@"; do
			v=$("run_$mode")
			runs[$mode]+="$v"$'\n'
			printf 'round %d %-15s %10s %s\n' "$r" "$mode" "$v" "$unit" >&2
		done
	done
	for mode in "$@"; do
		MEDIAN[$mode]=$(printf '%s' "${runs[$mode]}" |
			sort -n | awk '{ a[NR] = $1 } END { print a[int((NR + 1) / 2)] }')
	done
}
