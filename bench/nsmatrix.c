/* SPDX-License-Identifier: MIT */
/* nsmatrix: what each namespace costs. For every one of the 128
 * combinations of the seven namespaces a void gets (user, mount, pid, net,
 * ipc, uts, cgroup), time clone3 with those flags plus exec of /bin/true
 * and its exit, as the original prototype's study did. Combinations are
 * interleaved round by round so drift affects all alike; the median of
 * each is printed as CSV:
 *
 *   mask,user,mount,pid,net,ipc,uts,cgroup,median_ms,ratio
 *
 * ratio is to the combination with no namespace (plain clone3 + exec).
 * Combinations the kernel refuses here (mount without user, unprivileged)
 * are reported with median -1.
 *
 *   nsmatrix [ROUNDS]        (default 30) */
#define _GNU_SOURCE
#include <errno.h>
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "clone.h"

static const struct {
	const char *name;
	unsigned long long flag;
} ns[7] = {
	{ "user", CLONE_NEWUSER }, { "mount", CLONE_NEWNS }, { "pid", CLONE_NEWPID }, { "net", CLONE_NEWNET },
	{ "ipc", CLONE_NEWIPC },   { "uts", CLONE_NEWUTS },  { "cgroup", CLONE_NEWCGROUP },
};

static double now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec * 1e3 + (double)ts.tv_nsec / 1e6;
}

static int cmp(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;
	return x < y ? -1 : x > y;
}

/* One run: returns the milliseconds, or -1 if the kernel refused. */
static double run(unsigned long long flags)
{
	static char *const argv[] = { "true", NULL };
	static char *const envp[] = { NULL };
	double t0 = now();
	int status;
	pid_t pid = vr_clone3(&(struct vr_clone_opts){ .flags = flags, .exit_signal = SIGCHLD, .cgroup_fd = -1 });

	if (pid == 0) {
		execve("/bin/true", argv, envp);
		_exit(127);
	}
	if (pid < 0)
		return -1;
	while (waitpid(pid, &status, 0) < 0 && errno == EINTR)
		;
	if (!WIFEXITED(status) || WEXITSTATUS(status) != 0)
		return -1;
	return now() - t0;
}

int main(int argc, char **argv)
{
	int rounds = argc > 1 ? atoi(argv[1]) : 30;
	static double t[128][1000];
	int ok[128];

	if (rounds < 1 || rounds > 1000) {
		fputs("usage: nsmatrix [ROUNDS 1..1000]\n", stderr);
		return 2;
	}
	for (int m = 0; m < 128; m++)
		ok[m] = 1;
	for (int r = 0; r < rounds; r++)
		for (int m = 0; m < 128; m++) {
			unsigned long long flags = 0;
			for (int i = 0; i < 7; i++)
				if (m & (1 << i))
					flags |= ns[i].flag;
			if (!ok[m])
				continue;
			t[m][r] = run(flags);
			if (t[m][r] < 0)
				ok[m] = 0;
		}
	double base = 0;
	puts("mask,user,mount,pid,net,ipc,uts,cgroup,median_ms,ratio");
	for (int m = 0; m < 128; m++) {
		double med = -1;
		if (ok[m]) {
			qsort(t[m], (size_t)rounds, sizeof(double), cmp);
			med = t[m][rounds / 2];
		}
		if (m == 0)
			base = med;
		printf("%d", m);
		for (int i = 0; i < 7; i++)
			printf(",%d", (m >> i) & 1);
		printf(",%.3f,%.2f\n", med, med > 0 && base > 0 ? med / base : -1.0);
	}
	return 0;
}
