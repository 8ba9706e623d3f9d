/*
 * threads NTHREADS MS RESULT_FILE
 *
 * NTHREADS threads churn for MS milliseconds through one shared table of
 * slots: each step takes a random slot under its lock and frees what is
 * there (often allocated by another thread) or fills it with malloc, calloc
 * or realloc.  Everything is freed before exit.  The allocations and frees
 * the threads made are written to RESULT_FILE as "ALLOCS FREES".  The
 * churn functions are thread_main and thread_step.
 */
#include <pthread.h>
#include <stdint.h>
#include "target_util.h"

#define SLOTS 256
#define MAX_THREADS 16

static struct {
	pthread_mutex_t lock;
	void *p;
} slot[SLOTS];
static unsigned long long end_ms;
static unsigned long long n_alloc, n_free; /* updated atomically */

static unsigned int rnd(unsigned int *seed)
{
	*seed = *seed * 1103515245u + 12345u;
	return *seed >> 8;
}

static NOINLINE void thread_step(unsigned int *seed)
{
	unsigned int i = rnd(seed) % SLOTS;
	size_t size = 1 + rnd(seed) % 4096;

	pthread_mutex_lock(&slot[i].lock);
	if (slot[i].p && rnd(seed) % 3) {
		free(slot[i].p);
		slot[i].p = NULL;
		__atomic_add_fetch(&n_free, 1, __ATOMIC_RELAXED);
	} else if (slot[i].p) {
		void *q = realloc(slot[i].p, size);

		if (!q)
			_exit(70);
		slot[i].p = q;
		__atomic_add_fetch(&n_free, 1, __ATOMIC_RELAXED);
		__atomic_add_fetch(&n_alloc, 1, __ATOMIC_RELAXED);
	} else {
		slot[i].p = rnd(seed) % 2 ? malloc(size) : calloc(1, size);
		if (!slot[i].p)
			_exit(71);
		__atomic_add_fetch(&n_alloc, 1, __ATOMIC_RELAXED);
	}
	pthread_mutex_unlock(&slot[i].lock);
}

static NOINLINE void *thread_main(void *arg)
{
	unsigned int seed = (unsigned int)(uintptr_t)arg * 7919u + 1;

	while (t_now_ms() < end_ms)
		for (int k = 0; k < 64; k++)
			thread_step(&seed);
	return NULL;
}

int main(int argc, char **argv)
{
	unsigned long nthreads = t_arg(argc, argv, 1, 4);
	pthread_t tid[MAX_THREADS];
	unsigned long i;

	if (argc < 4 || nthreads < 1 || nthreads > MAX_THREADS)
		return 64;
	for (i = 0; i < SLOTS; i++)
		pthread_mutex_init(&slot[i].lock, NULL);
	end_ms = t_now_ms() + t_arg(argc, argv, 2, 1000);
	for (i = 0; i < nthreads; i++)
		if (pthread_create(&tid[i], NULL, thread_main, (void *)(uintptr_t)i))
			return 72;
	for (i = 0; i < nthreads; i++)
		pthread_join(tid[i], NULL);
	for (i = 0; i < SLOTS; i++) {
		if (slot[i].p) {
			free(slot[i].p);
			n_free++;
		}
	}
	if (n_alloc != n_free)
		return 73;
	t_write_pair(argv[3], n_alloc, n_free);
	return 0;
}
