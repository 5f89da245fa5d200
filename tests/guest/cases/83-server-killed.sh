#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# timeout: 300
#
# A server killed with SIGKILL while it holds requests: every waiter (a
# read, a write, a page fault, a readdir, a stat) ends with an error,
# nothing hangs, the mount can be unmounted and the module removed.
. /tests/lib.sh
. /tests/lifelib.sh

# op name -> the command that ends up waiting on the server
op_cmd() {	# OP MNT
	case $1 in
	read)	 echo "cat $2/file" ;;
	write)	 echo "dd if=/dev/zero of=$2/file bs=4k count=1 conv=notrunc status=none" ;;
	mmap)	 echo "lifeio mmap $2/file" ;;
	readdir) echo "ls $2" ;;
	getattr) echo "stat -c %s $2/file" ;;
	esac
}

killed_test() {	# TYPE OP
	local type=$1 op=$2 mnt=$T_WORK/mnt/kill-$1-$2 cmd p1 p2 out=$T_WORK/out-$1-$2 stall=$2
	[ "$op" = mmap ] && stall=read
	t_mount "$type" "$mnt" stallsrv stall=$stall || return 1
	cmd=$(op_cmd "$op" "$mnt")
	# the second waiter starts once the first is held, so both kernels
	# see the same order (it may wait on the first one's pages, not on
	# the server)
	$cmd > "$out.1" 2>&1 & p1=$!
	life_wait_log "$mnt" 1 "^STALL $stall"
	$cmd > "$out.2" 2>&1 & p2=$!
	sleep 1
	kill -KILL "$T_SRV_PID"
	life_gone $p1 "$LIFE_OP_TIMEOUT" || t_fail "$type $op: waiter 1 hangs after the server died"
	life_gone $p2 "$LIFE_OP_TIMEOUT" || t_fail "$type $op: waiter 2 hangs after the server died"
	wait $p1; life_say "$type" "$op waiter 1: status $? $(grep -v ready "$out.1" | tr '\n' ' ')"
	wait $p2; life_say "$type" "$op waiter 2: status $? $(grep -v ready "$out.2" | tr '\n' ' ')"
	life_say "$type" "$op: stat afterwards: $(stat -c %F "$mnt" 2>&1)"
	life_forget_srv "$mnt"
	t_check "$type $op: umount after the server died" umount "$mnt"
}

for op in read write mmap readdir getattr; do
	t_start "killed-during-$op"
	life_reset
	for type in $(life_types); do killed_test "$type" "$op"; done
	life_compare "killed-during-$op"
	t_pass
done

# A waiter killed with SIGKILL after the server took its request is not
# let go (the server may be acting on it) until the server answers or the
# connection is aborted, here through the control file.
killed_waiter_test() {	# TYPE
	local type=$1 mnt=$T_WORK/mnt/kw-$1 p dir
	t_mount "$type" "$mnt" stallsrv stall=read || return 1
	dir=$(life_conn_dir "$type" "$mnt")
	cat "$mnt/file" > /dev/null 2>&1 & p=$!
	life_wait_log "$mnt" 1 '^STALL read'
	kill -KILL $p
	sleep 1
	life_say "$type" "killed reader still there: $(kill -0 $p 2>/dev/null && echo yes || echo no)"
	echo 1 > "$dir/abort"
	life_gone $p "$LIFE_OP_TIMEOUT"; life_say "$type" "reader gone after abort: $?"
	wait $p 2>/dev/null
	life_forget_srv "$mnt"
	t_check "$type: umount" umount "$mnt"
}

t_start killed-waiter-needs-abort
life_reset
life_ctl_mount
for type in $(life_types); do killed_waiter_test "$type"; done
life_compare killed-waiter-needs-abort
life_ctl_umount
t_pass
