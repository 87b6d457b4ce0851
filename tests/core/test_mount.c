/* SPDX-License-Identifier: MIT */
/* The mount primitives, each exercised in a forked child that unshares a
 * user and a mount namespace (so nothing reaches the host, and unprivileged
 * users can run them too), then checked against what the kernel reports in
 * /proc/self/mountinfo and against what a write really does. Children
 * report the first failed check on stderr and by their exit code. */
#define _GNU_SOURCE
#include "harness.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <ftw.h>
#include <limits.h>
#include <linux/magic.h>
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/statfs.h>
#include <sys/wait.h>
#include <unistd.h>

#include "idmap.h"
#include "mount.h"

/* A child that could not enter its namespaces exits with this. */
#define NO_NS 77

/* ---- fixture ------------------------------------------------------------ */

struct tmp {
	char dir[PATH_MAX]; /* realpath of a fresh directory on the host */
};

static int setup(void **state)
{
	struct tmp *t = calloc(1, sizeof(*t));

	if (!t || vr_test_mkdtemp("mount", t->dir) < 0) {
		free(t);
		return -1;
	}
	*state = t;
	return 0;
}

static int teardown(void **state)
{
	struct tmp *t = *state;
	int r = vr_test_rmtree(t->dir);

	if (r < 0)
		fprintf(stderr, "teardown: removing %s: %s\n", t->dir, strerror(errno));
	if (waitpid(-1, NULL, WNOHANG | __WALL) != -1 || errno != ECHILD) {
		fprintf(stderr, "teardown: a child process was left behind\n");
		r = -1;
	}
	free(t);
	return r;
}

/* ---- checks inside the child -------------------------------------------- */

#define CK(cond)                                                                         \
	do {                                                                             \
		if (!(cond)) {                                                           \
			fprintf(stderr, "%s:%d: %s: check failed: %s (errno: %s)\n", __FILE__, \
				__LINE__, __func__, #cond, strerror(errno));             \
			return 1;                                                        \
		}                                                                        \
	} while (0)

#define CK_EQ(a, b)                                                                          \
	do {                                                                                 \
		long a_ = (long)(a), b_ = (long)(b);                                         \
		if (a_ != b_) {                                                              \
			fprintf(stderr, "%s:%d: %s: %s == %s: %ld != %ld\n", __FILE__, __LINE__, \
				__func__, #a, #b, a_, b_);                                   \
			return 1;                                                            \
		}                                                                            \
	} while (0)

/* Enter new user and mount namespaces, mapped to ourselves, with every
 * mount private. Returns 0, or NO_NS when the kernel refuses. */
static int enter_ns(void)
{
	const struct vr_idmap u = { 0, (unsigned)geteuid(), 1 }, g = { 0, (unsigned)getegid(), 1 };
	int r;

	if (unshare(CLONE_NEWUSER | CLONE_NEWNS) < 0) {
		fprintf(stderr, "unshare(CLONE_NEWUSER|CLONE_NEWNS): %s\n", strerror(errno));
		return NO_NS;
	}
	/* From inside, only our own ids, and only with setgroups denied. */
	r = vr_idmap_write(getpid(), &u, 1, &g, 1, true);
	if (r < 0) {
		fprintf(stderr, "id map: %s\n", strerror(-r));
		return NO_NS;
	}
	CK_EQ(vr_mount_make_private("/"), 0);
	return 0;
}

/* Run fn in a child inside its own namespaces; skip loudly if there are
 * none to be had. */
static void run_in_ns(int (*fn)(void *), void *arg, const char *test)
{
	int r;

	if (!vr_test_can_userns())
		VR_SKIP("%s: user namespaces are not available to this user", test);
	r = vr_test_in_child(fn, arg);
	if (r == NO_NS)
		VR_SKIP("%s: could not enter a user and mount namespace", test);
	assert_int_equal(r, 0);
}

#define RUN_IN_NS(fn, arg) run_in_ns(fn, arg, __func__)

/* The mountinfo entry mounted last at path: its per-mount options, its
 * filesystem type and its superblock options. Returns whether there is one. */
struct minfo {
	char opts[512];
	char fstype[64];
	char super[512];
};

static bool mountinfo_at(const char *path, struct minfo *ret)
{
	char line[4096], mnt[PATH_MAX];
	bool found = false;
	FILE *f = fopen("/proc/self/mountinfo", "re");

	if (!f)
		return false;
	while (fgets(line, sizeof(line), f)) {
		struct minfo m;
		char *dash = strstr(line, " - ");

		if (!dash || sscanf(line, "%*s %*s %*s %*s %4095s %511s", mnt, m.opts) != 2 ||
		    strcmp(mnt, path) != 0 || sscanf(dash, " - %63s %*s %511s", m.fstype, m.super) != 2)
			continue;
		found = true;
		if (ret)
			*ret = m;
	}
	(void)fclose(f);
	return found;
}

/* Whether the comma-separated list opts holds opt. */
static bool has_opt(const char *opts, const char *opt)
{
	size_t n = strlen(opt);

	for (const char *p = opts; p; p = strchr(p, ',')) {
		if (*p == ',')
			p++;
		if (strncmp(p, opt, n) == 0 && (p[n] == ',' || p[n] == '\0'))
			return true;
	}
	return false;
}

/* dir/name into buf (PATH_MAX bytes). Our paths are short: a longer one
 * is a broken test, and aborts (which the parent reports). */
static char *join(char *buf, const char *dir, const char *name)
{
	int n = snprintf(buf, PATH_MAX, "%s/%s", dir, name);

	if (n < 0 || n >= PATH_MAX)
		abort();
	return buf;
}

/* Create path with content; returns 0 or -errno. */
static int put(const char *path, const char *content)
{
	int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
	ssize_t w;

	if (fd < 0)
		return -errno;
	w = write(fd, content, strlen(content));
	(void)close(fd);
	return w == (ssize_t)strlen(content) ? 0 : -EIO;
}

/* Open path for writing (creating it): the errno, or 0 when allowed. */
static int write_errno(const char *path)
{
	int fd = open(path, O_WRONLY | O_CREAT | O_CLOEXEC, 0644);

	if (fd < 0)
		return errno;
	(void)close(fd);
	return 0;
}

static bool holds(const char *path, const char *content)
{
	char buf[256];
	ssize_t n;
	int fd = open(path, O_RDONLY | O_CLOEXEC);

	if (fd < 0)
		return false;
	n = read(fd, buf, sizeof(buf) - 1);
	(void)close(fd);
	if (n < 0)
		return false;
	buf[n] = '\0';
	return strcmp(buf, content) == 0;
}

static bool is_fs(const char *path, long magic)
{
	struct statfs sf;

	return statfs(path, &sf) == 0 && (long)sf.f_type == magic;
}

/* ---- failure paths -------------------------------------------------------- */

static int bind_missing(void *arg)
{
	const struct tmp *t = arg;
	char missing[PATH_MAX], dir[PATH_MAX], file[PATH_MAX];
	int r;

	if ((r = enter_ns()))
		return r;
	join(missing, t->dir, "missing");
	CK_EQ(mkdir(join(dir, t->dir, "dir"), 0755), 0);
	CK_EQ(put(join(file, t->dir, "file"), "x"), 0);

	CK_EQ(vr_mount_bind(missing, dir, 0), -ENOENT);
	CK_EQ(vr_mount_bind(missing, dir, VR_MOUNT_RDONLY), -ENOENT);
	CK_EQ(vr_mount_bind(dir, missing, 0), -ENOENT);
	CK_EQ(vr_mount_clone_tree(missing, 0), -ENOENT);
	CK_EQ(vr_mount_clone_tree(missing, VR_MOUNT_RDONLY), -ENOENT);
	/* A file onto a directory, a directory onto a file. */
	r = vr_mount_bind(file, dir, 0);
	CK(r == -ENOTDIR || r == -EISDIR);
	r = vr_mount_bind(dir, file, 0);
	CK(r == -ENOTDIR || r == -EISDIR);
	/* None of them left a mount behind. */
	CK(!mountinfo_at(dir, NULL));
	CK(!mountinfo_at(file, NULL));
	return 0;
}

static void test_bind_missing(void **state)
{
	RUN_IN_NS(bind_missing, *state);
}

static int misc_failures(void *arg)
{
	const struct tmp *t = arg;
	char missing[PATH_MAX], dir[PATH_MAX];
	int r, fd;

	if ((r = enter_ns()))
		return r;
	join(missing, t->dir, "missing");
	CK_EQ(mkdir(join(dir, t->dir, "dir"), 0755), 0);

	CK_EQ(vr_mount_tmpfs(missing, NULL, 0), -ENOENT);
	CK_EQ(vr_mount_tmpfs(dir, "size=bogus", 0), -EINVAL);
	CK_EQ(vr_mount_make_private(missing), -ENOENT);
	/* Not a mount point. */
	CK_EQ(vr_mount_umount(dir, 0), -EINVAL);
	CK_EQ(vr_mount_umount(missing, 0), -ENOENT);
	CK_EQ(vr_mount_remount_ro(dir), -EINVAL);
	CK_EQ(vr_mount_pivot(dir), -EINVAL);
	CK_EQ(vr_mount_pivot(missing), -ENOENT);
	CK_EQ(vr_mount_attach(-1, dir), -EBADF);
	/* An fd that is no detached mount. */
	fd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	CK(fd >= 0);
	r = vr_mount_attach(fd, dir);
	(void)close(fd);
	CK(r == -EINVAL || r == -EPERM);
	/* Our pid namespace belongs to the host's user namespace. */
	CK_EQ(vr_mount_proc(dir), -EPERM);
	CK(!mountinfo_at(dir, NULL));
	return 0;
}

static void test_misc_failures(void **state)
{
	RUN_IN_NS(misc_failures, *state);
}

/* ---- vr_mount_mkdirs (needs no namespace) -------------------------------- */

static void test_mkdirs(void **state)
{
	const struct tmp *t = *state;
	static const char *const made[] = { "a", "a/b", "a/b/c" };
	char path[PATH_MAX], copy[PATH_MAX], p[PATH_MAX];
	struct stat st;
	mode_t mask = umask(022);

	(void)umask(mask);
	join(path, t->dir, "a/b/c");
	strcpy(copy, path);
	assert_int_equal(vr_mount_mkdirs(path), 0);
	assert_string_equal(path, copy);
	for (size_t i = 0; i < sizeof(made) / sizeof(made[0]); i++) {
		assert_int_equal(stat(join(p, t->dir, made[i]), &st), 0);
		assert_true(S_ISDIR(st.st_mode));
		assert_int_equal(st.st_mode & 07777, 0755 & ~mask);
	}
	/* All there already: EEXIST is no error. */
	assert_int_equal(vr_mount_mkdirs(path), 0);
	assert_string_equal(path, copy);

	/* A trailing slash and a doubled one. */
	join(path, t->dir, "x//y/");
	strcpy(copy, path);
	assert_int_equal(vr_mount_mkdirs(path), 0);
	assert_string_equal(path, copy);
	assert_int_equal(stat(path, &st), 0);
	assert_true(S_ISDIR(st.st_mode));

	/* A file in the way: -ENOTDIR, the string restored all the same. */
	assert_int_equal(put(join(p, t->dir, "file"), "x"), 0);
	join(path, t->dir, "file/sub/deeper");
	strcpy(copy, path);
	assert_int_equal(vr_mount_mkdirs(path), -ENOTDIR);
	assert_string_equal(path, copy);

	strcpy(path, "/");
	assert_int_equal(vr_mount_mkdirs(path), 0);
	assert_string_equal(path, "/");
}

/* ---- tmpfs, binds, detached trees, remounts ---------------------------- */

static int tmpfs_visible(void *arg)
{
	const struct tmp *t = arg;
	char dir[PATH_MAX], f[PATH_MAX];
	struct minfo m;
	int r;

	if ((r = enter_ns()))
		return r;
	/* Every mount made private by enter_ns: nothing propagates. */
	{
		char line[4096];
		FILE *mi = fopen("/proc/self/mountinfo", "re");
		CK(mi != NULL);
		while (fgets(line, sizeof(line), mi))
			CK(strstr(line, " shared:") == NULL);
		(void)fclose(mi);
	}

	CK_EQ(mkdir(join(dir, t->dir, "t"), 0755), 0);
	CK_EQ(vr_mount_tmpfs(dir, "mode=0700,size=64k", VR_MOUNT_NOSUID | VR_MOUNT_NODEV | VR_MOUNT_NOEXEC), 0);
	CK(mountinfo_at(dir, &m));
	CK(strcmp(m.fstype, "tmpfs") == 0);
	CK(has_opt(m.opts, "rw"));
	CK(has_opt(m.opts, "nosuid"));
	CK(has_opt(m.opts, "nodev"));
	CK(has_opt(m.opts, "noexec"));
	CK(has_opt(m.super, "mode=700"));
	CK(is_fs(dir, TMPFS_MAGIC));
	CK_EQ(put(join(f, dir, "file"), "in tmpfs"), 0);
	CK(holds(f, "in tmpfs"));

	/* A read-only tmpfs refuses writes. */
	CK_EQ(vr_mount_tmpfs(dir, NULL, VR_MOUNT_RDONLY), 0);
	CK(mountinfo_at(dir, &m));
	CK(has_opt(m.opts, "ro"));
	CK(!has_opt(m.opts, "nosuid")); /* flags are per call */
	CK_EQ(write_errno(join(f, dir, "new")), EROFS);
	return 0;
}

static void test_tmpfs(void **state)
{
	RUN_IN_NS(tmpfs_visible, *state);
}

/* src holds a file and a tmpfs at src/sub (to see the recursion). */
static int make_src(const struct tmp *t, char *src)
{
	char p[PATH_MAX];

	CK_EQ(mkdir(join(src, t->dir, "src"), 0755), 0);
	CK_EQ(put(join(p, src, "f"), "hello"), 0);
	CK_EQ(mkdir(join(p, src, "sub"), 0755), 0);
	CK_EQ(vr_mount_tmpfs(p, "size=64k", 0), 0);
	CK_EQ(put(join(p, src, "sub/g"), "deep"), 0);
	return 0;
}

static int bind_rdonly(void *arg)
{
	const struct tmp *t = arg;
	char src[PATH_MAX], dst[PATH_MAX], rw[PATH_MAX], p[PATH_MAX];
	struct minfo m;
	int r;

	if ((r = enter_ns()) || (r = make_src(t, src)))
		return r;
	CK_EQ(mkdir(join(dst, t->dir, "dst"), 0755), 0);
	CK_EQ(mkdir(join(rw, t->dir, "rw"), 0755), 0);

	CK_EQ(vr_mount_bind(src, dst, VR_MOUNT_RDONLY | VR_MOUNT_NOSUID), 0);
	CK(mountinfo_at(dst, &m));
	CK(has_opt(m.opts, "ro"));
	CK(has_opt(m.opts, "nosuid"));
	CK(holds(join(p, dst, "f"), "hello"));
	CK_EQ(write_errno(join(p, dst, "f")), EROFS);
	CK_EQ(write_errno(join(p, dst, "new")), EROFS);
	CK_EQ(mkdir(join(p, dst, "newdir"), 0755), -1);
	CK_EQ(errno, EROFS);
	/* Recursive, and read-only all the way down. */
	CK(is_fs(join(p, dst, "sub"), TMPFS_MAGIC));
	CK(holds(join(p, dst, "sub/g"), "deep"));
	CK_EQ(write_errno(join(p, dst, "sub/g")), EROFS);
	CK(mountinfo_at(join(p, dst, "sub"), &m));
	CK(has_opt(m.opts, "ro"));
	/* The source stays writable, and the bind shows it. */
	CK_EQ(put(join(p, src, "later"), "seen"), 0);
	CK(holds(join(p, dst, "later"), "seen"));
	CK_EQ(put(join(p, src, "sub/later"), "seen"), 0);
	CK(holds(join(p, dst, "sub/later"), "seen"));

	/* Without flags, a bind is writable, through to the source. */
	CK_EQ(vr_mount_bind(src, rw, 0), 0);
	CK(mountinfo_at(rw, &m));
	CK(has_opt(m.opts, "rw"));
	CK_EQ(put(join(p, rw, "written"), "through"), 0);
	CK(holds(join(p, src, "written"), "through"));
	return 0;
}

static void test_bind_rdonly(void **state)
{
	RUN_IN_NS(bind_rdonly, *state);
}

static int clone_attach(void *arg)
{
	const struct tmp *t = arg;
	char src[PATH_MAX], dst[PATH_MAX], p[PATH_MAX];
	struct minfo m;
	int r, fd;

	if ((r = enter_ns()) || (r = make_src(t, src)))
		return r;
	CK_EQ(mkdir(join(dst, t->dir, "dst"), 0755), 0);

	fd = vr_mount_clone_tree(src, VR_MOUNT_RDONLY | VR_MOUNT_NOEXEC);
	CK(fd >= 0);
	CK(fcntl(fd, F_GETFD) & FD_CLOEXEC);
	/* Detached: nowhere to be seen yet. */
	CK(!mountinfo_at(dst, NULL));
	CK_EQ(vr_mount_attach(fd, join(p, t->dir, "missing")), -ENOENT);
	CK_EQ(vr_mount_attach(fd, dst), 0);
	CK_EQ(close(fd), 0);

	CK(mountinfo_at(dst, &m));
	CK(has_opt(m.opts, "ro"));
	CK(has_opt(m.opts, "noexec"));
	CK(holds(join(p, dst, "f"), "hello"));
	CK_EQ(write_errno(join(p, dst, "f")), EROFS);
	CK_EQ(write_errno(join(p, dst, "new")), EROFS);
	/* The tree came whole, read-only to the bottom. */
	CK(holds(join(p, dst, "sub/g"), "deep"));
	CK_EQ(write_errno(join(p, dst, "sub/g")), EROFS);
	CK(mountinfo_at(join(p, dst, "sub"), &m));
	CK(has_opt(m.opts, "ro"));
	CK(has_opt(m.opts, "noexec"));
	/* The source is untouched. */
	CK(mountinfo_at(join(p, src, "sub"), &m));
	CK(has_opt(m.opts, "rw"));
	CK_EQ(write_errno(join(p, src, "f")), 0);

	/* With no flags the clone is writable. */
	fd = vr_mount_clone_tree(src, 0);
	CK(fd >= 0);
	CK_EQ(vr_mount_attach(fd, dst), 0);
	CK_EQ(close(fd), 0);
	CK_EQ(write_errno(join(p, dst, "new")), 0);
	return 0;
}

static void test_clone_tree_attach(void **state)
{
	RUN_IN_NS(clone_attach, *state);
}

static int remount_ro(void *arg)
{
	const struct tmp *t = arg;
	char dir[PATH_MAX], src[PATH_MAX], dst[PATH_MAX], p[PATH_MAX];
	struct minfo m;
	int r;

	if ((r = enter_ns()))
		return r;
	CK_EQ(mkdir(join(dir, t->dir, "t"), 0755), 0);
	CK_EQ(vr_mount_tmpfs(dir, "size=64k", VR_MOUNT_NOSUID), 0);
	CK_EQ(put(join(p, dir, "f"), "before"), 0);
	CK_EQ(vr_mount_remount_ro(dir), 0);
	CK(mountinfo_at(dir, &m));
	CK(has_opt(m.opts, "ro"));
	CK(holds(join(p, dir, "f"), "before"));
	CK_EQ(write_errno(join(p, dir, "f")), EROFS);
	CK_EQ(write_errno(join(p, dir, "g")), EROFS);

	/* Of a bind: only that mount changes, not the filesystem below. */
	CK_EQ(mkdir(join(src, t->dir, "src"), 0755), 0);
	CK_EQ(mkdir(join(dst, t->dir, "dst"), 0755), 0);
	CK_EQ(vr_mount_bind(src, dst, 0), 0);
	CK_EQ(vr_mount_remount_ro(dst), 0);
	CK_EQ(write_errno(join(p, dst, "x")), EROFS);
	CK_EQ(write_errno(join(p, src, "x")), 0);
	CK(access(join(p, dst, "x"), F_OK) == 0);
	return 0;
}

static void test_remount_ro(void **state)
{
	RUN_IN_NS(remount_ro, *state);
}

static int umount_ok(void *arg)
{
	const struct tmp *t = arg;
	char dir[PATH_MAX], p[PATH_MAX];
	int r, fd;

	if ((r = enter_ns()))
		return r;
	CK_EQ(mkdir(join(dir, t->dir, "t"), 0755), 0);
	CK_EQ(vr_mount_tmpfs(dir, "size=64k", 0), 0);
	CK_EQ(put(join(p, dir, "f"), "x"), 0);
	CK_EQ(vr_mount_umount(dir, 0), 0);
	CK(!mountinfo_at(dir, NULL));
	CK(access(join(p, dir, "f"), F_OK) < 0 && errno == ENOENT);
	CK_EQ(vr_mount_umount(dir, 0), -EINVAL);

	/* Busy: refused; detached: gone at once, open files still work. */
	CK_EQ(vr_mount_tmpfs(dir, "size=64k", 0), 0);
	fd = open(join(p, dir, "held"), O_RDWR | O_CREAT | O_CLOEXEC, 0644);
	CK(fd >= 0);
	CK_EQ(vr_mount_umount(dir, 0), -EBUSY);
	CK(mountinfo_at(dir, NULL));
	CK_EQ(vr_mount_umount(dir, MNT_DETACH), 0);
	CK(!mountinfo_at(dir, NULL));
	CK(access(p, F_OK) < 0 && errno == ENOENT);
	CK_EQ(write(fd, "ok", 2), 2);
	CK_EQ(close(fd), 0);
	return 0;
}

static void test_umount(void **state)
{
	RUN_IN_NS(umount_ok, *state);
}

/* ---- /proc and pivot_root ------------------------------------------------ */

/* pid 1 of a fresh pid namespace: mount its procfs and look at it. */
static int proc_as_pid1(const char *dir)
{
	char p[PATH_MAX], link[64];
	struct minfo m;
	ssize_t n;

	CK_EQ(getpid(), 1);
	CK_EQ(vr_mount_proc(dir), 0);
	CK(mountinfo_at(dir, &m));
	CK(strcmp(m.fstype, "proc") == 0);
	CK(has_opt(m.opts, "nosuid"));
	CK(has_opt(m.opts, "nodev"));
	CK(has_opt(m.opts, "noexec"));
	CK(is_fs(dir, PROC_SUPER_MAGIC));
	/* It is this namespace's procfs: "self" is pid 1, and we are alone. */
	n = readlink(join(p, dir, "self"), link, sizeof(link) - 1);
	CK(n > 0);
	link[n] = '\0';
	CK(strcmp(link, "1") == 0);
	CK(access(join(p, dir, "2"), F_OK) < 0);
	return 0;
}

static int proc_in_pidns(void *arg)
{
	const struct tmp *t = arg;
	char dir[PATH_MAX];
	int r, st;
	pid_t pid;

	if ((r = enter_ns()))
		return r;
	CK_EQ(mkdir(join(dir, t->dir, "proc"), 0755), 0);
	/* Not in a pid namespace of our own yet. */
	CK_EQ(vr_mount_proc(dir), -EPERM);
	CK_EQ(unshare(CLONE_NEWPID), 0);
	fflush(NULL);
	pid = fork();
	CK(pid >= 0);
	if (pid == 0)
		_exit(proc_as_pid1(dir));
	CK_EQ(waitpid(pid, &st, 0), pid);
	CK(WIFEXITED(st));
	return WEXITSTATUS(st);
}

static void test_proc(void **state)
{
	RUN_IN_NS(proc_in_pidns, *state);
}

static int pivot_into_tmpfs(void *arg)
{
	const struct tmp *t = arg;
	char dir[PATH_MAX], p[PATH_MAX], cwd[PATH_MAX];
	const char *seen[4];
	size_t n = 0;
	struct dirent *e;
	DIR *d;
	int r;

	if ((r = enter_ns()))
		return r;
	CK_EQ(mkdir(join(dir, t->dir, "root"), 0755), 0);
	CK_EQ(vr_mount_tmpfs(dir, "size=64k", 0), 0);
	CK_EQ(put(join(p, dir, "only"), "new root"), 0);
	CK_EQ(mkdir(join(p, dir, "sub"), 0755), 0);

	CK_EQ(vr_mount_pivot(dir), 0);
	CK(getcwd(cwd, sizeof(cwd)) != NULL);
	CK(strcmp(cwd, "/") == 0);
	CK(is_fs("/", TMPFS_MAGIC));
	CK(holds("/only", "new root"));
	d = opendir("/");
	CK(d != NULL);
	while ((e = readdir(d)) != NULL) {
		if (strcmp(e->d_name, ".") == 0 || strcmp(e->d_name, "..") == 0)
			continue;
		if (n < 4)
			seen[n] = strcmp(e->d_name, "only") == 0 ? "only" : strcmp(e->d_name, "sub") == 0 ? "sub" : NULL;
		if (n >= 4 || !seen[n])
			fprintf(stderr, "unexpected entry in the new root: %s\n", e->d_name);
		n++;
	}
	(void)closedir(d);
	CK_EQ(n, 2);
	CK(seen[0] && seen[1] && strcmp(seen[0], seen[1]) != 0);
	/* The host is out of reach, the way up included. */
	CK(access("/tmp", F_OK) < 0 && errno == ENOENT);
	CK(access("/proc/self", F_OK) < 0 && errno == ENOENT);
	CK(access("/../../only", F_OK) == 0);
	return 0;
}

static void test_pivot(void **state)
{
	RUN_IN_NS(pivot_into_tmpfs, *state);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_bind_missing, setup, teardown),
		cmocka_unit_test_setup_teardown(test_misc_failures, setup, teardown),
		cmocka_unit_test_setup_teardown(test_mkdirs, setup, teardown),
		cmocka_unit_test_setup_teardown(test_tmpfs, setup, teardown),
		cmocka_unit_test_setup_teardown(test_bind_rdonly, setup, teardown),
		cmocka_unit_test_setup_teardown(test_clone_tree_attach, setup, teardown),
		cmocka_unit_test_setup_teardown(test_remount_ro, setup, teardown),
		cmocka_unit_test_setup_teardown(test_umount, setup, teardown),
		cmocka_unit_test_setup_teardown(test_proc, setup, teardown),
		cmocka_unit_test_setup_teardown(test_pivot, setup, teardown),
	};

	return vr_test_run(tests);
}
