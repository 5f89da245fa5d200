#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# timeout: 200
#
# FUSE_INTERRUPT: a caller blocked in a request the server holds gets a
# signal it handles; the server sees INTERRUPT naming the request, and
# answers it (EINTR), or asks to be asked again (EAGAIN) first, or ignores
# it (the caller waits on until the server answers or dies).
. /tests/lib.sh
. /tests/lifelib.sh

intr_test() {	# TYPE MODE
	local type=$1 mode=$2 mnt=$T_WORK/mnt/intr-$1-$2 p out=$T_WORK/intr-$1-$2 log
	t_mount "$type" "$mnt" stallsrv stall=read dio intr=$mode || return 1
	log=$(life_srv_log "$mnt")
	lifeio sigread "$mnt/file" > "$out" 2>&1 & p=$!
	life_wait_log "$mnt" 1 '^STALL read'
	kill -USR1 $p
	case $mode in
	eintr)	life_wait_log "$mnt" 1 '^EINTR' ;;
	eagain)	life_wait_log "$mnt" 1 '^EINTR' ;;
	ignore)	life_wait_log "$mnt" 1 '^INTERRUPT'
		sleep 1
		life_say "$type" "still waiting after an ignored INTERRUPT: $(kill -0 $p 2>/dev/null && echo yes || echo no)"
		kill -KILL "$T_SRV_PID" ;;
	esac
	life_gone $p "$LIFE_OP_TIMEOUT" || t_fail "$type $mode: the reader hangs"
	wait $p
	life_say "$type" "$mode: reader: $(grep -v ready "$out")"
	life_say "$type" "$mode: server: $(grep -E '^(INTERRUPT|EAGAIN|EINTR)' "$log" | sed 's/[0-9][0-9]*/U/' | tr '\n' ' ')"
	if [ "$mode" = ignore ]; then
		life_forget_srv "$mnt"
		t_check "$type: umount" umount "$mnt"
	else
		t_umount "$mnt"
	fi
}

for mode in eintr eagain ignore; do
	t_start "interrupt-$mode"
	life_reset
	for type in $(life_types); do intr_test "$type" "$mode"; done
	life_compare "interrupt-$mode"
	t_pass
done
