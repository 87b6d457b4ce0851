/* SPDX-License-Identifier: MIT */
#define _GNU_SOURCE
#include "void.h"

#include <errno.h>
#include <fcntl.h>
#include <grp.h>
#include <limits.h>
#include <net/if.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <linux/close_range.h>
#include <linux/sched.h>
#include <linux/seccomp.h>
#include <poll.h>
#include <pthread.h>
#include <semaphore.h>
#include <sched.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/capability.h>
#include <sys/mman.h>
#include <sys/mount.h>
#include <sys/prctl.h>
#include <sys/signalfd.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include "clone.h"
#include "fd.h"
#include "harden.h"
#include "idmap.h"
#include "limit.h"
#include "mount.h"
#include "net.h"
#include "util.h"

#ifndef SECBIT_NOROOT
#include <linux/securebits.h>
#endif

/* While the void is built, its root tmpfs is mounted here, inside the
 * void's own mount namespace (the host never sees it). /tmp exists on every
 * Linux system; what it holds on the host stays reachable as a bind source
 * because every bind source is cloned (open_tree) before the tmpfs covers
 * it. */
#define STAGE "/tmp"
#define STAGE_LEN (sizeof(STAGE) - 1)

#define VR_MAX_FD 1024

enum { VR_MSG_READY = 1, VR_MSG_ERROR, VR_MSG_EXIT, VR_MSG_TIMEOUT, VR_MSG_SECCOMP, VR_MSG_STOPPED };

/* What pid 1 reports to voidrun. Written whole, in one write(2) of less
 * than PIPE_BUF bytes, so it is never interleaved or split. A SECCOMP
 * message: status is the system call's number, pid the process killed
 * for it (as pid 1 sees it), entry whether that was the entry. */
struct vr_msg {
	int type;
	int status;
	int pid;
	int entry;  /* SECCOMP: 1 when that process was the entry */
	struct vr_err err;
};

_Static_assert(sizeof(struct vr_msg) <= 4096, "status messages must be atomic pipe writes");

/* ---------------------------------------------------------------- plan */

static char *xstrdup(const char *s)
{
	return s ? strdup(s) : NULL;
}

int vr_plan_set_string(char **field, const char *value)
{
	char *copy = xstrdup(value);

	if (value && !copy)
		return -ENOMEM;
	free(*field);
	*field = copy;
	return 0;
}

int vr_plan_new(struct vr_plan **ret)
{
	struct vr_plan *p = calloc(1, sizeof(*p));

	if (!p)
		return -ENOMEM;
	p->refs = 1;
	p->ns_flags = VR_CLONE_ALL_NS;
	p->host_uid = p->host_gid = -1;
	p->devnull = -1;
	p->join_netns = -1;
	p->hostname = strdup("void");
	p->cwd = strdup("/");
	/* The root holds only mount points: keep it tiny. It is made
	 * read-only once built. */
	p->root_options = strdup("mode=0755,size=64k,nr_inodes=4096");
	p->envp = calloc(1, sizeof(char *));
	p->argv = calloc(1, sizeof(char *));
	if (!p->hostname || !p->cwd || !p->root_options || !p->envp || !p->argv) {
		vr_plan_free(p);
		return -ENOMEM;
	}
	p->devnull = open("/dev/null", O_RDWR | O_CLOEXEC);
	if (p->devnull >= 0 && p->devnull < 3) {
		/* Same reason as pipe_above_stdio. */
		int n = fcntl(p->devnull, F_DUPFD_CLOEXEC, 3);
		(void)close(p->devnull);
		p->devnull = n;
	}
	if (p->devnull < 0) {
		int r = vr_neg_errno();
		vr_plan_free(p);
		return r;
	}
	*ret = p;
	return 0;
}

static void free_strv(char **v, size_t n)
{
	if (!v)
		return;
	for (size_t i = 0; i < n; i++)
		free(v[i]);
	free(v);
}

void vr_plan_free(struct vr_plan *p)
{
	if (!p || __atomic_sub_fetch(&p->refs, 1, __ATOMIC_ACQ_REL) > 0)
		return;
	free(p->hostname);
	free(p->path);
	free(p->cwd);
	free(p->root_options);
	free_strv(p->argv, p->n_argv);
	free_strv(p->envp, p->n_envp);
	for (size_t i = 0; i < p->n_mounts; i++) {
		free(p->mounts[i].src);
		free(p->mounts[i].dst);
		free(p->mounts[i].data);
	}
	free(p->mounts);
	free(p->fds);
	vr_limit_free(p->limits);
	vr_harden_free(p->harden);
	if (p->devnull >= 0)
		(void)close(p->devnull);
	free(p);
}

int vr_plan_set_exec(struct vr_plan *p, const char *path, const char *const *argv, size_t n)
{
	char **v;

	if (n == 0 || !path || path[0] != '/')
		return -EINVAL;
	v = calloc(n + 1, sizeof(char *));
	if (!v)
		return -ENOMEM;
	for (size_t i = 0; i < n; i++) {
		v[i] = strdup(argv[i]);
		if (!v[i]) {
			free_strv(v, i);
			return -ENOMEM;
		}
	}
	if (vr_plan_set_string(&p->path, path) < 0) {
		free_strv(v, n);
		return -ENOMEM;
	}
	free_strv(p->argv, p->n_argv);
	p->argv = v;
	p->n_argv = n;
	return 0;
}

/* Append one pointer to a NULL-terminated vector of n entries. */
static int strv_push(char ***v, size_t *n, char *s)
{
	char **nv = realloc(*v, (*n + 2) * sizeof(char *));

	if (!nv)
		return -ENOMEM;
	nv[(*n)++] = s;
	nv[*n] = NULL;
	*v = nv;
	return 0;
}

int vr_plan_add_env(struct vr_plan *p, const char *entry)
{
	char *s;

	if (!strchr(entry, '=') || entry[0] == '=')
		return -EINVAL;
	s = strdup(entry);
	if (!s)
		return -ENOMEM;
	if (strv_push(&p->envp, &p->n_envp, s) < 0) {
		free(s);
		return -ENOMEM;
	}
	return 0;
}

/* A path inside the void is absolute, fits the staging buffer and has no
 * "." or ".." component: the child resolves it under the staging root and
 * must not be led out of it. */
static bool valid_void_path(const char *path)
{
	if (!path || path[0] != '/' || strlen(path) + STAGE_LEN >= PATH_MAX)
		return false;
	for (const char *c = path; *c;) {
		while (*c == '/')
			c++;
		const char *end = strchrnul(c, '/');
		size_t len = (size_t)(end - c);
		if ((len == 1 && c[0] == '.') || (len == 2 && c[0] == '.' && c[1] == '.'))
			return false;
		c = end;
	}
	return true;
}

int vr_plan_add_mount(struct vr_plan *p, int kind, const char *src, const char *dst,
		      unsigned flags, const char *data)
{
	struct vr_mount_op *m;

	if (kind < VR_MNT_BIND || kind > VR_MNT_SYMLINK || !valid_void_path(dst))
		return -EINVAL;
	/* The host's device nodes are cloned once per void: one /dev. */
	for (size_t i = 0; kind == VR_MNT_DEV && i < p->n_mounts; i++)
		if (p->mounts[i].kind == VR_MNT_DEV)
			return -EINVAL;
	if ((kind == VR_MNT_BIND || kind == VR_MNT_SYMLINK) && (!src || !src[0]))
		return -EINVAL;
	m = realloc(p->mounts, (p->n_mounts + 1) * sizeof(*m));
	if (!m)
		return -ENOMEM;
	p->mounts = m;
	m = &p->mounts[p->n_mounts];
	*m = (struct vr_mount_op){ .kind = kind, .flags = flags };
	m->src = xstrdup(src);
	m->dst = strdup(dst);
	m->data = xstrdup(data);
	if ((src && !m->src) || !m->dst || (data && !m->data)) {
		free(m->src);
		free(m->dst);
		free(m->data);
		return -ENOMEM;
	}
	p->n_mounts++;
	return 0;
}

int vr_plan_add_fd(struct vr_plan *p, int src, int dst)
{
	struct vr_fd_op *f;

	if (src < 0 || dst < 0 || dst >= VR_MAX_FD)
		return -EINVAL;
	for (size_t i = 0; i < p->n_fds; i++)
		if (p->fds[i].dst == dst)
			return -EINVAL;
	f = realloc(p->fds, (p->n_fds + 1) * sizeof(*f));
	if (!f)
		return -ENOMEM;
	p->fds = f;
	p->fds[p->n_fds++] = (struct vr_fd_op){ .src = src, .dst = dst };
	return 0;
}

/* --------------------------------------------------------------- child */

/* Everything below runs in the child between clone3 and execve: plain
 * system calls only. A failure is reported through the status pipe and
 * ends the child with 125 (the "could not run" code of env(1)). */

struct child {
	const struct vr_plan *plan;
	const struct vr_fd_op *extra;  /* fds placed for this spawn only */
	size_t n_extra;
	const int *defer_dsts;         /* a prepared void: where the fds it is */
	size_t n_defer;                /* started with go (vr_void_start) */
	int status_fd;
	int sync_fd;
	bool newnet;  /* a new network namespace (not one joined) */
};

static void child_send_pid(const struct child *c, int type, int status, pid_t pid, bool entry,
			   const struct vr_err *err)
{
	struct vr_msg m;

	memset(&m, 0, sizeof(m));
	m.type = type;
	m.status = status;
	m.pid = pid;
	m.entry = entry;
	if (err)
		m.err = *err;
	/* Nothing to do on failure: the parent then sees pid 1 end without a
	 * report and says so. */
	(void)!write(c->status_fd, &m, sizeof(m));
}

static void child_send(const struct child *c, int type, int status, const struct vr_err *err)
{
	child_send_pid(c, type, status, 0, false, err);
}

static _Noreturn void child_fail(const struct child *c, int step, int err, const char *path, const char *path2)
{
	struct vr_err e;

	vr_err_set(&e, step, err, path, path2);
	child_send(c, VR_MSG_ERROR, 0, &e);
	_exit(125);
}

/* "/tmp" + dst into buf (lengths checked when the plan was built). */
static char *staged(char *buf, const char *dst)
{
	memcpy(buf, STAGE, STAGE_LEN);
	strcpy(buf + STAGE_LEN, dst);
	return buf;
}

/* Create the mount point for dst (staged in buf): its parents as
 * directories, itself as a directory or an empty file. */
static int make_mount_point(char *buf, bool dir)
{
	char *slash = strrchr(buf, '/');
	int r;

	/* The parents first only when they are missing: mostly they are
	 * there (/dev, a library directory), and each needless mkdir walks
	 * the path again. */
	for (int tries = 0;; tries++) {
		r = dir ? mkdir(buf, 0755) : mknod(buf, S_IFREG | 0644, 0);
		if (r == 0 || errno == EEXIST)
			return 0;
		if (errno != ENOENT || tries > 0)
			return vr_neg_errno();
		*slash = '\0';
		r = vr_mount_mkdirs(buf);
		*slash = '/';
		if (r < 0)
			return r;
	}
}

static unsigned bind_mount_flags(unsigned flags)
{
	unsigned f = VR_MOUNT_NOSUID;

	if (!(flags & VR_BIND_RW))
		f |= VR_MOUNT_RDONLY;
	if (!(flags & VR_BIND_DEV))
		f |= VR_MOUNT_NODEV;
	if (flags & VR_BIND_NOEXEC)
		f |= VR_MOUNT_NOEXEC;
	return f;
}

/* Signals that a user sends to end a process (their default action ends
 * it: signal(7)). */
static const int ending_signals[] = { SIGHUP, SIGINT, SIGQUIT, SIGTERM, SIGUSR1, SIGUSR2, SIGALRM };

static const char *const dev_nodes[] = { "null", "zero", "full", "random", "urandom", "tty" };
#define N_DEV_NODES VR_ARRAY_SIZE(dev_nodes)

/* Attach the detached tree fd at the staged path, creating its mount point. */
static int attach_tree(int fd, char *buf)
{
	struct stat st;
	int r;

	if (fstat(fd, &st) < 0)
		return vr_neg_errno();
	r = make_mount_point(buf, S_ISDIR(st.st_mode));
	if (r < 0)
		return r;
	return vr_mount_attach(fd, buf);
}

static void child_build_dev(const struct child *c, const struct vr_mount_op *m)
{
	char buf[PATH_MAX];
	size_t len;
	static const char *const links[][2] = {
		{ "/proc/self/fd", "fd" },   { "/proc/self/fd/0", "stdin" },
		{ "/proc/self/fd/1", "stdout" }, { "/proc/self/fd/2", "stderr" },
	};
	int r;

	staged(buf, m->dst);
	r = vr_mount_mkdirs(buf);
	if (r < 0)
		child_fail(c, VR_STEP_DEV, -r, m->dst, NULL);
	r = vr_mount_tmpfs(buf, "mode=0755,size=64k,nr_inodes=64", VR_MOUNT_NOSUID | VR_MOUNT_NOEXEC);
	if (r < 0)
		child_fail(c, VR_STEP_DEV, -r, m->dst, NULL);
	len = strlen(buf);
	/* The host's nodes, each bound onto an empty file. A plain bind, not
	 * a clone of a detached tree as for the profile's binds: these are
	 * world-reachable paths (no need for the launcher's credentials) and
	 * each open_tree would make a mount namespace of its own. */
	for (size_t i = 0; i < N_DEV_NODES; i++) {
		char src[32] = "/dev/";
		strcpy(src + 5, dev_nodes[i]);
		buf[len] = '/';
		strcpy(buf + len + 1, dev_nodes[i]);
		if (mknod(buf, S_IFREG | 0644, 0) < 0)
			child_fail(c, VR_STEP_DEV, errno, buf + STAGE_LEN, NULL);
		r = vr_mount_bind(src, buf, 0);
		if (r < 0)
			child_fail(c, VR_STEP_DEV, -r, src, NULL);
	}
	/* Device nodes keep working (no nodev) but nothing else: read-write
	 * is needed to use them. One call for all, before anything runs. */
	buf[len] = '\0';
	r = vr_mount_set_flags(buf, VR_MOUNT_NOSUID | VR_MOUNT_NOEXEC, true);
	if (r < 0)
		child_fail(c, VR_STEP_DEV, -r, m->dst, NULL);
	for (size_t i = 0; i < VR_ARRAY_SIZE(links); i++) {
		buf[len] = '/';
		strcpy(buf + len + 1, links[i][1]);
		if (symlink(links[i][0], buf) < 0)
			child_fail(c, VR_STEP_DEV, errno, buf + STAGE_LEN, NULL);
	}
	buf[len] = '/';
	strcpy(buf + len + 1, "shm");
	if (mkdir(buf, 0755) < 0 ||
	    vr_mount_tmpfs(buf, "mode=1777,size=16m", VR_MOUNT_NOSUID | VR_MOUNT_NODEV) < 0)
		child_fail(c, VR_STEP_DEV, errno, buf + STAGE_LEN, NULL);
	/* The /dev tmpfs itself holds only nodes bound from the host: it is
	 * made read-only so nothing can be added to it. */
	buf[len] = '\0';
	r = vr_mount_remount_ro(buf);
	if (r < 0)
		child_fail(c, VR_STEP_DEV, -r, m->dst, NULL);
}

/* Clone every bind source into a detached mount (trees[i]), while
 * the host's tree is whole and while the child still has the launcher's
 * credentials: run as root, the void's ids map to nobody, who may not
 * traverse the root-owned private directories a bind source can sit in
 * (a test's mktemp -d, say). What the launcher could open, the void may be
 * given; nothing more. */
static void child_clone_sources(const struct child *c, int *trees)
{
	const struct vr_plan *p = c->plan;
	int r;

	/* Nothing done here may propagate back to the host. */
	r = vr_mount_make_private("/");
	if (r < 0)
		child_fail(c, VR_STEP_PRIVATE, -r, "/", NULL);

	for (size_t i = 0; i < p->n_mounts; i++) {
		const struct vr_mount_op *m = &p->mounts[i];

		trees[i] = -1;
		if (m->kind == VR_MNT_BIND) {
			trees[i] = vr_mount_clone_tree(m->src, bind_mount_flags(m->flags));
			if (trees[i] < 0)
				child_fail(c, VR_STEP_BIND, -trees[i], m->src, m->dst);
		}
	}
}

/* Build the root from the cloned sources and pivot into it. */
static void child_build_root(const struct child *c, const int *trees)
{
	const struct vr_plan *p = c->plan;
	char buf[PATH_MAX];
	int r;

	r = vr_mount_tmpfs(STAGE, p->root_options, VR_MOUNT_NOSUID | VR_MOUNT_NODEV);
	if (r < 0)
		child_fail(c, VR_STEP_ROOT, -r, STAGE, NULL);

	for (size_t i = 0; i < p->n_mounts; i++) {
		const struct vr_mount_op *m = &p->mounts[i];

		staged(buf, m->dst);
		switch (m->kind) {
		case VR_MNT_BIND:
			r = attach_tree(trees[i], buf);
			if (r < 0)
				child_fail(c, VR_STEP_BIND, -r, m->src, m->dst);
			(void)close(trees[i]);
			break;
		case VR_MNT_TMPFS:
			r = vr_mount_mkdirs(buf);
			if (r >= 0)
				r = vr_mount_tmpfs(buf, m->data ? m->data : "mode=0755",
						   VR_MOUNT_NOSUID | VR_MOUNT_NODEV);
			if (r < 0)
				child_fail(c, VR_STEP_TMPFS, -r, m->dst, NULL);
			break;
		case VR_MNT_PROC:
			/* The host's /proc is still visible in this mount
			 * namespace here, which the kernel requires before it
			 * lets a user namespace mount a new procfs. */
			r = vr_mount_mkdirs(buf);
			if (r >= 0)
				r = vr_mount_proc(buf);
			if (r < 0)
				child_fail(c, VR_STEP_PROC, -r, m->dst, NULL);
			break;
		case VR_MNT_DEV:
			child_build_dev(c, m);
			break;
		case VR_MNT_DIR:
			r = vr_mount_mkdirs(buf);
			if (r < 0)
				child_fail(c, VR_STEP_MKDIR, -r, m->dst, NULL);
			break;
		case VR_MNT_SYMLINK:
			r = make_mount_point(buf, true);
			/* make_mount_point made dst a directory: replace it. */
			if (r >= 0 && (rmdir(buf) < 0 || symlink(m->src, buf) < 0))
				r = vr_neg_errno();
			if (r < 0)
				child_fail(c, VR_STEP_SYMLINK, -r, m->dst, m->src);
			break;
		}
	}

	/* The root holds nothing but mount points: read-only from here on. */
	r = vr_mount_remount_ro(STAGE);
	if (r < 0)
		child_fail(c, VR_STEP_READONLY, -r, "/", NULL);
	r = vr_mount_pivot(STAGE);
	if (r < 0)
		child_fail(c, VR_STEP_PIVOT, -r, STAGE, NULL);
}

/* Move fd above every number the plan places, keeping it close-on-exec. */
static int lift_fd(int fd, int above)
{
	int n = fcntl(fd, F_DUPFD_CLOEXEC, above);

	if (n < 0)
		return vr_neg_errno();
	(void)close(fd);
	return n;
}

/* Place the planned fds and close every other one but the status and sync
 * pipes (which are close-on-exec and held only by pid 1). */
static void child_fds(struct child *c)
{
	const struct vr_plan *p = c->plan;
	int above = 3;
	size_t max = p->n_fds + c->n_extra + 3;
	int src[max], dst[max];
	size_t n = 0;
	int r;

	/* This spawn's own fds, then the plan's where not overridden. */
	for (size_t i = 0; i < c->n_extra; i++) {
		src[n] = c->extra[i].src;
		dst[n++] = c->extra[i].dst;
	}
	for (size_t i = 0; i < p->n_fds; i++) {
		bool taken = false;
		for (size_t k = 0; k < c->n_extra; k++)
			taken |= c->extra[k].dst == p->fds[i].dst;
		if (!taken) {
			src[n] = p->fds[i].src;
			dst[n++] = p->fds[i].dst;
		}
	}
	for (size_t i = 0; i < n; i++)
		if (dst[i] >= above)
			above = dst[i] + 1;

	/* The defaults: stdin from /dev/null, stdout and stderr inherited. */
	size_t placed_n = n;
	for (int fd = 0; fd < 3; fd++) {
		bool placed = false;
		for (size_t i = 0; i < placed_n; i++)
			placed |= dst[i] == fd;
		/* An inherited stdout/stderr voidrun itself lacks stays closed. */
		if (!placed && (fd == 0 || vr_fd_is_open(fd))) {
			src[n] = fd == 0 ? p->devnull : fd;
			dst[n++] = fd;
		}
	}

	/* Lift every source and our own pipes above all targets first, so
	 * that placing one never overwrites another still to be placed. */
	c->status_fd = lift_fd(c->status_fd, above);
	c->sync_fd = c->sync_fd >= 0 ? lift_fd(c->sync_fd, above) : -1;
	if (c->status_fd < 0)
		_exit(125);
	for (size_t i = 0; i < n; i++) {
		int t = fcntl(src[i], F_DUPFD_CLOEXEC, above);
		if (t < 0)
			child_fail(c, VR_STEP_FDS, errno, NULL, NULL);
		src[i] = t;
	}
	for (size_t i = 0; i < n; i++)
		if (dup3(src[i], dst[i], 0) < 0)
			child_fail(c, VR_STEP_FDS, errno, NULL, NULL);

	/* Close every fd not placed: sort the targets (insertion sort, no
	 * allocation) and close the gaps between them. */
	for (size_t i = 1; i < n; i++)
		for (size_t j = i; j > 0 && dst[j - 1] > dst[j]; j--) {
			int t = dst[j];
			dst[j] = dst[j - 1];
			dst[j - 1] = t;
		}
	int keep_lo = c->status_fd < c->sync_fd || c->sync_fd < 0 ? c->status_fd : c->sync_fd;
	int keep_hi = keep_lo == c->status_fd ? c->sync_fd : c->status_fd;
	int next = 0;
	int keeps[n + 2];
	size_t nk = 0;
	for (size_t i = 0; i < n; i++)
		keeps[nk++] = dst[i];
	keeps[nk++] = keep_lo;
	if (keep_hi >= 0)
		keeps[nk++] = keep_hi;
	for (size_t i = 0; i < nk; i++) {
		if (keeps[i] > next) {
			r = (int)syscall(SYS_close_range, next, keeps[i] - 1, 0);
			if (r < 0)
				child_fail(c, VR_STEP_FDS, errno, NULL, NULL);
		}
		next = keeps[i] + 1;
	}
	if (syscall(SYS_close_range, next, ~0U, 0) < 0)
		child_fail(c, VR_STEP_FDS, errno, NULL, NULL);
}

/* Leave the void without any capability, for good: the bounding set
 * emptied (so exec as uid 0 gains nothing), ambient cleared, securebits
 * locked so root is not special, then every set emptied. The plan's kept
 * capabilities (plan->harden) stay bounded in, are left in the permitted,
 * effective and inheritable sets and raised in the ambient set, which is
 * what carries them across exec. */
static void child_drop_caps(const struct child *c)
{
	unsigned bits = SECBIT_NOROOT | SECBIT_NOROOT_LOCKED | SECBIT_NO_SETUID_FIXUP |
			SECBIT_NO_SETUID_FIXUP_LOCKED | SECBIT_KEEP_CAPS_LOCKED;
	uint64_t keep = vr_harden_caps(c->plan->harden);

	/* The system calls, not libcap's: in voidrun's memory (spawn_vm) a
	 * lock libcap takes on a shared object (cap_set_proc locks the
	 * cap_t) stays taken if the void is killed inside it, and voidrun
	 * then spins in cap_free. */
	struct __user_cap_header_struct hdr = { .version = _LINUX_CAPABILITY_VERSION_3, .pid = 0 };
	struct __user_cap_data_struct data[2] = {
		{ .effective = (uint32_t)keep, .permitted = (uint32_t)keep, .inheritable = (uint32_t)keep },
		{ .effective = (uint32_t)(keep >> 32), .permitted = (uint32_t)(keep >> 32),
		  .inheritable = (uint32_t)(keep >> 32) },
	};

	if (prctl(PR_SET_SECUREBITS, bits, 0, 0, 0) < 0)
		child_fail(c, VR_STEP_CAPS, errno, "securebits", NULL);
	for (unsigned long cap = 0;; cap++) {
		if (cap < 64 && (keep & (1ULL << cap)))
			continue;
		if (prctl(PR_CAPBSET_DROP, cap, 0, 0, 0) < 0) {
			if (errno == EINVAL)
				break;  /* past the last capability this kernel knows */
			child_fail(c, VR_STEP_CAPS, errno, "bounding set", NULL);
		}
	}
	if (prctl(PR_CAP_AMBIENT, PR_CAP_AMBIENT_CLEAR_ALL, 0, 0, 0) < 0)
		child_fail(c, VR_STEP_CAPS, errno, "ambient set", NULL);
	if (syscall(SYS_capset, &hdr, data) < 0)
		child_fail(c, VR_STEP_CAPS, errno, NULL, NULL);
	if (vr_harden_apply_caps(c->plan->harden) < 0)
		child_fail(c, VR_STEP_CAPS, errno, "ambient set", NULL);
	if (prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) < 0)
		child_fail(c, VR_STEP_NNP, errno, NULL, NULL);
}

/* The exec entry, started by pid 1 with clone(CLONE_VM | CLONE_VFORK |
 * CLONE_FILES), shares with pid 1 its memory until it execs, so that a
 * failure is seen in pid 1 without another pipe, and its fd table until
 * then, so that the listener of a filter with named kills, created as the
 * entry installs the filter, is pid 1's: execve gives the entry a table of
 * its own, where the close-on-exec listener does not survive. */
struct entry {
	const struct vr_plan *plan;
	int step, err;
	const char *what;
	int listener;
	int status_fd;  /* debug: where to say that it stops */
};

static int entry_exec(void *arg)
{
	struct entry *e = arg;
	const struct vr_plan *p = e->plan;
	sigset_t none;
	int r;

	/* Signals first: once the filter is in, a profile's policy may
	 * allow nothing but execve (and exit). */
	sigemptyset(&none);
	(void)sigprocmask(SIG_SETMASK, &none, NULL);
	if (p->debug) {
		/* Before the filters: they may forbid these calls. */
		struct vr_msg m = { .type = VR_MSG_STOPPED, .pid = getpid() };
		(void)!write(e->status_fd, &m, sizeof(m));
		(void)raise(SIGSTOP);
	}
	r = vr_harden_apply_entry(p->harden, p->join_netns >= 0, &e->what, &e->listener);
	if (r < 0) {
		e->step = VR_STEP_HARDEN;
		e->err = -r;
		_exit(125);
	}
	execve(p->path, p->argv, p->envp);
	e->step = VR_STEP_EXEC;
	e->err = errno;
	e->what = p->path;
	_exit(127);
}

/* A call the profile's policy kills was made: the process waits in it for
 * us. Kill it and say which call it was. Returns the pid killed (the
 * entry's, for any of its threads), or 0. */
static pid_t seccomp_kill(const struct child *c, int listener, pid_t entry)
{
	struct seccomp_notif req;

	memset(&req, 0, sizeof(req));
	if (ioctl(listener, SECCOMP_IOCTL_NOTIF_RECV, &req) < 0)
		return 0;  /* it died in the meantime */
	if (req.pid == 0) {
		/* Not in our pid namespace (it cannot be: clone with
		 * CLONE_NEWPID is denied): refuse the call at least. */
		struct seccomp_notif_resp resp = { .id = req.id, .error = -EPERM };
		(void)ioctl(listener, SECCOMP_IOCTL_NOTIF_SEND, &resp);
		return 0;
	}
	/* req.pid is the thread's id: one of the entry's threads is the
	 * entry (tgkill with signal 0 only checks that it belongs to it). */
	pid_t pid = (pid_t)req.pid;
	bool of_entry = pid == entry || syscall(SYS_tgkill, entry, pid, 0) == 0;
	(void)kill(pid, SIGKILL);
	child_send_pid(c, VR_MSG_SECCOMP, req.data.nr, pid, of_entry, NULL);
	return of_entry ? entry : pid;
}

/* Reap every child that ended; when the entry did, report its status and
 * exit with it. A kill for seccomp (pid 1's SIGKILL) is reported as the
 * kernel's own would be: death by SIGSYS. */
static void reap(const struct child *c, pid_t entry, bool entry_seccomp)
{
	for (;;) {
		int st;
		pid_t pid = waitpid(-1, &st, WNOHANG);
		if (pid <= 0)
			return;
		if (pid == entry) {
			if (entry_seccomp && WIFSIGNALED(st) && WTERMSIG(st) == SIGKILL)
				st = SIGSYS;  /* the wait status of death by SIGSYS */
			child_send(c, VR_MSG_EXIT, st, NULL);
			_exit(WIFEXITED(st) ? WEXITSTATUS(st) : 128 + WTERMSIG(st));
		}
	}
}

/* pid 1's loop with a listener: signals through a signalfd, the listener
 * and the time limit in one poll. */
static _Noreturn void supervise(const struct child *c, pid_t entry, int listener, const sigset_t *all,
				const struct timespec *started)
{
	int sfd = signalfd(-1, all, SFD_CLOEXEC | SFD_NONBLOCK);
	bool entry_seccomp = false;

	if (sfd < 0)
		_exit(125);
	for (;;) {
		struct pollfd pfd[2] = {
			{ .fd = sfd, .events = POLLIN },
			{ .fd = listener, .events = POLLIN },
		};
		int left = vr_limit_time_left(c->plan->limits, started);
		if (left == 0) {
			child_send(c, VR_MSG_TIMEOUT, 0, NULL);
			_exit(124);
		}
		if (poll(pfd, 2, left) < 0)
			continue;
		if (pfd[1].revents & POLLIN) {
			if (seccomp_kill(c, listener, entry) == entry)
				entry_seccomp = true;
		} else if (pfd[1].revents & (POLLHUP | POLLERR)) {
			/* No process is left that could be notified. */
			(void)close(listener);
			listener = -1;
		}
		struct signalfd_siginfo si;
		while (read(sfd, &si, sizeof(si)) == (ssize_t)sizeof(si)) {
			if (si.ssi_signo == SIGCHLD)
				reap(c, entry, entry_seccomp);
			else
				(void)kill(entry, (int)si.ssi_signo);
		}
	}
}

/* pid 1 of the void: start the entry, then reap every child and forward
 * every signal until the entry ends; report its status and exit with it.
 * When pid 1 exits the kernel kills what is left in the pid namespace. */
static _Noreturn void child_init(struct child *c, const sigset_t *all)
{
	const struct vr_plan *p = c->plan;
	struct entry e = { .plan = p, .listener = -1, .status_fd = c->status_fd };
	pid_t entry;
	struct timespec started;

	/* The time limit counts from here (core/limit.h: pid 1 keeps it). */
	(void)clock_gettime(CLOCK_MONOTONIC, &started);
	if (p->entry_fn) {
		/* A function entry runs our own code, which needs memory of its
		 * own: fork. It reports its own failures. Its policy kills
		 * with the kernel's kill (no listener): sharing our fd table
		 * with it, as the exec entry does until it execs, would hand
		 * it the listener. */
		int hardened[2];
		char byte;
		ssize_t n;

		/* It says when it is hardened, before it runs the function:
		 * only then is the void ready (a failure before is the void's
		 * failure to build, which the entry reports itself). */
		if (pipe2(hardened, O_CLOEXEC) < 0)
			child_fail(c, VR_STEP_FORK, errno, NULL, NULL);
		entry = fork();
		if (entry < 0)
			child_fail(c, VR_STEP_FORK, errno, NULL, NULL);
		if (entry == 0) {
			const char *what = NULL;
			sigset_t none;
			int r;
			(void)close(hardened[0]);
			r = vr_harden_apply_entry(p->harden, p->join_netns >= 0, &what, NULL);
			if (r < 0)
				child_fail(c, VR_STEP_HARDEN, -r, what, NULL);
			(void)!write(hardened[1], "h", 1);
			(void)close(hardened[1]);
			(void)close(c->status_fd);
			if (c->sync_fd >= 0)
				(void)close(c->sync_fd);
			sigemptyset(&none);
			(void)sigprocmask(SIG_SETMASK, &none, NULL);
			_exit(p->entry_fn(p->entry_arg) & 0xff);
		}
		(void)close(hardened[1]);
		do
			n = read(hardened[0], &byte, 1);
		while (n < 0 && errno == EINTR);
		(void)close(hardened[0]);
		if (n != 1) {
			/* It ended first: it said why (exit 125), or it was
			 * killed, by its own filter for one, which is its end. */
			int st = 0;
			(void)waitpid(entry, &st, 0);
			if (WIFEXITED(st) && WEXITSTATUS(st) == 125)
				_exit(125);
			child_send(c, VR_MSG_EXIT, st, NULL);
			_exit(WIFEXITED(st) ? WEXITSTATUS(st) : 128 + WTERMSIG(st));
		}
	} else {
		/* Its own stack: it runs while we wait, in our memory. */
		enum { STACK = 256 * 1024 };
		void *stack = mmap(NULL, STACK, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_STACK, -1, 0);
		if (stack == MAP_FAILED)
			child_fail(c, VR_STEP_FORK, errno, NULL, NULL);
		entry = clone(entry_exec, (char *)stack + STACK, CLONE_VM | CLONE_VFORK | CLONE_FILES | SIGCHLD, &e);
		if (entry < 0)
			child_fail(c, VR_STEP_FORK, errno, NULL, NULL);
		(void)munmap(stack, STACK);
		if (e.step) {
			(void)waitpid(entry, NULL, 0);
			child_fail(c, e.step, e.err, e.what, NULL);
		}
	}
	child_send(c, VR_MSG_READY, 0, NULL);

	/* Pid 1 needs none of the entry's fds: holding them would keep pipes
	 * open after the entry closed its end. Only the status pipe stays,
	 * at 3, and the listener, at 4. */
	int listener = e.listener >= 0 ? fcntl(e.listener, F_DUPFD_CLOEXEC, 5) : -1;
	if (e.listener >= 0 && listener < 0)
		_exit(125);
	if (dup2(c->status_fd, 3) < 0)
		_exit(125);
	c->status_fd = 3;
	if (listener >= 0) {
		if (dup3(listener, 4, O_CLOEXEC) < 0)
			_exit(125);
		listener = 4;
	}
	(void)syscall(SYS_close_range, 0, 2, 0);
	(void)syscall(SYS_close_range, listener >= 0 ? 5 : 4, ~0U, 0);
	c->sync_fd = -1;

	if (listener >= 0)
		supervise(c, entry, listener, all, &started);
	for (;;) {
		siginfo_t si;
		int sig = vr_limit_sigwait(p->limits, &started, all, &si);

		if (sig == -ETIMEDOUT) {
			/* Time is up: say so and end; the kernel kills what
			 * is left in the pid namespace with its pid 1. */
			child_send(c, VR_MSG_TIMEOUT, 0, NULL);
			_exit(124);
		}
		if (sig < 0)
			continue;
		if (sig != SIGCHLD)
			(void)kill(entry, sig);
		else
			reap(c, entry, false);
	}
}

/* A new network namespace starts with lo down: bring it up, so that a
 * void can talk to itself over 127.0.0.1 (and to nothing else). */
static int loopback_up(void)
{
	struct ifreq ifr = { .ifr_name = "lo" };
	int fd = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
	int r = -1;

	if (fd < 0)
		return -1;
	if (ioctl(fd, SIOCGIFFLAGS, &ifr) == 0) {
		ifr.ifr_flags |= IFF_UP;
		r = ioctl(fd, SIOCSIFFLAGS, &ifr);
	}
	(void)close(fd);
	return r;
}

/* A prepared void waits for the fds it is started with. A signal that
 * ends a process, sent to it meanwhile (by a `kill` meant for voidrun,
 * say), ends it: it has no entry yet to forward it to, and kept pending it
 * would reach the entry of whatever connection comes next. Once its fds
 * are there, though, the connection is served: a signal that came with
 * them was meant for an idle worker and is dropped, not passed on. */
static void wait_for_start(const struct child *c)
{
	sigset_t ending;
	int sfd;

	sigemptyset(&ending);
	for (size_t i = 0; i < VR_ARRAY_SIZE(ending_signals); i++)
		sigaddset(&ending, ending_signals[i]);
	sfd = signalfd(-1, &ending, SFD_CLOEXEC | SFD_NONBLOCK);
	if (sfd < 0)
		return;  /* then it just waits */
	for (;;) {
		struct pollfd pfd[2] = { { .fd = c->sync_fd, .events = POLLIN }, { .fd = sfd, .events = POLLIN } };
		if (poll(pfd, 2, -1) < 0) {
			if (errno == EINTR)
				continue;
			break;  /* then it just waits */
		}
		struct signalfd_siginfo si;
		if (pfd[0].revents) {
			while (read(sfd, &si, sizeof(si)) == (ssize_t)sizeof(si))
				;
			break;
		}
		if (pfd[1].revents & POLLIN)
			_exit(read(sfd, &si, sizeof(si)) == (ssize_t)sizeof(si) ? 128 + (int)si.ssi_signo : 125);
	}
	(void)close(sfd);
}

static _Noreturn void child_main(struct child *c, const sigset_t *all)
{
	const struct vr_plan *p = c->plan;
	bool userns = p->ns_flags & CLONE_NEWUSER;
	struct sigaction dfl = { .sa_handler = SIG_DFL };
	int trees[p->n_mounts ? p->n_mounts : 1];
	char byte;
	int r;

	/* Handlers of voidrun's have no business running here. */
	for (int sig = 1; sig < NSIG; sig++)
		(void)sigaction(sig, &dfl, NULL);
	/* Not named voidrun: pidof, pkill and killall by name find voidrun
	 * itself, not the voids' pid 1s. (Its command line stays voidrun's:
	 * as root it is voidrun's own memory.) */
	(void)prctl(PR_SET_NAME, "void-init", 0, 0, 0);

	/* The void dies with voidrun. */
	if (prctl(PR_SET_PDEATHSIG, SIGKILL, 0, 0, 0) < 0)
		child_fail(c, VR_STEP_SYNC, errno, NULL, NULL);

	/* Wait until the parent has written our id maps. EOF: it is gone. */
	do
		r = (int)read(c->sync_fd, &byte, 1);
	while (r < 0 && errno == EINTR);
	if (r != 1)
		_exit(125);

	if (p->ns_flags & CLONE_NEWNS)
		child_clone_sources(c, trees);

	if (userns) {
		gid_t gid = p->gid;
		/* As root the gid map was written without denying setgroups:
		 * drop the supplementary groups inherited from the launcher,
		 * which could otherwise still open host files. Unprivileged,
		 * setgroups is denied and fails with EPERM: nothing to drop
		 * that the user did not have. */
		/* The system calls, not libc's: in voidrun's memory (spawn_vm)
		 * libc would take us for one of voidrun's threads and make
		 * every other one change its ids with us. */
		if (syscall(SYS_setgroups, 0, NULL) < 0 && errno != EPERM)
			child_fail(c, VR_STEP_SETID, errno, "setgroups", NULL);
		if (syscall(SYS_setresgid, gid, gid, gid) < 0)
			child_fail(c, VR_STEP_SETID, errno, "gid", NULL);
		if (syscall(SYS_setresuid, p->uid, p->uid, p->uid) < 0)
			child_fail(c, VR_STEP_SETID, errno, "uid", NULL);
		/* A change of uid clears the parent-death signal: set it again,
		 * then make sure the parent did not die in between (it holds
		 * the sync pipe open until the void ends). */
		if (prctl(PR_SET_PDEATHSIG, SIGKILL, 0, 0, 0) < 0)
			child_fail(c, VR_STEP_SYNC, errno, NULL, NULL);
		struct pollfd pfd = { .fd = c->sync_fd, .events = POLLIN };
		/* (Only a hang-up: data waiting is a prepared void's fds.) */
		if (poll(&pfd, 1, 0) > 0 && (pfd.revents & POLLHUP))
			_exit(125);
	}

	if (p->ns_flags & CLONE_NEWNS)
		child_build_root(c, trees);
	if (c->newnet && loopback_up() < 0)
		child_fail(c, VR_STEP_NET, errno, "lo", NULL);
	if (c->newnet) {
		const char *what = NULL;
		r = vr_net_child_setup(p->net_links, p->n_net_links, &what);
		if (r < 0)
			child_fail(c, VR_STEP_NET, -r, what, NULL);
	}
	if ((p->ns_flags & CLONE_NEWUTS) && sethostname(p->hostname, strlen(p->hostname)) < 0)
		child_fail(c, VR_STEP_HOSTNAME, errno, p->hostname, NULL);
	if (chdir(p->cwd) < 0)
		child_fail(c, VR_STEP_CHDIR, errno, p->cwd, NULL);
	/* A new session: the void has no controlling terminal, so it cannot
	 * push input into an inherited one with TIOCSTI. */
	if (setsid() < 0)
		child_fail(c, VR_STEP_SETSID, errno, NULL, NULL);
	if (!(p->ns_flags & CLONE_NEWPID))
		(void)prctl(PR_SET_CHILD_SUBREAPER, 1, 0, 0, 0);
	{
		const char *what = NULL;
		int r2 = vr_limit_apply_cgroupns(p->limits, &what);
		if (r2 < 0)
			child_fail(c, VR_STEP_LIMITS, -r2, what, NULL);
	}
	/* The capabilities go before a prepared void waits: what is left
	 * after its fds arrive is as little as can be. */
	child_drop_caps(c);
	/* Nothing in the void may ptrace pid 1 or read its memory (a copy of
	 * voidrun's). */
	if (!p->debug)
		(void)prctl(PR_SET_DUMPABLE, 0, 0, 0, 0);
	/* A prepared void waits here, built, for the fds it is started with
	 * (a broker's connection). End of stream: it was not needed. */
	struct vr_fd_op deferred[VR_VOID_MAX_DEFER];
	if (c->n_defer) {
		int fds[VR_VOID_MAX_DEFER];
		size_t got = 0;
		char go;
		wait_for_start(c);
		r = vr_fd_recv(c->sync_fd, fds, c->n_defer, &got, &go, 1);
		if (r <= 0 || got != c->n_defer)
			_exit(r == 0 ? 0 : 125);
		for (size_t i = 0; i < got; i++)
			deferred[i] = (struct vr_fd_op){ .src = fds[i], .dst = c->defer_dsts[i] };
		c->extra = deferred;
		c->n_extra = got;
	}
	child_fds(c);
	{
		const char *what = NULL;
		int r2 = vr_limit_apply_rlimits(p->limits, &what);
		if (r2 < 0)
			child_fail(c, VR_STEP_LIMITS, -r2, what, NULL);
	}
	child_init(c, all);
}

/* -------------------------------------------------------------- parent */

static int write_maps(const struct vr_plan *p, pid_t pid)
{
	bool root = geteuid() == 0;
	struct vr_idmap u = { p->uid, 0, 1 }, g = { p->gid, 0, 1 };

	/* As root the void maps to nobody, never to host root; otherwise to
	 * the caller, the only id an unprivileged user may map. */
	u.outside = p->host_uid >= 0 ? (unsigned)p->host_uid : root ? 65534 : geteuid();
	g.outside = p->host_gid >= 0 ? (unsigned)p->host_gid : root ? 65534 : getegid();
	return vr_idmap_write(pid, &u, 1, &g, 1, !root);
}

/* A pipe (or a seqpacket socketpair) whose ends are not 0, 1 or 2: when
 * voidrun runs with stdio closed, an end in that range would pass for the
 * void's inherited stdout or stderr. */
static int pair_above_stdio(int fds[2], bool socket)
{
	int r;

	fds[0] = fds[1] = -1;
	r = socket ? vr_fd_socketpair(SOCK_SEQPACKET, fds) : vr_fd_pipe(fds);

	for (int i = 0; r == 0 && i < 2; i++)
		if (fds[i] < 3) {
			int n = fcntl(fds[i], F_DUPFD_CLOEXEC, 3);
			if (n < 0)
				r = vr_neg_errno();
			(void)close(fds[i]);
			fds[i] = n;
		}
	if (r < 0) {
		for (int i = 0; i < 2; i++)
			if (fds[i] >= 0)
				(void)close(fds[i]);
	}
	return r;
}

int vr_void_spawn(const struct vr_plan *p, struct vr_void *ret, struct vr_err *reterr)
{
	return vr_void_spawn_with(p, NULL, 0, ret, reterr);
}

static int spawn(const struct vr_plan *p, const struct vr_fd_op *extra, size_t n_extra,
		 const int *defer_dsts, size_t n_defer, struct vr_void *ret, struct vr_err *reterr);

int vr_void_spawn_with(const struct vr_plan *p, const struct vr_fd_op *extra, size_t n_extra,
		       struct vr_void *ret, struct vr_err *reterr)
{
	return spawn(p, extra, n_extra, NULL, 0, ret, reterr);
}

int vr_void_prepare(const struct vr_plan *p, const int *dsts, size_t n, struct vr_void *ret,
		    struct vr_err *reterr)
{
	if (n == 0 || n > VR_VOID_MAX_DEFER)
		return -EINVAL;
	for (size_t i = 0; i < n; i++)
		if (dsts[i] < 0 || dsts[i] >= VR_MAX_FD)
			return -EINVAL;
	return spawn(p, NULL, 0, dsts, n, ret, reterr);
}

int vr_void_start(struct vr_void *v, const int *fds, size_t n)
{
	int r = vr_fd_send(v->sync_fd, fds, n, "", 0);

	return r < 0 ? r : 0;
}

/* voidrun's own network namespace, opened once: where spawn returns to
 * after entering a shared one. */
static int own_netns = -1;

static int own_netns_open(void)
{
	if (own_netns < 0)
		own_netns = open("/proc/self/ns/net", O_RDONLY | O_CLOEXEC);
	return own_netns < 0 ? vr_neg_errno() : 0;
}

static int netns_enter(int fd)
{
	int r = own_netns_open();

	if (r < 0)
		return r;
	return setns(fd, CLONE_NEWNET) < 0 ? vr_neg_errno() : 0;
}

static int netns_leave(void)
{
	return setns(own_netns, CLONE_NEWNET) < 0 ? vr_neg_errno() : 0;
}

int vr_void_enter_empty_netns(void)
{
	int fd, home;

	if (unshare(CLONE_NEWNET) < 0)
		return vr_neg_errno();
	home = open("/proc/self/ns/net", O_RDONLY | O_CLOEXEC);
	if (home < 0)
		return vr_neg_errno();
	fd = fcntl(home, F_DUPFD_CLOEXEC, 3);
	if (fd < 0) {
		int r = vr_neg_errno();
		(void)close(home);
		return r;
	}
	if (own_netns >= 0)
		(void)close(own_netns);
	own_netns = home;
	return fd;
}

int vr_void_empty_netns(void)
{
	int fd, r = own_netns_open();

	if (r < 0)
		return r;
	if (unshare(CLONE_NEWNET) < 0)
		return vr_neg_errno();
	fd = open("/proc/self/ns/net", O_RDONLY | O_CLOEXEC);
	r = fd < 0 ? vr_neg_errno() : 0;
	/* (Root holds both, so this cannot fail; if it did, voidrun would go
	 * on in an empty namespace, more closed than its own, and say so.) */
	int r2 = netns_leave();
	if (r2 < 0) {
		if (fd >= 0)
			(void)close(fd);
		return r2;
	}
	return r < 0 ? r : fd;
}

/* Not under AddressSanitizer, which cannot follow a child that runs on a
 * stack of its own in a thread's name: sanitized builds test the fork. */
#if defined(__x86_64__) && !defined(__SANITIZE_ADDRESS__)
#define VR_SPAWN_VM 1

/* A void started in voidrun's own memory (CLONE_VM): no copy of voidrun's
 * page tables at the clone, no copy-on-write faults after it, in voidrun
 * or in the void, and no address space to tear down when it ends; per
 * void that was the largest cost left in voidrun's share (bench/spawn.sh,
 * doc/performance.md). What that takes:
 *  - libc keeps per-thread state (errno, malloc's cache, the thread's id)
 *    at the thread pointer, which a child with CLONE_VM shares with the
 *    thread that made it. So a thread of voidrun's makes it and then waits
 *    in clone3 (CLONE_VFORK) until it ends: pid 1 is, to libc, that thread,
 *    running while its thread waits, never beside it.
 *  - It runs on a stack of its own (clone3 with a stack needs a trampoline:
 *    vr_clone3_fn), mapped per void and unmapped after it, so that what
 *    the void's cgroup was charged for goes with it.
 *  - What it reads stays put while it runs: the plan is held (refs), the
 *    caller's arrays are copied.
 *  - Nothing in it may change voidrun's shared state: its set*id calls are
 *    the system calls (child_main). Nor take a lock there: it may be
 *    killed holding it (voidrun stopping while it is built), and voidrun
 *    would wait for it for ever. So its capabilities are set with the
 *    system calls, not libcap (which locks the cap_t), and a void with
 *    networks, whose pid 1 sets them up with libmnl, which allocates
 *    (malloc's locks), keeps the fork.
 *  - It marks the address space, which is voidrun's, not dumpable, as a
 *    forked pid 1 did its own copy, so that nothing in the void can trace
 *    it; voidrun is then not dumpable either. That makes /proc/PID of the
 *    next child root's, whose id maps an ordinary user could then not
 *    write: only root's voids start this way (geteuid() == 0 in spawn).
 * Function entries (they fork from pid 1, which libc's fork would do as
 * voidrun's thread), debug mode (pid 1 stays dumpable), other
 * architectures and sanitized builds keep the fork. */
long vr_clone3_fn(struct clone_args *args, size_t size, int (*fn)(void *), void *arg);
__asm__(".text\n"
	".globl vr_clone3_fn\n"
	".hidden vr_clone3_fn\n"
	".type vr_clone3_fn, @function\n"
	"vr_clone3_fn:\n"
	"	mov %rdx, %r8\n"       /* fn and arg: r8 and r9 outlive syscall */
	"	mov %rcx, %r9\n"
	"	mov $435, %eax\n"      /* __NR_clone3 */
	"	syscall\n"
	"	test %rax, %rax\n"
	"	jnz 1f\n"
	"	xor %ebp, %ebp\n"      /* the child, on its own stack */
	"	mov %r9, %rdi\n"
	"	call *%r8\n"
	"	mov %eax, %edi\n"
	"	mov $60, %eax\n"       /* __NR_exit */
	"	syscall\n"
	"	hlt\n"
	"1:	ret\n"
	".size vr_clone3_fn, .-vr_clone3_fn\n");

enum { VM_CHILD_STACK = 256 * 1024, VM_THREAD_STACK = 64 * 1024 };

struct vm_spawn {
	struct child c;
	struct vr_fd_op *extra;  /* copies of the caller's arrays */
	int *defer_dsts;
	sigset_t all;
	uint64_t flags;
	int join_fd, cgroup_fd, close_fds[2];
	sem_t started;
	int posted;  /* who flips it says that started: the child, or the thread if it died first */
	pid_t pid;
	int pidfd, err;
	bool net_failed;
	int refs;  /* the caller and the thread */
};

static void vm_spawn_put(struct vm_spawn *s)
{
	if (__atomic_sub_fetch(&s->refs, 1, __ATOMIC_ACQ_REL) > 0)
		return;
	(void)sem_destroy(&s->started);
	free(s->extra);
	free(s->defer_dsts);
	free(s);
}

static int vm_child(void *arg)
{
	struct vm_spawn *s = arg;

	(void)close(s->close_fds[0]);
	(void)close(s->close_fds[1]);
	if (!__atomic_exchange_n(&s->posted, 1, __ATOMIC_ACQ_REL))
		(void)sem_post(&s->started);
	child_main(&s->c, &s->all);
}

static void *vm_spawner(void *arg)
{
	struct vm_spawn *s = arg;
	struct vr_plan *p = (struct vr_plan *)s->c.plan;
	void *stack = mmap(NULL, VM_CHILD_STACK, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_STACK, -1, 0);
	long r = stack == MAP_FAILED ? -ENOMEM : 0;

	/* A shared network namespace: this thread's only, voidrun's stays. */
	if (r == 0 && s->join_fd >= 0 && setns(s->join_fd, CLONE_NEWNET) < 0) {
		r = vr_neg_errno();
		s->net_failed = true;
	}
	if (r == 0) {
		struct clone_args args = {
			.flags = s->flags | CLONE_VM | CLONE_VFORK | CLONE_PIDFD | CLONE_PARENT_SETTID |
				 (s->cgroup_fd >= 0 ? CLONE_INTO_CGROUP : 0),
			.pidfd = (uintptr_t)&s->pidfd,
			.parent_tid = (uintptr_t)&s->pid,
			.exit_signal = SIGCHLD,
			.stack = (uintptr_t)stack,
			.stack_size = VM_CHILD_STACK,
			.cgroup = s->cgroup_fd >= 0 ? (uint64_t)s->cgroup_fd : 0,
		};
		r = vr_clone3_fn(&args, sizeof(args), vm_child, s);
	}
	if (r < 0)
		s->err = (int)r;
	/* Here the child has ended (CLONE_VFORK), or never was; killed
	 * before it said it started, it is reaped as a failed start. */
	if (!__atomic_exchange_n(&s->posted, 1, __ATOMIC_ACQ_REL))
		(void)sem_post(&s->started);
	if (stack != MAP_FAILED)
		(void)munmap(stack, VM_CHILD_STACK);
	vr_plan_free(p);
	vm_spawn_put(s);
	return NULL;
}

/* Start the child of spawn in voidrun's memory. Returns its pid (its pidfd
 * in *ret_pidfd, the thread that waits for it in *ret_thread, to join once
 * it ended) or -errno; *ret_net_failed when the shared network namespace
 * could not be entered. Called with every signal blocked: the
 * thread inherits the mask, and so does the child. */
static pid_t spawn_vm(const struct child *c, uint64_t flags, int join_fd, int cgroup_fd, int close0, int close1,
		      const sigset_t *all, int *ret_pidfd, pthread_t *ret_thread, bool *ret_net_failed)
{
	struct vm_spawn *s = calloc(1, sizeof(*s));
	pthread_attr_t attr;
	pthread_t thread;
	pid_t pid;
	int r;

	if (!s)
		return -ENOMEM;
	s->c = *c;
	if (c->n_extra) {
		s->extra = malloc(c->n_extra * sizeof(*c->extra));
		if (!s->extra)
			goto nomem;
		memcpy(s->extra, c->extra, c->n_extra * sizeof(*c->extra));
		s->c.extra = s->extra;
	}
	if (c->n_defer) {
		s->defer_dsts = malloc(c->n_defer * sizeof(*c->defer_dsts));
		if (!s->defer_dsts)
			goto nomem;
		memcpy(s->defer_dsts, c->defer_dsts, c->n_defer * sizeof(*c->defer_dsts));
		s->c.defer_dsts = s->defer_dsts;
	}
	s->all = *all;
	s->flags = flags;
	s->join_fd = join_fd;
	s->cgroup_fd = cgroup_fd;
	s->close_fds[0] = close0;
	s->close_fds[1] = close1;
	s->pidfd = -1;
	s->refs = 2;
	if (sem_init(&s->started, 0, 0) < 0)
		goto nomem;
	(void)__atomic_add_fetch(&((struct vr_plan *)c->plan)->refs, 1, __ATOMIC_ACQ_REL);

	r = pthread_attr_init(&attr);
	if (r == 0) {
		(void)pthread_attr_setstacksize(&attr, VM_THREAD_STACK);
		r = pthread_create(&thread, &attr, vm_spawner, s);
		(void)pthread_attr_destroy(&attr);
	}
	if (r != 0) {
		vr_plan_free((struct vr_plan *)c->plan);
		(void)sem_destroy(&s->started);
		free(s->extra);
		free(s->defer_dsts);
		free(s);
		return -r;
	}
	while (sem_wait(&s->started) < 0 && errno == EINTR)
		;
	pid = s->err < 0 ? s->err : s->pid;
	*ret_pidfd = s->pidfd;
	*ret_net_failed = s->net_failed;
	vm_spawn_put(s);
	if (pid < 0)
		(void)pthread_join(thread, NULL);  /* it ends at once */
	else
		*ret_thread = thread;
	return pid;

nomem:
	free(s->extra);
	free(s->defer_dsts);
	free(s);
	return -ENOMEM;
}
#endif

/* The thread that started a void in voidrun's memory returns once the void
 * ended: join it then, so that what it held (the plan) is let go now. */
static void join_spawner(pthread_t *thread)
{
	if (*thread) {
		(void)pthread_join(*thread, NULL);
		*thread = 0;
	}
}

/* A child spawn could not finish: kill it, reap it. */
static void abort_child(pid_t pid, int pidfd, pthread_t spawner)
{
	(void)syscall(SYS_pidfd_send_signal, pidfd, SIGKILL, NULL, 0);
	(void)waitpid(pid, NULL, 0);
	(void)close(pidfd);
	join_spawner(&spawner);
}

static int spawn(const struct vr_plan *p, const struct vr_fd_op *extra, size_t n_extra,
		 const int *defer_dsts, size_t n_defer, struct vr_void *ret, struct vr_err *reterr)
{
	_cleanup_close_ int sync_rd = -1, sync_wr = -1, status_rd = -1, status_wr = -1;
	__attribute__((cleanup(vr_limit_run_freep))) struct vr_limit_run *limits = NULL;
	int pipefd[2], pidfd = -1, cgroup_fd, r;
	sigset_t all, old;
	pthread_t spawner = 0;
	pid_t pid;

	*ret = (struct vr_void){ .pid = -1, .pidfd = -1, .status_fd = -1, .sync_fd = -1 };
	if (!p->path)
		return vr_err_set(reterr, VR_STEP_EXEC, EINVAL, NULL, NULL), -EINVAL;
	/* The default seccomp filter must be ready before the clone (embedded
	 * at build time, or compiled here once per process): the child may
	 * not allocate. */
	r = vr_harden_prepare(p->harden);
	if (r < 0)
		return vr_err_set(reterr, VR_STEP_HARDEN, -r, "seccomp", NULL), r;
	/* The sync channel is a socketpair: the go byte, then, for a
	 * prepared void, the fds it is started with. */
	r = pair_above_stdio(pipefd, true);
	if (r < 0)
		return vr_err_set(reterr, VR_STEP_CLONE, -r, NULL, NULL), r;
	sync_rd = pipefd[0];
	sync_wr = pipefd[1];
	r = pair_above_stdio(pipefd, false);
	if (r < 0)
		return vr_err_set(reterr, VR_STEP_CLONE, -r, NULL, NULL), r;
	status_rd = pipefd[0];
	status_wr = pipefd[1];
	/* The void's cgroup exists before the void: clone3 puts the child
	 * straight into it (cgroup v2), so not one fork escapes its limits. */
	r = vr_limit_run_new(p->limits, &limits, reterr);
	if (r < 0)
		return r;
	cgroup_fd = vr_limit_run_cgroup_fd(limits);

	/* A shared network namespace: entered around the clone3, which then
	 * makes none. */
	uint64_t flags = p->ns_flags;
	bool join = p->join_netns >= 0 && (flags & CLONE_NEWNET);
	if (join)
		flags &= ~(uint64_t)CLONE_NEWNET;
	struct child c = { .plan = p, .extra = extra, .n_extra = n_extra,
			   .defer_dsts = defer_dsts, .n_defer = n_defer,
			   .status_fd = status_wr, .sync_fd = sync_rd,
			   .newnet = flags & CLONE_NEWNET };

	/* Block every signal across clone3 so that none is handled by
	 * voidrun's handlers in the child before it resets them. */
	sigfillset(&all);
#ifdef VR_SPAWN_VM
	if (!p->entry_fn && !p->debug && !p->n_net_links && geteuid() == 0) {
		(void)sigprocmask(SIG_SETMASK, &all, &old);
		bool net_failed = false;
		pid = spawn_vm(&c, flags, join ? p->join_netns : -1, cgroup_fd, sync_wr, status_rd, &all, &pidfd,
			       &spawner, &net_failed);
		(void)sigprocmask(SIG_SETMASK, &old, NULL);
		if (net_failed)
			return vr_err_set(reterr, VR_STEP_NET, -pid, "the shared network namespace", NULL), pid;
		join = false;  /* entered by the thread that made it, not by us */
	} else
#endif
	{
		if (join) {
			r = netns_enter(p->join_netns);
			if (r < 0)
				return vr_err_set(reterr, VR_STEP_NET, -r, "the shared network namespace", NULL), r;
		}
		(void)sigprocmask(SIG_SETMASK, &all, &old);
		pid = vr_clone3(&(struct vr_clone_opts){
			.flags = flags | CLONE_PIDFD | (cgroup_fd >= 0 ? CLONE_INTO_CGROUP : 0),
			.exit_signal = SIGCHLD,
			.cgroup_fd = cgroup_fd,
			.ret_pidfd = &pidfd,
		});
		if (pid == 0) {
			(void)close(sync_wr);
			(void)close(status_rd);
			child_main(&c, &all);
		}
		(void)sigprocmask(SIG_SETMASK, &old, NULL);
	}
	if (join && (r = netns_leave()) < 0) {
		/* Cannot happen to root, who holds both. Were it to, voidrun
		 * would stay in the empty namespace (more closed than its own):
		 * the void is not started, and the error says why. */
		vr_err_set(reterr, VR_STEP_NET, -r, "voidrun's own network namespace", NULL);
		if (pid > 0) {
			abort_child(pid, pidfd, spawner);
		}
		return r;
	}
	if (pid < 0) {
		vr_err_set(reterr, VR_STEP_CLONE, -pid, NULL, NULL);
		return pid;
	}

	if (p->ns_flags & CLONE_NEWUSER) {
		r = write_maps(p, pid);
		if (r < 0) {
			vr_err_set(reterr, VR_STEP_IDMAP, -r, NULL, NULL);
			abort_child(pid, pidfd, spawner);
			return r;
		}
	}
	/* Its veth pairs, before it may run: the void's end is in its network
	 * namespace when it sets the address, before its entry starts. */
	if (p->n_net_links && (flags & CLONE_NEWNET)) {
		r = vr_net_attach(p->net_links, p->n_net_links, pid, reterr);
		if (r < 0) {
			abort_child(pid, pidfd, spawner);
			return r;
		}
	}
	/* cgroup v1: the child joins its cgroups before it may run. */
	r = vr_limit_run_start(limits, pid, reterr);
	if (r < 0) {
		abort_child(pid, pidfd, spawner);
		return r;
	}
	if (write(sync_wr, "", 1) != 1) {
		r = vr_neg_errno();
		vr_err_set(reterr, VR_STEP_SYNC, -r, NULL, NULL);
		abort_child(pid, pidfd, spawner);
		return r;
	}
	ret->pid = pid;
	ret->pidfd = pidfd;
	ret->spawner = spawner;
	ret->status_fd = TAKE_FD(status_rd);
	ret->sync_fd = TAKE_FD(sync_wr);
	ret->limits = TAKE_PTR(limits);
	return 0;
}

/* Read one whole message. Returns 1, 0 at EOF, or -errno. */
static int read_msg(int fd, struct vr_msg *m)
{
	ssize_t n;

	do
		n = read(fd, m, sizeof(*m));
	while (n < 0 && errno == EINTR);
	if (n < 0)
		return vr_neg_errno();
	if (n == 0)
		return 0;
	return n == (ssize_t)sizeof(*m) ? 1 : -EPROTO;
}

/* The first child of process pid (its main thread's), or 0. */
static pid_t first_child(pid_t pid)
{
	char path[64], buf[32] = "";
	_cleanup_close_ int fd = -1;

	(void)snprintf(path, sizeof(path), "/proc/%d/task/%d/children", (int)pid, (int)pid);
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0 || read(fd, buf, sizeof(buf) - 1) <= 0)
		return 0;
	return (pid_t)atoi(buf);
}

int vr_void_ready(struct vr_void *v, struct vr_err *reterr)
{
	struct vr_msg m;
	int r;

	if (v->ready)
		return 0;
	if (v->failed) {
		*reterr = v->err;
		return 1;
	}
	r = read_msg(v->status_fd, &m);
	if (r < 0)
		return r;
	if (r == 1 && m.type == VR_MSG_STOPPED) {
		/* Its host pid: pid 1's one child. */
		v->stopped_pid = first_child(v->pid);
		return 2;
	}
	if (r == 0) {
		/* pid 1 ended before it said anything: killed from outside,
		 * or the parent side of the handshake failed. */
		vr_err_set(&v->err, VR_STEP_SYNC, ECHILD, NULL, NULL);
	} else if (m.type == VR_MSG_ERROR) {
		v->err = m.err;
	} else {
		v->ready = 1;
		return 0;
	}
	/* Kept, so that vr_void_wait reports the same failure. */
	v->failed = 1;
	*reterr = v->err;
	return 1;
}

/* One signal per wake-up: poll said one is there, so a blocking signalfd
 * does not block here either. */
static int forward_signal(struct vr_void *v, int sigfd)
{
	struct signalfd_siginfo si;
	ssize_t n = read(sigfd, &si, sizeof(si));

	if (n == (ssize_t)sizeof(si))
		(void)vr_void_kill(v, (int)si.ssi_signo);
	return n < 0 && errno != EAGAIN && errno != EINTR ? vr_neg_errno() : 0;
}

int vr_void_wait(struct vr_void *v, int sigfd, int *ret_status, struct vr_err *reterr)
{
	siginfo_t si;
	struct rusage ru;
	struct vr_msg m;
	int r, result = -ECHILD;
	bool timed_out = false;

	*ret_status = 0;
	for (;;) {
		struct pollfd pfd[2] = {
			{ .fd = v->pidfd, .events = POLLIN },
			{ .fd = sigfd, .events = POLLIN },
		};
		r = poll(pfd, sigfd >= 0 ? 2 : 1, -1);
		if (r < 0 && errno == EINTR)
			continue;
		if (r < 0)
			return vr_neg_errno();
		if (sigfd >= 0 && (pfd[1].revents & POLLIN))
			(void)forward_signal(v, sigfd);
		if (pfd[0].revents & POLLIN)
			break;
	}
	memset(&si, 0, sizeof(si));
	memset(&ru, 0, sizeof(ru));
	/* The system call, not libc's wrapper, for pid 1's rusage: the
	 * void's cpu time and peak RSS when it has no cgroup. */
	if (syscall(SYS_waitid, P_PIDFD, v->pidfd, &si, WEXITED, &ru) < 0)
		return vr_neg_errno();
	join_spawner(&v->spawner);
	vr_limit_run_end(v->limits, &ru, &v->usage);

	if (v->failed) {
		/* vr_void_ready already took the report off the pipe. */
		*reterr = v->err;
		result = 1;
	}
	/* pid 1 is gone, so its write end is closed: read what it said. */
	while ((r = read_msg(v->status_fd, &m)) > 0) {
		if (m.type == VR_MSG_ERROR) {
			*reterr = m.err;
			result = 1;
		} else if (m.type == VR_MSG_EXIT) {
			*ret_status = m.status;
			result = 0;
		} else if (m.type == VR_MSG_TIMEOUT) {
			timed_out = true;
		} else if (m.type == VR_MSG_SECCOMP && (!v->seccomp_pid || (m.entry && !v->seccomp_entry))) {
			v->seccomp_pid = m.pid;
			v->seccomp_nr = m.status;
			v->seccomp_entry = m.entry;
		}
	}
	v->usage.timed_out = timed_out;
	if (result == -ECHILD) {
		/* No report: pid 1 itself was killed (by SIGKILL from
		 * outside, or because voidrun's handshake failed). Its own
		 * end is the void's end. */
		*ret_status = si.si_code == CLD_EXITED ? W_EXITCODE(si.si_status, 0) : si.si_status;
		result = 0;
	}
	vr_void_release(v);
	return result;
}

int vr_void_kill(struct vr_void *v, int sig)
{
	if (v->pidfd < 0)
		return -ESRCH;
	return syscall(SYS_pidfd_send_signal, v->pidfd, sig, NULL, 0) < 0 ? vr_neg_errno() : 0;
}

void vr_void_release(struct vr_void *v)
{
	/* Not waited for: its thread goes when it does. */
	if (v->spawner)
		(void)pthread_detach(v->spawner);
	v->spawner = 0;
	vr_limit_run_free(v->limits);
	v->limits = NULL;
	vr_closep(&v->pidfd);
	vr_closep(&v->status_fd);
	vr_closep(&v->sync_fd);
	v->pidfd = v->status_fd = v->sync_fd = -1;
}
