/* SPDX-License-Identifier: MIT */
/* voidrun.core, the part that sees into running layouts: the registry's
 * private files, /proc, and entering a void (core/enter.h).
 * Conventions as in lcore.c: misuse raises; an OS failure returns
 * fail, message, errno. */
#define _GNU_SOURCE
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/time.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <unistd.h>
#include <linux/filter.h>

#include <lauxlib.h>
#include <lua.h>

#include "lbind.h"
#include "enter.h"
#include "harden.h"

/* mkdir(path, mode) -> true | fail, msg, errno (EEXIST when it exists) */
static int l_mkdir(lua_State *L)
{
	const char *path = luaL_checkstring(L, 1);
	lua_Integer mode = luaL_checkinteger(L, 2);

	luaL_argcheck(L, mode >= 0 && mode <= 07777, 2, "not a mode");
	if (mkdir(path, (mode_t)mode) < 0)
		return vr_lua_fail(L, -errno, path);
	lua_pushboolean(L, 1);
	return 1;
}

/* lstat(path) -> { type = "dir"|"file"|"link"|"other", mode = n, uid = n } */
static int l_lstat(lua_State *L)
{
	const char *path = luaL_checkstring(L, 1);
	struct stat st;

	if (lstat(path, &st) < 0)
		return vr_lua_fail(L, -errno, path);
	lua_createtable(L, 0, 3);
	lua_pushstring(L, S_ISDIR(st.st_mode) ? "dir" : S_ISREG(st.st_mode) ? "file" :
					  S_ISLNK(st.st_mode) ? "link" : "other");
	lua_setfield(L, -2, "type");
	lua_pushinteger(L, st.st_mode & 07777);
	lua_setfield(L, -2, "mode");
	lua_pushinteger(L, st.st_uid);
	lua_setfield(L, -2, "uid");
	return 1;
}

/* write_private(path, data): replace path atomically by a file of mode
 * 0600 holding data (written to path.tmp, then renamed; a symlink planted
 * at path.tmp is not followed). -> true | fail, msg, errno */
static int l_write_private(lua_State *L)
{
	const char *path = luaL_checkstring(L, 1);
	size_t len, off = 0;
	const char *data = luaL_checklstring(L, 2, &len);
	const char *tmp = lua_pushfstring(L, "%s.tmp", path);
	int fd, r = 0;

	(void)unlink(tmp);
	fd = open(tmp, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0600);
	if (fd < 0)
		return vr_lua_fail(L, -errno, tmp);
	while (off < len) {
		ssize_t n = write(fd, data + off, len - off);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0) {
			r = -errno;
			break;
		}
		off += (size_t)n;
	}
	if (close(fd) < 0 && r == 0)
		r = -errno;
	if (r == 0 && rename(tmp, path) < 0)
		r = -errno;
	if (r < 0) {
		(void)unlink(tmp);
		return vr_lua_fail(L, r, path);
	}
	lua_pushboolean(L, 1);
	return 1;
}

#define DIR_MT "voidrun.Dir"

/* __gc of the DIR * held while listing: a Lua error (out of memory) that
 * unwinds past l_listdir leaves no directory stream open. */
static int dir_gc(lua_State *L)
{
	DIR **d = luaL_checkudata(L, 1, DIR_MT);

	if (*d)
		(void)closedir(*d);
	*d = NULL;
	return 0;
}

/* listdir(path) -> { name... } without "." and "..", unsorted */
static int l_listdir(lua_State *L)
{
	const char *path = luaL_checkstring(L, 1);
	DIR **dir = lua_newuserdatauv(L, sizeof(DIR *), 0);
	lua_Integer i = 0;
	struct dirent *d;

	*dir = NULL;
	luaL_setmetatable(L, DIR_MT);
	*dir = opendir(path);  /* close-on-exec (glibc) */
	if (!*dir)
		return vr_lua_fail(L, -errno, path);
	lua_newtable(L);
	while ((d = readdir(*dir))) {
		if (strcmp(d->d_name, ".") == 0 || strcmp(d->d_name, "..") == 0)
			continue;
		lua_pushstring(L, d->d_name);
		lua_rawseti(L, -2, ++i);
	}
	(void)closedir(*dir);
	*dir = NULL;
	return 1;
}

/* readlink(path) -> target | fail, msg, errno */
static int l_readlink(lua_State *L)
{
	const char *path = luaL_checkstring(L, 1);
	char buf[PATH_MAX];
	ssize_t n = readlink(path, buf, sizeof(buf) - 1);

	if (n < 0)
		return vr_lua_fail(L, -errno, path);
	lua_pushlstring(L, buf, (size_t)n);
	return 1;
}

/* pidfd_open(pid) -> fd | fail, msg, errno */
static int l_pidfd_open(lua_State *L)
{
	lua_Integer pid = luaL_checkinteger(L, 1);
	int fd;

	luaL_argcheck(L, pid > 0 && pid <= INT_MAX, 1, "not a pid");
	fd = vr_enter_pidfd((pid_t)pid);
	if (fd < 0)
		return vr_lua_fail(L, fd, "pidfd_open");
	lua_pushinteger(L, fd);
	return 1;
}

/* A NULL-terminated array of the strings of the list at arg, in a
 * userdata on the stack (the strings stay referenced by the list). */
static char **check_strings(lua_State *L, int arg)
{
	size_t n;
	char **v;

	luaL_checktype(L, arg, LUA_TTABLE);
	n = lua_rawlen(L, arg);
	luaL_argcheck(L, n < 4096, arg, "too long");
	v = lua_newuserdatauv(L, (n + 1) * sizeof(char *), 0);
	for (size_t i = 0; i < n; i++) {
		lua_geti(L, arg, (lua_Integer)i + 1);
		v[i] = (char *)lua_tostring(L, -1);
		if (!v[i])
			luaL_argerror(L, arg, "must hold strings");
		lua_pop(L, 1);
	}
	v[n] = NULL;
	return v;
}

/* A wait status as { status = n } (exited) or { signal = n } (killed). */
static int push_status(lua_State *L, int status)
{
	lua_createtable(L, 0, 1);
	if (WIFSIGNALED(status)) {
		lua_pushinteger(L, WTERMSIG(status));
		lua_setfield(L, -2, "signal");
	} else {
		lua_pushinteger(L, WEXITSTATUS(status));
		lua_setfield(L, -2, "status");
	}
	return 1;
}

#define ENTER_MT "voidrun.EnterGrants"
#define ENTER_MAX 8  /* programs, and cgroup directories (one per hierarchy) */

/* What voidrun enter holds of a void's grants while it enters: a Landlock
 * set and the cgroup.procs files, released by __gc whatever happens. */
struct enter_grants {
	struct vr_harden *h;
	int fds[ENTER_MAX];
	size_t n_fds;
	struct sock_fprog progs[ENTER_MAX];
	size_t n_progs;
};

static int enter_grants_gc(lua_State *L)
{
	struct enter_grants *g = luaL_checkudata(L, 1, ENTER_MT);

	vr_harden_free(g->h);
	g->h = NULL;
	for (size_t i = 0; i < g->n_fds; i++)
		(void)close(g->fds[i]);
	g->n_fds = 0;
	return 0;
}

/* The list field key of table t, checked: its length, at most ENTER_MAX. */
static size_t grants_list(lua_State *L, int t, const char *key)
{
	size_t n;

	if (lua_getfield(L, t, key) != LUA_TTABLE)
		luaL_error(L, "enter: grants.%s must be a list", key);
	n = lua_rawlen(L, -1);
	if (n > (strcmp(key, "landlock") == 0 ? 4096 : ENTER_MAX))
		luaL_error(L, "enter: grants.%s is too long", key);
	return n;
}

/* Fill g from the grants table at t (see l_enter). Misuse raises; an OS
 * failure returns < 0 with a message pushed. */
static int grants_load(lua_State *L, int t, struct enter_grants *g)
{
	size_t n = grants_list(L, t, "seccomp");
	int r;

	if (n == 0)
		luaL_error(L, "enter: grants.seccomp holds no program");
	for (size_t i = 0; i < n; i++) {
		size_t len;
		const char *bytes;

		lua_rawgeti(L, -1, (lua_Integer)i + 1);
		bytes = lua_tolstring(L, -1, &len);
		if (!bytes || len == 0 || len % sizeof(struct sock_filter) != 0 ||
		    len / sizeof(struct sock_filter) > BPF_MAXINSNS)
			luaL_error(L, "enter: grants.seccomp[%d] is not a BPF program", (int)i + 1);
		/* the string stays referenced by the grants table */
		g->progs[g->n_progs++] = (struct sock_fprog){
			.len = (unsigned short)(len / sizeof(struct sock_filter)),
			.filter = (struct sock_filter *)bytes,
		};
		lua_pop(L, 1);
	}
	lua_pop(L, 1);

	n = grants_list(L, t, "landlock");
	r = vr_harden_new(&g->h);
	if (r < 0)
		luaL_error(L, "out of memory");
	for (size_t i = 0; i < n; i++) {
		const char *path;
		lua_Integer access;
		int ok;

		if (lua_rawgeti(L, -1, (lua_Integer)i + 1) != LUA_TTABLE)
			luaL_error(L, "enter: grants.landlock[%d] is not a Landlock rule", (int)i + 1);
		lua_getfield(L, -1, "path");
		lua_getfield(L, -2, "access");
		path = lua_tostring(L, -2);
		access = lua_tointegerx(L, -1, &ok);
		if (!path || !ok || vr_harden_add_landlock_rule(g->h, path, (uint64_t)access) < 0)
			luaL_error(L, "enter: grants.landlock[%d] is not a Landlock rule", (int)i + 1);
		lua_pop(L, 3);
	}
	lua_pop(L, 1);

	n = grants_list(L, t, "cgroup");
	for (size_t i = 0; i < n; i++) {
		const char *dir;
		char path[PATH_MAX];
		int fd;

		lua_rawgeti(L, -1, (lua_Integer)i + 1);
		dir = lua_tostring(L, -1);
		if (!dir || dir[0] != '/' || strstr(dir, "/../") ||
		    (size_t)snprintf(path, sizeof(path), "%s/cgroup.procs", dir) >= sizeof(path))
			luaL_error(L, "enter: grants.cgroup[%d] is not a cgroup directory", (int)i + 1);
		lua_pop(L, 1);
		fd = open(path, O_WRONLY | O_CLOEXEC | O_NOFOLLOW);
		if (fd < 0) {
			r = -errno;
			lua_pushfstring(L, "cgroup %s: %s", dir, strerror(-r));
			return r;
		}
		g->fds[g->n_fds++] = fd;
	}
	lua_pop(L, 1);
	return 0;
}

/* enter(pidfd, argv, env [, grants]) -> { status = n } or { signal = n }
 *   | fail, "step: msg", errno
 * grants, the void's own restrictions as its voidrun gave them (its
 * control socket's "grants"): { seccomp = { BPF program bytes... },
 * landlock = { { path =, access = }... }, cgroup = { dir... } }; without
 * it the command gets the default seccomp filter only.
 * Joins the void's namespaces for good (see vr_enter_exec): the calling
 * voidrun does nothing else afterwards but report. argv[1] is the path. */
static int l_enter(lua_State *L)
{
	int pidfd = (int)luaL_checkinteger(L, 1);
	char **argv = check_strings(L, 2);
	char **envp = check_strings(L, 3);
	struct vr_enter e = { .argv = argv, .envp = envp, .uid = 0, .gid = 0 };
	const char *step = NULL;
	int status = 0, r;

	luaL_argcheck(L, argv[0] && argv[0][0] == '/', 2, "argv[1] must be an absolute path");
	e.path = argv[0];
	if (!lua_isnoneornil(L, 4)) {
		struct enter_grants *g;

		luaL_checktype(L, 4, LUA_TTABLE);
		g = lua_newuserdatauv(L, sizeof(*g), 0);
		memset(g, 0, sizeof(*g));
		luaL_setmetatable(L, ENTER_MT);
		r = grants_load(L, 4, g);
		if (r < 0) {
			luaL_pushfail(L);
			lua_rotate(L, -2, 1);
			lua_pushinteger(L, -r);
			return 3;
		}
		e.progs = g->progs;
		e.n_progs = g->n_progs;
		e.harden = g->h;
		e.cgroup_fds = g->fds;
		e.n_cgroup_fds = g->n_fds;
	}
	fflush(NULL);
	r = vr_enter_exec(pidfd, &e, &status, &step);
	if (r < 0)
		return vr_lua_fail(L, r, step && strcmp(step, "exec") == 0 ? e.path : step);
	return push_status(L, status);
}

/* ---------------------------------------------------- the control socket */

/* ctl_listen(path) -> fd | fail, msg, errno
 * A unix stream socket listening at path (replacing a file left there),
 * of mode 0600: only its owner may connect (and the directory it is in is
 * private too). Non-blocking and close-on-exec: voidrun polls it. */
static int l_ctl_listen(lua_State *L)
{
	const char *path = luaL_checkstring(L, 1);
	struct sockaddr_un sa = { .sun_family = AF_UNIX };
	mode_t old;
	int fd, r;

	if (strlen(path) >= sizeof(sa.sun_path))
		return vr_lua_fail(L, -ENAMETOOLONG, path);
	strcpy(sa.sun_path, path);
	fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
	if (fd < 0)
		return vr_lua_fail(L, -errno, "socket");
	if (unlink(path) < 0 && errno != ENOENT) {
		r = -errno;
		(void)close(fd);
		return vr_lua_fail(L, r, path);
	}
	/* The socket file gets its mode at bind(2) from the umask: 0600 from
	 * the start, never a moment wider (voidrun is single-threaded). */
	old = umask(0177);
	r = bind(fd, (struct sockaddr *)&sa, sizeof(sa)) < 0 ? -errno : 0;
	(void)umask(old);
	if (r == 0 && listen(fd, 16) < 0)
		r = -errno;
	if (r < 0) {
		(void)close(fd);
		return vr_lua_fail(L, r, path);
	}
	lua_pushinteger(L, fd);
	return 1;
}

static int push_peer(lua_State *L, int fd)
{
	struct ucred cred;
	socklen_t len = sizeof(cred);

	if (getsockopt(fd, SOL_SOCKET, SO_PEERCRED, &cred, &len) < 0) {
		int r = -errno;
		(void)close(fd);
		return vr_lua_fail(L, r, "SO_PEERCRED");
	}
	lua_pushinteger(L, fd);
	lua_pushinteger(L, cred.uid);
	lua_pushinteger(L, cred.pid);
	return 3;
}

/* ctl_accept(fd) -> conn, uid, pid (the peer's, SO_PEERCRED) | nil (none
 * waiting) | fail, msg, errno. conn is non-blocking and close-on-exec. */
static int l_ctl_accept(lua_State *L)
{
	int lfd = (int)luaL_checkinteger(L, 1);
	int fd;

	do
		fd = accept4(lfd, NULL, NULL, SOCK_CLOEXEC | SOCK_NONBLOCK);
	while (fd < 0 && errno == EINTR);
	if (fd < 0 && (errno == EAGAIN || errno == EWOULDBLOCK))
		return 0;
	if (fd < 0)
		return vr_lua_fail(L, -errno, "accept");
	return push_peer(L, fd);
}

/* ctl_connect(path, timeout_ms) -> fd, uid, pid (the listener's) | fail,
 * msg, errno. Reads and writes on fd fail with EAGAIN after timeout_ms. */
static int l_ctl_connect(lua_State *L)
{
	const char *path = luaL_checkstring(L, 1);
	lua_Integer ms = luaL_checkinteger(L, 2);
	struct sockaddr_un sa = { .sun_family = AF_UNIX };
	struct timeval tv = { .tv_sec = ms / 1000, .tv_usec = (ms % 1000) * 1000 };
	int fd, r;

	luaL_argcheck(L, ms > 0 && ms < 3600000, 2, "out of range");
	if (strlen(path) >= sizeof(sa.sun_path))
		return vr_lua_fail(L, -ENAMETOOLONG, path);
	strcpy(sa.sun_path, path);
	fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return vr_lua_fail(L, -errno, "socket");
	r = 0;
	if (setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv)) < 0 ||
	    setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof(tv)) < 0)
		r = -errno;
	while (r == 0 && connect(fd, (struct sockaddr *)&sa, sizeof(sa)) < 0)
		if (errno != EINTR)
			r = -errno;
	if (r < 0) {
		(void)close(fd);
		return vr_lua_fail(L, r, path);
	}
	return push_peer(L, fd);
}

/* run_foreground(argv) -> { status = n } | { signal = n } | fail, msg, errno
 * Runs argv[1] (a path) with argv and the caller's environment as a job of
 * its own in the foreground of the terminal on stdin, as a shell runs a
 * command: the keys that send signals (^C, ^Z, ^\) reach that job, not
 * the caller (voidrun top, whose shell key runs voidrun enter so). The
 * terminal is the caller's again when it ends. */
static int l_run_foreground(lua_State *L)
{
	char **argv = check_strings(L, 1);
	sigset_t ttou, old;
	pid_t pid;
	int status, err = 0;

	luaL_argcheck(L, argv[0] && argv[0][0] == '/', 1, "argv[1] must be an absolute path");
	/* A process outside the foreground group that sets it gets SIGTTOU:
	 * hold that signal meanwhile, on both sides. */
	sigemptyset(&ttou);
	sigaddset(&ttou, SIGTTOU);
	fflush(NULL);
	pid = fork();
	if (pid < 0)
		return vr_lua_fail(L, -errno, "fork");
	if (pid == 0) {
		sigset_t none;

		/* Both sides set the group and give it the terminal: whichever
		 * runs first, the command starts in the foreground. */
		(void)sigprocmask(SIG_BLOCK, &ttou, NULL);
		(void)setpgid(0, 0);
		(void)tcsetpgrp(STDIN_FILENO, getpid());
		sigemptyset(&none);
		(void)sigprocmask(SIG_SETMASK, &none, NULL);
		execv(argv[0], argv);
		_exit(127);
	}
	(void)sigprocmask(SIG_BLOCK, &ttou, &old);
	(void)setpgid(pid, pid);
	(void)tcsetpgrp(STDIN_FILENO, pid);
	while (waitpid(pid, &status, 0) < 0)
		if (errno != EINTR) {
			err = errno;
			break;
		}
	(void)tcsetpgrp(STDIN_FILENO, getpgrp());
	(void)sigprocmask(SIG_SETMASK, &old, NULL);
	if (err)
		return vr_lua_fail(L, -err, "waitpid");
	return push_status(L, status);
}

static const luaL_Reg funcs[] = {
	{ "mkdir", l_mkdir },
	{ "lstat", l_lstat },
	{ "write_private", l_write_private },
	{ "listdir", l_listdir },
	{ "readlink", l_readlink },
	{ "pidfd_open", l_pidfd_open },
	{ "enter", l_enter },
	{ "ctl_listen", l_ctl_listen },
	{ "ctl_accept", l_ctl_accept },
	{ "ctl_connect", l_ctl_connect },
	{ "run_foreground", l_run_foreground },
	{ NULL, NULL },
};

void vr_lua_open_inspect(lua_State *L)
{
	if (luaL_newmetatable(L, DIR_MT)) {
		lua_pushcfunction(L, dir_gc);
		lua_setfield(L, -2, "__gc");
		lua_pushcfunction(L, dir_gc);
		lua_setfield(L, -2, "__close");
	}
	lua_pop(L, 1);
	if (luaL_newmetatable(L, ENTER_MT)) {
		lua_pushcfunction(L, enter_grants_gc);
		lua_setfield(L, -2, "__gc");
		lua_pushcfunction(L, enter_grants_gc);
		lua_setfield(L, -2, "__close");
	}
	lua_pop(L, 1);
	luaL_setfuncs(L, funcs, 0);
}
