/* SPDX-License-Identifier: MIT */
#define _GNU_SOURCE
#include "harness.h"

#include <dirent.h>
#include <ftw.h>
#include <limits.h>
#include <string.h>
#include <sys/stat.h>
#include <sched.h>
#include <signal.h>
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

int vr_test_kill_leftovers(void)
{
	char path[64], buf[4096];
	int n = 0;
	FILE *f;

	(void)snprintf(path, sizeof(path), "/proc/self/task/%d/children", (int)getpid());
	f = fopen(path, "re");
	if (f) {
		size_t len = fread(buf, 1, sizeof(buf) - 1, f);
		buf[len] = '\0';
		(void)fclose(f);
		for (char *p = buf, *end; *p; p = end) {
			long pid = strtol(p, &end, 10);
			if (end == p)
				break;
			(void)kill((pid_t)pid, SIGKILL);
		}
	}
	while (waitpid(-1, NULL, __WALL) > 0)
		n++;
	return n;
}

int vr_test_count_fds(void)
{
	DIR *d = opendir("/proc/self/fd");
	struct dirent *e;
	int n = 0;

	if (!d)
		return -1;
	while ((e = readdir(d)) != NULL)
		if (e->d_name[0] != '.')
			n++;
	(void)closedir(d);
	return n - 1; /* not the directory's own */
}

int vr_test_mkdtemp(const char *name, char *ret_dir)
{
	char tmpl[PATH_MAX];

	(void)snprintf(tmpl, sizeof(tmpl), "/tmp/vr-test-%s-XXXXXX", name);
	return mkdtemp(tmpl) && realpath(tmpl, ret_dir) ? 0 : -1;
}

static int rm_one(const char *p, const struct stat *st, int type, struct FTW *ftw)
{
	(void)st;
	(void)type;
	(void)ftw;
	return remove(p);
}

int vr_test_rmtree(const char *dir)
{
	return nftw(dir, rm_one, 16, FTW_DEPTH | FTW_PHYS);
}
