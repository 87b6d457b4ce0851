/* SPDX-License-Identifier: MIT */
/* Networks of a layout (doc/network.md): private networks between voids and
 * links between the host and a void, built over rtnetlink with libmnl.
 *
 * Every vr.network is one bridge in a network namespace the layout owns
 * (the "bridge namespace"). A helper process voidrun forks creates it, opens
 * a netlink socket in it and a file for it, hands both back over a
 * socketpair and exits: the namespace then lives exactly as long as voidrun
 * holds them, and dies with voidrun however voidrun ends.
 *
 * A void that joins a network gets a veth pair, made by voidrun while the
 * void is being built (vr_net_attach, between clone3 and the go byte): one
 * end a port of the bridge, the other moved into the void's network
 * namespace as eth0, eth1, ... The void's pid 1 then sets its address and
 * brings it up (vr_net_child_setup). Both ends die with the void's network
 * namespace, which dies with the void.
 *
 * libmnl is loaded with dlopen the first time a layout needs a network, so
 * that no launch of a void without one loads it (Debian ships no static
 * libmnl to link in); with VR_MNL_STATIC it is linked. */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include "err.h"

/* At most this many links (networks and host links) per void. */
#define VR_NET_MAX_LINKS 8

struct vr_net;

/* One link of a void: to a bridge of net, or to the host. */
struct vr_net_link {
	struct vr_net *net;  /* the layout's networks; not owned */
	int bridge;          /* ifindex of the bridge in the bridge namespace; 0: a host link */
	uint32_t addr;       /* the void's address, network byte order */
	uint32_t peer;       /* a host link: the host end's address; else 0 */
	unsigned prefix;     /* a network's prefix length (a host link: 32) */
};

/* Open the networks of a layout: with bridges, the bridge namespace; with
 * host, a netlink socket in voidrun's own namespace, for host links (root
 * only: the kernel wants CAP_NET_ADMIN over the host's namespace).
 * Returns 0, or -errno: -ELIBACC when libmnl cannot be loaded, the errno
 * of unshare (-EPERM: no capability over a new network namespace). */
int vr_net_open(bool bridges, bool host, struct vr_net **ret, struct vr_err *reterr);

/* Close what vr_net_open opened: the bridge namespace goes with it (and
 * with it every bridge). Accepts NULL. */
void vr_net_free(struct vr_net *net);

/* Create a bridge (up, no address) in the bridge namespace. Returns its
 * ifindex (> 0), or -errno (-EINVAL without a bridge namespace). */
int vr_net_bridge(struct vr_net *net);

/* The inode of the bridge namespace (for `voidrun ps` and tests), or 0. */
unsigned long vr_net_bridge_ns_inode(const struct vr_net *net);

/* For an unprivileged layout with networks: move voidrun into a new user
 * namespace mapping only its own uid and gid to themselves, in which it
 * holds every capability. The bridge namespace and every void's user
 * namespace are then created inside it, so voidrun is capable over all of
 * them, which rtnetlink requires to put a veth's end into a void (the
 * bridge namespace in a user namespace merely beside the void's cannot).
 * Returns 0 or -errno (unshare: -EINVAL when threaded, -EPERM, -ENOSPC;
 * writing the maps). */
int vr_net_enter_userns(void);

/* Parse "a.b.c.d" into *ret (network byte order). Returns 0 or -EINVAL. */
int vr_net_parse_ip(const char *s, uint32_t *ret);

/* In the parent, while the void whose pid 1 is pid is being built: create
 * the veth pairs of links, the void's ends named eth0, eth1, ... in its
 * network namespace. A host link's host end gets the peer address, with
 * the void's address as its peer. Returns 0, or -errno with *reterr naming
 * the link. */
int vr_net_attach(const struct vr_net_link *links, size_t n, pid_t pid, struct vr_err *reterr);

/* In the void's pid 1, in its network namespace, with its capabilities:
 * address eth0, eth1, ... and bring them up. No allocation. Returns 0, or
 * -errno with *ret_what the interface. */
int vr_net_child_setup(const struct vr_net_link *links, size_t n, const char **ret_what);
