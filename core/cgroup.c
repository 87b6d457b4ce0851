/* SPDX-License-Identifier: MIT */
#define _GNU_SOURCE
#include "cgroup.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/xattr.h>
#include <time.h>
#include <unistd.h>

#include "util.h"

/* The directory made below the chosen top; every void's cgroup lies in it. */
#define VR_CG_BASE "voidrun"

/* Control files are small; cgroup.procs of a void can be long, but it is
 * read in rounds (see kill_listed). */
#define SMALL 4096

static const char *const ctl_names[VR_CG_N] = { "memory", "pids", "cpu" };

const char *vr_cgroup_ctl_name(int ctl)
{
	return ctl >= 0 && ctl < VR_CG_N ? ctl_names[ctl] : NULL;
}

/* One directory of a void's cgroup: on v2 the only one; on v1 one per
 * hierarchy (controllers mounted together share it). */
struct cg_dir {
	char path[PATH_MAX];
	char base[PATH_MAX];  /* TOP/voidrun */
	char rel[PATH_MAX];   /* path below the hierarchy's mount, as /proc/PID/cgroup shows it */
	unsigned ctls;
};

struct vr_cgroup {
	int version;
	int dirfd;
	size_t n;
	struct cg_dir d[VR_CG_N];
};

/* ------------------------------------------------------------ helpers */

static void say(char *why, size_t len, const char *fmt, ...) __attribute__((format(printf, 3, 4)));
static void say(char *why, size_t len, const char *fmt, ...)
{
	va_list ap;

	if (!why || len == 0)
		return;
	va_start(ap, fmt);
	(void)vsnprintf(why, len, fmt, ap);
	va_end(ap);
}

/* path + "/" + name into buf. -ENAMETOOLONG when it does not fit. */
static int join(char *buf, size_t size, const char *path, const char *name)
{
	int n = snprintf(buf, size, "%s/%s", path, name);

	return n < 0 || (size_t)n >= size ? -ENAMETOOLONG : 0;
}

/* Read a small file whole, NUL-terminated. Returns its length or -errno. */
static ssize_t read_text(const char *path, char *buf, size_t size)
{
	_cleanup_close_ int fd = open(path, O_RDONLY | O_CLOEXEC);
	size_t len = 0;

	if (fd < 0)
		return vr_neg_errno();
	while (len + 1 < size) {
		ssize_t r = read(fd, buf + len, size - 1 - len);
		if (r < 0 && errno == EINTR)
			continue;
		if (r < 0)
			return vr_neg_errno();
		if (r == 0)
			break;
		len += (size_t)r;
	}
	buf[len] = '\0';
	return (ssize_t)len;
}

/* A control file takes one write(2): the kernel acts on it whole. */
static int write_text(const char *path, const char *s)
{
	_cleanup_close_ int fd = open(path, O_WRONLY | O_CLOEXEC);
	size_t len = strlen(s);
	ssize_t w;

	if (fd < 0)
		return vr_neg_errno();
	do
		w = write(fd, s, len);
	while (w < 0 && errno == EINTR);
	if (w < 0)
		return vr_neg_errno();
	return (size_t)w == len ? 0 : -EIO;
}

/* Read a file of any length whole (mountinfo: one line per mount, and a
 * machine may have thousands). Returns a NUL-terminated buffer to free, or
 * NULL with errno set. */
static char *read_all(const char *path)
{
	_cleanup_close_ int fd = open(path, O_RDONLY | O_CLOEXEC);
	size_t len = 0, cap = 1 << 16;
	char *buf = NULL;

	if (fd < 0)
		return NULL;
	for (;;) {
		if (!buf || len + 1 >= cap) {
			char *nb = realloc(buf, buf ? cap *= 2 : cap);
			if (!nb) {
				free(buf);
				errno = ENOMEM;
				return NULL;
			}
			buf = nb;
		}
		ssize_t r = read(fd, buf + len, cap - 1 - len);
		if (r < 0 && errno == EINTR)
			continue;
		if (r < 0) {
			int saved = errno;
			free(buf);
			errno = saved;
			return NULL;
		}
		if (r == 0)
			break;
		len += (size_t)r;
	}
	buf[len] = '\0';
	return buf;
}

static int write_in(const char *dir, const char *file, const char *s)
{
	char path[PATH_MAX];
	int r = join(path, sizeof(path), dir, file);

	return r < 0 ? r : write_text(path, s);
}

static ssize_t read_in(const char *dir, const char *file, char *buf, size_t size)
{
	char path[PATH_MAX];
	int r = join(path, sizeof(path), dir, file);

	return r < 0 ? r : read_text(path, buf, size);
}

/* Whether word is one of the space- or comma-separated words of list. */
static bool has_word(const char *list, const char *word, const char *seps)
{
	size_t n = strlen(word);

	for (const char *p = list; p && *p;) {
		size_t k = strcspn(p, seps);
		if (k == n && strncmp(p, word, n) == 0)
			return true;
		p += k;
		p += strspn(p, seps);
	}
	return false;
}

static void sleep_ms(long ms)
{
	struct timespec ts = { .tv_sec = ms / 1000, .tv_nsec = (ms % 1000) * 1000000L };

	while (nanosleep(&ts, &ts) < 0 && errno == EINTR)
		;
}

/* ------------------------------------------------------------ parsing */

/* Undo mountinfo's octal escapes (\040 for a space) in place. */
static void unescape(char *s)
{
	char *o = s;

	for (char *p = s; *p; p++) {
		if (p[0] == '\\' && p[1] >= '0' && p[1] <= '3' && p[2] >= '0' && p[2] <= '7' && p[3] >= '0' &&
		    p[3] <= '7') {
			*o++ = (char)((p[1] - '0') * 64 + (p[2] - '0') * 8 + (p[3] - '0'));
			p += 3;
		} else {
			*o++ = *p;
		}
	}
	*o = '\0';
}

static void copy_str(char *dst, size_t size, const char *src)
{
	size_t n = strlen(src);

	if (n >= size)
		n = size - 1;
	memcpy(dst, src, n);
	dst[n] = '\0';
}

int vr_cgroup_parse_mountinfo(const char *text, struct vr_cgroup_mounts *m)
{
	memset(m, 0, sizeof(*m));
	for (const char *line = text; line && *line;) {
		const char *nl = strchrnul(line, '\n');
		size_t len = (size_t)(nl - line);
		char buf[2 * PATH_MAX];
		char *field[6], *save = NULL, *rest, *fstype, *super;
		size_t nf = 0;

		if (len < sizeof(buf))
			memcpy(buf, line, len);
		line = *nl ? nl + 1 : nl;
		if (len >= sizeof(buf))
			continue;
		buf[len] = '\0';
		/* "ID PARENT MAJ:MIN ROOT MOUNTPOINT OPTIONS [OPTIONAL...] - FSTYPE SOURCE SUPER" */
		rest = strstr(buf, " - ");
		if (!rest)
			continue;
		*rest = '\0';
		rest += 3;
		for (char *tok = strtok_r(buf, " ", &save); tok && nf < 6; tok = strtok_r(NULL, " ", &save))
			field[nf++] = tok;
		if (nf < 5)
			continue;
		save = NULL;
		fstype = strtok_r(rest, " ", &save);
		(void)strtok_r(NULL, " ", &save);  /* source */
		super = strtok_r(NULL, " ", &save);
		if (!fstype || !super)
			continue;
		/* A bind of a cgroup below a hierarchy's root (ROOT is not "/")
		 * is not where that hierarchy starts. */
		if (strcmp(field[3], "/") != 0)
			continue;
		unescape(field[4]);
		if (strcmp(fstype, "cgroup2") == 0) {
			if (!m->v2[0])
				copy_str(m->v2, sizeof(m->v2), field[4]);
		} else if (strcmp(fstype, "cgroup") == 0) {
			for (int c = 0; c < VR_CG_N; c++)
				if (!m->v1[c][0] && has_word(super, ctl_names[c], ","))
					copy_str(m->v1[c], sizeof(m->v1[c]), field[4]);
		}
	}
	return 0;
}

int vr_cgroup_pick_version(const struct vr_cgroup_mounts *m, const char *v2_controllers, unsigned need,
			   int *ret_missing)
{
	bool all_v2 = true, all_v1 = true;
	int missing = -1, v2_lacks = -1;

	*ret_missing = -1;
	if (need == 0)
		return m->v2[0] ? 2 : -ENODEV;
	for (int c = 0; c < VR_CG_N; c++) {
		bool in_v2, in_v1;
		if (!(need & VR_CG_BIT(c)))
			continue;
		in_v2 = m->v2[0] && v2_controllers && has_word(v2_controllers, ctl_names[c], " \n");
		in_v1 = m->v1[c][0] != '\0';
		all_v2 &= in_v2;
		all_v1 &= in_v1;
		if (!in_v2 && v2_lacks < 0)
			v2_lacks = c;
		if (!in_v2 && !in_v1 && missing < 0)
			missing = c;
	}
	if (all_v2)
		return 2;
	if (all_v1)
		return 1;
	/* Neither serves every controller: name one that neither offers,
	 * or else (each is somewhere, but not all in one place) one v2 lacks. */
	*ret_missing = missing >= 0 ? missing : v2_lacks;
	return -ENODEV;
}

int vr_cgroup_parse_self(const char *text, int ctl, char *buf, size_t size)
{
	for (const char *line = text; line && *line;) {
		const char *nl = strchrnul(line, '\n');
		const char *c1 = memchr(line, ':', (size_t)(nl - line));
		const char *c2 = c1 ? memchr(c1 + 1, ':', (size_t)(nl - c1 - 1)) : NULL;
		const char *next = *nl ? nl + 1 : nl;

		if (c2) {
			char ctls[256];
			size_t n = (size_t)(c2 - c1 - 1);
			bool match;

			if (n < sizeof(ctls)) {
				memcpy(ctls, c1 + 1, n);
				ctls[n] = '\0';
				if (ctl < 0)
					match = n == 0 && c1 - line == 1 && line[0] == '0';
				else
					match = has_word(ctls, ctl_names[ctl], ",");
				if (match) {
					size_t plen = (size_t)(nl - c2 - 1);
					if (plen >= size)
						return -ENAMETOOLONG;
					memcpy(buf, c2 + 1, plen);
					buf[plen] = '\0';
					return 0;
				}
			}
		}
		line = next;
	}
	return -ENOENT;
}

/* ------------------------------------------------------------ where */

static bool writable(const char *dir)
{
	char procs[PATH_MAX];

	return access(dir, W_OK) == 0 && join(procs, sizeof(procs), dir, "cgroup.procs") == 0 &&
	       access(procs, W_OK) == 0;
}

/* Whether systemd delegated this cgroup (Delegate=yes marks it with this
 * xattr, trusted.* for root's units and user.* too since v252). */
static bool delegated(const char *dir)
{
	char v[8];

	return getxattr(dir, "trusted.delegate", v, sizeof(v)) > 0 || getxattr(dir, "user.delegate", v, sizeof(v)) > 0;
}

static bool no_procs(const char *dir)
{
	char buf[16];

	return read_in(dir, "cgroup.procs", buf, sizeof(buf)) == 0;
}

/* Cut the last component off path, never going above mnt. Returns false
 * when path is mnt already. */
static bool parent_of(char *path, const char *mnt)
{
	size_t ml = strlen(mnt);
	char *slash;

	if (strlen(path) <= ml)
		return false;
	slash = strrchr(path, '/');
	if (!slash || (size_t)(slash - path) < ml)
		return false;
	*slash = '\0';
	return true;
}

/* The top for one hierarchy mounted at mnt (see cgroup.h). ctl < 0: v2. */
static int find_top(const char *mnt, int ctl, const char *ctlname, char *top, size_t size, char *why, size_t wl)
{
	char self[SMALL], rel[PATH_MAX], own[PATH_MAX], p[PATH_MAX];
	ssize_t n = read_text("/proc/self/cgroup", self, sizeof(self));
	int r;

	if (n < 0) {
		say(why, wl, "cannot read /proc/self/cgroup");
		return (int)n;
	}
	r = vr_cgroup_parse_self(self, ctl, rel, sizeof(rel));
	if (r < 0) {
		say(why, wl, "this process is in no cgroup of the %s%s hierarchy (/proc/self/cgroup)",
		    ctlname ? ctlname : "cgroup v2", ctlname ? " controller's" : "");
		return r;
	}
	if (snprintf(own, sizeof(own), "%s%s", mnt, strcmp(rel, "/") == 0 ? "" : rel) >= (int)sizeof(own))
		return -ENAMETOOLONG;
	/* Our own cgroup lies outside what is mounted here (another cgroup
	 * namespace's view): start from the mount's root. */
	if (access(own, F_OK) < 0)
		copy_str(own, sizeof(own), mnt);

	if (geteuid() == 0) {
		char best[PATH_MAX] = "";
		copy_str(p, sizeof(p), own);
		do
			if (delegated(p))
				copy_str(best, sizeof(best), p);
		while (parent_of(p, mnt));
		/* A delegated cgroup holding processes cannot get children with
		 * controllers (cgroup v2's no-internal-process rule): then the
		 * hierarchy's root, where root may always create. */
		copy_str(top, size, best[0] && no_procs(best) ? best : mnt);
		return 0;
	}
	if (!writable(own)) {
		say(why, wl,
		    "%s%s%s is not delegated to uid %u (its cgroup %s is not writable; "
		    "run voidrun in a delegated cgroup, e.g. systemd-run --user --scope -p Delegate=yes)",
		    ctlname ? "the '" : "cgroup v2", ctlname ? ctlname : "", ctlname ? "' cgroup controller" : "",
		    (unsigned)geteuid(), own);
		return -EACCES;
	}
	copy_str(p, sizeof(p), own);
	copy_str(top, size, own);
	while (parent_of(p, mnt) && writable(p))
		copy_str(top, size, p);
	return 0;
}

/* cgroup v2: enable the controllers in need for the children of dir, those
 * not yet enabled only (so nothing is written where nothing is missing). */
static int enable(const char *dir, unsigned need, char *why, size_t wl)
{
	char cur[SMALL];
	ssize_t n = read_in(dir, "cgroup.subtree_control", cur, sizeof(cur));

	if (n < 0) {
		say(why, wl, "cannot read %s/cgroup.subtree_control", dir);
		return (int)n;
	}
	for (int c = 0; c < VR_CG_N; c++) {
		char w[32];
		int r;
		if (!(need & VR_CG_BIT(c)) || has_word(cur, ctl_names[c], " \n"))
			continue;
		(void)snprintf(w, sizeof(w), "+%s", ctl_names[c]);
		r = write_in(dir, "cgroup.subtree_control", w);
		if (r == -EBUSY)
			say(why, wl,
			    "cannot enable the '%s' cgroup controller below %s: processes sit in it "
			    "(run voidrun in a leaf cgroup below it)", ctl_names[c], dir);
		else if (r < 0)
			say(why, wl, "cannot enable the '%s' cgroup controller in %s/cgroup.subtree_control",
			    ctl_names[c], dir);
		if (r < 0)
			return r;
	}
	return 0;
}

static unsigned long self_pidns(void)
{
	struct stat st;

	return stat("/proc/self/ns/pid", &st) == 0 ? (unsigned long)st.st_ino : 0;
}

/* Remove the cgroups of voidruns that died without removing theirs (killed
 * by SIGKILL, say): names "PIDNS-PID-N" of our pid namespace whose PID is
 * gone. rmdir only removes an empty cgroup, so a live one stays whatever. */
static void sweep(const char *base)
{
	unsigned long ns = self_pidns();
	DIR *d = opendir(base);
	struct dirent *e;

	if (!d)
		return;
	while ((e = readdir(d)) != NULL) {
		unsigned long ens;
		int pid, end = 0;
		unsigned seq;
		char path[PATH_MAX];

		if (sscanf(e->d_name, "%lu-%d-%u%n", &ens, &pid, &seq, &end) != 3 || e->d_name[end] || ens != ns ||
		    pid <= 0)
			continue;
		if (kill(pid, 0) == 0 || errno != ESRCH)
			continue;
		if (join(path, sizeof(path), base, e->d_name) == 0)
			(void)rmdir(path);
	}
	(void)closedir(d);
}

static int make_name(char *buf, size_t size)
{
	static unsigned seq;
	unsigned n = __atomic_add_fetch(&seq, 1, __ATOMIC_RELAXED);

	return snprintf(buf, size, "%lu-%d-%u", self_pidns(), (int)getpid(), n) >= (int)size ? -ENAMETOOLONG : 0;
}

/* Make TOP/voidrun/NAME (v2: with need enabled on the way). Another
 * voidrun may remove an empty voidrun/ between our mkdirs: try again. */
static int make_dir(struct cg_dir *d, const char *mnt, const char *top, const char *name, int version, unsigned need,
		    char *why, size_t wl)
{
	int r = 0;

	if (join(d->base, sizeof(d->base), top, VR_CG_BASE) < 0 || join(d->path, sizeof(d->path), d->base, name) < 0)
		return -ENAMETOOLONG;
	copy_str(d->rel, sizeof(d->rel), d->path + strlen(mnt));
	for (int attempt = 0; attempt < 5; attempt++) {
		if (version == 2 && (r = enable(top, need, why, wl)) < 0)
			return r;
		if (mkdir(d->base, 0755) < 0 && errno != EEXIST) {
			r = vr_neg_errno();
			say(why, wl, "cannot create %s", d->base);
			return r;
		}
		if (version == 2) {
			r = enable(d->base, need, why, wl);
			if (r == -ENOENT)
				continue;
			if (r < 0)
				return r;
		}
		sweep(d->base);
		if (mkdir(d->path, 0755) == 0)
			return 0;
		r = vr_neg_errno();
		if (r != -ENOENT)
			break;
	}
	say(why, wl, "cannot create %s", d->path);
	return r;
}

static int create_v2(struct vr_cgroup *cg, const char *mnt, unsigned need, const char *name, char *why, size_t wl)
{
	char top[PATH_MAX], avail[SMALL];
	struct cg_dir *d = &cg->d[0];
	int r;

	r = find_top(mnt, -1, need ? ctl_names[__builtin_ctz(need)] : NULL, top, sizeof(top), why, wl);
	if (r < 0)
		return r;
	/* What the top may hand down: a controller not offered there cannot
	 * be had anywhere below it. */
	if (read_in(top, "cgroup.controllers", avail, sizeof(avail)) < 0)
		avail[0] = '\0';
	for (int c = 0; c < VR_CG_N; c++)
		if ((need & VR_CG_BIT(c)) && !has_word(avail, ctl_names[c], " \n")) {
			avail[strcspn(avail, "\n")] = '\0';
			say(why, wl, "the '%s' cgroup controller is not available in %s (cgroup.controllers: %s)",
			    ctl_names[c], top, avail[0] ? avail : "none");
			return -ENODEV;
		}
	cg->n = 1;
	d->ctls = need;
	r = make_dir(d, mnt, top, name, 2, need, why, wl);
	if (r < 0) {
		cg->n = 0;
		return r;
	}
	cg->dirfd = open(d->path, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (cg->dirfd < 0) {
		say(why, wl, "cannot open %s", d->path);
		return vr_neg_errno();
	}
	return 0;
}

static int create_v1(struct vr_cgroup *cg, const struct vr_cgroup_mounts *m, unsigned need, const char *name,
		     char *why, size_t wl)
{
	for (int c = 0; c < VR_CG_N; c++) {
		char top[PATH_MAX];
		size_t i;
		int r;

		if (!(need & VR_CG_BIT(c)))
			continue;
		/* Controllers mounted together (cpu,cpuacct) share a directory. */
		for (i = 0; i < cg->n; i++)
			if (strncmp(cg->d[i].path, m->v1[c], strlen(m->v1[c])) == 0 &&
			    cg->d[i].path[strlen(m->v1[c])] == '/')
				break;
		if (i < cg->n) {
			cg->d[i].ctls |= VR_CG_BIT(c);
			continue;
		}
		r = find_top(m->v1[c], c, ctl_names[c], top, sizeof(top), why, wl);
		if (r < 0)
			return r;
		cg->d[cg->n].ctls = VR_CG_BIT(c);
		r = make_dir(&cg->d[cg->n], m->v1[c], top, name, 1, 0, why, wl);
		if (r < 0)
			return r;
		cg->n++;
	}
	return 0;
}

int vr_cgroup_create(unsigned need, struct vr_cgroup **ret, char *why, size_t wl)
{
	_cleanup_free_ struct vr_cgroup_mounts *m = calloc(1, sizeof(*m));
	_cleanup_free_ char *info = NULL;
	char avail[SMALL], name[64];
	struct vr_cgroup *cg;
	int version, missing = -1, r;

	say(why, wl, "cgroup");
	*ret = NULL;
	if (!m)
		return -ENOMEM;
	if (need & ~VR_CG_ALL)
		return -EINVAL;
	info = read_all("/proc/self/mountinfo");
	if (!info) {
		say(why, wl, "cannot read /proc/self/mountinfo");
		return vr_neg_errno();
	}
	(void)vr_cgroup_parse_mountinfo(info, m);
	if (!m->v2[0] || read_in(m->v2, "cgroup.controllers", avail, sizeof(avail)) < 0)
		avail[0] = '\0';
	version = vr_cgroup_pick_version(m, m->v2[0] ? avail : NULL, need, &missing);
	if (version < 0) {
		if (missing < 0)
			say(why, wl, "cgroup v2 is not mounted");
		else if (m->v1[missing][0])
			/* Each is somewhere, but not all in one version. */
			say(why, wl, "the '%s' cgroup controller is on a v1 hierarchy while others are on cgroup v2 only "
				     "(voidrun uses one version at a time)", ctl_names[missing]);
		else
			say(why, wl, "the '%s' cgroup controller is not available (%s%s%s, and no v1 hierarchy has it)",
			    ctl_names[missing], m->v2[0] ? "not in " : "no cgroup v2", m->v2,
			    m->v2[0] ? "/cgroup.controllers" : "");
		return version;
	}
	r = make_name(name, sizeof(name));
	if (r < 0)
		return r;
	cg = calloc(1, sizeof(*cg));
	if (!cg)
		return -ENOMEM;
	cg->version = version;
	cg->dirfd = -1;
	r = version == 2 ? create_v2(cg, m->v2, need, name, why, wl) : create_v1(cg, m, need, name, why, wl);
	if (r < 0) {
		(void)vr_cgroup_destroy(cg);
		return r;
	}
	*ret = cg;
	return 0;
}

/* ------------------------------------------------------------ using */

int vr_cgroup_version(const struct vr_cgroup *cg)
{
	return cg->version;
}

int vr_cgroup_dirfd(const struct vr_cgroup *cg)
{
	return cg ? cg->dirfd : -1;
}

static const struct cg_dir *dir_of(const struct vr_cgroup *cg, int ctl)
{
	if (!cg || cg->n == 0)
		return NULL;
	if (cg->version == 2)
		return &cg->d[0];
	for (size_t i = 0; i < cg->n; i++)
		if (ctl >= 0 && ctl < VR_CG_N && (cg->d[i].ctls & VR_CG_BIT(ctl)))
			return &cg->d[i];
	return NULL;
}

const char *vr_cgroup_path(const struct vr_cgroup *cg, int ctl)
{
	const struct cg_dir *d = dir_of(cg, ctl);

	return d ? d->path : NULL;
}

const char *vr_cgroup_base(const struct vr_cgroup *cg, int ctl)
{
	const struct cg_dir *d = dir_of(cg, ctl);

	return d ? d->base : NULL;
}

int vr_cgroup_write(struct vr_cgroup *cg, int ctl, const char *file, const char *value)
{
	const struct cg_dir *d = dir_of(cg, ctl);

	return d ? write_in(d->path, file, value) : -ENOENT;
}

int vr_cgroup_read(const struct vr_cgroup *cg, int ctl, const char *file, const char *key, uint64_t *ret)
{
	const struct cg_dir *d = dir_of(cg, ctl);
	char buf[SMALL], *p, *end;
	ssize_t n;

	if (!d)
		return -ENOENT;
	n = read_in(d->path, file, buf, sizeof(buf));
	if (n < 0)
		return (int)n;
	p = buf;
	if (key) {
		size_t kl = strlen(key);
		for (p = buf; p; p = strchr(p, '\n'), p = p ? p + 1 : NULL)
			if (strncmp(p, key, kl) == 0 && p[kl] == ' ')
				break;
		if (!p)
			return -ENOENT;
		p += kl + 1;
	}
	if (strncmp(p, "max", 3) == 0) {
		*ret = UINT64_MAX;
		return 0;
	}
	errno = 0;
	*ret = strtoull(p, &end, 10);
	return end == p || errno ? -EINVAL : 0;
}

int vr_cgroup_attach(struct vr_cgroup *cg, pid_t pid)
{
	char s[32];

	(void)snprintf(s, sizeof(s), "%d", (int)pid);
	for (size_t i = 0; i < cg->n; i++) {
		int r = write_in(cg->d[i].path, "cgroup.procs", s);
		if (r < 0)
			return r;
	}
	return 0;
}

/* Whether process pid (still) lies in the cgroup d: its /proc/PID/cgroup
 * has a line ending in ":" + d->rel. */
static bool in_cgroup(pid_t pid, const struct cg_dir *d)
{
	char path[64], buf[SMALL], want[PATH_MAX + 3];

	(void)snprintf(path, sizeof(path), "/proc/%d/cgroup", (int)pid);
	if (read_text(path, buf, sizeof(buf)) < 0)
		return false;
	(void)snprintf(want, sizeof(want), ":%s\n", d->rel);
	return strstr(buf, want) != NULL;
}

/* SIGKILL every process cgroup.procs lists. Each is opened as a pidfd
 * first and then checked to be in the cgroup: if the pid was recycled in
 * between, the process behind it is not ours and is left alone. Returns
 * how many were signalled, or -errno. */
static int kill_listed(const struct cg_dir *d)
{
	char buf[SMALL];
	ssize_t n = read_in(d->path, "cgroup.procs", buf, sizeof(buf));
	int count = 0;

	if (n < 0)
		return (int)n;
	for (char *p = buf, *end; *p; p = end) {
		long pid = strtol(p, &end, 10);
		if (end == p)
			break;
		int fd = (int)syscall(SYS_pidfd_open, (pid_t)pid, 0);
		if (fd < 0)
			continue;
		if (in_cgroup((pid_t)pid, d) && syscall(SYS_pidfd_send_signal, fd, SIGKILL, NULL, 0) == 0)
			count++;
		(void)close(fd);
	}
	return count;
}

int vr_cgroup_kill(struct vr_cgroup *cg)
{
	if (!cg || cg->n == 0)
		return 0;
	/* cgroup.kill (Linux 5.14) kills the whole cgroup at once: nothing
	 * can fork its way out of it. */
	if (cg->version == 2) {
		int r = write_in(cg->d[0].path, "cgroup.kill", "1");
		if (r != -ENOENT)
			return r;
	}
	for (size_t i = 0; i < cg->n; i++) {
		int r = kill_listed(&cg->d[i]);
		if (r < 0 && r != -ENOENT)
			return r;
	}
	return 0;
}

/* rmdir a cgroup, which fails with EBUSY while a task is still in it:
 * tasks killed a moment ago may still be exiting. Kill again now and then,
 * and give up after about two seconds. */
static int remove_dir(struct vr_cgroup *cg, const struct cg_dir *d)
{
	for (int i = 0; i < 200; i++) {
		if (rmdir(d->path) == 0 || errno == ENOENT)
			return 0;
		if (errno != EBUSY)
			return vr_neg_errno();
		if (i % 20 == 0)
			(void)vr_cgroup_kill(cg);
		sleep_ms(10);
	}
	return -EBUSY;
}

int vr_cgroup_destroy(struct vr_cgroup *cg)
{
	int result = 0;

	if (!cg)
		return 0;
	for (size_t i = 0; i < cg->n; i++) {
		int r = remove_dir(cg, &cg->d[i]);
		if (r < 0 && result == 0)
			result = r;
		/* voidrun/ goes too once empty (EBUSY while other voids'
		 * cgroups are in it, which is fine). */
		if (r == 0)
			(void)rmdir(cg->d[i].base);
	}
	vr_closep(&cg->dirfd);
	free(cg);
	return result;
}
