/* SPDX-License-Identifier: MIT */
/* The void: a plan of what a process is given, and the code that builds it.
 *
 * A plan is built first (plan, then apply): every string and array the child
 * will need is allocated here, in the parent. Between clone3 and execve the
 * child allocates nothing, calls no stdio and runs no Lua: it walks the plan
 * and, on failure, writes a fixed-size {step, errno, path} record to a
 * close-on-exec pipe the parent reads.
 *
 * Process shape: voidrun -> pid 1 of the void (a minimal init: reaps,
 * forwards signals, reports the entry's status) -> the entry. */
#pragma once

#include <pthread.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include "err.h"
#include "limit.h"
#include "net.h"

enum vr_mount_kind {
	VR_MNT_BIND = 1,  /* src (host) -> dst; read-only unless VR_BIND_RW */
	VR_MNT_TMPFS,     /* a fresh tmpfs at dst, data = options */
	VR_MNT_PROC,      /* procfs of the void's pid namespace at dst */
	VR_MNT_DEV,       /* a minimal /dev at dst: null zero full random urandom tty, fd links, shm */
	VR_MNT_DIR,       /* an empty directory at dst */
	VR_MNT_SYMLINK,   /* a symlink dst -> src */
};

/* Flags of a mount operation. */
#define VR_BIND_RW      0x1u  /* writable bind */
#define VR_BIND_DEV     0x2u  /* keep device nodes usable */
#define VR_BIND_EXEC_OK 0x0u  /* binds allow exec by default */
#define VR_BIND_NOEXEC  0x4u  /* forbid exec from the mount */

struct vr_mount_op {
	int kind;          /* enum vr_mount_kind */
	unsigned flags;    /* VR_BIND_* */
	char *src;
	char *dst;         /* absolute path inside the void */
	char *data;        /* tmpfs options or NULL */
};

struct vr_fd_op {
	int src;  /* an fd of the caller, open at spawn time */
	int dst;  /* the fd number it gets in the void */
};

struct vr_limit;  /* core/limit.h: resource limits */
struct vr_harden;  /* core/harden.h: seccomp, capabilities kept, Landlock */

struct vr_plan {
	uint64_t ns_flags;           /* CLONE_NEW* to create: VR_CLONE_ALL_NS by default */
	unsigned uid, gid;           /* ids inside the void: 0 by default */
	int host_uid, host_gid;      /* ids they map to: -1 = automatic (see vr_void_spawn) */
	char *hostname;              /* "void" */
	char *path;                  /* what to execve, inside the void */
	char **argv;                 /* NULL-terminated */
	char **envp;                 /* NULL-terminated; empty by default */
	size_t n_argv, n_envp;
	char *cwd;                   /* "/" */
	char *root_options;          /* the root tmpfs' options */
	struct vr_mount_op *mounts;
	size_t n_mounts;
	struct vr_fd_op *fds;
	size_t n_fds;
	int devnull;                 /* the host's /dev/null: stdin unless placed */
	struct vr_limit *limits;    /* owned; NULL: no limits */
	struct vr_harden *harden;    /* owned; NULL: the defaults */
	/* Instead of execve, call entry_fn(entry_arg) in the entry process
	 * once its void is complete (a Lua function entry); its return value
	 * is the entry's exit code. The entry is then forked, not vforked. */
	int (*entry_fn)(void *arg);
	void *entry_arg;
	/* Instead of a new network namespace, join this one (an fd; -1, the
	 * default: none). spawn enters it around its clone3, which needs
	 * CAP_SYS_ADMIN over it and over voidrun's own (root). The void can
	 * then make AF_UNIX sockets only (a filter of its own), and should
	 * have Landlock's abstract-socket scoping: a broker's workers share
	 * an empty namespace this way (doc/brokers.md). Not owned. */
	int join_netns;
	/* Stop the exec entry just before its hardening and exec (SIGSTOP),
	 * so that a debugger can attach; pid 1 stays dumpable for that. The
	 * stop is reported by vr_void_ready. */
	bool debug;
	/* Networks and host links (core/net.h): veth pairs made while the
	 * void is built, its ends eth0, eth1, ... (needs CLONE_NEWNET). */
	struct vr_net_link net_links[VR_NET_MAX_LINKS];
	size_t n_net_links;
	/* Owners: vr_plan_new's caller, and every void started from it in
	 * voidrun's own memory (see spawn in void.c) while it runs. */
	int refs;
};

/* A fresh plan with the defaults: every namespace, ids 0 inside, hostname
 * "void", cwd "/", empty environment, no mounts, no fds placed.
 * Returns 0 or -errno (-ENOMEM, or the errno of opening /dev/null). */
int vr_plan_new(struct vr_plan **ret);

/* Free a plan and close what it opened (not the fds it was given).
 * Accepts NULL. */
void vr_plan_free(struct vr_plan *plan);

/* Set what the void runs: path inside the void and its argv (n >= 1).
 * Returns 0, -EINVAL when n is 0 or path is not absolute, -ENOMEM. */
int vr_plan_set_exec(struct vr_plan *plan, const char *path, const char *const *argv, size_t n);

/* Add one "KEY=VALUE" environment entry. -EINVAL without '='. */
int vr_plan_add_env(struct vr_plan *plan, const char *entry);

/* Add a mount operation; they are applied in order. dst must be absolute
 * and must not contain "." or ".." components; a plan has one VR_MNT_DEV
 * at most. -EINVAL otherwise. */
int vr_plan_add_mount(struct vr_plan *plan, int kind, const char *src, const char *dst,
		      unsigned flags, const char *data);

/* Place the caller's fd src at fd number dst in the void (dst 0..1023).
 * The caller keeps ownership of src and must keep it open until spawned.
 * -EINVAL for a bad number or a dst placed twice. */
int vr_plan_add_fd(struct vr_plan *plan, int src, int dst);

/* Set a string field (hostname, cwd). -ENOMEM. */
int vr_plan_set_string(char **field, const char *value);

/* A running void. */
struct vr_void {
	pid_t pid;      /* pid 1 of the void, as the host sees it */
	int pidfd;      /* its pidfd */
	int status_fd;  /* read end of the status pipe */
	int sync_fd;    /* write end of the sync pipe, held until the void ends */
	int ready;      /* 1 once the entry was seen to exec */
	int failed;     /* 1 once the void was seen to fail to build */
	struct vr_err err;  /* why, when failed */
	struct vr_limit_run *limits;  /* owned: its cgroup and time limit, or NULL (core/limit.h) */
	struct vr_usage usage;        /* what it used, and whether a limit ended it: set by vr_void_wait */
	/* Set by vr_void_wait: a process pid 1 killed for a call the void's
	 * policy kills (the entry's kill, else the first): */
	pid_t seccomp_pid;  /* its pid inside, or 0 */
	int seccomp_nr;     /* the call */
	int seccomp_entry;  /* 1 when it was the entry */
	pid_t stopped_pid;  /* debug: the stopped entry, as the host sees it */
	pthread_t spawner;  /* the thread that waits for pid 1 in voidrun's memory (void.c: spawn_vm), or 0 */
};

/* Start a void from plan. On success *ret is filled and 0 returned; the
 * void is being built and the entry may not have started yet: use
 * vr_void_ready to wait for that, or vr_void_wait for the end.
 *
 * Who the void's ids map to: as root, to host uid/gid 65534 (nobody, never
 * host root); otherwise to the caller's own uid/gid. plan->host_uid/gid
 * override this (as root any id, else only the caller's own).
 *
 * Returns 0, or -errno with *reterr naming the step (clone3, id map). */
int vr_void_spawn(const struct vr_plan *plan, struct vr_void *ret, struct vr_err *reterr);

/* vr_void_spawn, placing also n_extra fds for this spawn only (a broker's
 * connection): extra[i].src at extra[i].dst, over any plan fd at that
 * number. The caller keeps ownership of the extra fds. */
int vr_void_spawn_with(const struct vr_plan *plan, const struct vr_fd_op *extra, size_t n_extra,
		       struct vr_void *ret, struct vr_err *reterr);

/* A prepared void: built now (every namespace, the root, the capabilities
 * dropped), waiting for vr_void_start to hand it n fds, placed at dsts[i],
 * before its entry starts. Nothing is shared with any other void: it is
 * only built ahead of need (a broker's next connection). Closing its
 * handle unused ends it. -EINVAL for a bad n or fd number. */
#define VR_VOID_MAX_DEFER 8
int vr_void_prepare(const struct vr_plan *plan, const int *dsts, size_t n, struct vr_void *ret,
		    struct vr_err *reterr);

/* Start a prepared void with its n fds (the caller keeps its copies).
 * Returns 0 or -errno (-EPIPE: the void is gone). */
int vr_void_start(struct vr_void *v, const int *fds, size_t n);

/* A new, empty network namespace (only lo, and it down) for plans to
 * join (plan->join_netns): an fd, or -errno (-EPERM unless root). The
 * caller stays in its own. */
int vr_void_empty_netns(void);

/* The same for a caller that cannot come back to its own namespace (an
 * ordinary user's voidrun, in a user namespace of its own: it has no
 * capability over the initial one): it moves into the new namespace for
 * good, and spawn returns there. Returns an fd of it for join_netns, or
 * -errno. */
int vr_void_enter_empty_netns(void);

/* Wait until the entry has been exec'd. Returns 0 when it has; 1 when the
 * void could not be built (*reterr says why; the void is ending); 2 when,
 * with plan->debug, the entry stopped before its exec (v->stopped_pid is
 * its host pid: call again once it goes on); -errno when reading the
 * status failed. */
int vr_void_ready(struct vr_void *v, struct vr_err *reterr);

/* Wait for the void to end and release it. If sigfd >= 0 (a signalfd,
 * blocking or not), the signals read from it meanwhile are forwarded to the
 * void's pid 1, which forwards them to the entry. *ret_status receives the entry's wait status
 * (as waitpid(2) reports it). Returns 0 when the entry ran, 1 when the void
 * could not be built (*reterr says why), -errno on a failure to wait.
 * A void with a time limit is killed while waited for here once the limit
 * is reached; v->usage then says so, and what the void used. */
int vr_void_wait(struct vr_void *v, int sigfd, int *ret_status, struct vr_err *reterr);

/* Send sig to the void's pid 1 (which forwards it to the entry; SIGKILL
 * ends the whole void). Returns 0 or -errno (-ESRCH when it has ended). */
int vr_void_kill(struct vr_void *v, int sig);

/* Close what the handle holds. Does not wait; idempotent. */
void vr_void_release(struct vr_void *v);
