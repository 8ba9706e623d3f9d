// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * LuaJIT script frames, the parts that read a prototype: a GCproto of
 * LuaJIT 2.1's GC64 layout built here, read back through /proc/self/mem
 * as the tracer reads a worker's: its chunk name, lines by bytecode
 * position, and the names its calls give the functions they call.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <errno.h>
#include <fcntl.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "scripts/lua.h"

/* Bytecodes (lj_bc.h of 2.1) and the instruction formats A|op, A|D<<16, A|C<<16|B<<24. */
enum { MOV = 18, UGET = 45, KSTR = 39, GGET = 54, TGETS = 57, CALLM = 65, CALL = 66, FUNCF = 89 };
#define INS_AD(op, a, d) ((uint32_t)(op) | (uint32_t)(a) << 8 | (uint32_t)(d) << 16)
#define INS_ABC(op, a, b, c) ((uint32_t)(op) | (uint32_t)(a) << 8 | (uint32_t)(c) << 16 | (uint32_t)(b) << 24)

struct fake_str {
	uint8_t hdr[24];
	char text[40];
} __attribute__((aligned(8)));

/* The prototype's header and bytecode, as LuaJIT allocates them: one block. */
static struct {
	uint64_t kgc[3];          /* collectable constants: k[-1], k[-2], k[-3] */
	uint8_t hdr[104];
	uint32_t bc[12];
} __attribute__((aligned(8))) proto;

static struct fake_str chunk, kstr[3];
static uint8_t lineinfo[11];
static const char uvinfo[] = "helper\0counter\0";
static int mem = -1;

static void make_str(struct fake_str *s, const char *text)
{
	uint32_t len = (uint32_t)strlen(text);

	memset(s, 0, sizeof(*s));
	s->hdr[9] = 4;                 /* ~LJ_TSTR */
	memcpy(s->hdr + 20, &len, 4);
	memcpy(s->text, text, len + 1);
}

static void put(size_t off, const void *v, size_t len)
{
	memcpy(proto.hdr + off, v, len);
}

static int setup(void **state)
{
	uint64_t k = (uint64_t)(uintptr_t)&proto.hdr, p;
	uint32_t sizebc = 12, sizekgc = 3;
	int32_t first = 40, numline = 9;
	uint8_t sizeuv = 2;
	int i;

	make_str(&chunk, "@/srv/app/handler.lua");
	make_str(&kstr[0], "ngx_log");       /* k[-1] */
	make_str(&kstr[1], "render");        /* k[-2] */
	make_str(&kstr[2], "cache");         /* k[-3] */
	for (i = 0; i < 3; i++)
		proto.kgc[2 - i] = (uint64_t)(uintptr_t)&kstr[i];
	memset(proto.hdr, 0, sizeof(proto.hdr));
	proto.hdr[9] = 7;                    /* ~LJ_TPROTO */
	put(12, &sizebc, 4);
	put(32, &k, 8);                      /* k points between the halves: here, the header */
	put(48, &sizekgc, 4);
	put(60, &sizeuv, 1);
	p = (uint64_t)(uintptr_t)&chunk;
	put(64, &p, 8);
	put(72, &first, 4);
	put(76, &numline, 4);
	p = (uint64_t)(uintptr_t)lineinfo;
	put(80, &p, 8);
	p = (uint64_t)(uintptr_t)uvinfo;
	put(88, &p, 8);
	/* The function: line 40 declares it, its body runs lines 41-44. */
	proto.bc[0] = INS_AD(FUNCF, 5, 0);
	proto.bc[1] = INS_AD(GGET, 2, 0);        /* 41: slot 2 = _G.ngx_log */
	proto.bc[2] = INS_AD(CALL, 2, 1);        /* 41: ngx_log() */
	proto.bc[3] = INS_AD(UGET, 3, 0);        /* 42: slot 3 = upvalue helper */
	proto.bc[4] = INS_AD(MOV, 4, 3);         /* 42: slot 4 = slot 3 */
	proto.bc[5] = INS_AD(CALL, 4, 1);        /* 42: helper() */
	proto.bc[6] = INS_AD(UGET, 2, 1);        /* 43: slot 2 = upvalue counter (a table) */
	proto.bc[7] = INS_ABC(TGETS, 3, 2, 1);   /* 43: slot 3 = counter.render */
	proto.bc[8] = INS_AD(CALL, 3, 1);        /* 43: counter.render() */
	proto.bc[9] = INS_AD(CALLM, 1, 0);       /* 44: a call whose results overwrite slots 1.. */
	proto.bc[10] = INS_AD(CALL, 3, 1);       /* 44: slot 3 came from that call */
	proto.bc[11] = INS_AD(KSTR, 6, 2);       /* 44 */
	{
		static const uint8_t lines[11] = { 1, 1, 2, 2, 2, 3, 3, 3, 4, 4, 4 };

		memcpy(lineinfo, lines, sizeof(lines));
	}
	mem = open("/proc/self/mem", O_RDONLY);
	return mem < 0;
}

static int teardown(void **state)
{
	close(mem);
	return 0;
}

static uint64_t proto_addr(void)
{
	return (uint64_t)(uintptr_t)proto.hdr;
}

static void reads_proto_and_lines(void **state)
{
	struct lua_proto pt;

	assert_int_equal(lua_read_proto(mem, proto_addr(), &pt, true), 0);
	assert_string_equal(pt.chunk, "/srv/app/handler.lua");
	assert_int_equal(pt.firstline, 40);
	assert_int_equal(pt.sizebc, 12);
	assert_int_equal(pt.lineinfo_len, 11);
	assert_int_equal(lua_proto_line(&pt, 0), 40);   /* FUNCF: the declaration */
	assert_int_equal(lua_proto_line(&pt, 2), 41);
	assert_int_equal(lua_proto_line(&pt, 5), 42);
	assert_int_equal(lua_proto_line(&pt, 11), 44);
	assert_int_equal(lua_proto_line(&pt, 12), 49);  /* past the last: its end */
	assert_int_equal(lua_proto_line(&pt, 13), 0);
	free(pt.lineinfo);
	/* Without strings: only what tells the object. */
	assert_int_equal(lua_read_proto(mem, proto_addr(), &pt, false), 0);
	assert_null(pt.lineinfo);
	assert_int_equal(pt.chunk[0], '\0');
}

static void rejects_what_is_no_proto(void **state)
{
	struct lua_proto pt;

	assert_int_equal(lua_read_proto(mem, (uint64_t)(uintptr_t)&chunk, &pt, true), -EINVAL);
	assert_int_equal(lua_read_proto(mem, proto_addr() + 4, &pt, true), -EINVAL);
	assert_int_equal(lua_read_proto(mem, 0, &pt, true), -EINVAL);
	assert_int_equal(lua_read_proto(mem, 8, &pt, true), -EFAULT);
}

static void names_callees(void **state)
{
	char name[64];

	assert_true(lua_callee_name(mem, proto_addr(), 2, name, sizeof(name)));
	assert_string_equal(name, "ngx_log");           /* a global */
	assert_true(lua_callee_name(mem, proto_addr(), 5, name, sizeof(name)));
	assert_string_equal(name, "helper");            /* an upvalue, through a MOV */
	assert_true(lua_callee_name(mem, proto_addr(), 8, name, sizeof(name)));
	assert_string_equal(name, "render");            /* a field */
	/* The function came from an earlier call's results: no name. */
	assert_false(lua_callee_name(mem, proto_addr(), 10, name, sizeof(name)));
	/* Not a call, or out of the bytecode. */
	assert_false(lua_callee_name(mem, proto_addr(), 11, name, sizeof(name)));
	assert_false(lua_callee_name(mem, proto_addr(), 0, name, sizeof(name)));
	assert_false(lua_callee_name(mem, proto_addr(), 40, name, sizeof(name)));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(reads_proto_and_lines),
		cmocka_unit_test(rejects_what_is_no_proto),
		cmocka_unit_test(names_callees),
	};

	return cmocka_run_group_tests(tests, setup, teardown);
}
