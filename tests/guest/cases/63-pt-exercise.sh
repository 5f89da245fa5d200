#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
# timeout: 500
# timeout-long: 7200
#
# Data integrity over passthrough: the exerciser (tests/integrity/
# exercise.c) on passthrough files with every operation it has (mmap,
# splice, sendfile, fallocate, truncate, reopen), with O_DIRECT (the
# source is ext4 where tmpfs has none), and with the open mode changing
# under it between passthrough, PASSTHROUGH|DIRECT_IO and direct io at
# every reopen.  On fuse2pt, and on stock fuse as the reference where it
# has passthrough.

. "$(dirname "${BASH_SOURCE[0]}")/../lib.sh"
. "$(dirname "${BASH_SOURCE[0]}")/60-pt.lib"

EX=/opt/fuse2pt/bin/exercise
# operations per exerciser run: the numbers below, or 100,000 each in the
# long run (FUSE2PT_LONG=1)
PX_OPS=${PX_OPS:-${FUSE2PT_LONG:+100000}}

# flip_modes MODES...: change the open mode every 0.1 s until killed
flip_modes() {
	local i=0 modes=("$@")
	while :; do
		echo "${modes[$((i % ${#modes[@]}))]}" > "$PTC_MODE"
		i=$((i + 1))
		t_nap 0.1
	done
}

exercise_suite() {
	local type=$1 m r flipper
	ptc_source
	t_start "$type:mount"
	ptc_mount "$type" || return
	ptc_have_pt "$type" || { ptc_skip_umount "$type"; return; }
	t_pass
	m=$PTC_MNT

	t_start "$type:exercise"
	t_need_bin exercise
	t_check "exercise, all ops" $EX -s 1 -n "${PX_OPS:-3000}" "$m/ex1"
	t_check "exercise, mmap and splice only" $EX -s 2 -n "${PX_OPS:-2000}" -O none,read,write,mmap,splice,trunc "$m/ex2"
	t_expect_eq "READ/WRITE requests" "$(ptc_rw)" "0 0"
	t_pass

	t_start "$type:exercise-odirect"
	r=$(ptc_err dd if=/dev/zero of="$T_SRC/odirect-probe" bs=4096 count=1 oflag=direct status=none)
	if [ "$r" = ok ]; then
		: > "$m/ex3"; : > "$m/ex3.src"	# O_CREAT|O_DIRECT is 60-pt-io's business
		t_check "exercise -D" $EX -s 3 -n "${PX_OPS:-1500}" -D "$m/ex3"
		t_expect_eq "READ/WRITE requests" "$(ptc_rw)" "0 0"
		t_pass
	else
		t_skip "the backing filesystem ($T_ODFS) on $(uname -r) has no O_DIRECT ($r)"
	fi

	t_start "$type:exercise-mixed-opens"
	# Stock fuse's splice into a direct-io file locks the pipe, then the
	# inode; its passthrough write holds the inode, then the backing
	# file system's freeze protection; a splice into a file there holds
	# that, then the pipe: lockdep reports the circle (a real deadlock,
	# 65-pt-splice-freeze), and checks nothing more after its first
	# report.  fuse2pt takes the inode first.
	if [ "$type" = fuse ] && [ -e /proc/lockdep ]; then
		t_skip "NOT RUN on stock fuse under lockdep: its splice into a direct-io file locks the pipe before the inode, a lockdep report against its passthrough write (stock's; 65-pt-splice-freeze)"
		exercise_suite_end
		return
	fi
	flip_modes pt ptdio pt dio &
	flipper=$!
	if [ "$type" = fuse ]; then
		# Stock fuse is the reference here, not the subject: once (6.12,
		# a full run on 2026-11-27) its spliceread after an unsynced mmap write
		# in this run returned zeros for part of the written range.
		# Until that is understood, a failure of stock fuse is shown
		# and reported as a skip, never as a pass.
		if ! $EX -s 4 -n "${PX_OPS:-3000}" -k 50 "$m/ex4"; then
			kill "$flipper"
			wait "$flipper" 2>/dev/null
			ptc_mode pt
			t_skip "stock fuse on $(uname -r) failed the mixed-opens exerciser (output above): no reference for this run"
			exercise_suite_end
			return
		fi
	else
		t_check "exercise, open mode changing at each reopen" $EX -s 4 -n "${PX_OPS:-3000}" -k 50 "$m/ex4"
	fi
	kill "$flipper"
	wait "$flipper" 2>/dev/null
	ptc_mode pt
	ptc_check_balance
	t_pass
	exercise_suite_end
}

exercise_suite_end() {
	t_start "$type:umount"
	t_umount "$PTC_MNT"
	t_pass
}

for type in $(ptc_types); do
	exercise_suite "$type"
done
