#!/usr/bin/env bash
# The limit specs on a pure cgroup v2 kernel: boot Debian's kernel under
# qemu (software emulation: -accel tcg; KVM hangs in the firmware on these
# machines), with the host's root mounted read-only over 9p, cgroup2 at
# /sys/fs/cgroup, and run tests/spec/limits_spec.lua there twice: as root,
# and as an unprivileged user (uid 4242) in a cgroup subtree delegated to
# it. Results come back through a second, writable 9p export.
#
#   tests/vm/run.sh            # uses build/ (BUILD=dir to change)
#
# Prints each run's gtest output, then one line per run and, last,
#   vm: N passed, N failed, N skipped
# which scripts/test.sh adds to its summary. Without qemu, a kernel with
# its 9p modules, or a static busybox, it skips loudly (1 skipped).
# Needs: qemu-system-x86, linux-image-amd64, busybox-static, cpio
# (scripts/deps.sh installs them).
set -uo pipefail
cd "$(dirname "$0")/../.."
BUILD=${BUILD:-build}
VM_TIMEOUT=${VM_TIMEOUT:-600}   # seconds for the whole VM run; about 3 minutes is usual

skip() {
  echo "vm: SKIPPED: $*"
  echo "vm: 0 passed, 0 failed, 1 skipped"
  exit 0
}

qemu=$(command -v qemu-system-x86_64) || skip "qemu-system-x86_64 is not installed (apt-get install qemu-system-x86)"
busybox=$(command -v busybox) || skip "busybox is not installed (apt-get install busybox-static)"
ldd "$busybox" >/dev/null 2>&1 && skip "$busybox is not static (apt-get install busybox-static)"
command -v cpio >/dev/null || skip "cpio is not installed"
[ -x "$BUILD/bin/voidrun" ] || skip "$BUILD/bin/voidrun is not built"

# The modules that mount the host's root over virtio 9p, in load order.
modules=(virtio_ring virtio virtio_pci_modern_dev virtio_pci_legacy_dev virtio_pci netfs fscache
         9pnet 9pnet_virtio 9p)

# Debian's newest kernel that has them.
kver=
for k in $(ls -1 /boot/vmlinuz-* 2>/dev/null | sed 's|/boot/vmlinuz-||' | sort -rV); do
  [ -r "/boot/vmlinuz-$k" ] && find "/lib/modules/$k" -name '9p.ko*' 2>/dev/null | grep -q . && { kver=$k; break; }
done
[ -n "$kver" ] || skip "no kernel in /boot with 9p modules in /lib/modules (apt-get install linux-image-amd64)"

work=$(mktemp -d /var/tmp/voidrun-vm.XXXXXX) || exit 1
trap 'rm -rf "$work"' EXIT
chmod 755 "$work"

# What the guest runs, readable by its unprivileged user: voidrun installed
# into a prefix, and the specs. (The VM sees the host's / read-only, so
# this directory too; the results come back through $work/out.)
cmake --install "$BUILD" --prefix "$work/usr" >/dev/null || skip "cmake --install $BUILD failed"
mkdir -p "$work/src" "$work/out" "$work/initramfs"/{bin,dev,proc,sys,newroot,modules}
cp -r tests "$work/src/"
chmod -R a+rX "$work"

# The initramfs: a static busybox, the 9p modules, an init that mounts the
# host's root and switches into it to run guest.sh.
ir=$work/initramfs
cp "$busybox" "$ir/bin/busybox"
for m in "${modules[@]}"; do
  f=$(find "/lib/modules/$kver" -name "$m.ko*" | head -1)
  [ -n "$f" ] || skip "module $m is missing from /lib/modules/$kver"
  case $f in
    *.ko) cp "$f" "$ir/modules/$m.ko" ;;
    *.ko.xz) xz -dc "$f" >"$ir/modules/$m.ko" ;;
    *.ko.zst) zstd -qdc "$f" >"$ir/modules/$m.ko" ;;
    *.ko.gz) gzip -dc "$f" >"$ir/modules/$m.ko" ;;
  esac
done
cat >"$ir/init" <<EOF
#!/bin/busybox sh
/bin/busybox mount -t proc proc /proc
/bin/busybox mount -t sysfs sys /sys
/bin/busybox mount -t devtmpfs dev /dev
for m in ${modules[*]}; do /bin/busybox insmod /modules/\$m.ko || echo "vm: insmod \$m failed"; done
if ! /bin/busybox mount -t 9p -o trans=virtio,version=9p2000.L,ro,cache=loose,msize=262144 hostroot /newroot; then
  echo "vm: cannot mount the host's root"
  echo o >/proc/sysrq-trigger
fi
/bin/busybox mount --move /dev /newroot/dev
/bin/busybox umount /proc /sys
exec /bin/busybox switch_root /newroot /bin/sh $work/src/tests/vm/guest.sh $work
EOF
chmod 755 "$ir/init"
(cd "$ir" && find . | cpio -o -H newc --quiet | gzip -1 >"$work/initramfs.gz") || skip "cannot build the initramfs"

echo "== vm: booting /boot/vmlinuz-$kver under qemu (tcg), the host's / over 9p"
start=$(date +%s)
timeout --foreground -k 10 "$VM_TIMEOUT" "$qemu" \
  -accel tcg,thread=multi -smp 2 -m 1536 -cpu max \
  -display none -no-reboot -nodefaults -serial stdio \
  -kernel "/boot/vmlinuz-$kver" -initrd "$work/initramfs.gz" \
  -append "console=ttyS0 panic=-1 quiet loglevel=3" \
  -fsdev local,id=root,path=/,security_model=none,readonly=on,multidevs=remap \
  -device virtio-9p-pci,fsdev=root,mount_tag=hostroot \
  -fsdev local,id=out,path="$work/out",security_model=none,multidevs=remap \
  -device virtio-9p-pci,fsdev=out,mount_tag=results \
  </dev/null 2>&1 | tr -d '\r'
rc=${PIPESTATUS[0]}
echo "== vm: qemu exited with $rc after $(( $(date +%s) - start )) s"
[ "$rc" -eq 124 ] && echo "vm: the VM did not finish within $VM_TIMEOUT s"

# Count each run as scripts/test.sh counts busted's gtest output; a run
# without a summary (it did not finish) is one failure.
strip() { sed -e 's/\x1b\[[0-9;]*m//g'; }
passed=0 failed=0 skipped=0
for run in root root-enter user user-enter; do
  log=$work/out/$run.log
  p= f= e= s=
  if [ -r "$log" ]; then
    p=$(strip <"$log" | sed -n 's/^\[  PASSED  \] \([0-9]*\) test.*/\1/p' | tail -1)
    f=$(strip <"$log" | sed -n 's/^ \([0-9]*\) FAILED TESTS\{0,1\}$/\1/p' | tail -1)
    e=$(strip <"$log" | sed -n 's/^ \([0-9]*\) ERRORS\{0,1\}$/\1/p' | tail -1)
    s=$(strip <"$log" | sed -n 's/^ \([0-9]*\) SKIPPED TESTS\{0,1\}$/\1/p' | tail -1)
  fi
  if [ -z "$p" ]; then
    echo "== vm (cgroup v2, $run): no result"
    failed=$((failed + 1))
    continue
  fi
  echo "== vm (cgroup v2, $run): $p passed, $(( ${f:-0} + ${e:-0} )) failed, ${s:-0} skipped"
  passed=$((passed + p)); failed=$((failed + ${f:-0} + ${e:-0})); skipped=$((skipped + ${s:-0}))
done
# VM_LOGS=dir keeps the runs' logs.
[ -n "${VM_LOGS:-}" ] && cp "$work"/out/*.log "$VM_LOGS"/ 2>/dev/null
echo "vm: $passed passed, $failed failed, $skipped skipped"
[ "$failed" -eq 0 ]
