// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * Python script frames, the parts without a process: the 3.11 location
 * table decoder on tables of known lines, and the version table of struct
 * offsets against the DWARF of Debian's python3.11 (python3.11-dbg).
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <fcntl.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <elfutils/libdw.h>

#include "scripts/py_linetable.h"
#include "scripts/py_offsets.h"
#include "scripts/python.h"
#include "scripts/scripts.h"
#include <linux/types.h>
#include "memleak.h"

/*
 * def f(x):          line 10 (co_firstlineno)
 *     y = x + 1      line 11
 *     return y       line 12
 * Entries: RESUME (no column form 13, delta 0, 1 unit), then line 11 for
 * 4 units (one-line form 11: delta +1), then an entry without location
 * (form 15, 1 unit), then line 12 for 2 units in the long form (14: +1).
 */
static const uint8_t table[] = {
	0x80 | 13 << 3 | 0, 0x00,                 /* unit 0: line 10 */
	0x80 | 11 << 3 | 3, 4, 9,                 /* units 1-4: line 11 */
	0x80 | 15 << 3 | 0,                       /* unit 5: none */
	0x80 | 14 << 3 | 1, 0x02, 0x00, 5, 12,    /* units 6-7: line 12 */
	0x80 | 0 << 3 | 0, 7,                     /* unit 8: short form, line 12 */
	0x80 | 13 << 3 | 0, 0x03,                 /* unit 9: delta -1: line 11 */
};

static void linetable_lines(void **state)
{
	assert_int_equal(py_linetable_line(table, sizeof(table), 10, 0), 10);
	for (uint32_t u = 1; u <= 4; u++)
		assert_int_equal(py_linetable_line(table, sizeof(table), 10, u), 11);
	assert_int_equal(py_linetable_line(table, sizeof(table), 10, 5), 0);
	assert_int_equal(py_linetable_line(table, sizeof(table), 10, 6), 12);
	assert_int_equal(py_linetable_line(table, sizeof(table), 10, 7), 12);
	assert_int_equal(py_linetable_line(table, sizeof(table), 10, 8), 12);
	assert_int_equal(py_linetable_line(table, sizeof(table), 10, 9), 11);
	/* Past the end, cut short, or not an entry start: no line. */
	assert_int_equal(py_linetable_line(table, sizeof(table), 10, 10), 0);
	assert_int_equal(py_linetable_line(table, 8, 10, 6), 0);
	assert_int_equal(py_linetable_line((const uint8_t *)"\x01\x02", 2, 10, 0), 0);
	/* A varint that never ends. */
	assert_int_equal(py_linetable_line((const uint8_t *)"\xe8\x7f\x7f\x7f\x7f\x7f\x7f", 7,
					   10, 0), 0);
}

static void version_table(void **state)
{
	struct py_offsets o;

	assert_true(py_offsets_known(3, 11, &o));
	assert_int_equal(o.frame_code, 32);
	assert_false(py_offsets_known(3, 12, &o));
	assert_false(py_offsets_known(2, 7, &o));
}

/* The table agrees with what python3.11-dbg says of Debian's python3.11. */
static void table_matches_debug_package(void **state)
{
	struct py_offsets table, dwarf;
	char path[256];
	Dwarf *dw;
	int fd;

	if (python_debug_file_path("/usr/bin/python3.11", path, sizeof(path))) {
		if (getenv("CI"))
			fail_msg("python3.11 or its debug file (python3.11-dbg) missing");
		skip();
	}
	fd = open(path, O_RDONLY | O_CLOEXEC);
	assert_true(fd >= 0);
	dw = dwarf_begin(fd, DWARF_C_READ);
	assert_non_null(dw);
	assert_true(py_offsets_from_dwarf(dw, &dwarf));
	assert_true(py_offsets_known(3, 11, &table));
	assert_int_equal(dwarf.tstate_current, table.tstate_current);
	assert_int_equal(dwarf.tstate_thread_id, table.tstate_thread_id);
	assert_int_equal(dwarf.code_adaptive, table.code_adaptive);
	assert_int_equal(dwarf.unicode_ascii_size, table.unicode_ascii_size);
	assert_true(py_offsets_equal(&dwarf, &table));
	dwarf_end(dw);
	close(fd);
}

/* Native addresses 0x500-0x5ff are "the eval loop". */
static bool fake_eval(uint64_t addr, void *ctx)
{
	return addr >= 0x500 && addr < 0x600;
}

static char order_text[256];

static const char *order_of(const uint64_t *words, size_t count, const uint64_t *native,
			    size_t n, size_t cap)
{
	struct interleave_slot out[32];
	size_t i, m = scripts_interleave(words, count, native, n, fake_eval, NULL, out, cap);

	order_text[0] = '\0';
	for (i = 0; i < m; i++)
		snprintf(order_text + strlen(order_text), sizeof(order_text) - strlen(order_text),
			 "%s%c%zu", i ? " " : "", out[i].script ? 'S' : 'N', out[i].index);
	return order_text;
}

/*
 * malloc <- helper <- eval(f1, f2*) <- C call <- eval(f3*) <- main: each
 * eval-loop frame gets the script frames up to its entry frame (*), just
 * inside it.
 */
static void interleave_order(void **state)
{
	const uint64_t native[] = { 0x100, 0x200, 0x510, 0x300, 0x520, 0x400 };
	const uint64_t words[] = {
		MEMLEAK_SCRIPT_WORD(0x1000, 1, 0), MEMLEAK_SCRIPT_WORD(0x2000, 2, 1),
		MEMLEAK_SCRIPT_WORD(0x3000, 3, 1),
	};

	assert_string_equal(order_of(words, 3, native, 6, 32), "N0 N1 S0 S1 N2 N3 S2 N4 N5");
	/* The native walk stopped before the second eval frame: the rest outermost. */
	assert_string_equal(order_of(words, 3, native, 4, 32), "N0 N1 S0 S1 N2 N3 S2");
	/* No eval frame at all (a thread in a C extension): all outermost. */
	assert_string_equal(order_of(words, 3, native, 2, 32), "N0 N1 S0 S1 S2");
	/* No script frames: the native stack as it is. */
	assert_string_equal(order_of(words, 0, native, 6, 32), "N0 N1 N2 N3 N4 N5");
	/* Bounded by cap. */
	assert_string_equal(order_of(words, 3, native, 6, 4), "N0 N1 S0 S1");
	/* The words round-trip. */
	assert_int_equal(MEMLEAK_SCRIPT_WORD_CODE(words[1]), 0x2000);
	assert_int_equal(MEMLEAK_SCRIPT_WORD_OFF1(words[1]), 2);
	assert_int_equal(MEMLEAK_SCRIPT_WORD_ENTRY(words[1]), 1);
	assert_int_equal(MEMLEAK_SCRIPT_WORD_ENTRY(words[0]), 0);
}

/* A stored stack: native frames, their end, the header, the words. */
static void stored_count(void **state)
{
	uint64_t ips[MEMLEAK_MAX_STACK_DEPTH] = { 0x100, 0x200, 0 };

	assert_int_equal(scripts_stored_count(ips), 0);
	ips[3] = MEMLEAK_SCRIPT_HEADER(MEMLEAK_RUNTIME_PYTHON, 2, 0);
	ips[4] = MEMLEAK_SCRIPT_WORD(0x1000, 1, 1);
	ips[5] = MEMLEAK_SCRIPT_WORD(0x2000, 1, 1);
	assert_int_equal(scripts_stored_count(ips), 2);
	/* A count beyond the record is refused, not read past. */
	ips[3] = MEMLEAK_SCRIPT_HEADER(MEMLEAK_RUNTIME_PYTHON, 200, 0);
	assert_int_equal(scripts_stored_count(ips), 0);
	/* Not a header: left alone. */
	ips[3] = 0x7fff12345678ULL;
	assert_int_equal(scripts_stored_count(ips), 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(linetable_lines),
		cmocka_unit_test(version_table),
		cmocka_unit_test(table_matches_debug_package),
		cmocka_unit_test(interleave_order),
		cmocka_unit_test(stored_count),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
