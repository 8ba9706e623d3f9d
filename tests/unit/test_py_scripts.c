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

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(linetable_lines),
		cmocka_unit_test(version_table),
		cmocka_unit_test(table_matches_debug_package),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
