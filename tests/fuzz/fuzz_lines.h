/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/*
 * Shared by the line-based harnesses: the input cut into lines the way the
 * tracer reads them (getline: each line ends with its '\n', the last one
 * perhaps without), each a NUL-terminated copy of exactly its bytes in a
 * buffer of its own so that AddressSanitizer sees any read past it.
 */
#ifndef FUZZ_LINES_H
#define FUZZ_LINES_H

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

/* Call fn on each line of data[0, size); stops at the first NUL byte, as C strings do. */
static inline void fuzz_each_line(const uint8_t *data, size_t size,
				  void (*fn)(const char *line, size_t len))
{
	const uint8_t *nul = memchr(data, '\0', size);
	size_t off = 0;

	if (nul)
		size = (size_t)(nul - data);
	while (off < size) {
		const uint8_t *eol = memchr(data + off, '\n', size - off);
		size_t len = eol ? (size_t)(eol - (data + off)) + 1 : size - off;
		char *line = malloc(len + 1);

		if (!line)
			abort();
		memcpy(line, data + off, len);
		line[len] = '\0';
		fn(line, len);
		free(line);
		off += len;
	}
}

/* data as one NUL-terminated string in a buffer of its own size; free it. */
static inline char *fuzz_string(const uint8_t *data, size_t size)
{
	char *s = malloc(size + 1);

	if (!s)
		abort();
	memcpy(s, data, size);
	s[size] = '\0';
	return s;
}

#endif
