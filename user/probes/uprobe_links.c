// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/* Uprobe multi links and sessions through bpf(BPF_LINK_CREATE) (see uprobe_links.h). */
#include <errno.h>
#include <string.h>
#include <unistd.h>
#include <sys/syscall.h>
#include <linux/bpf.h>
#include <bpf/btf.h>
#include "probes/uprobe_links.h"

/* BPF_F_UPROBE_MULTI_RETURN of include/uapi/linux/bpf.h. */
#define MEMLEAK_UPROBE_MULTI_RETURN 1u

/*
 * The link_create member of union bpf_attr as the kernel lays it out for
 * uprobe_multi and sessions (include/uapi/linux/bpf.h): common header,
 * then the per-type union at offset 16.
 */
struct link_create_uprobe_multi {
	uint32_t prog_fd;
	uint32_t target_fd;
	uint32_t attach_type;
	uint32_t flags;
	uint64_t path;
	uint64_t offsets;
	uint64_t ref_ctr_offsets;
	uint64_t cookies;
	uint32_t cnt;
	uint32_t multi_flags;
	uint32_t pid;
	uint32_t pad;
};

static bool kernel_btf_has(const char *name, int kind)
{
	struct btf *btf = btf__load_vmlinux_btf();
	bool ok;

	if (!btf)
		return false;
	ok = btf__find_by_name_kind(btf, name, kind) > 0;
	btf__free(btf);
	return ok;
}

bool uprobe_multi_supported(void)
{
	/* The link type the kernel builds for BPF_TRACE_UPROBE_MULTI. */
	return kernel_btf_has("bpf_uprobe_multi_link", BTF_KIND_STRUCT);
}

bool uprobe_session_supported(void)
{
	return kernel_btf_has("bpf_session_is_return", BTF_KIND_FUNC);
}

static int link_create(int prog_fd, uint32_t attach_type, uint32_t multi_flags, const char *path,
		       const uint64_t *offsets, const uint64_t *cookies, size_t n, pid_t pid)
{
	struct link_create_uprobe_multi attr;
	int fd;

	memset(&attr, 0, sizeof(attr));
	attr.prog_fd = prog_fd;
	attr.attach_type = attach_type;
	attr.path = (uint64_t)(uintptr_t)path;
	attr.offsets = (uint64_t)(uintptr_t)offsets;
	attr.cookies = (uint64_t)(uintptr_t)cookies;
	attr.cnt = (uint32_t)n;
	attr.multi_flags = multi_flags;
	attr.pid = pid > 0 ? (uint32_t)pid : 0;
	fd = syscall(__NR_bpf, BPF_LINK_CREATE, &attr, sizeof(attr));
	return fd < 0 ? -errno : fd;
}

int uprobe_multi_attach(int prog_fd, const char *path, const uint64_t *offsets,
			const uint64_t *cookies, size_t n, bool retprobe, pid_t pid)
{
	return link_create(prog_fd, MEMLEAK_ATTACH_UPROBE_MULTI,
			   retprobe ? MEMLEAK_UPROBE_MULTI_RETURN : 0, path, offsets, cookies, n, pid);
}

int uprobe_session_attach(int prog_fd, const char *path, const uint64_t *offsets,
			  const uint64_t *cookies, size_t n, pid_t pid)
{
	return link_create(prog_fd, MEMLEAK_ATTACH_UPROBE_SESSION, 0, path, offsets, cookies, n,
			   pid);
}
