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

static void scan_symtab(Elf *elf, Elf_Scn *scn, GElf_Shdr *sh,
			struct elf_func *funcs, size_t n, struct elf_info *info)
{
	Elf_Data *data = elf_getdata(scn, NULL);
	size_t i, j, count;
	GElf_Sym sym;

	if (!data || !sh->sh_entsize)
		return;
	count = sh->sh_size / sh->sh_entsize;
	for (i = 0; i < count; i++) {
		const char *name;

		if (!gelf_getsym(data, i, &sym) || GELF_ST_TYPE(sym.st_info) != STT_FUNC ||
		    sym.st_shndx == SHN_UNDEF || !sym.st_value)
			continue;
		info->has_symbols = true;
		name = elf_strptr(elf, sh->sh_link, sym.st_name);
		if (!name)
			continue;
		for (j = 0; j < n; j++) {
			uint64_t off;

			if (funcs[j].found || !name_matches(name, funcs[j].name))
				continue;
			if (!vaddr_to_offset(elf, sym.st_value, &off))
				continue;
			funcs[j].found = true;
			funcs[j].file_offset = off;
			funcs[j].size = sym.st_size;
		}
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
	Elf_Scn *scn = NULL;
	struct elf_info dummy;
	GElf_Shdr sh;
	size_t i, found = 0;
	int pass;

	if (!info)
		info = &dummy;
	memset(info, 0, sizeof(*info));
	for (i = 0; i < n; i++)
		funcs[i].found = false;
	if (!elf || elf_kind(elf) != ELF_K_ELF)
		return -ENOEXEC;
	read_interp(elf, info);
	/* .symtab first: it also holds local (static) definitions. */
	for (pass = 0; pass < 2; pass++) {
		Elf64_Word want = pass == 0 ? SHT_SYMTAB : SHT_DYNSYM;

		scn = NULL;
		while ((scn = elf_nextscn(elf, scn))) {
			if (gelf_getshdr(scn, &sh) && sh.sh_type == want)
				scan_symtab(elf, scn, &sh, funcs, n, info);
		}
	}
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

static void each_in_symtab(Elf *elf, Elf_Scn *scn, const GElf_Shdr *sh,
			   void (*each)(uint64_t, void *), void *ctx)
{
	Elf_Data *data = elf_getdata(scn, NULL);
	size_t i, count;
	GElf_Sym sym;

	if (!data || !sh->sh_entsize)
		return;
	count = sh->sh_size / sh->sh_entsize;
	for (i = 0; i < count; i++) {
		uint64_t off;

		if (!gelf_getsym(data, i, &sym) || GELF_ST_TYPE(sym.st_info) != STT_FUNC ||
		    sym.st_shndx == SHN_UNDEF || !sym.st_value)
			continue;
		if (vaddr_to_offset(elf, sym.st_value, &off))
			each(off, ctx);
	}
}

int elf_each_func(int fd, void (*each)(uint64_t file_offset, void *ctx), void *ctx)
{
	Elf_Scn *scn = NULL;
	GElf_Shdr sh;
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
	while ((scn = elf_nextscn(elf, scn)))
		if (gelf_getshdr(scn, &sh) && (sh.sh_type == SHT_SYMTAB || sh.sh_type == SHT_DYNSYM))
			each_in_symtab(elf, scn, &sh, each, ctx);
	elf_end(elf);
	return 0;
}

static void symbols_in_symtab(Elf *elf, Elf_Scn *scn, const GElf_Shdr *sh,
			      struct elf_symbol *syms, size_t n)
{
	Elf_Data *data = elf_getdata(scn, NULL);
	size_t i, j, count;
	GElf_Sym sym;

	if (!data || !sh->sh_entsize)
		return;
	count = sh->sh_size / sh->sh_entsize;
	for (i = 0; i < count; i++) {
		int type;
		const char *name;

		if (!gelf_getsym(data, i, &sym) || sym.st_shndx == SHN_UNDEF || !sym.st_value)
			continue;
		type = GELF_ST_TYPE(sym.st_info);
		if (type != STT_FUNC && type != STT_OBJECT)
			continue;
		name = elf_strptr(elf, sh->sh_link, sym.st_name);
		for (j = 0; name && j < n; j++) {
			if (syms[j].found || !name_matches(name, syms[j].name))
				continue;
			syms[j].found = true;
			syms[j].vaddr = sym.st_value;
			syms[j].size = sym.st_size;
		}
	}
}

int elf_find_symbols_in(Elf *elf, struct elf_symbol *syms, size_t n)
{
	Elf_Scn *scn;
	GElf_Shdr sh;
	size_t i, found = 0;

	for (i = 0; i < n; i++)
		syms[i].found = false;
	if (!elf || elf_kind(elf) != ELF_K_ELF)
		return -ENOEXEC;
	for (int pass = 0; pass < 2; pass++) {
		Elf64_Word want = pass == 0 ? SHT_SYMTAB : SHT_DYNSYM;

		scn = NULL;
		while ((scn = elf_nextscn(elf, scn)))
			if (gelf_getshdr(scn, &sh) && sh.sh_type == want)
				symbols_in_symtab(elf, scn, &sh, syms, n);
	}
	for (i = 0; i < n; i++)
		found += syms[i].found;
	return (int)found;
}
