// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * Separate debug files on this machine (see debuginfo.h).  The build-id
 * tree is libdwfl's own lookup; the .gnu_debuglink places are the ones of
 * its default path (":.debug:/usr/lib/debug"), tried here because its
 * standard search cannot be asked to stop before debuginfod.
 */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif
#include <fcntl.h>
#include <libgen.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/stat.h>
#include <zlib.h>
#include <elfutils/libdwelf.h>
#include "symbols/debuginfo.h"

#define DEBUG_DIR "/usr/lib/debug"

/* The .gnu_debuglink CRC is zlib's CRC-32 of the whole debug file. */
static bool crc_matches(int fd, GElf_Word want)
{
	unsigned char buf[65536];
	uLong crc = crc32(0, NULL, 0);
	off_t off = 0;
	ssize_t n;

	while ((n = pread(fd, buf, sizeof(buf), off)) > 0) {
		crc = crc32(crc, buf, (uInt)n);
		off += n;
	}
	return n == 0 && (GElf_Word)crc == want;
}

static bool build_id_matches(int fd, const unsigned char *id, int len)
{
	Elf *elf = elf_begin(fd, ELF_C_READ_MMAP, NULL);
	const void *got = NULL;
	ssize_t n = elf ? dwelf_elf_gnu_build_id(elf, &got) : -1;
	bool ok = n == len && !memcmp(got, id, (size_t)len);

	if (elf)
		elf_end(elf);
	return ok;
}

/*
 * Open path if it is mod's debug file: not the object itself (a debuglink
 * may name a file beside it) and made from the same build.
 */
static int try_candidate(Dwfl_Module *mod, const char *path, const struct stat *object,
			 GElf_Word crc, char **name)
{
	const unsigned char *id;
	GElf_Addr vaddr;
	int len = dwfl_module_build_id(mod, &id, &vaddr);
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	struct stat st;
	bool ok;

	if (fd < 0)
		return -1;
	if (fstat(fd, &st) || (st.st_dev == object->st_dev && st.st_ino == object->st_ino))
		ok = false;
	else if (len > 0)
		ok = build_id_matches(fd, id, len);
	else
		ok = crc_matches(fd, crc);
	if (!ok || !(*name = strdup(path))) {
		close(fd);
		return -1;
	}
	return fd;
}

/* The debuglink name beside the object, in .debug/ there, under /usr/lib/debug. */
static int find_by_debuglink(Dwfl_Module *mod, const char *file_name, const char *link,
			     GElf_Word crc, char **name)
{
	static const char *const places[] = { "%s/%s", "%s/.debug/%s", DEBUG_DIR "%s/%s" };
	char *copy = strdup(file_name), *dir, *path;
	struct stat object;
	int fd = -1;
	size_t i;

	if (!copy)
		return -1;
	dir = dirname(copy);
	for (i = 0; fd < 0 && !stat(file_name, &object) && i < sizeof(places) / sizeof(places[0]);
	     i++) {
		if (asprintf(&path, places[i], dir, link) < 0)
			break;
		fd = try_candidate(mod, path, &object, crc, name);
		free(path);
	}
	free(copy);
	return fd;
}

int debuginfo_find_local(Dwfl_Module *mod, void **userdata, const char *modname,
			 Dwarf_Addr base, const char *file_name, const char *debuglink_file,
			 GElf_Word debuglink_crc, char **debuginfo_file_name)
{
	int fd = dwfl_build_id_find_debuginfo(mod, userdata, modname, base, file_name,
					      debuglink_file, debuglink_crc,
					      debuginfo_file_name);

	/* A name with a slash (a dwz alt file's path) is found by build id only. */
	if (fd >= 0 || !file_name || !debuglink_file || strchr(debuglink_file, '/'))
		return fd;
	return find_by_debuglink(mod, file_name, debuglink_file, debuglink_crc,
				 debuginfo_file_name);
}
