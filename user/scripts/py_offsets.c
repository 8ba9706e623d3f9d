// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * CPython's struct offsets: from the build's DWARF when its debug file is
 * installed, else from this table, checked against python3.11-dbg by
 * tests/unit/test_py_offsets.c (and by the integration test, against the
 * interpreter it runs).  A version not in the table and without DWARF
 * gets native frames only.
 */
#include <string.h>
#include <dwarf.h>
#include "scripts/py_offsets.h"

/* CPython 3.11 on x86-64 (3.11.0 to 3.11.x: the layout is the ABI's). */
static const struct py_offsets py311 = {
	.tstate_current = 576,
	.interp_head = 40,
	.interp_threads = 16,
	.tstate_next = 8,
	.tstate_thread_id = 152,
	.tstate_cframe = 56,
	.cframe_frame = 8,
	.frame_code = 32,
	.frame_previous = 48,
	.frame_prev_instr = 56,
	.frame_is_entry = 68,
	.code_adaptive = 184,
	.ob_type = 8,
	.var_size = 16,
	.code_filename = 112,
	.code_qualname = 128,
	.code_firstlineno = 72,
	.code_linetable = 136,
	.bytes_sval = 32,
	.unicode_length = 16,
	.unicode_state = 32,
	.unicode_ascii_size = 48,
	.unicode_utf8_length = 48,
	.unicode_utf8 = 56,
};

bool py_offsets_known(unsigned int major, unsigned int minor, struct py_offsets *out)
{
	if (major != 3 || minor != 11)
		return false;
	*out = py311;
	return true;
}

bool py_offsets_equal(const struct py_offsets *a, const struct py_offsets *b)
{
	return !memcmp(a, b, sizeof(*a));
}

/* ---- DWARF ---- */

/* A type with its typedefs and qualifiers peeled off. */
static bool peel(Dwarf_Die *die, Dwarf_Die *out)
{
	Dwarf_Attribute at;

	*out = *die;
	for (int i = 0; i < 16; i++) {
		int tag = dwarf_tag(out);

		if (tag == DW_TAG_structure_type || tag == DW_TAG_union_type)
			return !dwarf_hasattr(out, DW_AT_declaration);
		if (tag != DW_TAG_typedef && tag != DW_TAG_const_type &&
		    tag != DW_TAG_volatile_type)
			return false;
		if (!dwarf_attr_integrate(out, DW_AT_type, &at) || !dwarf_formref_die(&at, out))
			return false;
	}
	return false;
}

/* The complete struct named name (a struct tag or a typedef) among a CU's types. */
static bool find_in_cu(Dwarf_Die *cu, const char *name, Dwarf_Die *out)
{
	Dwarf_Die child;
	const char *n;

	if (dwarf_child(cu, &child))
		return false;
	do {
		int tag = dwarf_tag(&child);

		if (tag != DW_TAG_structure_type && tag != DW_TAG_typedef)
			continue;
		n = dwarf_diename(&child);
		if (n && !strcmp(n, name) && peel(&child, out))
			return true;
	} while (!dwarf_siblingof(&child, &child));
	return false;
}

static bool find_struct(Dwarf *dw, const char *name, Dwarf_Die *out)
{
	Dwarf_Off off = 0, next;
	size_t hsize;

	while (!dwarf_nextcu(dw, off, &next, &hsize, NULL, NULL, NULL)) {
		Dwarf_Die cu;

		if (dwarf_offdie(dw, off + hsize, &cu) && find_in_cu(&cu, name, out))
			return true;
		off = next;
	}
	return false;
}

/* The offset of a dotted member path ("gilstate.tstate_current") in st. */
static bool member_offset(Dwarf_Die *st, const char *path, uint16_t *out)
{
	char part[64];
	Dwarf_Die cur = *st, child;
	Dwarf_Word total = 0;

	while (*path) {
		const char *dot = strchr(path, '.');
		size_t len = dot ? (size_t)(dot - path) : strlen(path);
		bool found = false;

		if (len >= sizeof(part))
			return false;
		memcpy(part, path, len);
		part[len] = '\0';
		path += len + (dot ? 1 : 0);
		if (dwarf_child(&cur, &child))
			return false;
		do {
			Dwarf_Attribute at;
			Dwarf_Word off;
			const char *n = dwarf_diename(&child);

			if (dwarf_tag(&child) != DW_TAG_member || !n || strcmp(n, part))
				continue;
			if (!dwarf_attr(&child, DW_AT_data_member_location, &at) ||
			    dwarf_formudata(&at, &off))
				return false;
			total += off;
			found = true;
			break;
		} while (!dwarf_siblingof(&child, &child));
		if (!found)
			return false;
		if (*path) {
			Dwarf_Attribute at;
			Dwarf_Die type;

			if (!dwarf_attr_integrate(&child, DW_AT_type, &at) ||
			    !dwarf_formref_die(&at, &type) || !peel(&type, &cur))
				return false;
		}
	}
	if (total > UINT16_MAX)
		return false;
	*out = (uint16_t)total;
	return true;
}

struct member_want {
	const char *type, *path;
	size_t field;   /* offsetof(struct py_offsets, ...) */
};

#define WANT(t, p, f) { t, p, offsetof(struct py_offsets, f) }

static const struct member_want wants[] = {
	WANT("pyruntimestate", "gilstate.tstate_current", tstate_current),
	WANT("pyruntimestate", "interpreters.head", interp_head),
	WANT("_is", "threads.head", interp_threads),
	WANT("_ts", "next", tstate_next),
	WANT("_ts", "thread_id", tstate_thread_id),
	WANT("_ts", "cframe", tstate_cframe),
	WANT("_PyCFrame", "current_frame", cframe_frame),
	WANT("_PyInterpreterFrame", "f_code", frame_code),
	WANT("_PyInterpreterFrame", "previous", frame_previous),
	WANT("_PyInterpreterFrame", "prev_instr", frame_prev_instr),
	WANT("_PyInterpreterFrame", "is_entry", frame_is_entry),
	WANT("PyCodeObject", "co_code_adaptive", code_adaptive),
	WANT("_object", "ob_type", ob_type),
	WANT("PyVarObject", "ob_size", var_size),
	WANT("PyCodeObject", "co_filename", code_filename),
	WANT("PyCodeObject", "co_qualname", code_qualname),
	WANT("PyCodeObject", "co_firstlineno", code_firstlineno),
	WANT("PyCodeObject", "co_linetable", code_linetable),
	WANT("PyBytesObject", "ob_sval", bytes_sval),
	WANT("PyASCIIObject", "length", unicode_length),
	WANT("PyASCIIObject", "state", unicode_state),
	WANT("PyCompactUnicodeObject", "utf8_length", unicode_utf8_length),
	WANT("PyCompactUnicodeObject", "utf8", unicode_utf8),
};

bool py_offsets_from_dwarf(Dwarf *dw, struct py_offsets *out)
{
	struct py_offsets got = {};
	const char *last = NULL;
	Dwarf_Die st, ascii;
	int size;

	if (!dw)
		return false;
	for (size_t i = 0; i < sizeof(wants) / sizeof(wants[0]); i++) {
		const struct member_want *w = &wants[i];

		/* The wants are grouped by type: each type is looked up once. */
		if ((!last || strcmp(last, w->type)) && !find_struct(dw, w->type, &st))
			return false;
		last = w->type;
		if (!member_offset(&st, w->path, (uint16_t *)((char *)&got + w->field)))
			return false;
	}
	if (!find_struct(dw, "PyASCIIObject", &ascii) || (size = dwarf_bytesize(&ascii)) <= 0 ||
	    size > UINT16_MAX)
		return false;
	got.unicode_ascii_size = (uint16_t)size;
	*out = got;
	return true;
}
