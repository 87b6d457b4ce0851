/* SPDX-License-Identifier: MIT */
/* core/net: misuse is refused with EINVAL; the bridge namespace is a new
 * network namespace, held only by the handle's fds (no helper process is
 * left, no fd leaks once freed); bridges are made in it. The traffic itself
 * is tested end to end in tests/spec/net_spec.lua. */
#define _GNU_SOURCE
#include "harness.h"

#include <errno.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "net.h"

static void test_parse_ip(void **state)
{
	uint32_t a = 0;

	(void)state;
	assert_int_equal(0, vr_net_parse_ip("10.89.0.2", &a));
	assert_int_equal(0x0200590a, a);  /* network byte order, on little endian */
	assert_int_equal(-EINVAL, vr_net_parse_ip("10.89.0", &a));
	assert_int_equal(-EINVAL, vr_net_parse_ip("10.89.0.256", &a));
	assert_int_equal(-EINVAL, vr_net_parse_ip("", &a));
	assert_int_equal(-EINVAL, vr_net_parse_ip(NULL, &a));
}

static void test_misuse(void **state)
{
	struct vr_net_link links[VR_NET_MAX_LINKS + 1];
	struct vr_err err;
	const char *what = NULL;

	(void)state;
	memset(links, 0, sizeof(links));
	assert_int_equal(-EINVAL, vr_net_bridge(NULL));
	assert_int_equal(-EINVAL, vr_net_attach(links, VR_NET_MAX_LINKS + 1, getpid(), &err));
	assert_int_equal(VR_STEP_NET, err.step);
	/* nothing to set up: nothing done */
	assert_int_equal(0, vr_net_child_setup(links, 0, &what));
	vr_net_free(NULL);
}

/* Open the networks with a bridge namespace and check what it is. Runs in
 * a child (for the unprivileged case, inside a user namespace of its own). */
static int open_and_check(void *arg)
{
	bool userns = arg != NULL;
	struct vr_net *net = NULL, *nohost = NULL;
	struct vr_net_link link = { 0 };
	struct vr_err err;
	struct stat own;
	int fds, r1, r2;

	if (userns && vr_net_enter_userns() < 0)
		return 10;
	fds = vr_test_count_fds();
	if (vr_net_open(true, false, &net, &err) < 0)
		return 11;
	if (stat("/proc/self/ns/net", &own) < 0)
		return 12;
	if (vr_net_bridge_ns_inode(net) == 0 || vr_net_bridge_ns_inode(net) == own.st_ino)
		return 13;
	r1 = vr_net_bridge(net);
	r2 = vr_net_bridge(net);
	if (r1 <= 0 || r2 <= 0 || r1 == r2)
		return 14;
	/* a void that is gone: the veth is not made, and the error names it */
	{
		struct vr_net_link l = { .net = net, .bridge = r1, .prefix = 24 };
		pid_t gone = fork();
		if (gone == 0)
			_exit(0);
		if (gone < 0 || waitpid(gone, NULL, 0) != gone)
			return 20;
		(void)vr_net_parse_ip("10.89.0.2", &l.addr);
		memset(&err, 0, sizeof(err));
		if (vr_net_attach(&l, 1, gone, &err) != -ESRCH)
			return 21;
		if (err.step != VR_STEP_NET || strncmp(err.path, "vr", 2) != 0 || strcmp(err.path2, "eth0") != 0)
			return 22;
	}
	/* the helper that made the namespace is gone */
	if (vr_test_kill_leftovers() != 0)
		return 15;
	/* a host link without the host's socket is refused */
	link.net = net;
	link.addr = link.peer = 1;
	if (vr_net_attach(&link, 1, getpid(), &err) != -EINVAL)
		return 16;
	vr_net_free(net);
	if (vr_test_count_fds() != fds)
		return 17;
	/* without bridges, no bridge */
	if (vr_net_open(false, false, &nohost, &err) < 0 || vr_net_bridge(nohost) != -EINVAL)
		return 18;
	vr_net_free(nohost);
	return 0;
}

static void test_bridge_ns_root(void **state)
{
	(void)state;
	if (!vr_test_is_root())
		VR_SKIP("needs root: a network namespace in the initial user namespace");
	assert_int_equal(0, vr_test_in_child(open_and_check, NULL));
}

static void test_bridge_ns_userns(void **state)
{
	(void)state;
	if (!vr_test_can_userns())
		VR_SKIP("cannot create a user namespace here");
	assert_int_equal(0, vr_test_in_child(open_and_check, (void *)1));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_parse_ip),
		cmocka_unit_test(test_misuse),
		cmocka_unit_test(test_bridge_ns_root),
		cmocka_unit_test(test_bridge_ns_userns),
	};

	return vr_test_run(tests);
}
