/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/*
 * CPython 3.11's location table (co_linetable): which source line an
 * instruction of a code object comes from.
 */
#ifndef MEMLEAK_PY_LINETABLE_H
#define MEMLEAK_PY_LINETABLE_H

#include <stddef.h>
#include <stdint.h>

/*
 * The line of the instruction at code unit offset unit, from the table
 * (len bytes, untrusted) of a code object starting at firstlineno; 0 when
 * the table says the instruction has no line or does not cover it.
 */
int py_linetable_line(const uint8_t *table, size_t len, int firstlineno, uint32_t unit);

#endif
