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

# The point of installing fuse2pt: a libfuse 3.17 server gets passthrough
# from the dkms-built module: the data comes from the backing file, and
# the server never sees a READ.  /proc/PID/maps of a mapping shows the
# backing file's device where the kernel has no backing-file helpers
# (6.1, fuse2pt's own code); from 6.12 the kernel shows the FUSE file
# there, as it does for stock fuse's passthrough.
t_start dkms-module-passthrough
PT_BACK=$T_WORK/dkms-pt-back
PT_MNT=$T_WORK/mnt/dkms-pt
PT_STATS=$T_WORK/dkms-pt-stats
mkdir -p "$PT_BACK"
head -c 300000 /dev/urandom > "$PT_BACK/data"
rm -f "$PT_STATS"
if t_mount fuse2pt "$PT_MNT" ptsrv --stats "$PT_STATS" "$PT_BACK"; then
	t_check "content equals the backing file" cmp "$PT_BACK/data" "$PT_MNT/data"
	back_id=$(stat -c '%Hd %Ld %i' "$PT_BACK/data" | awk '{ printf "%02x:%02x %d", $1, $2, $3 }')
	fuse_id=$(stat -c '%Hd %Ld %i' "$PT_MNT/data" | awk '{ printf "%02x:%02x %d", $1, $2, $3 }')
	maps_id=$("$T_BIN/pttool" mapsdev "$PT_MNT/data")
	t_note "maps shows $maps_id; backing file $back_id, FUSE file $fuse_id"
	t_check "maps shows the backing or the FUSE file" \
		test "$maps_id" = "$back_id" -o "$maps_id" = "$fuse_id"
	t_umount "$PT_MNT"
	t_check "server wrote its counters" test -s "$PT_STATS"
	t_expect_eq "passthrough taken" "$(awk '$1 == "passthrough_offered" { print $2 }' "$PT_STATS")" 1
	t_expect_eq "READs at the server" "$(awk '$1 == "read" { print $2 }' "$PT_STATS")" 0
fi
t_pass
