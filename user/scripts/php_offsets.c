// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * The Zend engine's struct offsets by engine API.  Debian ships no debug
 * symbols for php8.2 in its main archive, so this table is the only
 * source; tests/unit/test_php_offsets.c checks it against the headers of
 * the same build (php8.2-dev), offsetof by offsetof.  Another API gets
 * native frames only.
 */
#include "scripts/php_offsets.h"

/* PHP 8.2.x (engine 4.2), x86-64, non-ZTS. */
static const struct php_offsets php82 = {
	.eg_current = 488,
	.ex_opline = 0,
	.ex_func = 24,
	.ex_call_info = 32 + 8,
	.ex_prev = 48,
	.fn_type = 0,
	.op_lineno = 24,
	.call_top = 1u << 17,
	.user_function = 2,
	.fn_name = 8,
	.fn_scope = 16,
	.op_filename = 152,
	.op_line_start = 160,
	.fn_size = 168,
	.ce_name = 8,
	.str_type_info = 4,
	.str_len = 16,
	.str_val = 24,
};

bool php_offsets_known(unsigned int api, struct php_offsets *out)
{
	if (api != PHP_API_8_2)
		return false;
	*out = php82;
	return true;
}
