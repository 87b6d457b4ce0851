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
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <lauxlib.h>
#include <lua.h>

#include "lbind.h"
#include "enter.h"

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

/* enter(pidfd, argv, env) -> { status = n } or { signal = n }
 *   | fail, "step: msg", errno
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
	fflush(NULL);
	r = vr_enter_exec(pidfd, &e, &status, &step);
	if (r < 0)
		return vr_lua_fail(L, r, step && strcmp(step, "exec") == 0 ? e.path : step);
	return push_status(L, status);
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
	luaL_setfuncs(L, funcs, 0);
}
