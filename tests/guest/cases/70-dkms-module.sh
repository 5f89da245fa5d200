#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# The module that DKMS built from the .deb on the host (tests/host/
# deb-dkms.sh puts it in /opt/fuse2pt/mod-dkms for kernels whose headers
# the host has) loads here and serves a mount made by mount.fuse2pt.
# timeout: 120
. /tests/lib.sh

DKMS_KO=/opt/fuse2pt/mod-dkms/fuse2pt.ko
MNT=$T_WORK/mnt/dkms-hello

t_start dkms-module-loads
if [ ! -e "$DKMS_KO" ]; then
	t_skip "no dkms-built fuse2pt.ko for $(uname -r): the host stage did not run, was skipped, or the host has no headers for this kernel (see the host-deb results)"
	exit 0
fi
t_check "built for this kernel" test "$(cat /opt/fuse2pt/mod-dkms/KVER)" = "$(uname -r)"
t_expect_eq "vermagic" "$(modinfo -F vermagic "$DKMS_KO" | cut -d' ' -f1)" "$(uname -r)"
t_module_loaded && t_check "rmmod the suite's fuse2pt" rmmod fuse2pt
t_check "insmod the dkms-built module" insmod "$DKMS_KO"
t_expect_eq "the loaded module is the dkms one" \
	"$(cat /sys/module/fuse2pt/srcversion 2>/dev/null)" "$(modinfo -F srcversion "$DKMS_KO")"
t_wait_for 5 test -c /dev/fuse2pt
t_check "/dev/fuse2pt exists" test -c /dev/fuse2pt
t_expect_eq "/dev/fuse2pt mode" "$(stat -c %a /dev/fuse2pt 2>/dev/null)" 666
t_pass

t_start dkms-module-mounts
ln -sf "$T_BIN/mount.fuse2pt" /usr/sbin/mount.fuse2pt
ln -sf "$T_BIN/hello_ll" /usr/local/bin/hello_ll	# mount(8) clears PATH
mkdir -p "$MNT"
if t_check "mount -t fuse2pt.hello_ll" mount -t fuse2pt.hello_ll none "$MNT"; then
	t_expect_eq "type" "$(t_mount_type "$MNT")" fuse2pt.hello_ll
	t_expect_eq "content" "$(cat "$MNT/hello" 2>&1)" "Hello World!"
	t_check "fuse2pt-umount" "$T_BIN/fuse2pt-umount" "$MNT"
	t_wait_for 20 bash -c '! pgrep -x hello_ll >/dev/null'
	t_check "hello_ll exited after umount" bash -c '! pgrep -x hello_ll >/dev/null'
fi
t_pass
