// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/* NT_GNU_BUILD_ID from the note sections of an ELF file. */
#include <errno.h>
#include <fcntl.h>
#include <gelf.h>
#include <libelf.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>
#include <sys/stat.h>
#include "procs/proc_files.h"
#include "symbols/build_id.h"

int build_id_of_elf(Elf *elf, char *hex, size_t len)
{
	Elf_Scn *scn = NULL;

	while ((scn = elf_nextscn(elf, scn))) {
		GElf_Shdr shdr;
		GElf_Nhdr nhdr;
		Elf_Data *data;
		size_t off = 0, name_off, desc_off;

		if (!gelf_getshdr(scn, &shdr) || shdr.sh_type != SHT_NOTE)
			continue;
		data = elf_getdata(scn, NULL);
		if (!data)
			continue;
		while ((off = gelf_getnote(data, off, &nhdr, &name_off, &desc_off)) > 0) {
			const unsigned char *desc = (const unsigned char *)data->d_buf + desc_off;
			size_t i;

			if (nhdr.n_type != NT_GNU_BUILD_ID || nhdr.n_namesz != 4 ||
			    memcmp((const char *)data->d_buf + name_off, "GNU", 4))
				continue;
			/* Not n_descsz * 2 + 1 > len: 32 bits, it wraps past 2 GiB. */
			if (!nhdr.n_descsz || !len || nhdr.n_descsz > (len - 1) / 2)
				return -ENAMETOOLONG;
			for (i = 0; i < nhdr.n_descsz; i++)
				snprintf(hex + 2 * i, 3, "%02x", desc[i]);
			return 0;
		}
	}
	return -ENOENT;
}

/*
 * The build id of the ELF file open on fd, which is closed.  Read through
 * pread (ELF_C_READ), not mmap: the file may be the target's, and a file
 * truncated under an mmap raises SIGBUS.
 */
static int read_fd(int fd, char *hex, size_t len)
{
	Elf *elf = elf_begin(fd, ELF_C_READ, NULL);
	int err = elf ? build_id_of_elf(elf, hex, len) : -EINVAL;

	elf_end(elf);
	close(fd);
	return err;
}

int build_id_read(const char *path, pid_t pid, char *hex, size_t len)
{
	struct stat st;
	int fd;

	if (elf_version(EV_CURRENT) == EV_NONE || path[0] != '/')
		return -EINVAL;
	/*
	 * A process's path names a file in its own root, which may hold
	 * another file than ours under the same name: never ours instead.
	 */
	fd = proc_file_open(pid > 0 ? pid : 0, path, &proc_rules_elf, &st);
	return fd < 0 ? fd : read_fd(fd, hex, len);
}
