#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# timeout: 300
#
# What a caller may ask of a FUSE server on its behalf, and what a server
# may learn of the kernel, on fuse2pt and on stock fuse (the reference).
# privsrv (tests/servers/privsrv.c) serves /file and /dir (uid 1000's) and
# /rootfile (root's), all mode 0666/0777, answers the file attribute
# ioctls from a table and logs each one it gets with the caller's uid,
# and logs the lock_owner of every lock request, FLUSH and RELEASE.
#
#   fileattr        on an allow_other mount, privop (tests/servers/privop.c)
#                   run as uid 2000 (no owner), uid 1000 (the owner), root
#                   without CAP_LINUX_IMMUTABLE and root: FS_IOC_SETFLAGS
#                   and FS_IOC_FSSETXATTR by a non-owner fail EPERM, the
#                   immutable and append-only flags need CAP_LINUX_IMMUTABLE
#                   (EPERM for the owner), other flags are the owner's to
#                   change, getting them is anybody's; EROFS on a read-only
#                   bind mount; the same through file_getattr/file_setattr
#                   where the kernel has them (6.17; ENOSYS elsewhere).  The
#                   server must see no change that failed.
#   fileattr-deny   a mount without allow_other: another user's
#                   file_getattr of its root (no open needed) gets EACCES
#                   from fuse2pt, file_setattr EACCES or EPERM (the VFS's
#                   owner check may come first), and the server hears
#                   nothing (6.17)
#   lock-owners     one process locks a file on two mounts of privsrv, a
#                   child of it (alive meanwhile) on one of them: the
#                   lock_owner of one process' POSIX locks is the same in
#                   SETLK and FLUSH, a flock()'s the same in SETLK and
#                   RELEASE, two processes differ, and one process' owner
#                   differs between the two connections (the kernel
#                   pointer behind it is hashed with a key of each
#                   connection)
#
# Each user-visible result and the changes the server saw must be the
# same on both; where fuse2pt is stricter a comment says so.
. /tests/lib.sh

PV_TIMEOUT=30

pv_res() { echo "$T_WORK/pv-$1-$2.res"; }	# KIND TEST

# pv_op RES LABEL WHO ARGS...: privop ARGS as WHO (a uid, root or
# root-noimm: root without CAP_LINUX_IMMUTABLE); "LABEL: output" to RES
pv_op() {
	local res=$1 label=$2 who=$3 out
	shift 3
	case $who in
	root)	out=$(timeout -s KILL $PV_TIMEOUT "$T_BIN/privop" "$@" 2>&1) ;;
	root-noimm)
		out=$(timeout -s KILL $PV_TIMEOUT setpriv --inh-caps=-linux_immutable \
			--bounding-set=-linux_immutable "$T_BIN/privop" "$@" 2>&1) ;;
	*)	out=$(timeout -s KILL $PV_TIMEOUT setpriv --reuid="$who" --regid="$who" \
			--clear-groups "$T_BIN/privop" "$@" 2>&1) ;;
	esac
	echo "$label: $(printf '%s' "$out" | paste -sd/)" >> "$res"
}

# the changes that reached the server, in order
pv_sets() {	# LOG
	grep -E '^privsrv: ioctl (SETFLAGS|FSSETXATTR) ' "$1" | sed 's/^privsrv: /server: /'
}

pv_fileattr() {	# KIND
	local k=$1 mnt=$T_WORK/mnt/pv-$1 ro=$T_WORK/mnt/pv-$1-ro res log
	res=$(pv_res "$k" fileattr)
	: > "$res"
	T_MOUNT_OPTS=allow_other t_mount "$k" "$mnt" privsrv owner=1000 || return 1
	log=${_t_srv_log[$mnt]}
	# not the owner: may look, may not change
	pv_op "$res" other-get 2000 getflags "$mnt/file"
	pv_op "$res" other-immutable 2000 setflags "$mnt/file" 0x10
	pv_op "$res" other-nodump 2000 setflags "$mnt/file" 0x40
	pv_op "$res" other-x-immutable 2000 fssetxattr "$mnt/file" 0x8
	pv_op "$res" other-x-noatime 2000 fssetxattr "$mnt/file" 0x40
	pv_op "$res" other-dir 2000 setflags "$mnt/dir" 0x40
	# the owner: not the immutable or append-only flag
	pv_op "$res" owner-immutable 1000 setflags "$mnt/file" 0x10
	pv_op "$res" owner-append 1000 setflags "$mnt/file" 0x20
	pv_op "$res" owner-nodump 1000 setflags "$mnt/file" 0x40
	pv_op "$res" owner-get 1000 getflags "$mnt/file"
	pv_op "$res" owner-x-immutable 1000 fssetxattr "$mnt/file" 0x88
	pv_op "$res" owner-x-nodump-noatime 1000 fssetxattr "$mnt/file" 0xc0
	pv_op "$res" owner-x-get 1000 fsgetxattr "$mnt/file"
	pv_op "$res" owner-dir 1000 setflags "$mnt/dir" 0x40
	pv_op "$res" owner-rootfile 1000 setflags "$mnt/rootfile" 0x40
	# root without CAP_LINUX_IMMUTABLE is an owner like any other
	pv_op "$res" noimm-immutable root-noimm setflags "$mnt/file" 0x50
	pv_op "$res" noimm-clear root-noimm setflags "$mnt/file" 0
	pv_op "$res" root-immutable root setflags "$mnt/file" 0x10
	pv_op "$res" root-get root getflags "$mnt/file"
	pv_op "$res" owner-unset-immutable 1000 setflags "$mnt/file" 0
	pv_op "$res" root-clear root setflags "$mnt/file" 0
	# a read-only mount of it
	mkdir -p "$ro"
	if mount --bind "$mnt" "$ro" && mount -o remount,bind,ro "$ro"; then
		pv_op "$res" ro-root root setflags "$ro/file" 0x40
		pv_op "$res" ro-get root getflags "$ro/file"
		umount "$ro"
	else
		_t_mark_fail "$k: no read-only bind mount of $mnt"
	fi
	# without an open file (6.17's system calls)
	pv_op "$res" sys-other-get 2000 fgetattr "$mnt/file"
	pv_op "$res" sys-other-immutable 2000 fsetattr "$mnt/file" 0x8
	pv_op "$res" sys-other-nodump 2000 fsetattr "$mnt/file" 0x80
	pv_op "$res" sys-owner-immutable 1000 fsetattr "$mnt/file" 0x8
	pv_op "$res" sys-owner-nodump 1000 fsetattr "$mnt/file" 0x80
	pv_op "$res" sys-root-immutable root fsetattr "$mnt/file" 0x8
	pv_op "$res" sys-root-get root fgetattr "$mnt/file"
	pv_op "$res" sys-root-clear root fsetattr "$mnt/file" 0
	t_umount "$mnt"
	pv_sets "$log" >> "$res"
}

pv_want() {	# KIND LABEL PATTERN
	local line
	line=$(grep -E "^$2: " "$(pv_res "$1" fileattr)")
	[[ $line =~ $3 ]] || _t_mark_fail "$1: $2: got '$line', want /$3/"
}

pv_fileattr_assert() {	# KIND
	local k=$1 res l
	res=$(pv_res "$k" fileattr)
	for l in other-immutable other-nodump other-x-immutable other-x-noatime \
		 other-dir owner-immutable owner-append owner-x-immutable \
		 owner-rootfile noimm-immutable owner-unset-immutable; do
		pv_want "$k" $l '^[^ ]+ err=EPERM$'
	done
	for l in owner-nodump owner-x-nodump-noatime owner-dir noimm-clear \
		 root-immutable root-clear; do
		pv_want "$k" $l '^[^ ]+ ret=0$'
	done
	pv_want "$k" other-get 'ret=0 flags=0x0$'
	pv_want "$k" owner-get 'ret=0 flags=0x40$'
	pv_want "$k" owner-x-get 'ret=0 xflags=0xc0 '
	pv_want "$k" root-get 'ret=0 flags=0x10$'
	pv_want "$k" ro-root 'err=EROFS$'
	if grep -q '^sys-root-get: err=ENOSYS$' "$res"; then
		t_note "$k: no file_getattr/file_setattr in this kernel"
	else
		pv_want "$k" sys-other-get 'ret=0 xflags=0x0$'
		for l in sys-other-immutable sys-other-nodump sys-owner-immutable; do
			pv_want "$k" $l '^[^ ]+ err=EPERM$'
		done
		for l in sys-owner-nodump sys-root-immutable sys-root-clear; do
			pv_want "$k" $l '^[^ ]+ ret=0$'
		done
		pv_want "$k" sys-root-get 'ret=0 xflags=0x8$'
	fi
	! grep -E '^server: .* uid=2000 ' "$res" ||
		_t_mark_fail "$k: a change by uid 2000 (not the owner) reached the server"
	# the owner never got the immutable or append-only flag to the server
	while read -r _ _ cmd _ _ _ v _; do
		v=${v#value=}
		case $cmd in
		SETFLAGS) (( v & 0x30 )) ;;
		*) (( v & 0x18 )) ;;
		esac && _t_mark_fail "$k: uid 1000 (no CAP_LINUX_IMMUTABLE) got $cmd $v to the server"
	done < <(grep -E '^server: .* uid=1000 ' "$res")
}

# ---- fileattr-deny: a mount only its owner uses ----

pv_deny() {	# KIND
	local k=$1 mnt=$T_WORK/mnt/pvd-$1 res log
	res=$(pv_res "$k" deny)
	: > "$res"
	t_mount "$k" "$mnt" privsrv owner=1000 || return 1
	log=${_t_srv_log[$mnt]}
	pv_op "$res" other-root-get 2000 fgetattr "$mnt"
	pv_op "$res" other-root-set 2000 fsetattr "$mnt" 0x80
	t_umount "$mnt"
	echo "server-ioctls: $(grep -c '^privsrv: ioctl ' "$log")" >> "$res"
}

# ---- lock-owners ----

# pv_owner LOG OP PID|fh=F: the first owner OP logged for that pid or fh
pv_owner() {
	local sel=$3
	case $sel in fh=*) ;; *) sel="pid=$sel" ;; esac
	grep -E "^privsrv: owner $2 .* $sel( |$)" "$1" | head -n 1 | sed -n 's/.* owner=\(0x[0-9a-f]*\)$/\1/p'
}

pv_owners() {	# KIND
	local k=$1 a=$T_WORK/mnt/pvo-$1-a b=$T_WORK/mnt/pvo-$1-b loga logb
	local out p1 p2 o1a o1b o2a fl1a fh rel
	t_mount "$k" "$a" privsrv || return 1
	loga=${_t_srv_log[$a]}
	if ! t_mount "$k" "$b" privsrv; then
		t_umount "$a"
		return 1
	fi
	logb=${_t_srv_log[$b]}
	out=$(timeout -s KILL $PV_TIMEOUT "$T_BIN/privop" locks "$a/file" "$b/file" 2>&1)
	t_umount "$a"
	t_umount "$b"
	t_expect_eq "$k: privop locks" "$(echo "$out" | tail -n 1)" ret=0
	p1=$(echo "$out" | sed -n 's/^pid1=//p')
	p2=$(echo "$out" | sed -n 's/^pid2=//p')
	o1a=$(pv_owner "$loga" setlk "$p1")
	o1b=$(pv_owner "$logb" setlk "$p1")
	o2a=$(pv_owner "$loga" setlk "$p2")
	fl1a=$(pv_owner "$loga" flock "$p1")
	fh=$(grep -E "^privsrv: owner flock .* pid=$p1 " "$loga" | head -n 1 | sed -n 's/.* fh=\([0-9]*\) .*/\1/p')
	rel=$(pv_owner "$loga" release "fh=$fh")
	t_note "$k: process 1 on A: setlk $o1a flush $(pv_owner "$loga" flush "$p1") flock $fl1a release $rel; on B: setlk $o1b; process 2 on A: setlk $o2a"
	[ -n "$o1a" ] && [ -n "$o1b" ] && [ -n "$o2a" ] && [ -n "$fl1a" ] ||
		{ _t_mark_fail "$k: lock owners missing from the server's logs"; return 1; }
	t_expect_eq "$k: a process' POSIX lock owner in FLUSH, as in SETLK" \
		"$(pv_owner "$loga" flush "$p1")" "$o1a"
	t_expect_eq "$k: a flock()'s owner in RELEASE, as in SETLK" "$rel" "$fl1a"
	[ "$o1a" != "$o2a" ] || _t_mark_fail "$k: two processes have the same lock owner $o1a"
	[ "$fl1a" != "$o1a" ] || _t_mark_fail "$k: an open file's flock owner is its process' POSIX owner $o1a"
	[ "$o1a" != "$o1b" ] ||
		_t_mark_fail "$k: one process has the same lock owner $o1a on two connections (one key for all connections)"
}

pv_have_stock() {
	[ -c /dev/fuse ] || modprobe fuse 2>/dev/null
	[ -c /dev/fuse ] && grep -qw fuse /proc/filesystems
}

pv_compare() {	# TEST
	local a b
	a=$(pv_res fuse2pt "$1")
	b=$(pv_res fuse "$1")
	if ! cmp -s "$b" "$a"; then
		diff -u --label "stock fuse" --label fuse2pt "$b" "$a"
		_t_mark_fail "$1: results differ from stock fuse: $(diff "$b" "$a" | grep '^[<>]' | paste -sd' ')"
	fi
}

pv_start() {	# TEST
	t_start "$1"
	t_need_module || return 1
	t_need_bin privsrv && t_need_bin privop || return 1
	command -v setpriv > /dev/null || { t_fail "setpriv (util-linux) is not in the guest"; return 1; }
	pv_have_stock || { t_fail "stock fuse is missing: nothing to compare with"; return 1; }
}

if pv_start fileattr; then
	for k in fuse2pt fuse; do
		pv_fileattr "$k" || continue
		if [ "$k" = fuse ] && ! t_kernel_at_least 5.13; then
			t_note "stock fuse of $(uname -r) has no fileattr operations (5.13): FS_IOC_SETFLAGS and FS_IOC_FSSETXATTR reach its server unchecked, so a user who does not own the file may set the immutable flag there; fuse2pt checks them (asserted above). Stock's results are shown, not asserted or compared:"
			sed 's/^/  |   /' "$(pv_res fuse fileattr)"
		else
			pv_fileattr_assert "$k"
		fi
	done
	t_kernel_at_least 5.13 && pv_compare fileattr
	t_note "fuse2pt results:"
	sed 's/^/  |   /' "$(pv_res fuse2pt fileattr)"
	t_pass
fi

if pv_start fileattr-deny; then
	for k in fuse2pt fuse; do pv_deny "$k"; done
	res=$(pv_res fuse2pt deny)
	if grep -q '^other-root-get: err=ENOSYS$' "$res"; then
		t_note "no file_getattr/file_setattr in this kernel: nothing to ask without an open file"
	else
		grep -qx 'other-root-get: err=EACCES' "$res" ||
			_t_mark_fail "fuse2pt: file_getattr by a user the mount does not allow: $(grep other-root-get "$res")"
		# the VFS's owner check may refuse first (EPERM: root's)
		grep -qxE 'other-root-set: err=(EACCES|EPERM)' "$res" ||
			_t_mark_fail "fuse2pt: file_setattr by a user the mount does not allow: $(grep other-root-set "$res")"
		grep -qx 'server-ioctls: 0' "$res" ||
			_t_mark_fail "fuse2pt: a user the mount does not allow reached the server: $(grep server-ioctls "$res")"
	fi
	# older stock kernels open the file for the server without asking
	t_note "stock fuse: $(paste -sd' ' "$(pv_res fuse deny)")"
	t_pass
fi

if pv_start lock-owners; then
	for k in fuse2pt fuse; do pv_owners "$k"; done
	t_pass
fi
