// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * Separate debug files on this machine (see debuginfo.h).  The build-id
 * tree and the .gnu_debuglink places are those of libdwfl's default path
 * (":.debug:/usr/lib/debug"), tried here because its standard search opens
 * whatever the object names with open(2), and cannot be asked to stop
 * before debuginfod.
 */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif
#include <errno.h>
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
#include "procs/proc_files.h"
#include "symbols/debuginfo.h"

#define DEBUG_DIR "/usr/lib/debug"

/*
 * A debug file matched by CRC (its object has no build id) is read whole,
 * again at each rebuild of the process's modules: at most this much.  The
 * file is the target's to choose: a fresh 1 GiB sparse one cost 5.7 s of
 * the tracer per candidate place (three per object); 64 MiB, 0.07 s.  Debug
 * files of objects without a build id are small programs' (every
 * distribution builds with build ids).
 */
#define CRC_MAX_BYTES (64ull << 20)

/* The .gnu_debuglink CRC is zlib's CRC-32 of the whole debug file. */
static bool crc_matches(int fd, off_t size, GElf_Word want)
{
	unsigned char buf[65536];
	uLong crc = crc32(0, NULL, 0);
	off_t off = 0;
	ssize_t n = 0;

	if ((uint64_t)size > CRC_MAX_BYTES)
		return false;
	/* Up to the size seen at open: a file growing meanwhile ends there. */
	while (off < size && (n = pread(fd, buf, sizeof(buf), off)) > 0) {
		crc = crc32(crc, buf, (uInt)n);
		off += n;
	}
	return off == size && (GElf_Word)crc == want;
}

/* Read through pread (ELF_C_READ): a truncated file cannot raise SIGBUS. */
static bool build_id_matches(int fd, const unsigned char *id, int len)
{
	Elf *elf = elf_begin(fd, ELF_C_READ, NULL);
	const void *got = NULL;
	ssize_t n = elf ? dwelf_elf_gnu_build_id(elf, &got) : -1;
	bool ok = n == len && !memcmp(got, id, (size_t)len);

	if (elf)
		elf_end(elf);
	return ok;
}

/*
 * Open path in pid's root if it is mod's debug file: not the object itself
 * (a debuglink may name a file beside it) and made from the same build.
 */
static int try_candidate(Dwfl_Module *mod, pid_t pid, const char *path,
			 const struct stat *object, GElf_Word crc, char **name)
{
	const unsigned char *id;
	GElf_Addr vaddr;
	int len = dwfl_module_build_id(mod, &id, &vaddr);
	struct stat st;
	int fd = proc_file_open(pid, path, &proc_rules_debug_file, &st);
	bool ok;

	if (fd < 0)
		return -1;
	if (object && st.st_dev == object->st_dev && st.st_ino == object->st_ino)
		ok = false;
	else if (len > 0)
		ok = build_id_matches(fd, id, len);
	else
		ok = crc_matches(fd, st.st_size, crc);
	if (!ok || !(*name = strdup(path))) {
		close(fd);
		return -1;
	}
	return fd;
}

/* /usr/lib/debug/.build-id/xx/yyyy.debug of this machine. */
static int find_by_build_id(Dwfl_Module *mod, char **name)
{
	char path[sizeof(DEBUG_DIR "/.build-id/") + 2 * 64 + 8];
	const unsigned char *id;
	GElf_Addr vaddr;
	int len = dwfl_module_build_id(mod, &id, &vaddr);
	size_t off;

	if (len <= 1 || len > 64)
		return -1;
	off = (size_t)snprintf(path, sizeof(path), DEBUG_DIR "/.build-id/%02x/", id[0]);
	for (int i = 1; i < len; i++)
		off += (size_t)snprintf(path + off, sizeof(path) - off, "%02x", id[i]);
	snprintf(path + off, sizeof(path) - off, ".debug");
	return try_candidate(mod, 0, path, NULL, 0, name);
}

/* A debuglink is a file name: nothing that climbs or descends. */
static bool plain_name(const char *link)
{
	return link[0] && !strchr(link, '/') && strcmp(link, ".") && strcmp(link, "..");
}

/* The debuglink name beside the object, in .debug/ there, under /usr/lib/debug. */
static int find_by_debuglink(Dwfl_Module *mod, pid_t pid, const char *file_name,
			     const char *link, GElf_Word crc, char **name)
{
	static const char *const places[] = { "%s/%s", "%s/.debug/%s", DEBUG_DIR "%s/%s" };
	char *copy, *dir, *path;
	struct stat object;
	int fd = -1, ofd;
	size_t i;

	if (pid <= 0 || file_name[0] != '/')
		return -1;
	ofd = proc_open_in_root(pid, file_name, O_PATH);
	if (ofd < 0)
		return -1;
	i = fstat(ofd, &object);
	close(ofd);
	if (i || !(copy = strdup(file_name)))
		return -1;
	dir = dirname(copy);
	if (!strcmp(dir, "/"))
		dir = "";
	for (i = 0; fd < 0 && i < sizeof(places) / sizeof(places[0]); i++) {
		if (asprintf(&path, places[i], dir, link) < 0)
			break;
		fd = try_candidate(mod, pid, path, &object, crc, name);
		free(path);
	}
	free(copy);
	return fd;
}

int debuginfo_find(Dwfl_Module *mod, pid_t pid, const char *file_name,
		   const char *debuglink_file, GElf_Word debuglink_crc,
		   char **debuginfo_file_name)
{
	void *ud = NULL;
	int fd;

	/*
	 * A name with a slash is a dwz alt file's: found by the build id its
	 * DWARF names, which only libdwfl can read, under this machine's
	 * /usr/lib/debug (root's), as the rest of the build-id tree.
	 */
	if (debuglink_file && strchr(debuglink_file, '/'))
		return dwfl_build_id_find_debuginfo(mod, &ud, NULL, 0, file_name, debuglink_file,
						    debuglink_crc, debuginfo_file_name);
	fd = find_by_build_id(mod, debuginfo_file_name);
	if (fd >= 0 || !file_name || !debuglink_file || !plain_name(debuglink_file))
		return fd;
	return find_by_debuglink(mod, pid, file_name, debuglink_file, debuglink_crc,
				 debuginfo_file_name);
}
