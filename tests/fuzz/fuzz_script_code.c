// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * Script frames' code objects, read from a target's memory the target
 * writes: the input is that memory (mapped at MEM_BASE of a memfd standing
 * for /proc/PID/mem), read through the same functions the tracer uses for
 * a CPython 3.11 code object (python_read_code, then its line table
 * through py_linetable_line), a PHP 8.2 function (php_read_function)
 * and a LuaJIT 2.1 prototype (the runtime's read_code and line, the names
 * its calls give, and a compiled trace's frames rebuilt by expand).
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
#include <linux/types.h>
#include "memleak.h"
#include "scripts/lua.h"
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

/* LuaJIT's lines are widened to 32 bits: four times its cap, and the end. */
static void check_lua_code(const struct script_code *c)
{
	if (memchr(c->qualname, 0, sizeof(c->qualname)) == NULL ||
	    memchr(c->filename, 0, sizeof(c->filename)) == NULL)
		abort();
	if (!c->linetable != !c->linetable_len || c->linetable_len > 4 * 256 * 1024 + 4 ||
	    c->linetable_len % 4)
		abort();
}

static void fuzz_lua(const uint8_t *data, size_t size)
{
	struct lua_info li = { 0 };
	struct script_code c;
	uint64_t words[4], out[MEMLEAK_MAX_STACK_DEPTH], native[2];
	char name[64];
	uint32_t pos;
	size_t n;

	/* The prototype at word 5; a trace at word 6 calling out at word 7. */
	if (!lua_runtime.read_code(mem, &li, word(data, size, 5) & ~7ULL, &c, true)) {
		check_lua_code(&c);
		for (pos = 0; pos < 64; pos++)
			lua_runtime.line(c.firstlineno, c.linetable, c.linetable_len, pos);
	}
	free(c.linetable);
	for (pos = 0; pos < 16; pos++)
		if (lua_callee_name(mem, word(data, size, 5) & ~7ULL, pos, name, sizeof(name)) &&
		    !memchr(name, 0, sizeof(name)))
			abort();
	words[0] = MEMLEAK_SCRIPT_WORD(word(data, size, 6) & ~7ULL, MEMLEAK_SCRIPT_OFF_MAX, 0);
	words[1] = MEMLEAK_SCRIPT_WORD(word(data, size, 5) & ~7ULL, 1, 1);
	words[2] = words[3] = words[1];
	native[0] = word(data, size, 7);
	native[1] = word(data, size, 8);
	n = lua_runtime.expand(mem, &li, words, 4, native, 2, out, MEMLEAK_MAX_STACK_DEPTH);
	if (n > MEMLEAK_MAX_STACK_DEPTH || n < 3)
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
	fuzz_lua(data, size);
	return 0;
}
