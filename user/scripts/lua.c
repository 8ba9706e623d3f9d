// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * LuaJIT, found and read from outside the process (lua.h).
 *
 * LuaJIT keeps no global that leads to its state: every lua_State of a
 * VM points to its global_State, and the main one shares an allocation
 * with it (GG_State: the main lua_State, then the global_State).  That
 * allocation is recognized by its self-references: the main lua_State's
 * glref points just past itself, and the global_State's main thread
 * points back.  It is looked for once per process in its writable
 * anonymous mappings (LuaJIT's allocator maps its own memory), a bounded
 * number of bytes; nginx creates its Lua VM in the master, so every
 * worker has it at the same address and from its first instruction.
 * A uprobe on lua_resume or lua_pcall would see the state too, but only
 * when the next request comes, at a cost for every request after.
 *
 * The layout is the one of LuaJIT 2.1 in 64-bit GC mode (GC64, the
 * default on x86_64 since 2.1.0-beta4; Debian's libluajit2 2.1-20230119):
 * what the scan finds checks it, and a build it does not fit (32-bit GC
 * references) is said once and gets native frames.  The offsets are from
 * lj_obj.h, lj_frame.h and lj_jit.h of that version.
 *
 * Prototypes are read with bounded preads: every pointer is the target's.
 */
#include <errno.h>
#include <fcntl.h>
#include <gelf.h>
#include <libelf.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <elfutils/libdw.h>
#include "procs/proc_files.h"
#include "procs/proc_maps.h"
#include "scripts/lua.h"

/* Bytes of anonymous memory looked through for the state, per process. */
#define SCAN_MAX (512ULL << 20)
#define SCAN_CHUNK (1ULL << 20)

/* GG_State: the main lua_State (112 bytes), the global_State, the JIT's state. */
#define GG_G 112
#define GG_DISPATCH 4120        /* GG_State.dispatch: the VM's instruction table */
#define L_GCT 9
#define L_GLREF 16
#define G_MAINTHREF 192
#define G_J 736                 /* GG_State.J - GG_State.g */
#define GCT_THREAD 6            /* ~LJ_TTHREAD */
#define GCT_PROTO 7             /* ~LJ_TPROTO */
#define GCT_STR 4               /* ~LJ_TSTR */

/* GCproto */
#define PT_GCT 9
#define PT_SIZEBC 12
#define PT_K 32
#define PT_SIZEKGC 48
#define PT_SIZEUV 60
#define PT_CHUNKNAME 64
#define PT_FIRSTLINE 72
#define PT_NUMLINE 76
#define PT_LINEINFO 80
#define PT_UVINFO 88
#define PT_SIZE 104
/* GCstr: the text follows the header. */
#define STR_GCT 9
#define STR_LEN 20
#define STR_SIZE 24

/* Line maps longer than this give no lines. */
#define LINEINFO_MAX (256 * 1024)
/* Instructions looked back from a call for what loaded the function. */
#define NAME_LOOKBACK 64

/*
 * A process that maps LuaJIT before it made a Lua state (nginx -c: the
 * master makes it while reading its configuration, after loading the
 * module) is looked at again when its mappings change (the state's own
 * mapping does), a bounded number of times: each look reads its
 * anonymous memory.  Per pid, the last few.
 */
#define LOOKS 8
#define LOOKS_KEPT 64

/* Bytecodes of LuaJIT 2.1 (lj_bc.h). */
enum { BC_MOV = 18, BC_UGET = 45, BC_GGET = 54, BC_TGETS = 57, BC_CALLM = 65, BC_CALL = 66,
       BC_CALLMT = 67, BC_CALLT = 68, BC_ITERC = 69, BC_ITERN = 70 };

static const struct memleak_lua_layout gc64_offsets = {
	.g_cur_L = 368,
	.g_jit_base = 376,
	.g_vmstate = 184,
	.g_trace = G_J + 384,
	.g_sizetrace = G_J + 396,
	.trace_startpc = 72,
	.l_base = 32,
	.l_stack = 56,
	.l_maxstack = 48,
	.l_cframe = 80,
	.cframe_l = 16,
	.cframe_pc = 24,
	.fn_gct = 9,
	.fn_ffid = 10,
	.fn_pc = 32,
	.proto_size = PT_SIZE,
};

static bool luajit_name(const char *path)
{
	const char *base = strrchr(path, '/');

	base = base ? base + 1 : path;
	return !strncmp(base, "libluajit-5.1.so", 16);
}

static int read_mem(int mem, uint64_t addr, void *buf, size_t len)
{
	return script_read_mem(mem, addr, buf, len);
}

static uint64_t read_word(int mem, uint64_t addr)
{
	uint64_t v = 0;

	if (read_mem(mem, addr, &v, sizeof(v)))
		return 0;
	return v;
}

/* Is the lua_State candidate at a the main one of a GG_State? */
static bool is_gg(int mem, uint64_t a)
{
	uint8_t gct = 0;

	return read_word(mem, a + GG_G + G_MAINTHREF) == a &&
	       !read_mem(mem, a + L_GCT, &gct, 1) && gct == GCT_THREAD;
}

/* The GG_State in pid's writable anonymous mappings; 0: none. */
static uint64_t find_gg(pid_t pid, int mem)
{
	struct proc_map *maps = NULL;
	uint64_t *buf, scanned = 0, found = 0;
	size_t n = 0, i, k;

	if (proc_maps_read(pid, &maps, &n))
		return 0;
	buf = malloc(SCAN_CHUNK);
	/*
	 * From the top down: the state is among the first mappings the
	 * allocator made (at nginx's start, in the master), and mmap hands
	 * out addresses downwards; the heap the scripts grew lies below.
	 */
	for (i = n; buf && !found && i-- > 0 && scanned < SCAN_MAX;) {
		const struct proc_map *m = &maps[i];
		uint64_t at;

		if (m->path[0] || m->perms[0] != 'r' || m->perms[1] != 'w')
			continue;
		for (at = m->start; !found && at < m->end && scanned < SCAN_MAX; at += SCAN_CHUNK) {
			size_t len = m->end - at < SCAN_CHUNK ? m->end - at : SCAN_CHUNK;

			if (read_mem(mem, at, buf, len))
				break;
			scanned += len;
			for (k = 0; k + 2 < len / 8; k++) {
				uint64_t a = at + 8 * k;

				if (buf[k + 2] == a + GG_G && is_gg(mem, a)) {
					found = a;
					break;
				}
			}
		}
	}
	free(buf);
	free(maps);
	return found;
}

/*
 * The interpreter's code: the range of the unwind entry (FDE) of the
 * code an instruction handler is in, which LuaJIT writes for the whole
 * VM.  vaddr is an address in the object as mapped at m (offset 0).
 */
static void vm_range(pid_t pid, const struct proc_map *m, uint64_t runtime_addr,
		     struct lua_info *info)
{
	int fd = proc_open_mapped(pid, m->start, m->end, m->path);
	Dwarf_Addr start, end;
	Dwarf_Frame *frame = NULL;
	Dwarf_CFI *cfi;
	uint64_t load = UINT64_MAX;
	size_t i, nph;
	GElf_Phdr ph;
	Elf *elf;

	if (fd < 0)
		return;
	elf_version(EV_CURRENT);
	elf = proc_file_check_fd(fd, &proc_rules_elf) ? NULL : elf_begin(fd, ELF_C_READ, NULL);
	if (!elf || elf_getphdrnum(elf, &nph))
		goto out;
	for (i = 0; i < nph; i++)
		if (gelf_getphdr(elf, i, &ph) && ph.p_type == PT_LOAD) {
			load = ph.p_vaddr & ~4095ULL;
			break;
		}
	cfi = load != UINT64_MAX ? dwarf_getcfi_elf(elf) : NULL;
	if (cfi && !dwarf_cfi_addrframe(cfi, runtime_addr - (m->start - load), &frame) &&
	    dwarf_frame_info(frame, &start, &end, NULL) != -1 && end > start) {
		info->vm_start = start + (m->start - load);
		info->vm_end = end + (m->start - load);
	}
	free(frame);
out:
	if (elf)
		elf_end(elf);
	close(fd);
}

struct detect_ctx {
	struct proc_map map;
	bool found;
};

static int detect_one(const struct proc_map *m, void *arg)
{
	struct detect_ctx *c = arg;

	if (!proc_map_is_file(m) || m->offset || !luajit_name(m->path))
		return 0;
	c->map = *m;
	c->found = true;
	return 1;
}

int lua_detect(pid_t pid, struct lua_info *info)
{
	struct detect_ctx c = { .found = false };
	char path[64];
	uint64_t gg;
	int err = proc_maps_for_each(pid, detect_one, &c), mem;

	if (err < 0)
		return err;
	if (!c.found)
		return 0;
	memset(info, 0, sizeof(*info));
	snprintf(info->module, sizeof(info->module), "%s", c.map.path);
	snprintf(path, sizeof(path), "/proc/%d/mem", (int)pid);
	mem = open(path, O_RDONLY | O_CLOEXEC);
	if (mem < 0)
		return -errno;
	gg = find_gg(pid, mem);
	if (gg) {
		info->global_state = gg + GG_G;
		info->off = gc64_offsets;
		vm_range(pid, &c.map, read_word(mem, gg + GG_DISPATCH), info);
	}
	close(mem);
	/*
	 * No state: none created yet (looked for again later), or a layout
	 * the scan cannot recognize; the caller tells them apart by time.
	 */
	return gg ? 1 : 0;
}

/* A string object's text into buf (NUL-terminated, cut to fit); false: no string. */
static bool read_str(int mem, uint64_t addr, char *buf, size_t len)
{
	uint8_t hdr[STR_SIZE];
	uint32_t n;

	buf[0] = '\0';
	if (!addr || addr & 7 || read_mem(mem, addr, hdr, sizeof(hdr)) || hdr[STR_GCT] != GCT_STR)
		return false;
	memcpy(&n, hdr + STR_LEN, 4);
	if (n >= len)
		n = (uint32_t)len - 1;
	if (read_mem(mem, addr + STR_SIZE, buf, n))
		return false;
	buf[n] = '\0';
	if (strlen(buf) != n)
		snprintf(buf, len, "<bad name>");
	return true;
}

/* The chunk name as tracebacks show it: "@file" is a file, "=name" a name as is. */
static void chunk_display(char *chunk)
{
	if (chunk[0] == '@' || chunk[0] == '=')
		memmove(chunk, chunk + 1, strlen(chunk));
}

int lua_read_proto(int mem, uint64_t addr, struct lua_proto *pt, bool with_strings)
{
	uint8_t hdr[PT_SIZE];
	int32_t first, numline;
	size_t width, len;

	memset(pt, 0, sizeof(*pt));
	if (!addr || addr & 7)
		return -EINVAL;
	if (read_mem(mem, addr, hdr, sizeof(hdr)))
		return -EFAULT;
	if (hdr[PT_GCT] != GCT_PROTO)
		return -EINVAL;
	memcpy(&pt->sizebc, hdr + PT_SIZEBC, 4);
	memcpy(&pt->chunk_addr, hdr + PT_CHUNKNAME, 8);
	memcpy(&first, hdr + PT_FIRSTLINE, 4);
	memcpy(&numline, hdr + PT_NUMLINE, 4);
	memcpy(&pt->lineinfo_addr, hdr + PT_LINEINFO, 8);
	pt->firstline = first > 0 ? first : 0;
	pt->numline = numline > 0 ? numline : 0;
	if (!with_strings)
		return 0;
	if (!read_str(mem, pt->chunk_addr, pt->chunk, sizeof(pt->chunk)))
		return -EINVAL;
	chunk_display(pt->chunk);
	/* One entry per instruction after the first; wider for longer functions. */
	width = pt->numline < 256 ? 1 : pt->numline < 65536 ? 2 : 4;
	len = pt->sizebc > 1 ? (pt->sizebc - 1) * width : 0;
	if (!pt->lineinfo_addr || !len || len > LINEINFO_MAX)
		return 0;
	pt->lineinfo = malloc(len);
	if (pt->lineinfo && read_mem(mem, pt->lineinfo_addr, pt->lineinfo, len)) {
		free(pt->lineinfo);
		pt->lineinfo = NULL;
	}
	if (pt->lineinfo)
		pt->lineinfo_len = len;
	return 0;
}

int lua_proto_line(const struct lua_proto *pt, uint32_t pos)
{
	size_t width = pt->numline < 256 ? 1 : pt->numline < 65536 ? 2 : 4, at;
	uint32_t delta = 0;

	if (pos == 0)
		return pt->firstline;
	if (pos == pt->sizebc)
		return pt->firstline + pt->numline;
	at = (size_t)(pos - 1) * width;
	if (pos > pt->sizebc || !pt->lineinfo || at + width > pt->lineinfo_len)
		return 0;
	memcpy(&delta, pt->lineinfo + at, width);   /* little endian */
	return pt->firstline + (int)delta;
}

/* The name of upvalue idx of the prototype at pt: names follow each other, NUL-ended. */
static bool upvalue_name(int mem, uint64_t pt, uint32_t idx, char *buf, size_t len)
{
	char names[1024];
	uint64_t uvinfo = read_word(mem, pt + PT_UVINFO);
	uint8_t sizeuv = 0;
	size_t at = 0, n = 0;

	if (read_mem(mem, pt + PT_SIZEUV, &sizeuv, 1) || idx >= sizeuv || !uvinfo)
		return false;
	/* Read as much as is there: the names may end near a mapping's end. */
	while (n < sizeof(names) && !read_mem(mem, uvinfo + n, names + n, 64))
		n += 64;
	if (n > sizeof(names))
		n = sizeof(names);
	while (idx && at < n) {
		if (!names[at++])
			idx--;
	}
	if (at >= n || !memchr(names + at, '\0', n - at))
		return false;
	snprintf(buf, len, "%s", names + at);
	return buf[0] != '\0';
}

/* String constant idx (of the prototype at pt, whose constants are at k). */
static bool const_str(int mem, uint64_t pt, uint64_t k, uint32_t idx, char *buf, size_t len)
{
	uint32_t sizekgc = 0;

	if (read_mem(mem, pt + PT_SIZEKGC, &sizekgc, 4) || idx >= sizekgc)
		return false;
	/* Collectable constants go down from k: the first at k[-1]. */
	return read_str(mem, read_word(mem, k - 8 * ((uint64_t)idx + 1)), buf, len);
}

bool lua_callee_name(int mem, uint64_t caller, uint32_t pos, char *buf, size_t len)
{
	uint32_t code[NAME_LOOKBACK + 1], sizebc = 0, from, i;
	uint64_t bc = caller + PT_SIZE, k = read_word(mem, caller + PT_K);
	unsigned int slot, op;

	if (read_mem(mem, caller + PT_SIZEBC, &sizebc, 4) || !pos || pos >= sizebc)
		return false;
	from = pos > NAME_LOOKBACK ? pos - NAME_LOOKBACK : 0;
	if (read_mem(mem, bc + 4ULL * from, code, 4ULL * (pos - from + 1)))
		return false;
	op = code[pos - from] & 0xff;
	if (op != BC_CALL && op != BC_CALLM && op != BC_CALLT && op != BC_CALLMT)
		return false;
	slot = (code[pos - from] >> 8) & 0xff;
	/* Back from the call to what put the function in its slot. */
	for (i = pos - from; i-- > 0;) {
		uint32_t ins = code[i];
		unsigned int a = (ins >> 8) & 0xff, d = ins >> 16, c = (ins >> 16) & 0xff;

		op = ins & 0xff;
		if ((op >= BC_CALLM && op <= BC_ITERN) && slot >= a)
			return false;   /* an earlier call's results overwrote it */
		if (a != slot)
			continue;
		switch (op) {
		case BC_MOV:
			slot = d;
			continue;
		case BC_GGET:
			return const_str(mem, caller, k, d, buf, len);
		case BC_TGETS:
			return const_str(mem, caller, k, c, buf, len);
		case BC_UGET:
			return upvalue_name(mem, caller, d, buf, len);
		default:
			return false;
		}
	}
	return false;
}

/* ---- Compiled traces: the frames they inlined ---- */

/* GCtrace (lj_jit.h) */
#define TR_GCT 9
#define TR_NSNAP 10             /* uint16_t */
#define TR_IR 32
#define TR_SNAP 48
#define TR_SNAPMAP 56
#define TR_SZMCODE 84
#define TR_MCODE 88
#define TR_HEADER 96
#define GCT_TRACE 9             /* ~LJ_TTRACE */
/* SnapShot: 12 bytes; its map entries: slot << 24 | flags | IR ref. */
#define SNAPSHOT_SIZE 12
#define SNAP_MAPOFS 0
#define SNAP_MCOFS 6
#define SNAP_NENT 10
#define SNAP_FRAME 0x010000
#define SNAPS_MAX 4096
/* IR constants: the opcode at byte 5, a 64-bit payload in the next slot. */
#define IR_O 5
#define IR_KGC 24
#define IR_KNUM 28
/* Inlined frames kept (more: the outer ones are left out). */
#define INLINED_MAX 16

/* The 64-bit constant IR ref of the trace holds (op: what it must be); false: none. */
static bool ir_const(int mem, uint64_t ir, uint32_t ref, uint8_t op, uint64_t *v)
{
	uint8_t o = 0;

	return !read_mem(mem, ir + 8ULL * ref + IR_O, &o, 1) && o == op &&
	       !read_mem(mem, ir + 8ULL * (ref + 1), v, 8);
}

/* The prototype of the Lua function fn (a GCfunc), or 0. */
static uint64_t func_proto(int mem, uint64_t fn)
{
	uint8_t hdr[40];

	fn &= (1ULL << 47) - 1;
	if (!fn || fn & 7 || read_mem(mem, fn, hdr, sizeof(hdr)) || hdr[9] != 8 || hdr[10] != 0)
		return 0;
	memcpy(&fn, hdr + 32, 8);
	return fn ? fn - PT_SIZE : 0;
}

/* Does pc lie in the bytecode of the prototype at pt? */
static bool pc_in(int mem, uint64_t pt, uint64_t pc)
{
	uint32_t sizebc = 0;

	return pt && !read_mem(mem, pt + PT_SIZEBC, &sizebc, 4) && pc >= pt + PT_SIZE &&
	       pc < pt + PT_SIZE + 4ULL * sizebc && !(pc & 3);
}

/*
 * The frames of the trace at tr where it called out at native address
 * ret (a return address in its machine code), innermost first, into
 * pt[]/pc[] (pc: the instruction running), the trace's own function last
 * (root: its prototype, from the walk).  The snapshot in force there is
 * the last one before ret: its map has a slot entry for each inlined
 * frame (the function below, a constant; the link, the caller's return
 * PC, as a number constant) and ends with the PC it resumes at.
 * Returns how many frames, 0 when the trace cannot say.
 */
static size_t trace_frames(int mem, uint64_t tr, uint64_t ret, uint64_t root,
			   uint64_t *pt, uint64_t *pc, size_t cap)
{
	uint8_t hdr[TR_HEADER], snap[SNAPSHOT_SIZE];
	uint64_t ir, snaps, snapmap, mcode, pcbase, fn, link;
	uint32_t szmcode, mapofs, map[256 + 2], ofs;
	struct { uint32_t slot, fn_ref, link_ref; } fr[INLINED_MAX];
	uint16_t nsnap, mcofs;
	size_t nf = 0, i, k, lo, hi, out = 0;
	uint8_t nent;

	if (read_mem(mem, tr, hdr, sizeof(hdr)) || hdr[TR_GCT] != GCT_TRACE)
		return 0;
	memcpy(&nsnap, hdr + TR_NSNAP, 2);
	memcpy(&ir, hdr + TR_IR, 8);
	memcpy(&snaps, hdr + TR_SNAP, 8);
	memcpy(&snapmap, hdr + TR_SNAPMAP, 8);
	memcpy(&szmcode, hdr + TR_SZMCODE, 4);
	memcpy(&mcode, hdr + TR_MCODE, 8);
	if (!nsnap || nsnap > SNAPS_MAX || ret - 1 < mcode || ret - 1 >= mcode + szmcode)
		return 0;
	ofs = (uint32_t)(ret - 1 - mcode);
	/* The last snapshot at or before ofs (mcofs ascend). */
	for (lo = 0, hi = nsnap; lo < hi;) {
		size_t mid = (lo + hi) / 2;

		if (read_mem(mem, snaps + SNAPSHOT_SIZE * mid + SNAP_MCOFS, &mcofs, 2))
			return 0;
		if (ofs < mcofs)
			hi = mid;
		else
			lo = mid + 1;
	}
	if (!lo || read_mem(mem, snaps + SNAPSHOT_SIZE * (lo - 1), snap, sizeof(snap)))
		return 0;
	memcpy(&mapofs, snap + SNAP_MAPOFS, 4);
	nent = snap[SNAP_NENT];
	if (read_mem(mem, snapmap + 4ULL * mapofs, map, 4ULL * (nent + 2)))
		return 0;
	memcpy(&pcbase, &map[nent], 8);
	/* Frame links above the trace's own frame (slots 0 and 1). */
	for (i = 0; i < nent && nf < INLINED_MAX; i++) {
		uint32_t slot = map[i] >> 24;

		if (!(map[i] & SNAP_FRAME) || slot < 3)
			continue;
		fr[nf].slot = slot;
		fr[nf].link_ref = map[i] & 0xffff;
		fr[nf].fn_ref = 0;
		for (k = 0; k < nent; k++)
			if (map[k] >> 24 == slot - 1)
				fr[nf].fn_ref = map[k] & 0xffff;
		nf++;
	}
	/* Innermost first: the highest slot runs the snapshot's PC. */
	pc[0] = pcbase >> 8;
	for (k = nf; k-- > 0 && out < cap;) {
		for (i = 0; i < k; i++)   /* the highest slot left */
			if (fr[i].slot > fr[k].slot) {
				typeof(fr[0]) t = fr[i];

				fr[i] = fr[k];
				fr[k] = t;
			}
		if (!ir_const(mem, ir, fr[k].fn_ref, IR_KGC, &fn) ||
		    !ir_const(mem, ir, fr[k].link_ref, IR_KNUM, &link) || link & 3)
			return 0;
		pt[out] = func_proto(mem, fn);
		if (!pc_in(mem, pt[out], pc[out]))
			return 0;
		/* The link: the return PC in the caller, one past its CALL. */
		pc[++out] = link - 4;
	}
	if (out >= cap || !pc_in(mem, root, pc[out]))
		return 0;
	pt[out++] = root;
	return out;
}

/*
 * A trace word (the BPF side's innermost, while compiled code runs) and
 * the words after it: the trace's frames from its snapshot, then the rest;
 * without the trace's machine code among the native frames, the rest only.
 */
static size_t expand(int mem, const void *info, const uint64_t *words, size_t count,
		     const uint64_t *native, size_t n, uint64_t *out, size_t cap)
{
	uint64_t tr, pt[INLINED_MAX + 1], pc[INLINED_MAX + 1];
	size_t i, o = 0, nf = 0, from = 0;
	uint8_t gct = 0;

	if (count && MEMLEAK_SCRIPT_WORD_OFF1(words[0]) == MEMLEAK_SCRIPT_OFF_MAX) {
		/* The trace word: gone with the trace if it was flushed since. */
		from = 1;
		tr = MEMLEAK_SCRIPT_WORD_CODE(words[0]);
		if (count < 2 || read_mem(mem, tr + TR_GCT, &gct, 1) || gct != GCT_TRACE)
			n = 0;
		for (i = 0; i < n && !nf; i++)
			nf = trace_frames(mem, tr, native[i], MEMLEAK_SCRIPT_WORD_CODE(words[1]), pt,
					  pc, INLINED_MAX + 1);
		if (nf) {
			for (i = 0; i < nf && o < cap; i++) {
				uint64_t off1 = (pc[i] - pt[i] - PT_SIZE) / 4 + 1;
				bool entry = i + 1 == nf && MEMLEAK_SCRIPT_WORD_ENTRY(words[1]);

				out[o++] = MEMLEAK_SCRIPT_WORD(pt[i], off1, entry);
			}
			from = 2;   /* the walk's word for the trace's function: replaced */
		}
	}
	for (i = from; i < count && o < cap; i++)
		out[o++] = words[i];
	return o;
}

/* ---- The runtime (runtime.h) ---- */

static struct {
	pid_t pid;
	unsigned int looks;
} looks[LOOKS_KEPT];
static unsigned int looks_next;

/* pid's entry in looks[], made (over the oldest) if new. */
static unsigned int look_slot(pid_t pid)
{
	unsigned int i;

	for (i = 0; i < LOOKS_KEPT; i++)
		if (looks[i].pid == pid)
			return i;
	i = looks_next++ % LOOKS_KEPT;
	looks[i].pid = pid;
	looks[i].looks = 0;
	return i;
}

static int detect(pid_t pid, void *info, char *what, size_t len)
{
	struct lua_info *li = info;
	unsigned int slot;
	int r;

	r = lua_detect(pid, li);
	if (r == 1) {
		snprintf(what, len, "LuaJIT in %s, its state at 0x%llx", li->module,
			 (unsigned long long)li->global_state);
		return 1;
	}
	if (r < 0 || !li->module[0])
		return r;
	/* LuaJIT mapped, no state found: not made yet, or not a layout known. */
	slot = look_slot(pid);
	if (++looks[slot].looks < LOOKS)
		return 0;
	snprintf(what, len, "LuaJIT in %s, but no Lua state of its 64-bit (GC64) layout found",
		 li->module);
	return -ENOTSUP;
}

static void bpf_entry(const void *info, struct memleak_script_proc *v)
{
	const struct lua_info *li = info;

	v->runtime = MEMLEAK_RUNTIME_LUA;
	v->runtime_addr = li->global_state;
	v->lua = li->off;
}

static bool in_eval(const void *info, uint64_t addr)
{
	const struct lua_info *li = info;

	/* A return address is one past its call. */
	return addr - 1 >= li->vm_start && addr - 1 < li->vm_end;
}

/*
 * A prototype as the table keeps code objects: named where it is defined
 * (callers name it better: caller_name), its line map widened to one
 * 32-bit line offset per position from 1, and one more for the end.
 */
static int read_code(int mem, const void *info, uint64_t addr, struct script_code *c,
		     bool with_strings)
{
	struct lua_proto pt;
	const char *base;
	uint32_t *lines;
	size_t width, i, n;
	int err;

	memset(c, 0, sizeof(*c));
	err = lua_read_proto(mem, addr, &pt, with_strings);
	if (err)
		return err;
	c->filename_addr = pt.chunk_addr;
	c->linetable_addr = pt.lineinfo_addr;
	c->firstlineno = pt.firstline;
	if (!with_strings)
		return 0;
	snprintf(c->filename, sizeof(c->filename), "%s", pt.chunk);
	base = strrchr(pt.chunk, '/');
	base = base ? base + 1 : pt.chunk;
	if (pt.firstline)
		snprintf(c->qualname, sizeof(c->qualname), "%.200s:%d", base, pt.firstline);
	else
		snprintf(c->qualname, sizeof(c->qualname), "main chunk");
	width = pt.numline < 256 ? 1 : pt.numline < 65536 ? 2 : 4;
	n = pt.lineinfo ? pt.lineinfo_len / width : 0;
	lines = n ? malloc((n + 1) * sizeof(*lines)) : NULL;
	for (i = 0; lines && i < n; i++) {
		uint32_t delta = 0;

		memcpy(&delta, pt.lineinfo + i * width, width);   /* little endian */
		lines[i] = delta;
	}
	if (lines) {
		lines[n] = (uint32_t)pt.numline;   /* position sizebc: the end */
		c->linetable = (uint8_t *)lines;
		c->linetable_len = (n + 1) * sizeof(*lines);
	}
	free(pt.lineinfo);
	return 0;
}

/* off1: the bytecode position plus 1; position 0 is the function's header. */
static int line(int firstlineno, const uint8_t *linetable, size_t len, uint64_t off1)
{
	uint32_t delta;

	if (off1 < 2)
		return firstlineno;
	if ((off1 - 1) * sizeof(delta) > len)
		return firstlineno;
	memcpy(&delta, linetable + (off1 - 2) * sizeof(delta), sizeof(delta));
	return firstlineno + (int)delta;
}

static bool caller_name(int mem, const void *info, uint64_t caller_code, uint64_t caller_off1,
			char *buf, size_t len)
{
	return caller_off1 && lua_callee_name(mem, caller_code, (uint32_t)(caller_off1 - 1), buf, len);
}

const struct script_runtime lua_runtime = {
	.id = MEMLEAK_RUNTIME_LUA,
	.name = "lua",
	.info_size = sizeof(struct lua_info),
	.detect = detect,
	.bpf_entry = bpf_entry,
	.in_eval = in_eval,
	.read_code = read_code,
	.line = line,
	.caller_name = caller_name,
	.expand = expand,
};
