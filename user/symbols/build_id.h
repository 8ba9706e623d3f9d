/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/* The GNU build id of an ELF file (NT_GNU_BUILD_ID note), read with libelf. */
#ifndef MEMLEAK_BUILD_ID_H
#define MEMLEAK_BUILD_ID_H

#include <stddef.h>
#include <libelf.h>
#include <sys/types.h>

/*
 * Lower-case hex of path's build id into hex (at least 2*20+1 bytes for
 * SHA-1 ids).  With pid > 0 the path is the process's, opened in its root
 * (/proc/PID/root) only, never in ours; pid <= 0: this machine's.  Opened
 * and read under procs/proc_files.h's rules for ELF files.  Returns 0 or
 * -errno (-ENOENT: none).
 */
int build_id_read(const char *path, pid_t pid, char *hex, size_t len);

/* The same from an object libelf already has (the fuzzer's: elf_memory). */
int build_id_of_elf(Elf *elf, char *hex, size_t len);

#endif
