/* SPDX-License-Identifier: MIT */
/*
 * voidrun-probe: run inside a void, it reports what the void looks like from
 * within and attempts what a test asks of it, so that isolation is asserted
 * by observation and never by trusting voidrun's own configuration.
 *
 * A void may hold nothing but this binary: no /proc, no /dev, no /etc. So
 * the probe is linked statically, calls no NSS function (getpwnam,
 * getaddrinfo and friends would try to dlopen libraries a void lacks), and
 * every section of the report either has a /proc-free way to find its answer
 * or says "unavailable" instead of failing.
 *
 * Output is one "KEY VALUE..." line per fact; README.md next to this file
 * describes it for test authors. Command-line mistakes exit 2 before any
 * command has run, so a typo in a test never half-runs a probe.
 */
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <ifaddrs.h>
#include <limits.h>
#include <linux/capability.h>
#include <linux/magic.h>
#include <math.h>
#include <net/if.h>
#include <netinet/in.h>
#include <poll.h>
#include <pthread.h>
#include <sched.h>
#include <signal.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mount.h>
#include <sys/personality.h>
#include <sys/prctl.h>
#include <sys/ptrace.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/statfs.h>
#include <sys/syscall.h>
#include <sys/sysmacros.h>
#include <sys/un.h>
#include <sys/utsname.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#define _unused_ __attribute__((unused))
#define ARRAY_SIZE(a) (sizeof(a) / sizeof((a)[0]))

/* Without /proc, open fds are found by probing each number; fds at or above
 * RLIMIT_NOFILE are rare, so the scan stops at the soft limit (at least
 * 1024, at most this). */
#define FD_SCAN_MAX 65536

extern char **environ;

static bool streq(const char *a, const char *b)
{
	return strcmp(a, b) == 0;
}

static int neg_errno(void)
{
	return errno > 0 ? -errno : -EIO;
}

/* The symbolic name of a positive errno ("EACCES"), or "ok" for 0. */
static const char *errname(int err)
{
	static char buf[32];
	const char *s;

	if (err == 0)
		return "ok";
	s = strerrorname_np(err);
	if (s)
		return s;
	(void)snprintf(buf, sizeof(buf), "E%d", err);
	return buf;
}

/* Print text so that it stays on one line and, when it is a word of a
 * space-separated list, one word: control characters, DEL, backslash and
 * (for words) space become \ooo, the escaping /proc/self/mountinfo uses, so
 * a test can decode every value the same way. */
static void put_text(const char *s, size_t n, bool word)
{
	for (size_t i = 0; i < n; i++) {
		unsigned char c = (unsigned char)s[i];

		if (c < 0x20 || c == 0x7f || c == '\\' || (word && c == ' '))
			printf("\\%03o", c);
		else
			putchar(c);
	}
}

static void put_str(const char *s, bool word)
{
	put_text(s, strlen(s), word);
}

/* Read a small file whole into buf, NUL-terminated. Returns the length or
 * -errno. Plain open/read so it works before stdio is of any use. */
static ssize_t read_small(const char *path, char *buf, size_t size)
{
	size_t len = 0;
	int fd;

	fd = open(path, O_RDONLY | O_CLOEXEC | O_NOCTTY);
	if (fd < 0)
		return neg_errno();
	while (len + 1 < size) {
		ssize_t r = read(fd, buf + len, size - 1 - len);

		if (r < 0) {
			if (errno == EINTR)
				continue;
			r = neg_errno();
			(void)close(fd);
			return r;
		}
		if (r == 0)
			break;
		len += (size_t)r;
	}
	(void)close(fd);
	buf[len] = '\0';
	return (ssize_t)len;
}

static bool parse_ll(const char *s, long long min, long long max, long long *ret)
{
	char *end;
	long long v;

	if (!*s)
		return false;
	errno = 0;
	v = strtoll(s, &end, 10);
	if (errno || *end || v < min || v > max)
		return false;
	*ret = v;
	return true;
}

static bool parse_seconds(const char *s, double *ret)
{
	char *end;
	double v;

	if (!*s)
		return false;
	errno = 0;
	v = strtod(s, &end);
	/* A day is far beyond any test's patience and keeps time_t safe. */
	if (errno || *end || !isfinite(v) || v < 0 || v > 86400)
		return false;
	*ret = v;
	return true;
}

/* A signal by number ("15"), name ("TERM") or full name ("SIGTERM").
 * sigabbrev_np() supplies the names, so no table can drift from libc. */
static int parse_signal(const char *s)
{
	long long v;

	if (parse_ll(s, 0, NSIG - 1, &v))
		return (int)v;
	if (strncmp(s, "SIG", 3) == 0)
		s += 3;
	for (int sig = 1; sig < NSIG; sig++) {
		const char *name = sigabbrev_np(sig);

		if (name && streq(name, s))
			return sig;
	}
	return -1;
}

static const struct {
	const char *name;
	int flag;
} namespaces[] = {
	{ "user", CLONE_NEWUSER },
	{ "mount", CLONE_NEWNS },
	{ "pid", CLONE_NEWPID },
	{ "net", CLONE_NEWNET },
	{ "ipc", CLONE_NEWIPC },
	{ "uts", CLONE_NEWUTS },
	{ "cgroup", CLONE_NEWCGROUP },
	{ "time", CLONE_NEWTIME },
};

static int parse_namespace(const char *s)
{
	for (size_t i = 0; i < ARRAY_SIZE(namespaces); i++)
		if (streq(namespaces[i].name, s))
			return namespaces[i].flag;
	return 0;
}

/* ---- the report ---------------------------------------------------------- */

/* Whether /proc is a procfs that knows us: a proc mounted from another pid
 * namespace (or none at all) cannot answer questions about "self". */
static bool proc_is_ours(void)
{
	struct statfs sfs;
	char buf[32], want[32];
	ssize_t n;

	if (statfs("/proc", &sfs) < 0 || sfs.f_type != PROC_SUPER_MAGIC)
		return false;
	n = readlink("/proc/self", buf, sizeof(buf) - 1);
	if (n < 0)
		return false;
	buf[n] = '\0';
	(void)snprintf(want, sizeof(want), "%d", (int)getpid());
	return streq(buf, want);
}

static bool proc_is_procfs(void)
{
	struct statfs sfs;

	return statfs("/proc", &sfs) == 0 && sfs.f_type == PROC_SUPER_MAGIC;
}

/* Whether /proc/self/... describes us. It does whenever it resolves at all,
 * even in a proc of an ancestor pid namespace (where it names our pid as
 * that namespace numbers it); in an unrelated one it is ENOENT. Checked
 * before each use so that a fake /proc (a plain directory with files in
 * it) is never believed. */
static bool proc_self_usable(void)
{
	char buf[32];

	return proc_is_procfs() && readlink("/proc/self", buf, sizeof(buf)) > 0;
}

struct intlist {
	int *v;
	size_t n, cap;
};

static int intlist_add(struct intlist *l, int v)
{
	if (l->n == l->cap) {
		size_t cap = l->cap ? l->cap * 2 : 64;
		int *p = realloc(l->v, cap * sizeof(*p));

		if (!p)
			return -ENOMEM;
		l->v = p;
		l->cap = cap;
	}
	l->v[l->n++] = v;
	return 0;
}

static int cmp_int(const void *a, const void *b)
{
	int x = *(const int *)a, y = *(const int *)b;

	return (x > y) - (x < y);
}

/* Which fds are open, taken before the report opens anything of its own,
 * so that no fd of the probe's making is reported as inherited. With our
 * /proc the directory listing is exact (minus the fd reading it);
 * without it, every number up to the soft RLIMIT_NOFILE is probed. */
static int snapshot_fds(struct intlist *ret)
{
	struct rlimit rl;
	rlim_t max = 1024;
	DIR *d;

	d = proc_self_usable() ? opendir("/proc/self/fd") : NULL;
	if (d) {
		struct dirent *de;
		int self = dirfd(d);

		while ((de = readdir(d))) {
			long long fd;

			if (!parse_ll(de->d_name, 0, INT_MAX, &fd) || fd == self)
				continue;
			if (intlist_add(ret, (int)fd) < 0) {
				(void)closedir(d);
				return -ENOMEM;
			}
		}
		(void)closedir(d);
		qsort(ret->v, ret->n, sizeof(int), cmp_int);
		return 0;
	}

	if (getrlimit(RLIMIT_NOFILE, &rl) == 0 && rl.rlim_cur > max)
		max = rl.rlim_cur > FD_SCAN_MAX ? FD_SCAN_MAX : rl.rlim_cur;
	for (int fd = 0; fd < (int)max; fd++)
		if (fcntl(fd, F_GETFD) >= 0 && intlist_add(ret, fd) < 0)
			return -ENOMEM;
	return 0;
}

static void report_ids(void)
{
	gid_t *groups = NULL;
	int n;

	printf("uid %u\ngid %u\neuid %u\negid %u\n",
	       (unsigned)getuid(), (unsigned)getgid(), (unsigned)geteuid(), (unsigned)getegid());

	n = getgroups(0, NULL);
	if (n > 0) {
		groups = calloc((size_t)n, sizeof(gid_t));
		if (!groups)
			n = -1;
		else
			n = getgroups(n, groups);
	}
	if (n < 0) {
		printf("groups unavailable\n");
	} else {
		printf("groups");
		for (int i = 0; i < n; i++)
			printf(" %u", (unsigned)groups[i]);
		putchar('\n');
	}
	free(groups);
}

static void report_idmap(const char *key, const char *path)
{
	unsigned long inside, outside, count;
	int rows = 0;
	FILE *f;

	f = proc_self_usable() ? fopen(path, "re") : NULL;
	if (!f) {
		printf("%s unavailable\n", key);
		return;
	}
	while (fscanf(f, "%lu %lu %lu", &inside, &outside, &count) == 3) {
		printf("%s %lu %lu %lu\n", key, inside, outside, count);
		rows++;
	}
	(void)fclose(f);
	/* A user namespace whose map was never written: everyone inside is
	 * the overflow id. Say so rather than print nothing. */
	if (rows == 0)
		printf("%s empty\n", key);
}

static void report_setgroups(void)
{
	char buf[64];
	ssize_t n;

	n = proc_self_usable() ? read_small("/proc/self/setgroups", buf, sizeof(buf)) : -ENOENT;
	if (n < 0) {
		printf("setgroups unavailable\n");
		return;
	}
	buf[strcspn(buf, "\n")] = '\0';
	printf("setgroups ");
	put_str(buf, false);
	putchar('\n');
}

/* capget(2) and prctl(2) rather than /proc/self/status, which a void may
 * not have. The format matches /proc/self/status (CapEff: and so on). */
static void report_caps(void)
{
	struct __user_cap_header_struct hdr = { .version = _LINUX_CAPABILITY_VERSION_3, .pid = 0 };
	struct __user_cap_data_struct data[_LINUX_CAPABILITY_U32S_3] = {};
	unsigned long long bnd = 0, amb = 0;
	bool amb_ok = true;

	if (syscall(SYS_capget, &hdr, data) < 0) {
		printf("cap_inh unavailable\ncap_prm unavailable\ncap_eff unavailable\n");
	} else {
		printf("cap_inh %016llx\n", (unsigned long long)data[1].inheritable << 32 | data[0].inheritable);
		printf("cap_prm %016llx\n", (unsigned long long)data[1].permitted << 32 | data[0].permitted);
		printf("cap_eff %016llx\n", (unsigned long long)data[1].effective << 32 | data[0].effective);
	}

	/* Both prctls fail with EINVAL past the kernel's last capability. */
	for (int c = 0; c < 64; c++) {
		int r = prctl(PR_CAPBSET_READ, c, 0, 0, 0);

		if (r < 0)
			break;
		if (r)
			bnd |= 1ULL << c;
	}
	for (int c = 0; c < 64; c++) {
		int r = prctl(PR_CAP_AMBIENT, PR_CAP_AMBIENT_IS_SET, c, 0, 0);

		if (r < 0) {
			amb_ok = c > 0;
			break;
		}
		if (r)
			amb |= 1ULL << c;
	}
	printf("cap_bnd %016llx\n", bnd);
	if (amb_ok)
		printf("cap_amb %016llx\n", amb);
	else
		printf("cap_amb unavailable\n");
}

static void report_prctl(void)
{
	int r;

	r = prctl(PR_GET_NO_NEW_PRIVS, 0, 0, 0, 0);
	r < 0 ? printf("no_new_privs unavailable\n") : printf("no_new_privs %d\n", r);
	r = prctl(PR_GET_SECCOMP, 0, 0, 0, 0);
	r < 0 ? printf("seccomp unavailable\n") : printf("seccomp %d\n", r);
	r = prctl(PR_GET_SECUREBITS, 0, 0, 0, 0);
	r < 0 ? printf("securebits unavailable\n") : printf("securebits %x\n", (unsigned)r);
	r = prctl(PR_GET_DUMPABLE, 0, 0, 0, 0);
	r < 0 ? printf("dumpable unavailable\n") : printf("dumpable %d\n", r);
}

static void report_uts(void)
{
	struct utsname u;

	if (uname(&u) < 0) {
		printf("hostname unavailable\ndomainname unavailable\n");
		return;
	}
	printf("hostname ");
	put_str(u.nodename, false);
	printf("\ndomainname ");
	put_str(u.domainname, false);
	putchar('\n');
}

static void report_process(void)
{
	printf("pid %d\nppid %d\npgid %d\nsid %d\n",
	       (int)getpid(), (int)getppid(), (int)getpgid(0), (int)getsid(0));
	for (int fd = 0; fd <= 2; fd++) {
		if (fcntl(fd, F_GETFD) < 0)
			printf("tty %d closed\n", fd);
		else
			printf("tty %d %s\n", fd, isatty(fd) ? "yes" : "no");
	}
}

static int filter_pid(const struct dirent *de)
{
	long long v;

	return parse_ll(de->d_name, 1, INT_MAX, &v);
}

static int cmp_pid(const struct dirent **a, const struct dirent **b)
{
	int x = atoi((*a)->d_name), y = atoi((*b)->d_name);

	return (x > y) - (x < y);
}

static void report_pids(void)
{
	struct dirent **names;
	int n;

	printf("proc %s\n", proc_is_ours() ? "yes" : "no");
	/* Listed whenever /proc is a procfs, ours or not: a foreign proc that
	 * shows the host's processes is exactly what a test must catch. */
	n = proc_is_procfs() ? scandir("/proc", &names, filter_pid, cmp_pid) : -1;
	if (n < 0) {
		printf("pids unavailable\n");
		return;
	}
	printf("pids");
	for (int i = 0; i < n; i++) {
		printf(" %s", names[i]->d_name);
		free(names[i]);
	}
	free(names);
	putchar('\n');
}

static void put_addr(const struct sockaddr *sa)
{
	char buf[INET6_ADDRSTRLEN];
	const void *a;

	if (sa->sa_family == AF_INET)
		a = &((const struct sockaddr_in *)(const void *)sa)->sin_addr;
	else if (sa->sa_family == AF_INET6)
		a = &((const struct sockaddr_in6 *)(const void *)sa)->sin6_addr;
	else
		return;
	if (inet_ntop(sa->sa_family, a, buf, sizeof(buf)))
		printf(" %s", buf);
}

/* getifaddrs() in glibc asks the kernel over netlink, so it needs neither
 * /proc nor /sys. One line per interface, in the kernel's order. */
static void report_netif(void)
{
	struct ifaddrs *list, *i, *j;

	if (getifaddrs(&list) < 0) {
		printf("netif unavailable %s\n", errname(errno));
		return;
	}
	if (!list)
		printf("netif none\n");
	for (i = list; i; i = i->ifa_next) {
		bool seen = false;

		for (j = list; j != i; j = j->ifa_next)
			if (streq(j->ifa_name, i->ifa_name)) {
				seen = true;
				break;
			}
		if (seen)
			continue;
		printf("netif ");
		put_str(i->ifa_name, true);
		printf(" %s", i->ifa_flags & IFF_UP ? "up" : "down");
		for (j = i; j; j = j->ifa_next)
			if (j->ifa_addr && streq(j->ifa_name, i->ifa_name))
				put_addr(j->ifa_addr);
		putchar('\n');
	}
	freeifaddrs(list);
}

/* mountinfo rather than mounts: it carries the per-mount options (ro,
 * nosuid, nodev, noexec) separately from the superblock's, and those are
 * what a bind's read-only-ness lives in. Fields stay in the kernel's
 * escaping (space is \040). */
static void report_mounts(void)
{
	char *line = NULL;
	size_t cap = 0;
	FILE *f;

	f = proc_self_usable() ? fopen("/proc/self/mountinfo", "re") : NULL;
	if (!f) {
		printf("mount unavailable\n");
		return;
	}
	while (getline(&line, &cap, f) > 0) {
		char *field[16], *save = NULL, *fstype = NULL, *tok;
		size_t n = 0;

		line[strcspn(line, "\n")] = '\0';
		for (tok = strtok_r(line, " ", &save); tok; tok = strtok_r(NULL, " ", &save)) {
			if (n > 0 && streq(field[n - 1], "-")) {
				fstype = tok;
				break;
			}
			if (n < ARRAY_SIZE(field))
				field[n++] = tok;
		}
		if (n < 6 || !fstype)
			continue;
		printf("mount %s %s %s\n", field[4], fstype, field[5]);
	}
	free(line);
	(void)fclose(f);
}

static void report_fds(const struct intlist *fds, int err)
{
	bool have_proc = proc_self_usable();

	if (err < 0) {
		printf("fd unavailable\n");
		return;
	}
	for (size_t i = 0; i < fds->n; i++) {
		char path[64], target[PATH_MAX];
		ssize_t n = -1;

		if (have_proc) {
			(void)snprintf(path, sizeof(path), "/proc/self/fd/%d", fds->v[i]);
			n = readlink(path, target, sizeof(target));
		}
		printf("fd %d ", fds->v[i]);
		if (n < 0)
			printf("open");
		else
			put_text(target, (size_t)n, false);
		putchar('\n');
	}
}

static void report_env(void)
{
	for (char **e = environ; e && *e; e++) {
		printf("env ");
		put_str(*e, false);
		putchar('\n');
	}
}

static int filter_dots(const struct dirent *de)
{
	return !streq(de->d_name, ".") && !streq(de->d_name, "..");
}

/* Sorted by byte value: the probe never calls setlocale(), so alphasort()'s
 * strcoll() is strcmp(). Returns the count or -errno; prints nothing on
 * failure. */
static int put_dir(const char *path)
{
	struct dirent **names;
	int n;

	n = scandir(path, &names, filter_dots, alphasort);
	if (n < 0)
		return neg_errno();
	for (int i = 0; i < n; i++) {
		putchar(' ');
		put_str(names[i]->d_name, true);
		free(names[i]);
	}
	free(names);
	return n;
}

static void report_fs(void)
{
	char cwd[PATH_MAX];

	if (getcwd(cwd, sizeof(cwd))) {
		printf("cwd ");
		put_str(cwd, false);
		putchar('\n');
	} else {
		printf("cwd unavailable\n");
	}

	/* Listed straight to stdout; on failure the line so far is only the
	 * key, so complete it. */
	printf("root_entries");
	if (put_dir("/") < 0)
		printf(" unavailable");
	putchar('\n');
}

static void put_rlim(rlim_t v)
{
	if (v == RLIM_INFINITY)
		printf(" unlimited");
	else
		printf(" %llu", (unsigned long long)v);
}

static void report_limits(void)
{
	struct rlimit rl;
	mode_t mask;

	if (getrlimit(RLIMIT_NOFILE, &rl) < 0) {
		printf("rlimit_nofile unavailable\n");
	} else {
		printf("rlimit_nofile");
		put_rlim(rl.rlim_cur);
		put_rlim(rl.rlim_max);
		putchar('\n');
	}

	/* umask(2) can only be read by setting it; put it straight back. */
	mask = umask(0);
	(void)umask(mask);
	printf("umask %04o\n", (unsigned)mask);
}

/* Blocked and ignored signals survive execve(); a runner that leaks them
 * changes how the program in the void behaves. Same format as SigBlk: and
 * SigIgn: in /proc/self/status (bit n-1 for signal n). */
static void report_signals(void)
{
	unsigned long long blk = 0, ign = 0;
	sigset_t set;

	if (sigprocmask(SIG_BLOCK, NULL, &set) < 0) {
		printf("sigblk unavailable\n");
	} else {
		for (int sig = 1; sig <= 64 && sig < NSIG; sig++)
			if (sigismember(&set, sig) == 1)
				blk |= 1ULL << (sig - 1);
		printf("sigblk %016llx\n", blk);
	}
	for (int sig = 1; sig <= 64 && sig < NSIG; sig++) {
		struct sigaction sa;

		/* glibc refuses its own internal signals with EINVAL. */
		if (sigaction(sig, NULL, &sa) == 0 && sa.sa_handler == SIG_IGN)
			ign |= 1ULL << (sig - 1);
	}
	printf("sigign %016llx\n", ign);
}

static void report_namespaces(void)
{
	static const char *const ns[] = { "user", "mnt", "pid", "net", "ipc", "uts", "cgroup" };
	bool have_proc = proc_self_usable();

	for (size_t i = 0; i < ARRAY_SIZE(ns); i++) {
		char path[64], target[128];
		ssize_t n;

		(void)snprintf(path, sizeof(path), "/proc/self/ns/%s", ns[i]);
		n = have_proc ? readlink(path, target, sizeof(target)) : -1;
		printf("%sns ", ns[i]);
		if (n < 0)
			printf("unavailable");
		else
			put_text(target, (size_t)n, false);
		putchar('\n');
	}
}

static int cmd_report(char **args _unused_)
{
	struct intlist fds = {};
	int r;

	/* First, before anything below opens a file. */
	r = snapshot_fds(&fds);

	report_ids();
	report_idmap("uid_map", "/proc/self/uid_map");
	report_idmap("gid_map", "/proc/self/gid_map");
	report_setgroups();
	report_caps();
	report_prctl();
	report_uts();
	report_process();
	report_pids();
	report_netif();
	report_mounts();
	report_fds(&fds, r);
	report_env();
	report_fs();
	report_limits();
	report_signals();
	report_namespaces();

	free(fds.v);
	return 0;
}

/* ---- commands ------------------------------------------------------------ */

/* Each returns 0 or -errno. Unless the command is marked "custom", the
 * dispatcher prints "result NAME ok|ERRNO" for it; custom ones print their
 * own line. Arguments were validated before any command ran. */

static void result(const char *action, int r)
{
	printf("result %s %s\n", action, errname(-r));
}

static long long arg_ll(const char *s)
{
	return strtoll(s, NULL, 10);
}

static int cmd_read(char **a)
{
	char c;
	ssize_t n;
	int fd;

	fd = open(a[0], O_RDONLY | O_CLOEXEC | O_NOCTTY);
	if (fd < 0)
		return neg_errno();
	do
		n = read(fd, &c, 1);
	while (n < 0 && errno == EINTR);
	n = n < 0 ? neg_errno() : 0;
	(void)close(fd);
	return (int)n;
}

static int cmd_write(char **a)
{
	ssize_t n;
	int fd, r;

	fd = open(a[0], O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC | O_NOCTTY, 0644);
	if (fd < 0)
		return neg_errno();
	do
		n = write(fd, "x", 1);
	while (n < 0 && errno == EINTR);
	r = n < 0 ? neg_errno() : 0;
	/* close() is where NFS and FUSE report a failed write. */
	if (close(fd) < 0 && r == 0 && errno != EINTR)
		r = neg_errno();
	return r;
}

static int cmd_ls(char **a)
{
	struct dirent **names;
	int n;

	/* Scan first so that a failure prints only the result line. */
	n = scandir(a[0], &names, filter_dots, alphasort);
	if (n < 0)
		return neg_errno();
	printf("ls ");
	put_str(a[0], true);
	for (int i = 0; i < n; i++) {
		putchar(' ');
		put_str(names[i]->d_name, true);
		free(names[i]);
	}
	free(names);
	putchar('\n');
	return 0;
}

static const char *file_type(mode_t m)
{
	switch (m & S_IFMT) {
	case S_IFREG: return "file";
	case S_IFDIR: return "dir";
	case S_IFCHR: return "chr";
	case S_IFBLK: return "blk";
	case S_IFIFO: return "fifo";
	case S_IFSOCK: return "sock";
	case S_IFLNK: return "link";
	default: return "unknown";
	}
}

static int cmd_stat(char **a)
{
	struct stat st;

	if (stat(a[0], &st) < 0)
		return neg_errno();
	printf("stat ");
	put_str(a[0], true);
	printf(" %s %04o %u %u\n", file_type(st.st_mode), (unsigned)(st.st_mode & 07777),
	       (unsigned)st.st_uid, (unsigned)st.st_gid);
	return 0;
}

static int cmd_mkdir(char **a)
{
	return mkdir(a[0], 0755) < 0 ? neg_errno() : 0;
}

static int cmd_kill(char **a)
{
	return kill((pid_t)arg_ll(a[0]), parse_signal(a[1])) < 0 ? neg_errno() : 0;
}

static int cmd_signal_self(char **a)
{
	int sig = parse_signal(a[0]);
	sigset_t none;

	/* Default action and nothing blocked, so that the signal does what
	 * it would to an ordinary process and the test sees that death. */
	if (sig > 0)
		(void)signal(sig, SIG_DFL);
	(void)sigemptyset(&none);
	(void)sigprocmask(SIG_SETMASK, &none, NULL);
	(void)fflush(stdout);
	return raise(sig) != 0 ? neg_errno() : 0;
}

static int cmd_exit(char **a)
{
	(void)fflush(stdout);
	exit((int)arg_ll(a[0]));
}

static int sleep_for(double secs)
{
	struct timespec ts;

	ts.tv_sec = (time_t)secs;
	ts.tv_nsec = (long)((secs - (double)ts.tv_sec) * 1e9);
	if (ts.tv_nsec >= 1000000000L)
		ts.tv_nsec = 999999999L;
	while (nanosleep(&ts, &ts) < 0)
		if (errno != EINTR)
			return neg_errno();
	return 0;
}

static int cmd_sleep(char **a)
{
	(void)fflush(stdout);
	return sleep_for(strtod(a[0], NULL));
}

static double now_monotonic(void)
{
	struct timespec ts;

	(void)clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static int cmd_spin(char **a)
{
	double end = now_monotonic() + strtod(a[0], NULL);

	(void)fflush(stdout);
	while (now_monotonic() < end)
		;
	return 0;
}

/* Non-blocking connect and a 1 s poll: in a void without a route the
 * answer (ENETUNREACH, ECONNREFUSED) is immediate, and a filtered one must
 * not hang the test. */
static int cmd_connect_tcp(char **a)
{
	struct sockaddr_in sin = { .sin_family = AF_INET, .sin_port = htons((uint16_t)arg_ll(a[1])) };
	struct pollfd pfd;
	socklen_t len = sizeof(int);
	int fd, r, soerr = 0;

	(void)inet_pton(AF_INET, a[0], &sin.sin_addr);
	fd = socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return neg_errno();
	if (connect(fd, (struct sockaddr *)&sin, sizeof(sin)) == 0) {
		r = 0;
		goto out;
	}
	if (errno != EINPROGRESS) {
		r = neg_errno();
		goto out;
	}
	pfd = (struct pollfd){ .fd = fd, .events = POLLOUT };
	do
		r = poll(&pfd, 1, 1000);
	while (r < 0 && errno == EINTR);
	if (r < 0) {
		r = neg_errno();
		goto out;
	}
	if (r == 0) {
		r = -ETIMEDOUT;
		goto out;
	}
	if (getsockopt(fd, SOL_SOCKET, SO_ERROR, &soerr, &len) < 0)
		r = neg_errno();
	else
		r = -soerr;
out:
	(void)close(fd);
	return r;
}

/* The address of unix socket name: "@name" is the abstract namespace,
 * which belongs to the network namespace rather than the filesystem.
 * Returns its length, or -ENAMETOOLONG. */
static int unix_addr(const char *name, struct sockaddr_un *sun)
{
	size_t len = strlen(name);

	*sun = (struct sockaddr_un){ .sun_family = AF_UNIX };
	if (len >= sizeof(sun->sun_path))
		return -ENAMETOOLONG;
	if (name[0] == '@') {
		memcpy(sun->sun_path + 1, name + 1, len - 1);
		return (int)(offsetof(struct sockaddr_un, sun_path) + len);
	}
	memcpy(sun->sun_path, name, len);
	return (int)sizeof(*sun);
}

/* A test uses the abstract namespace to check that a void's netns really
 * hides the host's abstract sockets. */
static int cmd_connect_unix(char **a)
{
	struct sockaddr_un sun;
	int salen = unix_addr(a[0], &sun);
	int fd, r;

	if (salen < 0)
		return salen;
	fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return neg_errno();
	r = connect(fd, (struct sockaddr *)&sun, (socklen_t)salen) < 0 ? neg_errno() : 0;
	(void)close(fd);
	return r;
}

static int cmd_mount_tmpfs(char **a)
{
	return mount("tmpfs", a[0], "tmpfs", 0, NULL) < 0 ? neg_errno() : 0;
}

static int cmd_unshare(char **a)
{
	return unshare(parse_namespace(a[0])) < 0 ? neg_errno() : 0;
}

static int cmd_setns(char **a)
{
	int fd, r;

	fd = open(a[0], O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return neg_errno();
	r = setns(fd, 0) < 0 ? neg_errno() : 0;
	(void)close(fd);
	return r;
}

static int cmd_mknod(char **a)
{
	/* 1:3 is /dev/null: harmless if it works, which is the point. */
	return mknod(a[0], S_IFCHR | 0666, makedev(1, 3)) < 0 ? neg_errno() : 0;
}

static int cmd_chroot(char **a)
{
	return chroot(a[0]) < 0 ? neg_errno() : 0;
}

static int cmd_ptrace(char **a)
{
	pid_t pid = (pid_t)arg_ll(a[0]);
	int status;

	if (ptrace(PTRACE_ATTACH, pid, NULL, NULL) < 0)
		return neg_errno();
	/* PTRACE_DETACH needs the tracee in its attach stop. */
	while (waitpid(pid, &status, __WALL) < 0)
		if (errno != EINTR)
			break;
	(void)ptrace(PTRACE_DETACH, pid, NULL, NULL);
	return 0;
}

/* PTRACE_TRACEME from a second thread: a policy that kills must end the
 * whole process, and voidrun must see that it was the entry. */
static void *traceme(void *arg)
{
	*(int *)arg = ptrace(PTRACE_TRACEME, 0, NULL, NULL) < 0 ? neg_errno() : 0;
	return NULL;
}

static int cmd_thread_ptrace(char **a _unused_)
{
	pthread_t t;
	int r = 0, e;

	(void)fflush(stdout);
	e = pthread_create(&t, NULL, traceme, &r);
	if (e)
		return -e;
	(void)pthread_join(t, NULL);
	return r;
}

static int cmd_setuid(char **a)
{
	return setuid((uid_t)arg_ll(a[0])) < 0 ? neg_errno() : 0;
}

static int cmd_sethostname(char **a)
{
	return sethostname(a[0], strlen(a[0])) < 0 ? neg_errno() : 0;
}

static int cmd_echo(char **a)
{
	printf("echo ");
	put_str(a[0], false);
	putchar('\n');
	return 0;
}

static int cmd_cat(char **args _unused_)
{
	char buf[65536];

	/* Raw bytes on fd 1: whatever stdio holds must go out first. */
	(void)fflush(stdout);
	for (;;) {
		ssize_t n = read(STDIN_FILENO, buf, sizeof(buf));

		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0) {
			result("cat", neg_errno());
			return 0;
		}
		if (n == 0)
			return 0;
		for (ssize_t off = 0; off < n;) {
			ssize_t w = write(STDOUT_FILENO, buf + off, (size_t)(n - off));

			if (w < 0 && errno == EINTR)
				continue;
			if (w < 0) {
				result("cat", neg_errno());
				return 0;
			}
			off += w;
		}
	}
}

static int cmd_fork_bomb(char **a)
{
	size_t want = (size_t)arg_ll(a[0]), made = 0;
	pid_t parent = getpid();
	pid_t *pids;
	int err = 0;

	pids = calloc(want ? want : 1, sizeof(pid_t));
	if (!pids) {
		printf("result fork-bomb 0 %s\n", errname(ENOMEM));
		return 0;
	}
	/* Children would otherwise inherit and later write stdio's buffer. */
	(void)fflush(stdout);
	while (made < want) {
		pid_t pid = fork();

		if (pid < 0) {
			err = errno;
			break;
		}
		if (pid == 0) {
			/* Die with the probe even if it is killed before it
			 * reaps us; the getppid() check closes the race with
			 * a parent that died before the prctl. */
			(void)prctl(PR_SET_PDEATHSIG, SIGKILL, 0, 0, 0);
			if (getppid() != parent)
				_exit(0);
			(void)sleep_for(10);
			_exit(0);
		}
		pids[made++] = pid;
	}
	printf("result fork-bomb %zu %s\n", made, errname(err));
	(void)fflush(stdout);
	for (size_t i = 0; i < made; i++)
		(void)kill(pids[i], SIGKILL);
	for (size_t i = 0; i < made; i++)
		while (waitpid(pids[i], NULL, 0) < 0 && errno == EINTR)
			;
	free(pids);
	return 0;
}

static int cmd_alloc(char **a)
{
	size_t bytes = (size_t)arg_ll(a[0]) << 20;
	long page = sysconf(_SC_PAGESIZE);
	volatile char *p;

	if (page <= 0)
		page = 4096;
	p = malloc(bytes ? bytes : 1);
	if (!p)
		return -ENOMEM;
	/* Touch every page: malloc alone only reserves address space, and a
	 * memory limit is only felt when pages are faulted in. volatile keeps
	 * the compiler from proving the writes dead. */
	for (size_t off = 0; off < bytes; off += (size_t)page)
		p[off] = 1;
	free((void *)p);
	return 0;
}

static int cmd_openfiles(char **a)
{
	size_t want = (size_t)arg_ll(a[0]), made = 0;
	int *fds, err = 0;

	fds = calloc(want ? want : 1, sizeof(int));
	if (!fds) {
		printf("result openfiles 0 %s\n", errname(ENOMEM));
		return 0;
	}
	/* "/" rather than /dev/null: it exists in every void. */
	while (made < want) {
		int fd = open("/", O_RDONLY | O_DIRECTORY | O_CLOEXEC);

		if (fd < 0) {
			err = errno;
			break;
		}
		fds[made++] = fd;
	}
	for (size_t i = 0; i < made; i++)
		(void)close(fds[i]);
	free(fds);
	printf("result openfiles %zu %s\n", made, errname(err));
	return 0;
}

/* The CPU time this process and its reaped children used, in
 * microseconds: how much of a cpu limit a spinner got. */
static int cmd_cputime(_unused_ char **a)
{
	struct rusage self, kids;

	if (getrusage(RUSAGE_SELF, &self) < 0 || getrusage(RUSAGE_CHILDREN, &kids) < 0) {
		printf("cputime unavailable\n");
		return 0;
	}
	printf("cputime %lld\n",
	       (long long)(self.ru_utime.tv_sec + self.ru_stime.tv_sec + kids.ru_utime.tv_sec + kids.ru_stime.tv_sec) *
			       1000000LL +
		       (self.ru_utime.tv_usec + self.ru_stime.tv_usec + kids.ru_utime.tv_usec + kids.ru_stime.tv_usec));
	return 0;
}

/* Each line of /proc/self/cgroup, as the void's cgroup namespace shows it. */
static int cmd_cgroup(_unused_ char **a)
{
	char buf[4096];
	ssize_t n = proc_self_usable() ? read_small("/proc/self/cgroup", buf, sizeof(buf)) : -ENOENT;

	if (n < 0) {
		printf("cgroup unavailable\n");
		return 0;
	}
	for (char *line = buf, *nl; *line; line = nl + 1) {
		nl = strchrnul(line, '\n');
		printf("cgroup ");
		put_text(line, (size_t)(nl - line), false);
		putchar('\n');
		if (!*nl)
			break;
	}
	return 0;
}

static int cmd_write_fd(char **a)
{
	int fd = (int)arg_ll(a[0]);
	size_t len = strlen(a[1]), off = 0;
	int r = 0;

	(void)fflush(stdout);
	while (off < len) {
		ssize_t w = write(fd, a[1] + off, len - off);

		if (w < 0 && errno == EINTR)
			continue;
		if (w < 0) {
			r = neg_errno();
			break;
		}
		off += (size_t)w;
	}
	printf("result write-fd %d %s\n", fd, errname(-r));
	return 0;
}

static int cmd_read_fd(char **a)
{
	int fd = (int)arg_ll(a[0]);
	char buf[4096];
	ssize_t n;

	(void)fflush(stdout);
	do
		n = read(fd, buf, sizeof(buf));
	while (n < 0 && errno == EINTR);
	if (n < 0) {
		printf("result read-fd %d %s\n", fd, errname(errno));
		return 0;
	}
	printf("result read-fd %d ok", fd);
	if (n > 0) {
		putchar(' ');
		put_text(buf, (size_t)n, false);
	}
	putchar('\n');
	return 0;
}

/* ---- hardening: what the default seccomp filter, the capability sets
 * and Landlock must refuse. Each makes the real system call with harmless
 * arguments, so that an answer of "ok" is an escape, not an accident. */

/* A 32-bit value, decimal or 0x hex (personality's persona). */
static bool parse_u32(const char *s, unsigned long long *ret)
{
	char *end;

	if (!*s || *s == '-')
		return false;
	errno = 0;
	*ret = strtoull(s, &end, 0);
	return !errno && !*end && *ret <= UINT32_MAX;
}

static int cmd_init_module(char **args _unused_)
{
	/* An empty image: refused before it is looked at. */
	return syscall(SYS_init_module, "", 0UL, "") < 0 ? neg_errno() : 0;
}

static int cmd_kexec(char **args _unused_)
{
	return syscall(SYS_kexec_load, 0UL, 0UL, NULL, 0UL) < 0 ? neg_errno() : 0;
}

static int cmd_bpf(char **args _unused_)
{
	/* BPF_MAP_CREATE of a one-entry array: what unprivileged BPF allows
	 * where it is enabled. */
	uint32_t attr[32] = { 2 /* BPF_MAP_TYPE_ARRAY */, 4, 4, 1 };
	long fd = syscall(SYS_bpf, 0 /* BPF_MAP_CREATE */, attr, sizeof(attr));

	if (fd < 0)
		return neg_errno();
	(void)close((int)fd);
	return 0;
}

static int cmd_perf_event(char **args _unused_)
{
	/* A software clock counter on ourselves: perf_event_attr with type
	 * PERF_TYPE_SOFTWARE (1), size 128 (VER7), config 0 (cpu-clock),
	 * exclude_kernel and exclude_hv set. */
	uint64_t attr[16] = { 1ULL | 128ULL << 32, 0, 0, 0, 0, 1ULL << 5 | 1ULL << 6 };
	long fd = syscall(SYS_perf_event_open, attr, 0, -1, -1, 0UL);

	if (fd < 0)
		return neg_errno();
	(void)close((int)fd);
	return 0;
}

static int cmd_userfaultfd(char **args _unused_)
{
	/* UFFD_USER_MODE_ONLY (1): what an unprivileged process may ask for. */
	long fd = syscall(SYS_userfaultfd, O_CLOEXEC | 1);

	if (fd < 0)
		return neg_errno();
	(void)close((int)fd);
	return 0;
}

static int cmd_keyctl(char **args _unused_)
{
	/* KEYCTL_GET_KEYRING_ID (0) of KEY_SPEC_SESSION_KEYRING (-3). */
	return syscall(SYS_keyctl, 0, -3, 0) < 0 ? neg_errno() : 0;
}

static int cmd_io_uring(char **args _unused_)
{
	uint32_t params[30] = { 0 };  /* struct io_uring_params, 120 bytes */
	long fd = syscall(SYS_io_uring_setup, 1, params);

	if (fd < 0)
		return neg_errno();
	(void)close((int)fd);
	return 0;
}

static int cmd_tiocsti(char **a)
{
	char c = '\n';

	return ioctl((int)arg_ll(a[0]), TIOCSTI, &c) < 0 ? neg_errno() : 0;
}

static int cmd_personality(char **a)
{
	unsigned long long v = 0;
	int old;

	(void)parse_u32(a[0], &v);
	old = personality((unsigned long)v);
	if (old < 0)
		return neg_errno();
	/* Put the previous persona back, unless this was the query. */
	if (v != 0xffffffffULL)
		(void)personality((unsigned long)old);
	return 0;
}

/* Fork with raw clone(2) and a namespace flag: the child only exits. */
static int cmd_clone_ns(char **a)
{
	long pid = syscall(SYS_clone, (unsigned long)(SIGCHLD | parse_namespace(a[0])), NULL, NULL, NULL, 0UL);

	if (pid < 0)
		return neg_errno();
	if (pid == 0)
		_exit(0);
	while (waitpid((pid_t)pid, NULL, 0) < 0 && errno == EINTR)
		;
	return 0;
}

static int cmd_clone3(char **args _unused_)
{
	uint64_t cl_args[8] = { 0, 0, 0, 0, SIGCHLD };  /* struct clone_args, version 0 */
	long pid = syscall(SYS_clone3, cl_args, sizeof(cl_args));

	if (pid < 0)
		return neg_errno();
	if (pid == 0)
		_exit(0);
	while (waitpid((pid_t)pid, NULL, 0) < 0 && errno == EINTR)
		;
	return 0;
}

/* Add capability CAP to the permitted and effective sets with capset(2). */
static int cmd_capset_raise(char **a)
{
	struct __user_cap_header_struct hdr = { .version = _LINUX_CAPABILITY_VERSION_3, .pid = 0 };
	struct __user_cap_data_struct data[_LINUX_CAPABILITY_U32S_3] = {};
	long long cap = arg_ll(a[0]);

	if (cap > 63)
		return -EINVAL;
	if (syscall(SYS_capget, &hdr, data) < 0)
		return neg_errno();
	data[cap / 32].permitted |= 1u << (cap % 32);
	data[cap / 32].effective |= 1u << (cap % 32);
	return syscall(SYS_capset, &hdr, data) < 0 ? neg_errno() : 0;
}

/* Bind a TCP socket to 127.0.0.1:PORT; below 1024 that takes
 * CAP_NET_BIND_SERVICE in the network namespace's user namespace. */
static int cmd_bind_tcp(char **a)
{
	struct sockaddr_in sin = { .sin_family = AF_INET, .sin_port = htons((uint16_t)arg_ll(a[0])) };
	int one = 1, fd, r;

	sin.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return neg_errno();
	(void)setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
	r = bind(fd, (struct sockaddr *)&sin, sizeof(sin)) < 0 ? neg_errno() : 0;
	(void)close(fd);
	return r;
}

static int cmd_setns_fd(char **a)
{
	return setns((int)arg_ll(a[0]), 0) < 0 ? neg_errno() : 0;
}

/* Listen on a unix stream socket ("@name": abstract) until the probe
 * exits: the peer a test's connect-unix in a void must not reach. */
static int cmd_listen_unix(char **a)
{
	struct sockaddr_un sun;
	int salen = unix_addr(a[0], &sun);
	int fd;

	if (salen < 0)
		return salen;
	fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return neg_errno();
	if (bind(fd, (struct sockaddr *)&sun, (socklen_t)salen) < 0 || listen(fd, 16) < 0) {
		int r = neg_errno();
		(void)close(fd);
		return r;
	}
	return 0;  /* left open on purpose */
}

/* Argument kinds, one letter each, checked before anything runs:
 *   p path   t text   i pid (may be negative)   u count or fd (>= 0)
 *   U uid    c exit code   d seconds   s signal   n namespace
 *   a IPv4 literal   P port   x 32-bit value (0x hex allowed)
 *   C capability number (0..63) */
static const struct command {
	const char *name;
	const char *args;
	bool custom;
	int (*run)(char **args);
} commands[] = {
	{ "report",       "",   true,  cmd_report },
	{ "read",         "p",  false, cmd_read },
	{ "write",        "p",  false, cmd_write },
	{ "ls",           "p",  false, cmd_ls },
	{ "stat",         "p",  false, cmd_stat },
	{ "mkdir",        "p",  false, cmd_mkdir },
	{ "kill",         "is", false, cmd_kill },
	{ "signal-self",  "s",  false, cmd_signal_self },
	{ "exit",         "c",  true,  cmd_exit },
	{ "sleep",        "d",  false, cmd_sleep },
	{ "spin",         "d",  false, cmd_spin },
	{ "connect-tcp",  "aP", false, cmd_connect_tcp },
	{ "connect-unix", "p",  false, cmd_connect_unix },
	{ "mount-tmpfs",  "p",  false, cmd_mount_tmpfs },
	{ "unshare",      "n",  false, cmd_unshare },
	{ "setns",        "p",  false, cmd_setns },
	{ "mknod",        "p",  false, cmd_mknod },
	{ "chroot",       "p",  false, cmd_chroot },
	{ "ptrace",       "i",  false, cmd_ptrace },
	{ "thread-ptrace", "",  false, cmd_thread_ptrace },
	{ "setuid",       "U",  false, cmd_setuid },
	{ "sethostname",  "t",  false, cmd_sethostname },
	{ "echo",         "t",  true,  cmd_echo },
	{ "cat",          "",   true,  cmd_cat },
	{ "fork-bomb",    "u",  true,  cmd_fork_bomb },
	{ "alloc",        "u",  false, cmd_alloc },
	{ "openfiles",    "u",  true,  cmd_openfiles },
	{ "cputime",      "",   true,  cmd_cputime },
	{ "cgroup",       "",   true,  cmd_cgroup },
	{ "write-fd",     "ut", true,  cmd_write_fd },
	{ "read-fd",      "u",  true,  cmd_read_fd },
	{ "init-module",  "",   false, cmd_init_module },
	{ "kexec",        "",   false, cmd_kexec },
	{ "bpf",          "",   false, cmd_bpf },
	{ "perf-event",   "",   false, cmd_perf_event },
	{ "userfaultfd",  "",   false, cmd_userfaultfd },
	{ "keyctl",       "",   false, cmd_keyctl },
	{ "io-uring",     "",   false, cmd_io_uring },
	{ "tiocsti",      "u",  false, cmd_tiocsti },
	{ "personality",  "x",  false, cmd_personality },
	{ "clone-ns",     "n",  false, cmd_clone_ns },
	{ "clone3",       "",   false, cmd_clone3 },
	{ "capset-raise", "C",  false, cmd_capset_raise },
	{ "bind-tcp",     "P",  false, cmd_bind_tcp },
	{ "setns-fd",     "u",  false, cmd_setns_fd },
	{ "listen-unix",  "p",  false, cmd_listen_unix },
};

static bool arg_valid(char kind, const char *s)
{
	struct in_addr in;
	long long v;
	double d;

	switch (kind) {
	case 'p':
	case 't':
		return true;
	case 'i':
		return parse_ll(s, INT_MIN, INT_MAX, &v);
	case 'u':
		return parse_ll(s, 0, INT_MAX, &v);
	case 'U':
		return parse_ll(s, 0, UINT32_MAX, &v);
	case 'c':
		return parse_ll(s, 0, 255, &v);
	case 'd':
		return parse_seconds(s, &d);
	case 's':
		return parse_signal(s) >= 0;
	case 'n':
		return parse_namespace(s) != 0;
	case 'a':
		return inet_pton(AF_INET, s, &in) == 1;
	case 'P':
		return parse_ll(s, 0, 65535, &v);
	case 'x': {
		unsigned long long x;
		return parse_u32(s, &x);
	}
	case 'C':
		return parse_ll(s, 0, 63, &v);
	default:
		return false;
	}
}

static const struct command *find_command(const char *name)
{
	for (size_t i = 0; i < ARRAY_SIZE(commands); i++)
		if (streq(commands[i].name, name))
			return &commands[i];
	return NULL;
}

static void usage(void)
{
	fprintf(stderr, "usage: voidrun-probe [CMD [ARGS]]...\ncommands:");
	for (size_t i = 0; i < ARRAY_SIZE(commands); i++)
		fprintf(stderr, " %s", commands[i].name);
	fprintf(stderr, "\nwith no command: report\n");
}

int main(int argc, char **argv)
{
	static char *report_argv[] = { (char *)"report", NULL };
	const struct command **plan;
	char **args = argv + 1;
	int nargs = argc - 1, nsteps = 0;

	if (nargs <= 0) {
		args = report_argv;
		nargs = 1;
	}

	/* Validate the whole command line first: a typo in the last command
	 * must not leave the earlier ones done. */
	plan = calloc((size_t)nargs, sizeof(*plan));
	if (!plan) {
		fprintf(stderr, "voidrun-probe: out of memory\n");
		return 2;
	}
	for (int i = 0; i < nargs;) {
		const struct command *c = find_command(args[i]);
		size_t want;

		if (!c) {
			fprintf(stderr, "voidrun-probe: unknown command '%s'\n", args[i]);
			usage();
			return 2;
		}
		want = strlen(c->args);
		if ((size_t)(nargs - i - 1) < want) {
			fprintf(stderr, "voidrun-probe: %s needs %zu argument(s)\n", c->name, want);
			return 2;
		}
		for (size_t k = 0; k < want; k++)
			if (!arg_valid(c->args[k], args[i + 1 + k])) {
				fprintf(stderr, "voidrun-probe: %s: bad argument '%s'\n",
					c->name, args[i + 1 + k]);
				return 2;
			}
		plan[nsteps++] = c;
		i += 1 + (int)want;
	}

	/* Line-buffered even into a pipe: a test that waits for "echo ready"
	 * before acting must see it when it is printed, not at exit. */
	(void)setvbuf(stdout, NULL, _IOLBF, 0);

	for (int s = 0, i = 0; s < nsteps; s++) {
		const struct command *c = plan[s];
		int r = c->run(args + i + 1);

		if (!c->custom)
			result(c->name, r);
		i += 1 + (int)strlen(c->args);
	}
	free(plan);
	return fflush(stdout) == 0 ? 0 : 1;
}
