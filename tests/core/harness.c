/* SPDX-License-Identifier: MIT */
#define _GNU_SOURCE
#include "harness.h"

#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/wait.h>
#include <unistd.h>

static size_t skipped;

void vr_test_note_skip(const char *fmt, ...)
{
	va_list ap;

	skipped++;
	fputs("SKIP: ", stderr);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
}

int vr_test_run_(const char *name, const struct CMUnitTest *tests, size_t n)
{
	int failed = _cmocka_run_group_tests(name, tests, n, NULL, NULL);

	if (failed == 0 && skipped == n) {
		fprintf(stderr, "SKIP: every test in %s skipped\n", name);
		return 77;
	}
	return failed;
}

static int try_userns(void *arg)
{
	(void)arg;
	return unshare(CLONE_NEWUSER) == 0 ? 0 : 1;
}

bool vr_test_can_userns(void)
{
	static int cached = -1;

	if (cached < 0)
		cached = vr_test_in_child(try_userns, NULL) == 0;
	return cached;
}

bool vr_test_is_root(void)
{
	return geteuid() == 0;
}

int vr_test_in_child(int (*fn)(void *), void *arg)
{
	int status;
	pid_t pid;

	fflush(NULL);
	pid = fork();
	if (pid < 0)
		return -1;
	if (pid == 0)
		_exit(fn(arg) & 0xff);
	while (waitpid(pid, &status, 0) < 0)
		;
	if (WIFSIGNALED(status))
		return 128 + WTERMSIG(status);
	return WEXITSTATUS(status);
}
