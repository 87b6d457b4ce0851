-- SPDX-License-Identifier: MIT
-- The named groups of system calls a seccomp policy may use (x86_64 names;
-- names a given architecture lacks are accepted and ignored). A module of
-- its own, loaded when a policy is first parsed: its many names are not
-- worth loading at every start. doc/seccomp.md lists the groups; a spec
-- checks that libseccomp knows every name.
return {
  -- What a glibc program needs to start (static or dynamic) and to exit.
  ["@base"] = {
    "access", "arch_prctl", "brk", "close", "execve", "exit", "exit_group", "fstat", "futex",
    "getrandom", "mmap", "mprotect", "munmap", "newfstatat", "openat", "pread64", "prlimit64",
    "read", "restart_syscall", "rseq", "rt_sigreturn", "set_robust_list", "set_tid_address",
  },
  -- Reading and writing open files, and managing fds.
  ["@basic-io"] = {
    "close", "close_range", "dup", "dup2", "dup3", "lseek", "pread64", "preadv", "preadv2",
    "pwrite64", "pwritev", "pwritev2", "read", "readv", "write", "writev",
  },
  -- Paths, files and directories: open, stat, create, rename, remove,
  -- attributes, permissions, syncing.
  ["@file-system"] = {
    "access", "chdir", "chmod", "chown", "copy_file_range", "creat", "faccessat", "faccessat2",
    "fadvise64", "fallocate", "fchdir", "fchmod", "fchmodat", "fchown", "fchownat", "fcntl",
    "fdatasync", "fgetxattr", "flistxattr", "flock", "fremovexattr", "fsetxattr", "fstat",
    "fstatfs", "fsync", "ftruncate", "futimesat", "getcwd", "getdents", "getdents64",
    "getxattr", "inotify_add_watch", "inotify_init", "inotify_init1", "inotify_rm_watch",
    "lchown", "lgetxattr", "link", "linkat", "listxattr", "llistxattr", "lremovexattr",
    "lsetxattr", "lstat", "mkdir", "mkdirat", "mknod", "mknodat", "newfstatat", "open",
    "openat", "openat2", "readlink", "readlinkat", "removexattr", "rename", "renameat",
    "renameat2", "rmdir", "sendfile", "setxattr", "stat", "statfs", "statx", "symlink",
    "symlinkat", "sync", "sync_file_range", "syncfs", "truncate", "umask", "unlink",
    "unlinkat", "utime", "utimensat", "utimes",
  },
  -- Waiting for events on fds.
  ["@io-event"] = {
    "epoll_create", "epoll_create1", "epoll_ctl", "epoll_pwait", "epoll_pwait2", "epoll_wait",
    "eventfd", "eventfd2", "poll", "ppoll", "pselect6", "select",
  },
  -- Pipes, System V and POSIX IPC.
  ["@ipc"] = {
    "mq_getsetattr", "mq_notify", "mq_open", "mq_timedreceive", "mq_timedsend", "mq_unlink",
    "msgctl", "msgget", "msgrcv", "msgsnd", "pipe", "pipe2", "semctl", "semget", "semop",
    "semtimedop", "shmat", "shmctl", "shmdt", "shmget", "splice", "tee", "vmsplice",
  },
  -- The address space.
  ["@memory"] = {
    "brk", "madvise", "membarrier", "memfd_create", "mincore", "mlock", "mlock2", "mlockall",
    "mmap", "mprotect", "mremap", "msync", "munlock", "munlockall", "munmap", "pkey_alloc",
    "pkey_free", "pkey_mprotect",
  },
  -- Sockets: creating, connecting, sending, receiving.
  ["@network"] = {
    "accept", "accept4", "bind", "connect", "getpeername", "getsockname", "getsockopt",
    "listen", "recvfrom", "recvmmsg", "recvmsg", "sendmmsg", "sendmsg", "sendto",
    "setsockopt", "shutdown", "socket", "socketpair",
  },
  -- Processes and threads: creating, waiting, ids, limits, scheduling.
  -- (clone3 always fails with ENOSYS in a void, so that libc uses clone;
  -- it is here so that a default-deny policy does not kill on the probe.)
  ["@process"] = {
    "arch_prctl", "capget", "clone", "clone3", "execve", "execveat", "exit", "exit_group",
    "fork", "futex", "futex_waitv", "get_robust_list", "getcpu", "getegid", "geteuid",
    "getgid", "getgroups", "getpgid", "getpgrp", "getpid", "getppid", "getpriority",
    "getresgid", "getresuid", "getrlimit", "getrusage", "getsid", "gettid", "getuid",
    "ioprio_get", "ioprio_set", "pidfd_open", "prctl", "prlimit64", "rseq",
    "sched_get_priority_max", "sched_get_priority_min", "sched_getaffinity",
    "sched_getattr", "sched_getparam", "sched_getscheduler", "sched_rr_get_interval",
    "sched_setaffinity", "sched_setattr", "sched_setparam", "sched_setscheduler",
    "sched_yield", "set_robust_list", "set_tid_address", "setpgid", "setpriority",
    "setrlimit", "setsid", "sysinfo", "times", "uname", "vfork", "wait4", "waitid",
  },
  -- Signals: handlers, masks, sending, waiting.
  ["@signal"] = {
    "kill", "pause", "pidfd_send_signal", "restart_syscall", "rt_sigaction", "rt_sigpending",
    "rt_sigprocmask", "rt_sigqueueinfo", "rt_sigreturn", "rt_sigsuspend", "rt_sigtimedwait",
    "rt_tgsigqueueinfo", "sigaltstack", "signalfd", "signalfd4", "tgkill", "tkill",
  },
  -- Reading clocks, sleeping and timers (not setting clocks: @default).
  ["@time"] = {
    "alarm", "clock_getres", "clock_gettime", "clock_nanosleep", "getitimer", "gettimeofday",
    "nanosleep", "setitimer", "time", "timer_create", "timer_delete", "timer_getoverrun",
    "timer_gettime", "timer_settime", "timerfd_create", "timerfd_gettime", "timerfd_settime",
  },
}
