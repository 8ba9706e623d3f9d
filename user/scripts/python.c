// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * CPython, found and read from outside the process (python.h).
 *
 * The interpreter is the object that defines _PyRuntime, the one global
 * that leads to every thread state; mapped as the python3.X executable
 * (Debian's is built with libpython inside) or as libpython3.X.so in a
 * program embedding it.  Py_Version (3.11 on) says the version.  The
 * offsets come from the object's debug information (its separate debug
 * file by build id, python3.11-dbg, or its own DWARF), else from the
 * version table (py_offsets.c); the walk the BPF side does is 3.11's, so
 * another version gets native frames only.
 *
 * Code objects are read with bounded preads of /proc/PID/mem: every
 * pointer is the target's and may point anywhere, so each object's type
 * is checked against the interpreter's own type objects and every length
 * is capped before it is used.
 */
#include <errno.h>
#include <fcntl.h>
#include <gelf.h>
#include <libelf.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <elfutils/libdw.h>
#include "probes/elf_syms.h"
#include "procs/proc_files.h"
#include "procs/proc_maps.h"
#include <linux/types.h>
#include "memleak.h"
#include "scripts/py_linetable.h"
#include "scripts/python.h"
#include "symbols/build_id.h"

/* Line tables longer than this give no lines (CPython's are ~1 byte a unit). */
#define LINETABLE_MAX (256 * 1024)

static bool python_name(const char *path)
{
	const char *base = strrchr(path, '/');

	base = base ? base + 1 : path;
	return !strncmp(base, "python3", 7) || !strncmp(base, "libpython3", 10);
}

int python_debug_file_path(const char *object, char *buf, size_t len)
{
	char hex[2 * 64 + 1];
	int err = build_id_read(object, 0, hex, sizeof(hex));

	if (err)
		return err;
	if ((size_t)snprintf(buf, len, "/usr/lib/debug/.build-id/%.2s/%s.debug", hex, hex + 2) >=
	    len)
		return -ENAMETOOLONG;
	return access(buf, R_OK) ? -errno : 0;
}

/*
 * What the DWARF of a build said, by build id: reading it takes ~0.4 s and
 * tens of MiB for a while, and every process of a forking service (or a
 * fleet under --comm) runs the same build.
 */
#define DWARF_CACHE 8

static struct {
	char build_id[2 * 64 + 1];
	bool ok;
	struct py_offsets off;
} dwarf_cache[DWARF_CACHE];
static unsigned int dwarf_cache_next;

static bool dwarf_offsets(Elf *elf, int obj_fd, const char *hex, struct py_offsets *out)
{
	char path[256];
	bool ok = false;
	struct stat st;
	Dwarf *dw;
	int fd = -1;

	if (hex[0] && (size_t)snprintf(path, sizeof(path), "/usr/lib/debug/.build-id/%.2s/%s.debug",
				       hex, hex + 2) < sizeof(path))
		fd = proc_file_open(0, path, &proc_rules_debug_file, &st);
	if (fd >= 0) {
		dw = dwarf_begin(fd, DWARF_C_READ);
		ok = py_offsets_from_dwarf(dw, out);
		if (dw)
			dwarf_end(dw);
		close(fd);
		if (ok)
			return true;
	}
	dw = dwarf_begin(obj_fd, DWARF_C_READ);
	ok = dw && py_offsets_from_dwarf(dw, out);
	if (dw)
		dwarf_end(dw);
	return ok;
}

/* Offsets from the separate debug file of this build, else the object's own DWARF. */
static bool offsets_from_debug_info(Elf *elf, int obj_fd, struct py_offsets *out)
{
	char hex[2 * 64 + 1] = "";
	unsigned int i;
	bool ok;

	if (build_id_of_elf(elf, hex, sizeof(hex)))
		hex[0] = '\0';
	for (i = 0; hex[0] && i < DWARF_CACHE; i++) {
		if (strcmp(dwarf_cache[i].build_id, hex))
			continue;
		if (dwarf_cache[i].ok)
			*out = dwarf_cache[i].off;
		return dwarf_cache[i].ok;
	}
	ok = dwarf_offsets(elf, obj_fd, hex, out);
	if (hex[0]) {
		i = dwarf_cache_next++ % DWARF_CACHE;
		snprintf(dwarf_cache[i].build_id, sizeof(dwarf_cache[i].build_id), "%s", hex);
		dwarf_cache[i].ok = ok;
		if (ok)
			dwarf_cache[i].off = *out;
	}
	return ok;
}

enum { SYM_RUNTIME, SYM_VERSION, SYM_CODE, SYM_UNICODE, SYM_BYTES, SYM_EVAL, SYM__N };

/* The object mapped at m (offset 0) if it is an interpreter. */
static int inspect(pid_t pid, const struct proc_map *m, struct python_info *info)
{
	struct elf_symbol syms[SYM__N] = {
		[SYM_RUNTIME] = { .name = "_PyRuntime" },
		[SYM_VERSION] = { .name = "Py_Version" },
		[SYM_CODE] = { .name = "PyCode_Type" },
		[SYM_UNICODE] = { .name = "PyUnicode_Type" },
		[SYM_BYTES] = { .name = "PyBytes_Type" },
		[SYM_EVAL] = { .name = "_PyEval_EvalFrameDefault" },
	};
	int fd = proc_open_mapped(pid, m->start, m->end, m->path);
	uint64_t load, bias, version = 0;
	char mempath[64];
	Elf *elf = NULL;
	int err = 0, mem;

	if (fd < 0)
		return fd;
	if (proc_file_check_fd(fd, &proc_rules_elf)) {
		close(fd);
		return -EPERM;
	}
	elf_version(EV_CURRENT);
	elf = elf_begin(fd, ELF_C_READ, NULL);
	if (elf_find_symbols_in(elf, syms, SYM__N) < 0 || !syms[SYM_RUNTIME].found ||
	    elf_first_load(elf, &load)) {
		err = 0; /* not an interpreter */
		goto out;
	}
	bias = m->start - load;
	memset(info, 0, sizeof(*info));
	snprintf(info->module, sizeof(info->module), "%s", m->path);
	info->runtime_addr = syms[SYM_RUNTIME].vaddr + bias;
	if (syms[SYM_VERSION].found) {
		snprintf(mempath, sizeof(mempath), "/proc/%d/mem", (int)pid);
		mem = open(mempath, O_RDONLY | O_CLOEXEC);
		if (mem >= 0) {
			script_read_mem(mem, syms[SYM_VERSION].vaddr + bias, &version, sizeof(uint32_t));
			close(mem);
		}
	}
	/* PY_VERSION_HEX: 0xMMmmuuRS */
	info->major = (unsigned int)(version >> 24) & 0xff;
	info->minor = (unsigned int)(version >> 16) & 0xff;
	info->micro = (unsigned int)(version >> 8) & 0xff;
	if (info->major != 3 || info->minor != 11 || !syms[SYM_CODE].found ||
	    !syms[SYM_UNICODE].found || !syms[SYM_BYTES].found || !syms[SYM_EVAL].found) {
		err = -ENOTSUP;
		goto out;
	}
	info->from_dwarf = offsets_from_debug_info(elf, fd, &info->off);
	if (!info->from_dwarf && !py_offsets_known(info->major, info->minor, &info->off)) {
		err = -ENOTSUP;
		goto out;
	}
	info->code_type = syms[SYM_CODE].vaddr + bias;
	info->unicode_type = syms[SYM_UNICODE].vaddr + bias;
	info->bytes_type = syms[SYM_BYTES].vaddr + bias;
	info->eval_start = syms[SYM_EVAL].vaddr + bias;
	info->eval_end = info->eval_start + (syms[SYM_EVAL].size ? syms[SYM_EVAL].size : 1);
	err = 1;
out:
	if (elf)
		elf_end(elf);
	close(fd);
	return err;
}

struct detect_ctx {
	pid_t pid;
	struct python_info *info;
	int result;
};

static int detect_one(const struct proc_map *m, void *arg)
{
	struct detect_ctx *c = arg;
	int r;

	if (!proc_map_is_file(m) || m->offset || !python_name(m->path))
		return 0;
	r = inspect(c->pid, m, c->info);
	if (r == 1 || r == -ENOTSUP) {
		c->result = r;
		return 1;
	}
	return 0;
}

int python_detect(pid_t pid, struct python_info *info)
{
	struct detect_ctx c = { .pid = pid, .info = info };
	int err = proc_maps_for_each(pid, detect_one, &c);

	return err < 0 ? err : c.result;
}

/* ---- Code objects ---- */

#define STR_HEADER_MAX 128

/*
 * A str object's text into buf (NUL-terminated, cut to fit): compact
 * ASCII text follows the header; other compact strings are read through
 * their UTF-8 copy when CPython made one.  False when addr is no str.
 */
static bool read_str(int mem, const struct python_info *pi, uint64_t addr, char *buf,
		     size_t len)
{
	const struct py_offsets *o = &pi->off;
	uint8_t hdr[STR_HEADER_MAX];
	uint64_t type, text, n;
	int64_t length, utf8_len;
	uint32_t state;

	buf[0] = '\0';
	/*
	 * The ASCII header first: a short string may end a mapping, and the
	 * larger header of other strings would read past it.
	 */
	if (!addr || addr & 7 || (size_t)o->unicode_utf8 + 8 > sizeof(hdr) ||
	    o->unicode_ascii_size > sizeof(hdr) || (size_t)o->unicode_state + 4 > o->unicode_ascii_size ||
	    (size_t)o->unicode_length + 8 > o->unicode_ascii_size ||
	    (size_t)o->ob_type + 8 > o->unicode_ascii_size ||
	    script_read_mem(mem, addr, hdr, o->unicode_ascii_size))
		return false;
	memcpy(&type, hdr + o->ob_type, 8);
	memcpy(&length, hdr + o->unicode_length, 8);
	memcpy(&state, hdr + o->unicode_state, 4);
	if (type != pi->unicode_type || length < 0)
		return false;
	/* state: interned:2 kind:3 compact:1 ascii:1 ready:1 */
	if (!(state >> 5 & 1))
		return false;
	if (state >> 6 & 1) {
		text = addr + o->unicode_ascii_size;
		n = (uint64_t)length;
	} else {
		if (script_read_mem(mem, addr, hdr, (size_t)o->unicode_utf8 + 8))
			return false;
		memcpy(&text, hdr + o->unicode_utf8, 8);
		memcpy(&utf8_len, hdr + o->unicode_utf8_length, 8);
		if (!text || utf8_len < 0) {
			snprintf(buf, len, "<non-ascii>");
			return true;
		}
		n = (uint64_t)utf8_len;
	}
	if (n >= len)
		n = len - 1;
	if (script_read_mem(mem, text, buf, n))
		return false;
	buf[n] = '\0';
	/* A NUL inside would cut the name short silently: say so instead. */
	if (strlen(buf) != n)
		snprintf(buf, len, "<bad name>");
	return true;
}

static uint8_t *read_bytes(int mem, const struct python_info *pi, uint64_t addr, size_t *len)
{
	const struct py_offsets *o = &pi->off;
	uint64_t type;
	int64_t size;
	uint8_t *buf;

	if (!addr || addr & 7 || script_read_mem(mem, addr + o->ob_type, &type, 8) ||
	    type != pi->bytes_type || script_read_mem(mem, addr + o->var_size, &size, 8) ||
	    size <= 0 || size > LINETABLE_MAX)
		return NULL;
	buf = malloc((size_t)size);
	if (!buf)
		return NULL;
	if (script_read_mem(mem, addr + o->bytes_sval, buf, (size_t)size)) {
		free(buf);
		return NULL;
	}
	*len = (size_t)size;
	return buf;
}

#define CODE_HEADER_MAX 512

int python_read_code(int mem, const struct python_info *pi, uint64_t addr,
		     struct script_code *code, bool with_strings)
{
	const struct py_offsets *o = &pi->off;
	uint8_t hdr[CODE_HEADER_MAX];
	uint64_t type;
	int32_t first;

	memset(code, 0, sizeof(*code));
	if (!addr || addr & 7 || o->code_adaptive > sizeof(hdr))
		return -EINVAL;
	if (script_read_mem(mem, addr, hdr, o->code_adaptive))
		return -EFAULT;
	memcpy(&type, hdr + o->ob_type, 8);
	if (type != pi->code_type)
		return -EINVAL;
	memcpy(&code->qualname_addr, hdr + o->code_qualname, 8);
	memcpy(&code->filename_addr, hdr + o->code_filename, 8);
	memcpy(&code->linetable_addr, hdr + o->code_linetable, 8);
	memcpy(&first, hdr + o->code_firstlineno, 4);
	code->firstlineno = first > 0 ? first : 0;
	if (!with_strings)
		return 0;
	if (!read_str(mem, pi, code->qualname_addr, code->qualname, sizeof(code->qualname)) ||
	    !read_str(mem, pi, code->filename_addr, code->filename, sizeof(code->filename)))
		return -EINVAL;
	code->linetable = read_bytes(mem, pi, code->linetable_addr, &code->linetable_len);
	return 0;
}

/* ---- The runtime table's entry (runtime.h) ---- */

static int detect(pid_t pid, void *info, char *what, size_t len)
{
	struct python_info *pi = info;
	int r = python_detect(pid, pi);

	if (r == -ENOTSUP && !pi->major)
		/* Py_Version came with 3.11. */
		snprintf(what, len, "Python older than 3.11 in %s", pi->module);
	else if (r == -ENOTSUP)
		snprintf(what, len, "Python %u.%u in %s", pi->major, pi->minor, pi->module);
	else if (r == 1)
		snprintf(what, len, "Python %u.%u.%u in %s, offsets from %s", pi->major, pi->minor,
			 pi->micro, pi->module,
			 pi->from_dwarf ? "its debug information" : "the version table");
	return r;
}

static void bpf_entry(const void *info, struct memleak_script_proc *v)
{
	const struct python_info *pi = info;
	const struct py_offsets *o = &pi->off;

	v->runtime = MEMLEAK_RUNTIME_PYTHON;
	v->runtime_addr = pi->runtime_addr;
	v->py = (struct memleak_py_layout){
		.tstate_current = o->tstate_current,
		.interp_head = o->interp_head,
		.interp_threads = o->interp_threads,
		.tstate_next = o->tstate_next,
		.tstate_thread_id = o->tstate_thread_id,
		.tstate_cframe = o->tstate_cframe,
		.cframe_frame = o->cframe_frame,
		.frame_code = o->frame_code,
		.frame_previous = o->frame_previous,
		.frame_prev_instr = o->frame_prev_instr,
		.frame_is_entry = o->frame_is_entry,
		.code_adaptive = o->code_adaptive,
	};
}

static bool in_eval(const void *info, uint64_t addr)
{
	const struct python_info *pi = info;

	/* A return address is one past its call: the call is at addr - 1. */
	return addr - 1 >= pi->eval_start && addr - 1 < pi->eval_end;
}

static int read_code(int mem, const void *info, uint64_t addr, struct script_code *c,
		     bool with_strings)
{
	return python_read_code(mem, info, addr, c, with_strings);
}

/* off1: the instruction offset in code units, plus 1. */
static int line(int firstlineno, const uint8_t *linetable, size_t len, uint64_t off1)
{
	int l = 0;

	if (off1 && linetable)
		l = py_linetable_line(linetable, len, firstlineno, (uint32_t)(off1 - 1));
	return l > 0 ? l : firstlineno;
}

const struct script_runtime python_runtime = {
	.id = MEMLEAK_RUNTIME_PYTHON,
	.name = "python",
	.info_size = sizeof(struct python_info),
	.detect = detect,
	.bpf_entry = bpf_entry,
	.in_eval = in_eval,
	.read_code = read_code,
	.line = line,
};
