#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# timeout: 150
#
# What waits for parallel direct writers (FOPEN_PARALLEL_DIRECT_WRITES),
# issue 17 item 12, with stallsrv (tests/servers/stallsrv.c):
#
#   mmap-while-writing  a shared mmap of a direct-io file (with
#       DIRECT_IO_ALLOW_MMAP) made while a parallel write of the same
#       process is out returns at once, and the write, whose second chunk
#       faults (which takes mmap_lock), ends with the right data
#       (tests/life/diomap.c; every WRITE answered after 1.5 s).  When
#       ->mmap waited for the writers with mmap_lock held for write, the
#       two threads hung in D state until the process was killed.
#       fuse2pt only: stock fuse 6.12 and 7.3 wait in ->mmap the same way
#       (fuse_file_cached_io_open) and hang here too, and stock 6.1 has no
#       DIRECT_IO_ALLOW_MMAP.  FUSE2PT_SUB=mmap-while-writing-stock runs
#       stock as well (and fails there), not run otherwise.
#   open-killable  an open without FOPEN_DIRECT_IO waits for the parallel
#       writes running (the server holds one forever: stall=write), and
#       dies at once on SIGKILL.  Stock fuse's open waits uninterruptibly
#       (6.9 on) or not at all (6.1): it is run for a note, not compared.
. /tests/lib.sh
. /tests/lifelib.sh

DM_DELAY=1500		# ms before each WRITE is answered
DM_CHUNK=65536		# stallsrv's max_write

dm_wchans() {	# PID: where its threads sleep
	local t w
	for t in /proc/$1/task/*; do
		w=""
		read -r w < "$t/wchan" 2> /dev/null
		printf '%s ' "${w:-?}"
	done
}

# dm_run TYPE: one diomap run on a fresh mount; its output in
# $T_WORK/dm-TYPE.out, its exit status in DM_RC (124: stuck, survived
# SIGKILL)
dm_run() {
	local type=$1 mnt=$T_WORK/mnt/diomap-$1 out=$T_WORK/dm-$1.out p
	DM_RC=2
	t_mount "$type" "$mnt" stallsrv dio pdw allow_mmap wdelay=$DM_DELAY || return 1
	"$T_BIN/diomap" "$mnt/file" $DM_CHUNK $DM_DELAY "$(life_srv_log "$mnt")" \
		> "$out" 2>&1 &
	p=$!
	# it gives up by itself after 2 * 1.5 + 15 s
	if life_gone $p 40; then
		DM_RC=0
		wait $p || DM_RC=$?
	else
		DM_RC=124
		echo "diomap stuck, its threads in: $(dm_wchans $p)" >> "$out"
		kill -KILL $p
	fi
	sed "s/^/  | diomap on $type: /" "$out"
	if [ $DM_RC = 124 ]; then
		kill -KILL "$T_SRV_PID"
		life_forget_srv "$mnt"
		timeout 20 umount -l "$mnt"
	else
		t_umount "$mnt"
	fi
}

# dm_test TYPE: diomap until it can tell (3 tries), and its verdict
dm_test() {
	local type=$1 try out=$T_WORK/dm-$1.out
	for try in 1 2 3; do
		dm_run "$type" || return
		[ $DM_RC = 3 ] || break
		t_note "try $try was inconclusive: again"
	done
	case $DM_RC in
	0)	t_expect_eq "$type: the shared mmap did not wait for the write" \
			"$(grep '^mapped-while-writing' "$out")" "mapped-while-writing yes" ;;
	1)	_t_mark_fail "$type: diomap: $(grep -v '^written\|^mapped' "$out" | head -n 1)" ;;
	3)	_t_mark_fail "$type: the mmap never came inside the first WRITE (3 tries): cannot tell" ;;
	124)	_t_mark_fail "$type: diomap survived SIGKILL: $(tail -n 1 "$out")" ;;
	*)	_t_mark_fail "$type: diomap status $DM_RC: $(head -n 1 "$out")" ;;
	esac
}

t_start mmap-while-writing
t_need_bin diomap && t_need_bin stallsrv || t_die "cannot run without these"
dm_test fuse2pt
t_pass

# Stock fuse (6.9 and later) hangs here until diomap gives up: only when
# asked for by name, FUSE2PT_SUB=mmap-while-writing-stock.
if [ "${FUSE2PT_SUB:-}" = mmap-while-writing-stock ]; then
	t_start mmap-while-writing-stock
	if [ -c /dev/fuse ] && t_kernel_at_least 6.6; then
		dm_test fuse
		t_pass
	else
		t_skip "stock fuse of $(uname -r) has no DIRECT_IO_ALLOW_MMAP (6.6 on)"
	fi
fi

# ok_blocked_in_open PID: PID sleeps in open/openat
ok_blocked_in_open() {
	local nr=""
	read -r nr _ < "/proc/$1/syscall" 2> /dev/null
	[ "$nr" = 257 ] || [ "$nr" = 2 ]
}

# ok_run TYPE: what became of the open, in $T_WORK/ok-TYPE.res
ok_run() {
	local type=$1 mnt=$T_WORK/mnt/ok-$1 w o="" out=$T_WORK/ok-$1.out
	local res=$T_WORK/ok-$1.res
	: > "$res"
	t_mount "$type" "$mnt" stallsrv diowrite pdw stall=write || return 1
	# inside the file: a parallel write, held by the server
	dd if=/dev/zero of="$mnt/file" bs=4096 count=1 conv=notrunc status=none 2> /dev/null &
	w=$!
	if life_wait_log "$mnt" 1 '^STALL write'; then
		"$T_BIN/pttool" open "$mnt/file" ro > "$out" 2>&1 &
		o=$!
		# still waiting a second later: not some other open
		if t_wait_for 10 ok_blocked_in_open $o && t_nap 1 &&
		   ok_blocked_in_open $o; then
			kill -KILL $o
			if life_gone $o 3; then
				echo "the waiting open died on SIGKILL" >> "$res"
			else
				echo "the waiting open survived SIGKILL for 3 s" >> "$res"
			fi
		else
			echo "the open did not wait: $(cat "$out")" >> "$res"
		fi
	fi
	# the server's death ends the held WRITE, and with it any wait
	kill -KILL "$T_SRV_PID"
	life_forget_srv "$mnt"
	life_gone $w 10 || kill -KILL $w
	if [ -n "$o" ] && ! life_gone $o 10; then
		echo "the open is still there after the server died" >> "$res"
		kill -KILL $o
	fi
	life_gone $w 5 && wait $w 2> /dev/null
	[ -n "$o" ] && life_gone $o 5 && wait $o 2> /dev/null
	t_check "$type: umount" timeout 30 umount "$mnt"
}

t_start open-killable
t_need_bin pttool || t_die "cannot run without pttool"
ok_run fuse2pt
t_expect_eq "fuse2pt" "$(cat "$T_WORK/ok-fuse2pt.res")" "the waiting open died on SIGKILL"
if [ -c /dev/fuse ]; then
	ok_run fuse
	t_note "stock fuse $(uname -r): $(tr '\n' ' ' < "$T_WORK/ok-fuse.res")"
fi
t_pass
