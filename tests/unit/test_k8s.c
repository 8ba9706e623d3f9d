// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * Pods by name (procs/k8s.c): the cgroup path components of both kubelet
 * drivers, and --pod's resolution over a kubelet log directory and a
 * cgroup tree laid out as on a node (plain directories here; the
 * integration tests use real cgroups).
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/stat.h>
#include <cmocka.h>
#include "procs/k8s.h"

#define UID "3f1c2a4e-9b7d-4e21-8c55-0d2b6f4a7e19"
#define UID_ "3f1c2a4e_9b7d_4e21_8c55_0d2b6f4a7e19"
#define ID1 "a1b2c3d4e5f60718293a4b5c6d7e8f90a1b2c3d4e5f60718293a4b5c6d7e8f90"
#define ID2 "0f1e2d3c4b5a69788796a5b4c3d2e1f00f1e2d3c4b5a69788796a5b4c3d2e1f0"
#define ID_OLD "1111111111111111111111111111111111111111111111111111111111111111"

static void test_pod_uid_components(void **state)
{
	char uid[37];

	assert_true(k8s_pod_uid_of("pod" UID, uid));
	assert_string_equal(uid, UID);
	assert_true(k8s_pod_uid_of("kubepods-burstable-pod" UID_ ".slice", uid));
	assert_string_equal(uid, UID);
	assert_true(k8s_pod_uid_of("kubepods-pod" UID_ ".slice", uid));
	assert_string_equal(uid, UID);
	assert_false(k8s_pod_uid_of("kubepods", uid));
	assert_false(k8s_pod_uid_of("kubepods-burstable.slice", uid));
	assert_false(k8s_pod_uid_of("xpod" UID, uid));
	assert_false(k8s_pod_uid_of("pod" UID "x", uid));
	assert_false(k8s_pod_uid_of("pod3f1c2a4e-9b7d-4e21-8c55-0d2b6f4a7e1", uid));
	assert_false(k8s_pod_uid_of("pod3F1C2A4E-9B7D-4E21-8C55-0D2B6F4A7E19", uid));
}

static void test_container_id_components(void **state)
{
	char id[65];

	assert_true(k8s_container_id_of(ID1, id));
	assert_string_equal(id, ID1);
	assert_true(k8s_container_id_of("cri-containerd-" ID1 ".scope", id));
	assert_string_equal(id, ID1);
	assert_true(k8s_container_id_of("crio-" ID2 ".scope", id));
	assert_string_equal(id, ID2);
	assert_true(k8s_container_id_of("docker-" ID2 ".scope", id));
	assert_false(k8s_container_id_of("crio-conmon-" ID2 ".scope", id));
	assert_false(k8s_container_id_of("cri-containerd-" ID1 "0.scope", id));
	assert_false(k8s_container_id_of("pod" UID, id));
}

static char root[64];

static void mkdirs(const char *fmt, ...)
{
	char path[1024], cmd[1100];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(path, sizeof(path), fmt, ap);
	va_end(ap);
	snprintf(cmd, sizeof(cmd), "mkdir -p '%s'", path);
	assert_int_equal(system(cmd), 0);
}

static void touch(const char *fmt, ...)
{
	char path[1024];
	va_list ap;
	FILE *f;

	va_start(ap, fmt);
	vsnprintf(path, sizeof(path), fmt, ap);
	va_end(ap);
	f = fopen(path, "w");
	assert_non_null(f);
	fclose(f);
}

/*
 * A node: pod shop/cart (containers app and sidecar, app restarted once:
 * two ids, the old one without a cgroup), an old instance of it gone
 * (logs left, no cgroup), and another pod.  drv: "systemd" or "cgroupfs".
 */
static void make_node(const char *drv)
{
	const char *pod_dir = "pods/shop_cart_" UID;

	snprintf(root, sizeof(root), "/tmp/memleakbpf-k8s-XXXXXX");
	assert_non_null(mkdtemp(root));
	mkdirs("%s/log/%s/app", root, pod_dir);
	mkdirs("%s/log/%s/sidecar", root, pod_dir);
	mkdirs("%s/log/pods/shop_cart_00000000-0000-0000-0000-000000000000/app", root);
	mkdirs("%s/log/pods/shop_other_11111111-2222-3333-4444-555555555555/app", root);
	mkdirs("%s/log/containers", root);
	touch("%s/log/containers/cart_shop_app-" ID1 ".log", root);
	touch("%s/log/containers/cart_shop_app-" ID_OLD ".log", root);
	touch("%s/log/containers/cart_shop_sidecar-" ID2 ".log", root);
	/* cgroup v1 memory hierarchy (a cgroup.procs in each directory) */
	if (!strcmp(drv, "systemd")) {
		mkdirs("%s/cg/memory/kubepods.slice/kubepods-burstable.slice/"
		       "kubepods-burstable-pod" UID_ ".slice/cri-containerd-" ID1 ".scope", root);
		mkdirs("%s/cg/memory/kubepods.slice/kubepods-burstable.slice/"
		       "kubepods-burstable-pod" UID_ ".slice/cri-containerd-" ID2 ".scope", root);
	} else {
		mkdirs("%s/cg/memory/kubepods/besteffort/pod" UID "/" ID1, root);
		mkdirs("%s/cg/memory/kubepods/besteffort/pod" UID "/" ID2, root);
	}
	touch("%s/cg/memory/cgroup.procs", root);
	{
		char p[128];

		snprintf(p, sizeof(p), "%s/log", root);
		setenv("MEMLEAKBPF_KUBELET_LOG_DIR", p, 1);
		snprintf(p, sizeof(p), "%s/cg", root);
		setenv("MEMLEAKBPF_CGROUP_ROOT", p, 1);
	}
}

static void remove_node(void)
{
	char cmd[128];

	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", root);
	assert_int_equal(system(cmd), 0);
}

static void check_found(const char *pod, const char *ctr, const char *want_suffix)
{
	char path[4096], err[1024] = "";
	size_t n, m = strlen(want_suffix);

	assert_int_equal(k8s_find_pod(pod, ctr, path, sizeof(path), err, sizeof(err)), 0);
	n = strlen(path);
	if (n < m || strcmp(path + n - m, want_suffix))
		fail_msg("found %s, want ...%s", path, want_suffix);
}

static void check_error(const char *pod, const char *ctr, const char *what)
{
	char path[4096], err[1024] = "";

	assert_int_equal(k8s_find_pod(pod, ctr, path, sizeof(path), err, sizeof(err)), -1);
	if (!strstr(err, what))
		fail_msg("error '%s' lacks '%s'", err, what);
	assert_null(strchr(err, '\n'));
}

static void test_find_pod_systemd_driver(void **state)
{
	make_node("systemd");
	check_found("shop/cart", NULL, "/kubepods-burstable-pod" UID_ ".slice");
	check_found("shop/cart", "app", "/cri-containerd-" ID1 ".scope");
	check_found("shop/cart", "sidecar", "/cri-containerd-" ID2 ".scope");
	check_error("shop/nope", NULL, "no pod shop/nope on this node");
	check_error("shop/other", NULL, "has no cgroup");
	check_error("shop/cart", "db", "has no container 'db' (containers: ");
	remove_node();
}

static void test_find_pod_cgroupfs_driver(void **state)
{
	make_node("cgroupfs");
	check_found("shop/cart", NULL, "/kubepods/besteffort/pod" UID);
	check_found("shop/cart", "app", "/pod" UID "/" ID1);
	check_found("shop/cart", "sidecar", "/pod" UID "/" ID2);
	remove_node();
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_pod_uid_components),
		cmocka_unit_test(test_container_id_components),
		cmocka_unit_test(test_find_pod_systemd_driver),
		cmocka_unit_test(test_find_pod_cgroupfs_driver),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
