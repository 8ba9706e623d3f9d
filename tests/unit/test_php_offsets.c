// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * PHP script frames, the parts without a process: the offsets table of
 * engine API 20220829 (PHP 8.2) against the engine's own headers, as
 * php8.2-dev ships them for the build installed (offsetof by offsetof),
 * and the build id scan that picks the table.
 */
#include <php.h>
#include <zend_compile.h>
#include <zend_globals.h>

#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include "scripts/php.h"
#include "scripts/php_offsets.h"

static void table_matches_headers(void **state)
{
	struct php_offsets o;

	assert_int_equal(ZEND_MODULE_API_NO, PHP_API_8_2);
	assert_true(php_offsets_known(ZEND_MODULE_API_NO, &o));
	assert_int_equal(o.eg_current, offsetof(zend_executor_globals, current_execute_data));
	assert_int_equal(o.ex_opline, offsetof(zend_execute_data, opline));
	assert_int_equal(o.ex_func, offsetof(zend_execute_data, func));
	assert_int_equal(o.ex_call_info, offsetof(zend_execute_data, This) +
					 offsetof(zval, u1.type_info));
	assert_int_equal(o.ex_prev, offsetof(zend_execute_data, prev_execute_data));
	assert_int_equal(o.fn_type, offsetof(zend_function, type));
	assert_int_equal(o.op_lineno, offsetof(zend_op, lineno));
	assert_int_equal(o.call_top, ZEND_CALL_TOP);
	assert_int_equal(o.user_function, ZEND_USER_FUNCTION);
	assert_int_equal(o.fn_name, offsetof(zend_function, common.function_name));
	assert_int_equal(o.fn_scope, offsetof(zend_function, common.scope));
	assert_int_equal(o.op_filename, offsetof(zend_function, op_array.filename));
	assert_int_equal(o.op_line_start, offsetof(zend_function, op_array.line_start));
	assert_true(o.fn_size >= o.op_line_start + sizeof(uint32_t));
	assert_true(o.fn_size >= o.op_filename + sizeof(void *));
	assert_int_equal(o.ce_name, offsetof(zend_class_entry, name));
	assert_int_equal(o.str_type_info, offsetof(zend_string, gc.u.type_info));
	assert_int_equal(o.str_len, offsetof(zend_string, len));
	assert_int_equal(o.str_val, offsetof(zend_string, val));
	/* Other engines are not guessed. */
	assert_false(php_offsets_known(20230831, &o));
	assert_false(php_offsets_known(0, &o));
}

static void build_id_scan(void **state)
{
	static const char nts[] = "x\0APIxx\0API2022082,NTS\0API20220829,NTS\0tail";
	static const char zts[] = "API20230831,TS\0";
	static const char none[] = "API20220829;NTS API20220829,XTS API2022";
	unsigned int api = 0;
	bool zts_build = true;

	assert_int_equal(php_build_id_scan(nts, sizeof(nts) - 1, &api, &zts_build), 0);
	assert_int_equal(api, 20220829);
	assert_false(zts_build);
	assert_int_equal(php_build_id_scan(zts, sizeof(zts) - 1, &api, &zts_build), 0);
	assert_int_equal(api, 20230831);
	assert_true(zts_build);
	assert_int_equal(php_build_id_scan(none, sizeof(none) - 1, &api, &zts_build), -ENOENT);
	/* Cut at the end of the data: never read past it. */
	assert_int_equal(php_build_id_scan(nts, 31, &api, &zts_build), -ENOENT);
	/* The build's own string, as the headers spell it. */
	assert_int_equal(php_build_id_scan(ZEND_MODULE_BUILD_ID, sizeof(ZEND_MODULE_BUILD_ID),
					   &api, &zts_build), 0);
	assert_int_equal(api, ZEND_MODULE_API_NO);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(table_matches_headers),
		cmocka_unit_test(build_id_scan),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
