// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/* Function lookup for uprobes, on top of libelf's symbol tables. */
#include <errno.h>
#include <gelf.h>
#include <libelf.h>
#include <string.h>
#include "probes/elf_syms.h"
#include "procs/proc_files.h"

/* "malloc" matches "malloc" and a versioned "malloc@GLIBC_2.2.5". */
static bool name_matches(const char *sym, const char *want)
{
	size_t n = strlen(want);

	return !strncmp(sym, want, n) && (sym[n] == '\0' || sym[n] == '@');
}

/* Virtual address -> file offset, through the PT_LOAD segment holding it. */
static bool vaddr_to_offset(Elf *elf, uint64_t vaddr, uint64_t *off)
{
	size_t i, nph;
	GElf_Phdr ph;

	if (elf_getphdrnum(elf, &nph))
		return false;
	for (i = 0; i < nph; i++) {
		if (!gelf_getphdr(elf, i, &ph) || ph.p_type != PT_LOAD)
			continue;
		if (vaddr >= ph.p_vaddr && vaddr < ph.p_vaddr + ph.p_filesz) {
			*off = vaddr - ph.p_vaddr + ph.p_offset;
			return true;
		}
	}
	return false;
}

/*
 * fn for every defined symbol with a value: .symtab first (it also holds
 * local, static definitions), then .dynsym.  The one walk over symbol
 * tables here; strtab is the section of the symbol's name.
 */
typedef void (*symbol_fn)(Elf *elf, size_t strtab, const GElf_Sym *sym, void *ctx);

static void each_symbol(Elf *elf, symbol_fn fn, void *ctx)
{
	int pass;

	for (pass = 0; pass < 2; pass++) {
		Elf64_Word want = pass == 0 ? SHT_SYMTAB : SHT_DYNSYM;
		Elf_Scn *scn = NULL;

		while ((scn = elf_nextscn(elf, scn))) {
			Elf_Data *data;
			size_t i, count;
			GElf_Shdr sh;
			GElf_Sym sym;

			if (!gelf_getshdr(scn, &sh) || sh.sh_type != want || !sh.sh_entsize)
				continue;
			data = elf_getdata(scn, NULL);
			if (!data)
				continue;
			count = sh.sh_size / sh.sh_entsize;
			for (i = 0; i < count; i++)
				if (gelf_getsym(data, (int)i, &sym) && sym.st_shndx != SHN_UNDEF &&
				    sym.st_value)
					fn(elf, sh.sh_link, &sym, ctx);
		}
	}
}

struct find_funcs {
	struct elf_func *funcs;
	size_t n;
	struct elf_info *info;
};

static void find_func(Elf *elf, size_t strtab, const GElf_Sym *sym, void *ctx)
{
	struct find_funcs *f = ctx;
	const char *name;
	size_t j;

	if (GELF_ST_TYPE(sym->st_info) != STT_FUNC)
		return;
	f->info->has_symbols = true;
	name = elf_strptr(elf, strtab, sym->st_name);
	for (j = 0; name && j < f->n; j++) {
		uint64_t off;

		if (f->funcs[j].found || !name_matches(name, f->funcs[j].name))
			continue;
		if (!vaddr_to_offset(elf, sym->st_value, &off))
			continue;
		f->funcs[j].found = true;
		f->funcs[j].file_offset = off;
		f->funcs[j].size = sym->st_size;
	}
}

static void read_interp(Elf *elf, struct elf_info *info)
{
	size_t i, nph, len;
	Elf_Data *data;
	GElf_Phdr ph;
	char *raw;

	if (elf_getphdrnum(elf, &nph))
		return;
	for (i = 0; i < nph; i++) {
		if (!gelf_getphdr(elf, i, &ph) || ph.p_type != PT_INTERP)
			continue;
		if (ph.p_filesz >= sizeof(info->interp))
			return;
		/* Only those bytes: elf_rawfile would read the whole file. */
		data = elf_getdata_rawchunk(elf, (int64_t)ph.p_offset, ph.p_filesz, ELF_T_BYTE);
		if (!data || !data->d_buf)
			return;
		len = data->d_size < ph.p_filesz ? data->d_size : ph.p_filesz;
		raw = data->d_buf;
		memcpy(info->interp, raw, len);
		ph.p_filesz = len;
		info->interp[ph.p_filesz] = '\0';
		info->has_interp = true;
		return;
	}
}

int elf_find_funcs_in(Elf *elf, struct elf_func *funcs, size_t n, struct elf_info *info)
{
	struct elf_info dummy;
	size_t i, found = 0;

	if (!info)
		info = &dummy;
	memset(info, 0, sizeof(*info));
	for (i = 0; i < n; i++)
		funcs[i].found = false;
	if (!elf || elf_kind(elf) != ELF_K_ELF)
		return -ENOEXEC;
	read_interp(elf, info);
	each_symbol(elf, find_func, &(struct find_funcs){ funcs, n, info });
	for (i = 0; i < n; i++)
		found += funcs[i].found;
	return (int)found;
}

int elf_find_funcs(int fd, struct elf_func *funcs, size_t n, struct elf_info *info)
{
	Elf *elf;
	int found;

	/* The target's file, maybe: a regular file, bounded (proc_files.h). */
	if (proc_file_check_fd(fd, &proc_rules_elf)) {
		elf_find_funcs_in(NULL, funcs, n, info); /* outputs reset */
		return -EPERM;
	}
	elf_version(EV_CURRENT);
	/*
	 * Read through pread, not mmap: a target truncating the file under
	 * the mapping would raise SIGBUS here, at attach.
	 */
	elf = elf_begin(fd, ELF_C_READ, NULL);
	found = elf_find_funcs_in(elf, funcs, n, info); /* outputs reset even without elf */
	elf_end(elf);
	return elf ? found : -EINVAL;
}

struct each_func {
	void (*each)(uint64_t file_offset, void *ctx);
	void *ctx;
};

static void each_func_offset(Elf *elf, size_t strtab, const GElf_Sym *sym, void *ctx)
{
	struct each_func *e = ctx;
	uint64_t off;

	if (GELF_ST_TYPE(sym->st_info) == STT_FUNC && vaddr_to_offset(elf, sym->st_value, &off))
		e->each(off, e->ctx);
}

int elf_each_func(int fd, void (*each)(uint64_t file_offset, void *ctx), void *ctx)
{
	Elf *elf;

	if (proc_file_check_fd(fd, &proc_rules_elf))
		return -EPERM;
	elf_version(EV_CURRENT);
	elf = elf_begin(fd, ELF_C_READ, NULL); /* pread: see elf_find_funcs() */
	if (!elf)
		return -EINVAL;
	if (elf_kind(elf) != ELF_K_ELF) {
		elf_end(elf);
		return -ENOEXEC;
	}
	each_symbol(elf, each_func_offset, &(struct each_func){ each, ctx });
	elf_end(elf);
	return 0;
}

struct find_symbols {
	struct elf_symbol *syms;
	size_t n;
};

static void find_symbol(Elf *elf, size_t strtab, const GElf_Sym *sym, void *ctx)
{
	struct find_symbols *f = ctx;
	int type = GELF_ST_TYPE(sym->st_info);
	const char *name;
	size_t j;

	if (type != STT_FUNC && type != STT_OBJECT)
		return;
	name = elf_strptr(elf, strtab, sym->st_name);
	for (j = 0; name && j < f->n; j++) {
		if (f->syms[j].found || !name_matches(name, f->syms[j].name))
			continue;
		f->syms[j].found = true;
		f->syms[j].vaddr = sym->st_value;
		f->syms[j].size = sym->st_size;
	}
}

int elf_find_symbols_in(Elf *elf, struct elf_symbol *syms, size_t n)
{
	size_t i, found = 0;

	for (i = 0; i < n; i++)
		syms[i].found = false;
	if (!elf || elf_kind(elf) != ELF_K_ELF)
		return -ENOEXEC;
	each_symbol(elf, find_symbol, &(struct find_symbols){ syms, n });
	for (i = 0; i < n; i++)
		found += syms[i].found;
	return (int)found;
}

int elf_first_load(Elf *elf, uint64_t *vaddr)
{
	size_t i, nph;
	GElf_Phdr ph;

	if (!elf || elf_getphdrnum(elf, &nph))
		return -ENOEXEC;
	for (i = 0; i < nph; i++) {
		if (gelf_getphdr(elf, i, &ph) && ph.p_type == PT_LOAD) {
			*vaddr = ph.p_vaddr & ~4095ULL;
			return 0;
		}
	}
	return -ENOEXEC;
}
