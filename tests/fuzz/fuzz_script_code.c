// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * Script frames' code objects, read from a target's memory the target
 * writes: the input is that memory (mapped at MEM_BASE of a memfd standing
 * for /proc/PID/mem), read through the same functions the tracer uses for
 * a CPython 3.11 code object (python_read_code, then its line table
 * through py_linetable_line) and a PHP 8.2 function (php_read_function).
 * The first words say where the objects are and which addresses the
 * interpreter's type objects have, so type checks can pass.  What a read
 * that succeeded promises is checked: NUL-terminated names inside their
 * buffers, a line table no longer than its cap.
 */
#define _GNU_SOURCE
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>
#include "scripts/php.h"
#include "scripts/py_linetable.h"
#include "scripts/python.h"

#define MEM_BASE 0x10000ULL

static int mem = -1;

static uint64_t word(const uint8_t *data, size_t size, size_t i)
{
	uint64_t v = 0;

	if ((i + 1) * 8 <= size)
		memcpy(&v, data + i * 8, 8);
	return MEM_BASE + (v % (size ? size : 1));
}

static void check_code(const struct script_code *c)
{
	if (memchr(c->qualname, 0, sizeof(c->qualname)) == NULL ||
	    memchr(c->filename, 0, sizeof(c->filename)) == NULL)
		abort();
	if (!c->linetable != !c->linetable_len || c->linetable_len > 256 * 1024)
		abort();
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct python_info py = { 0 };
	struct php_info php = { 0 };
	struct script_code c;
	uint32_t off;

	if (mem < 0 && (mem = memfd_create("fuzz-mem", MFD_CLOEXEC)) < 0)
		abort();
	if (ftruncate(mem, 0) || (size && pwrite(mem, data, size, MEM_BASE) != (ssize_t)size))
		abort();
	/* CPython 3.11: the code object at word 0, the type objects at words 1-3. */
	py_offsets_known(3, 11, &py.off);
	py.code_type = word(data, size, 1);
	py.unicode_type = word(data, size, 2);
	py.bytes_type = word(data, size, 3);
	if (!python_read_code(mem, &py, word(data, size, 0) & ~7ULL, &c, true)) {
		check_code(&c);
		for (off = 0; c.linetable && off < 64; off++)
			py_linetable_line(c.linetable, c.linetable_len, c.firstlineno, off);
	}
	free(c.linetable);
	/* PHP 8.2: the function at word 4. */
	php_offsets_known(PHP_API_8_2, &php.off);
	if (!php_read_function(mem, &php, word(data, size, 4) & ~7ULL, &c, true))
		check_code(&c);
	free(c.linetable);
	return 0;
}
