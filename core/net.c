/* SPDX-License-Identifier: MIT */
#define _GNU_SOURCE
#include "net.h"

#include <arpa/inet.h>
#include <dlfcn.h>
#include <errno.h>
#include <fcntl.h>
#include <net/if.h>
#include <sched.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <libmnl/libmnl.h>
#include <linux/if_link.h>
#include <linux/rtnetlink.h>
#include <linux/veth.h>

#include "fd.h"
#include "idmap.h"
#include "util.h"

/* ---------------------------------------------------------------- libmnl */

/* The few libmnl functions used: message building and the parsing of
 * replies. None allocates, so pid 1 of a void may use them too. */
#ifdef VR_MNL_STATIC
#define MNL(f) mnl_##f
static int mnl_load(void)
{
	return 0;
}
#else
static struct {
	bool loaded;
	__typeof__(mnl_nlmsg_put_header) *nlmsg_put_header;
	__typeof__(mnl_nlmsg_put_extra_header) *nlmsg_put_extra_header;
	__typeof__(mnl_attr_put) *attr_put;
	__typeof__(mnl_attr_put_u32) *attr_put_u32;
	__typeof__(mnl_attr_put_strz) *attr_put_strz;
	__typeof__(mnl_attr_nest_start) *attr_nest_start;
	__typeof__(mnl_attr_nest_end) *attr_nest_end;
	__typeof__(mnl_cb_run) *cb_run;
} mnl;
#define MNL(f) mnl.f

/* Load libmnl once; never unloaded (voids of this process use it). */
static int mnl_load(void)
{
	void *h;

	if (mnl.loaded)
		return 0;
	h = dlopen("libmnl.so.0", RTLD_NOW | RTLD_LOCAL);
	if (!h)
		return -ELIBACC;
#define SYM(f)                                          \
	do {                                            \
		*(void **)&mnl.f = dlsym(h, "mnl_" #f); \
		if (!mnl.f)                             \
			return -ELIBBAD;                \
	} while (0)
	SYM(nlmsg_put_header);
	SYM(nlmsg_put_extra_header);
	SYM(attr_put);
	SYM(attr_put_u32);
	SYM(attr_put_strz);
	SYM(attr_nest_start);
	SYM(attr_nest_end);
	SYM(cb_run);
#undef SYM
	mnl.loaded = true;
	return 0;
}
#endif

/* ------------------------------------------------------------- netlink */

struct vr_net {
	int bridge_nl;   /* NETLINK_ROUTE socket in the bridge namespace, or -1 */
	int bridge_ns;   /* that namespace (/proc/self/ns/net of the helper), or -1 */
	int host_nl;     /* NETLINK_ROUTE socket in voidrun's namespace, or -1 */
	unsigned seq;
	unsigned next;   /* the number in the next interface name */
};

/* Big enough for every request and the acknowledgement of one. */
#define NL_BUF 1024

/* Send the request in buf and wait for its acknowledgement.
 * Returns 0 or the kernel's -errno. No allocation. */
static int nl_talk(int fd, char *buf)
{
	struct nlmsghdr *nlh = (struct nlmsghdr *)buf;
	unsigned seq = nlh->nlmsg_seq;
	ssize_t n;
	int r;

	nlh->nlmsg_flags |= NLM_F_ACK;
	do
		n = send(fd, nlh, nlh->nlmsg_len, 0);
	while (n < 0 && errno == EINTR);
	if (n < 0)
		return vr_neg_errno();
	for (;;) {
		n = recv(fd, buf, NL_BUF, 0);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0)
			return vr_neg_errno();
		/* An error reply sets errno and returns MNL_CB_ERROR; the
		 * acknowledgement returns MNL_CB_STOP. */
		r = MNL(cb_run)(buf, (size_t)n, seq, 0, NULL, NULL);
		if (r == MNL_CB_ERROR)
			return vr_neg_errno();
		if (r == MNL_CB_STOP)
			return 0;
	}
}

static struct nlmsghdr *nl_request(char *buf, int type, int flags, unsigned seq)
{
	struct nlmsghdr *nlh;

	memset(buf, 0, NL_BUF);
	nlh = MNL(nlmsg_put_header)(buf);
	nlh->nlmsg_type = (uint16_t)type;
	nlh->nlmsg_flags = (uint16_t)(NLM_F_REQUEST | flags);
	nlh->nlmsg_seq = seq;
	return nlh;
}

static int nl_socket(void)
{
	int fd = socket(AF_NETLINK, SOCK_RAW | SOCK_CLOEXEC, NETLINK_ROUTE);

	return fd < 0 ? vr_neg_errno() : fd;
}

/* RTM_NEWADDR: addr/prefix on ifindex; with peer, a point-to-point address
 * (the kernel then routes peer/32 over the link). */
static int nl_addr(int fd, unsigned seq, int ifindex, uint32_t addr, uint32_t peer, unsigned prefix)
{
	char buf[NL_BUF];
	struct nlmsghdr *nlh = nl_request(buf, RTM_NEWADDR, NLM_F_CREATE | NLM_F_EXCL, seq);
	struct ifaddrmsg *ifa = MNL(nlmsg_put_extra_header)(nlh, sizeof(*ifa));

	ifa->ifa_family = AF_INET;
	ifa->ifa_prefixlen = (unsigned char)prefix;
	ifa->ifa_scope = RT_SCOPE_UNIVERSE;
	ifa->ifa_index = (unsigned)ifindex;
	MNL(attr_put_u32)(nlh, IFA_LOCAL, addr);
	MNL(attr_put_u32)(nlh, IFA_ADDRESS, peer ? peer : addr);
	return nl_talk(fd, buf);
}

/* ------------------------------------------------------------ opening */

/* The helper: a new network namespace (voidrun's user namespace owns it),
 * a netlink socket in it and a file for it, sent back over sock. */
static _Noreturn void bridge_helper(int sock)
{
	int fds[2] = { -1, -1 };
	int err = 0;

	if (unshare(CLONE_NEWNET) < 0)
		err = errno;
	if (!err && (fds[0] = nl_socket()) < 0)
		err = -fds[0];
	if (!err && (fds[1] = open("/proc/self/ns/net", O_RDONLY | O_CLOEXEC)) < 0)
		err = errno;
	if (err)
		(void)!write(sock, &err, sizeof(err));
	else
		(void)vr_fd_send(sock, fds, 2, &err, sizeof(err));
	_exit(0);
}

static int open_bridge_ns(struct vr_net *n)
{
	_cleanup_close_ int a = -1, b = -1;
	int pair[2], fds[2] = { -1, -1 }, err = 0, r;
	size_t got = 0;
	pid_t pid;

	r = vr_fd_socketpair(SOCK_SEQPACKET, pair);
	if (r < 0)
		return r;
	a = pair[0];
	b = pair[1];
	pid = fork();
	if (pid < 0)
		return vr_neg_errno();
	if (pid == 0) {
		(void)close(a);
		bridge_helper(b);
	}
	vr_closep(&b);
	b = -1;
	/* (0 at end of stream: the helper died before it could say.) */
	r = vr_fd_recv(a, fds, 2, &got, &err, sizeof(err));
	(void)waitpid(pid, NULL, 0);
	if (r <= 0)
		return r < 0 ? r : -EPROTO;
	if (err || got != 2) {
		for (size_t i = 0; i < got; i++)
			(void)close(fds[i]);
		return err ? -err : -EPROTO;
	}
	n->bridge_nl = fds[0];
	n->bridge_ns = fds[1];
	return 0;
}

int vr_net_open(bool bridges, bool host, struct vr_net **ret, struct vr_err *reterr)
{
	struct vr_net *n;
	int r = mnl_load();

	if (r < 0)
		return vr_err_set(reterr, VR_STEP_NET, -r, "libmnl.so.0", NULL), r;
	n = calloc(1, sizeof(*n));
	if (!n)
		return vr_err_set(reterr, VR_STEP_NET, ENOMEM, NULL, NULL), -ENOMEM;
	n->bridge_nl = n->bridge_ns = n->host_nl = -1;
	if (bridges) {
		r = open_bridge_ns(n);
		if (r < 0) {
			vr_err_set(reterr, VR_STEP_NET, -r, "the layout's network namespace", NULL);
			goto fail;
		}
	}
	if (host) {
		r = n->host_nl = nl_socket();
		if (r < 0) {
			vr_err_set(reterr, VR_STEP_NET, -r, "netlink", NULL);
			goto fail;
		}
	}
	*ret = n;
	return 0;
fail:
	vr_net_free(n);
	return r;
}

void vr_net_free(struct vr_net *n)
{
	if (!n)
		return;
	vr_closep(&n->bridge_nl);
	vr_closep(&n->bridge_ns);
	vr_closep(&n->host_nl);
	free(n);
}

unsigned long vr_net_bridge_ns_inode(const struct vr_net *n)
{
	struct stat st;

	if (!n || n->bridge_ns < 0 || fstat(n->bridge_ns, &st) < 0)
		return 0;
	return (unsigned long)st.st_ino;
}

/* "vr<voidrun's pid>.<n>": unique on the host while voidrun runs, and
 * recognisably voidrun's. At most 15 characters (pids < 2^22, n < 10^5). */
static void link_name(struct vr_net *n, char name[IFNAMSIZ])
{
	(void)snprintf(name, IFNAMSIZ, "vr%d.%u", (int)getpid(), n->next++ % 100000);
}

int vr_net_bridge(struct vr_net *n)
{
	char buf[NL_BUF], name[IFNAMSIZ];
	struct nlmsghdr *nlh;
	struct ifinfomsg *ifi;
	struct nlattr *info;
	int r;

	if (!n || n->bridge_nl < 0)
		return -EINVAL;
	link_name(n, name);
	nlh = nl_request(buf, RTM_NEWLINK, NLM_F_CREATE | NLM_F_EXCL, ++n->seq);
	ifi = MNL(nlmsg_put_extra_header)(nlh, sizeof(*ifi));
	ifi->ifi_family = AF_UNSPEC;
	ifi->ifi_flags = ifi->ifi_change = IFF_UP;
	MNL(attr_put_strz)(nlh, IFLA_IFNAME, name);
	info = MNL(attr_nest_start)(nlh, IFLA_LINKINFO);
	MNL(attr_put_strz)(nlh, IFLA_INFO_KIND, "bridge");
	MNL(attr_nest_end)(nlh, info);
	r = nl_talk(n->bridge_nl, buf);
	if (r < 0)
		return r;
	/* The index, from the namespace the name lives in: an ioctl needs a
	 * socket there, and the netlink socket is one. */
	struct ifreq ifr = { 0 };
	memcpy(ifr.ifr_name, name, IFNAMSIZ);
	if (ioctl(n->bridge_nl, SIOCGIFINDEX, &ifr) < 0)
		return vr_neg_errno();
	return ifr.ifr_ifindex;
}

/* ----------------------------------------------------------- attaching */

/* The void's side of link i. */
static const char *const inner_names[VR_NET_MAX_LINKS] = {
	"eth0", "eth1", "eth2", "eth3", "eth4", "eth5", "eth6", "eth7",
};

/* A veth pair: name in the namespace of fd (a port of master, when not 0),
 * up; its peer inner in the network namespace of pid. */
static int veth(int fd, unsigned seq, const char *name, int master, const char *inner, pid_t pid)
{
	char buf[NL_BUF];
	struct nlmsghdr *nlh = nl_request(buf, RTM_NEWLINK, NLM_F_CREATE | NLM_F_EXCL, seq);
	struct ifinfomsg *ifi = MNL(nlmsg_put_extra_header)(nlh, sizeof(*ifi));
	struct nlattr *info, *data, *peer;
	struct ifinfomsg pi = { .ifi_family = AF_UNSPEC };

	ifi->ifi_family = AF_UNSPEC;
	ifi->ifi_flags = ifi->ifi_change = IFF_UP;
	MNL(attr_put_strz)(nlh, IFLA_IFNAME, name);
	if (master)
		MNL(attr_put_u32)(nlh, IFLA_MASTER, (uint32_t)master);
	info = MNL(attr_nest_start)(nlh, IFLA_LINKINFO);
	MNL(attr_put_strz)(nlh, IFLA_INFO_KIND, "veth");
	data = MNL(attr_nest_start)(nlh, IFLA_INFO_DATA);
	peer = MNL(attr_nest_start)(nlh, VETH_INFO_PEER);
	/* The peer's ifinfomsg, then its attributes, inside the nest. */
	nlh->nlmsg_len += MNL_ALIGN(sizeof(pi));
	memcpy((char *)peer + MNL_ATTR_HDRLEN, &pi, sizeof(pi));
	MNL(attr_put_strz)(nlh, IFLA_IFNAME, inner);
	MNL(attr_put_u32)(nlh, IFLA_NET_NS_PID, (uint32_t)pid);
	MNL(attr_nest_end)(nlh, peer);
	MNL(attr_nest_end)(nlh, data);
	MNL(attr_nest_end)(nlh, info);
	return nl_talk(fd, buf);
}

int vr_net_attach(const struct vr_net_link *links, size_t n, pid_t pid, struct vr_err *reterr)
{
	char name[IFNAMSIZ];
	int r;

	if (n > VR_NET_MAX_LINKS)
		return vr_err_set(reterr, VR_STEP_NET, EINVAL, NULL, NULL), -EINVAL;
	for (size_t i = 0; i < n; i++) {
		const struct vr_net_link *l = &links[i];
		struct vr_net *net = l->net;
		int fd = l->bridge ? net->bridge_nl : net->host_nl;

		if (fd < 0)
			return vr_err_set(reterr, VR_STEP_NET, EINVAL, inner_names[i], NULL), -EINVAL;
		link_name(net, name);
		r = veth(fd, ++net->seq, name, l->bridge, inner_names[i], pid);
		if (r < 0)
			return vr_err_set(reterr, VR_STEP_NET, -r, name, inner_names[i]), r;
		if (!l->bridge) {
			/* The host's end: the host's address, the void's as
			 * its peer, so the host routes the void's address
			 * (alone) over it. */
			int index = (int)if_nametoindex(name);
			r = index > 0 ? nl_addr(fd, ++net->seq, index, l->peer, l->addr, 32) : vr_neg_errno();
			if (r < 0)
				return vr_err_set(reterr, VR_STEP_NET, -r, name, NULL), r;
		}
	}
	return 0;
}

/* --------------------------------------------------------------- child */

int vr_net_child_setup(const struct vr_net_link *links, size_t n, const char **ret_what)
{
	int fd, r = 0;

	if (n == 0)
		return 0;
	*ret_what = "netlink";
	fd = nl_socket();
	if (fd < 0)
		return fd;
	for (size_t i = 0; i < n && r >= 0; i++) {
		const struct vr_net_link *l = &links[i];
		struct ifreq ifr = { 0 };

		*ret_what = inner_names[i];
		strcpy(ifr.ifr_name, inner_names[i]);
		if (ioctl(fd, SIOCGIFINDEX, &ifr) < 0) {
			r = vr_neg_errno();
			break;
		}
		/* A network: the address in its subnet (the kernel adds the
		 * subnet's route, and no default route: a network reaches its
		 * members and nothing else). A host link: point-to-point to
		 * the host's end. */
		r = nl_addr(fd, (unsigned)i + 1, ifr.ifr_ifindex, l->addr, l->bridge ? 0 : l->peer,
			    l->bridge ? l->prefix : 32);
		if (r >= 0 && ioctl(fd, SIOCGIFFLAGS, &ifr) == 0) {
			ifr.ifr_flags |= IFF_UP;
			if (ioctl(fd, SIOCSIFFLAGS, &ifr) < 0)
				r = vr_neg_errno();
		} else if (r >= 0) {
			r = vr_neg_errno();
		}
	}
	(void)close(fd);
	return r;
}

/* ------------------------------------------------------------- helpers */

int vr_net_parse_ip(const char *s, uint32_t *ret)
{
	struct in_addr a;

	if (!s || inet_pton(AF_INET, s, &a) != 1)
		return -EINVAL;
	*ret = a.s_addr;
	return 0;
}

int vr_net_enter_userns(void)
{
	struct vr_idmap u = { geteuid(), geteuid(), 1 }, g = { getegid(), getegid(), 1 };

	if (unshare(CLONE_NEWUSER) < 0)
		return vr_neg_errno();
	return vr_idmap_write(getpid(), &u, 1, &g, 1, true);
}
