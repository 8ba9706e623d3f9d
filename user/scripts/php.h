/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/*
 * A PHP interpreter (the Zend engine) in a traced process: found by its
 * module (php8.2, php-fpm8.2, php-cgi8.2, libphp8.2.so) and the engine API
 * its build id string says, with the offsets of its structs; and its
 * functions read from outside, through /proc/PID/mem.
 */
#ifndef MEMLEAK_PHP_H
#define MEMLEAK_PHP_H

#include <limits.h>
#include <stdbool.h>
#include <stdint.h>
#include <sys/types.h>
#include "scripts/php_offsets.h"
#include "scripts/runtime.h"

struct php_info {
	unsigned int api;                  /* ZEND_MODULE_API_NO: 20220829 is 8.2 */
	bool zts;                          /* thread-safe build: globals per thread */
	uint64_t globals_addr;             /* &executor_globals in the process */
	uint64_t eval_start, eval_end;     /* execute_ex's code */
	struct php_offsets off;
	char module[PATH_MAX];             /* as the process maps it */
};

/*
 * Look for PHP in what pid maps.  1: found, *info filled; 0: none;
 * -ENOTSUP: a build without a known layout (an engine API not in the
 * table, or ZTS); other -errno: unreadable.
 */
int php_detect(pid_t pid, struct php_info *info);

/*
 * The engine API and ZTS-ness from a build id string ("API20220829,NTS")
 * somewhere in data: 0, or -ENOENT.  (Exposed for tests.)
 */
int php_build_id_scan(const void *data, size_t len, unsigned int *api, bool *zts);

/*
 * Read and check the user function at addr (a zend_function, as
 * zend_execute_data.func points to): name ("Class::method", "{main}" for
 * a file's top level), file and first line.  0 or -errno (-EINVAL: not a
 * user function now, -EFAULT: unreadable).
 */
int php_read_function(int mem, const struct php_info *pi, uint64_t addr, struct script_code *code,
		      bool with_strings);

#endif
