# Pods by name (--pod NAMESPACE/NAME, --container): a node laid out as the
# kubelet leaves it, made by the test: its log directory (pods/ and the
# containers/ symlinks) under $T/log, and real cgroups (the cgroupfs
# driver's layout on the v1 memory hierarchy, the systemd driver's on v2)
# holding real processes.  MEMLEAKBPF_KUBELET_LOG_DIR and
# MEMLEAKBPF_CGROUP_ROOT point the tracer there.

POD_UID=3f1c2a4e-9b7d-4e21-8c55-0d2b6f4a7e19
POD_ID_APP=a1b2c3d4e5f60718293a4b5c6d7e8f90a1b2c3d4e5f60718293a4b5c6d7e8f90
POD_ID_SIDECAR=0f1e2d3c4b5a69788796a5b4c3d2e1f00f1e2d3c4b5a69788796a5b4c3d2e1f0

# pod_node DRIVER HIERARCHY: pod shop/cart with containers app and sidecar;
# POD_APP_CG, POD_SIDECAR_CG: their cgroup directories.
pod_node() {
	local drv=$1 hier=$2 pod
	[ -d "/sys/fs/cgroup/$hier" ] || fail "no cgroup hierarchy at /sys/fs/cgroup/$hier"
	POD_BASE=/sys/fs/cgroup/$hier/memleakbpf-pods-$$-$RANDOM
	mkdir "$POD_BASE" || fail "cannot create $POD_BASE"
	case $drv in
	cgroupfs)
		pod=$POD_BASE/kubepods/burstable/pod$POD_UID
		POD_APP_CG=$pod/$POD_ID_APP
		POD_SIDECAR_CG=$pod/$POD_ID_SIDECAR ;;
	systemd)
		pod=$POD_BASE/kubepods.slice/kubepods-burstable.slice/kubepods-burstable-pod${POD_UID//-/_}.slice
		POD_APP_CG=$pod/cri-containerd-$POD_ID_APP.scope
		POD_SIDECAR_CG=$pod/cri-containerd-$POD_ID_SIDECAR.scope ;;
	esac
	mkdir -p "$POD_APP_CG" "$POD_SIDECAR_CG" || fail "cannot create the pod's cgroups"
	# The cgroup root the tracer searches: this hierarchy, under its usual name.
	mkdir -p "$T/cg"
	ln -s "$POD_BASE" "$T/cg/$hier"
	mkdir -p "$T/log/pods/shop_cart_$POD_UID/app" "$T/log/pods/shop_cart_$POD_UID/sidecar" \
		"$T/log/containers"
	: >"$T/log/pods/shop_cart_$POD_UID/app/0.log"
	: >"$T/log/pods/shop_cart_$POD_UID/sidecar/0.log"
	ln -s "../pods/shop_cart_$POD_UID/app/0.log" "$T/log/containers/cart_shop_app-$POD_ID_APP.log"
	ln -s "../pods/shop_cart_$POD_UID/sidecar/0.log" \
		"$T/log/containers/cart_shop_sidecar-$POD_ID_SIDECAR.log"
	# Another pod's logs, and an old instance of this one with no cgroup.
	mkdir -p "$T/log/pods/shop_web_11111111-2222-3333-4444-555555555555/web" \
		"$T/log/pods/shop_cart_00000000-0000-0000-0000-000000000000/app"
}

# pod_process VAR CGROUP N SIZE [HOLD_MS]: leak_exact (N blocks of SIZE
# bytes once $T/go exists, then HOLD_MS, 800) moved into CGROUP.
pod_process() {
	local __var=$1 __pid
	start_target __pid "$(target leak_exact)" "$3" "$4" "${5:-800}" "$T/go"
	echo "$__pid" >"$2/cgroup.procs" || fail "cannot move $__pid into $2"
	printf -v "$__var" '%s' "$__pid"
}

# The test's cgroups, deepest first, once their processes are gone.
pod_cleanup() {
	[ -n "${POD_BASE:-}" ] && [ -d "$POD_BASE" ] || return 0
	find "$POD_BASE" -depth -type d -exec rmdir {} + 2>/dev/null
}

pod_tracer_bg() {
	MEMLEAKBPF_KUBELET_LOG_DIR=$T/log MEMLEAKBPF_CGROUP_ROOT=$T/cg NODE_NAME=node-a \
		tracer_bg "$@"
}

pod_exit_record() {
	jq -c --argjson p "$1" 'select(.type == "process_exit" and .pid == $p)' "$TR_OUT"
}

# check_labels RECORD CONTAINER ID: the pod's labels on a JSON process record.
check_labels() {
	assert_eq "shop|cart|$2|$3|node-a" \
		"$(jq -r '[.k8s_namespace, .k8s_pod, .k8s_container, .container_id, .node] | join("|")' <<<"$1")" \
		"labels of $(jq -c '{pid, comm}' <<<"$1")"
}

# A pod by name, cgroupfs driver on v1: both containers' processes traced,
# each labelled with its own container, exact figures.
test_pod_by_name_cgroupfs_v1() {
	local app side both
	pod_node cgroupfs memory
	pod_process app "$POD_APP_CG" 5 3000
	pod_process side "$POD_SIDECAR_CG" 2 700
	pod_tracer_bg -v --format json -o 0 --pod shop/cart 0.3 8
	tracer_attached
	touch "$T/go"
	wait_pid "$app" 20
	wait_pid "$side" 20
	tracer_wait 30
	pod_cleanup
	assert_eq 0 "$TR_RC" "tracer exit code (stderr: $(grep -v unwind "$TR_ERR" | head -c 300))"
	assert_match "pod shop/cart: cgroup $T/cg/memory/kubepods/burstable/pod$POD_UID\$" \
		"$(grep 'pod shop/cart' "$TR_ERR")" "the pod's cgroup (-v)"
	assert_eq 15000 "$(pod_exit_record "$app" | jq '.outstanding_bytes')" "app's leak at its exit"
	assert_eq 1400 "$(pod_exit_record "$side" | jq '.outstanding_bytes')" "sidecar's leak at its exit"
	check_labels "$(pod_exit_record "$app")" app "$POD_ID_APP"
	check_labels "$(pod_exit_record "$side")" sidecar "$POD_ID_SIDECAR"
	# While both ran: one report with both, each process record labelled.
	both=$(jq -c --argjson a "$app" 'select(.type == "report" and
		(.processes | length) == 2 and .processes[0].outstanding_bytes > 0 and
		.processes[1].outstanding_bytes > 0) | .processes[] | select(.pid == $a)' "$TR_OUT" | tail -n 1)
	[ -n "$both" ] || fail "no report with both processes holding memory"
	check_labels "$both" app "$POD_ID_APP"
	assert_eq "$app" "$(jq '.host_pid' <<<"$both")" "host pid (the tracer runs on the host)"
}

# One container by name, systemd driver on v2, pprof: only its process,
# its labels on the samples.
test_pod_container_systemd_v2_pprof() {
	local app side traces
	need_cmd go
	pod_node systemd unified
	pod_process app "$POD_APP_CG" 4 2500 60000
	pod_process side "$POD_SIDECAR_CG" 3 900 60000
	pod_tracer_bg -v --format pprof --output "$T/p.pb.gz" -o 0 --pod shop/cart --container app 0.3 5
	tracer_attached
	touch "$T/go"
	tracer_wait 30
	kill "$app" "$side" 2>/dev/null
	wait_pid "$app" 5
	wait_pid "$side" 5
	pod_cleanup
	assert_eq 0 "$TR_RC" "tracer exit code (stderr: $(grep -v unwind "$TR_ERR" | head -c 300))"
	assert_match "tracing 1 process" "$(cat "$TR_ERR")" "processes traced: the app container's only"
	traces=$(HOME=$T/home GOCACHE=$T/gocache GOPATH=$T/gopath GOTOOLCHAIN=local GOFLAGS= \
		go tool pprof -unit=B -traces "$T/p.pb.gz" 2>"$T/pprof.err") ||
		fail "go tool pprof -traces: $(head -c 300 "$T/pprof.err")"
	assert_match $'10000B +leak_exact_fn\n' "$traces" "the app's leak, exact"
	assert_match "k8s_namespace: +shop" "$traces" "namespace label"
	assert_match "k8s_pod: +cart" "$traces" "pod label"
	assert_match "k8s_container: +app" "$traces" "container label"
	assert_match "container_id: +$POD_ID_APP" "$traces" "container id label"
	assert_match "node: +node-a" "$traces" "node label"
	assert_match "pid: +$app" "$traces" "pid label"
	[[ $traces != *sidecar* && $traces != *"$side"* ]] || fail "the sidecar is in the profile"
}

# A pod the node does not have, a container the pod does not have: said, exit 4.
test_pod_not_found() {
	pod_node cgroupfs memory
	MEMLEAKBPF_KUBELET_LOG_DIR=$T/log MEMLEAKBPF_CGROUP_ROOT=$T/cg tracer --pod shop/nope 1 1
	assert_error 4
	assert_match "no pod shop/nope on this node" "$(cat "$TR_ERR")" "error line"
	MEMLEAKBPF_KUBELET_LOG_DIR=$T/log MEMLEAKBPF_CGROUP_ROOT=$T/cg tracer --pod shop/web 1 1
	assert_error 4
	assert_match "pod shop/web \\(uid 11111111-2222-3333-4444-555555555555\\) has no cgroup" \
		"$(cat "$TR_ERR")" "error line"
	MEMLEAKBPF_KUBELET_LOG_DIR=$T/log MEMLEAKBPF_CGROUP_ROOT=$T/cg tracer --pod shop/cart \
		--container db 1 1
	assert_error 4
	assert_match "pod shop/cart has no container 'db' \\(containers: (app, sidecar|sidecar, app)\\)" \
		"$(cat "$TR_ERR")" "error line"
	pod_cleanup
}
