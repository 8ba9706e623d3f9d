/*
 * exit_after MS [CODE]
 *
 * Sleeps MS milliseconds, exits CODE (default 0); allocates nothing.  For
 * "pid exited before attach" timing and for exit-code checks.
 */
#include "target_util.h"

int main(int argc, char **argv)
{
	t_msleep(t_arg(argc, argv, 1, 100));
	return (int)t_arg(argc, argv, 2, 0);
}
