#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# timeout: 120
#
# Attributes and another user (issue 17 item 17), with libfuse's
# passthrough_ll over a tmpfs, attributes cached for 100 s, without
# default_permissions (the server runs as root and checks nothing, the
# kernel drops set-id bits itself), on fuse2pt and on stock fuse:
#
#   kill-suid-fresh   uid 1000 writes to a setuid file whose mode the
#                     kernel cached as 04777 and which was chmod-ed to
#                     04755 on the source since: the bit is dropped from
#                     the mode the server has now, 0755 (from the cached
#                     one it would be 0777).  As stock fuse.
#   kill-suid-sticky  the same on a 05777 file keeps the sticky bit, which
#                     the kernel hides from its own permission checks
#                     without default_permissions: what tmpfs itself does
#                     (01777).  Stock fuse builds the mode from its inode,
#                     which lacks the bit, and clears it too: noted, not
#                     compared.
#   statx-nothing     statx() asking for nothing (mask 0) by uid 1000 on a
#                     mount without allow_other, which the user may not
#                     use: it succeeds, with the mount's st_dev and an
#                     empty mask, as stock fuse (tests/servers/statxop.c z).
. /tests/lib.sh

U=1000
as_user() { setpriv --reuid=$U --regid=$U --clear-groups "$@"; }
user_write() { as_user dd if=/dev/zero of="$1" bs=1 count=1 conv=notrunc status=none; }

# au_files DIR: the two set-id files, as root
au_files() {
	echo data > "$1/suid" && chmod 04777 "$1/suid" &&
	echo data > "$1/sticky" && chmod 05777 "$1/sticky"
}

# au_run TYPE: results in $T_WORK/au-TYPE
au_run() {
	local type=$1 src=$T_WORK/src-$1 mnt=$T_WORK/mnt/au-$1 out=$T_WORK/au-$1
	: > "$out"
	mkdir -p "$src"
	mount -t tmpfs -o size=8m,mode=755 "au-$type" "$src" || { _t_mark_fail "tmpfs"; return 1; }
	au_files "$src" || _t_mark_fail "making the set-id files"
	T_MOUNT_OPTS=allow_other t_mount "$type" "$mnt" passthrough_ll -f \
		-o source="$src",timeout=100 || { umount "$src"; return 1; }
	echo "suid cached: $(stat -c %a "$mnt/suid")" >> "$out"
	chmod 04755 "$src/suid"
	user_write "$mnt/suid" || echo "suid: the write failed" >> "$out"
	echo "suid after the write: $(stat -c %a "$src/suid")" >> "$out"
	echo "sticky cached: $(stat -c %a "$mnt/sticky")" >> "$out"
	user_write "$mnt/sticky" || echo "sticky: the write failed" >> "$out"
	echo "sticky after the write: $(stat -c %a "$src/sticky")" >> "$out"
	t_umount "$mnt"

	t_mount "$type" "$mnt" passthrough_ll -f -o source="$src" || { umount "$src"; return 1; }
	echo "statx mask 0 by uid $U: $(as_user "$T_BIN/statxop" z "$mnt" 2>&1 |
		sed 's/^[^ ]* z: //')" >> "$out"
	echo "the mount's st_dev: $(mountpoint -d "$mnt")" >> "$out"
	t_umount "$mnt"
	umount "$src"
	t_note "$type: $(tr '\n' '|' < "$out")"
}

au_line() { sed -n "s/^$2: //p" "$T_WORK/au-$1"; }

t_start setup
t_need_bin passthrough_ll && t_need_bin statxop || t_die "cannot run without these"
command -v setpriv > /dev/null || t_die "no setpriv in the guest"
# what tmpfs does with a write by another user to a 05777 file
mkdir -p "$T_WORK/local"
mount -t tmpfs -o size=8m,mode=755 au-local "$T_WORK/local" || t_die "tmpfs"
au_files "$T_WORK/local" || t_die "making the set-id files"
user_write "$T_WORK/local/sticky" || t_die "uid $U cannot write a 05777 file on tmpfs"
LOCAL_STICKY=$(stat -c %a "$T_WORK/local/sticky")
umount "$T_WORK/local"
t_note "tmpfs: a 05777 file written by uid $U becomes $LOCAL_STICKY"
au_run fuse2pt
HAVE_STOCK=
if [ -c /dev/fuse ]; then
	au_run fuse && HAVE_STOCK=1
fi
t_pass

# au_check NAME WANT: fuse2pt's line NAME is WANT, and so is stock's
au_check() {
	t_expect_eq "fuse2pt: $1" "$(au_line fuse2pt "$1")" "$2"
	if [ -n "$HAVE_STOCK" ]; then
		t_expect_eq "stock fuse (the reference): $1" "$(au_line fuse "$1")" "$2"
	else
		t_note "no stock fuse here: fuse2pt checked alone"
	fi
}

t_start kill-suid-fresh
au_check "suid cached" 4777
au_check "suid after the write" 755
t_pass

t_start kill-suid-sticky
t_expect_eq "fuse2pt: sticky cached" "$(au_line fuse2pt "sticky cached")" 5777
t_expect_eq "fuse2pt: sticky after the write (as tmpfs)" \
	"$(au_line fuse2pt "sticky after the write")" "$LOCAL_STICKY"
[ -n "$HAVE_STOCK" ] &&
	t_note "stock fuse: sticky after the write $(au_line fuse "sticky after the write")"
t_pass

t_start statx-nothing
for type in fuse2pt ${HAVE_STOCK:+fuse}; do
	t_expect_eq "$type: statx mask 0 by uid $U" "$(au_line "$type" "statx mask 0 by uid $U")" \
		"mask=0 dev=$(au_line "$type" "the mount's st_dev")"
done
t_pass
