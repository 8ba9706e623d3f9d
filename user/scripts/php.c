// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * PHP, found and read from outside the process (php.h).
 *
 * The interpreter is the object that defines execute_ex (the VM's loop)
 * and executor_globals (non-ZTS: one per process) or
 * executor_globals_offset (ZTS: per thread, behind TSRM's thread-local
 * cache; not read yet).  Its build id string, "API20220829,NTS", which
 * every extension is checked against at load, says the engine API: the
 * layout of the structs walked is fixed for one API, so that is the key
 * of the offsets table (php_offsets.c).
 *
 * Functions are read with bounded preads of /proc/PID/mem: each must say
 * it is a user function, each string must say it is a string, and every
 * length is capped before it is used.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <gelf.h>
#include <libelf.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <linux/types.h>
#include "memleak.h"
#include "probes/elf_syms.h"
#include "procs/proc_files.h"
#include "procs/proc_maps.h"
#include "scripts/php.h"

/* zend_string's IS_STRING, in the low bits (GC_TYPE_MASK) of its type info. */
#define ZEND_IS_STRING 6
#define ZEND_GC_TYPE_MASK 0xf

static bool php_name(const char *path)
{
	const char *base = strrchr(path, '/');

	base = base ? base + 1 : path;
	return !strncmp(base, "php", 3) || !strncmp(base, "libphp", 6);
}

int php_build_id_scan(const void *data, size_t len, unsigned int *api, bool *zts)
{
	const char *p = data, *end = p + len;

	while ((p = memmem(p, (size_t)(end - p), "API", 3))) {
		unsigned int v = 0;
		const char *q = p + 3;
		int i;

		for (i = 0; i < 8 && q < end && *q >= '0' && *q <= '9'; i++, q++)
			v = v * 10 + (unsigned int)(*q - '0');
		if (i == 8 && q < end && *q == ',') {
			q++;
			if (end - q >= 4 && !memcmp(q, "NTS", 4)) {
				*api = v;
				*zts = false;
				return 0;
			}
			if (end - q >= 3 && !memcmp(q, "TS", 3)) {
				*api = v;
				*zts = true;
				return 0;
			}
		}
		p += 3;
	}
	return -ENOENT;
}

/* The build id string, in the object's read-only data. */
static int build_id_of(Elf *elf, unsigned int *api, bool *zts)
{
	Elf_Scn *scn = NULL;
	size_t shstrndx;
	GElf_Shdr sh;

	if (elf_getshdrstrndx(elf, &shstrndx))
		return -ENOEXEC;
	while ((scn = elf_nextscn(elf, scn))) {
		const char *name;
		Elf_Data *d;

		if (!gelf_getshdr(scn, &sh) || sh.sh_type != SHT_PROGBITS)
			continue;
		name = elf_strptr(elf, shstrndx, sh.sh_name);
		if (!name || strcmp(name, ".rodata"))
			continue;
		d = elf_getdata(scn, NULL);
		return d && d->d_buf ? php_build_id_scan(d->d_buf, d->d_size, api, zts) : -ENOENT;
	}
	return -ENOENT;
}

enum { SYM_GLOBALS, SYM_GLOBALS_OFFSET, SYM_EXECUTE, SYM__N };

/* The object mapped at m (offset 0) if it is PHP. */
static int inspect(pid_t pid, const struct proc_map *m, struct php_info *info)
{
	struct elf_symbol syms[SYM__N] = {
		[SYM_GLOBALS] = { .name = "executor_globals" },
		[SYM_GLOBALS_OFFSET] = { .name = "executor_globals_offset" },
		[SYM_EXECUTE] = { .name = "execute_ex" },
	};
	int fd = proc_open_mapped(pid, m->start, m->end, m->path);
	uint64_t load, bias;
	Elf *elf = NULL;
	int err = 0;

	if (fd < 0)
		return fd;
	if (proc_file_check_fd(fd, &proc_rules_elf)) {
		close(fd);
		return -EPERM;
	}
	elf_version(EV_CURRENT);
	elf = elf_begin(fd, ELF_C_READ, NULL);
	if (elf_find_symbols_in(elf, syms, SYM__N) < 0 || !syms[SYM_EXECUTE].found ||
	    (!syms[SYM_GLOBALS].found && !syms[SYM_GLOBALS_OFFSET].found) ||
	    elf_first_load(elf, &load))
		goto out; /* not PHP */
	bias = m->start - load;
	memset(info, 0, sizeof(*info));
	snprintf(info->module, sizeof(info->module), "%s", m->path);
	err = -ENOTSUP;
	if (build_id_of(elf, &info->api, &info->zts))
		goto out;
	if (info->zts || !syms[SYM_GLOBALS].found || !php_offsets_known(info->api, &info->off))
		goto out;
	info->globals_addr = syms[SYM_GLOBALS].vaddr + bias;
	info->eval_start = syms[SYM_EXECUTE].vaddr + bias;
	info->eval_end = info->eval_start + (syms[SYM_EXECUTE].size ? syms[SYM_EXECUTE].size : 1);
	err = 1;
out:
	if (elf)
		elf_end(elf);
	close(fd);
	return err;
}

struct detect_ctx {
	pid_t pid;
	struct php_info *info;
	int result;
};

static int detect_one(const struct proc_map *m, void *arg)
{
	struct detect_ctx *c = arg;
	int r;

	if (!proc_map_is_file(m) || m->offset || !php_name(m->path))
		return 0;
	r = inspect(c->pid, m, c->info);
	if (r == 1 || r == -ENOTSUP) {
		c->result = r;
		return 1;
	}
	return 0;
}

int php_detect(pid_t pid, struct php_info *info)
{
	struct detect_ctx c = { .pid = pid, .info = info };
	int err = proc_maps_for_each(pid, detect_one, &c);

	return err < 0 ? err : c.result;
}

/* ---- Functions ---- */

#define FN_HEADER_MAX 512
#define STR_HEADER 24

/* A zend_string's text into buf (cut to fit); false if addr holds no string. */
static bool read_string(int mem, const struct php_offsets *o, uint64_t addr, char *buf,
			size_t len)
{
	uint8_t hdr[STR_HEADER];
	uint32_t type_info;
	uint64_t n;

	buf[0] = '\0';
	if (!addr || addr & 7 || (size_t)o->str_len + 8 > sizeof(hdr) ||
	    (size_t)o->str_type_info + 4 > sizeof(hdr) ||
	    script_read_mem(mem, addr, hdr, sizeof(hdr)))
		return false;
	memcpy(&type_info, hdr + o->str_type_info, 4);
	memcpy(&n, hdr + o->str_len, 8);
	if ((type_info & ZEND_GC_TYPE_MASK) != ZEND_IS_STRING)
		return false;
	if (n >= len)
		n = len - 1;
	if (script_read_mem(mem, addr + o->str_val, buf, n))
		return false;
	buf[n] = '\0';
	/* A NUL inside would cut the name short silently: say so instead. */
	if (strlen(buf) != n)
		snprintf(buf, len, "<bad name>");
	return true;
}

int php_read_function(int mem, const struct php_info *pi, uint64_t addr, struct script_code *code,
		      bool with_strings)
{
	const struct php_offsets *o = &pi->off;
	char name[sizeof(code->qualname)], class[sizeof(code->qualname)];
	uint64_t class_name = 0;
	uint8_t hdr[FN_HEADER_MAX];
	uint32_t line_start;

	memset(code, 0, sizeof(*code));
	if (!addr || addr & 7 || o->fn_size > sizeof(hdr))
		return -EINVAL;
	if (script_read_mem(mem, addr, hdr, o->fn_size))
		return -EFAULT;
	if (hdr[o->fn_type] != o->user_function)
		return -EINVAL;
	memcpy(&code->qualname_addr, hdr + o->fn_name, 8);
	memcpy(&code->filename_addr, hdr + o->op_filename, 8);
	memcpy(&code->linetable_addr, hdr + o->fn_scope, 8);  /* the class: tells it too */
	memcpy(&line_start, hdr + o->op_line_start, 4);
	code->firstlineno = line_start < INT32_MAX ? (int)line_start : 0;
	if (!with_strings)
		return 0;
	if (!read_string(mem, o, code->filename_addr, code->filename, sizeof(code->filename)))
		return -EINVAL;
	/* A file's top level has no name. */
	if (!code->qualname_addr)
		snprintf(name, sizeof(name), "{main}");
	else if (!read_string(mem, o, code->qualname_addr, name, sizeof(name)))
		return -EINVAL;
	if (code->linetable_addr &&
	    (script_read_mem(mem, code->linetable_addr + o->ce_name, &class_name, 8) ||
	     !read_string(mem, o, class_name, class, sizeof(class))))
		return -EINVAL;
	if (code->linetable_addr)
		snprintf(code->qualname, sizeof(code->qualname), "%.120s::%.120s", class, name);
	else
		snprintf(code->qualname, sizeof(code->qualname), "%s", name);
	return 0;
}

/* ---- The runtime table's entry (runtime.h) ---- */

static int detect(pid_t pid, void *info, char *what, size_t len)
{
	struct php_info *pi = info;
	int r = php_detect(pid, pi);

	if (r == -ENOTSUP && pi->zts)
		snprintf(what, len, "PHP (engine API %u) thread-safe (ZTS) build in %s", pi->api,
			 pi->module);
	else if (r == -ENOTSUP && pi->api)
		snprintf(what, len, "PHP engine API %u in %s", pi->api, pi->module);
	else if (r == -ENOTSUP)
		snprintf(what, len, "PHP without a build id string in %s", pi->module);
	else if (r == 1)
		snprintf(what, len, "PHP 8.2 (engine API %u) in %s, offsets from the version table",
			 pi->api, pi->module);
	return r;
}

static void bpf_entry(const void *info, struct memleak_script_proc *v)
{
	const struct php_info *pi = info;
	const struct php_offsets *o = &pi->off;

	v->runtime = MEMLEAK_RUNTIME_PHP;
	v->runtime_addr = pi->globals_addr;
	v->php = (struct memleak_php_layout){
		.eg_current = o->eg_current,
		.ex_opline = o->ex_opline,
		.ex_func = o->ex_func,
		.ex_call_info = o->ex_call_info,
		.ex_prev = o->ex_prev,
		.fn_type = o->fn_type,
		.op_lineno = o->op_lineno,
		.call_top = o->call_top,
		.user_function = o->user_function,
	};
}

static bool in_eval(const void *info, uint64_t addr)
{
	const struct php_info *pi = info;

	return addr - 1 >= pi->eval_start && addr - 1 < pi->eval_end;
}

static int read_code(int mem, const void *info, uint64_t addr, struct script_code *c,
		     bool with_strings)
{
	return php_read_function(mem, info, addr, c, with_strings);
}

/* off1: the line the BPF side read from the frame's opline, plus 1. */
static int line(int firstlineno, const uint8_t *linetable, size_t len, uint64_t off1)
{
	return off1 ? (int)(off1 - 1) : firstlineno;
}

const struct script_runtime php_runtime = {
	.id = MEMLEAK_RUNTIME_PHP,
	.name = "php",
	.info_size = sizeof(struct php_info),
	.detect = detect,
	.bpf_entry = bpf_entry,
	.in_eval = in_eval,
	.read_code = read_code,
	.line = line,
};
