#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# mount.fuse2pt as mount(8) runs it: options split between the kernel,
# the helper and the program; setuid=USER; fuse2pt-umount; and bad
# input, which must end in a clear message, a non-zero status and
# nothing mounted.
# timeout: 300
. /tests/lib.sh

ln -sf "$T_BIN/mount.fuse2pt" /usr/sbin/mount.fuse2pt
# mount(8) runs helpers without PATH: programs must be where the helper's
# default search finds them, as packaged ones are
ln -sf "$T_BIN/hello_ll" /usr/local/bin/hello_ll
MNT=$T_WORK/mnt/h
mkdir -p "$MNT" "$T_WORK/src"
echo data > "$T_WORK/src/file"

fuse_mounts() { awk '$3 ~ /^(fuse|fuse2pt)(\.|$)/ { print $2, $3 }' /proc/mounts; }
no_server() { ! pgrep -x "$1" >/dev/null; }

# mount_fails DESC WANT-RE CMD...: CMD fails with a message matching
# WANT-RE and leaves no FUSE mount and no server behind.
mount_fails() {
	local desc=$1 want=$2 out rc=0
	shift 2
	out=$("$@" 2>&1) || rc=$?
	t_note "$desc: status $rc: $out"
	if [ $rc = 0 ]; then
		t_fail "$desc: succeeded: $*"
		umount -l "$MNT" 2>/dev/null
		return
	fi
	grep -Eq "$want" <<< "$out" || _t_mark_fail "$desc: message '$out' does not match /$want/"
	[ -z "$(fuse_mounts)" ] || _t_mark_fail "$desc: left mounted: $(fuse_mounts | tr '\n' ' ')"
	t_wait_for 10 no_server bindfs
	t_check "$desc: no bindfs left running" no_server bindfs
	t_pass
}

t_start options-split
if t_need_module && t_check "mount -t fuse2pt.bindfs" mount -t fuse2pt.bindfs \
	-o allow_other,default_permissions,ro,max_read=65536,force-user=nobody,nofail,x-test.opt \
	"$T_WORK/src" "$MNT"; then
	line=$(awk -v m="$MNT" '$2 == m' /proc/mounts)
	t_note "$line"
	t_expect_eq "type" "$(awk '{ print $3 }' <<< "$line")" fuse2pt.bindfs
	t_expect_eq "source" "$(awk '{ print $1 }' <<< "$line")" "$T_WORK/src"
	for o in ro nosuid nodev user_id=0 group_id=0 allow_other default_permissions max_read=65536; do
		t_check "kernel option $o" grep -Eq "[ ,]$o[ ,]" <<< "$line"
	done
	t_expect_eq "program option force-user reached bindfs" "$(stat -c %U "$MNT/file")" nobody
	t_expect_eq "content" "$(cat "$MNT/file")" data
	t_check_fails "read-only" touch "$MNT/new"
	t_check "fuse2pt-umount" "$T_BIN/fuse2pt-umount" "$MNT"
	t_wait_for 20 no_server bindfs
	t_check "bindfs exited" no_server bindfs
fi
t_pass

t_start source-hash-form
if t_check "mount -t fuse2pt bindfs#SRC" mount -t fuse2pt "bindfs#$T_WORK/src" "$MNT"; then
	# type and source as written, like fuse's PROG#SOURCE
	t_expect_eq "type" "$(t_mount_type "$MNT")" fuse2pt
	t_expect_eq "source" "$(findmnt -n -o SOURCE "$MNT")" "bindfs#$T_WORK/src"
	t_expect_eq "content" "$(cat "$MNT/file")" data
	t_check "umount" umount "$MNT"
	t_wait_for 20 no_server bindfs
fi
t_pass

t_start setuid-user
if t_check "mount -o setuid=nobody,allow_other" \
	mount -t fuse2pt.hello_ll -o setuid=nobody,allow_other none "$MNT"; then
	pid=$(pgrep -x hello_ll | head -n1)
	t_expect_eq "hello_ll runs as" "$(ps -o user= -p "$pid" 2>/dev/null | tr -d ' ')" nobody
	t_check "user_id is nobody's" grep -Eq " $MNT fuse2pt.hello_ll .*user_id=65534," /proc/mounts
	t_expect_eq "content" "$(cat "$MNT/hello")" "Hello World!"
	t_check "umount" umount "$MNT"
	t_wait_for 20 no_server hello_ll
	t_check "hello_ll exited" no_server hello_ll
fi
t_pass

t_start umount-refuses-other-types
mount -t tmpfs tmpfs "$MNT"
t_check_fails "fuse2pt-umount on a tmpfs" "$T_BIN/fuse2pt-umount" "$MNT"
t_expect_eq "tmpfs still mounted" "$(t_mount_type "$MNT")" tmpfs
umount "$MNT"
t_check_fails "fuse2pt-umount on nothing mounted" "$T_BIN/fuse2pt-umount" "$MNT"
t_pass

# --- bad input ---
t_start bad-unknown-type
mount_fails "unknown type" "unknown type 'fuse2ptx'" mount.fuse2pt -t fuse2ptx "$T_WORK/src" "$MNT"
t_start bad-missing-program
mount_fails "missing program" "program 'no-such-fs' not found" \
	mount -t fuse2pt.no-such-fs "$T_WORK/src" "$MNT"
t_start bad-no-program-in-source
mount_fails "type fuse2pt without PROG#" "needs the program in the source" \
	mount -t fuse2pt "$T_WORK/src" "$MNT"
t_start bad-option-number
mount_fails "max_read=lots" "bad option 'max_read=lots'" \
	mount -t fuse2pt.bindfs -o max_read=lots "$T_WORK/src" "$MNT"
t_start bad-option-reserved
mount_fails "user_id=5" "user_id is set by mount.fuse2pt" \
	mount -t fuse2pt.bindfs -o user_id=5 "$T_WORK/src" "$MNT"
t_start bad-option-noname
mount_fails "option without a name" "bad option '=x'" \
	mount.fuse2pt -t fuse2pt.bindfs -o '=x' "$T_WORK/src" "$MNT"
t_start bad-option-value
mount_fails "allow_other=yes" "bad option 'allow_other=yes': takes no value" \
	mount -t fuse2pt.bindfs -o allow_other=yes "$T_WORK/src" "$MNT"
t_start bad-option-user
mount_fails "setuid=unknown user" "no such user" \
	mount -t fuse2pt.bindfs -o setuid=no-such-user "$T_WORK/src" "$MNT"
t_start bad-option-program-rejects
mount_fails "an option bindfs does not know" "bindfs exited with status|not mounted" \
	mount -t fuse2pt.bindfs -o no-such-bindfs-option "$T_WORK/src" "$MNT"
t_start bad-mountpoint
mount_fails "mount point missing" "mount point .*/no/such/dir: No such file or directory" \
	mount.fuse2pt -t fuse2pt.bindfs "$T_WORK/src" "$T_WORK/no/such/dir"

t_start bad-module-not-loaded
if t_need_module && t_check "rmmod fuse2pt" rmmod fuse2pt; then
	# no /lib/modules in the guest: modprobe cannot help
	mount_fails "module not loaded" "fuse2pt module is not loaded and 'modprobe fuse2pt' failed" \
		mount -t fuse2pt.bindfs "$T_WORK/src" "$MNT"
	insmod "$T_MOD" && t_wait_for 5 test -c /dev/fuse2pt
else
	t_pass
fi
t_start helper-works-after-reload
if t_need_module && t_check "mount after reload" mount -t fuse2pt.bindfs "$T_WORK/src" "$MNT"; then
	t_expect_eq "content" "$(cat "$MNT/file")" data
	t_check "umount" umount "$MNT"
	t_wait_for 20 no_server bindfs
fi
t_pass
