/* SPDX-License-Identifier: MIT */
/* Shared pieces of the core unit tests, on top of cmocka. */
#pragma once

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <stdbool.h>
#include <sys/types.h>

/* Skip the current test loudly: the reason goes to stderr and the skip is
 * counted, so a binary whose every test skipped exits 77 (CTest: skipped). */
#define VR_SKIP(...)                                         \
	do {                                                 \
		vr_test_note_skip(__VA_ARGS__);              \
		skip();                                      \
	} while (0)

void vr_test_note_skip(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

/* Run the group; returns cmocka's failure count, or 77 when every test
 * skipped. Use as `return vr_test_run(tests);` from main. */
#define vr_test_run(tests) vr_test_run_(#tests, tests, sizeof(tests) / sizeof((tests)[0]))
int vr_test_run_(const char *name, const struct CMUnitTest *tests, size_t n);

/* Whether this process may create a user namespace (probed once, in a
 * child). When not, tests that need one skip. */
bool vr_test_can_userns(void);

/* Whether we are root in the initial user namespace. */
bool vr_test_is_root(void);

/* Kill and reap every child of this process still there; returns how
 * many there were (a test that leaves one fails on it). */
int vr_test_kill_leftovers(void);

/* A fresh directory /tmp/vr-test-NAME-XXXXXX, its real path in ret_dir
 * (PATH_MAX bytes). Returns 0 or -1. */
int vr_test_mkdtemp(const char *name, char *ret_dir);

/* Remove dir and everything below it (not following symlinks). Returns 0
 * or -1 with errno set. */
int vr_test_rmtree(const char *dir);

/* How many fds this process has open. */
int vr_test_count_fds(void);

/* Run fn(arg) in a forked child and return its exit status (0..255), or
 * 128+signal. Lets a test assert on work done in namespaces or with a
 * changed process state without disturbing the test runner. */
int vr_test_in_child(int (*fn)(void *), void *arg);
