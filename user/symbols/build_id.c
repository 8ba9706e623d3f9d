// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/* NT_GNU_BUILD_ID from the note sections of an ELF file. */
#include <errno.h>
#include <fcntl.h>
#include <gelf.h>
#include <libelf.h>
#include <limits.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>
#include "symbols/build_id.h"

static int note_build_id(Elf *elf, char *hex, size_t len)
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
			if (!nhdr.n_descsz || nhdr.n_descsz * 2 + 1 > len)
				return -ENAMETOOLONG;
			for (i = 0; i < nhdr.n_descsz; i++)
				snprintf(hex + 2 * i, 3, "%02x", desc[i]);
			return 0;
		}
	}
	return -ENOENT;
}

static int read_file(const char *path, char *hex, size_t len)
{
	Elf *elf;
	int fd, err;

	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return -errno;
	elf = elf_begin(fd, ELF_C_READ_MMAP, NULL);
	err = elf ? note_build_id(elf, hex, len) : -EINVAL;
	elf_end(elf);
	close(fd);
	return err;
}

int build_id_read(const char *path, pid_t pid, char *hex, size_t len)
{
	char in_ns[PATH_MAX];
	int err;

	if (elf_version(EV_CURRENT) == EV_NONE)
		return -EINVAL;
	err = read_file(path, hex, len);
	if (err != -ENOENT && err != -EACCES)
		return err;
	if (pid <= 0 || path[0] != '/')
		return err;
	snprintf(in_ns, sizeof(in_ns), "/proc/%d/root%s", (int)pid, path);
	return read_file(in_ns, hex, len);
}
