/*
 * shared_leak N SIZE HOLD_MS
 *
 * Calls lib_leak(N, SIZE) of libleakshared.so (linked, found through
 * $ORIGIN), so the leak's innermost frame is in the library; sleeps HOLD_MS.
 */
#include "target_util.h"

int lib_leak(unsigned long n, size_t size);

int main(int argc, char **argv)
{
	if (lib_leak(t_arg(argc, argv, 1, 10), t_arg(argc, argv, 2, 1000)))
		return 70;
	t_msleep(t_arg(argc, argv, 3, 1000));
	return 0;
}
