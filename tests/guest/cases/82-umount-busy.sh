#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# timeout: 200
#
# umount -f and umount -l while files are open: -f aborts the connection
# (and still fails as busy), -l detaches the mount and the connection
# lives on until its last file is closed.
. /tests/lib.sh
. /tests/lifelib.sh

force_test() {	# TYPE
	local type=$1 mnt=$T_WORK/mnt/force-$1 pid
	t_mount "$type" "$mnt" stallsrv || return 1
	pid=$T_SRV_PID
	exec 3< "$mnt/file"
	life_say "$type" "before: $(head -c 8 <&3)"
	umount -f "$mnt" 2>/dev/null; life_say "$type" "umount -f with a file open: status $?"
	life_say "$type" "read after: $(head -c 8 <&3 2>&1 | sed 's/^.*: //')"
	life_say "$type" "stat after: $(stat -c %F "$mnt/file" 2>&1)"
	life_gone "$pid" 10 || t_fail "$type: the server did not notice the abort"
	life_forget_srv "$mnt"
	exec 3<&-
	umount "$mnt" 2>/dev/null || umount -l "$mnt"
	t_check "$type: gone from the mount table" bash -c "! mountpoint -q $mnt"
}

t_start umount-force-busy
life_reset
for type in $(life_types); do force_test "$type"; done
life_compare umount-force-busy
t_pass

lazy_test() {	# TYPE
	local type=$1 mnt=$T_WORK/mnt/lazy-$1 pid
	t_mount "$type" "$mnt" stallsrv || return 1
	pid=$T_SRV_PID
	exec 3< "$mnt/file"
	(cd "$mnt/dir" && exec sleep 600) & sleeper=$!
	sleep 0.2
	umount -l "$mnt"; life_say "$type" "umount -l with a file open: status $?"
	life_say "$type" "mounted after: $(mountpoint -q "$mnt" && echo yes || echo no)"
	life_say "$type" "read through the open file: $(head -c 8 <&3 2>&1)"
	life_say "$type" "cwd listing: $(ls /proc/$sleeper/cwd/.. 2>&1 | tr '\n' ' ')"
	sleep 0.5
	life_say "$type" "server alive while busy: $(kill -0 "$pid" 2>/dev/null && echo yes || echo no)"
	exec 3<&-
	kill "$sleeper"; wait "$sleeper" 2>/dev/null
	life_gone "$pid" 15; life_say "$type" "server exits once the last user is gone: $?"
	wait "$pid"; life_say "$type" "server status $?"
	unset "_t_srv_pid[$mnt]"
}

t_start umount-lazy-busy
life_reset
for type in $(life_types); do lazy_test "$type"; done
life_compare umount-lazy-busy
t_pass

idle_force_test() {	# TYPE
	local type=$1 mnt=$T_WORK/mnt/idle-$1 pid
	t_mount "$type" "$mnt" stallsrv || return 1
	pid=$T_SRV_PID
	umount -f "$mnt"; life_say "$type" "umount -f idle: status $?"
	life_gone "$pid" 15; life_say "$type" "server gone: $?"
	life_forget_srv "$mnt"
}

t_start umount-force-idle
life_reset
for type in $(life_types); do idle_force_test "$type"; done
life_compare umount-force-idle
t_pass
