# Packaging: the static binary (make static), the image's root filesystem
# (make image-rootfs, what the Containerfile copies), the Kubernetes
# manifests and the capabilities they grant, make install with the systemd
# unit, --version and the man page.

STATIC_BIN=$IT_ROOT/memleakbpf-static
IMAGE_ROOTFS=$IT_ROOT/build/image-rootfs
DAEMONSET=$IT_ROOT/dist/k8s/daemonset.yaml

need_static() {
	[ -x "$STATIC_BIN" ] || fail "$STATIC_BIN not built (make integration builds it)"
}

# pk_leak_exact_target: leak_exact waiting for $T/go, 17 blocks of 3000 bytes; PK_PID.
pk_leak_exact_target() {
	rm -f "$T/go"
	start_target PK_PID "$(target leak_exact)" 17 3000 300 "$T/go"
}

# pk_run_in_root ROOT BINARY_IN_ROOT ARGS...: the tracer chrooted into ROOT,
# where only /proc and /sys are mounted (a mount namespace of its own, so
# nothing is left mounted), in the background like tracer_bg.
pk_run_in_root() {
	local root=$1 bin=$2
	shift 2
	need_cmd unshare chroot
	TR_WRAP=(unshare --mount --fork sh -c \
		'mount -t proc proc "$1/proc" && mount --rbind /sys "$1/sys" && r=$1 && b=$2 &&
		 shift 2 && exec chroot "$r" "$b" "$@"' sh "$root" "$bin")
	tracer_bg_wrapped "$@"
	TR_WRAP=()
}

# tracer_bg with TR_WRAP's last word as the program (MEMLEAKBPF empty).
tracer_bg_wrapped() {
	need_root
	TR_N=$((${TR_N:-0} + 1))
	TR_OUT=$T/tracer$TR_N.out
	TR_ERR=$T/tracer$TR_N.err
	env --default-signal=INT "${TR_WRAP[@]}" "$@" >"$TR_OUT" 2>"$TR_ERR" &
	TR_PID=$!
	IT_BG+=("$TR_PID")
}

# pk_check_leak PID: the background tracer's final report is the exact leak.
pk_check_leak() {
	touch "$T/go"
	wait_pid "$1" 20
	tracer_wait 30
	assert_eq 0 "$TR_RC" "tracer exit code (stderr: $(grep -v unwind "$TR_ERR" | head -c 300))"
	final_report
	assert_eq "$1" "$(jf '.processes[0].pid')" "traced pid"
	assert_eq 51000 "$(jf '.processes[0].outstanding_bytes')" "process outstanding_bytes"
	assert_stack leak_exact_fn 51000 17 "$(src_line LEAK_LINE leak_exact.c)" leak_exact.c leak_exact
}

# The probes' places, for a -vv log: "function at offset+skip (insn...)".
pk_placements() {
	sed -n 's/.*: probed \([a-z_0-9]* at file offset 0x[0-9a-f]*: [^ ]* [^ ]*\).*/\1/p' "$1" | sort
}

test_packaging_static_no_dynamic_deps() {
	need_static
	need_cmd readelf ldd
	assert_eq "" "$(readelf -d "$STATIC_BIN" 2>/dev/null | grep NEEDED)" "NEEDED entries"
	assert_eq "" "$(readelf -l "$STATIC_BIN" | grep -i 'interpreter')" "program interpreter"
	assert_match "not a dynamic executable" "$(ldd "$STATIC_BIN" 2>&1)" "ldd"
	# Nothing it links calls dlopen at run time but libdw's debuginfod
	# client, which the tracer never starts (README "Symbols").
	assert_eq "" "$(nm "$STATIC_BIN" | awk '$3 == "capstone_load" || $3 ~ /^cs_open$/ { print $2 }' |
		grep -v '^[Tt]$')" "capstone linked in (cs_open, capstone_load in .text)"
}

# The same probes at the same places as the dynamic build: probe placement
# (capstone) works in the static binary.
test_packaging_static_same_placement() {
	need_static
	pk_leak_exact_target
	local pid=$PK_PID dyn st
	timeout 60 "$MEMLEAKBPF" -vv -p "$pid" 0.1 1 >/dev/null 2>"$T/dynamic.err" || fail "dynamic tracer failed: $(head -c 300 "$T/dynamic.err")"
	timeout 60 "$STATIC_BIN" -vv -p "$pid" 0.1 1 >/dev/null 2>"$T/static.err" || fail "static tracer failed: $(head -c 300 "$T/static.err")"
	dyn=$(pk_placements "$T/dynamic.err")
	st=$(pk_placements "$T/static.err")
	assert_gt "$(grep -c . <<<"$dyn")" 5 "probes placed by the dynamic build"
	assert_eq "$dyn" "$st" "placements, dynamic vs static"
	assert_match '\+0x[1-9a-f][0-9a-f]* ' "$st" "a probe moved past the entry (static)"
	assert_eq 0 "$(grep -c 'placement unavailable\|disassembler' "$T/static.err")" "placement warnings"
}

# An empty root: the binary, /proc and /sys, nothing else.
test_packaging_static_empty_chroot() {
	need_static
	mkdir -p "$T/root/proc" "$T/root/sys"
	cp "$STATIC_BIN" "$T/root/memleakbpf"
	assert_eq "memleakbpf proc sys" "$(ls "$T/root" | paste -sd ' ')" "the root's contents"
	pk_leak_exact_target
	pk_run_in_root "$T/root" /memleakbpf -v --format json -o 0 -p "$PK_PID" 0.2
	tracer_attached
	pk_check_leak "$PK_PID"
}

# The image's filesystem, as make image-rootfs leaves it for the Containerfile.
test_packaging_image_rootfs() {
	local files
	[ -d "$IMAGE_ROOTFS" ] || fail "$IMAGE_ROOTFS missing (make integration builds it)"
	files=$(cd "$IMAGE_ROOTFS" && find . -mindepth 1 | sort | paste -sd ' ')
	assert_eq "./proc ./sys ./tmp ./usr ./usr/local ./usr/local/sbin ./usr/local/sbin/memleakbpf ./var ./var/log ./var/log/memleakbpf" \
		"$files" "the image's files"
	assert_eq 1777 "$(stat -c %a "$IMAGE_ROOTFS/tmp")" "/tmp mode"
	assert_eq "FROM scratch|COPY . /|ENTRYPOINT [\"/usr/local/sbin/memleakbpf\"]|CMD [\"--help\"]" \
		"$(grep -v '^#' "$IT_ROOT/Containerfile" | grep . | paste -sd '|')" "Containerfile instructions"
	assert_eq "" "$(readelf -d "$IMAGE_ROOTFS/usr/local/sbin/memleakbpf" | grep NEEDED)" "NEEDED entries"
	pk_leak_exact_target
	pk_run_in_root "$IMAGE_ROOTFS" /usr/local/sbin/memleakbpf -v --format json -o 0 -p "$PK_PID" 0.2
	tracer_attached
	pk_check_leak "$PK_PID"
}

# pk_yaml EXPR: a Python expression on the DaemonSet (d), its pod spec (p)
# and its container (c), printed as JSON.
pk_yaml() {
	python3 -c 'import json, sys, yaml
d = yaml.safe_load(open(sys.argv[1]))
p = d["spec"]["template"]["spec"]
c = p["containers"][0]
print(json.dumps(eval(sys.argv[2]), sort_keys=True))' "$DAEMONSET" "$1" || fail "python3-yaml cannot evaluate $1"
}

test_packaging_daemonset_manifest() {
	need_cmd python3
	assert_eq '"apps/v1 DaemonSet"' "$(pk_yaml 'd["apiVersion"] + " " + d["kind"]')" "kind"
	assert_eq true "$(pk_yaml 'd["spec"]["selector"]["matchLabels"].items() <= d["spec"]["template"]["metadata"]["labels"].items()')" \
		"selector matches the pod labels"
	assert_eq true "$(pk_yaml 'p["hostPID"]')" "hostPID"
	assert_eq '["ALL"]' "$(pk_yaml 'c["securityContext"]["capabilities"]["drop"]')" "capabilities dropped"
	assert_eq '["SYS_ADMIN", "SYS_PTRACE"]' "$(pk_yaml 'sorted(c["securityContext"]["capabilities"]["add"])')" \
		"capabilities added"
	assert_eq false "$(pk_yaml 'c["securityContext"].get("privileged", False)')" "privileged"
	assert_eq false "$(pk_yaml '"allowPrivilegeEscalation" in c["securityContext"]')" \
		"allowPrivilegeEscalation (the API refuses false with SYS_ADMIN)"
	assert_eq true "$(pk_yaml 'c["securityContext"]["readOnlyRootFilesystem"]')" "read-only root"
	assert_match 'memleakbpf:' "$(pk_yaml 'c["image"]')" "image"
	# Every mount names a volume; the host's BTF and cgroups read-only.
	assert_eq '{"/sys/fs/cgroup": ["/sys/fs/cgroup", true], "/sys/kernel/btf": ["/sys/kernel/btf", true], "/tmp": [null, false], "/var/log/containers": ["/var/log/containers", true], "/var/log/memleakbpf": ["/var/log/memleakbpf", false], "/var/log/pods": ["/var/log/pods", true]}' \
		"$(pk_yaml '{m["mountPath"]: [{v["name"]: v for v in p["volumes"]}[m["name"]].get("hostPath", {}).get("path"), m.get("readOnly", False)] for m in c["volumeMounts"]}')" \
		"mounts: host path, read-only"
	assert_eq true "$(pk_yaml 'c["args"][c["args"].index("--output-dir") + 1] in [m["mountPath"] for m in c["volumeMounts"]]')" \
		"--output-dir is a mounted volume"
	assert_eq '"spec.nodeName"' "$(pk_yaml '{e["name"]: e for e in c["env"]}["NODE_NAME"]["valueFrom"]["fieldRef"]["fieldPath"]')" \
		"NODE_NAME from the downward API"
	assert_eq '["1", "256Mi", "50m", "96Mi"]' \
		"$(pk_yaml '[c["resources"]["limits"]["cpu"], c["resources"]["limits"]["memory"], c["resources"]["requests"]["cpu"], c["resources"]["requests"]["memory"]]')" \
		"resources"
	# The arguments are the tracer's: it parses them (then stops at --help).
	"$MEMLEAKBPF" $(pk_yaml '" ".join(c["args"])' | tr -d '"') --help >/dev/null 2>"$T/args.err" ||
		fail "the DaemonSet's args are refused: $(cat "$T/args.err")"
	grep -q -- '--profile=sysadmin' "$IT_ROOT/dist/k8s/README.md" || fail "no node debug recipe"
	grep -q -- 'kubectl debug pod/.*--target=' "$IT_ROOT/dist/k8s/README.md" || fail "no ephemeral-container recipe"
	grep -q -- 'memleakbpf --pod NAMESPACE/POD' "$IT_ROOT/dist/k8s/README.md" || fail "no --pod recipe"
}

# pk_caps_only CAPS: TR_WRAP running the tracer with only CAPS (capsh names).
pk_caps_only() {
	local keep=",$1," drop
	need_cmd capsh
	drop=$(capsh --print | sed -n 's/^Bounding set =//p' | tr ',' '\n' |
		while read -r c; do [[ $keep == *",$c,"* ]] || echo "$c"; done | paste -sd ,)
	TR_WRAP=(capsh --drop="$drop" -- -c 'exec "$0" "$@"')
}

# The DaemonSet's capabilities are enough, and each of them is needed.
test_packaging_daemonset_capabilities() {
	local caps cap others
	need_static
	caps=$(pk_yaml '",".join("cap_" + x.lower() for x in sorted(c["securityContext"]["capabilities"]["add"]))' | tr -d '"')
	pk_leak_exact_target
	pk_caps_only "$caps"
	MEMLEAKBPF=$STATIC_BIN tracer_bg -v --format json -o 0 -p "$PK_PID" 0.2
	TR_WRAP=()
	tracer_attached
	pk_check_leak "$PK_PID"
	for cap in ${caps//,/ }; do
		others=$(tr ',' '\n' <<<"$caps" | grep -vx "$cap" | paste -sd ,)
		pk_leak_exact_target
		pk_caps_only "$others"
		MEMLEAKBPF=$STATIC_BIN tracer --format json -o 0 -p "$PK_PID" 0.2
		TR_WRAP=()
		assert_error 3
		assert_match "missing ${cap^^}" "$(cat "$TR_ERR")" "the missing capability is named"
	done
}

test_packaging_install() {
	local d=$T/dest p=$T/prefix exec
	need_cmd systemd-analyze
	make -s -C "$IT_ROOT" install DESTDIR="$d" PREFIX=/usr >"$T/make.out" 2>&1 ||
		fail "make install DESTDIR: $(tail -n 3 "$T/make.out")"
	assert_eq "usr/lib/systemd/system/memleakbpf.service usr/sbin/memleakbpf usr/share/doc/memleakbpf/README.md usr/share/man/man8/memleakbpf.8" \
		"$(cd "$d" && find . -type f | sed 's#^\./##' | sort | paste -sd ' ')" "installed files"
	exec=$(sed -n 's/^ExecStart=\([^ ]*\).*/\1/p' "$d/usr/lib/systemd/system/memleakbpf.service")
	assert_eq /usr/sbin/memleakbpf "$exec" "ExecStart's binary"
	cmp -s "$IT_ROOT/memleakbpf" "$d$exec" || fail "installed binary differs from ./memleakbpf"
	# Installed for real under a prefix, so the unit's paths exist.
	make -s -C "$IT_ROOT" install PREFIX="$p" UNITDIR="$p/lib/systemd/system" >"$T/make.out" 2>&1 ||
		fail "make install PREFIX: $(tail -n 3 "$T/make.out")"
	systemd-analyze verify "$p/lib/systemd/system/memleakbpf.service" >"$T/verify.out" 2>&1 ||
		fail "systemd-analyze verify: $(head -c 500 "$T/verify.out")"
	assert_eq "" "$(cat "$T/verify.out")" "systemd-analyze verify output"
	"$p/sbin/memleakbpf" --version >/dev/null || fail "installed binary does not run"
}

test_packaging_version() {
	local out btf_funcs want
	need_cmd bpftool pkg-config
	out=$("$MEMLEAKBPF" --version) || fail "--version exit code"
	assert_eq "memleakbpf $(sed -n 's/^VERSION *?= *//p' "$IT_ROOT/Makefile")" "$(sed -n 1p <<<"$out")" "version line"
	assert_match '^git: [0-9a-f]{7,}(-dirty)?$|^git: .*-g[0-9a-f]{7,}(-dirty)?$' "$(grep '^git: ' <<<"$out")" "git describe"
	assert_eq "libbpf: $(pkg-config --modversion libbpf | cut -d. -f1,2)" "$(grep '^libbpf: ' <<<"$out")" "libbpf version"
	assert_eq "kernel: $(uname -r)" "$(grep '^kernel: ' <<<"$out")" "kernel"
	assert_eq "kernel BTF: yes (/sys/kernel/btf/vmlinux)" "$(grep '^kernel BTF: ' <<<"$out")" "BTF"
	btf_funcs=$(bpftool btf dump file /sys/kernel/btf/vmlinux | grep -oE "FUNC '(bpf_uprobe_multi_link_attach|bpf_session_is_return)'")
	want=no; grep -q bpf_uprobe_multi_link_attach <<<"$btf_funcs" && want=yes
	assert_eq "uprobe_multi: $want" "$(grep '^uprobe_multi: ' <<<"$out")" "uprobe_multi"
	want=no; grep -q bpf_session_is_return <<<"$btf_funcs" && want=yes
	assert_eq "uprobe sessions: $want" "$(grep '^uprobe sessions: ' <<<"$out")" "uprobe sessions"
	assert_eq 7 "$(wc -l <<<"$out")" "lines of --version"
	# git describe may differ: make install relinks ./memleakbpf after a commit.
	assert_eq "$(grep -v '^git: ' <<<"$out")" "$("$STATIC_BIN" --version | grep -v '^git: ')" \
		"--version of the static build"
}

# The man page renders without warnings and lists every option --help lists.
test_packaging_man_page() {
	local page=$IT_ROOT/doc/memleakbpf.8 opt missing=""
	need_cmd groff man
	assert_eq "" "$(groff -ww -z -man "$page" 2>&1)" "groff -ww warnings"
	assert_eq "" "$(MANWIDTH=80 man -l "$page" 2>&1 >/dev/null)" "man -l stderr"
	for opt in $("$MEMLEAKBPF" --help | grep -oE -- '--[a-z][a-z-]+' | sort -u); do
		grep -qF -- "${opt//-/\\-}" "$page" || missing="$missing $opt"
	done
	assert_eq "" "$missing" "options of --help missing from the man page"
}
