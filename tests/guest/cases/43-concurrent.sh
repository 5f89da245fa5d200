#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# Concurrency under locks: tests/integrity/concurrent (reader and writer
# processes on one file under F_SETLKW byte-range locks, each record
# checked whole and no update lost; -T one process truncating a second
# file down and up while another reads it through a mapping; -I F_SETLKW
# waits cut short by a timer signal, at least one EINTR wanted) must exit
# 0 on stock fuse and on fuse2pt in each configuration:
#
#   ll-auto, ll-always, ll-never   libfuse's passthrough_ll over a tmpfs,
#                   -o cache=auto|always|never (POSIX locks kernel-local)
#   ll-never-odirect   cache=never and the file opened O_DIRECT (-D), over
#                   a backing filesystem with O_DIRECT (6.1: a scratch ext4)
#                   (before 6.6), since passthrough_ll opens it with the
#                   caller's flags
#   lksrv, lksrv-odirect   tests/servers/lksrv.c, which takes the locks
#                   itself: every F_SETLKW of the run is forwarded, and the
#                   interrupted ones end by INTERRUPT and EINTR
#
#   CC_SECS    seconds per run (2, 10 on a lockdep kernel; 30 with FUSE2PT_LONG=1)
#
# timeout: 300
# timeout-long: 1800
. /tests/lib.sh

CC_SECS=${CC_SECS:-${FUSE2PT_LONG:+30}}
# a debug kernel (lockdep) runs about ten times slower: 2 s saw no lock
# wait at all on the 6.1 debug kernel
[ -e /proc/lockdep ] && CC_SECS=${CC_SECS:-10}
CC_SECS=${CC_SECS:-2}
CC_ARGS=(-r 3 -w 2 -n 32 -t "$CC_SECS" -T -I -v)

# cc_run TYPE NAME PROG CONCURRENT-FLAGS -- SERVER-ARGS...
cc_run() {
	local type=$1 name=$2 prog=$3 mnt back out rc=0 flags=()
	shift 3
	while [ $# -gt 0 ] && [ "$1" != -- ]; do flags+=("$1"); shift; done
	shift
	mnt=$T_WORK/mnt/cc-$name-$type
	back=$T_WORK/ccback-$name-$type
	out=$T_WORK/cc-$name-$type.log
	if [ "$prog" = passthrough_ll ]; then
		mkdir -p "$back"
		if [ "$name" = ll-never-odirect ]; then	# O_DIRECT: ext4 before 6.6
			t_check "backing filesystem for $type with O_DIRECT" t_odirect_mount "$back" 64 ccback || return 1
			t_note "backing filesystem: $T_ODFS"
		else
			t_check "tmpfs for $type" mount -t tmpfs -o size=64m ccback "$back" || return 1
		fi
		set -- -f -o source="$back,$1" "${@:2}"
	fi
	if ! t_mount "$type" "$mnt" "$prog" "$@"; then
		[ "$prog" != passthrough_ll ] || umount "$back"
		return 1
	fi
	timeout -k 5 $((CC_SECS + 120)) "$T_BIN/concurrent" "${CC_ARGS[@]}" "${flags[@]}" \
		-s $((4242 + ${#name})) "$mnt/file" > "$out" 2>&1 || rc=$?
	if [ "$rc" != 0 ] && [ "$type" = fuse ] && cc_stock_data_race "$out"; then
		printf '\n  !!!!!!!! stock fuse on %s (%s) read torn or old records or lost updates (a stock race, not counted): %s !!!!!!!!\n\n' \
			"$(uname -r)" "$name" "$(grep '^concurrent: readers=' "$out")"
		grep -E 'lost update|torn|went back' "$out" | head -n 5 | sed 's/^/  | /'
	elif ! t_expect_eq "concurrent on $type ($name) exit status" "$rc" 0; then
		head -n 30 "$out" | sed 's/^/  | /'
	else
		t_note "$type $name: $(grep '^concurrent:' "$out" | tail -n 1)"
	fi
	t_umount "$mnt"
	if [ "$prog" = lksrv ]; then
		t_note "$type $name: $(grep '^lksrv: getlk=' "${_t_srv_log[$mnt]}")"
		t_check "lksrv saw F_SETLKW waits and interrupts on $type ($name)" \
			grep -Eq '^lksrv: .* waited=[1-9][0-9]* .* eintr=[1-9]' "${_t_srv_log[$mnt]}"
	fi
	[ "$prog" != passthrough_ll ] || t_check "umount backing filesystem of $type" umount "$back"
}

# Stock fuse of recent kernels (seen on 7.3.4 in the guest, 6.18 on the
# build host; not on 6.1 or 6.12) now and then shows a record torn or one
# generation old to a process holding the lock, or loses an update, with
# passthrough_ll cache=auto or cache=always, while fuse2pt passes the same
# runs.  Such a stock run (exit 1 with torn, stale or lost records and
# nothing else wrong: no bad byte past a truncation, no error, no dead or
# hung child) is shown loudly and not counted; any other stock failure is.
cc_stock_data_race() {	# LOG
	local sum
	sum=$(grep '^concurrent: readers=' "$1") || return 1
	case $sum in *" badbytes=0 "*" errors=0 "*) ;; *) return 1 ;; esac
	! grep -v '^concurrent: readers=' "$1" |
		grep -Eq 'killed by signal|hung|reads 0x|: (pread|pwrite|open|fcntl|mmap|ftruncate|F_SETLKW)'
}

for cfg in ll-auto ll-always ll-never ll-never-odirect lksrv lksrv-odirect; do
	t_start "$cfg"
	t_need_bin concurrent || { t_pass; continue; }
	t_need_module || { t_pass; continue; }
	case $cfg in
	ll-*)	t_need_bin passthrough_ll || { t_pass; continue; } ;;
	lksrv*)	t_need_bin lksrv || { t_pass; continue; } ;;
	esac
	for type in fuse fuse2pt; do
		case $cfg in
		ll-auto)	cc_run "$type" "$cfg" passthrough_ll -- cache=auto ;;
		ll-always)	cc_run "$type" "$cfg" passthrough_ll -- cache=always ;;
		ll-never)	cc_run "$type" "$cfg" passthrough_ll -- cache=never ;;
		ll-never-odirect) cc_run "$type" "$cfg" passthrough_ll -D -- cache=never ;;
		lksrv)		cc_run "$type" "$cfg" lksrv -- ;;
		lksrv-odirect)	cc_run "$type" "$cfg" lksrv -D -- ;;
		esac
	done
	t_pass
done
