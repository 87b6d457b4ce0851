/* SPDX-License-Identifier: MIT */
/* voidrun.core: the C core as a Lua 5.4 module.
 *
 * Conventions, after liolib.c: misuse (a wrong type, an unknown flag name)
 * raises an error; an OS failure returns fail, message, errno. Resources
 * live in userdata whose __gc and __close share one idempotent function,
 * so a Lua error that unwinds past them leaves no process or fd behind. */
#define _GNU_SOURCE
#include <sched.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/signalfd.h>
#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <poll.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <lauxlib.h>
#include <lua.h>

#include "lbind.h"
#include "clone.h"
#include "elfdeps.h"
#include "fd.h"
#include "harden.h"
#include "idmap.h"
#include "mount.h"
#include "void.h"

#define PLAN_MT "voidrun.Plan"
#define VOID_MT "voidrun.Void"

/* fail, "what: strerror", errno — for a negative errno r. */
int vr_lua_fail(lua_State *L, int r, const char *what)
{
	luaL_pushfail(L);
	if (what)
		lua_pushfstring(L, "%s: %s", what, strerror(-r));
	else
		lua_pushstring(L, strerror(-r));
	lua_pushinteger(L, -r);
	return 3;
}

#define push_fail vr_lua_fail

static int push_result(lua_State *L, int r, const char *what)
{
	if (r < 0)
		return push_fail(L, r, what);
	lua_pushboolean(L, 1);
	return 1;
}

static int check_fd(lua_State *L, int arg)
{
	lua_Integer fd = luaL_checkinteger(L, arg);

	luaL_argcheck(L, fd >= 0 && fd <= INT_MAX, arg, "not a file descriptor");
	return (int)fd;
}

/* ------------------------------------------------------------- clone3 */

static uint64_t check_flags(lua_State *L, int arg)
{
	uint64_t flags = 0;

	luaL_checktype(L, arg, LUA_TTABLE);
	for (lua_Integer i = 1;; i++) {
		uint64_t f;
		if (lua_geti(L, arg, i) == LUA_TNIL) {
			lua_pop(L, 1);
			break;
		}
		const char *name = luaL_checkstring(L, -1);
		if (vr_clone_flag(name, &f) < 0)
			luaL_error(L, "unknown clone flag '%s'", name);
		flags |= f;
		lua_pop(L, 1);
	}
	return flags;
}

/* clone3(flags [, opts]) -> pid [, pidfd] in the parent, 0 in the child.
 * opts: { cgroup = fd, exit_signal = n }. With "pidfd" in flags the pidfd
 * is returned second. */
static int l_clone3(lua_State *L)
{
	struct vr_clone_opts o = { .exit_signal = SIGCHLD, .cgroup_fd = -1 };
	int pidfd = -1;
	pid_t pid;

	o.flags = check_flags(L, 1);
	if (lua_istable(L, 2)) {
		if (lua_getfield(L, 2, "cgroup") != LUA_TNIL)
			o.cgroup_fd = (int)luaL_checkinteger(L, -1);
		if (lua_getfield(L, 2, "exit_signal") != LUA_TNIL)
			o.exit_signal = (int)luaL_checkinteger(L, -1);
		lua_pop(L, 2);
	}
	if (o.flags & CLONE_PIDFD)
		o.ret_pidfd = &pidfd;
	if ((o.flags & (CLONE_VM | CLONE_THREAD | CLONE_SETTLS)))
		return luaL_argerror(L, 1, "vm, thread and settls need a stack; use the void API");
	if ((o.flags & CLONE_INTO_CGROUP) && o.cgroup_fd < 0)
		return luaL_argerror(L, 2, "into_cgroup needs opts.cgroup");
	fflush(NULL);
	pid = vr_clone3(&o);
	if (pid < 0)
		return push_fail(L, pid, "clone3");
	lua_pushinteger(L, pid);
	if (pid > 0 && (o.flags & CLONE_PIDFD)) {
		lua_pushinteger(L, pidfd);
		return 2;
	}
	return 1;
}

/* waitpid(pid) -> "exited"|"signaled", code|signal */
static int l_waitpid(lua_State *L)
{
	pid_t pid = (pid_t)luaL_checkinteger(L, 1);
	int status;
	pid_t r;

	do
		r = waitpid(pid, &status, 0);
	while (r < 0 && errno == EINTR);
	if (r < 0)
		return push_fail(L, -errno, "waitpid");
	if (WIFSIGNALED(status)) {
		lua_pushliteral(L, "signaled");
		lua_pushinteger(L, WTERMSIG(status));
	} else {
		lua_pushliteral(L, "exited");
		lua_pushinteger(L, WEXITSTATUS(status));
	}
	return 2;
}

/* execv(path, argv) replaces the process; returns only on failure. */
static int l_execv(lua_State *L)
{
	const char *path = luaL_checkstring(L, 1);
	size_t n;
	const char **argv;

	luaL_checktype(L, 2, LUA_TTABLE);
	n = lua_rawlen(L, 2);
	argv = lua_newuserdatauv(L, (n + 1) * sizeof(char *), 0);
	for (size_t i = 0; i < n; i++) {
		lua_geti(L, 2, (lua_Integer)i + 1);
		argv[i] = luaL_checkstring(L, -1);
		lua_pop(L, 1);  /* still referenced by the table */
	}
	argv[n] = NULL;
	fflush(NULL);
	execv(path, (char *const *)argv);
	return push_fail(L, -errno, path);
}

/* dup(fd) -> a close-on-exec duplicate */
static int l_dup(lua_State *L)
{
	int fd = fcntl(check_fd(L, 1), F_DUPFD_CLOEXEC, 3);

	if (fd < 0)
		return push_fail(L, -errno, "dup");
	lua_pushinteger(L, fd);
	return 1;
}

static int l_dup2(lua_State *L)
{
	int from = check_fd(L, 1), to = check_fd(L, 2);

	if (dup2(from, to) < 0)
		return push_fail(L, -errno, "dup2");
	lua_pushinteger(L, to);
	return 1;
}

static int l_kill(lua_State *L)
{
	pid_t pid = (pid_t)luaL_checkinteger(L, 1);

	return push_result(L, kill(pid, (int)luaL_optinteger(L, 2, SIGTERM)) < 0 ? -errno : 0, "kill");
}

static int l_getpid(lua_State *L)
{
	lua_pushinteger(L, getpid());
	return 1;
}

static int l_exit(lua_State *L)
{
	fflush(NULL);
	_exit((int)luaL_optinteger(L, 1, 0));
}

/* ------------------------------------------------------------- id maps */

static size_t check_maps(lua_State *L, int arg, struct vr_idmap *maps, size_t max)
{
	size_t n = 0;

	if (lua_isnoneornil(L, arg))
		return 0;
	luaL_checktype(L, arg, LUA_TTABLE);
	for (lua_Integer i = 1;; i++) {
		if (lua_geti(L, arg, i) == LUA_TNIL) {
			lua_pop(L, 1);
			break;
		}
		luaL_argcheck(L, lua_istable(L, -1) && n < max, arg, "expected a list of {inside, outside, count}");
		unsigned v[3];
		for (int k = 0; k < 3; k++) {
			lua_geti(L, -1, k + 1);
			lua_Integer x = luaL_checkinteger(L, -1);
			luaL_argcheck(L, x >= 0 && x <= UINT_MAX, arg, "id out of range");
			v[k] = (unsigned)x;
			lua_pop(L, 1);
		}
		maps[n++] = (struct vr_idmap){ v[0], v[1], v[2] };
		lua_pop(L, 1);
	}
	return n;
}

/* idmap_write(pid, uidmaps, gidmaps [, deny_setgroups]) */
static int l_idmap_write(lua_State *L)
{
	struct vr_idmap u[32], g[32];
	pid_t pid = (pid_t)luaL_checkinteger(L, 1);
	size_t nu = check_maps(L, 2, u, 32), ng = check_maps(L, 3, g, 32);

	return push_result(L, vr_idmap_write(pid, u, nu, g, ng, lua_toboolean(L, 4)), "idmap");
}

/* ------------------------------------------------------------- mounts */

static unsigned check_mount_flags(lua_State *L, int arg)
{
	static const char *const names[] = { "ro", "nosuid", "nodev", "noexec", NULL };
	static const unsigned vals[] = { VR_MOUNT_RDONLY, VR_MOUNT_NOSUID, VR_MOUNT_NODEV, VR_MOUNT_NOEXEC };
	unsigned flags = 0;

	if (lua_isnoneornil(L, arg))
		return 0;
	luaL_checktype(L, arg, LUA_TTABLE);
	for (lua_Integer i = 1; lua_geti(L, arg, i) != LUA_TNIL; i++) {
		flags |= vals[luaL_checkoption(L, -1, NULL, names)];
		lua_pop(L, 1);
	}
	lua_pop(L, 1);
	return flags;
}

static int l_mount_tmpfs(lua_State *L)
{
	const char *dst = luaL_checkstring(L, 1);
	return push_result(L, vr_mount_tmpfs(dst, luaL_optstring(L, 2, NULL), check_mount_flags(L, 3)), dst);
}

static int l_mount_bind(lua_State *L)
{
	const char *src = luaL_checkstring(L, 1), *dst = luaL_checkstring(L, 2);
	return push_result(L, vr_mount_bind(src, dst, check_mount_flags(L, 3)), src);
}

static int l_mount_remount_ro(lua_State *L)
{
	const char *path = luaL_checkstring(L, 1);
	return push_result(L, vr_mount_remount_ro(path), path);
}

static int l_mount_proc(lua_State *L)
{
	const char *dst = luaL_checkstring(L, 1);
	return push_result(L, vr_mount_proc(dst), dst);
}

static int l_mount_private(lua_State *L)
{
	const char *path = luaL_checkstring(L, 1);
	return push_result(L, vr_mount_make_private(path), path);
}

static int l_pivot_root(lua_State *L)
{
	const char *dir = luaL_checkstring(L, 1);
	return push_result(L, vr_mount_pivot(dir), dir);
}

static int l_umount(lua_State *L)
{
	const char *path = luaL_checkstring(L, 1);
	return push_result(L, vr_mount_umount(path, lua_toboolean(L, 2) ? MNT_DETACH : 0), path);
}

/* ------------------------------------------------------------- fds */

static int l_pipe(lua_State *L)
{
	int fds[2], r = vr_fd_pipe(fds);

	if (r < 0)
		return push_fail(L, r, "pipe");
	lua_pushinteger(L, fds[0]);
	lua_pushinteger(L, fds[1]);
	return 2;
}

static int l_socketpair(lua_State *L)
{
	static const char *const names[] = { "stream", "dgram", "seqpacket", NULL };
	static const int types[] = { SOCK_STREAM, SOCK_DGRAM, SOCK_SEQPACKET };
	int fds[2], r = vr_fd_socketpair(types[luaL_checkoption(L, 1, "stream", names)], fds);

	if (r < 0)
		return push_fail(L, r, "socketpair");
	lua_pushinteger(L, fds[0]);
	lua_pushinteger(L, fds[1]);
	return 2;
}

/* send_fds(sock, {fd...} [, data]) -> bytes */
static int l_send_fds(lua_State *L)
{
	int sock = check_fd(L, 1), fds[VR_FD_MAX_PASS];
	size_t n = 0, len = 0;
	const char *data;

	luaL_checktype(L, 2, LUA_TTABLE);
	data = luaL_optlstring(L, 3, "", &len);
	for (lua_Integer i = 1; lua_geti(L, 2, i) != LUA_TNIL; i++) {
		luaL_argcheck(L, n < VR_FD_MAX_PASS, 2, "too many fds");
		fds[n++] = check_fd(L, -1);
		lua_pop(L, 1);
	}
	lua_pop(L, 1);
	luaL_argcheck(L, n > 0, 2, "no fds to send");
	int r = vr_fd_send(sock, fds, n, data, len);
	if (r < 0)
		return push_fail(L, r, "send_fds");
	lua_pushinteger(L, r);
	return 1;
}

/* recv_fds(sock [, maxfds [, maxbytes]]) -> data, {fd...} */
static int l_recv_fds(lua_State *L)
{
	int sock = check_fd(L, 1), fds[VR_FD_MAX_PASS];
	lua_Integer max = luaL_optinteger(L, 2, VR_FD_MAX_PASS), len = luaL_optinteger(L, 3, 4096);
	size_t n;
	luaL_Buffer b;

	luaL_argcheck(L, max > 0 && max <= VR_FD_MAX_PASS, 2, "out of range");
	luaL_argcheck(L, len > 0 && len <= 1 << 20, 3, "out of range");
	char *buf = luaL_buffinitsize(L, &b, (size_t)len);
	int r = vr_fd_recv(sock, fds, (size_t)max, &n, buf, (size_t)len);
	if (r < 0)
		return push_fail(L, r, "recv_fds");
	luaL_pushresultsize(&b, (size_t)r);
	lua_createtable(L, (int)n, 0);
	for (size_t i = 0; i < n; i++) {
		lua_pushinteger(L, fds[i]);
		lua_seti(L, -2, (lua_Integer)i + 1);
	}
	return 2;
}

/* tcp_listen(host [, port [, backlog]]) -> fd, port */
static int l_tcp_listen(lua_State *L)
{
	const char *host = luaL_checkstring(L, 1);
	lua_Integer port = luaL_optinteger(L, 2, 0), backlog = luaL_optinteger(L, 3, 128);
	int fd, r;

	luaL_argcheck(L, port >= 0 && port <= 65535, 2, "not a port");
	luaL_argcheck(L, backlog > 0 && backlog <= 65535, 3, "out of range");
	fd = vr_fd_tcp_listen(host, (int)port, (int)backlog);
	if (fd == -EINVAL)
		return luaL_argerror(L, 1, "not an IPv4 or IPv6 address");
	if (fd < 0)
		return push_fail(L, fd, host);
	r = vr_fd_local_port(fd);
	if (r < 0) {
		(void)close(fd);
		return push_fail(L, r, "getsockname");
	}
	lua_pushinteger(L, fd);
	lua_pushinteger(L, r);
	return 2;
}

/* tcp_connect(host, port) -> fd: a blocking, close-on-exec TCP
 * connection (for clients in harnesses and tests). */
static int l_tcp_connect(lua_State *L)
{
	const char *host = luaL_checkstring(L, 1);
	lua_Integer port = luaL_checkinteger(L, 2);
	int fd;

	luaL_argcheck(L, port > 0 && port <= 65535, 2, "not a port");
	fd = vr_fd_tcp_connect(host, (int)port);
	if (fd == -EINVAL)
		return luaL_argerror(L, 1, "not an IPv4 or IPv6 address");
	if (fd < 0)
		return push_fail(L, fd, host);
	lua_pushinteger(L, fd);
	return 1;
}

/* shutdown(fd, "r"|"w"|"rw") */
static int l_shutdown(lua_State *L)
{
	static const char *const hows[] = { "r", "w", "rw", NULL };
	static const int vals[] = { SHUT_RD, SHUT_WR, SHUT_RDWR };

	return push_result(L, shutdown(check_fd(L, 1), vals[luaL_checkoption(L, 2, "w", hows)]) < 0 ? -errno : 0,
			   "shutdown");
}

/* unix_listen(path [, backlog]) -> fd */
static int l_unix_listen(lua_State *L)
{
	const char *path = luaL_checkstring(L, 1);
	lua_Integer backlog = luaL_optinteger(L, 2, 128);
	int fd;

	luaL_argcheck(L, backlog > 0 && backlog <= 65535, 2, "out of range");
	fd = vr_fd_unix_listen(path, (int)backlog);
	if (fd < 0)
		return push_fail(L, fd, path);
	lua_pushinteger(L, fd);
	return 1;
}

static int l_close(lua_State *L)
{
	return push_result(L, close(check_fd(L, 1)) < 0 ? -errno : 0, "close");
}

static int l_read(lua_State *L)
{
	int fd = check_fd(L, 1);
	lua_Integer max = luaL_optinteger(L, 2, 65536);
	luaL_Buffer b;
	ssize_t n;

	luaL_argcheck(L, max > 0, 2, "out of range");
	char *buf = luaL_buffinitsize(L, &b, (size_t)max);
	do
		n = read(fd, buf, (size_t)max);
	while (n < 0 && errno == EINTR);
	if (n < 0)
		return push_fail(L, -errno, "read");
	luaL_pushresultsize(&b, (size_t)n);
	return 1;
}

static int l_write(lua_State *L)
{
	int fd = check_fd(L, 1);
	size_t len, off = 0;
	const char *s = luaL_checklstring(L, 2, &len);

	while (off < len) {
		ssize_t w = write(fd, s + off, len - off);
		if (w < 0 && errno == EINTR)
			continue;
		if (w < 0)
			return push_fail(L, -errno, "write");
		off += (size_t)w;
	}
	lua_pushinteger(L, (lua_Integer)len);
	return 1;
}

static int l_is_open(lua_State *L)
{
	lua_pushboolean(L, vr_fd_is_open(check_fd(L, 1)));
	return 1;
}

/* open(path [, "r"|"w"|"rw"|"a"]) -> fd, close-on-exec */
static int l_open(lua_State *L)
{
	static const char *const modes[] = { "r", "w", "rw", "a", NULL };
	static const int flags[] = { O_RDONLY, O_WRONLY | O_CREAT | O_TRUNC, O_RDWR | O_CREAT,
				     O_WRONLY | O_CREAT | O_APPEND };
	const char *path = luaL_checkstring(L, 1);
	int fd = open(path, flags[luaL_checkoption(L, 2, "r", modes)] | O_CLOEXEC, 0644);

	if (fd < 0)
		return push_fail(L, -errno, path);
	lua_pushinteger(L, fd);
	return 1;
}

#define VR_MAX_POLL 65536

/* poll({fd...} [, timeout_ms]) -> { [fd] = true } for each fd readable
 * (or hung up), empty on timeout. A timeout < 0 (default) waits forever. */
static int l_poll(lua_State *L)
{
	lua_Integer timeout = luaL_optinteger(L, 2, -1);
	size_t len;
	struct pollfd *pfd;
	nfds_t n = 0;
	int r;

	luaL_checktype(L, 1, LUA_TTABLE);
	len = lua_rawlen(L, 1);
	luaL_argcheck(L, len <= VR_MAX_POLL, 1, "too many fds");
	/* A layout of a thousand voids polls a thousand fds and more: the
	 * array lives in a userdata, freed by the collector. */
	pfd = lua_newuserdatauv(L, (len ? len : 1) * sizeof(*pfd), 0);
	for (size_t i = 1; i <= len; i++) {
		lua_geti(L, 1, (lua_Integer)i);
		pfd[n++] = (struct pollfd){ .fd = check_fd(L, -1), .events = POLLIN };
		lua_pop(L, 1);
	}
	do
		r = poll(pfd, n, timeout > INT_MAX ? INT_MAX : (int)timeout);
	while (r < 0 && errno == EINTR);
	if (r < 0)
		return push_fail(L, -errno, "poll");
	lua_createtable(L, 0, r);
	for (nfds_t i = 0; i < n; i++)
		if (pfd[i].revents) {
			lua_pushboolean(L, 1);
			lua_seti(L, -2, pfd[i].fd);
		}
	return 1;
}

/* empty_netns([stay]) -> fd of a new, empty network namespace for plans
 * to share (plan.join_netns) | fail, msg, errno. Root stays in its own;
 * with stay, the caller moves into the new one for good (an ordinary
 * user's voidrun in a user namespace of its own). */
static int l_empty_netns(lua_State *L)
{
	int fd = lua_toboolean(L, 1) ? vr_void_enter_empty_netns() : vr_void_empty_netns();

	if (fd < 0)
		return push_fail(L, fd, "empty network namespace");
	lua_pushinteger(L, fd);
	return 1;
}

/* read_signal(sigfd) -> signal number, or nil when none is pending. */
static int l_read_signal(lua_State *L)
{
	struct signalfd_siginfo si;
	ssize_t n = read(check_fd(L, 1), &si, sizeof(si));

	if (n == (ssize_t)sizeof(si)) {
		lua_pushinteger(L, si.ssi_signo);
		return 1;
	}
	if (n < 0 && errno != EAGAIN)
		return push_fail(L, -errno, "read_signal");
	lua_pushnil(L);
	return 1;
}

/* signalfd({"INT", "TERM", ...}) -> fd: blocks those signals and returns a
 * non-blocking signalfd for them, for forwarding to voids. A signal voidrun
 * was started with ignored (nohup's HUP, INT and QUIT of a background job)
 * is left out, so it stays ignored: blocked, the signalfd would have read
 * it all the same. */
static int l_signalfd(lua_State *L)
{
	static const char *const names[] = { "HUP", "INT", "QUIT", "TERM", "USR1", "USR2", "WINCH", "CONT", "TSTP", NULL };
	static const int sigs[] = { SIGHUP, SIGINT, SIGQUIT, SIGTERM, SIGUSR1, SIGUSR2, SIGWINCH, SIGCONT, SIGTSTP };
	sigset_t set;
	int fd;

	sigemptyset(&set);
	luaL_checktype(L, 1, LUA_TTABLE);
	for (lua_Integer i = 1; lua_geti(L, 1, i) != LUA_TNIL; i++) {
		int sig = sigs[luaL_checkoption(L, -1, NULL, names)];
		struct sigaction sa;

		if (sigaction(sig, NULL, &sa) < 0 || sa.sa_handler != SIG_IGN)
			sigaddset(&set, sig);
		lua_pop(L, 1);
	}
	lua_pop(L, 1);
	if (sigprocmask(SIG_BLOCK, &set, NULL) < 0)
		return push_fail(L, -errno, "sigprocmask");
	fd = signalfd(-1, &set, SFD_CLOEXEC | SFD_NONBLOCK);
	if (fd < 0)
		return push_fail(L, -errno, "signalfd");
	lua_pushinteger(L, fd);
	return 1;
}

/* ------------------------------------------------------------- files */

/* stat(path [, follow=true]) -> "file"|"dir"|"link"|"char"|"block"|"fifo"|"socket", mode */
static int l_stat(lua_State *L)
{
	const char *path = luaL_checkstring(L, 1);
	struct stat st;
	const char *type;
	int r = lua_isnoneornil(L, 2) || lua_toboolean(L, 2) ? stat(path, &st) : lstat(path, &st);

	if (r < 0)
		return push_fail(L, -errno, path);
	switch (st.st_mode & S_IFMT) {
	case S_IFREG: type = "file"; break;
	case S_IFDIR: type = "dir"; break;
	case S_IFLNK: type = "link"; break;
	case S_IFCHR: type = "char"; break;
	case S_IFBLK: type = "block"; break;
	case S_IFIFO: type = "fifo"; break;
	default: type = "socket"; break;
	}
	lua_pushstring(L, type);
	lua_pushinteger(L, st.st_mode & 07777);
	return 2;
}

static int l_realpath(lua_State *L)
{
	const char *path = luaL_checkstring(L, 1);
	char *r = realpath(path, NULL);

	if (!r)
		return push_fail(L, -errno, path);
	lua_pushstring(L, r);
	free(r);
	return 1;
}

/* The directory of the running executable (for helper programs shipped
 * beside it). */
static int l_exe_dir(lua_State *L)
{
	char buf[PATH_MAX];
	ssize_t n = readlink("/proc/self/exe", buf, sizeof(buf) - 1);

	if (n < 0)
		return push_fail(L, -errno, "/proc/self/exe");
	buf[n] = '\0';
	char *slash = strrchr(buf, '/');
	if (slash)
		*slash = '\0';
	lua_pushstring(L, buf);
	return 1;
}

/* elf_deps(path) -> { interp = path|nil, { host = ..., inside = ... }, ... } */
static int l_elf_deps(lua_State *L)
{
	const char *path = luaL_checkstring(L, 1);
	struct vr_elf_deps d = { 0 };
	char errpath[PATH_MAX] = "";
	int r = vr_elf_deps(path, &d, errpath, sizeof(errpath));

	if (r < 0)
		return push_fail(L, r, errpath[0] ? errpath : path);
	lua_createtable(L, (int)d.n, 1);
	if (d.interp) {
		lua_pushstring(L, d.interp);
		lua_setfield(L, -2, "interp");
	}
	for (size_t i = 0; i < d.n; i++) {
		lua_createtable(L, 0, 2);
		lua_pushstring(L, d.deps[i].host);
		lua_setfield(L, -2, "host");
		lua_pushstring(L, d.deps[i].inside);
		lua_setfield(L, -2, "inside");
		lua_seti(L, -2, (lua_Integer)i + 1);
	}
	vr_elf_deps_free(&d);
	return 1;
}

static int l_getuid(lua_State *L)
{
	lua_pushinteger(L, geteuid());
	lua_pushinteger(L, getegid());
	return 2;
}

extern char **environ;

/* environ([prefix]) -> { NAME = value } for the variables whose name
 * starts with prefix (all by default). */
static int l_environ(lua_State *L)
{
	size_t plen;
	const char *prefix = luaL_optlstring(L, 1, "", &plen);

	lua_newtable(L);
	for (char **e = environ; e && *e; e++) {
		const char *eq = strchr(*e, '=');
		if (!eq || strncmp(*e, prefix, plen) != 0)
			continue;
		lua_pushlstring(L, *e, (size_t)(eq - *e));
		lua_pushstring(L, eq + 1);
		lua_settable(L, -3);
	}
	return 1;
}

/* now() -> seconds on the monotonic clock, as a float (for benchmarks and
 * timeouts, never for tests' assertions). */
static int l_now(lua_State *L)
{
	struct timespec ts;

	(void)clock_gettime(CLOCK_MONOTONIC, &ts);
	lua_pushnumber(L, (lua_Number)ts.tv_sec + (lua_Number)ts.tv_nsec / 1e9);
	return 1;
}

static int l_strerror(lua_State *L)
{
	lua_pushstring(L, strerror((int)luaL_checkinteger(L, 1)));
	return 1;
}

/* ------------------------------------------------------------- plans */

struct plan_ud {
	struct vr_plan *plan;
	lua_State *L;   /* the state spawning, for a function entry */
	int fn_ref;     /* the entry function, or LUA_NOREF */
	int arg_ref;    /* its argument */
};

/* A function entry, called in the void's entry process: a fork of
 * voidrun, whose copy of the Lua state runs the function once the void
 * is complete. An error is reported on the void's stderr; the result is
 * the exit code (an integer; true or nothing is 0, false is 1). */
static int lua_entry(void *arg)
{
	struct plan_ud *u = arg;
	lua_State *L = u->L;
	int code;

	lua_settop(L, 0);
	lua_rawgeti(L, LUA_REGISTRYINDEX, u->fn_ref);
	lua_rawgeti(L, LUA_REGISTRYINDEX, u->arg_ref);
	if (lua_pcall(L, 1, 1, 0) != LUA_OK) {
		const char *msg = lua_tostring(L, -1);
		dprintf(2, "voidrun: %s\n", msg ? msg : "(error object is not a string)");
		return 1;
	}
	if (lua_isinteger(L, -1))
		code = (int)lua_tointeger(L, -1);
	else
		code = lua_isnil(L, -1) || lua_toboolean(L, -1) ? 0 : 1;
	fflush(NULL);
	return code;
}

void vr_lua_plan_set_state(lua_State *L, int idx)
{
	struct plan_ud *u = luaL_checkudata(L, idx, PLAN_MT);

	u->L = L;
}

static struct vr_plan *check_plan(lua_State *L, int arg)
{
	struct plan_ud *u = luaL_checkudata(L, arg, PLAN_MT);

	luaL_argcheck(L, u->plan, arg, "plan was freed");
	return u->plan;
}

struct vr_plan *vr_lua_check_plan(lua_State *L, int arg)
{
	return check_plan(L, arg);
}

static int plan_gc(lua_State *L)
{
	struct plan_ud *u = luaL_checkudata(L, 1, PLAN_MT);

	vr_plan_free(u->plan);
	u->plan = NULL;
	luaL_unref(L, LUA_REGISTRYINDEX, u->fn_ref);
	luaL_unref(L, LUA_REGISTRYINDEX, u->arg_ref);
	u->fn_ref = u->arg_ref = LUA_NOREF;
	return 0;
}

/* Raise for a plan error: the table fields were checked by the Lua layer,
 * so a failure here is an out-of-memory or a caller's mistake. */
static void plan_check(lua_State *L, int r, const char *what)
{
	if (r == -ENOMEM)
		luaL_error(L, "out of memory");
	if (r < 0)
		luaL_error(L, "invalid %s", what);
}

static const char *field_string(lua_State *L, int t, const char *key, const char *def)
{
	const char *s;

	if (lua_getfield(L, t, key) == LUA_TNIL) {
		lua_pop(L, 1);
		return def;
	}
	s = lua_tostring(L, -1);
	if (!s)
		luaL_error(L, "plan field '%s' must be a string", key);
	lua_pop(L, 1);  /* still referenced by the table */
	return s;
}

static bool field_bool(lua_State *L, int t, const char *key)
{
	bool b;

	lua_getfield(L, t, key);
	b = lua_toboolean(L, -1);
	lua_pop(L, 1);
	return b;
}

static void plan_mounts(lua_State *L, struct vr_plan *p, int t)
{
	static const char *const kinds[] = { "bind", "tmpfs", "proc", "dev", "dir", "symlink", NULL };

	if (lua_getfield(L, t, "mounts") == LUA_TNIL) {
		lua_pop(L, 1);
		return;
	}
	int mt = lua_gettop(L);
	for (lua_Integer i = 1; lua_geti(L, mt, i) != LUA_TNIL; i++) {
		int m = lua_gettop(L);
		lua_getfield(L, m, "kind");
		int kind = luaL_checkoption(L, -1, NULL, kinds) + VR_MNT_BIND;
		lua_pop(L, 1);
		unsigned flags = (field_bool(L, m, "rw") ? VR_BIND_RW : 0) | (field_bool(L, m, "dev") ? VR_BIND_DEV : 0) |
				 (field_bool(L, m, "noexec") ? VR_BIND_NOEXEC : 0);
		const char *dst = field_string(L, m, "dst", NULL);
		if (!dst)
			luaL_error(L, "mount %d has no dst", (int)i);
		plan_check(L, vr_plan_add_mount(p, kind, field_string(L, m, "src", NULL), dst, flags,
						field_string(L, m, "options", NULL)),
			   dst);
		lua_pop(L, 1);
	}
	lua_pop(L, 2);
}

/* plan{ path=, argv={}, env={"K=V"}, cwd=, hostname=, uid=, gid=,
 *       namespaces={...}, mounts={{kind=, src=, dst=, rw=, options=}},
 *       fds={{src=, dst=}} } -> Plan */
static int l_plan(lua_State *L)
{
	struct plan_ud *u;
	struct vr_plan *p;
	size_t n;

	luaL_checktype(L, 1, LUA_TTABLE);
	u = lua_newuserdatauv(L, sizeof(*u), 0);
	u->plan = NULL;
	u->L = NULL;
	u->fn_ref = u->arg_ref = LUA_NOREF;
	luaL_setmetatable(L, PLAN_MT);
	int r = vr_plan_new(&u->plan);
	if (r < 0)
		return push_fail(L, r, "plan");
	p = u->plan;

	lua_getfield(L, 1, "debug");
	p->debug = lua_toboolean(L, -1);
	lua_pop(L, 1);
	/* join_netns: an fd from empty_netns() (the caller keeps it open) */
	if (lua_getfield(L, 1, "join_netns") != LUA_TNIL)
		p->join_netns = check_fd(L, lua_gettop(L));
	lua_pop(L, 1);

	/* A function entry: run = function, run_arg = its argument. */
	if (lua_getfield(L, 1, "run") != LUA_TNIL) {
		luaL_argcheck(L, lua_isfunction(L, -1), 1, "plan.run must be a function");
		u->fn_ref = luaL_ref(L, LUA_REGISTRYINDEX);
		lua_getfield(L, 1, "run_arg");
		u->arg_ref = luaL_ref(L, LUA_REGISTRYINDEX);
		p->entry_fn = lua_entry;
		p->entry_arg = u;
	}
	lua_settop(L, 2);

	/* argv */
	lua_getfield(L, 1, "argv");
	luaL_argcheck(L, lua_istable(L, -1), 1, "plan.argv must be a table");
	n = lua_rawlen(L, -1);
	luaL_argcheck(L, n > 0 && n < 4096, 1, "plan.argv must not be empty");
	const char **argv = lua_newuserdatauv(L, n * sizeof(char *), 0);
	for (size_t i = 0; i < n; i++) {
		lua_geti(L, -2, (lua_Integer)i + 1);
		argv[i] = lua_tostring(L, -1);
		if (!argv[i])
			luaL_error(L, "plan.argv[%d] must be a string", (int)i + 1);
		lua_pop(L, 1);
	}
	plan_check(L, vr_plan_set_exec(p, field_string(L, 1, "path", argv[0]), argv, n), "exec path");
	lua_pop(L, 2);

	if (lua_getfield(L, 1, "env") == LUA_TTABLE)
		for (lua_Integer i = 1; lua_geti(L, -1, i) != LUA_TNIL; i++) {
			plan_check(L, vr_plan_add_env(p, luaL_checkstring(L, -1)), "env entry");
			lua_pop(L, 1);
		}
	lua_settop(L, 2);

	plan_check(L, vr_plan_set_string(&p->cwd, field_string(L, 1, "cwd", "/")), "cwd");
	plan_check(L, vr_plan_set_string(&p->hostname, field_string(L, 1, "hostname", "void")), "hostname");
	if (lua_getfield(L, 1, "uid") != LUA_TNIL)
		p->uid = (unsigned)luaL_checkinteger(L, -1);
	if (lua_getfield(L, 1, "gid") != LUA_TNIL)
		p->gid = (unsigned)luaL_checkinteger(L, -1);
	if (lua_getfield(L, 1, "namespaces") != LUA_TNIL)
		p->ns_flags = check_flags(L, lua_gettop(L));
	lua_settop(L, 2);

	plan_mounts(L, p, 1);
	vr_lua_plan_limit(L, 1, p);
	lua_settop(L, 2);
	vr_lua_plan_harden(L, 1, p);
	lua_settop(L, 2);
	vr_lua_plan_net(L, 1, p);
	lua_settop(L, 2);

	if (lua_getfield(L, 1, "fds") == LUA_TTABLE)
		for (lua_Integer i = 1; lua_geti(L, -1, i) != LUA_TNIL; i++) {
			lua_getfield(L, -1, "src");
			lua_getfield(L, -2, "dst");
			plan_check(L, vr_plan_add_fd(p, (int)luaL_checkinteger(L, -2), (int)luaL_checkinteger(L, -1)),
				   "fd placement");
			lua_pop(L, 3);
		}
	lua_settop(L, 2);
	return 1;
}

/* ------------------------------------------------------------- voids */

struct void_ud {
	struct vr_void v;
	int running;
	int status;          /* the entry's wait status, once ended */
	int built;           /* 0 unknown, 1 built, -1 failed */
	struct vr_err err;
};

static struct void_ud *check_void(lua_State *L, int arg)
{
	return luaL_checkudata(L, arg, VOID_MT);
}

struct vr_void *vr_lua_check_void(lua_State *L, int arg)
{
	return &check_void(L, arg)->v;
}

/* __gc and __close: a void nobody waits for is killed and reaped, so a Lua
 * error never leaves a process behind. */
static int void_gc(lua_State *L)
{
	struct void_ud *u = check_void(L, 1);
	int status;

	if (u->running) {
		(void)vr_void_kill(&u->v, SIGKILL);
		(void)vr_void_wait(&u->v, -1, &status, &u->err);
		u->running = 0;
	}
	vr_void_release(&u->v);
	return 0;
}

/* plan:spawn() -> Void | fail, msg, errno */
static int l_plan_spawn(lua_State *L)
{
	struct vr_plan *p = check_plan(L, 1);
	struct void_ud *u = lua_newuserdatauv(L, sizeof(*u), 0);
	char msg[2 * VR_ERR_PATH + 128];

	memset(u, 0, sizeof(*u));
	u->v = (struct vr_void){ .pid = -1, .pidfd = -1, .status_fd = -1, .sync_fd = -1 };
	luaL_setmetatable(L, VOID_MT);
	((struct plan_ud *)lua_touserdata(L, 1))->L = L;
	fflush(NULL);
	int r = vr_void_spawn(p, &u->v, &u->err);
	if (r < 0) {
		luaL_pushfail(L);
		lua_pushstring(L, vr_err_format(&u->err, msg, sizeof(msg)));
		lua_pushinteger(L, -r);
		return 3;
	}
	u->running = 1;
	return 1;
}

static void push_err(lua_State *L, const struct vr_err *e)
{
	char msg[2 * VR_ERR_PATH + 128];

	lua_pushstring(L, vr_err_format(e, msg, sizeof(msg)));
}

/* void:ready() -> true | false, "step path: error", errno | "stopped", pid
 * (plan.debug: the entry stopped before its exec, pid as the host sees it;
 * call again once it goes on) */
static int l_void_ready(lua_State *L)
{
	struct void_ud *u = check_void(L, 1);

	if (u->built < 0 || !u->running) {
		lua_pushboolean(L, u->built > 0);
		return 1;
	}
	int r = vr_void_ready(&u->v, &u->err);
	if (r < 0)
		return push_fail(L, r, "status pipe");
	if (r == 2) {
		lua_pushliteral(L, "stopped");
		lua_pushinteger(L, u->v.stopped_pid);
		return 2;
	}
	if (r == 1) {
		u->built = -1;
		lua_pushboolean(L, 0);
		push_err(L, &u->err);
		lua_pushinteger(L, u->err.err);
		return 3;
	}
	u->built = 1;
	lua_pushboolean(L, 1);
	return 1;
}

/* void:wait([sigfd]) -> { code=, signal=, status=, error=, step=, errno=,
 *   seccomp= (the call a process was killed for), seccomp_pid= (its pid
 *   inside), seccomp_entry= (whether it was the entry) } */
static int l_void_wait(lua_State *L)
{
	struct void_ud *u = check_void(L, 1);
	int sigfd = (int)luaL_optinteger(L, 2, -1);

	if (u->running) {
		int r = vr_void_wait(&u->v, sigfd, &u->status, &u->err);
		if (r < 0)
			return push_fail(L, r, "wait");
		u->running = 0;
		if (u->built == 0)
			u->built = r == 1 ? -1 : 1;
	}
	lua_createtable(L, 0, 4);
	if (u->built < 0) {
		push_err(L, &u->err);
		lua_setfield(L, -2, "error");
		lua_pushstring(L, vr_step_name(u->err.step));
		lua_setfield(L, -2, "step");
		lua_pushinteger(L, u->err.err);
		lua_setfield(L, -2, "errno");
		lua_pushinteger(L, 125);
		lua_setfield(L, -2, "status");
		return 1;
	}
	if (WIFSIGNALED(u->status)) {
		lua_pushinteger(L, WTERMSIG(u->status));
		lua_setfield(L, -2, "signal");
		lua_pushinteger(L, 128 + WTERMSIG(u->status));
		lua_setfield(L, -2, "status");
	} else {
		lua_pushinteger(L, WEXITSTATUS(u->status));
		lua_setfield(L, -2, "code");
		lua_pushinteger(L, WEXITSTATUS(u->status));
		lua_setfield(L, -2, "status");
	}
	if (u->v.seccomp_pid) {
		/* pid 1 killed a process for a call its policy kills. */
		char *name = vr_seccomp_name(u->v.seccomp_nr);
		if (name)
			lua_pushstring(L, name);
		else
			lua_pushfstring(L, "system call %d", u->v.seccomp_nr);
		free(name);
		lua_setfield(L, -2, "seccomp");
		lua_pushinteger(L, u->v.seccomp_pid);
		lua_setfield(L, -2, "seccomp_pid");
		lua_pushboolean(L, u->v.seccomp_entry);
		lua_setfield(L, -2, "seccomp_entry");
	}
	vr_lua_wait_limits(L, &u->v);
	return 1;
}

static int l_void_kill(lua_State *L)
{
	struct void_ud *u = check_void(L, 1);
	int sig = (int)luaL_optinteger(L, 2, SIGTERM);

	if (!u->running)
		return push_fail(L, -ESRCH, "kill");
	return push_result(L, vr_void_kill(&u->v, sig), "kill");
}

static int l_void_index(lua_State *L)
{
	struct void_ud *u = check_void(L, 1);
	const char *k = luaL_checkstring(L, 2);

	if (strcmp(k, "pid") == 0) {
		lua_pushinteger(L, u->v.pid);
		return 1;
	}
	if (strcmp(k, "pidfd") == 0) {
		lua_pushinteger(L, u->v.pidfd);
		return 1;
	}
	if (strcmp(k, "running") == 0) {
		lua_pushboolean(L, u->running);
		return 1;
	}
	luaL_getmetafield(L, 1, "methods");
	lua_getfield(L, -1, k);
	return 1;
}

static const luaL_Reg plan_methods[] = {
	{ "spawn", l_plan_spawn },
	{ "free", plan_gc },
	{ NULL, NULL },
};

static const luaL_Reg void_methods[] = {
	{ "ready", l_void_ready },
	{ "wait", l_void_wait },
	{ "kill", l_void_kill },
	{ NULL, NULL },
};

static const luaL_Reg funcs[] = {
	{ "clone3", l_clone3 },
	{ "waitpid", l_waitpid },
	{ "_exit", l_exit },
	{ "execv", l_execv },
	{ "dup", l_dup },
	{ "dup2", l_dup2 },
	{ "kill", l_kill },
	{ "getpid", l_getpid },
	{ "idmap_write", l_idmap_write },
	{ "mount_tmpfs", l_mount_tmpfs },
	{ "mount_bind", l_mount_bind },
	{ "mount_remount_ro", l_mount_remount_ro },
	{ "mount_proc", l_mount_proc },
	{ "mount_private", l_mount_private },
	{ "pivot_root", l_pivot_root },
	{ "umount", l_umount },
	{ "pipe", l_pipe },
	{ "socketpair", l_socketpair },
	{ "send_fds", l_send_fds },
	{ "recv_fds", l_recv_fds },
	{ "close", l_close },
	{ "tcp_listen", l_tcp_listen },
	{ "unix_listen", l_unix_listen },
	{ "tcp_connect", l_tcp_connect },
	{ "shutdown", l_shutdown },
	{ "read", l_read },
	{ "write", l_write },
	{ "open", l_open },
	{ "is_open", l_is_open },
	{ "signalfd", l_signalfd },
	{ "poll", l_poll },
	{ "empty_netns", l_empty_netns },
	{ "read_signal", l_read_signal },
	{ "stat", l_stat },
	{ "realpath", l_realpath },
	{ "exe_dir", l_exe_dir },
	{ "elf_deps", l_elf_deps },
	{ "getuid", l_getuid },
	{ "strerror", l_strerror },
	{ "environ", l_environ },
	{ "now", l_now },
	{ "plan", l_plan },
	{ NULL, NULL },
};

int luaopen_voidrun_core(lua_State *L)
{
	luaL_newmetatable(L, PLAN_MT);
	lua_pushcfunction(L, plan_gc);
	lua_setfield(L, -2, "__gc");
	lua_pushcfunction(L, plan_gc);
	lua_setfield(L, -2, "__close");
	luaL_newlib(L, plan_methods);
	lua_setfield(L, -2, "__index");
	lua_pop(L, 1);

	luaL_newmetatable(L, VOID_MT);
	lua_pushcfunction(L, void_gc);
	lua_setfield(L, -2, "__gc");
	lua_pushcfunction(L, void_gc);
	lua_setfield(L, -2, "__close");
	lua_pushcfunction(L, l_void_index);
	lua_setfield(L, -2, "__index");
	luaL_newlib(L, void_methods);
	lua_setfield(L, -2, "methods");
	lua_pop(L, 1);

	luaL_newlib(L, funcs);
	vr_lua_open_limit(L);
	vr_lua_open_harden(L);
	vr_lua_open_broker(L);
	vr_lua_open_inspect(L);
	vr_lua_open_net(L);
	return 1;
}
