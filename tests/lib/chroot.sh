# SPDX-License-Identifier: GPL-2.0
# shellcheck shell=bash
# Running commands inside the trixie chroot ($CACHE/trixie).  /proc is
# mounted only while a command runs (objtool and apt need it) and is always
# unmounted again, also when the caller is interrupted.  Source after
# common.sh.

CHROOT=${CHROOT:-$CACHE/trixie}

chroot_umount_all() {	# unmount everything below $CHROOT, deepest first
	local m
	[ -d "$CHROOT" ] || return 0
	for m in $(awk -v r="$CHROOT" '$2 == r || index($2, r "/") == 1 { print $2 }' /proc/mounts | sort -r); do
		umount "$m" 2>/dev/null || umount -l "$m" || true
	done
}

# chroot_run CMD...: run CMD (a shell command line) in the chroot.  Runs
# sharing one chroot (parallel test runs with their own work directories)
# take turns, so that one never unmounts /proc under another.
chroot_run() {
	local rc=0 mounted=0 lock
	exec {lock}>>"$CHROOT.lock"
	flock "$lock"
	if ! mountpoint -q "$CHROOT/proc"; then
		mount -t proc proc "$CHROOT/proc"
		mounted=1
		# only the run that mounted it may take it away
		trap chroot_umount_all EXIT
		trap 'chroot_umount_all; exit 130' INT TERM
	fi
	LC_ALL=C.UTF-8 LANG=C.UTF-8 DEBIAN_FRONTEND=noninteractive \
		PATH=/usr/sbin:/usr/bin:/sbin:/bin HOME=/root \
		chroot "$CHROOT" /bin/bash -c "$*" || rc=$?
	if [ $mounted = 1 ]; then
		umount "$CHROOT/proc" || umount -l "$CHROOT/proc" || true
		trap - EXIT INT TERM
	fi
	exec {lock}>&-
	return $rc
}
