#!/bin/sh
# pid 1 of the VM tests/vm/run.sh boots: the host's / is our read-only
# root, $1 the staging directory (voidrun in $1/usr, the specs in $1/src,
# results to $1/out, the host's writable 9p export). Runs the limit specs
# (and voidrun enter's join of a void's cgroup) as root and as an
# unprivileged user with a delegated cgroup subtree, writes each run's
# gtest output to $1/out/{root,user}{,-enter}.log and powers off.
# Nothing here touches the host: every mount and cgroup is the VM's own.
stage=$1
uid=4242
export PATH=/usr/sbin:/usr/bin:/sbin:/bin LANG=C.UTF-8

# Power off. sysrq works asynchronously: wait in the shell itself (an
# exec now could find the 9p root already gone); qemu exits at power-off.
off() {
  sync
  umount "$stage/out" 2>/dev/null
  echo o >/proc/sysrq-trigger
  while :; do :; done
}

mount -t proc proc /proc
mount -t sysfs sys /sys
mount -t tmpfs -o mode=1777 tmp /tmp
mount -t tmpfs -o mode=755 run /run
mount -t cgroup2 -o nsdelegate cgroup2 /sys/fs/cgroup || { echo "vm: cannot mount cgroup2"; off; }
mount -t 9p -o trans=virtio,version=9p2000.L,msize=262144 results "$stage/out" || { echo "vm: cannot mount the results"; off; }
# Debian's switch for unprivileged user namespaces (on by default since 11).
[ -w /proc/sys/kernel/unprivileged_userns_clone ] && echo 1 >/proc/sys/kernel/unprivileged_userns_clone

echo "vm: kernel $(uname -r), cgroup2 controllers: $(cat /sys/fs/cgroup/cgroup.controllers)"
cd "$stage/src" || off
spec=tests/spec/limits_spec.lua

# As root, from the root cgroup: voidrun makes /sys/fs/cgroup/voidrun.
echo "== vm: limit specs as root"
env -i PATH="$PATH" HOME=/tmp LANG=C.UTF-8 "$stage/usr/bin/voidrun" test -o gtest "$spec" \
  >"$stage/out/root.log" 2>&1
cat "$stage/out/root.log"
# voidrun enter joining a void's own cgroup (cgroup.procs opened on the
# host, written after setns), which the host's cgroup v1 cannot show.
enter_filter="in the void's cgroup, when it has one of its own"
echo "== vm: enter into a void's cgroup, as root"
env -i PATH="$PATH" HOME=/tmp LANG=C.UTF-8 "$stage/usr/bin/voidrun" test -o gtest \
  --filter "$enter_filter" tests/spec/inspect_spec.lua >"$stage/out/root-enter.log" 2>&1
cat "$stage/out/root-enter.log"

# As an ordinary user with a delegated subtree, as systemd would give one
# (user@UID.service): a cgroup it owns, with the controllers enabled, and
# itself in a leaf below it (no process may sit in a cgroup whose
# controllers are handed down).
cg=/sys/fs/cgroup
echo "+memory +pids +cpu" >"$cg/cgroup.subtree_control"
mkdir "$cg/deleg" "$cg/deleg/shell"
echo "+memory +pids +cpu" >"$cg/deleg/cgroup.subtree_control"
chown "$uid:$uid" "$cg/deleg" "$cg/deleg/cgroup.procs" "$cg/deleg/cgroup.subtree_control" "$cg/deleg/cgroup.threads"
chown -R "$uid:$uid" "$cg/deleg/shell"
echo "== vm: limit specs as uid $uid, delegated $cg/deleg"
sh -c 'echo $$ >'"$cg/deleg/shell/cgroup.procs"' && exec "$@"' sh \
  setpriv --reuid="$uid" --regid="$uid" --clear-groups \
  env -i PATH="$PATH" HOME=/tmp LANG=C.UTF-8 "$stage/usr/bin/voidrun" test -o gtest "$spec" \
  >"$stage/out/user.log" 2>&1
cat "$stage/out/user.log"
echo "== vm: enter into a void's cgroup, as uid $uid"
sh -c 'echo $$ >'"$cg/deleg/shell/cgroup.procs"' && exec "$@"' sh \
  setpriv --reuid="$uid" --regid="$uid" --clear-groups \
  env -i PATH="$PATH" HOME=/tmp LANG=C.UTF-8 "$stage/usr/bin/voidrun" test -o gtest \
  --filter "$enter_filter" tests/spec/inspect_spec.lua >"$stage/out/user-enter.log" 2>&1
cat "$stage/out/user-enter.log"

# What the runs left in the cgroup tree (nothing, but voidrun/ dirs
# still in use, is expected).
echo "vm: cgroups left: $(find "$cg" -mindepth 1 -type d | tr '\n' ' ')"
off
