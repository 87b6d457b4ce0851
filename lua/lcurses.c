/* SPDX-License-Identifier: MIT */
/* voidrun.curses: the few ncurses calls `voidrun top` draws with
 * (lua/voidrun/top.lua holds the view).
 *
 * Built as a Lua C module of its own (libexec/voidrun/curses.so) and
 * loaded only when `voidrun top` runs: the voidrun executable neither
 * links nor loads ncurses, so a launch pays nothing for it. The module
 * takes the Lua API from the executable (which exports it).
 *
 * Conventions as in lcore.c: misuse raises; an OS failure returns
 * fail, message, errno. */
#define _GNU_SOURCE
#include <curses.h>
#include <errno.h>
#include <limits.h>
#include <locale.h>
#include <poll.h>
#include <string.h>
#include <unistd.h>

#include <lauxlib.h>
#include <lua.h>

#define SCREEN_MT "voidrun.Screen"

struct screen {
	SCREEN *sp;      /* NULL once closed */
	int suspended;   /* endwin() called, not yet resumed */
};

static int fail(lua_State *L, int err, const char *what)
{
	luaL_pushfail(L);
	lua_pushfstring(L, "%s: %s", what, strerror(err));
	lua_pushinteger(L, err);
	return 3;
}

static struct screen *check_screen(lua_State *L)
{
	struct screen *s = luaL_checkudata(L, 1, SCREEN_MT);

	if (!s->sp)
		luaL_argerror(L, 1, "screen is closed");
	return s;
}

/* __gc, __close and close(): leave curses mode, give the terminal back as
 * it was. Idempotent. */
static int screen_close(lua_State *L)
{
	struct screen *s = luaL_checkudata(L, 1, SCREEN_MT);

	if (s->sp) {
		if (!s->suspended)
			(void)endwin();
		delscreen(s->sp);
		s->sp = NULL;
	}
	return 0;
}

/* open(term) -> screen | fail, msg, errno
 * Takes over the terminal on stdin/stdout as terminal type term. newterm
 * rather than initscr: an unknown type is reported, not an exit(). */
static int l_open(lua_State *L)
{
	const char *term = luaL_checkstring(L, 1);
	struct screen *s = lua_newuserdatauv(L, sizeof(*s), 0);

	*s = (struct screen){ 0 };
	luaL_setmetatable(L, SCREEN_MT);
	if (!isatty(STDIN_FILENO) || !isatty(STDOUT_FILENO)) {
		luaL_pushfail(L);
		lua_pushliteral(L, "needs a terminal: stdin and stdout are not one");
		lua_pushinteger(L, ENOTTY);
		return 3;
	}
	/* The character type only (UTF-8 names and command lines); numbers
	 * keep the C locale's decimal point. */
	(void)setlocale(LC_CTYPE, "");
	s->sp = newterm(term, stdout, stdin);
	if (!s->sp) {
		luaL_pushfail(L);
		lua_pushfstring(L, "terminal type '%s' is not known to terminfo (set TERM)", term);
		lua_pushinteger(L, EINVAL);
		return 3;
	}
	(void)cbreak();
	(void)noecho();
	(void)nonl();
	(void)keypad(stdscr, TRUE);
	(void)nodelay(stdscr, TRUE);
	(void)curs_set(0);
	(void)set_escdelay(25);
	return 1;
}

/* screen:size() -> lines, columns */
static int l_size(lua_State *L)
{
	(void)check_screen(L);
	lua_pushinteger(L, LINES);
	lua_pushinteger(L, COLS);
	return 2;
}

static int l_erase(lua_State *L)
{
	(void)check_screen(L);
	(void)erase();
	return 0;
}

/* screen:put(y, x, text [, attr]) writes text at line y, column x (both
 * from 0), cut at the right edge; attr: "bold", "reverse", "dim" or
 * "underline". Out of the screen: nothing. */
static int l_put(lua_State *L)
{
	static const char *const names[] = { "normal", "bold", "reverse", "dim", "underline", NULL };
	static const attr_t attrs[] = { A_NORMAL, A_BOLD, A_REVERSE, A_DIM, A_UNDERLINE };
	lua_Integer y = luaL_checkinteger(L, 2), x = luaL_checkinteger(L, 3);
	size_t len;
	const char *text = luaL_checklstring(L, 4, &len);
	int a = luaL_checkoption(L, 5, "normal", names);

	(void)check_screen(L);
	if (y < 0 || y >= LINES || x < 0 || x >= COLS)
		return 0;
	/* Cut at the right edge, or ncurses would wrap it onto the next
	 * line. (A count of bytes: multi-byte text is cut short, never
	 * wrapped.) */
	if (len > (size_t)(COLS - x))
		len = (size_t)(COLS - x);
	(void)attrset(attrs[a]);
	(void)mvaddnstr((int)y, (int)x, text, (int)len);
	(void)attrset(A_NORMAL);
	return 0;
}

static int l_refresh(lua_State *L)
{
	(void)check_screen(L);
	(void)refresh();
	return 0;
}

/* screen:key() -> the next key pressed, or nil when there is none (it
 * never waits): a one-character string, or "up", "down", "left", "right",
 * "pageup", "pagedown", "home", "end", "enter", "backspace", "escape",
 * "resize" (the terminal's size changed), or "key<code>". */
static int l_key(lua_State *L)
{
	int c;

	(void)check_screen(L);
	c = getch();
	switch (c) {
	case ERR: lua_pushnil(L); break;
	case KEY_UP: lua_pushliteral(L, "up"); break;
	case KEY_DOWN: lua_pushliteral(L, "down"); break;
	case KEY_LEFT: lua_pushliteral(L, "left"); break;
	case KEY_RIGHT: lua_pushliteral(L, "right"); break;
	case KEY_PPAGE: lua_pushliteral(L, "pageup"); break;
	case KEY_NPAGE: lua_pushliteral(L, "pagedown"); break;
	case KEY_HOME: lua_pushliteral(L, "home"); break;
	case KEY_END: lua_pushliteral(L, "end"); break;
	case KEY_RESIZE: lua_pushliteral(L, "resize"); break;
	case KEY_ENTER: case '\r': case '\n': lua_pushliteral(L, "enter"); break;
	case KEY_BACKSPACE: case 127: case '\b': lua_pushliteral(L, "backspace"); break;
	case 27: lua_pushliteral(L, "escape"); break;
	default:
		if (c >= 0 && c < 256) {
			char ch = (char)c;
			lua_pushlstring(L, &ch, 1);
		} else {
			lua_pushfstring(L, "key%d", c);
		}
	}
	return 1;
}

/* screen:wait(timeout_ms [, fds]) -> { [fd] = true, ... }
 * Waits until a key is pressed (fd 0 in the result), one of fds (pidfds)
 * is readable, a signal arrives (a resize: an empty result, and key()
 * then gives "resize") or timeout_ms pass (an empty result). */
static int l_wait(lua_State *L)
{
	struct pollfd pfd[64];
	lua_Integer timeout = luaL_checkinteger(L, 2);
	nfds_t n = 0;
	int r;

	(void)check_screen(L);
	pfd[n++] = (struct pollfd){ .fd = STDIN_FILENO, .events = POLLIN };
	if (!lua_isnoneornil(L, 3)) {
		luaL_checktype(L, 3, LUA_TTABLE);
		for (lua_Integer i = 1; lua_geti(L, 3, i) != LUA_TNIL; i++) {
			lua_Integer fd = luaL_checkinteger(L, -1);

			luaL_argcheck(L, fd >= 0 && fd <= INT_MAX, 3, "not a file descriptor");
			luaL_argcheck(L, n < 64, 3, "too many fds");
			pfd[n++] = (struct pollfd){ .fd = (int)fd, .events = POLLIN };
			lua_pop(L, 1);
		}
		lua_pop(L, 1);
	}
	/* No retry on EINTR: the signal is most likely SIGWINCH, which
	 * ncurses turns into a "resize" key the caller should see now. */
	r = poll(pfd, n, timeout < 0 ? -1 : timeout > INT_MAX ? INT_MAX : (int)timeout);
	if (r < 0 && errno != EINTR)
		return fail(L, errno, "poll");
	lua_createtable(L, 0, r > 0 ? r : 0);
	for (nfds_t i = 0; r > 0 && i < n; i++)
		if (pfd[i].revents) {
			lua_pushboolean(L, 1);
			lua_seti(L, -2, pfd[i].fd);
		}
	return 1;
}

/* screen:suspend(): give the terminal back (endwin), e.g. to a shell. */
static int l_suspend(lua_State *L)
{
	struct screen *s = check_screen(L);

	if (!s->suspended) {
		(void)endwin();
		s->suspended = 1;
	}
	return 0;
}

/* screen:resume(): take the terminal again and redraw all of it. */
static int l_resume(lua_State *L)
{
	struct screen *s = check_screen(L);

	if (s->suspended) {
		(void)reset_prog_mode();
		(void)clearok(curscr, TRUE);
		(void)refresh();
		s->suspended = 0;
	}
	return 0;
}

static const luaL_Reg screen_methods[] = {
	{ "size", l_size },
	{ "erase", l_erase },
	{ "put", l_put },
	{ "refresh", l_refresh },
	{ "key", l_key },
	{ "wait", l_wait },
	{ "suspend", l_suspend },
	{ "resume", l_resume },
	{ "close", screen_close },
	{ NULL, NULL },
};

static const luaL_Reg funcs[] = {
	{ "open", l_open },
	{ NULL, NULL },
};

int luaopen_voidrun_curses(lua_State *L);

int luaopen_voidrun_curses(lua_State *L)
{
	luaL_newmetatable(L, SCREEN_MT);
	luaL_newlib(L, screen_methods);
	lua_setfield(L, -2, "__index");
	lua_pushcfunction(L, screen_close);
	lua_setfield(L, -2, "__gc");
	lua_pushcfunction(L, screen_close);
	lua_setfield(L, -2, "__close");
	lua_pop(L, 1);
	luaL_newlib(L, funcs);
	return 1;
}
