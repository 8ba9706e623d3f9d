/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/*
 * A CPython interpreter in a traced process: found by its module (the
 * python3.X executable or libpython3.X.so) and the version it says
 * (Py_Version), with the offsets of its structs; and its code objects
 * read from outside, through /proc/PID/mem.
 */
#ifndef MEMLEAK_PYTHON_H
#define MEMLEAK_PYTHON_H

#include <limits.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>
#include "scripts/py_offsets.h"
#include "scripts/runtime.h"

struct python_info {
	unsigned int major, minor, micro;  /* from Py_Version */
	uint64_t runtime_addr;             /* &_PyRuntime in the process */
	uint64_t code_type, unicode_type, bytes_type; /* &PyCode_Type... */
	uint64_t eval_start, eval_end;     /* _PyEval_EvalFrameDefault's code */
	struct py_offsets off;
	bool from_dwarf;                   /* offsets from debug info, not the table */
	char module[PATH_MAX];             /* as the process maps it */
};

/*
 * Look for CPython in what pid maps.  1: found, *info filled;
 * 0: no interpreter; -ENOTSUP: an interpreter whose version has no known
 * layout (info's version and module say which); other -errno: unreadable.
 */
int python_detect(pid_t pid, struct python_info *info);

/* /usr/lib/debug/.build-id/xx/yyyy.debug for this machine's object, if present: 0 or -errno. */
int python_debug_file_path(const char *object, char *buf, size_t len);

/*
 * Read and check the code object at addr through mem (an fd of
 * /proc/PID/mem).  with_strings: names and the line table too, else only
 * what tells the object (to revalidate a cached one).  0 or -errno
 * (-EINVAL: not a code object now).
 */
int python_read_code(int mem, const struct python_info *pi, uint64_t addr,
		     struct script_code *code, bool with_strings);

#endif
