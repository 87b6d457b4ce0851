/* SPDX-License-Identifier: MIT */
/* fib N: print the Nth Fibonacci number, computed the slow, recursive way
 * (the original prototype's startup benchmark measures the void around it,
 * so the work must be real but small). Static: it needs nothing in its
 * void but itself and stdout. */
#include <stdio.h>
#include <stdlib.h>

static unsigned long long fib(unsigned n)
{
	return n < 2 ? n : fib(n - 1) + fib(n - 2);
}

int main(int argc, char **argv)
{
	char *end;
	unsigned long n = argc > 1 ? strtoul(argv[1], &end, 10) : 30;

	if (argc > 2 || (argc > 1 && (*end || n > 90))) {
		fputs("usage: fib [N], N from 0 to 90\n", stderr);
		return 2;
	}
	printf("%llu\n", fib((unsigned)n));
	return 0;
}
