// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/* Privilege and BTF checks, so failures are named before libbpf's noise. */
#include <linux/capability.h>
#include <sys/syscall.h>
#include <unistd.h>
#include "procs/privileges.h"

#ifndef CAP_PERFMON
#define CAP_PERFMON 38
#endif
#ifndef CAP_BPF
#define CAP_BPF 39
#endif

static bool cap_effective(const struct __user_cap_data_struct *d, int cap)
{
	return d[cap / 32].effective & (1u << (cap % 32));
}

bool have_tracing_privileges(void)
{
	struct __user_cap_header_struct hdr = { .version = _LINUX_CAPABILITY_VERSION_3 };
	struct __user_cap_data_struct data[2] = { 0 };

	if (syscall(SYS_capget, &hdr, data))
		return geteuid() == 0;
	if (cap_effective(data, CAP_SYS_ADMIN))
		return true;
	return cap_effective(data, CAP_BPF) && cap_effective(data, CAP_PERFMON) &&
	       cap_effective(data, CAP_SYS_PTRACE);
}

/*
 * Measured with only some capabilities (capsh --drop, README "Kubernetes"):
 * reading another process's /proc/PID/root and maps needs CAP_SYS_PTRACE
 * (its capabilities are not a subset of ours), and perf_event_open of a
 * uprobe refuses CAP_BPF + CAP_PERFMON alone (EACCES) on kernels up to
 * 6.18 at least: CAP_SYS_ADMIN.  Without them a probe failure looks like
 * a missing allocator, so the caller names the capability instead.
 */
const char *missing_probe_capability(void)
{
	struct __user_cap_header_struct hdr = { .version = _LINUX_CAPABILITY_VERSION_3 };
	struct __user_cap_data_struct data[2] = { 0 };

	if (syscall(SYS_capget, &hdr, data))
		return NULL;
	if (!cap_effective(data, CAP_SYS_PTRACE))
		return cap_effective(data, CAP_SYS_ADMIN) ? "CAP_SYS_PTRACE"
							  : "CAP_SYS_ADMIN and CAP_SYS_PTRACE";
	if (!cap_effective(data, CAP_SYS_ADMIN))
		return "CAP_SYS_ADMIN";
	return NULL;
}

const char *find_kernel_btf(const char *override)
{
	static const char sysfs_btf[] = "/sys/kernel/btf/vmlinux";
	const char *p = override ? override : sysfs_btf;

	return access(p, R_OK) ? NULL : p;
}
