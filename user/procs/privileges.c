// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/* Privilege and BTF checks, so failures are named before libbpf's noise. */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <linux/capability.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>
#include <bpf/btf.h>
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

/*
 * CAP_SYS_ADMIN: the uprobe perf PMU asks for it itself (the kernel's
 * perf_uprobe_event_init; CAP_PERFMON is not enough there), and it also
 * stands for CAP_BPF and CAP_PERFMON.  CAP_SYS_PTRACE: the maps and files
 * of /proc/PID of a process with other ids or more capabilities.
 */
const char *missing_tracing_capabilities(void)
{
	struct __user_cap_header_struct hdr = { .version = _LINUX_CAPABILITY_VERSION_3 };
	struct __user_cap_data_struct data[2] = { 0 };
	bool admin, ptrace;

	if (syscall(SYS_capget, &hdr, data))
		return geteuid() == 0 ? NULL : "CAP_SYS_ADMIN and CAP_SYS_PTRACE";
	admin = cap_effective(data, CAP_SYS_ADMIN);
	ptrace = cap_effective(data, CAP_SYS_PTRACE);
	if (!admin && !ptrace)
		return "CAP_SYS_ADMIN and CAP_SYS_PTRACE";
	if (!admin)
		return "CAP_SYS_ADMIN";
	return ptrace ? NULL : "CAP_SYS_PTRACE";
}

/*
 * --btf FILE: a regular file (a FIFO would block the open, a device could
 * stream forever), holding BTF.  The file stays open and libbpf reads it
 * through /proc/self/fd, so what was checked is what is loaded.
 */
static const char *open_btf_file(const char *path, const char **why)
{
	static char fd_path[32];
	struct stat st;
	struct btf *btf;
	int fd;

	fd = open(path, O_RDONLY | O_NONBLOCK | O_CLOEXEC);
	if (fd < 0) {
		*why = strerror(errno);
		return NULL;
	}
	if (fstat(fd, &st) || !S_ISREG(st.st_mode)) {
		*why = "not a regular file";
		close(fd);
		return NULL;
	}
	snprintf(fd_path, sizeof(fd_path), "/proc/self/fd/%d", fd);
	btf = btf__parse(fd_path, NULL);
	if (!btf) {
		*why = "no BTF in it (neither raw BTF nor an ELF file with a .BTF section)";
		close(fd);
		return NULL;
	}
	btf__free(btf);
	return fd_path;
}

const char *find_kernel_btf(const char *override, const char **why)
{
	static const char sysfs_btf[] = "/sys/kernel/btf/vmlinux";

	if (override)
		return open_btf_file(override, why);
	if (access(sysfs_btf, R_OK)) {
		*why = strerror(errno);
		return NULL;
	}
	return sysfs_btf;
}
