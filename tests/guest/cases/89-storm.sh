#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# timeout: 300
# timeout-long: 1200
#
# The signal storm of issue 17.  stormsrv (tests/servers/stormsrv.c)
# holds each reply 0-20 ms, answers an INTERRUPT with EAGAIN, by ending
# the request with EINTR, or not at all, and every 0.5-2 s stalls: it
# stops reading, drops the requests it holds, sends NOTIFY_RESEND and
# stalls again.  Meanwhile storm (tests/life/storm.c) has 8 workers read,
# stat and list its files with SIGUSR1 (handled, no SA_RESTART) every
# 100 us, and SIGKILLs one of them every 10 ms.  A resent request whose
# INTERRUPT was still queued, withdrawn by a SIGKILL and freed, crashed
# 6.12 within seconds (list_del corruption ... 6b6b6b6b in
# f2p_dev_do_read, with slub_debug=FZP).
#
# Checked: every byte read and every stat and listing right, no worker
# alive 10 s after its SIGKILL, no error but EINTR.  Afterwards the mount
# answers (a calm run, no signals, checks the whole tree again), umount
# works, the server exits with status 0 and no process is left in D
# state; the runner reads dmesg.  And the storm must really have blown:
# kills, EINTRs, INTERRUPTs answered each way, stalls, resends and
# resent requests are all counted and must not be zero.
#
# Stock fuse is the reference from 7.0 on only: before 6.9 it has no
# NOTIFY_RESEND, and Debian's 6.12.95 crashes on this very race.
# CI: 60 s on fuse2pt, 20 s on stock fuse; FUSE2PT_LONG: 10 minutes, 2.
. /tests/lib.sh

if [ -n "${FUSE2PT_LONG:-}" ]; then SECS=600 REF_SECS=120; else SECS=60 REF_SECS=20; fi
SEED=$RANDOM

srv_count() { sed -n "s/^stormsrv: count $2 //p" "$1"; }	# LOG NAME
storm_field() { grep -o "\b$2 [0-9]*" "$1" | head -n1 | cut -d' ' -f2; }	# OUT NAME

d_state() { ps -eo stat=,pid=,comm= | awk '$1 ~ /^D/'; }

storm_run() {	# TYPE SECONDS
	local type=$1 secs=$2 mnt=$T_WORK/mnt/storm-$1 out=$T_WORK/storm-$1.out
	local calm=$T_WORK/calm-$1.out log rc d c v
	t_mount "$type" "$mnt" stormsrv "seed=$SEED" || return 1
	log=${_t_srv_log[$mnt]}
	t_note "$type: a storm of ${secs}s (seed $SEED) from uptime $(cut -d' ' -f1 /proc/uptime)"
	timeout -s KILL $((secs + 120)) "$T_BIN/storm" -s "$SEED" "$mnt" "$secs" > "$out" 2>&1
	rc=$?
	grep -E '^storm: ([0-9]+ workers|ops|eintr|errors|wrong)' "$out" | sed 's/^storm: /  | /'
	case $rc in
	0)	;;
	137)	_t_mark_fail "$type: storm itself never ended (killed after $((secs + 120))s)" ;;
	3)	_t_mark_fail "$type: workers hang: $(grep -m1 HANG "$out")"
		sed -n '/HANG/,$p' "$out" | head -n 40 ;;
	*)	_t_mark_fail "$type: storm exited $rc: $(tail -n1 "$out")"
		grep -E 'WRONG|died' "$out" | head -n 20 ;;
	esac
	t_expect_eq "$type: errors other than EINTR" "$(sed -n 's/^storm: errors: //p' "$out")" none
	for c in kills eintr; do
		v=$(storm_field "$out" "$c")
		[ "${v:-0}" -gt 0 ] || _t_mark_fail "$type: the storm did not blow: $c ${v:-?}"
	done

	# the mount still answers: the whole tree, calmly
	timeout -s KILL 60 "$T_BIN/storm" -i 0 -k 0 -w 2 -s "$SEED" "$mnt" 3 > "$calm" 2>&1 ||
		_t_mark_fail "$type: after the storm, a calm run failed: $(tail -n1 "$calm")"
	t_expect_eq "$type: calm run after the storm" \
		"$(sed -n 's/^storm: \(errors\|wrong\)/\1/p' "$calm" | paste -sd'|')" \
		"errors: none|wrong 0, died by themselves 0, hangs 0"
	t_umount "$mnt"
	d=$(d_state)
	[ -z "$d" ] || _t_mark_fail "$type: processes in D state after umount: $(echo "$d" | tr '\n' ';')"

	t_note "$type: stormsrv: $(sed -n 's/^stormsrv: count //p' "$log" | paste -sd' ' | sed 's/\([0-9]\) /\1, /g')"
	for c in requests intr intr-eagain intr-eintr intr-ignore stalls dropped resend-sent resent; do
		v=$(srv_count "$log" "$c")
		[ "${v:-0}" -gt 0 ] || _t_mark_fail "$type: the storm did not blow: stormsrv counted $c ${v:-?}"
	done
	t_expect_eq "$type: NOTIFY_RESEND refused" "$(srv_count "$log" resend-rejected)" 0
}

t_start storm
t_need_module || exit 0
t_need_bin stormsrv || exit 0
t_need_bin storm || exit 0
storm_run fuse2pt "$SECS"
t_pass

t_start storm-stock-reference
if ! { [ -c /dev/fuse ] || modprobe fuse 2>/dev/null; } || ! grep -qw fuse /proc/filesystems; then
	t_fail "stock fuse is missing: nothing to compare with"
elif ! t_kernel_at_least 7.0; then
	t_skip "NOT RUN on stock fuse of $(uname -r): $(t_kernel_at_least 6.9 &&
		echo "its fuse crashes the kernel with this very race (Debian's 6.12.95: list_del corruption)" ||
		echo "its fuse has no NOTIFY_RESEND (from 6.9 on)"); stock fuse is the reference on 7.0 and later only"
else
	storm_run fuse "$REF_SECS"
	t_pass
fi
