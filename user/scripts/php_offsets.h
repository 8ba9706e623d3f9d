/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/*
 * Where the Zend engine keeps what PHP script frames need: the struct
 * offsets of one engine API (a PHP minor version; the layout is its ABI),
 * from the table of known versions.
 */
#ifndef MEMLEAK_PHP_OFFSETS_H
#define MEMLEAK_PHP_OFFSETS_H

#include <stdbool.h>
#include <stdint.h>

/* PHP 8.2's ZEND_MODULE_API_NO, as its build id string "API20220829,NTS" says. */
#define PHP_API_8_2 20220829u

struct php_offsets {
	/* Read by the BPF side (struct memleak_php_layout). */
	uint16_t eg_current;     /* zend_executor_globals.current_execute_data */
	uint16_t ex_opline;      /* zend_execute_data.opline */
	uint16_t ex_func;        /* zend_execute_data.func */
	uint16_t ex_call_info;   /* zend_execute_data.This.u1.type_info */
	uint16_t ex_prev;        /* zend_execute_data.prev_execute_data */
	uint16_t fn_type;        /* zend_function.type */
	uint16_t op_lineno;      /* zend_op.lineno */
	uint32_t call_top;       /* ZEND_CALL_TOP */
	uint32_t user_function;  /* ZEND_USER_FUNCTION */
	/* Read in user space, from functions. */
	uint16_t fn_name;        /* zend_function.common.function_name */
	uint16_t fn_scope;       /* zend_function.common.scope */
	uint16_t op_filename;    /* zend_op_array.filename */
	uint16_t op_line_start;  /* zend_op_array.line_start */
	uint16_t fn_size;        /* bytes read to cover all of the above */
	uint16_t ce_name;        /* zend_class_entry.name */
	uint16_t str_type_info;  /* zend_string.gc.u.type_info: IS_STRING in its low bits */
	uint16_t str_len;        /* zend_string.len */
	uint16_t str_val;        /* zend_string.val: the text */
};

/* The offsets of engine API api (x86-64, non-ZTS); false if not in the table. */
bool php_offsets_known(unsigned int api, struct php_offsets *out);

#endif
