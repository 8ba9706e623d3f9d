/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/*
 * Where a stripped object's separate debug file is, looked for on this
 * machine only: the body of a libdwfl find_debuginfo callback.
 */
#ifndef MEMLEAK_DEBUGINFO_H
#define MEMLEAK_DEBUGINFO_H

#include <sys/types.h>
#include <elfutils/libdwfl.h>

/*
 * The places libdwfl's standard search looks, in its order: by build id
 * under this machine's /usr/lib/debug/.build-id, then the .gnu_debuglink
 * name next to the object, in .debug/ beside it, and under /usr/lib/debug,
 * those three in the root of pid, the process mapping the object
 * (file_name is the object's path there).  The object names its debug
 * link, so these are files the target controls: every candidate is opened
 * under procs/proc_files.h's rules (inside that root, regular files of
 * bounded size, nothing that blocks), a link with a '/' or naming ".." is
 * refused, and a candidate must carry the object's build id (without one:
 * the debuglink CRC).  Never asks a debuginfod server: the standard search
 * does when nothing is found here, and libdw 0.188 then loads libdebuginfod
 * with curl and gnutls (~7 MiB of RSS) even when no server is configured.
 * Returns an fd (and a malloc'ed name in *debuginfo_file_name) or -1.
 */
int debuginfo_find(Dwfl_Module *mod, pid_t pid, const char *file_name,
		   const char *debuglink_file, GElf_Word debuglink_crc,
		   char **debuginfo_file_name);

#endif
