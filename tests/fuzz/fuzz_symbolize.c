// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * Symbolization of a frame in an object the target maps (its executable,
 * its libraries: files it may have crafted): function name and offset from
 * the symbol table, file:line from .debug_line, inlined functions from the
 * DWARF scopes, through symbolizer_resolve_inline() as a report calls it.
 * The input is the object's file; it is "mapped" at BASE and the frames
 * looked up are those of its function symbols (the start, the middle and
 * the end of each), as a leak's return address would be.
 */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE /* memfd_create */
#endif
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/mman.h>
#include "symbols/symbolize.h"
#include "fuzz_elf.h"

/* No process has this id (pid_max is at most 2^22): no /proc file is read. */
#define FAKE_PID	0x7ffffff0
#define BASE		0x7f0000000000ull
/* Frames looked up per input: enough for the seeds' functions. */
#define MAX_ADDRS	64

static size_t function_addrs(Elf *elf, uint64_t *addrs, size_t max)
{
	Elf_Scn *scn = NULL;
	size_t n = 0;

	while ((scn = elf_nextscn(elf, scn)) && n < max) {
		Elf_Data *data;
		GElf_Shdr sh;
		GElf_Sym sym;

		if (!gelf_getshdr(scn, &sh) || (sh.sh_type != SHT_SYMTAB && sh.sh_type != SHT_DYNSYM) ||
		    !sh.sh_entsize || !(data = elf_getdata(scn, NULL)))
			continue;
		for (size_t i = 0; i < sh.sh_size / sh.sh_entsize && n + 3 <= max; i++) {
			if (!gelf_getsym(data, (int)i, &sym) || GELF_ST_TYPE(sym.st_info) != STT_FUNC ||
			    !sym.st_value)
				continue;
			/* Return addresses: one past a call inside the function. */
			addrs[n++] = BASE + sym.st_value + 1;
			addrs[n++] = BASE + sym.st_value + sym.st_size / 2;
			addrs[n++] = BASE + sym.st_value + sym.st_size;
		}
	}
	return n;
}

static void check_frames(const struct frame *f, size_t n, uint64_t addr)
{
	if (n < 1 || n > SYMBOLIZER_MAX_INLINE + 1)
		abort();
	for (size_t i = 0; i < n; i++) {
		if (f[i].addr != addr || (i + 1 < n && !f[i].inlined) || f[n - 1].inlined)
			abort();
		/* Strings are read, as the renderers do. */
		if ((f[i].symbol && strlen(f[i].symbol) > (1u << 30)) ||
		    (f[i].file && strlen(f[i].file) > (1u << 30)) ||
		    (f[i].module && strlen(f[i].module) > (1u << 30)))
			abort();
	}
}

/*
 * libdw 0.188's dwarf_getscopes leaks the scopes it found when the inlined
 * instance at the address names no readable DW_AT_abstract_origin (32
 * bytes and more; the tracer pays it once per frame address, which it then
 * caches).  Not ours to fix: suppressed by name, which needs whole stacks.
 */
const char *__asan_default_options(void);
const char *__asan_default_options(void)
{
	return "fast_unwind_on_malloc=0";
}

const char *__lsan_default_suppressions(void);
const char *__lsan_default_suppressions(void)
{
	return "leak:dwarf_getscopes\n";
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct frame frames[SYMBOLIZER_MAX_INLINE + 1];
	uint64_t addrs[MAX_ADDRS];
	struct symbolizer *s;
	size_t naddrs, n;
	char *image;
	Elf *elf = fuzz_elf_begin(data, size, &image);
	int fd;

	if (!elf)
		return 0;
	naddrs = function_addrs(elf, addrs, MAX_ADDRS);
	fuzz_elf_end(elf, image);
	if (!naddrs)
		return 0;
	fd = memfd_create("fuzz_symbolize", MFD_CLOEXEC);
	if (fd < 0 || write(fd, data, size) != (ssize_t)size)
		abort();
	s = symbolizer_new();
	if (!s)
		abort();
	if (!symbolizer_add_object(s, FAKE_PID, fd, "/fuzz/object.so", BASE)) {
		for (size_t i = 0; i < naddrs; i++) {
			n = symbolizer_resolve_inline(s, FAKE_PID, addrs[i], frames,
						      SYMBOLIZER_MAX_INLINE + 1);
			check_frames(frames, n, addrs[i]);
			/* Again: the cached chain, as the next report gets it. */
			n = symbolizer_resolve_inline(s, FAKE_PID, addrs[i], frames,
						      SYMBOLIZER_MAX_INLINE + 1);
			check_frames(frames, n, addrs[i]);
		}
	}
	symbolizer_free(s);
	return 0;
}
