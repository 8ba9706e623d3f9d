// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * Mapping events in ring-buffer order.  Process events are acted on by the
 * tracer after a whole batch is drained, so the region sets must follow
 * exec and fork in event order: a new image's first mmaps, or a child's,
 * may arrive in the same batch as the exec or fork itself.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include <cmocka.h>

#include "collect/mappings.h"

#define MIB (1024ULL * 1024)

struct seen {
	uint32_t types[8];
	int n;
};

static void on_process(void *ctx, const struct memleak_event *e)
{
	struct seen *s = ctx;

	if (s->n < 8)
		s->types[s->n++] = e->type;
}

static struct memleak_event ev(uint32_t type, uint32_t tgid, uint64_t addr, uint64_t len)
{
	struct memleak_event e;

	memset(&e, 0, sizeof(e));
	e.type = type;
	e.tgid = tgid;
	e.addr = addr;
	e.len = len;
	e.stack_id = 7;
	return e;
}

static uint64_t mapped(const struct mapping_tracker *m, pid_t pid)
{
	const struct region_set *s = mappings_get(m, pid);

	return s ? regions_bytes(s, MEMLEAK_KIND_MMAP, false) : UINT64_MAX;
}

/* mmap, exec, mmap in one batch: only the new image's mapping is left. */
static void test_exec_resets_in_event_order(void **state)
{
	struct mapping_tracker m = { .on_process = on_process };
	struct seen seen = { 0 };
	struct memleak_event e;

	m.ctx = &seen;
	assert_int_equal(mappings_add_pid(&m, 42), 0);
	e = ev(MEMLEAK_EV_MMAP, 42, 0x10000000, 4 * MIB);
	mappings_apply(&m, &e);
	e = ev(MEMLEAK_EV_EXEC, 42, 0, 0);
	mappings_apply(&m, &e);
	e = ev(MEMLEAK_EV_MMAP, 42, 0x20000000, 1 * MIB);
	mappings_apply(&m, &e);
	assert_int_equal(mapped(&m, 42), 1 * MIB);
	/* The exec still reaches the tracer, to be acted on after the batch. */
	assert_int_equal(seen.n, 1);
	assert_int_equal(seen.types[0], MEMLEAK_EV_EXEC);
	mappings_close(&m);
}

/* A child's mmap right behind its fork event is kept. */
static void test_fork_creates_set_in_event_order(void **state)
{
	struct mapping_tracker m = { .on_process = on_process };
	struct seen seen = { 0 };
	struct memleak_event e;

	m.ctx = &seen;
	assert_int_equal(mappings_add_pid(&m, 42), 0);
	e = ev(MEMLEAK_EV_FORK, 43, 0, 0);
	e.old_addr = 42;
	mappings_apply(&m, &e);
	e = ev(MEMLEAK_EV_MMAP, 43, 0x30000000, 2 * MIB);
	mappings_apply(&m, &e);
	assert_int_equal(mapped(&m, 43), 2 * MIB);
	assert_int_equal(mapped(&m, 42), 0);
	mappings_close(&m);
}

/* Events of a process nobody traces change nothing. */
static void test_untraced_pid_ignored(void **state)
{
	struct mapping_tracker m = { 0 };
	struct memleak_event e = ev(MEMLEAK_EV_MMAP, 99, 0x40000000, MIB);

	mappings_apply(&m, &e);
	assert_int_equal(mapped(&m, 99), UINT64_MAX);
	e = ev(MEMLEAK_EV_EXEC, 99, 0, 0);
	mappings_apply(&m, &e);
	assert_int_equal(mapped(&m, 99), UINT64_MAX);
	mappings_close(&m);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_exec_resets_in_event_order),
		cmocka_unit_test(test_fork_creates_set_in_event_order),
		cmocka_unit_test(test_untraced_pid_ignored),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
