// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/* --version (see version.h).  build/build_version.h comes from the Makefile. */
#include <stdbool.h>
#include <unistd.h>
#include <sys/utsname.h>
#include <bpf/btf.h>
#include <bpf/libbpf.h>
#include "cli/version.h"
#include "probes/uprobe_links.h"
#include "build_version.h"

#define KERNEL_BTF "/sys/kernel/btf/vmlinux"

static const char *yes_no(bool b)
{
	return b ? "yes" : "no";
}

void version_print(FILE *out)
{
	struct utsname u;
	bool btf = !access(KERNEL_BTF, R_OK);

	fprintf(out, "memleakbpf %s\n", MEMLEAKBPF_VERSION);
	fprintf(out, "git: %s\n", MEMLEAKBPF_GIT);
	fprintf(out, "libbpf: %u.%u\n", libbpf_major_version(), libbpf_minor_version());
	if (uname(&u))
		u.release[0] = '\0';
	fprintf(out, "kernel: %s\n", u.release[0] ? u.release : "unknown");
	fprintf(out, "kernel BTF: %s\n", btf ? "yes (" KERNEL_BTF ")" : "no");
	/* Both are read from the kernel's BTF: unknown without it. */
	fprintf(out, "uprobe_multi: %s\n", btf ? yes_no(uprobe_multi_supported()) : "unknown");
	fprintf(out, "uprobe sessions: %s\n", btf ? yes_no(uprobe_session_supported()) : "unknown");
}

const char *version_string(void)
{
	return MEMLEAKBPF_VERSION;
}

const char *version_git(void)
{
	return MEMLEAKBPF_GIT;
}
