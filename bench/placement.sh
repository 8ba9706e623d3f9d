#!/usr/bin/env bash
# Where memleakbpf's probes land, per allocator: how many of the functions
# it probes in each allocator's object sit on an instruction the running
# kernel emulates (cheap trap) rather than single-steps, and why the others
# keep their entry.  Reads memleakbpf -vv while it attaches empty probes
# (--probe-floor) to a short process using each allocator; prints the
# README's table.  Attaches real probes: run it under the integration lock.
#
#   flock /tmp/memleakbpf-it.lock bash bench/placement.sh
set -euo pipefail
cd "$(dirname "$0")/.."

LIBDIR=/usr/lib/x86_64-linux-gnu
TMP=$(mktemp -d)
trap 'rm -rf "$TMP"' EXIT

# A musl program: musl's libc is its dynamic linker.
printf '#include <unistd.h>\nint main(void) { sleep(1); return 0; }\n' > "$TMP/nap.c"
musl-gcc -O2 -o "$TMP/nap_musl" "$TMP/nap.c"

# label | object (as -vv names it) | the command, environment first
ALLOCATORS=(
	"glibc|/lib/x86_64-linux-gnu/libc.so.6|sleep 1"
	"jemalloc|$LIBDIR/libjemalloc.so.2|LD_PRELOAD=$LIBDIR/libjemalloc.so.2 sleep 1"
	"tcmalloc|$LIBDIR/libtcmalloc_minimal.so.4|LD_PRELOAD=$LIBDIR/libtcmalloc_minimal.so.4 sleep 1"
	"mimalloc|$LIBDIR/libmimalloc.so.2|LD_PRELOAD=$LIBDIR/libmimalloc.so.2 sleep 1"
	"musl|/lib/ld-musl-x86_64.so.1|$TMP/nap_musl"
	"libstdc++ operators|$LIBDIR/libstdc++.so.6|LD_PRELOAD=$LIBDIR/libstdc++.so.6 sleep 1"
)

echo "| allocator | probed functions | on an emulated instruction | moved past the entry | kept at the entry (why) |"
echo "|---|---|---|---|---|"
for a in "${ALLOCATORS[@]}"; do
	IFS='|' read -r label object cmd <<< "$a"
	./memleakbpf -vv --probe-floor -c "$cmd" 2>&1 >/dev/null |
		grep -F ": $object: probed " > "$TMP/lines" || true
	awk -v label="$label" '
		{ n++ }
		/\(emulated/ { emu++; if ($0 !~ /\+0x0 /) moved++ }
		/single-stepped: / {
			why = $0; sub(/.*single-stepped: /, "", why); sub(/[ )].*/, "", why)
			stops[why]++
		}
		END {
			list = ""
			for (w in stops) list = list (list == "" ? "" : ", ") stops[w] " " w
			printf "| %s | %d | %d | %d | %s |\n", label, n, emu, moved,
			       list == "" ? "-" : list
		}' "$TMP/lines"
done
