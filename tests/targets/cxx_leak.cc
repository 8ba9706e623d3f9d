/*
 * C++ leak with known truth: N objects of SIZE bytes from new in
 * cxx_leak_fn, plus new/delete and new[]/delete[] churn that must cancel
 * out.  Built twice: against libstdc++'s operators (which call malloc) and
 * linked with jemalloc (whose operators do not).  Usage: cxx_leak N SIZE HOLD_MS
 */
#include <cstdlib>
#include <cstring>
#include <new>
#include <unistd.h>

struct Blob {
	char *data;
};

static Blob *kept[10000];

__attribute__((noinline)) static void cxx_leak_fn(unsigned long n, size_t size)
{
	for (unsigned long i = 0; i < n && i < 10000; i++) {
		char *p = new char[size]; /* CXX_LEAK_LINE */
		memset(p, 1, size);
		kept[i] = reinterpret_cast<Blob *>(p);
	}
}

__attribute__((noinline)) static void cxx_churn_fn(void)
{
	for (int i = 0; i < 2000; i++) {
		Blob *b = new Blob;
		b->data = new char[64 + i % 200];
		delete[] b->data;
		delete b;
	}
}

int main(int argc, char **argv)
{
	unsigned long n = argc > 1 ? strtoul(argv[1], nullptr, 0) : 3;
	size_t size = argc > 2 ? strtoul(argv[2], nullptr, 0) : 100;
	unsigned long hold = argc > 3 ? strtoul(argv[3], nullptr, 0) : 300;

	cxx_churn_fn();
	cxx_leak_fn(n, size);
	usleep(hold * 1000);
	return 0;
}
