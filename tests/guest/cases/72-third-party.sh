#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# FUSE programs from Debian packages, mounted by mount(8) through
# mount.fuse2pt (-t fuse2pt.PROG) and, as the reference, through
# mount.fuse3 on stock fuse (-t fuse.PROG): both show the same tree, with
# the same contents as the source.  Then the same from /etc/fstab with
# mount -a.
# timeout: 600
. /tests/lib.sh

ln -sf "$T_BIN/mount.fuse2pt" /usr/sbin/mount.fuse2pt
M=$T_WORK/mnt
SNAP=$T_WORK/snap

no_server() { ! pgrep -x "$1" >/dev/null; }
have() { command -v "$1" >/dev/null; }

# compare NAME A B: the two mounts look the same (st_ino, st_dev and
# atime/ctime depend on the mount and on the program's bookkeeping)
compare() {
	local name=$1 a=$2 b=$3 f
	t_snapshot "$a" "$SNAP/$name-a"
	t_snapshot "$b" "$SNAP/$name-b"
	for f in ls find readlink md5 du-all; do
		t_expect_files_eq "$name: $f" "$SNAP/$name-b/$f" "$SNAP/$name-a/$f"
	done
	# free blocks and inodes move between the two snapshots when the
	# program stores on a live filesystem (fuse-overlayfs' upper dir)
	t_expect_eq "$name: statfs (free counts left out)" \
		"$(sed -E 's/\|(bfree|bavail|ffree)=[0-9]+//g' "$SNAP/$name-a/statfs")" \
		"$(sed -E 's/\|(bfree|bavail|ffree)=[0-9]+//g' "$SNAP/$name-b/statfs")"
	t_stat_fields "$SNAP/$name-a/stat" size mode uid gid nlink mtime blksize > "$SNAP/$name-a/stat-some"
	t_stat_fields "$SNAP/$name-b/stat" size mode uid gid nlink mtime blksize > "$SNAP/$name-b/stat-some"
	t_expect_files_eq "$name: stat" "$SNAP/$name-b/stat-some" "$SNAP/$name-a/stat-some"
}

# both PROG SOURCE OPTS: mount on fuse2pt ($M/PROG-pt) and stock ($M/PROG-st)
both() {
	local prog=$1 src=$2 opts=$3
	mkdir -p "$M/$prog-pt" "$M/$prog-st"
	t_check "mount -t fuse2pt.$prog" mount -t "fuse2pt.$prog" ${opts:+-o "$opts"} "$src" "$M/$prog-pt" &&
	t_check "mount -t fuse.$prog" mount -t "fuse.$prog" ${opts:+-o "$opts"} "$src" "$M/$prog-st" &&
	t_expect_eq "fuse2pt type" "$(t_mount_type "$M/$prog-pt")" "fuse2pt.$prog" &&
	stock_type "$M/$prog-st" "$prog"
}

# mount.fuse3 with libfuse 3 mounts type "fuse" unless the program asks
# for a subtype
stock_type() {
	case $(t_mount_type "$1") in
	fuse|"fuse.$2") ;;
	*) _t_mark_fail "stock mount on $1 has type $(t_mount_type "$1"), want fuse or fuse.$2" ;;
	esac
}

# unmount_both PROG [NAME]: unmount, and the program exits
unmount_both() {
	local prog=$1 name=${2:-$1} d
	for d in "$M/$prog-pt" "$M/$prog-st"; do
		t_is_mounted "$d" && t_check "umount $d" timeout 60 umount "$d"
	done
	t_wait_for 20 no_server "$name"
	t_check "$name exited after umount" no_server "$name"
}

t_start setup
t_need_module || t_die "fuse2pt not loaded"
t_make_tree "$T_SRC" || t_die "cannot build the source tree"
t_pass

t_start bindfs
if ! have bindfs; then
	t_skip "bindfs is not installed in the guest image"
elif both bindfs "$T_SRC" ""; then
	compare bindfs "$M/bindfs-pt" "$M/bindfs-st"
	t_cmp_tree "$T_SRC" "$M/bindfs-pt"
	echo through-fuse2pt > "$M/bindfs-pt/new-pt"
	t_expect_eq "write through fuse2pt.bindfs lands in the source" "$(cat "$T_SRC/new-pt")" through-fuse2pt
	t_expect_eq "and stock sees it" "$(cat "$M/bindfs-st/new-pt")" through-fuse2pt
	rm -f "$T_SRC/new-pt"
fi
unmount_both bindfs
t_pass

t_start squashfuse
if ! have squashfuse || ! have mksquashfs; then
	t_skip "squashfuse or mksquashfs (squashfs-tools) is not installed in the guest image"
elif t_check "mksquashfs" mksquashfs "$T_SRC" "$T_WORK/tree.sqfs" -quiet -noappend -no-progress &&
     both squashfuse "$T_WORK/tree.sqfs" ""; then
	compare squashfuse "$M/squashfuse-pt" "$M/squashfuse-st"
	t_cmp_tree "$T_SRC" "$M/squashfuse-pt"
fi
unmount_both squashfuse
t_pass

t_start fuse-overlayfs
if ! have fuse-overlayfs; then
	t_skip "fuse-overlayfs is not installed in the guest image"
else
	mkdir -p "$T_WORK/ovl/up-pt" "$T_WORK/ovl/up-st" "$T_WORK/ovl/wk-pt" "$T_WORK/ovl/wk-st" \
		"$M/fuse-overlayfs-pt" "$M/fuse-overlayfs-st"
	# the overlay's root shows its upper dir's times: make the two alike
	touch -r "$T_WORK/ovl/up-pt" "$T_WORK/ovl/up-st"
	OVL_PT="lowerdir=$T_SRC,upperdir=$T_WORK/ovl/up-pt,workdir=$T_WORK/ovl/wk-pt"
	if ! out=$(mount -t fuse2pt.fuse-overlayfs -o "$OVL_PT" overlay "$M/fuse-overlayfs-pt" 2>&1); then
		# its own words, which a daemon started by mount(8) cannot show
		why=$(timeout 20 "$T_BIN/fuse2pt-mount" "$M/fuse-overlayfs-pt" fuse-overlayfs -f \
			-o "$OVL_PT" 2>&1 | grep -v 'unknown argument ignored' | head -n 3 | tr '\n' ' ')
		t_is_mounted "$M/fuse-overlayfs-pt" && umount -l "$M/fuse-overlayfs-pt"
		_t_mark_fail "mount -t fuse2pt.fuse-overlayfs failed: ${out##*mount.fuse2pt: }; in the foreground it says: $why"
	elif
	   t_check "mount -t fuse.fuse-overlayfs" mount -t fuse.fuse-overlayfs \
		-o "lowerdir=$T_SRC,upperdir=$T_WORK/ovl/up-st,workdir=$T_WORK/ovl/wk-st" overlay "$M/fuse-overlayfs-st"; then
		t_expect_eq "fuse2pt type" "$(t_mount_type "$M/fuse-overlayfs-pt")" fuse2pt.fuse-overlayfs
		compare fuse-overlayfs "$M/fuse-overlayfs-pt" "$M/fuse-overlayfs-st"
		t_cmp_tree "$T_SRC" "$M/fuse-overlayfs-pt"
		for s in pt st; do
			echo "copy-up $s" >> "$M/fuse-overlayfs-$s/f100"
		done
		# f100 is binary without a final newline: compare the appended bytes
		t_expect_eq "copy-up through fuse2pt lands in its upper dir" \
			"$(tail -c 11 "$T_WORK/ovl/up-pt/f100")" "copy-up pt"
		t_check "the lower file is untouched" cmp -s "$T_SRC/f100" <(head -c 100 "$M/fuse-overlayfs-pt/f100")
		t_expect_eq "and through stock fuse in its own" "$(tail -c 11 "$T_WORK/ovl/up-st/f100")" "copy-up st"
	fi
	unmount_both fuse-overlayfs
fi
t_pass

t_start fstab-mount-a
if ! have bindfs || ! have squashfuse || [ ! -f "$T_WORK/tree.sqfs" ]; then
	t_skip "bindfs or squashfuse missing in the guest image: no fstab test"
else
	mkdir -p "$M/fs-bind-pt" "$M/fs-bind-st" "$M/fs-sq-pt" "$M/fs-sq-st" "$M/fs-old" "$M/fs-noauto"
	[ -f /etc/fstab ] && cp /etc/fstab "$T_WORK/fstab.orig"
	cat >> /etc/fstab <<-FSTAB
	# fuse2pt test $T_CASE
	$T_SRC  $M/fs-bind-pt  fuse2pt.bindfs  ro,allow_other,nofail  0 0
	$T_SRC  $M/fs-bind-st  fuse.bindfs     ro,allow_other,nofail  0 0
	$T_WORK/tree.sqfs  $M/fs-sq-pt  fuse2pt.squashfuse  defaults  0 0
	$T_WORK/tree.sqfs  $M/fs-sq-st  fuse.squashfuse     defaults  0 0
	bindfs#$T_SRC  $M/fs-old  fuse2pt  defaults,_netdev  0 0
	$T_SRC  $M/fs-noauto  fuse2pt.bindfs  noauto,x-fuse2pt.test  0 0
	FSTAB
	t_check "mount -a" mount -a
	for d in fs-bind-pt:fuse2pt.bindfs fs-sq-pt:fuse2pt.squashfuse fs-old:fuse2pt; do
		t_expect_eq "${d%%:*} type" "$(t_mount_type "$M/${d%%:*}")" "${d#*:}"
	done
	stock_type "$M/fs-bind-st" bindfs
	stock_type "$M/fs-sq-st" squashfuse
	t_check_fails "noauto entry not mounted" t_is_mounted "$M/fs-noauto"
	t_check "mount by mount point (noauto entry)" mount "$M/fs-noauto"
	t_expect_eq "fs-noauto type" "$(t_mount_type "$M/fs-noauto")" fuse2pt.bindfs
	grep -E " $M/fs-bind-pt " /proc/mounts | grep -q '[ ,]ro[ ,].*allow_other' ||
		t_fail "fstab options ro,allow_other not on the fuse2pt mount: $(grep " $M/fs-bind-pt " /proc/mounts)"
	if t_is_mounted "$M/fs-bind-pt" && t_is_mounted "$M/fs-bind-st"; then
		compare fstab-bindfs "$M/fs-bind-pt" "$M/fs-bind-st"
	fi
	if t_is_mounted "$M/fs-sq-pt" && t_is_mounted "$M/fs-sq-st"; then
		compare fstab-squashfuse "$M/fs-sq-pt" "$M/fs-sq-st"
	fi
	# (stock entries are left out: mount.fuse3's type "fuse" differs
	# from fstab's fuse.PROG, so mount -a would mount them again)
	t_check "mount -a again, fuse2pt entries" mount -a -t fuse2pt.bindfs,fuse2pt.squashfuse,fuse2pt
	for d in fs-bind-pt fs-sq-pt fs-old; do
		t_expect_eq "one mount on $d" "$(awk -v m="$M/$d" '$2 == m' /proc/mounts | wc -l)" 1
	done
	for d in fs-bind-pt fs-bind-st fs-sq-pt fs-sq-st fs-old fs-noauto; do
		while t_is_mounted "$M/$d"; do
			t_check "umount $d" timeout 60 umount "$M/$d" || break
		done
	done
	if [ -f "$T_WORK/fstab.orig" ]; then cp "$T_WORK/fstab.orig" /etc/fstab; else rm -f /etc/fstab; fi
	t_wait_for 20 no_server bindfs
	t_wait_for 20 no_server squashfuse
	t_check "bindfs exited" no_server bindfs
	t_check "squashfuse exited" no_server squashfuse
fi
t_pass
