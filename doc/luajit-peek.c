// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * luajit-peek: the phase-1 prototype of doc/luajit-frames.md.  Reads the
 * Lua call stack of a running LuaJIT 2.1 process (an nginx worker with
 * the Lua module) from outside, through /proc/PID/mem, with the layout of
 * Debian 12's libluajit-5.1.so.2 (OpenResty 2.1-20230119, x86_64, GC64).
 *
 *   gcc -O2 -o /tmp/luajit-peek doc/luajit-peek.c
 *   kill -STOP $WORKER; /tmp/luajit-peek $WORKER; kill -CONT $WORKER
 *
 * Not part of the tracer: the tracer does the same walk in BPF
 * (bpf/script.bpf.c) and resolves names in user space (user/scripts/lua.c).
 */
#define _GNU_SOURCE
#include <fcntl.h>
#include <inttypes.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

/* lj_obj.h / lj_frame.h, GC64, x86_64 System V. */
#define L_GLREF		16
#define L_BASE		32
#define L_STACK		56
#define L_CFRAME	80
#define L_SIZE		112	/* GG_State.g follows the main lua_State */
#define G_MAINTHREF	192
#define G_CUR_L		368
#define G_JIT_BASE	376
#define FN_GCT		9
#define FN_FFID		10
#define FN_PC		32
#define PT_SIZE		104	/* the bytecode follows the GCproto */
#define PT_SIZEBC	12
#define PT_CHUNKNAME	64
#define PT_FIRSTLINE	72
#define PT_NUMLINE	76
#define PT_LINEINFO	80
#define STR_LEN		20
#define STR_DATA	24
#define CF_L		16
#define CF_PC		24
#define GCT_FUNC	8	/* ~LJ_TFUNC */
#define GCT_PROTO	7	/* ~LJ_TPROTO */
#define GCPTR_MASK	((1ULL << 47) - 1)

static int mem_fd;

static bool rd(uint64_t addr, void *buf, size_t len)
{
	return pread(mem_fd, buf, len, (off_t)addr) == (ssize_t)len;
}

static uint64_t q(uint64_t addr)
{
	uint64_t v = 0;

	rd(addr, &v, sizeof(v));
	return v;
}

static uint32_t d(uint64_t addr)
{
	uint32_t v = 0;

	rd(addr, &v, sizeof(v));
	return v;
}

/*
 * The GG_State (main lua_State, then global_State) of the process: the
 * lua_State whose glref points just past itself and whose global_State's
 * main thread points back to it.  A scan of writable anonymous mappings.
 */
static uint64_t find_gg(int pid)
{
	char path[64], line[512];
	static uint64_t buf[1 << 16];
	uint64_t gg = 0;
	FILE *maps;

	snprintf(path, sizeof(path), "/proc/%d/maps", pid);
	maps = fopen(path, "r");
	if (!maps)
		return 0;
	while (!gg && fgets(line, sizeof(line), maps)) {
		uint64_t lo, hi, ino;
		char perm[8];
		int n = 0;

		if (sscanf(line, "%" SCNx64 "-%" SCNx64 " %7s %*s %*s %" SCNu64 " %n",
			   &lo, &hi, perm, &ino, &n) < 4 || perm[1] != 'w' || ino)
			continue;
		for (uint64_t at = lo; !gg && at < hi; at += sizeof(buf)) {
			size_t len = hi - at < sizeof(buf) ? hi - at : sizeof(buf);
			size_t words = len / 8;

			if (!rd(at, buf, len))
				break;
			for (size_t i = 0; i + 2 < words; i++) {
				uint64_t a = at + i * 8;

				if (buf[i + 2] == a + L_SIZE &&
				    q(a + L_SIZE + G_MAINTHREF) == a) {
					gg = a;
					printf("GG_State at 0x%" PRIx64 " in %.*s", a, (int)strcspn(line, "\n"), line);
					printf(" (offset 0x%" PRIx64 " into the mapping)\n", a - lo);
					break;
				}
			}
		}
	}
	fclose(maps);
	return gg;
}

static void print_proto(uint64_t pt, int64_t pos)
{
	char name[256] = "?";
	uint64_t str = q(pt + PT_CHUNKNAME);
	uint32_t len = d(str + STR_LEN), sizebc = d(pt + PT_SIZEBC);
	int32_t first = (int32_t)d(pt + PT_FIRSTLINE), numline = (int32_t)d(pt + PT_NUMLINE);
	uint64_t lineinfo = q(pt + PT_LINEINFO);
	int64_t line = -1;

	if (len >= sizeof(name))
		len = sizeof(name) - 1;
	if (rd(str + STR_DATA, name, len))
		name[len] = 0;
	if (pos >= 0 && pos <= sizebc && lineinfo) {
		if (pos == sizebc)
			line = first + numline;
		else if (pos == 0)
			line = first;
		else if (numline < 256) {
			uint8_t v = 0;

			rd(lineinfo + pos - 1, &v, 1);
			line = first + v;
		} else if (numline < 65536) {
			uint16_t v = 0;

			rd(lineinfo + 2 * (pos - 1), &v, 2);
			line = first + v;
		} else {
			line = first + (int32_t)d(lineinfo + 4 * (pos - 1));
		}
	}
	printf("lua  %s:%" PRId64 "  (function at line %d, bc %" PRId64 ")\n", name, line, first, pos);
}

int main(int argc, char **argv)
{
	uint64_t gg, g, L, base, stack, cf, cf_pc, frame, next = 0, jit_base;
	char path[64];
	int pid, n = 0;

	if (argc != 2) {
		fprintf(stderr, "usage: luajit-peek PID\n");
		return 2;
	}
	pid = atoi(argv[1]);
	snprintf(path, sizeof(path), "/proc/%d/mem", pid);
	mem_fd = open(path, O_RDONLY);
	if (mem_fd < 0 || !(gg = find_gg(pid))) {
		fprintf(stderr, "luajit-peek: no LuaJIT state found in %d\n", pid);
		return 1;
	}
	g = gg + L_SIZE;
	L = q(g + G_CUR_L);
	jit_base = q(g + G_JIT_BASE);
	base = q(L + L_BASE);
	stack = q(L + L_STACK);
	cf = q(L + L_CFRAME) & ~3ULL;
	cf_pc = cf ? q(cf + CF_PC) : 0;
	printf("G 0x%" PRIx64 " cur_L 0x%" PRIx64 " (main %s) base 0x%" PRIx64
	       " cframe 0x%" PRIx64 " saved pc 0x%" PRIx64 " jit_base 0x%" PRIx64 "\n",
	       g, L, L == gg ? "yes" : "no", base, cf, cf_pc, jit_base);
	if (cf && cf_pc == q(cf + CF_L))
		cf_pc = 0;	/* the VM's "no pc yet" marker: L itself */
	if (jit_base)
		base = jit_base; /* running a trace: L->base is stale */
	/* Innermost first: frame = base-1 holds PC/ftsz, base-2 the function. */
	for (frame = base - 8; frame > stack + 8 && n < 64; n++) {
		uint64_t ftsz = q(frame), fn = q(frame - 8) & GCPTR_MASK;
		uint8_t gct = 0, ffid = 0;
		int type = ftsz & 3, typep = ftsz & 7;

		rd(fn + FN_GCT, &gct, 1);
		rd(fn + FN_FFID, &ffid, 1);
		if (typep == 3) {	/* vararg pseudo-frame: same function */
			frame -= ftsz & ~7ULL;
			continue;
		}
		if (gct != GCT_FUNC || fn == L) {
			printf("?    frame 0x%" PRIx64 " not a function (gct %u)\n", frame, gct);
		} else if (ffid == 0) {
			uint64_t bc = q(fn + FN_PC), pt = bc - PT_SIZE, ins = 0;

			if (!next)
				ins = cf_pc;		/* innermost: the cframe's saved PC */
			else if ((q(next) & 3) == 0)
				ins = q(next);		/* the callee's frame link */
			else if ((q(next) & 7) == 2)
				ins = q(next - 16);	/* continuation frame's PC */
			print_proto(pt, ins ? (int64_t)(ins - bc) / 4 - 1 : -1);
		} else {
			printf("C    %s function 0x%" PRIx64 "\n", ffid == 1 ? "C" : "fast", q(fn + FN_PC + 8) ? q(fn + 40) : 0);
		}
		printf("       frame type %d%s\n", type, typep == 5 ? " (cpcall)" : typep >= 6 ? " (pcall)" : "");
		next = frame;
		if (type == 0)	/* Lua frame: the CALL's A operand says where the caller's frame is */
			frame -= (2 + ((d(ftsz - 4) >> 8) & 0xff)) * 8;
		else
			frame -= ftsz & ~7ULL;
	}
	return 0;
}
