/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/*
 * Where CPython keeps what the script frames need: the struct offsets of
 * one interpreter build, from its DWARF (python3.11-dbg's separate debug
 * file) or, without it, from the table of known versions.
 */
#ifndef MEMLEAK_PY_OFFSETS_H
#define MEMLEAK_PY_OFFSETS_H

#include <stdbool.h>
#include <stdint.h>
#include <elfutils/libdw.h>

struct py_offsets {
	/* Read by the BPF side (struct memleak_script_proc). */
	uint16_t tstate_current;    /* _PyRuntime.gilstate.tstate_current */
	uint16_t interp_head;       /* _PyRuntime.interpreters.head */
	uint16_t interp_threads;    /* PyInterpreterState.threads.head */
	uint16_t tstate_next;
	uint16_t tstate_thread_id;
	uint16_t tstate_cframe;
	uint16_t cframe_frame;      /* _PyCFrame.current_frame */
	uint16_t frame_code;        /* _PyInterpreterFrame.f_code */
	uint16_t frame_previous;
	uint16_t frame_prev_instr;
	uint16_t frame_is_entry;
	uint16_t code_adaptive;     /* PyCodeObject.co_code_adaptive */
	/* Read in user space, from code objects. */
	uint16_t ob_type;           /* PyObject.ob_type */
	uint16_t var_size;          /* PyVarObject.ob_size */
	uint16_t code_filename;
	uint16_t code_qualname;
	uint16_t code_firstlineno;
	uint16_t code_linetable;
	uint16_t bytes_sval;        /* PyBytesObject.ob_sval */
	uint16_t unicode_length;    /* PyASCIIObject.length */
	uint16_t unicode_state;     /* PyASCIIObject.state (kind, compact, ascii bits) */
	uint16_t unicode_ascii_size;   /* sizeof(PyASCIIObject): ASCII text follows */
	uint16_t unicode_utf8_length;  /* PyCompactUnicodeObject.utf8_length */
	uint16_t unicode_utf8;         /* PyCompactUnicodeObject.utf8 */
};

/* The offsets of CPython major.minor from the table; false if not in it. */
bool py_offsets_known(unsigned int major, unsigned int minor, struct py_offsets *out);

/*
 * The offsets from an interpreter's DWARF; false (out untouched) if a
 * type or member is missing from it.
 */
bool py_offsets_from_dwarf(Dwarf *dw, struct py_offsets *out);

/* Do two sets agree?  (The test of the table against the debug package.) */
bool py_offsets_equal(const struct py_offsets *a, const struct py_offsets *b);

#endif
