#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# File locks: tests/posix/locks.c (POSIX F_SETLK/F_GETLK conflicts, holder
# reported by F_GETLK, range splitting, upgrades, OFD locks, flock, locks
# released by close and exit, F_SETLKW and flock waits ended by the
# holder's release and by a signal without SA_RESTART (EINTR, nothing
# held afterwards) or with it (the wait goes on), EDEADLK) prints one line
# per check; each configuration runs it on stock fuse and on fuse2pt and
# the two outputs must be the same.
#
#   passthrough_ll  libfuse's example over a tmpfs: it takes no POSIX
#                   locks (the kernel keeps them, local), and flock as
#                   libfuse 3.17 negotiates it for an fs with a flock op
#   lksrv           tests/servers/lksrv.c: takes FUSE_POSIX_LOCKS and
#                   FUSE_FLOCK_LOCKS, so every lock is forwarded as
#                   GETLK/SETLK/SETLKW and kept in the server's table
#                   (SETLKW waits unanswered until the conflict goes or an
#                   INTERRUPT comes); its counts must show the requests
#                   arrived, and equal counts on both kernels where the
#                   program's steps fix them
#   lksrv-noflock   the same server without FUSE_FLOCK_LOCKS: POSIX locks
#                   forwarded, flock kept by the kernel (the flock and
#                   intr groups, which mix the two)
#   lksrv-pidns     the holder pids F_GETLK reports, seen from inside a
#                   new pid namespace (unshare --pid --mount-proc)
#
# timeout: 420
. /tests/lib.sh

LK_GROUPS_PIDNS=getlk,close

# lk_run TYPE NAME FILE-IN-MNT PROG ARGS...: mount, run locks, unmount;
# output in $T_WORK/lk-NAME-TYPE.out, server log in ...srv
lk_run() {
	local type=$1 name=$2 file=$3 prog=$4 mnt back out rc=0 t0=$SECONDS
	shift 4
	mnt=$T_WORK/mnt/lk-$name-$type
	back=$T_WORK/lkback-$name-$type
	out=$T_WORK/lk-$name-$type
	rm -f "$out.out" "$out.srv"
	if [ "$prog" = passthrough_ll ]; then
		mkdir -p "$back"
		t_check "tmpfs for $type" mount -t tmpfs -o size=16m lkback "$back" || return 1
		: > "$back/$file"
		set -- -f -o source="$back" "$@"
	fi
	if ! t_mount "$type" "$mnt" "$prog" "$@"; then
		[ "$prog" != passthrough_ll ] || umount "$back"
		return 1
	fi
	case $name in
	*-pidns)
		timeout -k 5 120 unshare --pid --fork --mount-proc \
			"$T_BIN/locks" -g "$LK_GROUPS_PIDNS" "$mnt/$file" > "$out.out" 2>&1 || rc=$? ;;
	*)
		timeout -k 5 300 "$T_BIN/locks" ${LK_GROUPS:+-g "$LK_GROUPS"} "$mnt/$file" > "$out.out" 2>&1 || rc=$? ;;
	esac
	t_expect_eq "locks exit status on $type ($name)" "$rc" 0 || tail -n 5 "$out.out"
	t_note "$type $name: $(tail -n 1 "$out.out"), $((SECONDS - t0)) s"
	t_umount "$mnt"
	cp "${_t_srv_log[$mnt]}" "$out.srv" 2>/dev/null
	[ "$prog" != passthrough_ll ] || t_check "umount tmpfs of $type" umount "$back"
}

# lk_stat FILE KEY: a count from lksrv's exit line
lk_stat() {
	local line w
	line=$(grep '^lksrv: getlk=' "$1")
	for w in $line; do
		case $w in "$2"=*) echo "${w#*=}"; return ;; esac
	done
	echo missing
}

lk_compare() {	# NAME
	local f=$T_WORK/lk-$1-fuse.out p=$T_WORK/lk-$1-fuse2pt.out
	[ -s "$f" ] && [ -s "$p" ] || { _t_mark_fail "no locks output for $1"; return 1; }
	t_check "locks ran to the end on fuse ($1)" grep -Eq '^locks: [1-9][0-9]* checks$' "$f"
	t_check "locks ran to the end on fuse2pt ($1)" grep -Eq '^locks: [1-9][0-9]* checks$' "$p"
	t_expect_files_eq "locks output, stock fuse (-) vs fuse2pt (+), $1" "$f" "$p"
}

# The server's counts: the lock requests reached it on both kernels.
lk_check_srv() {	# NAME KEYS-THAT-MUST-BE-NONZERO...
	local name=$1 type k v
	shift
	for type in fuse fuse2pt; do
		for k in "$@"; do
			v=$(lk_stat "$T_WORK/lk-$name-$type.srv" "$k")
			case $v in
			''|missing|0) _t_mark_fail "$type ($name): lksrv saw $k=$v, want > 0" ;;
			esac
		done
		v=$(lk_stat "$T_WORK/lk-$name-$type.srv" locks-left)
		t_expect_eq "$type ($name): locks lksrv still held at unmount" "$v" 0
		t_note "$type: $(grep '^lksrv: getlk=' "$T_WORK/lk-$name-$type.srv")"
	done
	# the program's steps fix these
	for k in getlk eintr; do
		t_expect_eq "lksrv's $k count, fuse vs fuse2pt ($name)" \
			"$(lk_stat "$T_WORK/lk-$name-fuse2pt.srv" "$k")" \
			"$(lk_stat "$T_WORK/lk-$name-fuse.srv" "$k")"
	done
}

t_start passthrough_ll
if t_need_bin locks && t_need_bin passthrough_ll && t_need_module; then
	for type in fuse fuse2pt; do lk_run "$type" ptll lockfile passthrough_ll; done
	lk_compare ptll
	t_note "fuse2pt: $(grep -E '^intr\.' "$T_WORK/lk-ptll-fuse2pt.out" | tr '\n' ';')"
fi
t_pass

t_start lksrv
if t_need_bin locks && t_need_bin lksrv && t_need_module; then
	for type in fuse fuse2pt; do lk_run "$type" lksrv file lksrv; done
	lk_compare lksrv
	lk_check_srv lksrv getlk setlk setlkw flock waited granted-later interrupts eintr flush-unlocks release-unlocks
	# forwarded locks reach the same answers as the kernel's own, but for
	# the holder's pid of OFD locks and the deadlock detection
	t_check "lksrv: a SETLKW ended by a signal gets EINTR (fuse2pt)" \
		grep -q '^intr\.[0-9]*: B F_SETLKW, after SIGUSR1: EINTR$' "$T_WORK/lk-lksrv-fuse2pt.out"
	t_check "lksrv: flock(LOCK_EX) ended by a signal gets EINTR (fuse2pt)" \
		grep -q '^intr\.[0-9]*: B LOCK_EX, after SIGUSR1: EINTR$' "$T_WORK/lk-lksrv-fuse2pt.out"
fi
t_pass

t_start lksrv-noflock
if t_need_bin locks && t_need_bin lksrv && t_need_module; then
	for type in fuse fuse2pt; do
		LK_GROUPS=flock,intr lk_run "$type" lksrv-noflock file lksrv noflock
	done
	lk_compare lksrv-noflock
	lk_check_srv lksrv-noflock getlk setlk setlkw interrupts eintr
	for type in fuse fuse2pt; do
		t_expect_eq "$type: flock requests lksrv saw without FLOCK_LOCKS" \
			"$(lk_stat "$T_WORK/lk-lksrv-noflock-$type.srv" flock)" 0
	done
fi
t_pass

t_start lksrv-pidns
if ! command -v unshare > /dev/null; then
	t_skip "unshare (util-linux) is not in the guest: no pid namespace run"
elif t_need_bin locks && t_need_bin lksrv && t_need_module; then
	for type in fuse fuse2pt; do lk_run "$type" lksrv-pidns file lksrv; done
	lk_compare lksrv-pidns
	t_check "pid namespace: F_GETLK names the holder on fuse2pt" \
		grep -q '^getlk\.01: .* pid=A$' "$T_WORK/lk-lksrv-pidns-fuse2pt.out"
fi
t_pass
