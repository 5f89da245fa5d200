#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
# timeout: 400
#
# The lock order of a splice into a file, against a freeze of the
# passthrough backing file system (tests/passthrough/splicefreeze.c tells
# the story).  A passthrough write holds the FUSE inode, then the backing
# file system's freeze protection; any splice into a file there holds
# that protection, then the pipe.  A splice into a FUSE file that locked
# the pipe before the inode (a plain iter_file_splice_write) closed the
# circle: with a freeze pending, five tasks stuck for good (lockdep on the
# 6.12 debug kernel found it in 63-pt-exercise).  fuse2pt takes the inode
# first, and waits for an empty pipe without it (spliceempty.c).  Stock
# fuse has the old order: it is not run here, the guest would not come
# back.

. "$(dirname "${BASH_SOURCE[0]}")/../lib.sh"
. "$(dirname "${BASH_SOURCE[0]}")/60-pt.lib"

SF=/opt/fuse2pt/bin/splicefreeze
SE=/opt/fuse2pt/bin/spliceempty
# the steps' spacing: the debug kernels are several times slower
PAUSE=1000
[[ $(uname -r) == *f2pdebug* ]] && PAUSE=4000

# run_sf INTO: splicefreeze with A splicing into the INTO (pt, ptdio)
# file; true when every task ended with the data right.  A deadlock
# leaves tasks stuck for good: their stacks are shown, and the program
# (whose exit may hang closing its files) is not waited for.
run_sf() {
	local into=$1 log=$T_WORK/sf-$1.log pid p t
	head -c 12288 /dev/zero > "$T_SRC/f-$into"
	"$SF" "$PTC_MODE" "$PTC_MNT/f-$into" "$T_SRC" "$PAUSE" "$into" > "$log" 2>&1 &
	pid=$!
	t_wait_for $((PAUSE * 50 / 1000)) \
		bash -c "grep -q '^RESULT:' '$log' || ! kill -0 $pid 2> /dev/null"
	sed 's/^/  | /' "$log"
	if ! grep -q '^RESULT:' "$log"; then
		t_note "no RESULT from splicefreeze; kernel stacks:"
		for p in $(pgrep -x splicefreeze) $(pgrep -x ptsrv); do
			for t in /proc/"$p"/task/*; do
				t_note "${t#/proc/} $(cat "$t/comm") $(tr '\n' ' ' < "$t/stack")"
			done
		done
		return 1
	fi
	grep -q '^RESULT: all ended, data right' "$log"
}

t_start fuse2pt:mount
t_need_module || t_die "no fuse2pt module"
mountpoint -q "$T_SRC" && umount "$T_SRC"
t_ext4_mount "$T_SRC" 64 || t_die "no ext4 to freeze (t_ext4_mount)"
# the server sits on every WRITE until the other four steps are queued
ptc_mount fuse2pt --write-delay $((8 * PAUSE)) || t_die "ptsrv did not mount"
ptc_have_pt fuse2pt || t_die "no passthrough"
t_pass

# A's write goes to the server (PASSTHROUGH|DIRECT_IO)
t_start fuse2pt:splice-ptdio-then-freeze
t_check "splicefreeze ptdio: every task ended, data right" run_sf ptdio
ptc_stats
t_expect_eq "WRITEs at the server (X's and A's; B's went to the backing file)" "$(ptc_stat write)" 2
t_pass

# A's write goes to the backing file (passthrough)
t_start fuse2pt:splice-pt-then-freeze
t_check "splicefreeze pt: every task ended, data right" run_sf pt
ptc_stats
t_expect_eq "WRITEs at the server (X's only, now 3 in all)" "$(ptc_stat write)" 3
t_expect_eq "backing ids opened" "$(ptc_stat backing_open)" 2
t_pass

# run_se MODE: spliceempty on a file opened in MODE (pt, ptdio, cached)
run_se() {
	local log=$T_WORK/se-$1.log
	head -c 12288 /dev/zero > "$T_SRC/e-$1"
	ptc_mode "$1"
	timeout $((PAUSE * 60 / 1000)) "$SE" "$PTC_MNT/e-$1" "$PAUSE" > "$log" 2>&1
	sed 's/^/  | /' "$log"
	grep -q '^RESULT: the wait held no lock, data right' "$log"
}

# A splice waiting for an empty pipe holds no lock of the file: a write
# goes through meanwhile, and SPLICE_F_NONBLOCK does not wait at all
# (stock passthrough holds the inode lock through that wait).
t_start fuse2pt:splice-empty-pipe
for mode in pt ptdio cached; do
	t_check "spliceempty $mode: the wait held no lock, data right" run_se "$mode"
done
ptc_mode pt
t_pass

t_start fuse2pt:umount
t_umount "$PTC_MNT"
umount "$T_SRC"
t_pass

t_start fuse:not-run
if [ -c /dev/fuse ]; then
	t_skip "NOT RUN on stock fuse of $(uname -r): where it has passthrough (6.9 on), its splice into a FUSE file locks the pipe before the inode (iter_file_splice_write), the order that deadlocks here for good; the guest would not recover"
else
	t_skip "no stock fuse module in this guest"
fi
