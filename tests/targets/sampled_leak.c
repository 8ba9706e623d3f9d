/*
 * sampled_leak N CHURN HOLD_MS
 *
 * Leaks N blocks from one line of sampled_leak_fn, block i being
 * 64 + (i * 7919) % 4000 bytes (the test recomputes the truth from this
 * formula), interleaved with CHURN malloc/free pairs per block that leave
 * nothing behind; then sleeps HOLD_MS and exits 0.
 */
#include "target_util.h"

#define MAX_BLOCKS 1000000

static void *kept[MAX_BLOCKS];
static void *volatile churn_slot;

static NOINLINE void sampled_leak_fn(unsigned long i)
{
	kept[i] = malloc(64 + (i * 7919) % 4000); /* LEAK_LINE */
	if (!kept[i])
		_exit(70);
}

int main(int argc, char **argv)
{
	unsigned long n = t_arg(argc, argv, 1, 1000);
	unsigned long churn = t_arg(argc, argv, 2, 0);
	unsigned long hold = t_arg(argc, argv, 3, 200);
	unsigned long i, j;

	if (n > MAX_BLOCKS)
		return 64;
	for (i = 0; i < n; i++) {
		sampled_leak_fn(i);
		for (j = 0; j < churn; j++) {
			churn_slot = malloc(256);
			free(churn_slot);
		}
	}
	t_msleep(hold);
	return 0;
}
