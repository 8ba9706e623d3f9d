// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * How late a task on one CPU wakes up: wakeprobe CPU SECONDS [fifo|other]
 * pins itself to CPU, asks to wake up every millisecond (absolute times,
 * CLOCK_MONOTONIC) for SECONDS and prints the wake-ups, the largest delay
 * past the time asked for and how many were over 1 and over 5 ms.
 * As a SCHED_FIFO task (default; root) it runs as soon as the CPU can be
 * taken from whatever runs there: its delay is the longest stretch that
 * task spent in the kernel without a preemption point (bench/stall.sh).
 */
#define _GNU_SOURCE
#include <errno.h>
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#define PERIOD_NS 1000000L

static long long ts_ns(const struct timespec *t)
{
	return t->tv_sec * 1000000000LL + t->tv_nsec;
}

static struct timespec ns_ts(long long ns)
{
	return (struct timespec){ .tv_sec = ns / 1000000000LL, .tv_nsec = ns % 1000000000LL };
}

static int pin(int cpu, int fifo)
{
	struct sched_param sp = { .sched_priority = 50 };
	cpu_set_t set;

	CPU_ZERO(&set);
	CPU_SET(cpu, &set);
	if (sched_setaffinity(0, sizeof(set), &set))
		return -errno;
	if (fifo && sched_setscheduler(0, SCHED_FIFO, &sp))
		return -errno;
	return 0;
}

int main(int argc, char **argv)
{
	int cpu = argc > 2 ? atoi(argv[1]) : -1, fifo = argc < 4 || strcmp(argv[3], "other");
	double seconds = argc > 2 ? atof(argv[2]) : 0;
	long long next, end, late, max = 0, wakeups = 0, over1 = 0, over5 = 0;
	struct timespec now;
	int err;

	if (cpu < 0 || seconds <= 0) {
		fprintf(stderr, "usage: wakeprobe CPU SECONDS [fifo|other]\n");
		return 64;
	}
	err = pin(cpu, fifo);
	if (err) {
		fprintf(stderr, "wakeprobe: %s\n", strerror(-err));
		return 1;
	}
	clock_gettime(CLOCK_MONOTONIC, &now);
	next = ts_ns(&now) + PERIOD_NS;
	end = ts_ns(&now) + (long long)(seconds * 1e9);
	while (next < end) {
		struct timespec t = ns_ts(next);

		while (clock_nanosleep(CLOCK_MONOTONIC, TIMER_ABSTIME, &t, NULL) == EINTR)
			;
		clock_gettime(CLOCK_MONOTONIC, &now);
		late = ts_ns(&now) - next;
		wakeups++;
		max = late > max ? late : max;
		over1 += late > 1000000;
		over5 += late > 5000000;
		/* The next period after now: a long delay counts once. */
		next += PERIOD_NS * (1 + late / PERIOD_NS);
	}
	printf("wakeups %lld max_late_us %lld over_1ms %lld over_5ms %lld\n", wakeups,
	       max / 1000, over1, over5);
	return 0;
}
